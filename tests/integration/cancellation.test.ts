/**
 * A client that disconnects aborts the work it started: the /query it sent was waiting on the
 * LLM (a FAKE OpenAI-compatible server that never answers), and the service drops that
 * upstream request as soon as the client goes away — for plain and for streamed answers.
 */
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testApp } from '../support/app.js';
import type { TestApp } from '../support/app.js';
import { useFakeOpenAiServer } from '../support/fake-openai-server.js';

const fake = useFakeOpenAiServer<{ stream?: boolean }>();
let upstreamClosed = 0;
let t: TestApp;
let url = '';

beforeAll(async () => {
  fake.reply = (_, res) => res.on('close', () => upstreamClosed++); // never answers
  t = await testApp({ GENERATOR: 'openai', LLM_BASE_URL: fake.baseUrl, LLM_MODEL: 'fake-model', LLM_TIMEOUT_MS: '60000' });
  await t.app.inject({ method: 'POST', url: '/v1/workspaces/default/documents', payload: { text: 'Jacob Marley was the partner of Ebenezer Scrooge.' } });
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  url = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
});
afterAll(() => t.app.close());

async function until(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('cancellation', () => {
  for (const stream of [false, true]) {
    it(`a client that disconnects aborts its LLM call (stream: ${stream})`, async () => {
      const sent = fake.requests.length;
      const closedBefore = upstreamClosed;
      const client = new AbortController();
      const pending = fetch(`${url}/query`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ question: "Who was Scrooge's partner?", stream }), signal: client.signal })
        .then(async (res) => res.text())
        .catch((error: Error) => error.name);
      await until(() => fake.requests.length > sent, 'the LLM request');
      expect(upstreamClosed).toBe(closedBefore); // the upstream call is open while the client waits
      client.abort();
      expect(await pending).toBe('AbortError');
      await until(() => upstreamClosed > closedBefore, 'the upstream request to be dropped');
    });
  }
});
