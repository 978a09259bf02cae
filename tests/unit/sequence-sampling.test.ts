import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../src/core/random.js';
import { sampleToken } from '../../src/sequence/sampling.js';

describe('sampleToken', () => {
  const logits = [1.0, 3.0, 0.5, 2.0, -1.0];
  it('is greedy at temperature 0 and with topK 1', () => {
    expect(sampleToken(logits, 0, 0, () => 0.99)).toBe(1);
    expect(sampleToken(logits, 1.5, 1, () => 0.99)).toBe(1);
  });

  it('draws from softmax(logits / T) over the top k, matching the frequencies of many draws', () => {
    const random = seededRandom(5);
    for (const [temperature, topK] of [[1, 0], [0.5, 0], [2, 3]] as const) {
      const counts = new Array<number>(5).fill(0);
      const n = 20_000;
      for (let i = 0; i < n; i++) counts[sampleToken(logits, temperature, topK, random)]!++;
      const kept = topK ? [1, 3, 0] : [0, 1, 2, 3, 4];
      const z = kept.reduce((a, i) => a + Math.exp(logits[i]! / temperature), 0);
      for (let i = 0; i < 5; i++) {
        const expected = kept.includes(i) ? Math.exp(logits[i]! / temperature) / z : 0;
        expect(Math.abs(counts[i]! / n - expected)).toBeLessThan(0.015);
      }
    }
  });

  it('gives the same draws for the same seed', () => {
    const draw = (seed: number) => {
      const random = seededRandom(seed);
      return Array.from({ length: 50 }, () => sampleToken(logits, 1, 0, random));
    };
    expect(draw(42)).toEqual(draw(42));
    expect(draw(42)).not.toEqual(draw(43));
  });
});
