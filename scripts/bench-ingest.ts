/**
 * End-to-end ingest throughput against the embedder alone, on the same texts: the HotpotQA-100
 * corpus (994 passages) written as files and ingested as a folder job through the HTTP API,
 * then the very chunks it produced embedded directly (alternating, seven times: the embedder-alone
 * time varies by ±6% from run to run on a 2-core machine; medians are
 * reported). Also bytes on disk per stored chunk.
 *   npm run bench:ingest
 * Writes bench/results/ingest.json.
 */
import { mkdtempSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config/config.js';
import type { Embedder } from '../src/embedding/embedder.js';
import { UseLiteEmbedder } from '../src/embedding/use-lite/use-lite-embedder.js';
import { ModelCache } from '../src/models/model-cache.js';
import { HOTPOTQA_100, readCorpus } from './lib/datasets.js';
import { cpuSeconds, ingestFolderJob, machine, table, writeResult } from './lib/bench.js';

const corpus = readCorpus(HOTPOTQA_100);
const corporaDir = mkdtempSync(join(tmpdir(), 'bench-ingest-corpora-'));
corpus.forEach((p, i) => writeFileSync(join(corporaDir, `p${String(i).padStart(4, '0')}.txt`), p.text));
const dataDir = mkdtempSync(join(tmpdir(), 'bench-ingest-data-'));
const app = await buildApp(loadConfig({ ...process.env, DATA_DIR: dataDir, CORPORA_DIR: corporaDir, SAMPLE_INGEST: 'false', LOG_LEVEL: 'warn' }));
await app.ready();
const { embedder, workspaces } = app.services;
await embedder.embed(corpus.slice(0, 32).map((p) => p.text)); // warm-up

async function freshEmbedder(): Promise<Embedder> {
  const config = app.services.config;
  if (config.EMBEDDER !== 'use-lite') return embedder;
  return UseLiteEmbedder.create(app.services.runtime, new ModelCache(config.MODEL_CACHE_DIR), { batchSize: config.EMBED_BATCH_SIZE });
}

/** One end-to-end ingest of the corpus folder into a fresh workspace, through the HTTP API. */
async function endToEndRun(workspace: string): Promise<number> {
  return (await ingestFolderJob(app, workspace)).seconds;
}

// Alternate the two measurements, so that drift in the machine's speed hits both alike.
// CPU seconds of the whole process and of the main thread tell how much of the gap is work the
// pipeline adds (and where) and how much is cores left idle.
type Cpu = { all: number; main: number | null };
const cpuSince = (start: Cpu): Cpu => {
  const now = cpuSeconds();
  return { all: now.all - start.all, main: now.main === null || start.main === null ? null : now.main - start.main };
};
const runs: Array<{ endToEnd: number; embedOnly: number; endToEndCpu: Cpu; embedOnlyCpu: Cpu }> = [];
for (let r = 0; r < Number(process.env.BENCH_REPEAT ?? 7); r++) {
  const cpuStart = cpuSeconds();
  const endToEnd = await endToEndRun(`bench${r}`);
  const endToEndCpu = cpuSince(cpuStart);
  const ws = await workspaces.get(`bench${r}`);
  const chunkTexts = (await ws.docs.getChunks(await ws.docs.allChunkIds())).map((c) => c.text);
  // A fresh embedder (same model session, empty tokenisation cache), so that the baseline
  // tokenises the texts as the pipeline did.
  const alone = await freshEmbedder();
  const start = performance.now();
  const embedCpuStart = cpuSeconds();
  await alone.embed(chunkTexts, { priority: 'batch' });
  runs.push({ endToEnd, embedOnly: (performance.now() - start) / 1000, endToEndCpu, embedOnlyCpu: cpuSince(embedCpuStart) });
  const last = runs.at(-1)!;
  const cpu = (c: Cpu) => `CPU ${c.all.toFixed(1)} s, main thread ${c.main?.toFixed(1) ?? '?'} s`;
  console.error(`run ${r + 1}: end to end ${endToEnd.toFixed(1)} s (${cpu(last.endToEndCpu)}), embedder alone ${last.embedOnly.toFixed(1)} s (${cpu(last.embedOnlyCpu)})`);
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const endToEnd = median(runs.map((r) => r.endToEnd));
const embedOnly = median(runs.map((r) => r.embedOnly));
const ws = await workspaces.get('bench0');
await ws.vectors.persist();
const folder = join(dataDir, 'workspaces', 'bench0');
const bytes = readdirSync(folder).reduce((n, f) => n + statSync(join(folder, f)).size, 0);
const { documents, chunks } = await ws.docs.counts();
await app.close();

const rows = [
  { path: 'end to end (HTTP folder job)', seconds: endToEnd, 'docs/s': documents / endToEnd, 'chunks/s': chunks / endToEnd },
  { path: 'embedder alone, same chunks', seconds: embedOnly, 'docs/s': documents / embedOnly, 'chunks/s': chunks / embedOnly },
];
console.log(table(rows));
const overheadVsEmbed = median(runs.map((r) => r.endToEnd / r.embedOnly));
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
  runs,
  chunksPerSec: chunks / endToEnd,
  bytesOnDisk: bytes,
  bytesPerChunk: bytes / chunks,
});
console.log(`wrote ${path}`);
