/**
 * The embedded backend (SQLite + FTS5 + hnswlib) against PostgreSQL + pgvector, in one run and
 * on the same texts: the HotpotQA-100 corpus (994 passages) ingested as a folder job through the
 * HTTP API; /search latency per retriever and /query (mode rag, hybrid, k=5) latency without
 * generation, over the 100 questions; and recall@10 of each approximate index against exact
 * inner-product search of the same stored vectors (question embeddings as queries), for
 * several ef_search values.
 * PostgreSQL is PGlite (WASM, single session, in this process) unless DATABASE_URL names a server.
 *   npm run bench:postgres [-- --rounds 2]
 * Writes bench/results/postgres.json.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config/config.js';
import { topByInnerProduct } from '../src/store/exact-vector-index.js';
import type { HnswVectorIndex } from '../src/store/hnsw/hnsw-vector-index.js';
import type { PgVectorIndex } from '../src/store/postgres/pg-vector-index.js';
import type { Workspace } from '../src/store/workspace.js';
import { HOTPOTQA_100, readCorpus, readQuestions } from './lib/datasets.js';
import { ingestFolderJob, machine, percentile, table, writeResult } from './lib/bench.js';
import type { FinishedIngestJob } from './lib/bench.js';
import { startPglite } from './lib/pglite-server.js';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '2' } } });
const ROUNDS = Number(values.rounds);
const K = 10;
const EF_VALUES = [16, 40, 100, 192];

const corpus = readCorpus(HOTPOTQA_100);
const questions = readQuestions(HOTPOTQA_100).map((q) => q.question);
const corporaDir = mkdtempSync(join(tmpdir(), 'bench-postgres-corpora-'));
corpus.forEach((p, i) => writeFileSync(join(corporaDir, `p${String(i).padStart(4, '0')}.txt`), p.text));

const external = process.env.DATABASE_URL;
const pglite = external ? undefined : await startPglite();
const databaseUrl = external ?? pglite!.url;

async function timed<T>(work: () => Promise<T>): Promise<[T, number]> {
  const start = performance.now();
  const result = await work();
  return [result, performance.now() - start];
}

function ingest(app: FastifyInstance): Promise<FinishedIngestJob> {
  return ingestFolderJob(app, 'bench');
}

/** Latencies (ms) of `ask` over all questions, `ROUNDS` times, after a warm-up. */
async function latencies(ask: (question: string) => Promise<number>): Promise<{ p50Ms: number; p90Ms: number; p99Ms: number }> {
  for (const q of questions.slice(0, 10)) await ask(q);
  const all: number[] = [];
  for (let r = 0; r < ROUNDS; r++) for (const q of questions) all.push(await ask(q));
  all.sort((a, b) => a - b);
  return { p50Ms: percentile(all, 50), p90Ms: percentile(all, 90), p99Ms: percentile(all, 99) };
}

/** recall@10 of the backend's approximate index against exact search over the same stored vectors. */
async function recall(app: FastifyInstance, ws: Workspace, store: string): Promise<Array<{ efSearch: number; recallAt10: number; qps: number }>> {
  const { vectors: queries } = await app.services.embedder.embed(questions);
  const stored = new Map<number, Float32Array>();
  for await (const batch of ws.docs.scanVectors(1024)) for (const { id, vector } of batch) stored.set(id, vector);
  const truth = queries.map((q) => topByInnerProduct(q, stored, K).map((h) => h.id));
  const rows = [];
  for (const ef of EF_VALUES) {
    let search: (q: Float32Array) => Promise<number[]>;
    if (store === 'postgres') {
      const index = (ws.vectors as PgVectorIndex).withEfSearch(ef);
      // Exact search in the database agrees with the scan of stored vectors (a check of the reference).
      if (ef === EF_VALUES[0]) {
        const exact = (await index.exactSearch(queries[0]!, K)).map((h) => h.id);
        if (exact.join() !== truth[0]!.join()) throw new Error(`exact search in PostgreSQL (${exact}) differs from the scan of stored vectors (${truth[0]})`);
      }
      search = async (q) => (await index.search(q, K)).map((h) => h.id);
    } else {
      const index = ws.vectors as HnswVectorIndex;
      index.efSearch = ef;
      search = async (q) => (await index.search(q, K)).map((h) => h.id);
    }
    const [found, ms] = await timed(async () => {
      const out: number[][] = [];
      for (const q of queries) out.push(await search(q));
      return out;
    });
    const hits = found.reduce((n, ids, i) => n + ids.filter((id) => truth[i]!.includes(id)).length, 0);
    rows.push({ efSearch: ef, recallAt10: hits / (queries.length * K), qps: queries.length / (ms / 1000) });
  }
  if (store === 'embedded') (ws.vectors as HnswVectorIndex).efSearch = app.services.config.HNSW_EF_SEARCH;
  return rows;
}

async function run(store: 'embedded' | 'postgres') {
  const env = { ...process.env, STORE: store, DATABASE_URL: databaseUrl, DATA_DIR: mkdtempSync(join(tmpdir(), 'bench-postgres-data-')), CORPORA_DIR: corporaDir, SAMPLE_INGEST: 'false', LOG_LEVEL: 'warn' };
  const app = await buildApp(loadConfig(env));
  await app.ready();
  await app.services.embedder.embed(corpus.slice(0, 32).map((p) => p.text)); // warm-up
  console.error(`${store}: ingesting ${corpus.length} passages…`);
  const ingested = await ingest(app);
  const search: Record<string, unknown> = {};
  for (const retriever of ['dense', 'lexical', 'hybrid']) {
    console.error(`${store}: /search ${retriever}…`);
    search[retriever] = await latencies(async (query) => {
      const [res, ms] = await timed(() => app.inject({ method: 'POST', url: '/v1/workspaces/bench/search', payload: { query, k: K, retriever } }));
      if (res.statusCode !== 200) throw new Error(`search failed: ${res.body}`);
      return ms;
    });
  }
  console.error(`${store}: /query…`);
  const query = await latencies(async (question) => {
    const [res, ms] = await timed(() => app.inject({ method: 'POST', url: '/query', payload: { question, workspace: 'bench', k: 5, retriever: 'hybrid' } }));
    if (res.statusCode !== 200) throw new Error(`query failed: ${res.body}`);
    return ms - (res.json() as { timings: { generateMs: number } }).timings.generateMs;
  });
  console.error(`${store}: recall@10…`);
  const ws = await app.services.workspaces.get('bench');
  const recallRows = await recall(app, ws, store);
  await app.close();
  return { store, ingest: { ...ingested, docsPerSecond: ingested.documents / ingested.seconds, chunksPerSecond: ingested.chunks / ingested.seconds }, search, query, recall: recallRows };
}

const runs = [await run('embedded'), await run('postgres')];
await pglite?.stop();

const rows = runs.map((r) => ({
  store: r.store,
  'ingest chunks/s': r.ingest.chunksPerSecond,
  'dense p50 ms': (r.search.dense as { p50Ms: number }).p50Ms,
  'lexical p50 ms': (r.search.lexical as { p50Ms: number }).p50Ms,
  'hybrid p50 ms': (r.search.hybrid as { p50Ms: number }).p50Ms,
  'query p50 ms': r.query.p50Ms,
  'query p99 ms': r.query.p99Ms,
}));
console.log(table(rows));
console.log();
console.log(table(runs.flatMap((r) => r.recall.map((x) => ({ store: r.store, efSearch: x.efSearch, 'recall@10': x.recallAt10, qps: x.qps })))));
const path = await writeResult('postgres', {
  machine: machine(),
  postgres: external ? 'server at DATABASE_URL' : 'PGlite 0.4 (PostgreSQL 17 + pgvector 0.8, WASM, single session) over pglite-socket',
  corpus: HOTPOTQA_100,
  questions: questions.length,
  rounds: ROUNDS,
  runs,
});
console.log(`wrote ${path}`);
