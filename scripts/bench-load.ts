/**
 * Load: autocannon against /query (mode rag) and /search of the real server on loopback,
 * with authentication on, while folder-ingestion jobs run without pause (each round rewrites
 * the corpus files, so every job replaces every document: real work, constant data size).
 * Then a soak of mixed /query and /search traffic, sampling the server's resident memory.
 *   npm run bench:load [-- --seconds 20 --soak 600 --connections 4]
 * Writes bench/results/load.json: throughput, p50/p99, error rate per phase, and the memory
 * series with its verdict (flat = the last minute's median RSS within 15% of the second
 * minute's, and a slope over the second half below 2 MiB/min).
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { HOTPOTQA_100, readCorpus, readQuestions } from './lib/datasets.js';
import { machine, table, writeResult } from './lib/bench.js';
import { startServer } from './lib/server-process.js';

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '20' }, soak: { type: 'string', default: '600' }, connections: { type: 'string', default: '4' } } });
const PHASE_SECONDS = Number(values.seconds);
const SOAK_SECONDS = Number(values.soak);
const CONNECTIONS = Number(values.connections);
const KEY = 'bench-load-admin-key-0123456789abcdef';
const auth = { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' };

const corpus = readCorpus(HOTPOTQA_100);
const questions = readQuestions(HOTPOTQA_100).map((q) => q.question);
const corporaDir = mkdtempSync(join(tmpdir(), 'bench-load-corpora-'));
const churnDir = join(corporaDir, 'churn');
const churnDocs = corpus.slice(0, 120);
function writeChurnFiles(round: number): void {
  mkdirSync(churnDir, { recursive: true });
  churnDocs.forEach((p, i) => writeFileSync(join(churnDir, `c${i}.txt`), `${p.text}\n\nRevision ${round}.`));
}
writeFileSync(join(corporaDir, 'seed.jsonl'), corpus.map((p) => JSON.stringify({ id: p.id, title: p.title, text: p.text })).join('\n'));

const server = await startServer({ DATA_DIR: mkdtempSync(join(tmpdir(), 'bench-load-data-')), CORPORA_DIR: corporaDir, SAMPLE_INGEST: 'false', AUTH: 'on', ADMIN_API_KEY: KEY, RATE_LIMIT_PER_MINUTE: '10000000', RATE_LIMIT_BURST: '1000000', MAX_JOBS_PER_WORKSPACE: '4', ORT_INTRA_OP_THREADS: '0' });
const api = async (method: string, path: string, body?: unknown) => {
  const res = await fetch(`${server.url}${path}`, { method, headers: auth, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as Record<string, any> };
};
async function runJob(path: string, workspace: string): Promise<void> {
  const { body } = await api('POST', `/v1/workspaces/${workspace}/ingest`, { path, glob: '**/*.{txt,jsonl}' });
  for (;;) {
    const job = (await api('GET', `/v1/jobs/${body.jobId}`)).body;
    if (!['queued', 'running'].includes(job.state)) {
      if (job.state !== 'succeeded') throw new Error(`ingest job ${job.state}: ${JSON.stringify(job.error ?? job.progress.errors)}`);
      return;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

console.error('ingesting the HotpotQA-100 passages into workspace "load"…');
await runJob('.', 'load');

// Ingestion that never stops while load runs: each round rewrites the churn files and ingests them again.
let ingesting = true;
let rounds = 0;
const churn = (async () => {
  while (ingesting) {
    writeChurnFiles(++rounds);
    await runJob('churn', 'churn');
  }
})();

const rssMiB = () => {
  const status = readFileSync(`/proc/${server.child.pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) / 1024;
};

function requestsFor(kind: 'query' | 'search' | 'mixed'): autocannon.Request[] {
  return questions.slice(0, 50).flatMap((question, i) => {
    const query = { method: 'POST' as const, path: '/query', headers: auth, body: JSON.stringify({ question, workspace: 'load', mode: 'rag', k: 5 }) };
    const search = { method: 'POST' as const, path: '/v1/workspaces/load/search', headers: auth, body: JSON.stringify({ query: question, k: 10 }) };
    return kind === 'query' ? [query] : kind === 'search' ? [search] : [i % 2 ? query : search];
  });
}

async function phase(name: string, kind: 'query' | 'search' | 'mixed', seconds: number, sample?: (s: { t: number; rssMiB: number }) => void) {
  const started = Date.now();
  const sampler = sample ? setInterval(() => sample({ t: (Date.now() - started) / 1000, rssMiB: rssMiB() }), 5000) : undefined;
  const result = await autocannon({ url: server.url, connections: CONNECTIONS, duration: seconds, requests: requestsFor(kind) });
  clearInterval(sampler);
  const total = result.requests.total;
  const failures = result.errors + result.timeouts + result.non2xx;
  return { phase: name, seconds, requests: total, 'req/s': result.requests.average, p50Ms: result.latency.p50, p99Ms: result.latency.p99, errors: failures, errorRate: total ? failures / total : 0 };
}

const phases = [];
phases.push(await phase('/query rag, during ingestion', 'query', PHASE_SECONDS));
phases.push(await phase('/search hybrid, during ingestion', 'search', PHASE_SECONDS));
const memory: Array<{ t: number; rssMiB: number }> = [{ t: 0, rssMiB: rssMiB() }];
console.error(`soak: ${SOAK_SECONDS} s of mixed /query and /search, ingestion running…`);
phases.push(await phase('soak: mixed, during ingestion', 'mixed', SOAK_SECONDS, (s) => memory.push(s)));
ingesting = false;
await churn;
await server.kill('SIGTERM');

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;
const window = (from: number, to: number) => memory.filter((m) => m.t >= from && m.t < to).map((m) => m.rssMiB);
const secondMinute = median(window(60, 120));
const lastMinute = median(window(SOAK_SECONDS - 60, SOAK_SECONDS + 10));
const half = memory.filter((m) => m.t >= SOAK_SECONDS / 2);
const slope = (() => {
  const n = half.length;
  if (n < 2) return 0;
  const mt = half.reduce((a, m) => a + m.t, 0) / n;
  const mr = half.reduce((a, m) => a + m.rssMiB, 0) / n;
  const cov = half.reduce((a, m) => a + (m.t - mt) * (m.rssMiB - mr), 0);
  const vt = half.reduce((a, m) => a + (m.t - mt) ** 2, 0);
  return (cov / vt) * 60; // MiB per minute
})();
const flat = lastMinute <= secondMinute * 1.15 && slope < 2;

console.log(table(phases.map((p) => ({ ...p, errorRate: `${(p.errorRate * 100).toFixed(2)}%` }))));
console.log(`\ningestion rounds completed during the run: ${rounds}; memory (RSS): second minute ${secondMinute.toFixed(0)} MiB, last minute ${lastMinute.toFixed(0)} MiB, slope over the second half ${slope.toFixed(2)} MiB/min → ${flat ? 'flat' : 'GROWING'}`);
const path = await writeResult('load', { machine: machine(), connections: CONNECTIONS, auth: true, ingestionRounds: rounds, phases, memory: { secondMinuteMiB: secondMinute, lastMinuteMiB: lastMinute, slopeMiBPerMin: slope, flat, samples: memory } });
console.log(`wrote ${path}`);
if (phases.some((p) => p.errors > 0) || !flat) process.exitCode = 1;
