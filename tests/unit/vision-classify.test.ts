import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { OnnxGraphBuilder } from '../../src/models/onnx/graph-builder.js';
import { Classifier, classifierSpecs, IMAGENET_MEAN, IMAGENET_STD, probabilities, resizeAndCentreCrop, topK } from '../../src/vision/classify/classify-pipeline.js';
import { decodeImage } from '../../src/vision/image.js';
import { ModelRegistry } from '../../src/vision/model-registry.js';
import { tempDir, testRuntime } from '../support/runtime.js';

const runtime = testRuntime();
afterAll(() => runtime.close());

/**
 * A stand-in classifier (not a trained model): input 1×3×224×224, global average pool, then
 * logits = mean colour · W. Its output is a known function of the preprocessed pixels.
 */
const W = [
  [1, 0, 0, 0.5],
  [0, 1, 0, 0.5],
  [0, 0, 1, -1],
];
function tinyClassifier(): Uint8Array {
  const b = new OnnxGraphBuilder('tiny-classifier');
  const x = b.input('pixel_values', 'float32', [1, 3, 224, 224]);
  const pooled = b.op('Flatten', [b.op('GlobalAveragePool', [x])]);
  b.op('MatMul', [pooled, b.initializer('w', 'float32', [3, 4], Float32Array.from(W.flat()))], {}, 'logits');
  b.output('logits', 'float32', [1, 4]);
  return b.toBytes();
}

describe('ImageNet-style classification of a user ONNX classifier', () => {
  it('softmax, top-k and the probability pass-through', () => {
    const p = probabilities(Float32Array.from([1, 2, 3]));
    const e = [Math.exp(-2), Math.exp(-1), 1];
    const z = e[0]! + e[1]! + e[2]!;
    expect(Array.from(p)).toEqual(e.map((v) => expect.closeTo(v / z, 6)));
    expect(probabilities(Float32Array.from([0.2, 0.8]))).toEqual(Float32Array.from([0.2, 0.8]));
    expect(topK(Float32Array.from([0.1, 0.6, 0.3]), ['a', 'b', 'c'], 2)).toEqual([{ label: 'b', classId: 1, score: expect.closeTo(0.6, 6) }, { label: 'c', classId: 2, score: expect.closeTo(0.3, 6) }]);
  });

  it('resizes the shorter side to 256 and keeps the centre 224 square', async () => {
    // 300×100: red middle third, blue outside. Resized to 768×256, the centre crop spans x 272…496,
    // inside the red band (256…512) with 16 px to spare, so the crop is pure red.
    const svg = '<svg xmlns="http://www.w3.org/2000/svg" width="300" height="100"><rect width="300" height="100" fill="#00f"/><rect x="100" width="100" height="100" fill="#f00"/></svg>';
    const image = await decodeImage(await sharp(Buffer.from(svg)).png().toBuffer(), { maxBytes: 1e6, maxPixels: 1e6 });
    const crop = await resizeAndCentreCrop(image);
    expect([crop.width, crop.height]).toEqual([224, 224]);
    let notRed = 0;
    for (let i = 0; i < crop.data.length; i += 3) if (crop.data[i] !== 255 || crop.data[i + 1] !== 0 || crop.data[i + 2] !== 0) notRed++;
    expect(notRed).toBe(0);
  });

  it('normalises with the ImageNet mean and std, and reports labels from the labels file (hand-computed)', async () => {
    const folder = tempDir('classifier');
    writeFileSync(join(folder, 'resnet-tiny.onnx'), tinyClassifier());
    writeFileSync(join(folder, 'resnet-tiny.labels.txt'), 'red\ngreen\nblue\nwarm\n');
    const specs = classifierSpecs(folder);
    expect(specs.map((s) => [s.id, s.inputShape])).toEqual([['resnet-tiny', [1, 3, 224, 224]]]);
    const registry = new ModelRegistry(runtime);
    specs.forEach((s) => registry.register(s));
    const red = await decodeImage(await sharp({ create: { width: 320, height: 240, channels: 3, background: '#ff0000' } }).png().toBuffer(), { maxBytes: 1e6, maxPixels: 1e6 });
    const result = await new Classifier(registry).run(red, 'resnet-tiny', 4);
    // Pooled channels of pure red: (1 − 0.485)/0.229, (0 − 0.456)/0.224, (0 − 0.406)/0.225.
    const m = [(1 - IMAGENET_MEAN[0]) / IMAGENET_STD[0], (0 - IMAGENET_MEAN[1]) / IMAGENET_STD[1], (0 - IMAGENET_MEAN[2]) / IMAGENET_STD[2]];
    const logits = [0, 1, 2, 3].map((j) => m[0]! * W[0]![j]! + m[1]! * W[1]![j]! + m[2]! * W[2]![j]!);
    const exp = logits.map((l) => Math.exp(l - Math.max(...logits)));
    const z = exp.reduce((a, b) => a + b, 0);
    const expected = exp.map((e, j) => ({ label: ['red', 'green', 'blue', 'warm'][j]!, classId: j, score: e / z })).sort((a, b) => b.score - a.score);
    expect(result.model).toBe('resnet-tiny');
    expect(result.predictions.map((p) => p.label)).toEqual(expected.map((p) => p.label));
    // float32 pooling over 50,176 pixels in ONNX Runtime carries ~1e-4 of rounding.
    result.predictions.forEach((p, i) => expect(p.score).toBeCloseTo(expected[i]!.score, 3));
  });
});
