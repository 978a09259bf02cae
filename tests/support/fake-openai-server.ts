import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll } from 'vitest';

export interface FakeRequest<Body> {
  path: string | undefined;
  auth: string | undefined;
  body: Body;
}

export interface FakeOpenAiServer<Body> {
  /** Every request received, in order. */
  readonly requests: Array<FakeRequest<Body>>;
  /** How the fake answers; each test scripts its own. */
  reply: (body: Body, res: ServerResponse) => void;
  /** `http://127.0.0.1:<port>/v1`, set once the fake listens. */
  baseUrl: string;
}

/**
 * A FAKE OpenAI-compatible server on a real loopback port for the tests of one file: it
 * records each JSON request and answers with the test's scripted `reply`. It starts before the
 * file's tests and closes after them.
 */
export function useFakeOpenAiServer<Body>(): FakeOpenAiServer<Body> {
  const fake: FakeOpenAiServer<Body> = { requests: [], reply: () => {}, baseUrl: '' };
  const server = createServer((req, res) => {
    let raw = '';
    req.on('data', (d) => (raw += d));
    req.on('end', () => {
      const body = JSON.parse(raw) as Body;
      fake.requests.push({ path: req.url, auth: req.headers.authorization, body });
      fake.reply(body, res);
    });
  });
  beforeAll(async () => {
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    fake.baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  });
  afterAll(() => {
    server.closeAllConnections();
    return new Promise<void>((r) => server.close(() => r()));
  });
  return fake;
}
