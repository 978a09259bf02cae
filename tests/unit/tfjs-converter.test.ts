/**
 * Single TF ops (and small combinations), converted to ONNX and run on ONNX Runtime, against
 * TF.js running the original graph on the same inputs.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { convertTfGraphToOnnx } from '../../src/models/tfjs/convert.js';
import { loadTfGraphModel } from '../../src/models/tfjs/graph-model.js';
import type { HostTensor } from '../../src/runtime/onnx-runtime.js';
import { loadReferenceGraphModel, tf } from '../../scripts/lib/tfjs-reference.js';
import { a, TfGraphWriter } from '../support/tf-graph.js';
import { tempDir, testRuntime } from '../support/runtime.js';

const runtime = testRuntime();
afterAll(() => runtime.close());

interface Input {
  dtype: 'float32' | 'int32' | 'bool';
  shape: number[];
  values: number[];
}

function seeded(n: number, seed = 1): number[] {
  let s = seed;
  return Array.from({ length: n }, () => ((s = (s * 16807) % 2147483647) / 2147483647) * 2 - 1);
}

async function expectSameAsTfjs(g: TfGraphWriter, inputs: Record<string, Input>, outputs: string[]): Promise<void> {
  const dir = tempDir('tf-op');
  const path = g.write(dir);
  const onnxNames = Object.fromEntries(outputs.map((o) => [o, `out_${o.replace(/\W/g, '_')}`]));
  const session = await runtime.load(dir, convertTfGraphToOnnx(await loadTfGraphModel(path), { outputs: onnxNames }));
  const feeds: Record<string, HostTensor> = {};
  for (const [name, t] of Object.entries(inputs)) {
    feeds[name] =
      t.dtype === 'float32' ? { type: 'float32', data: Float32Array.from(t.values), dims: t.shape }
      : t.dtype === 'int32' ? { type: 'int64', data: BigInt64Array.from(t.values.map(BigInt)), dims: t.shape }
      : { type: 'bool', data: Uint8Array.from(t.values), dims: t.shape };
  }
  const ours = await session.run(feeds);
  const reference = await loadReferenceGraphModel(path);
  const tfInputs = Object.fromEntries(Object.entries(inputs).map(([n, t]) => [n, tf.tensor(t.dtype === 'bool' ? t.values.map(Boolean) : t.values, t.shape, t.dtype)]));
  type Tensor = import('@tensorflow/tfjs').Tensor;
  let expected: Tensor | Tensor[];
  try {
    expected = reference.execute(tfInputs, outputs) as Tensor | Tensor[];
  } catch {
    expected = (await reference.executeAsync(tfInputs, outputs)) as Tensor | Tensor[]; // graphs with dynamic shapes (Where)
  }
  const expectedList = Array.isArray(expected) ? expected : [expected];
  for (const [i, name] of outputs.entries()) {
    const got = ours[onnxNames[name]!]!;
    const want = expectedList[i]!;
    expect(got.dims, `${name} shape`).toEqual(want.shape);
    const gotValues = Array.from(got.data as ArrayLike<number | bigint>, Number);
    const wantValues = Array.from(await want.data(), Number);
    expect(gotValues.length).toBe(wantValues.length);
    gotValues.forEach((v, k) => expect(Math.abs(v - wantValues[k]!), `${name}[${k}]`).toBeLessThanOrEqual(1e-5));
  }
}

describe('TF.js → ONNX converter, op by op against TF.js', () => {
  it('StridedSlice with begin/end masks, shrink and new axes, negative strides and an ellipsis', async () => {
    const g = new TfGraphWriter();
    const x = g.placeholder('x', 'float32', [3, 4, 5]);
    const c = (name: string, v: number[]) => g.const(name, 'int32', [v.length], v);
    g.op('StridedSlice', 'masks', [x, c('b1', [1, 0, 1]), c('e1', [3, 0, 4]), c('s1', [1, 1, 2])], { Index: a.type('int32'), begin_mask: a.int(2), end_mask: a.int(2), shrink_axis_mask: a.int(0), new_axis_mask: a.int(0), ellipsis_mask: a.int(0) });
    g.op('StridedSlice', 'shrink', [x, c('b2', [-1, 1]), c('e2', [0, 3]), c('s2', [1, 1])], { Index: a.type('int32'), begin_mask: a.int(0), end_mask: a.int(0), shrink_axis_mask: a.int(3), new_axis_mask: a.int(0), ellipsis_mask: a.int(0) });
    g.op('StridedSlice', 'reverse', [x, c('b3', [0, 0, 0]), c('e3', [0, 0, 0]), c('s3', [1, -1, -2])], { Index: a.type('int32'), begin_mask: a.int(7), end_mask: a.int(7), shrink_axis_mask: a.int(0), new_axis_mask: a.int(0), ellipsis_mask: a.int(0) });
    g.op('StridedSlice', 'ellipsis', [x, c('b4', [0, 0, 2]), c('e4', [0, 0, 4]), c('s4', [1, 1, 1])], { Index: a.type('int32'), begin_mask: a.int(0), end_mask: a.int(0), shrink_axis_mask: a.int(0), new_axis_mask: a.int(2), ellipsis_mask: a.int(1) });
    await expectSameAsTfjs(g, { x: { dtype: 'float32', shape: [3, 4, 5], values: seeded(60) } }, ['masks', 'shrink', 'reverse', 'ellipsis']);
  });

  it('sparse ids to a dense mask, Where, GatherNd and ScatterNd (the USE-lite input path)', async () => {
    const g = new TfGraphWriter();
    const idx = g.placeholder('indices', 'int32', [-1, 2]);
    const vals = g.placeholder('values', 'int32', [-1]);
    const shape = g.const('shape', 'int32', [2], [3, 4]);
    const zero = g.const('zero', 'int32', [], [0]);
    g.op('SparseToDense', 'dense', [idx, shape, vals, zero], { T: a.type('int32'), Tindices: a.type('int32'), validate_indices: a.bool(true) });
    g.op('Greater', 'mask', ['dense', zero], { T: a.type('int32') });
    g.op('Where', 'where', ['mask'], { T: a.type('bool') });
    g.op('Cast', 'coords', ['where'], { SrcT: a.type('int32'), DstT: a.type('int32') });
    const table = g.const('table', 'float32', [3, 4, 2], seeded(24, 3));
    g.op('GatherNd', 'picked', [table, 'coords'], { Tparams: a.type('float32'), Tindices: a.type('int32') });
    const full = g.const('full', 'int32', [3], [3, 4, 2]);
    g.op('ScatterNd', 'scattered', ['coords', 'picked', full], { Tindices: a.type('int32') });
    await expectSameAsTfjs(
      g,
      { indices: { dtype: 'int32', shape: [5, 2], values: [0, 0, 0, 1, 1, 0, 2, 2, 2, 3] }, values: { dtype: 'int32', shape: [5], values: [7, 8, 9, 10, 11] } },
      ['dense', 'where', 'picked', 'scattered'],
    );
  });

  it('Conv2D (3×3 SAME stride 2, and 1×1), BiasAdd, Relu6 in NHWC', async () => {
    const g = new TfGraphWriter();
    const x = g.placeholder('x', 'float32', [1, 7, 6, 3]);
    const k3 = g.const('k3', 'float32', [3, 3, 3, 4], seeded(108, 5));
    const k1 = g.const('k1', 'float32', [1, 1, 4, 2], seeded(8, 7));
    const bias = g.const('bias', 'float32', [4], [0.1, -0.2, 0.3, -0.4]);
    g.op('Conv2D', 'c3', [x, k3], { strides: a.ints([1, 2, 2, 1]), padding: a.str('SAME'), data_format: a.str('NHWC'), dilations: a.ints([1, 1, 1, 1]) });
    g.op('BiasAdd', 'biased', ['c3', bias], { data_format: a.str('NHWC') });
    g.op('Relu6', 'relu6', ['biased']);
    g.op('Conv2D', 'c1', ['relu6', k1], { strides: a.ints([1, 1, 1, 1]), padding: a.str('VALID'), data_format: a.str('NHWC'), dilations: a.ints([1, 1, 1, 1]) });
    await expectSameAsTfjs(g, { x: { dtype: 'float32', shape: [1, 7, 6, 3], values: seeded(126, 9).map((v) => v * 4) } }, ['c3', 'relu6', 'c1']);
  });

  it('MatMul and BatchMatMul with transposes, Softmax, layer-norm arithmetic', async () => {
    const g = new TfGraphWriter();
    const x = g.placeholder('x', 'float32', [2, 3, 4]);
    const w = g.const('w', 'float32', [5, 4], seeded(20, 11));
    g.op('BatchMatMul', 'self', [x, x], { adj_x: a.bool(false), adj_y: a.bool(true) });
    g.op('BatchMatMul', 'gram', [x, x], { adj_x: a.bool(true), adj_y: a.bool(false) });
    g.op('Softmax', 'soft', ['self']);
    const two = g.const('two_d', 'int32', [2], [6, 4]);
    g.op('Reshape', 'flat', [x, two], { Tshape: a.type('int32') });
    g.op('MatMul', 'proj', ['flat', w], { transpose_a: a.bool(false), transpose_b: a.bool(true) });
    const axis = g.const('last', 'int32', [1], [-1]);
    g.op('Mean', 'mean', ['proj', axis], { keep_dims: a.bool(true), Tidx: a.type('int32') });
    g.op('Sub', 'centred', ['proj', 'mean']);
    g.op('Square', 'sq', ['centred']);
    g.op('Mean', 'var', ['sq', axis], { keep_dims: a.bool(true), Tidx: a.type('int32') });
    g.op('Rsqrt', 'inv', ['var']);
    g.op('Mul', 'normed', ['centred', 'inv']);
    await expectSameAsTfjs(g, { x: { dtype: 'float32', shape: [2, 3, 4], values: seeded(24, 13) } }, ['self', 'gram', 'soft', 'proj', 'normed']);
  });

  it('reductions, SplitV, Pack, ConcatV2, Transpose, Squeeze, ExpandDims, Slice, Range, Cast, Select', async () => {
    const g = new TfGraphWriter();
    const x = g.placeholder('x', 'float32', [2, 6]);
    const i32 = (name: string, v: number[], shape = [v.length]) => g.const(name, 'int32', shape, v);
    g.op('Sum', 'sum', [x, i32('ax1', [1])], { keep_dims: a.bool(false), Tidx: a.type('int32') });
    g.op('Max', 'max', [x, i32('ax0', [0])], { keep_dims: a.bool(true), Tidx: a.type('int32') });
    g.op('Min', 'min', [x, i32('axn', [-1])], { keep_dims: a.bool(false), Tidx: a.type('int32') });
    g.op('Prod', 'prod', [x, i32('ax1b', [1])], { keep_dims: a.bool(false), Tidx: a.type('int32') });
    g.op('SplitV', 'split', [x, i32('sizes', [1, -1, 2]), i32('splitAxis', [1], [])], { num_split: a.int(3), Tlen: a.type('int32') });
    g.op('Pack', 'packed', ['sum', 'min'], { N: a.int(2), axis: a.int(1) });
    g.op('ConcatV2', 'cat', ['split', 'split:2', i32('catAxis', [1], [])], { N: a.int(2), Tidx: a.type('int32') });
    g.op('Transpose', 'tr', ['cat', i32('perm', [1, 0])], { Tperm: a.type('int32') });
    g.op('ExpandDims', 'ex', ['tr', i32('exAxis', [-1], [])], { Tdim: a.type('int32') });
    g.op('Squeeze', 'sq', ['ex'], { squeeze_dims: a.ints([2]) });
    g.op('Slice', 'sl', [x, i32('sb', [1, 2]), i32('ss', [-1, 3])], { Index: a.type('int32') });
    g.op('Range', 'range', [i32('r0', [2], []), i32('r1', [11], []), i32('r2', [3], [])], { Tidx: a.type('int32') });
    g.op('Cast', 'rangeF', ['range'], { SrcT: a.type('int32'), DstT: a.type('float32') });
    g.op('Greater', 'pos', [x, g.const('zerof', 'float32', [], [0])]);
    g.op('SelectV2', 'relu', ['pos', x, g.const('zeros', 'float32', [2, 6], Array(12).fill(0))]);
    await expectSameAsTfjs(g, { x: { dtype: 'float32', shape: [2, 6], values: seeded(12, 17) } }, ['sum', 'max', 'min', 'prod', 'split:1', 'packed', 'tr', 'sq', 'sl', 'rangeF', 'relu']);
  });

  it('names every op it does not cover', async () => {
    const g = new TfGraphWriter();
    g.placeholder('x', 'float32', [2]);
    g.op('Erfinv', 'y', ['x']);
    g.op('Digamma', 'z', ['y']);
    const path = g.write(tempDir('tf-op'));
    await expect(loadTfGraphModel(path).then((m) => convertTfGraphToOnnx(m))).rejects.toThrow(/ops not covered by the converter: Erfinv, Digamma/);
  });
});
