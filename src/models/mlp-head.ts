import { attr, OnnxGraphBuilder } from './onnx/graph-builder.js';

/**
 * A classifier head: standardised features → one ReLU hidden layer → softmax over classes.
 * Weights are row-major: w1 is [features × hidden], w2 is [hidden × classes].
 */
export interface MlpWeights {
  mean: number[];
  std: number[];
  w1: number[];
  b1: number[];
  w2: number[];
  b2: number[];
  hidden: number;
  classes: number;
}

/** The head's probabilities for one feature row, in double precision (the reference for the ONNX export). */
export function mlpForward(m: MlpWeights, x: ArrayLike<number>): number[] {
  const f = m.mean.length;
  const h = new Array<number>(m.hidden).fill(0);
  for (let j = 0; j < m.hidden; j++) {
    let a = m.b1[j]!;
    for (let i = 0; i < f; i++) a += ((x[i]! - m.mean[i]!) / m.std[i]!) * m.w1[i * m.hidden + j]!;
    h[j] = Math.max(0, a);
  }
  const logits = Array.from({ length: m.classes }, (_, c) => h.reduce((a, v, j) => a + v * m.w2[j * m.classes + c]!, m.b2[c]!));
  const top = Math.max(...logits);
  const e = logits.map((l) => Math.exp(l - top));
  const total = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / total);
}

/** The head as an ONNX graph: input `features` [batch, F] float32 → output `probabilities` [batch, C]. */
export function mlpToOnnx(m: MlpWeights, name: string): Uint8Array {
  const f = m.mean.length;
  const b = new OnnxGraphBuilder(name);
  const x = b.input('features', 'float32', ['batch', f]);
  const init = (hint: string, dims: number[], values: number[]) => b.initializer(hint, 'float32', dims, Float32Array.from(values));
  const standardised = b.op('Div', [b.op('Sub', [x, init('mean', [f], m.mean)]), init('std', [f], m.std)]);
  const hidden = b.op('Relu', [b.op('Add', [b.op('MatMul', [standardised, init('w1', [f, m.hidden], m.w1)]), init('b1', [m.hidden], m.b1)])]);
  const logits = b.op('Add', [b.op('MatMul', [hidden, init('w2', [m.hidden, m.classes], m.w2)]), init('b2', [m.classes], m.b2)]);
  b.op('Softmax', [logits], { axis: attr.int(-1) }, 'probabilities');
  b.output('probabilities', 'float32', ['batch', m.classes]);
  return b.toBytes();
}
