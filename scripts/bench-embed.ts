/**
 * Embedding throughput: USE-lite on ONNX Runtime vs the TF.js reference (wasm backend), on
 * the HotpotQA-100 corpus at batch sizes 1, 8 and 32, plus the machine's measured GEMM limit.
 *   npm run bench:embed [-- --limit 200]
 * Each runtime runs in its own child process so that its peak RSS is its own.
 * Writes bench/results/embed.json.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { silentLogger } from '../src/core/logger.js';
import { inLengthSortedBatches } from '../src/embedding/batching.js';
import { SentencePieceTokenizer } from '../src/embedding/use-lite/sentencepiece.js';
import { UseLiteEmbedder } from '../src/embedding/use-lite/use-lite-embedder.js';
import { ModelCache } from '../src/models/model-cache.js';
import { OnnxGraphBuilder } from '../src/models/onnx/graph-builder.js';
import { useLitePackageDir } from '../src/models/use-lite-model.js';
import { OnnxRuntime } from '../src/runtime/onnx-runtime.js';
import { machine, table, writeResult } from './lib/bench.js';

const BATCH_SIZES = [1, 8, 32];
const MAX_TOKENS = 128;

const { values } = parseArgs({ options: { worker: { type: 'string' }, limit: { type: 'string' }, threads: { type: 'string', default: '2' } } });
const threads = Number(values.threads);

function corpus(): string[] {
  const path = fileURLToPath(new URL('../eval/data/hotpotqa-100/corpus.jsonl', import.meta.url));
  const texts = readFileSync(path, 'utf8').split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { text: string }).text);
  return values.limit ? texts.slice(0, Number(values.limit)) : texts;
}

/**
 * Multiply-adds of USE-lite for one passage of `n` tokens, counted from the graph: two
 * transformer layers (256→512 wide, 1536-wide FFN), attention over the passage, the output layer.
 */
function useLiteFlops(n: number): number {
  const layer0 = 2 * (256 * 768 + 256 * 512 + 256 * 512 + 512 * 1536 + 1536 * 512);
  const layer1 = 2 * (512 * 1536 + 512 * 512 + 512 * 1536 + 1536 * 512);
  const attention = 4 * n * n * (256 + 512);
  return n * (layer0 + layer1) + attention + 2 * 512 * 512;
}

interface RunStats {
  batch: number;
  seconds: number;
  passagesPerSec: number;
  tokensPerSec: number;
  gflopPerSec: number;
}

async function measure(texts: string[], tokenCounts: number[], embedAll: (batch: number) => Promise<void>): Promise<RunStats[]> {
  const tokens = tokenCounts.reduce((a, b) => a + b, 0);
  const flops = tokenCounts.reduce((a, n) => a + useLiteFlops(n), 0);
  const stats: RunStats[] = [];
  for (const batch of BATCH_SIZES) {
    const start = performance.now();
    await embedAll(batch);
    const seconds = (performance.now() - start) / 1000;
    stats.push({ batch, seconds, passagesPerSec: texts.length / seconds, tokensPerSec: tokens / seconds, gflopPerSec: flops / seconds / 1e9 });
    console.error(`  batch ${batch}: ${(texts.length / seconds).toFixed(1)} passages/s`);
  }
  return stats;
}

async function onnxWorker(texts: string[], tokenCounts: number[]) {
  const runtime = new OnnxRuntime({ device: 'cpu', intraOpThreads: threads, interOpThreads: 1, concurrencyPerModel: 1, logger: silentLogger });
  const cache = new ModelCache('.cache/models');
  const embedders = new Map<number, UseLiteEmbedder>();
  for (const b of BATCH_SIZES) embedders.set(b, await UseLiteEmbedder.create(runtime, cache, { batchSize: b }));
  await embedders.get(32)!.embed(texts.slice(0, 32)); // warm-up
  const runs = await measure(texts, tokenCounts, async (b) => void (await embedders.get(b)!.embed(texts)));
  await runtime.close();
  return runs;
}

async function tfjsWorker(texts: string[], ids: number[][], tokenCounts: number[]) {
  const { loadReferenceGraphModel, tf } = await import('./lib/tfjs-reference.js');
  const model = await loadReferenceGraphModel(`${useLitePackageDir()}/model.json`);
  const embedBatch = async (batch: number[][]) => {
    const flat = batch.flatMap((p, row) => p.map((_, col) => [row, col]));
    const indices = tf.tensor2d(flat, [flat.length, 2], 'int32');
    const valuesT = tf.tensor1d(batch.flat(), 'int32');
    const out = (await model.executeAsync({ indices, values: valuesT })) as import('@tensorflow/tfjs').Tensor;
    const data = await out.data();
    tf.dispose([indices, valuesT, out]);
    return batch.map((_, r) => data.slice(r * 512, (r + 1) * 512));
  };
  await embedBatch(ids.slice(0, 8)); // warm-up
  return measure(texts, tokenCounts, async (b) => void (await inLengthSortedBatches(tokenCounts, b, (positions) => embedBatch(positions.map((p) => ids[p]!)))));
}

/** The machine's practical FLOP limit: a large single-precision GEMM on ONNX Runtime (MLAS). */
async function gemmWorker() {
  const n = 1024;
  const b = new OnnxGraphBuilder('gemm');
  const x = b.input('x', 'float32', [n, n]);
  const w = b.initializer('w', 'float32', [n, n], Float32Array.from({ length: n * n }, (_, i) => ((i * 7919) % 1000) / 1000 - 0.5));
  b.op('MatMul', [x, w], {}, 'y');
  b.output('y', 'float32', [n, n]);
  const runtime = new OnnxRuntime({ device: 'cpu', intraOpThreads: threads, interOpThreads: 1, concurrencyPerModel: 1, logger: silentLogger });
  const session = await runtime.load('gemm', b.toBytes());
  const feed = { x: { type: 'float32' as const, data: Float32Array.from({ length: n * n }, (_, i) => (i % 13) / 13), dims: [n, n] } };
  await session.run(feed);
  // The limit is the best sustained rate: the fastest of several rounds (this machine is noisy).
  let best = 0;
  for (let round = 0; round < 6; round++) {
    const reps = 10;
    const start = performance.now();
    for (let i = 0; i < reps; i++) await session.run(feed);
    best = Math.max(best, (2 * n * n * n * reps) / ((performance.now() - start) / 1000) / 1e9);
  }
  await runtime.close();
  return { gflopPerSec: best };
}

async function worker(kind: string) {
  const texts = corpus();
  const vocabulary = JSON.parse(readFileSync(`${useLitePackageDir()}/vocab.json`, 'utf8'));
  const tokenizer = new SentencePieceTokenizer(vocabulary);
  const ids = texts.map((t) => tokenizer.encode(t).slice(0, MAX_TOKENS));
  const tokenCounts = ids.map((p) => p.length);
  const result = kind === 'onnx' ? await onnxWorker(texts, tokenCounts) : kind === 'tfjs' ? await tfjsWorker(texts, ids, tokenCounts) : await gemmWorker();
  const peakRssMiB = process.resourceUsage().maxRSS / 1024;
  const flopsPerPassage = tokenCounts.reduce((a, n) => a + useLiteFlops(n), 0) / texts.length;
  process.stdout.write(JSON.stringify({ result, peakRssMiB, passages: texts.length, tokens: tokenCounts.reduce((a, b) => a + b, 0), flopsPerPassage }) + '\n');
}

function runChild(kind: string): { result: unknown; peakRssMiB: number; passages: number; tokens: number; flopsPerPassage: number } {
  console.error(`${kind}:`);
  const args = ['--import', 'tsx', fileURLToPath(import.meta.url), '--worker', kind, '--threads', String(threads)];
  if (values.limit) args.push('--limit', values.limit);
  const out = execFileSync(process.execPath, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 24 });
  return JSON.parse(out.trim().split('\n').pop()!);
}

async function main() {
  const onnx = runChild('onnx');
  const tfjs = runChild('tfjs');
  const gemm = runChild('gemm');
  const peak = (gemm.result as { gflopPerSec: number }).gflopPerSec;
  const rows = (['onnx', 'tfjs'] as const).flatMap((name) => {
    const r = name === 'onnx' ? onnx : tfjs;
    return (r.result as RunStats[]).map((s) => ({
      runtime: name === 'onnx' ? 'onnxruntime (cpu)' : 'tfjs (wasm)',
      batch: s.batch,
      'passages/s': s.passagesPerSec,
      'tokens/s': Math.round(s.tokensPerSec),
      'GFLOP/passage': r.flopsPerPassage / 1e9,
      'GFLOP/s': s.gflopPerSec,
      '% of GEMM limit': (100 * s.gflopPerSec) / peak,
      'peak RSS MiB': Math.round(r.peakRssMiB),
    }));
  });
  const at32 = (r: typeof onnx) => (r.result as RunStats[]).find((s) => s.batch === 32)!;
  const speedup = at32(onnx).passagesPerSec / at32(tfjs).passagesPerSec;
  console.log(table(rows));
  console.log(`\nspeedup vs tfjs at batch 32: ${speedup.toFixed(2)}×; measured GEMM limit (ORT MatMul 1024³, ${threads} threads): ${peak.toFixed(1)} GFLOP/s`);
  const path = await writeResult('embed', {
    machine: machine(),
    corpus: 'eval/data/hotpotqa-100 (HotpotQA-100)',
    passages: onnx.passages,
    tokensPerPassage: onnx.tokens / onnx.passages,
    gflopPerPassage: onnx.flopsPerPassage / 1e9,
    threads,
    onnx: { passagesPerSec: at32(onnx).passagesPerSec, gflopPerSec: at32(onnx).gflopPerSec, peakRssMiB: onnx.peakRssMiB, runs: onnx.result },
    tfjs: { passagesPerSec: at32(tfjs).passagesPerSec, gflopPerSec: at32(tfjs).gflopPerSec, peakRssMiB: tfjs.peakRssMiB, runs: tfjs.result },
    speedupVsTfjs: speedup,
    gemmLimitGflopPerSec: peak,
    fractionOfGemmLimit: at32(onnx).gflopPerSec / peak,
  });
  console.log(`wrote ${path}`);
}

if (values.worker) await worker(values.worker);
else await main();
