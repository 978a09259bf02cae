/**
 * Compares retrievers and answer modes on a question set, through the service's HTTP API.
 *   npm run eval -- --dataset eval/data/hotpotqa-100 --modes rag --retrievers dense,lexical,hybrid \
 *     --k 1,2,5,10 --out bench/results/eval-hotpotqa-100.json [--url http://host:port] [--holdout-gold 0.5]
 *     [--one-title "HotpotQA"] [--self-rag '{"relevanceFloor":0.15,"supportFloor":0}']
 * Without --url it starts the service in-process on a fresh data folder. It ingests the corpus
 * into a new workspace, asks every question through /v1/workspaces/:ws/search and /query, and
 * writes the JSON, a Markdown report and SVG charts beside it. `--one-title T` ingests every
 * passage under the one title T, as the chunks of a single long document would be, to see how a
 * mode does when titles tell passages nothing apart. `--self-rag JSON` sends those Self-RAG
 * options (floors, beam, weights, likelihoodWeight) with every self-rag query.
 */
import { mkdtempSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { seededRandom } from '../src/core/random.js';
import { writeReport } from '../src/eval/report.js';
import type { EvalResult } from '../src/eval/report.js';
import { pairedComparisons, summariseModes, summariseRetrieval } from '../src/eval/summarise.js';
import type { AnswerRecord, RetrievalRecord } from '../src/eval/summarise.js';
import { readCorpus, readQuestions } from './lib/datasets.js';
import type { Question } from './lib/datasets.js';

const { values } = parseArgs({
  options: {
    dataset: { type: 'string' },
    modes: { type: 'string', default: 'rag' },
    retrievers: { type: 'string', default: 'dense,lexical,hybrid' },
    k: { type: 'string', default: '1,2,5,10' },
    out: { type: 'string' },
    url: { type: 'string' },
    'holdout-gold': { type: 'string', default: '0' },
    'one-title': { type: 'string' },
    'self-rag': { type: 'string' },
    seed: { type: 'string', default: '1' },
    'query-k': { type: 'string', default: '5' },
    'query-retriever': { type: 'string', default: 'hybrid' },
    limit: { type: 'string' },
    skip: { type: 'string', default: '0' },
    concurrency: { type: 'string', default: '2' },
  },
});
if (!values.dataset || !values.out) {
  console.error('usage: npm run eval -- --dataset <folder> --out <file.json> [--modes rag] [--retrievers dense,lexical,hybrid] [--k 1,2,5,10] [--url URL] [--holdout-gold 0.5] [--one-title T] [--self-rag JSON]');
  process.exit(2);
}
const ks = values.k.split(',').map(Number);
const modes = values.modes.split(',').filter(Boolean);
const retrievers = values.retrievers.split(',').filter(Boolean);
const seed = Number(values.seed);
const holdout = Number(values['holdout-gold']);
const concurrency = Number(values.concurrency);
const selfRagOptions = parseSelfRagOptions(values['self-rag']);

function parseSelfRagOptions(text: string | undefined): Record<string, unknown> | undefined {
  if (text === undefined) return undefined;
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed as Record<string, unknown>;
  } catch {
    // reported below
  }
  console.error(`--self-rag must be a JSON object of self-rag options, e.g. '{"relevanceFloor":0.15,"supportFloor":0}'; got ${text}`);
  process.exit(2);
}

function progress(label: string, done: number, total: number): void {
  if (done === total || done % Math.max(1, Math.floor(total / 20)) === 0) process.stderr.write(`\r${label}: ${done}/${total}${done === total ? '\n' : ''}`);
}

async function inParallel<T>(items: T[], label: string, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let done = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) {
        const item = items[next++]!;
        await work(item);
        progress(label, ++done, items.length);
      }
    }),
  );
}

async function call<T>(base: string, path: string, body?: unknown): Promise<{ status: number; body: T; ms: number }> {
  const start = performance.now();
  const res = await fetch(`${base}${path}`, body === undefined ? undefined : { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as T, ms: performance.now() - start };
}

/** Seeded choice of questions whose gold passages are left out of the index. */
function holdOut(questions: Question[]): { removed: Set<string>; unanswerable: Set<string> } {
  const random = seededRandom(seed);
  const candidates = questions.filter((q) => q.goldIds.length > 0).map((q) => ({ q, r: random() })).sort((a, b) => a.r - b.r);
  const picked = candidates.slice(0, Math.round(candidates.length * holdout)).map((c) => c.q);
  return { removed: new Set(picked.flatMap((q) => q.goldIds)), unanswerable: new Set(picked.map((q) => q.id)) };
}

async function startService(): Promise<{ base: string; close: () => Promise<void>; config?: Record<string, unknown> }> {
  if (values.url) return { base: values.url.replace(/\/$/, ''), close: async () => {} };
  const { buildApp } = await import('../src/app.js');
  const { loadConfig } = await import('../src/config/config.js');
  const config = loadConfig({ ...process.env, DATA_DIR: mkdtempSync(join(tmpdir(), 'eval-')), SAMPLE_INGEST: 'false', LOG_LEVEL: 'warn' });
  const app = await buildApp(config);
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { EMBEDDER, GENERATOR, CHUNK_TOKENS, CHUNK_OVERLAP_TOKENS, HYBRID_FUSION, HYBRID_DENSE_WEIGHT, HNSW_EF_SEARCH } = config;
  return {
    base: `http://127.0.0.1:${(app.server.address() as { port: number }).port}`,
    close: () => app.close(),
    config: { EMBEDDER, GENERATOR, CHUNK_TOKENS, CHUNK_OVERLAP_TOKENS, HYBRID_FUSION, HYBRID_DENSE_WEIGHT, HNSW_EF_SEARCH },
  };
}

const datasetName = values.dataset.replace(/\/$/, '').split('/').pop()!;
const corpus = readCorpus(values.dataset);
let questions = readQuestions(values.dataset);
questions = questions.slice(Number(values.skip), values.limit ? Number(values.skip) + Number(values.limit) : undefined);
const { removed, unanswerable } = holdOut(questions);
const service = await startService();
const workspace = `eval-${datasetName.toLowerCase().replace(/[^a-z0-9]+/g, '-').slice(0, 30)}-${Date.now()}`;

try {
  const created = await call(service.base, '/v1/workspaces', { name: workspace });
  if (created.status >= 400) throw new Error(`cannot create workspace: ${JSON.stringify(created.body)}`);
  const ingested = corpus.filter((p) => !removed.has(p.id));
  await inParallel(ingested, 'ingest', async (p) => {
    const res = await call<{ message?: string }>(service.base, `/v1/workspaces/${workspace}/documents`, { id: p.id, title: values['one-title'] ?? p.title, text: p.text });
    if (res.status >= 400) throw new Error(`ingesting ${p.id}: ${res.body.message}`);
  });

  // A question is answerable when it has an answer reference and none of its gold was held out.
  const isAnswerable = (q: Question) => !unanswerable.has(q.id) && q.answers.length > 0 && q.goldIds.every((g) => !removed.has(g));
  const maxK = Math.max(...ks);
  const retrieval: RetrievalRecord[] = [];
  for (const retriever of retrievers) {
    await inParallel(questions.filter((q) => q.goldIds.length > 0 && !unanswerable.has(q.id)), `search ${retriever}`, async (q) => {
      const res = await call<{ hits: Array<{ docId: string }>; message?: string }>(service.base, `/v1/workspaces/${workspace}/search`, { query: q.question, k: Math.min(50, maxK * 4), retriever });
      if (res.status >= 400) throw new Error(`search: ${res.body.message}`);
      retrieval.push({ questionId: q.id, retriever, rankedDocIds: [...new Set(res.body.hits.map((h) => h.docId))], goldIds: q.goldIds, latencyMs: res.ms });
    });
  }

  if (modes.some((m) => m.startsWith('graph-'))) {
    const started = await call<{ jobId: string; message?: string }>(service.base, `/v1/workspaces/${workspace}/graph`, {});
    if (started.status >= 400) throw new Error(`graph build: ${started.body.message}`);
    let state = 'running';
    while (state === 'running' || state === 'queued') {
      await new Promise((r) => setTimeout(r, 500));
      const job = await call<{ state: string; error: string | null; progress: { graph?: { phase: string } } }>(service.base, `/v1/jobs/${started.body.jobId}`);
      state = job.body.state;
      process.stderr.write(`\rgraph: ${job.body.progress.graph?.phase ?? state}      `);
      if (state === 'failed') throw new Error(`graph build failed: ${job.body.error}`);
    }
    process.stderr.write('\n');
  }

  const titles = new Map(corpus.map((p) => [p.id, p.title]));
  const phrase = (text: string) => ` ${text.toLowerCase().replace(/\s*\(.*\)\s*$/, '').replace(/[^\p{L}\p{N}]+/gu, ' ').trim()} `;
  /** A bridge question's second hop: its one gold passage whose title the question does not name. */
  const secondHop = (q: Question) => {
    if (q.type !== 'bridge') return undefined;
    const unnamed = q.goldIds.filter((g) => !phrase(q.question).includes(phrase(titles.get(g) ?? g)));
    return unnamed.length === 1 ? unnamed[0] : undefined;
  };
  const answers: AnswerRecord[] = [];
  for (const mode of modes) {
    await inParallel(questions, `query ${mode}`, async (q) => {
      type QueryBody = { answer: string; citations: Array<{ docId: string }>; retrieval?: { hits: Array<{ docId: string }> }; noAnswer: boolean; usage: { llmCalls: number; promptTokens: number; completionTokens: number }; message?: string };
      const res = await call<QueryBody>(service.base, '/query', { question: q.question, workspace, mode, k: Number(values['query-k']), retriever: values['query-retriever'], ...(mode === 'self-rag' && selfRagOptions ? { selfRag: selfRagOptions } : {}) });
      const ok = res.status < 400;
      answers.push({
        questionId: q.id,
        mode,
        answerable: isAnswerable(q),
        answers: q.answers,
        goldIds: q.goldIds,
        answer: ok ? res.body.answer : '',
        citedDocIds: ok ? res.body.citations.map((c) => c.docId) : [],
        foundDocIds: ok ? [...new Set([...(res.body.retrieval?.hits ?? []).map((h) => h.docId), ...res.body.citations.map((c) => c.docId)])] : [],
        ...(secondHop(q) ? { secondHopId: secondHop(q) } : {}),
        noAnswer: ok ? res.body.noAnswer : false,
        latencyMs: res.ms,
        llmCalls: ok ? res.body.usage.llmCalls : 0,
        tokens: ok ? res.body.usage.promptTokens + res.body.usage.completionTokens : 0,
        ...(ok ? {} : { error: res.body.message ?? `HTTP ${res.status}` }),
      });
    });
  }

  const result: EvalResult = {
    dataset: datasetName,
    createdAt: new Date().toISOString(),
    command: `npm run eval -- ${process.argv.slice(2).join(' ')}`,
    settings: { modes, retrievers, k: ks, queryK: Number(values['query-k']), queryRetriever: values['query-retriever'], holdoutGold: holdout, oneTitle: values['one-title'] ?? null, selfRag: selfRagOptions ?? null, seed, url: values.url ?? 'in-process', workspace, service: service.config ?? 'external' },
    corpus: { passages: corpus.length, ingested: ingested.length, heldOut: removed.size },
    questions: { total: questions.length, answerable: questions.filter(isAnswerable).length, unanswerable: questions.filter((q) => !isAnswerable(q)).length },
    retrievers: summariseRetrieval(retrieval, ks, seed),
    modes: summariseModes(answers, seed),
    paired: pairedComparisons(answers, seed),
  };
  await mkdir(dirname(values.out), { recursive: true });
  const files = await writeReport(values.out, result, ks);
  for (const [name, s] of Object.entries(result.retrievers)) console.log(`${name.padEnd(8)} ${ks.map((k) => `recall@${k} ${(s[`recall@${k}`] as number).toFixed(3)}`).join('  ')}  MRR ${s.mrr.toFixed(3)}`);
  for (const [name, s] of Object.entries(result.modes)) {
    console.log(`${name.padEnd(8)} accuracy ${s.accuracy.toFixed(3)}  EM ${s.em.toFixed(3)}  F1 ${s.f1.toFixed(3)}  citation precision ${s.citationPrecision.toFixed(3)}  abstain(unanswerable) ${s.unanswerable.abstainRate.toFixed(3)}  p50 ${s.p50Ms.toFixed(0)} ms`);
  }
  console.log(`wrote ${files.join(', ')}`);
} finally {
  await service.close();
}
