import type { Embedder } from '../embedding/embedder.js';
import { innerProduct } from '../store/exact-vector-index.js';
import type { ChunkRecord, ScoredId } from '../store/types.js';
import type { Workspace } from '../store/workspace.js';

export const RETRIEVERS = ['dense', 'lexical', 'hybrid'] as const;
export type RetrieverName = (typeof RETRIEVERS)[number];

export interface RetrievedChunk {
  chunk: ChunkRecord;
  title: string | null;
  /** The retriever's score: inner product (dense), BM25 (lexical) or fused reciprocal rank (hybrid). */
  score: number;
}

export const FUSIONS = ['relative-score', 'rrf'] as const;
export type Fusion = (typeof FUSIONS)[number];

export interface RetrieverOptions {
  /** HNSW candidates fetched per requested result, before exact re-scoring. */
  candidateFactor: number;
  minCandidates: number;
  fusion: Fusion;
  /** Weight of the dense ranking in relative-score fusion (the lexical one gets 1 − this). */
  denseWeight: number;
  /** Reciprocal-rank-fusion constant. */
  rrfK: number;
}

/**
 * Dense retrieval takes HNSW candidates and re-ranks them by the exact inner product with
 * the stored vectors (MIPS); lexical is FTS5 BM25; hybrid fuses the two, by default by
 * relative scores (see `relativeScoreFusion`), or by reciprocal rank.
 */
export class Retriever {
  constructor(
    private readonly embedder: Embedder,
    private readonly options: RetrieverOptions,
  ) {}

  async search(ws: Workspace, query: string, k: number, retriever: RetrieverName, signal?: AbortSignal): Promise<RetrievedChunk[]> {
    let ranked: ScoredId[];
    if (retriever === 'lexical') ranked = await ws.lexical.search(query, k);
    else {
      // Hybrid fuses two deep lists; their depth already gives HNSW room, so no extra candidates.
      const depth = retriever === 'dense' ? k : Math.max(k * this.options.candidateFactor, this.options.minCandidates);
      const pendingDense = this.dense(ws, query, depth, signal, retriever === 'dense' ? this.options.candidateFactor : 1);
      if (retriever === 'dense') ranked = await pendingDense;
      else {
        // BM25 runs here while the model embeds the query on its worker thread; one turn of the
        // event loop first, so that the embedding request is posted before this thread is busy.
        pendingDense.catch(() => {}); // awaited below; a failure meanwhile is not unhandled
        await new Promise((resolve) => setImmediate(resolve));
        const lexical = await ws.lexical.search(query, depth);
        const dense = await pendingDense;
        const fused = this.options.fusion === 'rrf' ? reciprocalRankFusion([dense, lexical], this.options.rrfK) : relativeScoreFusion(dense, lexical, this.options.denseWeight);
        ranked = fused.slice(0, k);
      }
    }
    return this.hydrate(ws, ranked);
  }

  /** Exact inner-product ranking of the HNSW candidates. */
  async dense(ws: Workspace, query: string, k: number, signal?: AbortSignal, candidateFactor = this.options.candidateFactor): Promise<ScoredId[]> {
    const [q] = (await this.embedder.embed([query], { signal, priority: 'interactive' })).vectors;
    const candidates = await ws.vectors.search(q!, Math.max(k * candidateFactor, this.options.minCandidates));
    const stored = await ws.docs.getVectors(candidates.map((c) => c.id));
    return candidates
      .flatMap((c) => {
        const v = stored.get(c.id);
        return v ? [{ id: c.id, score: innerProduct(q!, v) }] : [];
      })
      .sort((a, b) => b.score - a.score || a.id - b.id)
      .slice(0, k);
  }

  private async hydrate(ws: Workspace, ranked: ScoredId[]): Promise<RetrievedChunk[]> {
    const chunks = new Map((await ws.docs.getChunks(ranked.map((r) => r.id))).map((c) => [c.id, c]));
    const titles = await documentTitles(ws, [...chunks.values()].map((c) => c.docId));
    return ranked.flatMap((r) => {
      const chunk = chunks.get(r.id);
      return chunk ? [{ chunk, title: titles.get(chunk.docId) ?? null, score: r.score }] : [];
    });
  }
}

/** The titles of the documents `docIds` (each read once). */
export async function documentTitles(ws: Workspace, docIds: Iterable<string>): Promise<Map<string, string | null>> {
  const unique = [...new Set(docIds)];
  const docs = await Promise.all(unique.map((id) => ws.docs.getDocument(id)));
  return new Map(unique.map((id, i) => [id, docs[i]?.title ?? null]));
}

/** Σ 1 / (k + rank) over the rankings an id appears in (Cormack et al., 2009). */
export function reciprocalRankFusion(rankings: ScoredId[][], k: number): ScoredId[] {
  const fused = new Map<number, number>();
  for (const ranking of rankings) ranking.forEach((r, rank) => fused.set(r.id, (fused.get(r.id) ?? 0) + 1 / (k + rank + 1)));
  return [...fused].map(([id, score]) => ({ id, score })).sort((a, b) => b.score - a.score || a.id - b.id);
}

/**
 * Min–max normalises each retriever's scores over its own candidates and adds them with
 * weights (a candidate one retriever did not return scores 0 there). Unlike RRF it keeps how
 * far ahead a result is: a passage BM25 scores far above the rest is not pulled back to
 * par by a weaker retriever's ranking.
 */
export function relativeScoreFusion(dense: ScoredId[], lexical: ScoredId[], denseWeight: number): ScoredId[] {
  const normalise = (list: ScoredId[]) => {
    const max = Math.max(...list.map((r) => r.score));
    const min = Math.min(...list.map((r) => r.score));
    return new Map(list.map((r) => [r.id, max > min ? (r.score - min) / (max - min) : 1]));
  };
  const d = normalise(dense);
  const l = normalise(lexical);
  const ids = new Set([...d.keys(), ...l.keys()]);
  return [...ids]
    .map((id) => ({ id, score: denseWeight * (d.get(id) ?? 0) + (1 - denseWeight) * (l.get(id) ?? 0) }))
    .sort((a, b) => b.score - a.score || a.id - b.id);
}
