import { describe, expect, it } from 'vitest';
import type { AnswerSegment, Passage } from '../../src/llm/generator.js';
import { segmentBeamSearch } from '../../src/rag/self-rag/beam-search.js';
import type { Critic, CritiqueInput } from '../../src/rag/self-rag/critic.js';
import { DEFAULT_WEIGHTS } from '../../src/rag/self-rag/reflection.js';
import type { Judgement } from '../../src/rag/self-rag/reflection.js';
import type { SegmentGenerator } from '../../src/rag/self-rag/segment-generator.js';

const passages: Passage[] = [1, 2].map((ref) => ({ ref, title: `p${ref}`, score: 1, chunk: { id: ref, docId: `d${ref}`, ordinal: 0, text: '', start: 0, end: 0, page: null } as unknown as Passage['chunk'] }));

/** FAKE generator: passage n's k-th segment is "n.k"; passage 2 has one segment only. */
class FakeScriptedGenerator implements SegmentGenerator {
  readonly id = 'fake-scripted';
  calls = 0;
  async nextSegments(_q: string, ps: Passage[], previous: AnswerSegment[]): Promise<AnswerSegment[][]> {
    this.calls++;
    return ps.map((p) => {
      const used = previous.filter((s) => s.citations[0]!.ref === p.ref).length;
      if (p.ref === 2 && used >= 1) return [];
      return [{ text: `${p.ref}.${used + 1}`, citations: [{ ref: p.ref, start: used, end: used + 1 }] }];
    });
  }
}

/** A judgement with s_rel = `rel` and s_use = 0; IsSUP is set by the critic below. */
function judgementWithRelevance(rel: number): Judgement {
  return {
    isRel: { '[Relevant]': rel, '[Irrelevant]': 1 - rel },
    isSup: { '[Fully supported]': 0, '[Partially supported]': 0, '[No support / Contradictory]': 1 },
    isUse: { '[Utility:1]': 0, '[Utility:2]': 0, '[Utility:3]': 1, '[Utility:4]': 0, '[Utility:5]': 0 },
  };
}

/** FAKE critic: s_rel comes from a script keyed by segment text; IsSUP is mostly [Fully supported] (2/3), [No support] for `unsupported`. */
class FakeScriptedCritic implements Critic {
  readonly id = 'fake-scripted';
  judged: string[] = [];
  constructor(private readonly totals: Record<string, number>, private readonly unsupported = new Set<string>()) {}
  async retrieve() {
    return { '[Retrieval]': 1, '[No Retrieval]': 0, '[Continue to Use Evidence]': 0 };
  }
  async judge(inputs: CritiqueInput[]): Promise<Judgement[]> {
    this.judged.push(...inputs.map((i) => i.segment));
    return inputs.map((i) => {
      const j = judgementWithRelevance(this.totals[i.segment]!);
      if (!this.unsupported.has(i.segment)) j.isSup = { '[Fully supported]': 0.2, '[Partially supported]': 0, '[No support / Contradictory]': 0.1 };
      return j;
    });
  }
}

// The scripted generators give no likelihood, so the weight on it changes nothing unless a test gives one.
const options = { width: 2, maxDepth: 3, weights: { rel: 1, sup: 0, use: 0 }, likelihoodWeight: 1, dropNoSupport: false };

describe('segment-level beam search (scripted fakes)', () => {
  it('multiplies scores down each path and keeps the best `width` nodes per depth', async () => {
    const critic = new FakeScriptedCritic({ '1.1': 0.9, '2.1': 0.8, '1.2': 0.5, '1.3': 0.9 });
    const result = await segmentBeamSearch('q', passages, new FakeScriptedGenerator(), critic, options);
    // depth 0: [1.1] 0.9, [2.1] 0.8
    // depth 1: from [1.1]: +1.2 → 0.45, +2.1 → 0.72; from [2.1] (passage 2 has ended): +1.1 → 0.72
    //   the two 0.72 nodes go on; the stable sort keeps [1.1,2.1] first
    // depth 2: each adds 1.2 → 0.36
    expect(result.best.path.map((s) => s.segment.text)).toEqual(['1.1', '2.1', '1.2']);
    expect(result.best.score).toBeCloseTo(0.9 * 0.8 * 0.5, 12);
    expect(result.beams).toHaveLength(2);
    expect(result.beams[1]!.path.map((s) => s.segment.text)).toEqual(['2.1', '1.1', '1.2']);
    expect(result.candidates.filter((c) => c.depth === 0).map((c) => c.segment.text)).toEqual(['1.1', '2.1']);
    expect(result.candidates.filter((c) => c.depth === 1)).toHaveLength(3);
  });

  it('stops at the maximum depth', async () => {
    const critic = new FakeScriptedCritic({ '1.1': 0.9, '2.1': 0.8, '1.2': 0.5, '1.3': 0.9 });
    const result = await segmentBeamSearch('q', passages, new FakeScriptedGenerator(), critic, { ...options, maxDepth: 1, width: 1 });
    expect(result.best.path.map((s) => s.segment.text)).toEqual(['1.1']);
    expect(result.best.score).toBeCloseTo(0.9, 12);
  });

  it('stops when the generator ends on every node', async () => {
    const generator = new FakeScriptedGenerator();
    const critic = new FakeScriptedCritic({ '2.1': 0.7 });
    const result = await segmentBeamSearch('q', [passages[1]!], generator, critic, { ...options, maxDepth: 5 });
    expect(result.best.path.map((s) => s.segment.text)).toEqual(['2.1']);
    expect(result.best.ended).toBe(true);
    expect(generator.calls).toBe(2); // depth 0, then depth 1 finds nothing, and the search stops
  });

  it('can drop segments marked [No support / Contradictory]', async () => {
    const critic = new FakeScriptedCritic({ '1.1': 0.9, '2.1': 0.8, '1.2': 0.5, '1.3': 0.9 }, new Set(['1.1']));
    const kept = await segmentBeamSearch('q', passages, new FakeScriptedGenerator(), critic, { ...options, maxDepth: 1 });
    expect(kept.best.path[0]!.segment.text).toBe('1.1');
    const dropped = await segmentBeamSearch('q', passages, new FakeScriptedGenerator(), critic, { ...options, maxDepth: 1, dropNoSupport: true });
    expect(dropped.best.path.map((s) => s.segment.text)).toEqual(['2.1']);
    expect(dropped.candidates.map((c) => c.segment.text)).toContain('1.1'); // judged and reported, just not used
  });

  it('uses the default weights 1, 1, 0.5 when given them', async () => {
    const critic = new FakeScriptedCritic({ '2.1': 0.5 });
    const result = await segmentBeamSearch('q', [passages[1]!], new FakeScriptedGenerator(), critic, { ...options, weights: DEFAULT_WEIGHTS });
    // s_rel 0.5; s_sup (0.2)/(0.3) = 2/3; s_use 0 → 0.5 + 0.6667
    expect(result.best.score).toBeCloseTo(0.5 + 2 / 3, 12);
  });
  it('judges every candidate a passage offers and keeps the best of them', async () => {
    /** FAKE generator: passage 1 offers two segments at once, "1.a" and "1.b"; passage 2 one, "2.a"; each only once. */
    const twoFromOne: SegmentGenerator = {
      id: 'fake-two-from-one',
      async nextSegments(_q, ps, previous) {
        const said = new Set(previous.map((s) => s.text));
        const offers: Record<number, string[]> = { 1: ['1.a', '1.b'], 2: ['2.a'] };
        return ps.map((p) => offers[p.ref]!.filter((t) => !said.has(t)).map((text, k) => ({ text, citations: [{ ref: p.ref, start: k, end: k + 1 }] })));
      },
    };
    const critic = new FakeScriptedCritic({ '1.a': 0.3, '1.b': 0.9, '2.a': 0.6 });
    const result = await segmentBeamSearch('q', passages, twoFromOne, critic, { ...options, width: 1, maxDepth: 1 });
    expect(critic.judged).toEqual(['1.a', '1.b', '2.a']);
    expect(result.best.path.map((s) => s.segment.text)).toEqual(['1.b']);
    expect(result.best.score).toBeCloseTo(0.9, 10);
  });

  it("adds w_gen times the generator's likelihood to each segment's critique total, and multiplies those down the path", async () => {
    /** FAKE generator: passage 1 offers "1.a" (likelihood 0.2) then "1.b" (0.9); passage 2 offers "2.a" (1) once. */
    const likely: SegmentGenerator = {
      id: 'fake-with-likelihoods',
      async nextSegments(_q, ps, previous) {
        const said = new Set(previous.map((s) => s.text));
        const offers: Record<number, Array<[string, number]>> = { 1: [['1.a', 0.2], ['1.b', 0.9]], 2: [['2.a', 1]] };
        return ps.map((p) => offers[p.ref]!.filter(([t]) => !said.has(t)).slice(0, 1).map(([text, likelihood], k) => ({ text, likelihood, citations: [{ ref: p.ref, start: k, end: k + 1 }] })));
      },
    };
    const critic = new FakeScriptedCritic({ '1.a': 0.9, '1.b': 0.4, '2.a': 0.5 });
    // Critique alone (w_gen 0): 1.a (0.9) beats 2.a (0.5).
    const alone = await segmentBeamSearch('q', passages, likely, critic, { ...options, width: 1, maxDepth: 1, likelihoodWeight: 0 });
    expect(alone.best.path.map((s) => s.segment.text)).toEqual(['1.a']);
    // w_gen 2: 1.a scores 2·0.2 + 0.9 = 1.3, 2.a scores 2·1 + 0.5 = 2.5.
    const weighted = await segmentBeamSearch('q', passages, likely, critic, { ...options, width: 1, maxDepth: 2, likelihoodWeight: 2 });
    expect(weighted.candidates.filter((c) => c.depth === 0).map((c) => [c.segment.text, c.score])).toEqual([
      ['1.a', expect.closeTo(1.3, 12)],
      ['2.a', expect.closeTo(2.5, 12)],
    ]);
    expect(weighted.candidates[0]!.scores.total).toBeCloseTo(0.9, 12); // the critique total is kept apart
    // depth 1 after 2.a: only 1.a is offered (passage 2 has said its one segment) → 2.5 · 1.3
    expect(weighted.best.path.map((s) => s.segment.text)).toEqual(['2.a', '1.a']);
    expect(weighted.best.score).toBeCloseTo(2.5 * 1.3, 12);
  });
});
