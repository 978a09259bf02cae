import { describe, expect, it } from 'vitest';
import type { Embedder } from '../../src/embedding/embedder.js';
import type { Passage } from '../../src/llm/generator.js';
import { JUDGE_FEATURES, judgeFeatures } from '../../src/rag/self-rag/critic-features.js';
import { WordInformation } from '../../src/rag/self-rag/word-information.js';

/** A fake embedder: every text gets the same unit vector, so only the lexical features vary. */
class FakeConstantEmbedder implements Embedder {
  readonly id = 'fake-constant';
  readonly dim = 2;
  readonly maxTokens = 100;
  calls = 0;
  countTokens(text: string) {
    return text.split(' ').length;
  }
  async embed(texts: readonly string[]) {
    this.calls++;
    return { vectors: texts.map(() => Float32Array.of(1, 0)), truncated: [] };
  }
}

const passage = (ref: number, title: string, text: string): Passage => ({ ref, title, score: 1 / ref, chunk: { id: ref, docId: title, text, start: 0, end: text.length } as unknown as Passage['chunk'] });

describe('offline critic features', async () => {
  const information = await WordInformation.load();
  const question = 'Which label released the film Never Cry Wolf?';
  const named = passage(1, 'Never Cry Wolf (film)', 'Never Cry Wolf is a 1983 film released by Walt Disney Pictures.');
  const linked = passage(2, 'Walt Disney Pictures', 'Walt Disney Pictures is an American film studio.');
  const other = passage(3, 'Gray wolf', 'The gray wolf is a canine native to Eurasia.');
  const inputs = [named, linked, other].map((p) => ({ question, passage: p, segment: p.chunk.text, previous: [] }));
  const feature = (rows: Float32Array[], i: number, name: (typeof JUDGE_FEATURES)[number]) => rows[i]![JUDGE_FEATURES.indexOf(name)]!;

  it('gives word information as the negative log-probability of the word', () => {
    expect(information.of('copenhagen')).toBeGreaterThan(information.of('city'));
    expect(information.of('city')).toBeGreaterThan(information.of('the'));
  });

  it('computes title, link and coverage features by hand-checkable rules', async () => {
    const rows = await judgeFeatures({ embedder: new FakeConstantEmbedder(), information }, inputs);
    expect(rows.every((r) => r.length === JUDGE_FEATURES.length)).toBe(true);
    // Every word of "Never Cry Wolf" (the parenthesis dropped) is in the question; no word of "Walt Disney Pictures".
    expect(feature(rows, 0, 'titleInfoInQuestion')).toBeCloseTo(1, 6);
    expect(feature(rows, 1, 'titleInfoInQuestion')).toBe(0);
    expect(feature(rows, 2, 'bestTitleInfoInQuestion')).toBeCloseTo(1, 6);
    // The named passage mentions "Walt Disney Pictures", so that passage is linked from it.
    expect(feature(rows, 1, 'linkedFromNamedPassage')).toBe(1);
    expect(feature(rows, 2, 'linkedFromNamedPassage')).toBe(0);
    expect(feature(rows, 0, 'mentionsNamedTitle')).toBe(0); // only other passages' titles count
    // Coverage of the question's content words (label, released, film, never, cry, wolf), weighted by information.
    const weight = (w: string) => information.of(w);
    const total = ['label', 'released', 'film', 'never', 'cry', 'wolf'].reduce((a, w) => a + weight(w), 0);
    expect(feature(rows, 0, 'infoCoverPassage')).toBeCloseTo(['released', 'film', 'never', 'cry', 'wolf'].reduce((a, w) => a + weight(w), 0) / total, 5);
    expect(feature(rows, 2, 'infoCoverPassage')).toBeCloseTo(weight('wolf') / total, 5);
    expect(feature(rows, 1, 'pairInfoCover')).toBeCloseTo(feature(rows, 0, 'infoCoverPassage'), 5);
  });

  it('judges a next segment against the answer so far', async () => {
    const previous = ['Never Cry Wolf was released by Walt Disney Pictures.'];
    const next = [linked, other].map((p) => ({ question, passage: p, segment: p.chunk.text, previous }));
    const rows = await judgeFeatures({ embedder: new FakeConstantEmbedder(), information }, next);
    expect(feature(rows, 0, 'hasPrevious')).toBe(1);
    expect(feature(rows, 0, 'titleInPrevious')).toBe(1); // the answer so far names "Walt Disney Pictures"
    expect(feature(rows, 1, 'titleInPrevious')).toBe(0);
    // The previous sentence already covers released, never, cry, wolf: "film" is all the linked passage adds.
    const weight = (w: string) => information.of(w);
    const total = ['label', 'released', 'film', 'never', 'cry', 'wolf'].reduce((a, w) => a + weight(w), 0);
    expect(feature(rows, 0, 'addedInfoCover')).toBeCloseTo(weight('film') / total, 5);
    expect(feature(rows, 1, 'addedInfoCover')).toBeCloseTo(0, 6);
    const [firstRow] = await judgeFeatures({ embedder: new FakeConstantEmbedder(), information }, inputs.slice(0, 1));
    expect(feature([firstRow!], 0, 'hasPrevious')).toBe(0);
  });

  it('embeds each text once when given a vector cache', async () => {
    const { LruCache } = await import('../../src/core/lru.js');
    const embedder = new FakeConstantEmbedder();
    const tools = { embedder, information, vectors: new LruCache<string, Float32Array>(100) };
    const first = await judgeFeatures(tools, inputs);
    const again = await judgeFeatures(tools, inputs);
    expect(embedder.calls).toBe(1);
    expect(again).toEqual(first);
  });
});
