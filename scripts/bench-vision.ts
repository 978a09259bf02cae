/**
 * Vision endpoints: p50 latency and images/s per endpoint through the real HTTP app (inject),
 * and, for every model converted from TF.js, ONNX Runtime against the TF.js reference (wasm
 * backend) on the same input, one thread each.
 *   npm run bench:vision [-- --runs 10]
 * Writes bench/results/vision.json.
 */
import { mkdtempSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config/config.js';
import { silentLogger } from '../src/core/logger.js';
import { ModelCache } from '../src/models/model-cache.js';
import { OnnxRuntime } from '../src/runtime/onnx-runtime.js';
import { CENTERNET, convertedOnnx, esrganSlim, NSFW_MOBILENET, SELFIE } from '../src/vision/converted-models.js';
import type { ConvertedModel } from '../src/vision/converted-models.js';
import { machine, percentile, table, writeResult } from './lib/bench.js';
import { loadReferenceLayersModel } from './lib/tfjs-layers-reference.js';
import { loadReferenceGraphModel, tf, useWasmBackend } from './lib/tfjs-reference.js';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '10' } } });
const RUNS = Number(values.runs);
const SAMPLES = join(dirname(createRequire(import.meta.url).resolve('@vladmandic/human')), '..', 'assets', 'samples.jpg');

async function timed(runs: number, fn: () => Promise<unknown>): Promise<{ p50: number; mean: number; perSecond: number }> {
  await fn(); // warm-up: model load / conversion
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await fn();
    ms.push(performance.now() - t);
  }
  const sorted = [...ms].sort((a, b) => a - b);
  const mean = ms.reduce((a, b) => a + b, 0) / ms.length;
  return { p50: percentile(sorted, 50), mean, perSecond: 1000 / mean };
}

async function textPng(): Promise<Buffer> {
  const lines = ['Invoice 2026-117', 'Total due: 348.50 EUR', 'Payable within thirty days', 'Bank transfer to the account below'];
  const text = lines.map((l, i) => `<text x="20" y="${60 + i * 56}" font-family="DejaVu Sans" font-size="32" fill="#111">${l}</text>`).join('');
  return sharp(Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" width="640" height="280"><rect width="100%" height="100%" fill="#fff"/>${text}</svg>`)).png().toBuffer();
}

async function endpoints() {
  const app = await buildApp(loadConfig({ LOG_LEVEL: 'silent', SAMPLE_INGEST: 'false', DATA_DIR: mkdtempSync(join(tmpdir(), 'bench-vision-')), MODEL_CACHE_DIR: join(process.cwd(), '.cache', 'models'), MODEL_CONCURRENCY: '1', UPSCALE_MAX_PIXELS: String(256 * 256) }));
  await app.ready();
  const photo = await sharp(SAMPLES).extract({ left: 0, top: 200, width: 640, height: 480 }).png().toBuffer();
  const portrait = await sharp(SAMPLES).extract({ left: 166, top: 0, width: 140, height: 156 }).resize(256, 285).png().toBuffer();
  const small = await sharp(photo).resize(128, 96).png().toBuffer();
  const cases: Array<{ endpoint: string; image: string; bytes: Buffer; url: string }> = [
    { endpoint: 'ocr', image: '640×280 rendered text, 4 lines', bytes: await textPng(), url: '/v1/vision/ocr' },
    { endpoint: 'detect (centernet)', image: '640×480 photo', bytes: photo, url: '/v1/vision/detect' },
    { endpoint: 'segment (selfie)', image: '256×285 portrait', bytes: portrait, url: '/v1/vision/segment' },
    { endpoint: 'classify (nsfwjs)', image: '256×285 portrait', bytes: portrait, url: '/v1/vision/classify' },
    { endpoint: 'upscale ×2', image: '128×96 photo → 256×192', bytes: small, url: '/v1/vision/upscale?scale=2' },
    { endpoint: 'upscale ×4', image: '128×96 photo → 512×384', bytes: small, url: '/v1/vision/upscale?scale=4' },
  ];
  const rows = [];
  for (const c of cases) {
    const payload = { image: c.bytes.toString('base64') };
    const r = await timed(RUNS, async () => {
      const res = await app.inject({ method: 'POST', url: c.url, payload });
      if (res.statusCode !== 200) throw new Error(`${c.url}: ${res.statusCode} ${res.body}`);
    });
    rows.push({ endpoint: c.endpoint, image: c.image, p50Ms: r.p50, imagesPerSecond: r.perSecond });
  }
  await app.close();
  return rows;
}

async function onnxVsTfjs() {
  await useWasmBackend();
  const runtime = new OnnxRuntime({ device: 'cpu', intraOpThreads: 1, interOpThreads: 1, concurrencyPerModel: 1, logger: silentLogger });
  const cache = new ModelCache(join(process.cwd(), '.cache', 'models'));
  const models: Array<{ model: ConvertedModel; shape: number[]; scale: number; layers: boolean }> = [
    { model: CENTERNET, shape: [1, 512, 512, 3], scale: 255, layers: false },
    { model: SELFIE, shape: [1, 256, 256, 3], scale: 1, layers: false },
    { model: NSFW_MOBILENET, shape: [1, 224, 224, 3], scale: 1, layers: true },
    { model: esrganSlim(2), shape: [1, 96, 128, 3], scale: 255, layers: true },
    { model: esrganSlim(4), shape: [1, 96, 128, 3], scale: 255, layers: true },
  ];
  const rows = [];
  for (const { model, shape, scale, layers } of models) {
    const n = shape.reduce((a, b) => a * b, 1);
    let seed = 11;
    const data = Float32Array.from({ length: n }, () => ((seed = (seed * 16807) % 2147483647) / 2147483647) * scale);
    const session = await runtime.load(model.id, await convertedOnnx(model, cache));
    const onnx = await timed(RUNS, () => session.run({ [model.input]: { type: 'float32', data, dims: shape } }));
    const input = tf.tensor(data, shape);
    let tfjs;
    if (layers) {
      const ref = await loadReferenceLayersModel(model.modelJson());
      tfjs = await timed(RUNS, async () => {
        const out = ref.predict(input) as import('@tensorflow/tfjs').Tensor;
        await out.data();
        out.dispose();
      });
    } else {
      const ref = await loadReferenceGraphModel(model.modelJson());
      const outputs = Object.keys(model.outputs);
      tfjs = await timed(RUNS, async () => {
        const out = ref.execute({ [model.input]: input }, outputs) as import('@tensorflow/tfjs').Tensor | import('@tensorflow/tfjs').Tensor[];
        for (const t of Array.isArray(out) ? out : [out]) {
          await t.data();
          t.dispose();
        }
      });
    }
    input.dispose();
    rows.push({ model: model.id, input: shape.join('×'), onnxP50Ms: onnx.p50, tfjsP50Ms: tfjs.p50, speedup: tfjs.p50 / onnx.p50 });
  }
  await runtime.close();
  return rows;
}

const endpointRows = await endpoints();
console.log(`Vision endpoints (HTTP inject, base64 JSON in, JSON out; ${RUNS} runs after a warm-up)\n${table(endpointRows)}\n`);
const parityRows = await onnxVsTfjs();
console.log(`Converted models: ONNX Runtime vs TF.js wasm, one thread each (${RUNS} runs)\n${table(parityRows)}\n`);
const path = await writeResult('vision', { machine: machine(), runs: RUNS, threads: { onnx: 1, tfjs: 'wasm, single-threaded' }, endpoints: endpointRows, converted: parityRows, target: 'ONNX ≥ 3× TF.js' });
console.log(`wrote ${path}`);
