import { seededRandom } from '../core/random.js';
/**
 * Evaluation measures: retrieval recall@k and MRR; SQuAD-style answer normalisation, exact
 * match, token F1 and "answer contains a gold answer" (the accuracy Self-RAG reports for
 * PopQA and TriviaQA); citation precision and recall; seeded bootstrap intervals.
 */

/** Share of the gold ids found among the first k ranked ids. */
export function recallAtK(ranked: readonly string[], gold: readonly string[], k: number): number {
  if (gold.length === 0) return Number.NaN;
  const top = new Set(ranked.slice(0, k));
  return gold.filter((g) => top.has(g)).length / gold.length;
}

/** 1 / rank of the first gold id, 0 when none is ranked. */
export function reciprocalRank(ranked: readonly string[], gold: readonly string[]): number {
  const i = ranked.findIndex((id) => gold.includes(id));
  return i < 0 ? 0 : 1 / (i + 1);
}

/** Lower case, no punctuation, no articles (a, an, the), single spaces — as the SQuAD script does. */
export function normaliseAnswer(text: string): string {
  return text
    .toLowerCase()
    .replace(/[\p{P}\p{S}]/gu, ' ')
    .replace(/\b(a|an|the)\b/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

export function exactMatch(prediction: string, golds: readonly string[]): number {
  const p = normaliseAnswer(prediction);
  return golds.some((g) => normaliseAnswer(g) === p) ? 1 : 0;
}

export function tokenF1(prediction: string, golds: readonly string[]): number {
  const p = normaliseAnswer(prediction).split(' ').filter(Boolean);
  let best = 0;
  for (const gold of golds) {
    const g = normaliseAnswer(gold).split(' ').filter(Boolean);
    const counts = new Map<string, number>();
    for (const t of g) counts.set(t, (counts.get(t) ?? 0) + 1);
    let common = 0;
    for (const t of p) {
      const n = counts.get(t) ?? 0;
      if (n > 0) {
        common++;
        counts.set(t, n - 1);
      }
    }
    if (common === 0) continue;
    const precision = common / p.length;
    const recall = common / g.length;
    best = Math.max(best, (2 * precision * recall) / (precision + recall));
  }
  return best;
}

/** 1 when the normalised prediction contains a normalised gold answer (as whole tokens). */
export function containsAnswer(prediction: string, golds: readonly string[]): number {
  const p = ` ${normaliseAnswer(prediction)} `;
  return golds.some((g) => {
    const n = normaliseAnswer(g);
    return n.length > 0 && p.includes(` ${n} `);
  })
    ? 1
    : 0;
}

/** Share of cited documents that are gold (NaN when nothing is cited). */
export function citationPrecision(cited: readonly string[], gold: readonly string[]): number {
  if (cited.length === 0) return Number.NaN;
  return cited.filter((c) => gold.includes(c)).length / cited.length;
}

/** Share of gold documents that are cited. */
export function citationRecall(cited: readonly string[], gold: readonly string[]): number {
  if (gold.length === 0) return Number.NaN;
  const set = new Set(cited);
  return gold.filter((g) => set.has(g)).length / gold.length;
}

export function mean(values: readonly number[]): number {
  const finite = values.filter((v) => !Number.isNaN(v));
  return finite.length === 0 ? Number.NaN : finite.reduce((a, b) => a + b, 0) / finite.length;
}

export function quantile(values: readonly number[], q: number): number {
  const sorted = values.filter((v) => !Number.isNaN(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

export interface Interval {
  mean: number;
  low: number;
  high: number;
}

/** Percentile bootstrap 95% interval of the mean (NaN values are left out). */
export function bootstrapMean(values: readonly number[], options: { resamples?: number; seed?: number } = {}): Interval {
  const data = values.filter((v) => !Number.isNaN(v));
  const m = mean(data);
  if (data.length === 0) return { mean: Number.NaN, low: Number.NaN, high: Number.NaN };
  const random = seededRandom(options.seed ?? 1);
  const means: number[] = [];
  for (let r = 0; r < (options.resamples ?? 2000); r++) {
    let sum = 0;
    for (let i = 0; i < data.length; i++) sum += data[Math.floor(random() * data.length)]!;
    means.push(sum / data.length);
  }
  return { mean: m, low: quantile(means, 0.025), high: quantile(means, 0.975) };
}

/** Paired bootstrap of mean(a - b) over the same questions (pairs with a NaN are left out). */
export function pairedDifference(a: readonly number[], b: readonly number[], options: { resamples?: number; seed?: number } = {}): Interval {
  const diffs = a.map((x, i) => x - b[i]!).filter((d) => !Number.isNaN(d));
  return bootstrapMean(diffs, options);
}
