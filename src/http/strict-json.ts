import type { FastifyRequest } from 'fastify';
import { InvalidInputError } from '../core/errors.js';

const decoder = new TextDecoder('utf-8', { fatal: true });

/** JSON bodies must be valid UTF-8 and valid JSON; either failure is a 400 that says which. */
export function parseStrictJson(_request: FastifyRequest, body: Buffer, done: (err: Error | null, body?: unknown) => void): void {
  let text: string;
  try {
    text = decoder.decode(body);
  } catch {
    done(new InvalidInputError('the request body is not valid UTF-8; send JSON encoded as UTF-8'));
    return;
  }
  if (text.trim() === '') {
    done(null, undefined);
    return;
  }
  try {
    done(null, JSON.parse(text));
  } catch (error) {
    done(new InvalidInputError(`the request body is not valid JSON: ${(error as Error).message}`));
  }
}
