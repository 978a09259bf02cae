import { attr } from '../../onnx/graph-builder.js';
import type { ConvertContext, OpConverter, StaticDim, TensorRef } from '../convert-context.js';
import type { TfNode } from '../graph-model.js';

const INT64_MAX = 2 ** 62; // large enough for any dimension; exact in a double
const INT64_MIN = -(2 ** 62);

function normaliseAxis(axis: number, rank: number | undefined, node: TfNode, ctx: ConvertContext): number {
  if (axis >= 0) return axis;
  if (rank === undefined) throw ctx.unsupported(node, 'a negative axis needs the input rank, which is unknown here');
  return axis + rank;
}

const reshape: OpConverter = (ctx, node) => {
  const x = ctx.input(node, 0);
  const shape = ctx.input(node, 1);
  const outShape = ctx.isConstant(node, 1) ? ctx.constant(node, 1, 'shape').values.map((d) => (d < 0 ? null : d)) : shape.shape?.[0] != null ? Array<StaticDim>(shape.shape[0]).fill(null) : null;
  // allowzero=1: a 0 in a TF shape means an empty dimension, not "copy the input's".
  return [{ name: ctx.builder.op('Reshape', [x.name, shape.name], { allowzero: attr.int(1) }), dtype: x.dtype, shape: outShape }];
};

const shapeOf: OpConverter = (ctx, node) => {
  const x = ctx.input(node, 0);
  return [{ name: ctx.builder.op('Shape', [x.name]), dtype: 'int64', shape: [x.shape ? x.shape.length : null] }];
};

const expandDims: OpConverter = (ctx, node) => {
  const x = ctx.input(node, 0);
  const axis = ctx.constant(node, 1, 'axis').values[0]!;
  const shape = x.shape ? [...x.shape] : null;
  if (shape) shape.splice(axis < 0 ? shape.length + 1 + axis : axis, 0, 1);
  return [{ name: ctx.builder.op('Unsqueeze', [x.name, ctx.builder.int64s([axis])]), dtype: x.dtype, shape }];
};

const squeeze: OpConverter = (ctx, node) => {
  const x = ctx.input(node, 0);
  const dims = ctx.attrInts(node, 'squeeze_dims').concat(ctx.attrInts(node, 'axis'));
  if (dims.length === 0) {
    return [{ name: ctx.builder.op('Squeeze', [x.name]), dtype: x.dtype, shape: x.shape?.every((d) => d !== null) ? x.shape.filter((d) => d !== 1) : null }];
  }
  const rank = x.shape?.length;
  const axes = dims.map((d) => normaliseAxis(d, rank, node, ctx));
  const shape = x.shape ? x.shape.filter((_, i) => !axes.includes(i)) : null;
  return [{ name: ctx.builder.op('Squeeze', [x.name, ctx.builder.int64s(axes)]), dtype: x.dtype, shape }];
};

const pack: OpConverter = (ctx, node) => {
  const n = ctx.dataInputs(node).length;
  const inputs = Array.from({ length: n }, (_, i) => ctx.input(node, i));
  const first = inputs[0]!;
  const axis = ctx.attrInt(node, 'axis', 0);
  const axes = ctx.builder.int64s([axis]);
  const parts = inputs.map((t) => ctx.builder.op('Unsqueeze', [t.name, axes]));
  let shape: StaticDim[] | null = null;
  if (first.shape) {
    shape = [...first.shape];
    shape.splice(axis < 0 ? shape.length + 1 + axis : axis, 0, n);
  }
  return [{ name: ctx.builder.op('Concat', parts, { axis: attr.int(axis) }), dtype: first.dtype, shape }];
};

const concat: OpConverter = (ctx, node) => {
  const inputs = ctx.dataInputs(node);
  const n = inputs.length - 1; // the last input is the axis
  const parts = Array.from({ length: n }, (_, i) => ctx.input(node, i));
  const axisRaw = ctx.constant(node, n, 'axis').values[0]!;
  const first = parts[0]!;
  const axis = normaliseAxis(axisRaw, first.shape?.length, node, ctx);
  let shape: StaticDim[] | null = first.shape ? [...first.shape] : null;
  if (shape) {
    const sizes = parts.map((p) => p.shape?.[axis] ?? null);
    shape[axis] = sizes.every((s) => s !== null) ? (sizes as number[]).reduce((a, b) => a + b, 0) : null;
  }
  if (parts.length === 1) return [first];
  return [{ name: ctx.builder.op('Concat', parts.map((p) => p.name), { axis: attr.int(axis) }), dtype: first.dtype, shape }];
};

const transpose: OpConverter = (ctx, node) => {
  const x = ctx.input(node, 0);
  const perm = ctx.constant(node, 1, 'perm').values;
  const shape = x.shape ? perm.map((p) => x.shape![p] ?? null) : perm.map(() => null);
  return [{ name: ctx.builder.op('Transpose', [x.name], { perm: attr.ints(perm) }), dtype: x.dtype, shape }];
};

/** TF Slice(x, begin, size): size -1 means "to the end". */
const slice: OpConverter = (ctx, node) => {
  const x = ctx.input(node, 0);
  const begin = ctx.constant(node, 1, 'begin').values;
  const size = ctx.constant(node, 2, 'size').values;
  const ends = begin.map((b, i) => (size[i] === -1 ? INT64_MAX : b + size[i]!));
  const axes = begin.map((_, i) => i);
  const shape = x.shape ? x.shape.map((d, i) => (i >= begin.length ? d : size[i] === -1 ? (d === null ? null : d - begin[i]!) : size[i]!)) : null;
  const b = ctx.builder;
  return [{ name: b.op('Slice', [x.name, b.int64s(begin), b.int64s(ends), b.int64s(axes)]), dtype: x.dtype, shape }];
};

/**
 * StridedSlice with TF's masks: begin/end masks, shrink_axis (slice one element and drop
 * the axis), new_axis (insert a dimension) and one ellipsis.
 */
const stridedSlice: OpConverter = (ctx, node) => {
  const x = ctx.input(node, 0);
  const begin = ctx.constant(node, 1, 'begin').values;
  const end = ctx.constant(node, 2, 'end').values;
  const strides = ctx.constant(node, 3, 'strides').values;
  const bit = (mask: string, i: number) => (ctx.attrInt(node, mask, 0) >> i) & 1;
  const specs = begin.length;
  let ellipsisSpan = 0;
  for (let i = 0; i < specs; i++) {
    if (bit('ellipsis_mask', i)) {
      const rank = x.shape?.length;
      if (rank === undefined) throw ctx.unsupported(node, 'an ellipsis needs the input rank, which is unknown here');
      let newAxes = 0;
      for (let j = 0; j < specs; j++) newAxes += bit('new_axis_mask', j);
      ellipsisSpan = rank - (specs - 1 - newAxes);
    }
  }
  const starts: number[] = [];
  const ends: number[] = [];
  const axes: number[] = [];
  const steps: number[] = [];
  const shrink: number[] = []; // output-of-slice axes to squeeze
  const insert: number[] = []; // final output positions for new axes
  let inAxis = 0;
  let outAxis = 0;
  for (let i = 0; i < specs; i++) {
    if (bit('ellipsis_mask', i)) {
      inAxis += ellipsisSpan;
      outAxis += ellipsisSpan;
      continue;
    }
    if (bit('new_axis_mask', i)) {
      insert.push(outAxis++);
      continue;
    }
    const step = strides[i]!;
    let s = bit('begin_mask', i) ? (step > 0 ? 0 : INT64_MAX) : begin[i]!;
    let e = bit('end_mask', i) ? (step > 0 ? INT64_MAX : INT64_MIN) : end[i]!;
    if (bit('shrink_axis_mask', i)) {
      s = begin[i]!;
      e = s === -1 ? INT64_MAX : s + 1;
      shrink.push(inAxis);
    } else {
      outAxis++;
    }
    starts.push(s);
    ends.push(e);
    axes.push(inAxis);
    steps.push(step);
    inAxis++;
  }
  const b = ctx.builder;
  let name = b.op('Slice', [x.name, b.int64s(starts), b.int64s(ends), b.int64s(axes), b.int64s(steps)]);
  let shape = slicedShape(x.shape, starts, ends, axes, steps);
  if (shrink.length) {
    name = b.op('Squeeze', [name, b.int64s(shrink)]);
    shape = shape ? shape.filter((_, i) => !shrink.includes(i)) : null;
  }
  if (insert.length) {
    name = b.op('Unsqueeze', [name, b.int64s(insert)]);
    if (shape) for (const p of insert) shape.splice(p, 0, 1);
  }
  return [{ name, dtype: x.dtype, shape }];
};

function slicedShape(shape: StaticDim[] | null, starts: number[], ends: number[], axes: number[], steps: number[]): StaticDim[] | null {
  if (!shape) return null;
  const out = [...shape];
  axes.forEach((axis, k) => {
    const dim = shape[axis];
    if (dim === null || dim === undefined) {
      out[axis] = null;
      return;
    }
    const clamp = (v: number, lo: number, hi: number) => Math.min(Math.max(v < 0 ? v + dim : v, lo), hi);
    const step = steps[k]!;
    const s = step > 0 ? clamp(starts[k]!, 0, dim) : clamp(starts[k]!, -1, dim - 1);
    const e = step > 0 ? clamp(ends[k]!, 0, dim) : clamp(ends[k]!, -1, dim - 1);
    out[axis] = Math.max(0, Math.ceil((e - s) / step));
  });
  return out;
}

/** SplitV(x, sizes, axis) and Split(axis, x) become ONNX Split with explicit sizes. */
const splitV: OpConverter = (ctx, node) => {
  const x = ctx.input(node, 0);
  const sizes = ctx.constant(node, 1, 'size_splits').values;
  const axis = normaliseAxis(ctx.constant(node, 2, 'axis').values[0]!, x.shape?.length, node, ctx);
  return splitInto(ctx, node, x, axis, sizes);
};

const split: OpConverter = (ctx, node) => {
  const x = ctx.input(node, 1);
  const axis = normaliseAxis(ctx.constant(node, 0, 'axis').values[0]!, x.shape?.length, node, ctx);
  const n = ctx.attrInt(node, 'num_split');
  const dim = x.shape?.[axis];
  if (dim === null || dim === undefined) throw ctx.unsupported(node, 'the split axis must have a static size');
  return splitInto(ctx, node, x, axis, Array(n).fill(dim / n));
};

function splitInto(ctx: ConvertContext, node: TfNode, x: TensorRef, axis: number, sizes: number[]): TensorRef[] {
  const unknown = sizes.indexOf(-1);
  if (unknown >= 0) {
    const dim = x.shape?.[axis];
    if (dim === null || dim === undefined) throw ctx.unsupported(node, 'a -1 split size needs a static axis size');
    sizes = [...sizes];
    sizes[unknown] = dim - sizes.reduce((a, s, i) => (i === unknown ? a : a + s), 0);
  }
  const outs = ctx.builder.node('Split', [x.name, ctx.builder.int64s(sizes)], sizes.length, { axis: attr.int(axis) });
  return outs.map((name, i) => {
    const shape = x.shape ? [...x.shape] : null;
    if (shape) shape[axis] = sizes[i]!;
    return { name, dtype: x.dtype, shape };
  });
}

export const shapeOps: Record<string, OpConverter> = {
  Reshape: reshape,
  Shape: shapeOf,
  ExpandDims: expandDims,
  Squeeze: squeeze,
  Pack: pack,
  ConcatV2: concat,
  Transpose: transpose,
  Slice: slice,
  StridedSlice: stridedSlice,
  SplitV: splitV,
  Split: split,
};
