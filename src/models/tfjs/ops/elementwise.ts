import { attr } from '../../onnx/graph-builder.js';
import type { OnnxDtype } from '../../onnx/graph-builder.js';
import type { OpConverter, StaticDim, TensorRef } from '../convert-context.js';

/** Numpy-style broadcast of two static shapes (TF and ONNX broadcast alike). */
export function broadcastShape(a: StaticDim[] | null, b: StaticDim[] | null): StaticDim[] | null {
  if (!a || !b) return null;
  const rank = Math.max(a.length, b.length);
  const out: StaticDim[] = [];
  for (let i = 0; i < rank; i++) {
    const ia = a.length - rank + i;
    const ib = b.length - rank + i;
    const x = ia >= 0 ? a[ia]! : 1;
    const y = ib >= 0 ? b[ib]! : 1;
    out.push(x === 1 ? y : y === 1 ? x : x ?? y);
  }
  return out;
}

function unary(onnxOp: string): OpConverter {
  return (ctx, node) => {
    const x = ctx.input(node, 0);
    return [{ ...x, name: ctx.builder.op(onnxOp, [x.name]) }];
  };
}

/**
 * MobileNetV3's x·relu6(x + 3)·c and relu6(x + 3)·c, fused by fusions.ts from their TF ops, with
 * input 1 the constant c ≈ 1/6. ONNX's ops use 1/6 exactly, so the result is scaled by 6c: the
 * same numbers as the TF ops when c is stored rounded (TF.js keeps it as float16).
 */
function hard(onnxOp: 'HardSwish' | 'HardSigmoid'): OpConverter {
  return (ctx, node) => {
    const x = ctx.input(node, 0);
    const b = ctx.builder;
    const y = b.op(onnxOp, [x.name], onnxOp === 'HardSigmoid' ? { alpha: attr.float(1 / 6), beta: attr.float(0.5) } : {});
    const scale = ctx.dataInputs(node).length > 1 ? Math.fround(6 * ctx.constant(node, 1, 'scale').values[0]!) : 1; // without c, the reading convolution applies it
    return [{ ...x, name: scale === 1 ? y : b.op('Mul', [y, b.scalar('float32', scale)]) }];
  };
}

function binary(onnxOp: string, resultDtype?: OnnxDtype): OpConverter {
  return (ctx, node) => {
    const a = ctx.input(node, 0);
    const b = ctx.input(node, 1);
    return [{ name: ctx.builder.op(onnxOp, [a.name, b.name]), dtype: resultDtype ?? a.dtype, shape: broadcastShape(a.shape, b.shape) }];
  };
}

const square: OpConverter = (ctx, node) => {
  const x = ctx.input(node, 0);
  return [{ ...x, name: ctx.builder.op('Mul', [x.name, x.name]) }];
};

const rsqrt: OpConverter = (ctx, node) => {
  const x = ctx.input(node, 0);
  return [{ ...x, name: ctx.builder.op('Reciprocal', [ctx.builder.op('Sqrt', [x.name])]) }];
};

const relu6: OpConverter = (ctx, node) => {
  const x = ctx.input(node, 0);
  const b = ctx.builder;
  return [{ ...x, name: b.op('Clip', [x.name, b.scalar('float32', 0), b.scalar('float32', 6)]) }];
};

const leakyRelu: OpConverter = (ctx, node) => {
  const x = ctx.input(node, 0);
  const alpha = node.attr?.alpha?.f ?? 0.2;
  return [{ ...x, name: ctx.builder.op('LeakyRelu', [x.name], { alpha: attr.float(alpha) }) }];
};

/** BiasAdd in NHWC (the TF.js default) is a broadcast Add along the last axis. */
const biasAdd: OpConverter = (ctx, node) => {
  const format = ctx.attrString(node, 'data_format', 'NHWC');
  if (format !== 'NHWC') throw ctx.unsupported(node, `data_format ${format} is not supported (NHWC is)`);
  return binary('Add')(ctx, node);
};

const cast: OpConverter = (ctx, node) => {
  const x = ctx.input(node, 0);
  const to = ctx.attrType(node, 'DstT');
  if (to === x.dtype) return [x];
  return [{ ...x, dtype: to, name: ctx.builder.op('Cast', [x.name], { to: attr.int(ONNX_TYPE_CODE[to]) }) }];
};

const ONNX_TYPE_CODE: Record<OnnxDtype, number> = { float32: 1, uint8: 2, int32: 6, int64: 7, bool: 9 };

const identity: OpConverter = (ctx, node) => [ctx.input(node, 0)];

/** `SelectV2(cond, a, b)` is ONNX's three-input Where. */
const select: OpConverter = (ctx, node) => {
  const [c, a, b] = [0, 1, 2].map((i) => ctx.input(node, i)) as [TensorRef, TensorRef, TensorRef];
  return [{ name: ctx.builder.op('Where', [c.name, a.name, b.name]), dtype: a.dtype, shape: broadcastShape(broadcastShape(c.shape, a.shape), b.shape) }];
};

export const elementwiseOps: Record<string, OpConverter> = {
  Identity: identity,
  Add: binary('Add'),
  AddV2: binary('Add'),
  Sub: binary('Sub'),
  Mul: binary('Mul'),
  RealDiv: binary('Div'),
  Div: binary('Div'),
  Maximum: binary('Max'),
  Minimum: binary('Min'),
  Pow: binary('Pow'),
  Less: binary('Less', 'bool'),
  LessEqual: binary('LessOrEqual', 'bool'),
  Greater: binary('Greater', 'bool'),
  GreaterEqual: binary('GreaterOrEqual', 'bool'),
  Equal: binary('Equal', 'bool'),
  LogicalAnd: binary('And', 'bool'),
  LogicalOr: binary('Or', 'bool'),
  LogicalNot: unary('Not'),
  BiasAdd: biasAdd,
  Square: square,
  Rsqrt: rsqrt,
  Sqrt: unary('Sqrt'),
  Exp: unary('Exp'),
  Log: unary('Log'),
  Neg: unary('Neg'),
  Abs: unary('Abs'),
  Sin: unary('Sin'),
  Cos: unary('Cos'),
  Tanh: unary('Tanh'),
  Sigmoid: unary('Sigmoid'),
  Relu: unary('Relu'),
  Relu6: relu6,
  _HardSwish: hard('HardSwish'),
  _HardSigmoid: hard('HardSigmoid'),
  LeakyRelu: leakyRelu,
  Cast: cast,
  SelectV2: select,
  Select: select,
};
