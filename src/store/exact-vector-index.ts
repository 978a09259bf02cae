import type { ScoredId, VectorIndex } from './types.js';

/**
 * Exact maximum-inner-product search by scanning every vector. The reference that HNSW is
 * measured against, and a fine backend for small workspaces.
 */
export class ExactVectorIndex implements VectorIndex {
  private readonly vectors = new Map<number, Float32Array>();

  constructor(readonly dim: number) {}

  async count(): Promise<number> {
    return this.vectors.size;
  }

  async add(items: ReadonlyArray<{ id: number; vector: Float32Array }>): Promise<void> {
    for (const { id, vector } of items) {
      if (vector.length !== this.dim) throw new RangeError(`vector ${id} has ${vector.length} dimensions, the index has ${this.dim}`);
      this.vectors.set(id, vector);
    }
  }

  async remove(ids: readonly number[]): Promise<void> {
    for (const id of ids) this.vectors.delete(id);
  }

  async search(query: Float32Array, k: number): Promise<ScoredId[]> {
    return topByInnerProduct(query, this.vectors, k);
  }

  async ids(): Promise<number[]> {
    return [...this.vectors.keys()];
  }

  async persist(): Promise<void> {}

  async close(): Promise<void> {}
}

export function innerProduct(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

/** The `k` entries with the highest inner product with `query`, best first (ties by id). */
export function topByInnerProduct(query: Float32Array, vectors: Iterable<[number, Float32Array]>, k: number): ScoredId[] {
  const scored: ScoredId[] = [];
  for (const [id, v] of vectors) scored.push({ id, score: innerProduct(query, v) });
  scored.sort((a, b) => b.score - a.score || a.id - b.id);
  return scored.slice(0, Math.max(0, k));
}
