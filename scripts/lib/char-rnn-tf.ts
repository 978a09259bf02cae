/**
 * The character-level LSTM / GRU in TF.js (wasm backend): the training runtime of
 * scripts/train-char-rnn.ts and the reference that the ONNX exports are checked against.
 * The cell equations are the ones documented on CharRnnWeights (src/sequence/char-rnn.ts).
 */
import { GATES } from '../../src/sequence/char-rnn.js';
import type { CellType, CharRnnWeights } from '../../src/sequence/char-rnn.js';
import { tf } from './tfjs-reference.js';
import { seededRandom } from '../../src/core/random.js';

export interface TfCharRnn {
  cell: CellType;
  hidden: number;
  vocabSize: number;
  wx: tf.Variable;
  wh: tf.Variable;
  bx: tf.Variable;
  bh: tf.Variable;
  wy: tf.Variable;
  by: tf.Variable;
}

export interface State {
  h: tf.Tensor2D;
  c?: tf.Tensor2D;
}

/** PyTorch's initialisation: U(−1/√H, 1/√H) everywhere; LSTM forget-gate bias 1. */
export function initWeights(cell: CellType, vocabSize: number, hidden: number, seed: number): CharRnnWeights {
  const rand = seededRandom(seed);
  const k = 1 / Math.sqrt(hidden);
  const u = (n: number) => Float32Array.from({ length: n }, () => (2 * rand() - 1) * k);
  const G = GATES[cell];
  const w: CharRnnWeights = { cell, hidden, vocabSize, wx: u(vocabSize * G * hidden), wh: u(hidden * G * hidden), bx: u(G * hidden), bh: u(G * hidden), wy: u(hidden * vocabSize), by: u(vocabSize) };
  if (cell === 'lstm') for (let j = hidden; j < 2 * hidden; j++) (w.bx[j] = 0.5), (w.bh[j] = 0.5);
  return w;
}

export function toTf(w: CharRnnWeights): TfCharRnn {
  const G = GATES[w.cell];
  const H = w.hidden;
  const v = (data: Float32Array, shape: number[], name: string) => tf.variable(tf.tensor(data, shape, 'float32'), true, `${w.cell}_${name}_${Math.random().toString(36).slice(2)}`);
  return {
    cell: w.cell,
    hidden: H,
    vocabSize: w.vocabSize,
    wx: v(w.wx, [w.vocabSize, G * H], 'wx'),
    wh: v(w.wh, [H, G * H], 'wh'),
    bx: v(w.bx, [G * H], 'bx'),
    bh: v(w.bh, [G * H], 'bh'),
    wy: v(w.wy, [H, w.vocabSize], 'wy'),
    by: v(w.by, [w.vocabSize], 'by'),
  };
}

export function fromTf(m: TfCharRnn): CharRnnWeights {
  const f = (t: tf.Tensor) => Float32Array.from(t.dataSync());
  return { cell: m.cell, hidden: m.hidden, vocabSize: m.vocabSize, wx: f(m.wx), wh: f(m.wh), bx: f(m.bx), bh: f(m.bh), wy: f(m.wy), by: f(m.by) };
}

export function zeroState(m: TfCharRnn, batch: number): State {
  return { h: tf.zeros([batch, m.hidden]), c: m.cell === 'lstm' ? tf.zeros([batch, m.hidden]) : undefined };
}

/** The input projection of character ids: wx[id] + bx, as [ids, G·H]. */
export function inputProjection(m: TfCharRnn, ids: tf.Tensor1D): tf.Tensor2D {
  // A one-hot product rather than tf.gather: the wasm backend has no gradient kernel for gather.
  // (Its float32 oneHot writes integer bit patterns, so the one-hot is made as int32 and cast.)
  return tf.add(tf.matMul(tf.cast(tf.oneHot(ids, m.vocabSize), 'float32'), m.wx), m.bx) as tf.Tensor2D;
}

/** The recurrent cell, given the input projection `xg` of this step. */
export function cellStep(m: TfCharRnn, xg: tf.Tensor2D, state: State): State {
  const H = m.hidden;
  const hg = tf.add(tf.matMul(state.h, m.wh), m.bh) as tf.Tensor2D;
  if (m.cell === 'lstm') {
    const [i, f, g, o] = tf.split(tf.add(xg, hg), 4, 1) as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
    const c = tf.add(tf.mul(tf.sigmoid(f), state.c!), tf.mul(tf.sigmoid(i), tf.tanh(g))) as tf.Tensor2D;
    return { h: tf.mul(tf.sigmoid(o), tf.tanh(c)), c };
  }
  const [xr, xz, xn] = tf.split(xg, [H, H, H], 1) as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
  const [hr, hz, hn] = tf.split(hg, [H, H, H], 1) as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
  const r = tf.sigmoid(tf.add(xr, hr));
  const z = tf.sigmoid(tf.add(xz, hz));
  const n = tf.tanh(tf.add(xn, tf.mul(r, hn)));
  return { h: tf.add(n, tf.mul(z, tf.sub(state.h, n))) };
}

export function outputLogits(m: TfCharRnn, h: tf.Tensor2D): tf.Tensor2D {
  return tf.add(tf.matMul(h, m.wy), m.by);
}

/** One step for a batch of character ids: the new state and the logits. */
export function step(m: TfCharRnn, ids: tf.Tensor1D, state: State): { state: State; logits: tf.Tensor2D } {
  const next = cellStep(m, inputProjection(m, ids), state);
  return { state: next, logits: outputLogits(m, next.h) };
}

/**
 * Runs `tokens` (batch × steps) from the zero state; returns every step's logits
 * ([steps][batch·V]) and the final state, as plain arrays: the reference for parity checks.
 */
export function forwardSequence(w: CharRnnWeights, tokens: number[][]): { logits: Float32Array[]; h: Float32Array; c?: Float32Array } {
  const m = toTf(w);
  try {
    return tf.tidy(() => {
      let state = zeroState(m, tokens.length);
      const logits: Float32Array[] = [];
      for (let t = 0; t < tokens[0]!.length; t++) {
        const out = step(m, tf.tensor1d(tokens.map((row) => row[t]!), 'int32'), state);
        state = out.state;
        logits.push(Float32Array.from(out.logits.dataSync()));
      }
      return { logits, h: Float32Array.from(state.h.dataSync()), c: state.c ? Float32Array.from(state.c.dataSync()) : undefined };
    });
  } finally {
    for (const v of [m.wx, m.wh, m.bx, m.bh, m.wy, m.by]) v.dispose();
  }
}
