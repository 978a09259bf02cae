/**
 * Self-RAG's reflection tokens (Asai et al., 2023) and the paper's critique scores, computed
 * from probabilities (each group's distribution renormalised over the group's own tokens).
 */
export const RETRIEVE_TOKENS = ['[Retrieval]', '[No Retrieval]', '[Continue to Use Evidence]'] as const;
export const IS_REL_TOKENS = ['[Relevant]', '[Irrelevant]'] as const;
export const IS_SUP_TOKENS = ['[Fully supported]', '[Partially supported]', '[No support / Contradictory]'] as const;
export const IS_USE_TOKENS = ['[Utility:1]', '[Utility:2]', '[Utility:3]', '[Utility:4]', '[Utility:5]'] as const;

export type RetrieveToken = (typeof RETRIEVE_TOKENS)[number];
export type IsRelToken = (typeof IS_REL_TOKENS)[number];
export type IsSupToken = (typeof IS_SUP_TOKENS)[number];
export type IsUseToken = (typeof IS_USE_TOKENS)[number];

/** A probability for each token of one group. */
export type Distribution<T extends string> = Record<T, number>;

/** The critic's judgement of one candidate segment generated from one passage. */
export interface Judgement {
  isRel: Distribution<IsRelToken>;
  isSup: Distribution<IsSupToken>;
  isUse: Distribution<IsUseToken>;
}

export interface CritiqueWeights {
  rel: number;
  sup: number;
  use: number;
}

export const DEFAULT_WEIGHTS: CritiqueWeights = Object.freeze({ rel: 1, sup: 1, use: 0.5 });

/** Utility weights for [Utility:1]…[Utility:5]. */
const USE_WEIGHTS = [-1, -0.5, 0, 0.5, 1];

function sum(values: number[]): number {
  return values.reduce((a, b) => a + b, 0);
}

/** p(yes) / (p(yes) + p(no)): retrieval happens when this exceeds the threshold δ. */
export function retrieveProbability(d: Distribution<RetrieveToken>): number {
  const total = d['[Retrieval]'] + d['[No Retrieval]'];
  return total > 0 ? d['[Retrieval]'] / total : 0;
}

/** s_rel = p(relevant) / (p(relevant) + p(irrelevant)). */
export function relevanceScore(d: Distribution<IsRelToken>): number {
  const total = d['[Relevant]'] + d['[Irrelevant]'];
  return total > 0 ? d['[Relevant]'] / total : 0;
}

/** s_sup = p(fully)/S + 0.5·p(partially)/S, S the sum of the three. */
export function supportScore(d: Distribution<IsSupToken>): number {
  const total = sum(IS_SUP_TOKENS.map((t) => d[t]));
  return total > 0 ? (d['[Fully supported]'] + 0.5 * d['[Partially supported]']) / total : 0;
}

/** s_use = Σ w_i·p(i)/S with w = (−1, −0.5, 0, 0.5, 1), S the sum of the five. */
export function utilityScore(d: Distribution<IsUseToken>): number {
  const total = sum(IS_USE_TOKENS.map((t) => d[t]));
  return total > 0 ? sum(IS_USE_TOKENS.map((t, i) => USE_WEIGHTS[i]! * d[t])) / total : 0;
}

export interface CritiqueScores {
  rel: number;
  sup: number;
  use: number;
  total: number;
}

/** The three scores and their weighted total w_rel·s_rel + w_sup·s_sup + w_use·s_use. */
export function critiqueScores(j: Judgement, w: CritiqueWeights = DEFAULT_WEIGHTS): CritiqueScores {
  const rel = relevanceScore(j.isRel);
  const sup = supportScore(j.isSup);
  const use = utilityScore(j.isUse);
  return { rel, sup, use, total: w.rel * rel + w.sup * sup + w.use * use };
}

/** Builds a distribution from probabilities listed in the group's token order. */
export function distribution<T extends string>(tokens: readonly T[], probabilities: ArrayLike<number>): Distribution<T> {
  return Object.fromEntries(tokens.map((t, i) => [t, probabilities[i] ?? 0])) as Distribution<T>;
}

/** The most probable token of a distribution. */
export function argmax<T extends string>(d: Distribution<T>): T {
  return (Object.entries(d) as Array<[T, number]>).reduce((a, b) => (b[1] > a[1] ? b : a))[0];
}
