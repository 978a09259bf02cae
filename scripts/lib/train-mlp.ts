import type { MlpWeights } from '../../src/models/mlp-head.js';
import { mlpForward } from '../../src/models/mlp-head.js';

export interface TrainOptions {
  hidden: number;
  epochs: number;
  learningRate: number;
  /** L2 penalty on the weights. */
  weightDecay: number;
  seed: number;
}

/**
 * Trains an MlpWeights head by full-batch Adam on softmax cross-entropy (no class weighting,
 * so that its probabilities stay calibrated to the training label frequencies).
 */
export function trainMlp(rows: number[][], labels: number[], classes: number, o: TrainOptions): MlpWeights {
  const f = rows[0]!.length;
  const n = rows.length;
  const mean = Array.from({ length: f }, (_, i) => rows.reduce((a, r) => a + r[i]!, 0) / n);
  const std = Array.from({ length: f }, (_, i) => Math.sqrt(rows.reduce((a, r) => a + (r[i]! - mean[i]!) ** 2, 0) / n) || 1);
  const xs = rows.map((r) => Float64Array.from(r, (v, i) => (v - mean[i]!) / std[i]!));
  let seed = o.seed >>> 0;
  const random = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  const gaussian = () => Math.sqrt(-2 * Math.log(random() + 1e-12)) * Math.cos(2 * Math.PI * random());
  const H = o.hidden;
  const C = classes;
  const params = {
    w1: Float64Array.from({ length: f * H }, () => gaussian() * Math.sqrt(2 / f)),
    b1: new Float64Array(H),
    w2: Float64Array.from({ length: H * C }, () => gaussian() * Math.sqrt(1 / H)),
    b2: new Float64Array(C),
  };
  type Key = keyof typeof params;
  const keys = Object.keys(params) as Key[];
  const zeros = () => Object.fromEntries(keys.map((k) => [k, new Float64Array(params[k].length)])) as Record<Key, Float64Array>;
  const adamM = zeros();
  const adamV = zeros();
  const grad = zeros();
  // Scratch buffers for one row, reused: the arithmetic is the plain per-row backpropagation below.
  const pre = new Float64Array(H);
  const h = new Float64Array(H);
  const e = new Float64Array(C);
  const dLogits = new Float64Array(C);
  const dh = new Float64Array(H);
  for (let epoch = 1; epoch <= o.epochs; epoch++) {
    for (const k of keys) grad[k].fill(0);
    for (let r = 0; r < n; r++) {
      const x = xs[r]!;
      for (let j = 0; j < H; j++) {
        let a = params.b1[j]!;
        for (let i = 0; i < f; i++) a += x[i]! * params.w1[i * H + j]!;
        pre[j] = a;
        h[j] = Math.max(0, a);
      }
      let top = -Infinity;
      for (let c = 0; c < C; c++) {
        let a = params.b2[c]!;
        for (let j = 0; j < H; j++) a += h[j]! * params.w2[j * C + c]!;
        e[c] = a;
        top = Math.max(top, a);
      }
      let total = 0;
      for (let c = 0; c < C; c++) total += e[c] = Math.exp(e[c]! - top);
      for (let c = 0; c < C; c++) dLogits[c] = (e[c]! / total - (c === labels[r] ? 1 : 0)) / n;
      dh.fill(0);
      for (let j = 0; j < H; j++) {
        for (let c = 0; c < C; c++) {
          grad.w2[j * C + c]! += h[j]! * dLogits[c]!;
          dh[j]! += params.w2[j * C + c]! * dLogits[c]!;
        }
      }
      for (let c = 0; c < C; c++) grad.b2[c]! += dLogits[c]!;
      for (let j = 0; j < H; j++) {
        if (pre[j]! <= 0) continue;
        grad.b1[j]! += dh[j]!;
        for (let i = 0; i < f; i++) grad.w1[i * H + j]! += x[i]! * dh[j]!;
      }
    }
    for (const key of ['w1', 'w2'] as const) params[key].forEach((w, i) => (grad[key][i]! += o.weightDecay * w));
    for (const key of keys) {
      const p = params[key];
      const m = adamM[key];
      const v = adamV[key];
      const g = grad[key];
      for (let i = 0; i < p.length; i++) {
        m[i] = 0.9 * m[i]! + 0.1 * g[i]!;
        v[i] = 0.999 * v[i]! + 0.001 * g[i]! * g[i]!;
        const mHat = m[i]! / (1 - 0.9 ** epoch);
        const vHat = v[i]! / (1 - 0.999 ** epoch);
        p[i] = p[i]! - (o.learningRate * mHat) / (Math.sqrt(vHat) + 1e-8);
      }
    }
  }
  return { mean, std, w1: Array.from(params.w1), b1: Array.from(params.b1), w2: Array.from(params.w2), b2: Array.from(params.b2), hidden: H, classes };
}

/** Accuracy, expected calibration error (10 equal-width confidence bins) and the bins themselves. */
export function calibration(model: MlpWeights, rows: number[][], labels: number[]) {
  const bins = Array.from({ length: 10 }, (_, i) => ({ from: i / 10, to: (i + 1) / 10, count: 0, confidence: 0, accuracy: 0 }));
  let correct = 0;
  rows.forEach((row, r) => {
    const p = mlpForward(model, row);
    const predicted = p.indexOf(Math.max(...p));
    const confidence = p[predicted]!;
    const hit = predicted === labels[r] ? 1 : 0;
    correct += hit;
    const bin = bins[Math.min(9, Math.floor(confidence * 10))]!;
    bin.count++;
    bin.confidence += confidence;
    bin.accuracy += hit;
  });
  for (const b of bins) if (b.count) {
    b.confidence /= b.count;
    b.accuracy /= b.count;
  }
  const ece = bins.reduce((a, b) => a + (b.count / rows.length) * Math.abs(b.accuracy - b.confidence), 0);
  return { accuracy: correct / rows.length, ece, bins };
}
