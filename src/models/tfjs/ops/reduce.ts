import { attr } from '../../onnx/graph-builder.js';
import type { OpConverter, StaticDim } from '../convert-context.js';

/**
 * TF reductions take their axes as a constant input. In opset 17 ReduceSum takes axes as
 * an input while ReduceMean/Max/Min/Prod take them as an attribute.
 */
function reduction(onnxOp: string, axesAsInput: boolean): OpConverter {
  return (ctx, node) => {
    const x = ctx.input(node, 0);
    const rank = x.shape?.length;
    const raw = ctx.constant(node, 1, 'reduction axes').values;
    const axes = raw.map((a) => (a < 0 && rank !== undefined ? a + rank : a));
    const keep = ctx.attrBool(node, 'keep_dims');
    const b = ctx.builder;
    const name = axesAsInput
      ? b.op(onnxOp, [x.name, b.int64s(axes)], { keepdims: attr.int(keep ? 1 : 0) })
      : b.op(onnxOp, [x.name], { axes: attr.ints(axes), keepdims: attr.int(keep ? 1 : 0) });
    let shape: StaticDim[] | null = null;
    if (x.shape && axes.every((a) => a >= 0)) {
      shape = keep ? x.shape.map((d, i) => (axes.includes(i) ? 1 : d)) : x.shape.filter((_, i) => !axes.includes(i));
    }
    return [{ name, dtype: x.dtype, shape }];
  };
}

export const reduceOps: Record<string, OpConverter> = {
  Mean: reduction('ReduceMean', false),
  Sum: reduction('ReduceSum', true),
  Max: reduction('ReduceMax', false),
  Min: reduction('ReduceMin', false),
  Prod: reduction('ReduceProd', false),
};
