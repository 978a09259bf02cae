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
  const xs = rows.map((r) => r.map((v, i) => (v - mean[i]!) / std[i]!));
  let seed = o.seed >>> 0;
  const random = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  const gaussian = () => Math.sqrt(-2 * Math.log(random() + 1e-12)) * Math.cos(2 * Math.PI * random());
  const H = o.hidden;
  const params = {
    w1: Array.from({ length: f * H }, () => gaussian() * Math.sqrt(2 / f)),
    b1: new Array<number>(H).fill(0),
    w2: Array.from({ length: H * classes }, () => gaussian() * Math.sqrt(1 / H)),
    b2: new Array<number>(classes).fill(0),
  };
  const adam = Object.fromEntries(Object.entries(params).map(([k, v]) => [k, { m: new Array<number>(v.length).fill(0), v: new Array<number>(v.length).fill(0) }])) as Record<keyof typeof params, { m: number[]; v: number[] }>;
  for (let epoch = 1; epoch <= o.epochs; epoch++) {
    const grad = { w1: new Array<number>(f * H).fill(0), b1: new Array<number>(H).fill(0), w2: new Array<number>(H * classes).fill(0), b2: new Array<number>(classes).fill(0) };
    for (let r = 0; r < n; r++) {
      const x = xs[r]!;
      const pre = Array.from({ length: H }, (_, j) => x.reduce((a, v, i) => a + v * params.w1[i * H + j]!, params.b1[j]!));
      const h = pre.map((v) => Math.max(0, v));
      const logits = Array.from({ length: classes }, (_, c) => h.reduce((a, v, j) => a + v * params.w2[j * classes + c]!, params.b2[c]!));
      const top = Math.max(...logits);
      const e = logits.map((l) => Math.exp(l - top));
      const total = e.reduce((a, b) => a + b, 0);
      const dLogits = e.map((v, c) => (v / total - (c === labels[r] ? 1 : 0)) / n);
      const dh = new Array<number>(H).fill(0);
      for (let j = 0; j < H; j++) {
        for (let c = 0; c < classes; c++) {
          grad.w2[j * classes + c]! += h[j]! * dLogits[c]!;
          dh[j]! += params.w2[j * classes + c]! * dLogits[c]!;
        }
      }
      for (let c = 0; c < classes; c++) grad.b2[c]! += dLogits[c]!;
      for (let j = 0; j < H; j++) {
        if (pre[j]! <= 0) continue;
        grad.b1[j]! += dh[j]!;
        for (let i = 0; i < f; i++) grad.w1[i * H + j]! += x[i]! * dh[j]!;
      }
    }
    for (const key of ['w1', 'w2'] as const) params[key].forEach((w, i) => (grad[key][i]! += o.weightDecay * w));
    for (const key of Object.keys(params) as Array<keyof typeof params>) {
      const p = params[key];
      const s = adam[key];
      for (let i = 0; i < p.length; i++) {
        const g = grad[key][i]!;
        s.m[i] = 0.9 * s.m[i]! + 0.1 * g;
        s.v[i] = 0.999 * s.v[i]! + 0.001 * g * g;
        const mHat = s.m[i]! / (1 - 0.9 ** epoch);
        const vHat = s.v[i]! / (1 - 0.999 ** epoch);
        p[i] = p[i]! - (o.learningRate * mHat) / (Math.sqrt(vHat) + 1e-8);
      }
    }
  }
  return { mean, std, ...params, hidden: H, classes };
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
