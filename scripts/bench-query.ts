/**
 * /query (mode rag) latency without generation, on a workspace of at least 10,000 chunks:
 * client-measured HTTP time minus the generator's own time, over a real listening socket.
 * The chunks are the HotpotQA-100 passages plus documents made by recombining their
 * sentences (seeded), so that the text is real prose.
 *   npm run bench:query [-- --chunks 10000 --rounds 3]
 * Writes bench/results/query.json.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config/config.js';
import { sentenceSpans } from '../src/ingestion/chunker.js';
import { HOTPOTQA_100, readCorpus, readQuestions } from './lib/datasets.js';
import { machine, percentile, table, writeResult } from './lib/bench.js';

const { values } = parseArgs({ options: { chunks: { type: 'string', default: '10000' }, rounds: { type: 'string', default: '3' } } });
const targetChunks = Number(values.chunks);

const corpus = readCorpus(HOTPOTQA_100);
const sentences = corpus.flatMap((p) => sentenceSpans(p.text).map((s) => p.text.slice(s.start, s.end)));
let seed = 12345;
const random = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32);

const app = await buildApp(loadConfig({ ...process.env, DATA_DIR: mkdtempSync(join(tmpdir(), 'bench-query-')), SAMPLE_INGEST: 'false', LOG_LEVEL: 'warn' }));
await app.ready();
const { ingestor, workspaces } = app.services;
const ws = await workspaces.get('bench', { create: true });
console.error(`building a workspace of ${targetChunks} chunks…`);
for (const p of corpus) await ingestor.ingest(ws, { id: p.id, title: p.title, text: p.text, mime: 'text/plain' });
for (let n = 0; (await ws.docs.counts()).chunks < targetChunks; n++) {
  const text = Array.from({ length: 12 }, () => sentences[Math.floor(random() * sentences.length)]).join(' ');
  await ingestor.ingest(ws, { id: `mix-${n}`, title: `Mix ${n}`, text, mime: 'text/plain' });
}
const { chunks, documents } = await ws.docs.counts();
await app.listen({ port: 0, host: '127.0.0.1' });
const address = app.server.address() as { port: number };
const url = `http://127.0.0.1:${address.port}`;

const questions = readQuestions(HOTPOTQA_100).map((q) => q.question);
async function measure(retriever: string) {
  const total: number[] = [];
  const retrieve: number[] = [];
  const ask = async (question: string) => {
    const start = performance.now();
    const res = await fetch(`${url}/query`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ question, workspace: 'bench', k: 5, retriever }) });
    const body = (await res.json()) as { timings: { retrieveMs: number; generateMs: number } };
    const elapsed = performance.now() - start;
    return { withoutGeneration: elapsed - body.timings.generateMs, retrieveMs: body.timings.retrieveMs };
  };
  for (const q of questions.slice(0, 20)) await ask(q); // warm-up
  for (let round = 0; round < Number(values.rounds); round++) {
    for (const q of questions) {
      const r = await ask(q);
      total.push(r.withoutGeneration);
      retrieve.push(r.retrieveMs);
    }
  }
  total.sort((a, b) => a - b);
  retrieve.sort((a, b) => a - b);
  return { retriever, queries: total.length, p50Ms: percentile(total, 50), p90Ms: percentile(total, 90), p99Ms: percentile(total, 99), retrieveP50Ms: percentile(retrieve, 50), retrieveP99Ms: percentile(retrieve, 99) };
}

const results = [];
for (const retriever of ['hybrid', 'dense', 'lexical']) results.push(await measure(retriever));
await app.close();
console.log(table(results));
const headline = results[0]!;
console.log(`\n${documents} documents, ${chunks} chunks; /query rag (hybrid, k=5) without generation: p50 ${headline.p50Ms.toFixed(1)} ms, p99 ${headline.p99Ms.toFixed(1)} ms`);
const path = await writeResult('query', { machine: machine(), chunks, documents, k: 5, retriever: 'hybrid', p50Ms: headline.p50Ms, p99Ms: headline.p99Ms, runs: results });
console.log(`wrote ${path}`);
