import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/core/logger.js';
import type { Embedder } from '../../src/embedding/embedder.js';
import { reciprocalRankFusion, relativeScoreFusion, Retriever } from '../../src/rag/retriever.js';
import { EmbeddedStorage } from '../../src/store/embedded-storage.js';
import { topByInnerProduct } from '../../src/store/exact-vector-index.js';
import { Workspaces } from '../../src/store/workspaces.js';
import { tempDir } from '../support/runtime.js';
import { randomUnitVectors } from '../support/vectors.js';

describe('rank fusion', () => {
  it('RRF sums 1/(k + rank) over the rankings', () => {
    const fused = reciprocalRankFusion([[{ id: 1, score: 9 }, { id: 2, score: 8 }], [{ id: 2, score: 5 }, { id: 3, score: 4 }]], 60);
    expect(fused.map((f) => f.id)).toEqual([2, 1, 3]);
    expect(fused[0]!.score).toBeCloseTo(1 / 62 + 1 / 61, 12);
    expect(fused[1]!.score).toBeCloseTo(1 / 61, 12);
  });

  it('relative-score fusion min–max normalises each list and weights them', () => {
    const dense = [{ id: 1, score: 0.9 }, { id: 2, score: 0.7 }, { id: 3, score: 0.5 }];
    const lexical = [{ id: 3, score: 20 }, { id: 4, score: 12 }, { id: 1, score: 10 }];
    const fused = relativeScoreFusion(dense, lexical, 0.5);
    // dense: 1→1, 2→0.5, 3→0; lexical: 3→1, 4→0.2, 1→0
    expect(fused.map((f) => f.id)).toEqual([1, 3, 2, 4]); // ties broken by id
    fused.forEach((f, i) => expect(f.score).toBeCloseTo([0.5, 0.5, 0.25, 0.1][i]!, 12));
    expect(relativeScoreFusion(dense, lexical, 1).map((f) => f.id).slice(0, 3)).toEqual([1, 2, 3]);
  });
});

/** A fake embedder: each text maps to a fixed unit vector, so the retriever's own logic is what is tested. */
class FakeEmbedder implements Embedder {
  readonly id = 'fake';
  readonly dim = 16;
  readonly maxTokens = 100;
  constructor(private readonly table: Map<string, Float32Array>) {}
  countTokens(text: string) {
    return text.split(' ').length;
  }
  async embed(texts: readonly string[]) {
    return { vectors: texts.map((t) => this.table.get(t)!), truncated: [] };
  }
}

describe('dense retrieval', () => {
  it('re-ranks HNSW candidates by exact inner product, matching brute force over the stored vectors', async () => {
    const vectors = randomUnitVectors(300, 16, 21);
    const queries = randomUnitVectors(20, 16, 22);
    const table = new Map<string, Float32Array>([...vectors.map((v, i) => [`doc ${i}`, v] as const), ...queries.map((q, i) => [`query ${i}`, q] as const)]);
    const workspaces = await Workspaces.create(new EmbeddedStorage(tempDir('dense'), 16, { m: 8, efConstruction: 50, efSearch: 16 }), silentLogger);
    const ws = await workspaces.get('w', { create: true });
    for (const [i, vector] of vectors.entries()) await ws.put({ id: `d${i}`, title: null, source: null, mime: 'text/plain', contentHash: `h${i}`, metadata: {}, text: `doc ${i}`, chunks: [{ text: `doc ${i}`, start: 0, end: 5, page: null, tokenCount: 2, vector }] });
    const retriever = new Retriever(new FakeEmbedder(table), { candidateFactor: 4, minCandidates: 50, fusion: 'rrf', denseWeight: 0.5, rrfK: 60 });
    const stored = await ws.docs.getVectors(await ws.docs.allChunkIds());
    for (let i = 0; i < queries.length; i++) {
      const got = await retriever.dense(ws, `query ${i}`, 10);
      const expected = topByInnerProduct(queries[i]!, stored, 10);
      expect(got.map((h) => h.id)).toEqual(expected.map((h) => h.id));
      got.forEach((h, j) => expect(h.score).toBeCloseTo(expected[j]!.score, 6));
    }
    await workspaces.close();
  });
});
