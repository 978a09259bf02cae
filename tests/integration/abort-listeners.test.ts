/**
 * A request's abort signal reaches every queue its work waits in. A listener per queued wait
 * piled up on it ("MaxListenersExceededWarning: 11 abort listeners added to [AbortSignal]") when
 * one request queued many model runs: a long document embedded in batches, a Self-RAG query
 * judging many passages. Now one listener serves every wait on a signal, and none is left once
 * the request has ended. Requests go over a real socket, with the real embedder behind a
 * wrapper that sees the request's signal.
 */
import { getEventListeners } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EmbedOptions, Embedder } from '../../src/embedding/embedder.js';
import { UseLiteEmbedder } from '../../src/embedding/use-lite/use-lite-embedder.js';
import type { OnnxRuntime } from '../../src/runtime/onnx-runtime.js';
import { testApp } from '../support/app.js';
import type { TestApp } from '../support/app.js';
import { listenOnLoopback } from '../../scripts/lib/raw-http.js';
import { sharedModelCache, testRuntime } from '../support/runtime.js';

const warnings: string[] = [];
const onWarning = (warning: Error) => warnings.push(`${warning.name}: ${warning.message}`);
/** Every signal the embedder was given, and the most abort listeners seen on it while work was queued. */
const seen = new Map<AbortSignal, number>();

let runtime: OnnxRuntime;
let t: TestApp;
let url = '';

beforeAll(async () => {
  runtime = testRuntime({ concurrencyPerModel: 2 });
  const real = await UseLiteEmbedder.create(runtime, sharedModelCache(), { batchSize: 8 });
  const embedder: Embedder = {
    id: real.id,
    dim: real.dim,
    maxTokens: real.maxTokens,
    countTokens: (text) => real.countTokens(text),
    embed(texts: readonly string[], options?: EmbedOptions) {
      const pending = real.embed(texts, options);
      // The batches are queued by now: count the listeners their waits put on the caller's signal.
      const signal = options?.signal;
      if (signal) seen.set(signal, Math.max(seen.get(signal) ?? 0, getEventListeners(signal, 'abort').length));
      return pending;
    },
  };
  t = await testApp({}, { embedder });
  ({ url } = await listenOnLoopback(t.app));
  process.on('warning', onWarning);
});
afterAll(async () => {
  process.off('warning', onWarning);
  await t.app.close();
  await runtime.close();
});

/** 400 sentences: 100 chunks, 13 batches of 8 for the embedder's two workers. */
const LONG = Array.from({ length: 400 }, (_, i) => `Sentence number ${i} tells of Scrooge and Marley in the counting house on day ${i}.`).join(' ');

async function post(path: string, body: unknown): Promise<number> {
  const res = await fetch(`${url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  await res.arrayBuffer();
  return res.status;
}

describe('abort listeners on a request signal', () => {
  it('a long document: one listener however many batches wait, none once the request has ended, and no warning', async () => {
    seen.clear();
    warnings.length = 0;
    expect(await post('/v1/workspaces/default/documents', { text: LONG })).toBe(201);
    await new Promise((r) => setImmediate(r)); // warnings are emitted on the next tick
    expect(warnings).toEqual([]);
    expect(seen.size).toBe(1);
    const [signal, peak] = [...seen][0]!;
    expect(peak).toBe(1);
    expect(getEventListeners(signal, 'abort')).toHaveLength(0);
  });

  it('a Self-RAG query over many passages: no warning, and no listener left on its signal', async () => {
    seen.clear();
    warnings.length = 0;
    expect(await post('/query', { question: 'What happened in the counting house on day 7?', mode: 'self-rag', k: 20 })).toBe(200);
    await new Promise((r) => setImmediate(r));
    expect(warnings).toEqual([]);
    expect(seen.size).toBe(1); // one signal per request, however often the route and the mode ask for it
    for (const [signal, peak] of seen) {
      expect(peak).toBeLessThanOrEqual(1);
      expect(getEventListeners(signal, 'abort')).toHaveLength(0);
    }
  });
});
