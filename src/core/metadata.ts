/**
 * Document metadata as it is stored: JSON objects and arrays at most MAX_METADATA_DEPTH levels
 * deep (the metadata object itself is level 1), at most MAX_METADATA_BYTES as UTF-8 JSON, with
 * every key and string well-formed (lone surrogates replaced, see unicode.ts). Walked without
 * recursion, so no depth can overflow the stack; anything beyond a limit is a 400 naming it.
 */
import { InvalidInputError } from './errors.js';
import { wellFormed } from './unicode.js';

export const MAX_METADATA_DEPTH = 32;
export const MAX_METADATA_BYTES = 64 * 1024;

type Container = Record<string, unknown> | unknown[];

function isContainer(value: unknown): value is Container {
  if (Array.isArray(value)) return true;
  if (typeof value !== 'object' || value === null) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

/** A copy of `metadata` within the limits, and its JSON (for the content hash and storage). */
export function checkedMetadata(metadata: Record<string, unknown>): { metadata: Record<string, unknown>; json: string } {
  const root: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  const work: Array<{ from: Container; to: Container; depth: number; path: string }> = [{ from: metadata, to: root, depth: 1, path: 'metadata' }];
  for (let item = work.pop(); item; item = work.pop()) {
    const { from, to, depth, path } = item;
    const entries: Array<[string, unknown]> = Array.isArray(from) ? from.map((v, i) => [String(i), v]) : Object.entries(from);
    for (const [key, value] of entries) {
      let copy = value;
      if (typeof value === 'string') copy = wellFormed(value);
      else if (isContainer(value)) {
        const where = `${path}${Array.isArray(from) ? `[${key}]` : `.${key}`}`;
        if (depth >= MAX_METADATA_DEPTH) {
          throw new InvalidInputError(`metadata nests deeper than ${MAX_METADATA_DEPTH} levels (at ${shortPath(where)}); at most ${MAX_METADATA_DEPTH} levels of objects and arrays are accepted`);
        }
        copy = Array.isArray(value) ? [] : (Object.create(null) as Record<string, unknown>);
        work.push({ from: value, to: copy as Container, depth: depth + 1, path: where });
      }
      if (Array.isArray(to)) to.push(copy);
      else to[wellFormed(key)] = copy;
    }
  }
  const json = JSON.stringify(root);
  const bytes = Buffer.byteLength(json, 'utf8');
  if (bytes > MAX_METADATA_BYTES) throw new InvalidInputError(`metadata is ${bytes} bytes as JSON; at most ${MAX_METADATA_BYTES} bytes (64 KiB) are accepted: keep large data in the text or elsewhere`);
  return { metadata: root, json };
}

function shortPath(path: string): string {
  return wellFormed(path.length <= 120 ? path : `${path.slice(0, 60)}…${path.slice(-60)}`);
}
