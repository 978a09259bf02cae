/**
 * The converter's convolutional ops (src/models/tfjs/ops/conv.ts), each converted from a small
 * hand-written TF.js graph and run on ONNX Runtime against TF.js running the same graph.
 */
import onnxProto from 'onnx-proto';
import { afterAll, describe, expect, it } from 'vitest';
import { loadReferenceGraphModel, tf } from '../../scripts/lib/tfjs-reference.js';
import { convertTfGraphToOnnx } from '../../src/models/tfjs/convert.js';
import { loadTfGraphModel } from '../../src/models/tfjs/graph-model.js';
import type { TfAttr } from '../../src/models/tfjs/graph-model.js';
import { a, TfGraphWriter } from '../support/tf-graph.js';
import { tempDir, testRuntime } from '../support/runtime.js';

const { onnx } = onnxProto;
const runtime = testRuntime();
afterAll(() => runtime.close());

function seeded(n: number, seed: number): number[] {
  let s = seed;
  return Array.from({ length: n }, () => ((s = (s * 16807) % 2147483647) / 2147483647) * 2 - 1);
}
const size = (shape: number[]) => shape.reduce((x, y) => x * y, 1);
const strs = (values: string[]): TfAttr => ({ list: { s: values.map((v) => Buffer.from(v).toString('base64')) } });
const conv = (strides: number[], padding: string): Record<string, TfAttr> => ({ strides: a.ints(strides), padding: a.str(padding), data_format: a.str('NHWC'), dilations: a.ints([1, 1, 1, 1]) });

/** Converts, runs both, compares within 1e-5; returns the ONNX ops written, with their counts. */
async function expectSameAsTfjs(g: TfGraphWriter, input: { name: string; shape: number[] }, output: string, pointwiseConv?: 'matmul' | 'conv'): Promise<Record<string, number>> {
  const dir = tempDir('tf-conv');
  const path = g.write(dir);
  const onnxBytes = convertTfGraphToOnnx(await loadTfGraphModel(path), { outputs: { [output]: 'out' }, pointwiseConv });
  const session = await runtime.load(dir, onnxBytes);
  const values = Float32Array.from(seeded(size(input.shape), 3));
  const ours = (await session.run({ [input.name]: { type: 'float32', data: values, dims: input.shape } })).out!;
  const reference = await loadReferenceGraphModel(path);
  const want = reference.execute({ [input.name]: tf.tensor(values, input.shape) }, output) as import('@tensorflow/tfjs').Tensor;
  expect(ours.dims).toEqual(want.shape);
  const wantValues = await want.data();
  let max = 0;
  (ours.data as Float32Array).forEach((v, i) => (max = Math.max(max, Math.abs(v - wantValues[i]!))));
  expect(max).toBeLessThanOrEqual(1e-5);
  const ops: Record<string, number> = {};
  for (const node of onnx.ModelProto.decode(onnxBytes).graph!.node!) ops[node.opType!] = (ops[node.opType!] ?? 0) + 1;
  return ops;
}

describe('convolutional ops against TF.js', () => {
  it('_FusedConv2D: BiasAdd + Relu6 (3×3 SAME stride 2), BiasAdd alone (VALID), BiasAdd + LeakyRelu', async () => {
    for (const [ops, strides, padding] of [[['BiasAdd', 'Relu6'], 2, 'SAME'], [['BiasAdd'], 1, 'VALID'], [['BiasAdd', 'LeakyRelu'], 1, 'SAME']] as const) {
      const g = new TfGraphWriter();
      const x = g.placeholder('x', 'float32', [1, 7, 6, 3]);
      const k = g.const('k', 'float32', [3, 3, 3, 4], seeded(108, 5).map((v) => v * 3));
      const bias = g.const('b', 'float32', [4], [0.5, -0.5, 1, 0]);
      g.op('_FusedConv2D', 'y', [x, k, bias], { ...conv([1, strides, strides, 1], padding), fused_ops: strs([...ops]), num_args: a.int(1), epsilon: { f: 0 }, leakyrelu_alpha: { f: 0.1 } });
      await expectSameAsTfjs(g, { name: 'x', shape: [1, 7, 6, 3] }, 'y');
    }
  });

  it('DepthwiseConv2dNative (stride 2 SAME) and FusedDepthwiseConv2dNative with a channel multiplier of 2', async () => {
    const g = new TfGraphWriter();
    const x = g.placeholder('x', 'float32', [1, 9, 8, 3]);
    const k1 = g.const('k1', 'float32', [3, 3, 3, 1], seeded(27, 7));
    const d1 = g.op('DepthwiseConv2dNative', 'd1', [x, k1], conv([1, 2, 2, 1], 'SAME'));
    const k2 = g.const('k2', 'float32', [3, 3, 3, 2], seeded(54, 9));
    const bias = g.const('b', 'float32', [6], [0.1, 0.2, -0.3, 0.4, 0, -1]);
    g.op('FusedDepthwiseConv2dNative', 'y', [d1, k2, bias], { ...conv([1, 1, 1, 1], 'SAME'), fused_ops: strs(['BiasAdd', 'Relu']), num_args: a.int(1) });
    await expectSameAsTfjs(g, { name: 'x', shape: [1, 9, 8, 3] }, 'y');
  });

  it('Conv2DBackpropInput (transposed convolution): SAME stride 2 to an odd size, and VALID', async () => {
    for (const [padding, out] of [['SAME', [1, 9, 7, 2]], ['VALID', [1, 11, 9, 2]]] as const) {
      const g = new TfGraphWriter();
      const x = g.placeholder('x', 'float32', [1, 5, 4, 3]);
      const sizes = g.const('sizes', 'int32', [4], [...out]);
      const k = g.const('k', 'float32', [3, 3, 2, 3], seeded(54, 11));
      g.op('Conv2DBackpropInput', 'y', [sizes, k, x], conv([1, 2, 2, 1], padding));
      await expectSameAsTfjs(g, { name: 'x', shape: [1, 5, 4, 3] }, 'y');
    }
  });

  it('MaxPool 3×3 SAME stride 1, AvgPool 3×3 SAME stride 2 (padding left out of the mean), AvgPool 2×2 VALID', async () => {
    for (const [op, k, s, padding] of [['MaxPool', 3, 1, 'SAME'], ['AvgPool', 3, 2, 'SAME'], ['AvgPool', 2, 2, 'VALID']] as const) {
      const g = new TfGraphWriter();
      const x = g.placeholder('x', 'float32', [1, 7, 6, 2]);
      g.op(op, 'y', [x], { ksize: a.ints([1, k, k, 1]), strides: a.ints([1, s, s, 1]), padding: a.str(padding), data_format: a.str('NHWC') });
      await expectSameAsTfjs(g, { name: 'x', shape: [1, 7, 6, 2] }, 'y');
    }
  });

  it('ResizeBilinear up and down, asymmetric, align_corners and half_pixel_centers; AddN', async () => {
    for (const [target, alignCorners, halfPixel] of [[[10, 8], false, false], [[10, 8], true, false], [[10, 8], false, true], [[3, 2], false, true], [[3, 2], false, false]] as const) {
      const g = new TfGraphWriter();
      const x = g.placeholder('x', 'float32', [1, 5, 4, 2]);
      const sz = g.const('size', 'int32', [2], [...target]);
      const r = g.op('ResizeBilinear', 'r', [x, sz], { align_corners: a.bool(alignCorners), half_pixel_centers: a.bool(halfPixel) });
      const r2 = g.op('Mul', 'r2', [r, g.const('two', 'float32', [], [2])]);
      g.op('AddN', 'y', [r, r2, r], { N: a.int(3) });
      await expectSameAsTfjs(g, { name: 'x', shape: [1, 5, 4, 2] }, 'y');
    }
  });

  it('Conv2D 1×1 written as MatMul (default) and as Conv (pointwiseConv: conv) give the same result', async () => {
    for (const mode of ['matmul', 'conv'] as const) {
      const g = new TfGraphWriter();
      const x = g.placeholder('x', 'float32', [1, 5, 4, 6]);
      g.op('Conv2D', 'y', [x, g.const('k', 'float32', [1, 1, 6, 3], seeded(18, 13))], conv([1, 1, 1, 1], 'VALID'));
      await expectSameAsTfjs(g, { name: 'x', shape: [1, 5, 4, 6] }, 'y', mode);
    }
  });

  it('ResizeNearestNeighbor: legacy, half-pixel and align-corners, up and down', async () => {
    for (const [target, alignCorners, halfPixel] of [[[10, 8], false, false], [[15, 12], false, true], [[9, 7], true, false], [[3, 3], false, false], [[3, 3], false, true]] as const) {
      const g = new TfGraphWriter();
      const x = g.placeholder('x', 'float32', [1, 5, 4, 2]);
      g.op('ResizeNearestNeighbor', 'y', [x, g.const('size', 'int32', [2], [...target])], { align_corners: a.bool(alignCorners), half_pixel_centers: a.bool(halfPixel) });
      await expectSameAsTfjs(g, { name: 'x', shape: [1, 5, 4, 2] }, 'y');
    }
  });

  it('DepthToSpace (NHWC, block 2 and 3) keeps TF\'s depth order', async () => {
    for (const block of [2, 3]) {
      const g = new TfGraphWriter();
      const x = g.placeholder('x', 'float32', [1, 3, 2, 2 * block * block]);
      g.op('DepthToSpace', 'y', [x], { block_size: a.int(block), data_format: a.str('NHWC') });
      await expectSameAsTfjs(g, { name: 'x', shape: [1, 3, 2, 2 * block * block] }, 'y');
    }
  });
});

describe('fusions before conversion (src/models/tfjs/fusions.ts) against TF.js', () => {
  // 1/6 as TF.js stores it (float16), as in MobileNetV3 exports
  const sixth = 0.1666259765625;

  it('hard-swish x·relu6(x + 3)·c and hard-sigmoid relu6(x + 3)·c become HardSwish / HardSigmoid, scaled by 6c', async () => {
    const g = new TfGraphWriter();
    const x = g.placeholder('x', 'float32', [1, 4, 5, 3]);
    const scaled = g.op('Mul', 'scaled', [g.const('c', 'float32', [], [sixth]), x]);
    const plus3 = g.op('AddV2', 'plus3', [x, g.const('three', 'float32', [], [3])]);
    const swish = g.op('Mul', 'swish', [scaled, g.op('Relu6', 'r6', [plus3])]);
    const shifted = g.op('Add', 'shifted', [g.const('three_b', 'float32', [], [3]), swish]);
    const sigmoid = g.op('Mul', 'sigmoid', [g.op('Relu6', 'r6b', [shifted]), g.const('c2', 'float32', [], [sixth])]);
    g.op('Mul', 'y', [swish, sigmoid]);
    const ops = await expectSameAsTfjs(g, { name: 'x', shape: [1, 4, 5, 3] }, 'y');
    expect(ops).toMatchObject({ HardSwish: 1, HardSigmoid: 1 });
    expect(ops.Clip).toBeUndefined();
  });

  it('a hard-swish read only by a convolution hands its 6c factor to the filter (no Mul left)', async () => {
    for (const conv2dOp of ['DepthwiseConv2dNative', 'Conv2D'] as const) {
      const g = new TfGraphWriter();
      const x = g.placeholder('x', 'float32', [1, 6, 5, 3]);
      const scaled = g.op('Mul', 'scaled', [x, g.const('c', 'float32', [], [sixth])]);
      const swish = g.op('Mul', 'swish', [scaled, g.op('Relu6', 'r6', [g.op('AddV2', 'plus3', [x, g.const('three', 'float32', [], [3])])])]);
      const k = g.const('k', 'float32', [3, 3, 3, 1], seeded(27, 23).map((v) => v * 2));
      g.op(conv2dOp, 'y', [swish, k], conv([1, 1, 1, 1], 'SAME'));
      const ops = await expectSameAsTfjs(g, { name: 'x', shape: [1, 6, 5, 3] }, 'y');
      expect(ops.HardSwish).toBe(1);
      expect(ops.Mul).toBeUndefined();
    }
  });

  it('a pattern whose intermediate is read elsewhere, or whose constant is not 1/6, is left as it is', async () => {
    const g = new TfGraphWriter();
    const x = g.placeholder('x', 'float32', [1, 4, 5, 3]);
    const plus3 = g.op('AddV2', 'plus3', [x, g.const('three', 'float32', [], [3])]);
    const r6 = g.op('Relu6', 'r6', [plus3]);
    const swish = g.op('Mul', 'swish', [g.op('Mul', 'scaled', [x, g.const('c', 'float32', [], [sixth])]), r6]);
    const notSixth = g.op('Mul', 'quarter', [g.op('Relu6', 'r6b', [g.op('AddV2', 'p3b', [x, g.const('three_b', 'float32', [], [3])])]), g.const('c2', 'float32', [], [0.25])]);
    g.op('AddN', 'y', [swish, r6, notSixth], { N: a.int(3) });
    const ops = await expectSameAsTfjs(g, { name: 'x', shape: [1, 4, 5, 3] }, 'y');
    expect(ops.HardSwish).toBeUndefined();
    expect(ops.HardSigmoid).toBeUndefined();
  });

  it('a constant Add after Conv2DBackpropInput becomes the ConvTranspose bias (per channel and broadcast)', async () => {
    for (const bias of [[0.5, -1], [0.25]]) {
      const g = new TfGraphWriter();
      const x = g.placeholder('x', 'float32', [1, 5, 4, 3]);
      const t = g.op('Conv2DBackpropInput', 't', [g.const('sizes', 'int32', [4], [1, 10, 8, 2]), g.const('k', 'float32', [2, 2, 2, 3], seeded(24, 17)), x], conv([1, 2, 2, 1], 'SAME'));
      g.op('Add', 'y', [t, g.const('b', 'float32', [bias.length], bias)]);
      const ops = await expectSameAsTfjs(g, { name: 'x', shape: [1, 5, 4, 3] }, 'y');
      expect(ops.Add).toBeUndefined();
    }
  });

  it('an Add of a whole tensor after Conv2DBackpropInput is not a bias and stays an Add', async () => {
    const g = new TfGraphWriter();
    const x = g.placeholder('x', 'float32', [1, 5, 4, 3]);
    const t = g.op('Conv2DBackpropInput', 't', [g.const('sizes', 'int32', [4], [1, 10, 8, 2]), g.const('k', 'float32', [2, 2, 2, 3], seeded(24, 17)), x], conv([1, 2, 2, 1], 'SAME'));
    g.op('Add', 'y', [t, g.const('map', 'float32', [1, 10, 8, 2], seeded(160, 19))]);
    const ops = await expectSameAsTfjs(g, { name: 'x', shape: [1, 5, 4, 3] }, 'y');
    expect(ops.Add).toBe(1);
  });
});
