/**
 * The contract every Embedder implementation passes. Each implementation's test file calls
 * `embedderContract` with a factory; nothing here knows which model is behind it.
 */
import { describe, expect, it } from 'vitest';
import type { Embedder } from '../../src/embedding/embedder.js';

function norm(v: Float32Array): number {
  return Math.sqrt(v.reduce((a, x) => a + x * x, 0));
}

function cosine(a: Float32Array, b: Float32Array): number {
  return a.reduce((s, x, i) => s + x * b[i]!, 0);
}

export function embedderContract(name: string, make: () => Promise<Embedder>, sample: { related: [string, string]; unrelated: string }): void {
  describe(`Embedder contract: ${name}`, () => {
    let embedder: Embedder;
    const get = async () => (embedder ??= await make());

    it('declares a positive dimension and token limit', async () => {
      const e = await get();
      expect(e.dim).toBeGreaterThan(0);
      expect(e.maxTokens).toBeGreaterThan(0);
      expect(e.id).toMatch(/\S/);
    });

    it('returns an empty result for an empty list', async () => {
      const e = await get();
      expect(await e.embed([])).toEqual({ vectors: [], truncated: [] });
    });

    it('returns one unit vector of length dim per text, in input order', async () => {
      const e = await get();
      const texts = [sample.related[0], sample.unrelated, sample.related[1], ''];
      const { vectors } = await e.embed(texts);
      expect(vectors).toHaveLength(texts.length);
      for (const v of vectors) {
        expect(v).toBeInstanceOf(Float32Array);
        expect(v).toHaveLength(e.dim);
        expect(norm(v)).toBeCloseTo(1, 4);
      }
      // Order: each text embedded alone gives the same vector as in the batch.
      for (const [i, text] of texts.entries()) {
        const alone = (await e.embed([text])).vectors[0]!;
        expect(Math.max(...alone.map((x, d) => Math.abs(x - vectors[i]![d]!)))).toBeLessThan(1e-5);
      }
    });

    it('is deterministic and puts related texts closer than unrelated ones', async () => {
      const e = await get();
      const texts = [...sample.related, sample.unrelated];
      const [a, b, c] = (await e.embed(texts)).vectors as [Float32Array, Float32Array, Float32Array];
      const again = (await e.embed(texts)).vectors[0]!;
      expect(Array.from(again)).toEqual(Array.from(a));
      expect(cosine(a, b)).toBeGreaterThan(cosine(a, c));
    });

    it('counts tokens, and truncates and reports texts longer than maxTokens', async () => {
      const e = await get();
      const long = Array.from({ length: e.maxTokens * 2 }, () => sample.unrelated).join(' ');
      expect(e.countTokens(long)).toBeGreaterThan(e.maxTokens);
      expect(e.countTokens(sample.related[0])).toBeGreaterThan(0);
      const { vectors, truncated } = await e.embed([sample.related[0], long]);
      expect(truncated).toEqual([1]);
      expect(norm(vectors[1]!)).toBeCloseTo(1, 4);
    });

    it('rejects work whose signal is already aborted', async () => {
      const e = await get();
      const controller = new AbortController();
      controller.abort();
      await expect(e.embed([sample.related[0]], { signal: controller.signal })).rejects.toMatchObject({ code: 'aborted' });
    });
  });
}
