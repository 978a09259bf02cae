/**
 * Responsiveness check: the service keeps answering while heavy inputs are processed.
 * Three heavy tasks — a 20 MB plain-text document (JSON), a 200,000-deep nested HTML file
 * (multipart upload) and a graph build over ≥ 5,000 chunks — run first one at a time on an
 * idle server, then all together. Meanwhile:
 *   - /health is sent every 20 ms on a fixed schedule (open loop: a request's latency counts
 *     from the moment it was due, so a stalled event loop shows as many late answers, not one);
 *   - /query (mode rag) is asked about a small workspace every 500 ms, one at a time.
 * Passes when, during the concurrent run, /health's p99 ≤ 100 ms, every query answered 200, each
 * task completed within 2× its idle time, and the 20 MB text is stored whole and chunked (the
 * chunks tile the text in order, each one the slice of the text its offsets name).
 *   npm run check:responsive          (TEXT_MB=20 HTML_DEPTH=200000 GRAPH_CHUNKS=5000 by default)
 * Writes bench/results/responsive.json.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { machine, percentile, table, writeResult } from './lib/bench.js';
import { HOTPOTQA_100, readCorpus } from './lib/datasets.js';
import { startServer } from './lib/server-process.js';

const TEXT_MB = Number(process.env.TEXT_MB ?? 20);
const HTML_DEPTH = Number(process.env.HTML_DEPTH ?? 200_000);
const GRAPH_CHUNKS = Number(process.env.GRAPH_CHUNKS ?? 5000);
const HEALTH_EVERY_MS = 20;
const QUERY_EVERY_MS = 500;
const CAROL = readFileSync(join(process.cwd(), 'corpora', 'a-christmas-carol.txt'), 'utf8');

const server = await startServer({
  DATA_DIR: mkdtempSync(join(tmpdir(), 'check-responsive-')),
  CORPORA_DIR: mkdtempSync(join(tmpdir(), 'check-responsive-corpora-')),
  SAMPLE_INGEST: 'false',
  GRAPH_AUTO_UPDATE_MS: '0',
  ORT_INTRA_OP_THREADS: '0',
});
const url = server.url;

/**
 * POSTs JSON and waits however long the answer takes: a 20 MB document is answered after minutes,
 * past fetch's own five-minute wait for response headers.
 */
function post(path: string, body: unknown): Promise<Record<string, any>> {
  const data = Buffer.from(JSON.stringify(body));
  return new Promise((resolve, reject) => {
    const req = request(`${url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': data.length } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const json = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, any>;
        if ((res.statusCode ?? 500) >= 300) reject(new Error(`${path}: ${res.statusCode} ${JSON.stringify(json).slice(0, 300)}`));
        else resolve(json);
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(data);
  });
}

/** About `mb` megabytes of prose: the Carol repeated, each copy numbered so no two chunks are equal. */
function bigText(mb: number): string {
  const parts: string[] = [];
  let length = 0;
  for (let copy = 1; length < mb * 1_000_000; copy++) {
    const part = `Copy ${copy}.\n\n${CAROL}\n\n`;
    parts.push(part);
    length += part.length;
  }
  return parts.join('').slice(0, mb * 1_000_000);
}

const TEXT = bigText(TEXT_MB);
const HTML = `<html><head><title>Deep</title></head><body>${'<div>'.repeat(HTML_DEPTH)}Marley was dead: to begin with.${'</div>'.repeat(HTML_DEPTH)}</body></html>`;

// Set-up (not timed): a small workspace for queries, and a graph workspace of ≥ GRAPH_CHUNKS chunks.
await post('/v1/workspaces/probe/documents', { id: 'carol', title: 'A Christmas Carol', text: CAROL.slice(0, 60_000) });
/** The same ≥ GRAPH_CHUNKS chunks in two workspaces: a graph build reuses its workspace's earlier extractions, so each run builds a fresh one. */
async function graphCorpus(ws: string): Promise<number> {
  for (const d of readCorpus(HOTPOTQA_100)) await post(`/v1/workspaces/${ws}/documents`, { id: d.id, title: d.title, text: d.text });
  const paragraphs = CAROL.split(/\n\s*\n/).filter((p) => p.trim().length > 80);
  const chunks = async () => ((await (await fetch(`${url}/v1/workspaces/${ws}`)).json()) as { chunks: number }).chunks;
  for (let shuffle = 0; (await chunks()) < GRAPH_CHUNKS; shuffle++) {
    // Each round: the Carol's paragraphs in another order, as documents of ten paragraphs.
    const order = paragraphs.map((p, k) => ({ p, key: (k * 7919 + shuffle * 104_729) % paragraphs.length })).sort((a, b) => a.key - b.key);
    for (let k = 0; k < order.length; k += 10) await post(`/v1/workspaces/${ws}/documents`, { id: `carol-${shuffle}-${k}`, text: order.slice(k, k + 10).map((o) => o.p).join('\n\n') });
  }
  return chunks();
}
const graphChunks = [await graphCorpus('graph-0'), await graphCorpus('graph-1')];
process.stderr.write(`set-up done: the graph workspaces have ${graphChunks.join(' and ')} chunks\n`);

let round = 0;
const tasks = {
  /** The 20 MB text as JSON, under a new id each time. */
  async bigText(): Promise<void> {
    await post('/v1/workspaces/big/documents', { id: `big-${round}`, title: 'big', text: TEXT });
  },
  async deepHtml(): Promise<void> {
    const form = new FormData();
    form.append('file', new Blob([HTML], { type: 'text/html' }), `deep-${round}.html`);
    const res = await fetch(`${url}/v1/workspaces/html/documents`, { method: 'POST', body: form });
    if (res.status >= 300) throw new Error(`deep HTML: ${res.status} ${await res.text()}`);
  },
  /** A first build (every chunk extracted) of this round's copy of the graph corpus. */
  async graphBuild(): Promise<void> {
    const { jobId } = await post(`/v1/workspaces/graph-${round}/graph`, {});
    for (;;) {
      const res = await fetch(`${url}/v1/jobs/${jobId}`);
      const state = (await res.json()) as { state: string; error?: string };
      if (res.status !== 200) throw new Error(`job ${jobId}: ${res.status} ${JSON.stringify(state)}`);
      if (state.state === 'succeeded') return;
      if (state.state === 'failed' || state.state === 'cancelled') throw new Error(`graph build ${state.state}: ${state.error}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  },
};
type TaskName = keyof typeof tasks;

interface Watch {
  health: number[];
  healthErrors: number;
  queries: number[];
  queryStatuses: number[];
  stop(): Promise<void>;
}

/** /health on a fixed schedule and /query one at a time, until stopped. */
function watch(): Watch {
  const w: Watch = { health: [], healthErrors: 0, queries: [], queryStatuses: [], stop: async () => {} };
  let stopped = false;
  const inFlight = new Set<Promise<void>>();
  const start = performance.now();
  let n = 0;
  const tick = () => {
    if (stopped) return;
    const due = start + n * HEALTH_EVERY_MS;
    n++;
    const p = fetch(`${url}/health`)
      .then(async (res) => {
        await res.arrayBuffer();
        if (res.ok) w.health.push(performance.now() - due);
        else w.healthErrors++;
      })
      .catch(() => void w.healthErrors++)
      .finally(() => inFlight.delete(p));
    inFlight.add(p);
    setTimeout(tick, Math.max(0, start + n * HEALTH_EVERY_MS - performance.now()));
  };
  tick();
  const questions = ["Who was Scrooge's partner?", 'What did Marley wear?', 'Where did Scrooge work?'];
  const queries = (async () => {
    for (let q = 0; !stopped; q++) {
      const t0 = performance.now();
      const res = await fetch(`${url}/query`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ workspace: 'probe', question: questions[q % questions.length], mode: 'rag', k: 3 }) });
      await res.arrayBuffer();
      w.queries.push(performance.now() - t0);
      w.queryStatuses.push(res.status);
      await new Promise((r) => setTimeout(r, QUERY_EVERY_MS));
    }
  })();
  w.stop = async () => {
    stopped = true;
    await queries;
    await Promise.all(inFlight);
  };
  return w;
}

function summary(w: Watch) {
  const h = [...w.health].sort((a, b) => a - b);
  const q = [...w.queries].sort((a, b) => a - b);
  return {
    healthRequests: h.length,
    healthErrors: w.healthErrors,
    healthP50Ms: percentile(h, 50),
    healthP99Ms: percentile(h, 99),
    healthMaxMs: h.at(-1) ?? 0,
    queries: q.length,
    queriesNot200: w.queryStatuses.filter((s) => s !== 200).length,
    queryP50Ms: percentile(q, 50),
    queryMaxMs: q.at(-1) ?? 0,
  };
}

async function timed(name: TaskName): Promise<number> {
  const t0 = performance.now();
  await tasks[name]();
  return (performance.now() - t0) / 1000;
}

const names = Object.keys(tasks) as TaskName[];
const idle: Record<string, number> = {};
const idleWatch = watch();
for (const name of names) {
  idle[name] = await timed(name);
  process.stderr.write(`idle ${name}: ${idle[name]!.toFixed(1)} s\n`);
}
await idleWatch.stop();

round = 1;
const loadedWatch = watch();
const loadedTimes = await Promise.all(names.map((name) => timed(name)));
await loadedWatch.stop();
const loaded = Object.fromEntries(names.map((name, i) => [name, loadedTimes[i]!]));
process.stderr.write(`loaded: ${JSON.stringify(loaded)}\n`);

// The 20 MB text, stored whole and chunked.
const stored = (await (await fetch(`${url}/v1/workspaces/big/documents/big-1`)).json()) as { text: string; chunks: Array<{ text: string; start: number; end: number }> };
const chunksSliceText = stored.chunks.every((c) => stored.text.slice(c.start, c.end) === c.text);
// In order, and tiling the text: between one chunk's end and the next one's start (when they do not overlap), only white space.
const gapIsSpace = (from: number, to: number) => stored.text.slice(from, to).trim() === '';
const chunksInOrder =
  gapIsSpace(0, stored.chunks[0]?.start ?? 0) &&
  gapIsSpace(stored.chunks.at(-1)?.end ?? 0, stored.text.length) &&
  stored.chunks.every((c, i) => i === 0 || (c.start > stored.chunks[i - 1]!.start && (c.start <= stored.chunks[i - 1]!.end || gapIsSpace(stored.chunks[i - 1]!.end, c.start))));
const storedWhole = stored.text === TEXT;
await server.kill('SIGTERM');

const during = summary(loadedWatch);
const ratios = Object.fromEntries(names.map((name) => [name, loaded[name]! / idle[name]!]));
const checks = {
  healthP99Within100Ms: during.healthP99Ms <= 100,
  queriesAllAnswered: during.queriesNot200 === 0 && during.queries > 0,
  eachTaskWithin2xIdle: names.every((name) => ratios[name]! <= 2),
  bigTextStoredWholeAndChunked: storedWhole && chunksSliceText && chunksInOrder && stored.chunks.length > 0,
};
console.log(table(names.map((name) => ({ task: name, 'idle s': idle[name]!.toFixed(1), 'concurrent s': loaded[name]!.toFixed(1), ratio: ratios[name]!.toFixed(2) }))));
console.log(table([{ phase: 'idle', ...summary(idleWatch) }, { phase: 'concurrent', ...during }].map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, typeof v === 'number' ? Number(v.toFixed(1)) : v])))));
console.log(table(Object.entries(checks).map(([check, ok]) => ({ check, result: ok ? 'pass' : 'FAIL' }))));
const path = await writeResult('responsive', {
  machine: machine(),
  settings: { textMB: TEXT_MB, htmlDepth: HTML_DEPTH, graphChunks, healthEveryMs: HEALTH_EVERY_MS, queryEveryMs: QUERY_EVERY_MS },
  idleSeconds: idle,
  concurrentSeconds: loaded,
  ratios,
  idle: summary(idleWatch),
  concurrent: during,
  bigText: { chars: stored.text.length, chunks: stored.chunks.length, storedWhole, chunksSliceText, chunksInOrder },
  checks,
  passed: Object.values(checks).every(Boolean),
});
console.log(`wrote ${path}`);
process.exit(Object.values(checks).every(Boolean) ? 0 : 1);
