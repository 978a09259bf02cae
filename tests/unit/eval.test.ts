import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../src/core/random.js';
import { fromBeir, fromHotpotQa, fromMusique } from '../../src/eval/converters.js';
import {
  bootstrapMean,
  citationPrecision,
  citationRecall,
  containsAnswer,
  exactMatch,
  normaliseAnswer,
  pairedDifference,
  recallAtK,
  reciprocalRank,
  tokenF1,
} from '../../src/eval/metrics.js';

describe('retrieval measures', () => {
  it('recall@k and MRR on hand-computed cases', () => {
    const ranked = ['x', 'g1', 'y', 'z', 'g2'];
    expect(recallAtK(ranked, ['g1', 'g2'], 1)).toBe(0);
    expect(recallAtK(ranked, ['g1', 'g2'], 2)).toBe(0.5);
    expect(recallAtK(ranked, ['g1', 'g2'], 5)).toBe(1);
    expect(recallAtK(ranked, ['g1', 'g3'], 10)).toBe(0.5);
    expect(reciprocalRank(ranked, ['g1', 'g2'])).toBe(0.5);
    expect(reciprocalRank(ranked, ['g9'])).toBe(0);
    expect(reciprocalRank(['g2'], ['g1', 'g2'])).toBe(1);
  });
});

describe('answer measures (SQuAD normalisation)', () => {
  it('normalises case, punctuation, articles and spaces', () => {
    expect(normaliseAnswer('  The  Eiffel-Tower!! ')).toBe('eiffel tower');
    expect(normaliseAnswer('An apple, a pear')).toBe('apple pear');
  });

  it('exact match, token F1 and containment', () => {
    expect(exactMatch('the Eiffel Tower', ['Eiffel Tower'])).toBe(1);
    expect(exactMatch('Eiffel', ['Eiffel Tower'])).toBe(0);
    // prediction "eiffel tower paris" vs gold "eiffel tower": P = 2/3, R = 1, F1 = 0.8
    expect(tokenF1('Eiffel Tower, Paris', ['Eiffel Tower'])).toBeCloseTo(0.8, 10);
    expect(tokenF1('nothing alike', ['Eiffel Tower'])).toBe(0);
    // a repeated token matches only as often as the gold has it: "x x y" vs "x y": P = 2/3, R = 1
    expect(tokenF1('x x y', ['x y'])).toBeCloseTo((2 * (2 / 3) * 1) / (2 / 3 + 1), 10);
    expect(containsAnswer('It was built in Paris in 1889.', ['1889'])).toBe(1);
    expect(containsAnswer('It was built in 18890.', ['1889'])).toBe(0);
    expect(containsAnswer('Yes, both were directors.', ['yes'])).toBe(1);
  });

  it('citation precision and recall', () => {
    expect(citationPrecision(['a', 'b', 'c', 'a'], ['a'])).toBe(0.5);
    expect(citationPrecision([], ['a'])).toBeNaN();
    expect(citationRecall(['a', 'x'], ['a', 'b'])).toBe(0.5);
  });
});

describe('bootstrap', () => {
  it('covers the true mean of a known distribution about 95% of the time', () => {
    const random = seededRandom(3);
    let covered = 0;
    const trials = 200;
    for (let t = 0; t < trials; t++) {
      const sample = Array.from({ length: 100 }, () => (random() < 0.3 ? 1 : 0)); // Bernoulli(0.3)
      const ci = bootstrapMean(sample, { resamples: 400, seed: t + 1 });
      if (ci.low <= 0.3 && 0.3 <= ci.high) covered++;
    }
    expect(covered / trials).toBeGreaterThan(0.88);
    expect(covered / trials).toBeLessThanOrEqual(1);
  });

  it('gives the normal-theory width for a Bernoulli mean, and a degenerate interval for constants', () => {
    const sample = Array.from({ length: 400 }, (_, i) => (i % 2 === 0 ? 1 : 0)); // p = 0.5, se = 0.025
    const ci = bootstrapMean(sample, { resamples: 4000, seed: 9 });
    expect(ci.mean).toBe(0.5);
    expect(ci.high - ci.low).toBeGreaterThan(2 * 1.96 * 0.025 * 0.85);
    expect(ci.high - ci.low).toBeLessThan(2 * 1.96 * 0.025 * 1.15);
    expect(bootstrapMean([1, 1, 1])).toEqual({ mean: 1, low: 1, high: 1 });
  });

  it('pairs differences question by question', () => {
    const a = [1, 1, 1, 0, Number.NaN];
    const b = [0, 1, 0, 0, 1];
    expect(pairedDifference(a, b, { seed: 1 }).mean).toBe(0.5);
  });
});

describe('dataset converters on tiny fixtures', () => {
  it('HotpotQA: passages by title, gold = titles in supporting_facts, with the supporting sentences', () => {
    const ds = fromHotpotQa({ Paris: ['Paris is in France.', ' It has a tower.'], Rome: ['Rome is in Italy.'] }, [
      { _id: 'q1', question: 'Where is Paris?', answer: 'France', type: 'bridge', supporting_facts: [['Paris', 0], ['Paris', 1]] },
    ]);
    expect(ds.corpus).toEqual([{ id: 'Paris', title: 'Paris', text: 'Paris is in France. It has a tower.' }, { id: 'Rome', title: 'Rome', text: 'Rome is in Italy.' }]);
    expect(ds.questions).toEqual([{ id: 'q1', question: 'Where is Paris?', answers: ['France'], goldIds: ['Paris'], type: 'bridge', supportingSentences: ['Paris is in France.', 'It has a tower.'] }]);
    expect(() => fromHotpotQa({}, [{ _id: 'q', question: '?', answer: 'a', supporting_facts: [['Nowhere', 0]] }])).toThrow(/not in the corpus/);
  });

  it('BEIR: qrels with a positive score are gold; queries without qrels are dropped', () => {
    const ds = fromBeir([{ _id: 'd1', title: 'T', text: 'x' }, { _id: 'd2', text: 'y' }], [{ _id: 'q1', text: 'find x' }, { _id: 'q2', text: 'orphan' }], 'query-id\tcorpus-id\tscore\nq1\td1\t1\nq1\td2\t0\n');
    expect(ds.corpus[1]).toEqual({ id: 'd2', title: '', text: 'y' });
    expect(ds.questions).toEqual([{ id: 'q1', question: 'find x', answers: [], goldIds: ['d1'] }]);
  });

  it('MuSiQue: pooled, deduplicated paragraphs; supporting ones are gold; unanswerable has no answers', () => {
    const p = (title: string, text: string, is_supporting = false) => ({ title, paragraph_text: text, is_supporting });
    const ds = fromMusique([
      { id: 'm1', question: 'Who?', answer: 'Ann', answer_aliases: ['Anne'], answerable: true, paragraphs: [p('A', 'Ann wrote it.', true), p('B', 'Noise.')] },
      { id: 'm2', question: 'What?', answer: 'X', answerable: false, paragraphs: [p('B', 'Noise.'), p('C', 'More.', true)] },
    ]);
    expect(ds.corpus.map((c) => c.title)).toEqual(['A', 'B', 'C']);
    expect(ds.questions[0]).toMatchObject({ answers: ['Ann', 'Anne'], goldIds: [ds.corpus[0]!.id] });
    expect(ds.questions[1]).toMatchObject({ answers: [], goldIds: [ds.corpus[2]!.id] });
  });
});
