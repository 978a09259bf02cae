/**
 * End-to-end ingest throughput against the embedder alone, on the same texts: the HotpotQA-100
 * corpus (994 passages) written as files and ingested as a folder job through the HTTP API,
 * then the very chunks it produced embedded directly. Also bytes on disk per stored chunk.
 *   npm run bench:ingest
 * Writes bench/results/ingest.json.
 */
import { mkdtempSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config/config.js';
import { HOTPOTQA_100, readCorpus } from './lib/datasets.js';
import { machine, table, writeResult } from './lib/bench.js';

const corpus = readCorpus(HOTPOTQA_100);
const corporaDir = mkdtempSync(join(tmpdir(), 'bench-ingest-corpora-'));
corpus.forEach((p, i) => writeFileSync(join(corporaDir, `p${String(i).padStart(4, '0')}.txt`), p.text));
const dataDir = mkdtempSync(join(tmpdir(), 'bench-ingest-data-'));
const app = await buildApp(loadConfig({ ...process.env, DATA_DIR: dataDir, CORPORA_DIR: corporaDir, SAMPLE_INGEST: 'false', LOG_LEVEL: 'warn' }));
await app.ready();
const { embedder, workspaces } = app.services;
await embedder.embed(corpus.slice(0, 32).map((p) => p.text)); // warm-up

let start = performance.now();
const { jobId } = (await app.inject({ method: 'POST', url: '/v1/workspaces/bench/ingest', payload: { path: '.' } })).json() as { jobId: string };
let job: { state: string; progress: { documents: number; chunks: number; errors: unknown[] } };
do {
  await new Promise((r) => setTimeout(r, 100));
  job = (await app.inject(`/v1/jobs/${jobId}`)).json();
} while (job.state === 'running' || job.state === 'queued');
const endToEnd = (performance.now() - start) / 1000;
if (job.state !== 'succeeded' || job.progress.errors.length) throw new Error(`ingest job ended ${job.state}: ${JSON.stringify(job.progress.errors.slice(0, 3))}`);

const ws = workspaces.get('bench');
const chunkTexts = ws.docs.getChunks(ws.docs.allChunkIds()).map((c) => c.text);
start = performance.now();
await embedder.embed(chunkTexts, { priority: 'batch' });
const embedOnly = (performance.now() - start) / 1000;

await ws.vectors.persist();
const folder = join(dataDir, 'workspaces', 'bench');
const bytes = readdirSync(folder).reduce((n, f) => n + statSync(join(folder, f)).size, 0);
const { documents, chunks } = ws.docs.counts();
await app.close();

const rows = [
  { path: 'end to end (HTTP folder job)', seconds: endToEnd, 'docs/s': documents / endToEnd, 'chunks/s': chunks / endToEnd },
  { path: 'embedder alone, same chunks', seconds: embedOnly, 'docs/s': documents / embedOnly, 'chunks/s': chunks / embedOnly },
];
console.log(table(rows));
const overheadVsEmbed = endToEnd / embedOnly;
console.log(`\n${documents} documents, ${chunks} chunks; end-to-end ÷ embedding-only = ${overheadVsEmbed.toFixed(3)}; ${Math.round(bytes / chunks)} bytes on disk per chunk`);
const path = await writeResult('ingest', {
  machine: machine(),
  corpus: HOTPOTQA_100,
  embedder: embedder.id,
  documents,
  chunks,
  endToEndSeconds: endToEnd,
  embedOnlySeconds: embedOnly,
  overheadVsEmbed,
  chunksPerSec: chunks / endToEnd,
  bytesOnDisk: bytes,
  bytesPerChunk: bytes / chunks,
});
console.log(`wrote ${path}`);
