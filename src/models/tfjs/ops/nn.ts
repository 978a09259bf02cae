import { attr } from '../../onnx/graph-builder.js';
import type { ConvertContext, OpConverter, StaticDim, TensorRef } from '../convert-context.js';
import type { TfNode } from '../graph-model.js';
import { checkNhwc, conv2dKernel, convolutionFilter } from './conv.js';

/** Swaps the last two axes (needs the rank). */
function transposeLastTwo(ctx: ConvertContext, node: TfNode, x: TensorRef): TensorRef {
  if (!x.shape) throw ctx.unsupported(node, 'transposing an operand needs its rank, which is unknown here');
  const rank = x.shape.length;
  const perm = [...Array(rank).keys()];
  [perm[rank - 2], perm[rank - 1]] = [perm[rank - 1]!, perm[rank - 2]!];
  return { ...x, name: ctx.builder.op('Transpose', [x.name], { perm: attr.ints(perm) }), shape: perm.map((p) => x.shape![p] ?? null) };
}

function matmulShape(a: StaticDim[] | null, b: StaticDim[] | null): StaticDim[] | null {
  if (!a || !b || a.length < 2 || b.length < 2) return null;
  const batch = a.length >= b.length ? a.slice(0, -2) : b.slice(0, -2);
  return [...batch, a[a.length - 2] ?? null, b[b.length - 1] ?? null];
}

function matmul(transposeA: string, transposeB: string): OpConverter {
  return (ctx, node) => {
    let a = ctx.input(node, 0);
    let b = ctx.input(node, 1);
    if (ctx.attrBool(node, transposeA)) a = transposeLastTwo(ctx, node, a);
    if (ctx.attrBool(node, transposeB)) b = transposeLastTwo(ctx, node, b);
    return [{ name: ctx.builder.op('MatMul', [a.name, b.name]), dtype: a.dtype, shape: matmulShape(a.shape, b.shape) }];
  };
}

/**
 * Conv2D in NHWC. A 1×1, stride-1 convolution (how transformers write dense layers) is a
 * MatMul over the channel axis unless the conversion asks for Conv (CNNs); anything else runs as an NCHW Conv between transposes,
 * which ORT's layout optimiser cancels out between consecutive convolutions.
 */
const conv2d: OpConverter = (ctx, node) => {
  const x = ctx.input(node, 0);
  const kernel = convolutionFilter(ctx, node);
  checkNhwc(ctx, node);
  const [kh, kw, cin, cout] = kernel.shape as [number, number, number, number];
  const strides = ctx.attrInts(node, 'strides');
  const dilations = ctx.attrInts(node, 'dilations');
  const padding = ctx.attrString(node, 'padding', 'VALID');
  const b = ctx.builder;
  const stride = [strides[1] ?? 1, strides[2] ?? 1];
  const outShape = (h: StaticDim, w: StaticDim): StaticDim[] => [x.shape?.[0] ?? null, h, w, cout];
  if (ctx.pointwiseConv === 'matmul' && kh === 1 && kw === 1 && stride[0] === 1 && stride[1] === 1) {
    const w = b.initializer(`${node.name}/kernel`, 'float32', [cin, cout], kernel.data as Float32Array);
    return [{ name: b.op('MatMul', [x.name, w]), dtype: 'float32', shape: outShape(x.shape?.[1] ?? null, x.shape?.[2] ?? null) }];
  }
  const w = b.initializer(`${node.name}/kernel`, 'float32', [cout, cin, kh, kw], conv2dKernel(kernel.data as Float32Array, kernel.shape));
  const attrs: Record<string, ReturnType<typeof attr.int>> = {
    kernel_shape: attr.ints([kh, kw]),
    strides: attr.ints(stride),
    dilations: attr.ints([dilations[1] ?? 1, dilations[2] ?? 1]),
  };
  if (padding === 'SAME') attrs.auto_pad = attr.string('SAME_UPPER');
  else if (padding === 'EXPLICIT') {
    const p = ctx.attrInts(node, 'explicit_paddings'); // [n0,n1,h0,h1,w0,w1,c0,c1]
    attrs.pads = attr.ints([p[2] ?? 0, p[4] ?? 0, p[3] ?? 0, p[5] ?? 0]);
  } else if (padding !== 'VALID') throw ctx.unsupported(node, `padding ${padding} is not supported (SAME, VALID, EXPLICIT are)`);
  const nchw = b.op('Transpose', [x.name], { perm: attr.ints([0, 3, 1, 2]) });
  const conv = b.op('Conv', [nchw, w], attrs);
  return [{ name: b.op('Transpose', [conv], { perm: attr.ints([0, 2, 3, 1]) }), dtype: 'float32', shape: outShape(null, null) }];
};

const softmax: OpConverter = (ctx, node) => {
  const x = ctx.input(node, 0);
  return [{ ...x, name: ctx.builder.op('Softmax', [x.name], { axis: attr.int(-1) }) }];
};

export const nnOps: Record<string, OpConverter> = {
  MatMul: matmul('transpose_a', 'transpose_b'),
  BatchMatMul: matmul('adj_x', 'adj_y'),
  BatchMatMulV2: matmul('adj_x', 'adj_y'),
  Conv2D: conv2d,
  Softmax: softmax,
};
