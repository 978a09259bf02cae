/**
 * Vision models converted from TF.js graph models: ONNX Runtime against TF.js running the
 * original graph, on real photos (human's MIT-licensed samples.jpg), and the JS decoding of
 * CenterNet's heads against the original graph's own in-graph decoding.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { loadReferenceGraphModel, tf } from '../../scripts/lib/tfjs-reference.js';
import { CENTERNET, convertedOnnx, esrganSlim, NSFW_MOBILENET, SELFIE } from '../../src/vision/converted-models.js';
import type { ConvertedModel } from '../../src/vision/converted-models.js';
import { centernetPeaks } from '../../src/vision/detect/centernet-decode.js';
import { decodeImage, resizeRgb } from '../../src/vision/image.js';
import type { RgbImage } from '../../src/vision/image.js';
import { ModelRegistry } from '../../src/vision/model-registry.js';
import { SelfieSegmenter } from '../../src/vision/segment/selfie-pipeline.js';
import { toTensor } from '../../src/vision/tensor.js';
import { upscaleTiled } from '../../src/vision/upscale/esrgan-pipeline.js';
import { sharedModelCache, testRuntime } from '../support/runtime.js';

const runtime = testRuntime();
afterAll(() => runtime.close());
const cache = sharedModelCache();
const samples = join(dirname(createRequire(import.meta.url).resolve('@vladmandic/human')), '..', 'assets', 'samples.jpg');

/** Photos cut from samples.jpg: a portrait, a man at a table, and the group photo. */
async function photo(region: { left: number; top: number; width: number; height: number }): Promise<RgbImage> {
  return decodeImage(await sharp(samples).extract(region).png().toBuffer(), { maxBytes: 1e8, maxPixels: 1e8 });
}
const PORTRAIT = { left: 166, top: 0, width: 140, height: 156 };
const TABLE = { left: 325, top: 0, width: 210, height: 156 };
const GROUP = { left: 0, top: 200, width: 1280, height: 958 };

async function bothRuntimes(model: ConvertedModel, image: RgbImage, scale: number, tfOutputs: string[]) {
  const [, h, w] = model.inputShape;
  const input = toTensor(await resizeRgb(image, w, h), { mean: [0, 0, 0], std: [1, 1, 1], scale, order: 'rgb' }, 'nhwc');
  const session = await runtime.load(`parity:${model.id}`, await convertedOnnx(model, cache));
  const ours = await session.run({ [model.input]: input });
  const reference = await loadReferenceGraphModel(model.modelJson());
  const executed = reference.execute({ [model.input]: tf.tensor(input.data as Float32Array, input.dims) }, tfOutputs) as import('@tensorflow/tfjs').Tensor | import('@tensorflow/tfjs').Tensor[];
  const out = Array.isArray(executed) ? executed : [executed];
  const theirs = await Promise.all(out.map(async (t) => ({ dims: t.shape, data: (await t.data()) as Float32Array })));
  out.forEach((t) => t.dispose());
  return { ours, theirs };
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!));
  return max;
}

describe('CenterNet (converted) against TF.js', () => {
  for (const [name, region] of [['portrait', PORTRAIT], ['group photo', GROUP]] as const) {
    it(`${name}: heatmap within 1e-3; box extents within 1e-3 of the 16-px unit; decoded peaks match the graph's own decoding`, async () => {
      const { ours, theirs } = await bothRuntimes(CENTERNET, await photo(region), 1, ['tower_0/keypoints', 'tower_0/wh', 'tower_0/detections']);
      const [heat, sizes, detections] = theirs as [(typeof theirs)[0], (typeof theirs)[0], (typeof theirs)[0]];
      expect(ours.heatmap!.dims).toEqual(heat.dims);
      expect(maxAbsDiff(ours.heatmap!.data as Float32Array, heat.data)).toBeLessThanOrEqual(1e-3);
      // The graph multiplies the size head by 16 (tower_0/mul/y): its values are pixels, up to ~500;
      // compared in the head's own unit (÷ 16) the tolerance is the same 1e-3.
      expect(maxAbsDiff(ours.sizes!.data as Float32Array, sizes.data) / 16).toBeLessThanOrEqual(1e-3);

      const [, mh, mw, classes] = ours.heatmap!.dims as [number, number, number, number];
      const peaks = centernetPeaks(ours.heatmap!.data as Float32Array, ours.sizes!.data as Float32Array, mh, mw, classes, 100);
      const rows = Array.from({ length: 100 }, (_, i) => Array.from(detections.data.subarray(i * 6, i * 6 + 6)));
      const confident = rows.filter((r) => r[4]! > 0.05);
      expect(confident.length).toBeGreaterThan(0);
      confident.forEach((row, i) => {
        const p = peaks[i]!;
        expect([p.classId, p.score]).toEqual([row[5], expect.closeTo(row[4]!, 3)]);
        expect([p.box.x1, p.box.y1, p.box.x2, p.box.y2].map((v, k) => Math.abs(v - row[k]!))).toEqual([0, 0, 0, 0].map(() => expect.closeTo(0, 1)));
      });
    });
  }

  it('finds the person in the portrait and the person and the cup at the table', async () => {
    const registry = new ModelRegistry(runtime);
    const { CenternetDetector } = await import('../../src/vision/detect/centernet-pipeline.js');
    const { convertedSpec } = await import('../../src/vision/converted-models.js');
    registry.register(convertedSpec(CENTERNET, cache));
    const detector = new CenternetDetector(registry);
    const options = { scoreThreshold: 0.3, iouThreshold: 0.45, maxDetections: 10 };
    const portrait = await detector.run(await photo(PORTRAIT), options);
    expect(portrait.detections.map((d) => d.label)).toEqual(['person']);
    const box = portrait.detections[0]!.box;
    expect(box.x2 - box.x1).toBeGreaterThan(100); // the subject fills the 140×156 frame
    const table = await detector.run(await photo(TABLE), options);
    expect(table.detections.map((d) => d.label).sort()).toEqual(['cup', 'person']);
  });
});

describe('selfie segmentation (converted) against TF.js', () => {
  it('mask within 1e-3 of TF.js on a portrait and on the group photo', async () => {
    for (const region of [PORTRAIT, GROUP]) {
      const { ours, theirs } = await bothRuntimes(SELFIE, await photo(region), 255, ['activation_10']);
      expect(ours.mask!.dims).toEqual(theirs[0]!.dims);
      expect(maxAbsDiff(ours.mask!.data as Float32Array, theirs[0]!.data)).toBeLessThanOrEqual(1e-3);
    }
  });

  it('covers the person in a portrait, and nothing in a blank image', async () => {
    const registry = new ModelRegistry(runtime);
    const { convertedSpec } = await import('../../src/vision/converted-models.js');
    registry.register(convertedSpec(SELFIE, cache));
    const segmenter = new SelfieSegmenter(registry);
    const portrait = await segmenter.run(await photo(PORTRAIT));
    expect(portrait.coverage).toBeGreaterThan(0.35);
    expect(portrait.coverage).toBeLessThan(0.8);
    // The subject is centre-bottom; the top-left corner is background.
    const at = (x: number, y: number) => portrait.maskBytes[y * portrait.width + x]!;
    expect(at(70, 120)).toBeGreaterThan(200);
    expect(at(3, 3)).toBeLessThan(60);
    expect((await sharp(portrait.mask).metadata()).channels).toBe(1);
    const blank = await decodeImage(await sharp({ create: { width: 64, height: 64, channels: 3, background: '#f0f0f0' } }).png().toBuffer(), { maxBytes: 1e6, maxPixels: 1e6 });
    expect((await segmenter.run(blank)).coverage).toBeLessThan(0.02);
  });
});

describe('ESRGAN slim (layers model, converted) against TF.js', () => {
  it('x2 and x4 within 1e-3 of TF.js (0–255 scale) on a photo', async () => {
    const { loadReferenceLayersModel } = await import('../../scripts/lib/tfjs-layers-reference.js');
    const image = await photo({ left: 200, top: 20, width: 48, height: 40 });
    const input = toTensor(image, { mean: [0, 0, 0], std: [1, 1, 1], scale: 1, order: 'rgb' }, 'nhwc');
    for (const scale of [2, 4] as const) {
      const model = esrganSlim(scale);
      const session = await runtime.load(`parity:${model.id}`, await convertedOnnx(model, cache));
      const ours = (await session.run({ LR: input })).sr!;
      const reference = await loadReferenceLayersModel(model.modelJson());
      const want = reference.predict(tf.tensor(input.data as Float32Array, input.dims)) as import('@tensorflow/tfjs').Tensor;
      expect(ours.dims).toEqual([1, 40 * scale, 48 * scale, 3]);
      expect(ours.dims).toEqual(want.shape);
      expect(maxAbsDiff(ours.data as Float32Array, (await want.data()) as Float32Array)).toBeLessThanOrEqual(1e-3);
      want.dispose();
    }
  });

  it('tiles with a 16-px margin stitch to the whole-image result (within one grey level), and upscaling beats bilinear', async () => {
    const model = esrganSlim(2);
    const session = await runtime.load(`parity:${model.id}`, await convertedOnnx(model, cache));
    const image = await photo({ left: 180, top: 10, width: 100, height: 90 });
    const whole = await upscaleTiled(session, image, 2, { tile: 1000, margin: 0 });
    const tiled = await upscaleTiled(session, image, 2, { tile: 40, margin: 16 });
    expect([whole.tiles, tiled.tiles]).toEqual([1, 9]);
    let max = 0;
    tiled.image.data.forEach((v, i) => (max = Math.max(max, Math.abs(v - whole.image.data[i]!))));
    expect(max).toBeLessThanOrEqual(1);
    // Downscale the photo ×2, upscale it back: ESRGAN is closer to the original than bilinear.
    const small = await resizeRgb(image, 50, 45);
    const sr = (await upscaleTiled(session, small, 2)).image;
    const bilinear = await resizeRgb(small, 100, 90);
    const mse = (a: Uint8Array) => a.reduce((sum, v, i) => sum + (v - image.data[i]!) ** 2, 0) / a.length;
    expect(mse(sr.data)).toBeLessThan(mse(bilinear.data));
  });
});

describe('nsfwjs MobileNetV2 (layers model, converted) against TF.js', () => {
  it('class probabilities within 1e-3 of TF.js on two photos, and both photos are "Neutral"', async () => {
    const { loadReferenceLayersModel } = await import('../../scripts/lib/tfjs-layers-reference.js');
    const { Classifier } = await import('../../src/vision/classify/classify-pipeline.js');
    const { convertedSpec } = await import('../../src/vision/converted-models.js');
    const session = await runtime.load(`parity:${NSFW_MOBILENET.id}`, await convertedOnnx(NSFW_MOBILENET, cache));
    const reference = await loadReferenceLayersModel(NSFW_MOBILENET.modelJson());
    const registry = new ModelRegistry(runtime);
    registry.register(convertedSpec(NSFW_MOBILENET, cache));
    for (const region of [PORTRAIT, TABLE]) {
      const image = await photo(region);
      const input = toTensor(await resizeRgb(image, 224, 224), { mean: [0, 0, 0], std: [1, 1, 1], scale: 255, order: 'rgb' }, 'nhwc');
      const ours = (await session.run({ input_1: input })).probabilities!;
      const want = reference.predict(tf.tensor(input.data as Float32Array, input.dims)) as import('@tensorflow/tfjs').Tensor;
      expect(ours.dims).toEqual([1, 5]);
      expect(maxAbsDiff(ours.data as Float32Array, (await want.data()) as Float32Array)).toBeLessThanOrEqual(1e-3);
      want.dispose();
      const result = await new Classifier(registry).run(image, NSFW_MOBILENET.id, 5);
      expect(result.predictions[0]!.label).toBe('Neutral');
      expect(result.predictions.reduce((a, p) => a + p.score, 0)).toBeCloseTo(1, 4);
    }
  });
});
