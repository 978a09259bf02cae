import type { Pool } from 'pg';
import type { GraphStore, StoredExtraction } from '../types.js';
import { inTransaction } from './pg-sql.js';

/** The graph's tables in the workspace schema: extractions per chunk, the snapshot, text vectors (float32 bytes). */
export class PgGraphStore implements GraphStore {
  constructor(
    private readonly pool: Pool,
    private readonly s: string,
  ) {}

  async extractedChunkIds(extractor: string): Promise<number[]> {
    return (await this.pool.query<{ id: number }>(`SELECT chunk_id AS id FROM ${this.s}.graph_extractions WHERE extractor = $1 ORDER BY chunk_id`, [extractor])).rows.map((r) => r.id);
  }

  async putExtractions(extractor: string, given: readonly StoredExtraction[]): Promise<void> {
    const rows = [...new Map(given.map((r) => [r.chunkId, r])).values()]; // the last one per chunk, as INSERT OR REPLACE keeps
    if (rows.length === 0) return;
    await this.pool.query(
      `INSERT INTO ${this.s}.graph_extractions (chunk_id, extractor, json) SELECT c, $1, j FROM unnest($2::bigint[], $3::text[]) AS u(c, j)
       ON CONFLICT (chunk_id, extractor) DO UPDATE SET json = excluded.json`,
      [extractor, rows.map((r) => r.chunkId), rows.map((r) => JSON.stringify(r.extraction))],
    );
  }

  async dropExtractions(chunkIds: readonly number[]): Promise<void> {
    if (chunkIds.length) await this.pool.query(`DELETE FROM ${this.s}.graph_extractions WHERE chunk_id = ANY($1::bigint[])`, [chunkIds]);
  }

  async allExtractions(extractor: string): Promise<StoredExtraction[]> {
    const { rows } = await this.pool.query<{ id: number; json: string }>(`SELECT chunk_id AS id, json FROM ${this.s}.graph_extractions WHERE extractor = $1 ORDER BY chunk_id`, [extractor]);
    return rows.map((r) => ({ chunkId: r.id, extraction: JSON.parse(r.json) as unknown }));
  }

  async getSnapshot(): Promise<string | undefined> {
    return (await this.pool.query<{ json: string }>(`SELECT json FROM ${this.s}.graph_snapshot WHERE id = 1`)).rows[0]?.json;
  }

  /**
   * The snapshot is kept as written (the graph modes read it whole) and also spread over the
   * entity, relation, community and report tables, for SQL over the graph; all in one transaction.
   */
  async putSnapshot(json: string, vectorKeys: readonly string[]): Promise<void> {
    const s = this.s;
    await inTransaction(this.pool, async (client) => {
      await client.query(`INSERT INTO ${s}.graph_snapshot (id, json) VALUES (1, $1) ON CONFLICT (id) DO UPDATE SET json = excluded.json`, [json]);
      await client.query(`DELETE FROM ${s}.graph_vectors WHERE NOT (key = ANY($1::text[]))`, [vectorKeys]);
      await client.query(`TRUNCATE ${s}.graph_entities, ${s}.graph_relations, ${s}.graph_communities, ${s}.graph_reports`);
      await client.query(
        `WITH g AS (SELECT $1::jsonb AS j),
         e AS (INSERT INTO ${s}.graph_entities SELECT x.id, x.name, x.type, x.mentions, x.forms, x.descriptions, x."chunkIds"
               FROM g, jsonb_to_recordset(coalesce(g.j -> 'entities', '[]')) AS x(id text, name text, type text, mentions int, forms jsonb, descriptions jsonb, "chunkIds" jsonb)),
         r AS (INSERT INTO ${s}.graph_relations SELECT x.source, x.target, x.weight, x.descriptions, x."chunkIds"
               FROM g, jsonb_to_recordset(coalesce(g.j -> 'relations', '[]')) AS x(source text, target text, weight float8, descriptions jsonb, "chunkIds" jsonb)),
         c AS (INSERT INTO ${s}.graph_communities SELECT x.id, x.level, x.parent, x.members
               FROM g, jsonb_to_recordset(coalesce(g.j -> 'communities', '[]')) AS x(id text, level int, parent text, members jsonb))
         INSERT INTO ${s}.graph_reports SELECT x."communityId", x.level, x.title, x.summary, x.rating, x.findings, x."contentHash", x."vectorKey"
         FROM g, jsonb_to_recordset(coalesce(g.j -> 'reports', '[]')) AS x("communityId" text, level int, title text, summary text, rating float8, findings jsonb, "contentHash" text, "vectorKey" text)`,
        [json],
      );
    });
  }

  async getTextVectors(keys: readonly string[]): Promise<Map<string, Float32Array>> {
    if (keys.length === 0) return new Map();
    const { rows } = await this.pool.query<{ key: string; vector: Buffer }>(`SELECT key, vector FROM ${this.s}.graph_vectors WHERE key = ANY($1::text[])`, [keys]);
    const byKey = new Map(rows.map((r) => [r.key, new Float32Array(new Uint8Array(r.vector).buffer)]));
    // In the order asked, as the SQLite store answers.
    return new Map(keys.flatMap((k) => (byKey.has(k) ? [[k, byKey.get(k)!] as const] : [])));
  }

  async putTextVectors(given: ReadonlyArray<{ key: string; vector: Float32Array }>): Promise<void> {
    const rows = [...new Map(given.map((r) => [r.key, r])).values()];
    if (rows.length === 0) return;
    await this.pool.query(
      `INSERT INTO ${this.s}.graph_vectors (key, vector) SELECT * FROM unnest($1::text[], $2::bytea[]) ON CONFLICT (key) DO UPDATE SET vector = excluded.vector`,
      [rows.map((r) => r.key), rows.map((r) => Buffer.from(r.vector.buffer, r.vector.byteOffset, r.vector.byteLength))],
    );
  }
}
