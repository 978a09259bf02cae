import { describe, expect, it } from 'vitest';
import { argmax, critiqueScores, relevanceScore, retrieveProbability, supportScore, utilityScore } from '../../src/rag/self-rag/reflection.js';
import type { Judgement } from '../../src/rag/self-rag/reflection.js';

const judgement: Judgement = {
  isRel: { '[Relevant]': 0.6, '[Irrelevant]': 0.2 },
  isSup: { '[Fully supported]': 0.3, '[Partially supported]': 0.4, '[No support / Contradictory]': 0.1 },
  isUse: { '[Utility:1]': 0.1, '[Utility:2]': 0.1, '[Utility:3]': 0.2, '[Utility:4]': 0.2, '[Utility:5]': 0.4 },
};

describe('Self-RAG critique scores (hand-computed)', () => {
  it('s_rel renormalises over the two IsREL tokens', () => {
    expect(relevanceScore(judgement.isRel)).toBeCloseTo(0.6 / 0.8, 12); // 0.75
  });

  it('s_sup = p(full)/S + 0.5·p(partial)/S', () => {
    expect(supportScore(judgement.isSup)).toBeCloseTo((0.3 + 0.5 * 0.4) / 0.8, 12); // 0.625
  });

  it('s_use = Σ w_i·p(i)/S with w = (−1, −0.5, 0, 0.5, 1)', () => {
    // (−0.1 − 0.05 + 0 + 0.1 + 0.4) / 1.0 = 0.35
    expect(utilityScore(judgement.isUse)).toBeCloseTo(0.35, 12);
  });

  it('the total weighs the three, 1, 1 and 0.5 by default, and takes other weights', () => {
    expect(critiqueScores(judgement).total).toBeCloseTo(0.75 + 0.625 + 0.5 * 0.35, 12); // 1.55
    expect(critiqueScores(judgement, { rel: 2, sup: 0, use: 1 }).total).toBeCloseTo(2 * 0.75 + 0.35, 12); // 1.85
  });

  it('the retrieve probability ignores [Continue to Use Evidence]', () => {
    expect(retrieveProbability({ '[Retrieval]': 0.15, '[No Retrieval]': 0.45, '[Continue to Use Evidence]': 0.4 })).toBeCloseTo(0.25, 12);
  });

  it('a group with no mass scores 0 instead of dividing by zero; argmax picks the likeliest token', () => {
    expect(relevanceScore({ '[Relevant]': 0, '[Irrelevant]': 0 })).toBe(0);
    expect(argmax(judgement.isSup)).toBe('[Partially supported]');
  });
});
