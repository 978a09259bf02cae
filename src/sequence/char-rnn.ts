import { OnnxGraphBuilder } from '../models/onnx/graph-builder.js';

export type CellType = 'lstm' | 'gru';

/** Gates per cell: LSTM i, f, g, o; GRU r, z, n. */
export const GATES: Record<CellType, number> = { lstm: 4, gru: 3 };

/**
 * A one-layer character-level recurrent language model. Matrices are row-major:
 *   wx [V × G·H] (the input projection of each character: a row per character),
 *   wh [H × G·H], bx and bh [G·H], wy [H × V], by [V].
 * LSTM: z = wx[x] + h·wh + bx + bh; i, f, o = σ(·), g = tanh(·); c' = f⊙c + i⊙g; h' = o⊙tanh(c').
 * GRU (as in PyTorch): r, z = σ(wx[x] + bx + h·wh + bh); n = tanh(wx_n[x] + bx_n + r⊙(h·wh_n + bh_n));
 *   h' = (1 − z)⊙n + z⊙h.
 * Logits: h'·wy + by.
 */
export interface CharRnnWeights {
  cell: CellType;
  hidden: number;
  vocabSize: number;
  wx: Float32Array;
  wh: Float32Array;
  bx: Float32Array;
  bh: Float32Array;
  wy: Float32Array;
  by: Float32Array;
}

/** What is saved beside the ONNX file (`<name>.json`). */
export interface CharRnnManifest {
  name: string;
  cell: CellType;
  hidden: number;
  /** Characters by id; id 0 stands for any character not in the training text. */
  vocab: string[];
  trainedOn: string[];
  metrics?: Record<string, unknown>;
}

export const UNKNOWN_CHAR = '\uFFFD';

/**
 * One step of the model as ONNX: inputs `token` int64 [B], `h` [B, H] (and `c` [B, H] for LSTM);
 * outputs `logits` [B, V], `h_out` (and `c_out`). Generation feeds the states back.
 */
export function charRnnToOnnx(w: CharRnnWeights, name: string): Uint8Array {
  const H = w.hidden;
  const G = GATES[w.cell];
  const b = new OnnxGraphBuilder(name);
  const token = b.input('token', 'int64', ['batch']);
  const h = b.input('h', 'float32', ['batch', H]);
  const c = w.cell === 'lstm' ? b.input('c', 'float32', ['batch', H]) : '';
  const init = (hint: string, dims: number[], data: Float32Array) => b.initializer(hint, 'float32', dims, data);
  const wx = init('wx', [w.vocabSize, G * H], w.wx);
  const wh = init('wh', [H, G * H], w.wh);
  const bx = init('bx', [G * H], w.bx);
  const bh = init('bh', [G * H], w.bh);
  const xg = b.op('Add', [b.op('Gather', [wx, token]), bx]);
  const hg = b.op('Add', [b.op('MatMul', [h, wh]), bh]);
  const split = (x: string, n: number) => b.node('Split', [x, b.int64s(Array(n).fill(H))], n, { axis: { kind: 'int', value: 1 } });
  let hOut: string;
  if (w.cell === 'lstm') {
    const [i, f, g, o] = split(b.op('Add', [xg, hg]), 4) as [string, string, string, string];
    const cOut = b.op('Add', [b.op('Mul', [b.op('Sigmoid', [f]), c]), b.op('Mul', [b.op('Sigmoid', [i]), b.op('Tanh', [g])])], {}, 'c_out');
    hOut = b.op('Mul', [b.op('Sigmoid', [o]), b.op('Tanh', [cOut])], {}, 'h_out');
  } else {
    const [xr, xz, xn] = split(xg, 3) as [string, string, string];
    const [hr, hz, hn] = split(hg, 3) as [string, string, string];
    const r = b.op('Sigmoid', [b.op('Add', [xr, hr])]);
    const z = b.op('Sigmoid', [b.op('Add', [xz, hz])]);
    const n = b.op('Tanh', [b.op('Add', [xn, b.op('Mul', [r, hn])])]);
    // h' = n + z⊙(h − n)
    hOut = b.op('Add', [n, b.op('Mul', [z, b.op('Sub', [h, n])])], {}, 'h_out');
  }
  b.op('Add', [b.op('MatMul', [hOut, init('wy', [H, w.vocabSize], w.wy)]), init('by', [w.vocabSize], w.by)], {}, 'logits');
  b.output('logits', 'float32', ['batch', w.vocabSize]);
  b.output('h_out', 'float32', ['batch', H]);
  if (w.cell === 'lstm') b.output('c_out', 'float32', ['batch', H]);
  return b.toBytes();
}

/** Character → id (unknown characters → 0). */
export function encodeChars(text: string, vocab: readonly string[]): number[] {
  const ids = new Map(vocab.map((ch, i) => [ch, i]));
  return Array.from(text, (ch) => ids.get(ch) ?? 0);
}
