/**
 * The sub-pixel rewrite of nearest upsampling + 'same' convolution (src/models/tfjs/subpixel.ts):
 * its kernels against brute-force upsample-then-convolve, and layers models that use it converted
 * and run against TF.js.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import onnxProto from 'onnx-proto';
import { afterAll, describe, expect, it } from 'vitest';
import { loadReferenceLayersModel } from '../../scripts/lib/tfjs-layers-reference.js';
import { tf, useWasmBackend } from '../../scripts/lib/tfjs-reference.js';
import { seededRandom } from '../../src/core/random.js';
import { convertTfGraphToOnnx } from '../../src/models/tfjs/convert.js';
import { layerOutput, loadTfLayersModel } from '../../src/models/tfjs/layers-model.js';
import { subpixelBias, subpixelKernel } from '../../src/models/tfjs/subpixel.js';
import { tempDir, testRuntime } from '../support/runtime.js';

const runtime = testRuntime();
afterAll(() => runtime.close());

interface Image {
  h: number;
  w: number;
  c: number;
  data: Float32Array; // HWC
}

function randomArray(n: number, seed: number): Float32Array {
  const random = seededRandom(seed);
  return Float32Array.from({ length: n }, () => random() * 2 - 1);
}

/** Stride-1 convolution with TF's 'same' zero padding (odd kernels), TF kernel layout [kh, kw, cin, cout]. */
function convSame(x: Image, kernel: Float32Array, [kh, kw, cin, cout]: number[], bias?: Float32Array): Image {
  const out = new Float32Array(x.h * x.w * cout!);
  const [rh, rw] = [(kh! - 1) / 2, (kw! - 1) / 2];
  for (let y = 0; y < x.h; y++)
    for (let xx = 0; xx < x.w; xx++)
      for (let o = 0; o < cout!; o++) {
        let sum = bias?.[o] ?? 0;
        for (let dy = -rh; dy <= rh; dy++)
          for (let dx = -rw; dx <= rw; dx++) {
            const [sy, sx] = [y + dy, xx + dx];
            if (sy < 0 || sx < 0 || sy >= x.h || sx >= x.w) continue;
            for (let i = 0; i < cin!; i++) sum += x.data[(sy * x.w + sx) * cin! + i]! * kernel[(((dy + rh) * kw! + (dx + rw)) * cin! + i) * cout! + o]!;
          }
        out[(y * x.w + xx) * cout! + o] = sum;
      }
  return { h: x.h, w: x.w, c: cout!, data: out };
}

function upsampleNearest(x: Image, s: number): Image {
  const out = new Float32Array(x.h * s * x.w * s * x.c);
  for (let y = 0; y < x.h * s; y++)
    for (let xx = 0; xx < x.w * s; xx++)
      for (let c = 0; c < x.c; c++) out[(y * x.w * s + xx) * x.c + c] = x.data[(Math.floor(y / s) * x.w + Math.floor(xx / s)) * x.c + c]!;
  return { h: x.h * s, w: x.w * s, c: x.c, data: out };
}

/** TF's DepthToSpace (NHWC): output (a·s + p, b·s + q, c) ← input (a, b, (p·s + q)·C + c). */
function depthToSpace(x: Image, s: number): Image {
  const c = x.c / (s * s);
  const out = new Float32Array(x.data.length);
  for (let a = 0; a < x.h; a++)
    for (let b = 0; b < x.w; b++)
      for (let p = 0; p < s; p++)
        for (let q = 0; q < s; q++)
          for (let k = 0; k < c; k++) out[((a * s + p) * x.w * s + b * s + q) * c + k] = x.data[(a * x.w + b) * x.c + (p * s + q) * c + k]!;
  return { h: x.h * s, w: x.w * s, c, data: out };
}

describe('sub-pixel kernels against upsample-then-convolve', () => {
  it.each([
    [2, [3, 3]],
    [4, [3, 3]],
    [3, [5, 5]],
    [2, [3, 5]],
    [2, [1, 1]],
  ] as const)('factor %i, kernel %j', (s, [kh, kw]) => {
    const [cin, cout] = [3, 2];
    const x: Image = { h: 5, w: 4, c: cin, data: randomArray(5 * 4 * cin, 1) };
    const shape = [kh, kw, cin, cout];
    const kernel = randomArray(kh * kw * cin * cout, 2);
    const bias = Float32Array.from([0.5, -0.25]);
    const want = convSame(upsampleNearest(x, s), kernel, shape, bias);
    const folded = subpixelKernel(kernel, shape, s);
    const got = depthToSpace(convSame(x, folded.data, folded.shape, subpixelBias(bias, s)), s);
    expect([got.h, got.w, got.c]).toEqual([want.h, want.w, want.c]);
    let max = 0;
    want.data.forEach((v, i) => (max = Math.max(max, Math.abs(v - got.data[i]!))));
    expect(max).toBeLessThanOrEqual(1e-5);
  });
});

describe('layers models with UpSampling2D → Conv2D, converted, against TF.js', () => {
  /** Saves a functional TF.js model as a Keras-topology model.json with one weight shard. */
  async function save(model: import('@tensorflow/tfjs').LayersModel): Promise<string> {
    const dir = tempDir('subpixel');
    await model.save(
      tf.io.withSaveHandler(async (artifacts) => {
        writeFileSync(join(dir, 'weights.bin'), Buffer.from(artifacts.weightData as ArrayBuffer));
        const json = { format: 'layers-model', modelTopology: { model_config: artifacts.modelTopology }, weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs }] };
        writeFileSync(join(dir, 'model.json'), JSON.stringify(json));
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
      }),
    );
    return join(dir, 'model.json');
  }

  async function convertAndCompare(model: import('@tensorflow/tfjs').LayersModel, output: string): Promise<string[]> {
    const path = await save(model);
    const graph = await loadTfLayersModel(path);
    const bytes = convertTfGraphToOnnx(graph, { outputs: { [layerOutput(graph, output)]: 'out' }, pointwiseConv: 'conv' });
    const session = await runtime.load(path, bytes);
    const input = randomArray(6 * 5 * 3, 7);
    const ours = (await session.run({ [session.inputNames[0]!]: { type: 'float32', data: input, dims: [1, 6, 5, 3] } })).out!;
    const reference = await loadReferenceLayersModel(path);
    const want = reference.predict(tf.tensor(input, [1, 6, 5, 3])) as import('@tensorflow/tfjs').Tensor;
    expect(ours.dims).toEqual(want.shape);
    const wantValues = await want.data();
    let max = 0;
    (ours.data as Float32Array).forEach((v, i) => (max = Math.max(max, Math.abs(v - wantValues[i]!))));
    expect(max).toBeLessThanOrEqual(1e-4);
    return onnxProto.onnx.ModelProto.decode(bytes).graph!.node!.map((n) => n.opType!);
  }

  it('an upsample read only by a same-padded convolution becomes Conv + DepthToSpace', async () => {
    await useWasmBackend();
    const x = tf.input({ shape: [null, null, 3] as unknown as number[], name: 'image' });
    const features = tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', name: 'features' }).apply(x) as import('@tensorflow/tfjs').SymbolicTensor;
    const up = tf.layers.upSampling2d({ size: [3, 3], name: 'up' }).apply(features) as import('@tensorflow/tfjs').SymbolicTensor;
    const y = tf.layers.conv2d({ filters: 2, kernelSize: 3, padding: 'same', activation: 'relu', name: 'head' }).apply(up) as import('@tensorflow/tfjs').SymbolicTensor;
    const ops = await convertAndCompare(tf.model({ inputs: x, outputs: y }), 'head');
    expect(ops).toContain('DepthToSpace');
    expect(ops).not.toContain('Resize');
  });

  it('an upsample with a second reader, or before a valid-padded convolution, stays a Resize', async () => {
    await useWasmBackend();
    const x = tf.input({ shape: [null, null, 3] as unknown as number[], name: 'image' });
    const up = tf.layers.upSampling2d({ size: [2, 2], name: 'up' }).apply(x) as import('@tensorflow/tfjs').SymbolicTensor;
    const a = tf.layers.conv2d({ filters: 3, kernelSize: 3, padding: 'same', name: 'a' }).apply(up) as import('@tensorflow/tfjs').SymbolicTensor;
    const sum = tf.layers.add({ name: 'sum' }).apply([a, up]) as import('@tensorflow/tfjs').SymbolicTensor;
    const up2 = tf.layers.upSampling2d({ size: [2, 2], name: 'up2' }).apply(sum) as import('@tensorflow/tfjs').SymbolicTensor;
    const y = tf.layers.conv2d({ filters: 2, kernelSize: 3, padding: 'valid', name: 'head' }).apply(up2) as import('@tensorflow/tfjs').SymbolicTensor;
    const ops = await convertAndCompare(tf.model({ inputs: x, outputs: y }), 'head');
    expect(ops.filter((op) => op === 'Resize')).toHaveLength(2);
    expect(ops).not.toContain('DepthToSpace');
  });
});
