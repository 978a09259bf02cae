import type { Pool } from 'pg';
import type { ScoredId, VectorIndex } from '../types.js';
import { inTransaction, vectorLiteral } from './pg-sql.js';

/** pgvector refuses an ef_search above this. */
const MAX_EF_SEARCH = 1000;

/**
 * pgvector HNSW (inner product, `vector_ip_ops`) over a workspace's chunk_vectors table. The
 * doc store writes that table in its own transactions, so the workspace leaves this index
 * alone (`storeIndexesVectors`); add/remove are for direct use. Searches use an ef_search of
 * at least k; asking for more than pgvector's HNSW can return scans exactly instead.
 */
export class PgVectorIndex implements VectorIndex {
  constructor(
    private readonly pool: Pool,
    private readonly s: string,
    readonly dim: number,
    private readonly efSearch: number,
  ) {}

  async count(): Promise<number> {
    return (await this.pool.query<{ n: number }>(`SELECT count(*) AS n FROM ${this.s}.chunk_vectors`)).rows[0]!.n;
  }

  async add(items: ReadonlyArray<{ id: number; vector: Float32Array }>): Promise<void> {
    for (const { id, vector } of items) {
      if (vector.length !== this.dim) throw new RangeError(`vector ${id} has ${vector.length} dimensions, the index has ${this.dim}`);
    }
    for (let i = 0; i < items.length; i += 1000) {
      const slice = items.slice(i, i + 1000);
      await this.pool.query(
        `INSERT INTO ${this.s}.chunk_vectors (id, embedding) SELECT * FROM unnest($1::bigint[], $2::text[]::vector[]) ON CONFLICT (id) DO UPDATE SET embedding = excluded.embedding`,
        [slice.map((x) => x.id), slice.map((x) => vectorLiteral(x.vector))],
      );
    }
  }

  async remove(ids: readonly number[]): Promise<void> {
    if (ids.length) await this.pool.query(`DELETE FROM ${this.s}.chunk_vectors WHERE id = ANY($1::bigint[])`, [ids]);
  }

  async search(query: Float32Array, k: number): Promise<ScoredId[]> {
    return this.query(query, k, false);
  }

  /** Exact inner-product search (a sequential scan), the reference HNSW's recall is measured against. */
  async exactSearch(query: Float32Array, k: number): Promise<ScoredId[]> {
    return this.query(query, k, true);
  }

  /** The same index searched with another ef_search (for recall measurements). */
  withEfSearch(efSearch: number): PgVectorIndex {
    return new PgVectorIndex(this.pool, this.s, this.dim, efSearch);
  }

  async ids(): Promise<number[]> {
    return (await this.pool.query<{ id: number }>(`SELECT id FROM ${this.s}.chunk_vectors`)).rows.map((r) => r.id);
  }

  async persist(): Promise<void> {}

  async close(): Promise<void> {}

  private async query(query: Float32Array, k: number, exact: boolean): Promise<ScoredId[]> {
    if (k <= 0) return [];
    if (query.length !== this.dim) throw new RangeError(`the query has ${query.length} dimensions, the index has ${this.dim}`);
    const ef = Math.max(this.efSearch, k);
    const scan = exact || ef > MAX_EF_SEARCH;
    const rows = await inTransaction(this.pool, async (client) => {
      if (scan) await client.query('SET LOCAL enable_indexscan = off');
      else await client.query(`SET LOCAL hnsw.ef_search = ${ef}`);
      // <#> is the negative inner product.
      return (await client.query<{ id: number; score: number }>(`SELECT id, -(embedding <#> $1::vector) AS score FROM ${this.s}.chunk_vectors ORDER BY embedding <#> $1::vector LIMIT $2`, [vectorLiteral(query), k])).rows;
    });
    return rows.sort((a, b) => b.score - a.score || a.id - b.id);
  }
}
