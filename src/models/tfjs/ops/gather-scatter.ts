import { attr, typedArray } from '../../onnx/graph-builder.js';
import type { OpConverter, StaticDim } from '../convert-context.js';

const gatherV2: OpConverter = (ctx, node) => {
  const params = ctx.input(node, 0);
  const indices = ctx.input(node, 1);
  let axis = ctx.constant(node, 2, 'axis').values[0]!;
  if (ctx.attrInt(node, 'batch_dims', 0) !== 0) throw ctx.unsupported(node, 'batch_dims other than 0 is not supported');
  if (axis < 0) {
    if (!params.shape) throw ctx.unsupported(node, 'a negative axis needs the params rank');
    axis += params.shape.length;
  }
  const shape = params.shape && indices.shape ? [...params.shape.slice(0, axis), ...indices.shape, ...params.shape.slice(axis + 1)] : null;
  return [{ name: ctx.builder.op('Gather', [params.name, indices.name], { axis: attr.int(axis) }), dtype: params.dtype, shape }];
};

const gatherNd: OpConverter = (ctx, node) => {
  const params = ctx.input(node, 0);
  const indices = ctx.input(node, 1);
  let shape: StaticDim[] | null = null;
  const depth = indices.shape?.[indices.shape.length - 1];
  if (params.shape && indices.shape && typeof depth === 'number') {
    shape = [...indices.shape.slice(0, -1), ...params.shape.slice(depth)];
  }
  return [{ name: ctx.builder.op('GatherND', [params.name, indices.name]), dtype: params.dtype, shape }];
};

/** TF ScatterNd sums updates into zeros of the given shape: ScatterND with reduction "add". */
const scatterNd: OpConverter = (ctx, node) => {
  const indices = ctx.input(node, 0);
  const updates = ctx.input(node, 1);
  const shape = ctx.input(node, 2);
  const b = ctx.builder;
  const zeros = b.op('ConstantOfShape', [shape.name], { value: attr.tensor(updates.dtype, [1], typedArray(updates.dtype, [0])) });
  const rank = shape.shape?.[0];
  return [{
    name: b.op('ScatterND', [zeros, indices.name, updates.name], { reduction: attr.string('add') }),
    dtype: updates.dtype,
    shape: typeof rank === 'number' ? Array<StaticDim>(rank).fill(null) : null,
  }];
};

/** SparseToDense(indices, shape, values, default): fill with the default, then scatter. */
const sparseToDense: OpConverter = (ctx, node) => {
  let indices = ctx.input(node, 0);
  const shape = ctx.input(node, 1);
  const values = ctx.input(node, 2);
  const fill = ctx.constant(node, 3, 'default_value').values[0]!;
  const b = ctx.builder;
  if (indices.shape?.length === 1) {
    indices = { ...indices, name: b.op('Unsqueeze', [indices.name, b.int64s([-1])]), shape: [indices.shape[0] ?? null, 1] };
  } else if (indices.shape?.length !== 2) {
    throw ctx.unsupported(node, 'sparse_indices must have a known rank of 1 or 2');
  }
  const dense = b.op('ConstantOfShape', [shape.name], { value: attr.tensor(values.dtype, [1], typedArray(values.dtype, [fill])) });
  // A scalar value is broadcast to every index.
  const valuesName = values.shape?.length === 0 ? b.op('Expand', [values.name, b.op('Shape', [b.op('Gather', [indices.name, b.int64s([0])], { axis: attr.int(1) })])]) : values.name;
  const rank = shape.shape?.[0];
  return [{ name: b.op('ScatterND', [dense, indices.name, valuesName]), dtype: values.dtype, shape: typeof rank === 'number' ? Array<StaticDim>(rank).fill(null) : null }];
};

/** Single-input TF Where: coordinates of true elements, row-major, shape [n, rank]. */
const where: OpConverter = (ctx, node) => {
  if (ctx.dataInputs(node).length === 3) {
    const [c, a, bb] = [0, 1, 2].map((i) => ctx.input(node, i));
    return [{ name: ctx.builder.op('Where', [c!.name, a!.name, bb!.name]), dtype: a!.dtype, shape: a!.shape }];
  }
  const cond = ctx.input(node, 0);
  const b = ctx.builder;
  const nonZero = b.op('NonZero', [cond.name]);
  return [{ name: b.op('Transpose', [nonZero], { perm: attr.ints([1, 0]) }), dtype: 'int64', shape: [null, cond.shape ? cond.shape.length : null] }];
};

const range: OpConverter = (ctx, node) => {
  const [start, limit, delta] = [0, 1, 2].map((i) => ctx.input(node, i));
  return [{ name: ctx.builder.op('Range', [start!.name, limit!.name, delta!.name]), dtype: start!.dtype, shape: [null] }];
};

export const gatherScatterOps: Record<string, OpConverter> = {
  GatherV2: gatherV2,
  GatherNd: gatherNd,
  ScatterNd: scatterNd,
  SparseToDense: sparseToDense,
  Where: where,
  Range: range,
};
