import type { Pool, PoolClient } from 'pg';
import { InvalidInputError } from '../../core/errors.js';
import { CHUNK_COLUMNS, DOCUMENT_COLUMNS, toChunk, toDocument } from '../sql-rows.js';
import type { ChunkRow, DocumentRow } from '../sql-rows.js';
import type { ChunkRecord, DocStore, DocumentRecord, NewDocument, Page, PutOutcome } from '../types.js';
import { inTransaction, parseVector, vectorLiteral } from './pg-sql.js';



/**
 * A workspace's documents, chunks (with their full-text vectors) and chunk vectors in its own
 * PostgreSQL schema. A write is one transaction that also holds an advisory lock per document
 * id, so that instances writing the same document at once take turns: the second sees the
 * first's rows and replaces them (or finds them unchanged) instead of adding a second set.
 */
export class PgDocStore implements DocStore {
  constructor(
    private readonly pool: Pool,
    /** The workspace schema, quoted. */
    private readonly s: string,
    private readonly workspace: string,
    private readonly dim: number,
  ) {}

  async putDocument(doc: NewDocument): Promise<PutOutcome> {
    return (await this.putDocuments([doc]))[0]!;
  }

  async putDocuments(docs: readonly NewDocument[]): Promise<PutOutcome[]> {
    if (docs.length === 0) return [];
    for (const doc of docs) refuseNul(doc);
    return inTransaction(this.pool, async (client) => {
      // Locks in one sorted order, so that two batches sharing documents cannot deadlock.
      const keys = [...new Set(docs.map((d) => `${this.workspace}/${d.id}`))].sort();
      await client.query('SELECT pg_advisory_xact_lock(hashtextextended(k, 0)) FROM unnest($1::text[]) AS k ORDER BY k', [keys]);
      const outcomes: PutOutcome[] = [];
      for (const doc of docs) outcomes.push(await this.write(client, doc));
      return outcomes;
    });
  }

  /** One document's rows; runs inside the caller's transaction, under the document's lock. */
  private async write(client: PoolClient, doc: NewDocument): Promise<PutOutcome> {
    const existing = (await client.query<{ content_hash: string; created_at: string }>(`SELECT content_hash, created_at FROM ${this.s}.documents WHERE id = $1`, [doc.id])).rows[0];
    if (existing?.content_hash === doc.contentHash) return { status: 'unchanged', document: (await this.document(client, doc.id))! };
    const removedChunkIds = existing ? await this.removeChunks(client, doc.id) : [];
    const now = new Date().toISOString();
    const { rows } = await client.query<DocumentRow>(
      `INSERT INTO ${this.s}.documents (id, title, source, mime, content_hash, metadata, text, char_count, chunk_count, created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
       ON CONFLICT (id) DO UPDATE SET title = excluded.title, source = excluded.source, mime = excluded.mime,
         content_hash = excluded.content_hash, metadata = excluded.metadata, text = excluded.text,
         char_count = excluded.char_count, chunk_count = excluded.chunk_count, updated_at = excluded.updated_at
       RETURNING ${DOCUMENT_COLUMNS}`,
      [doc.id, doc.title, doc.source, doc.mime, doc.contentHash, JSON.stringify(doc.metadata), doc.text, doc.text.length, doc.chunks.length, existing?.created_at ?? now, now],
    );
    const columns = chunkColumns(doc, this.dim);
    const inserted = await client.query<{ id: number; ordinal: number }>(
      `INSERT INTO ${this.s}.chunks (doc_id, ordinal, text, start, "end", page, token_count, lexemes)
       SELECT $1, o, t, b, e, p, n, (SELECT coalesce(sum(cardinality(w.positions)), 0) FROM unnest(to_tsvector('english', t)) AS w) FROM unnest($2::int[], $3::text[], $4::int[], $5::int[], $6::int[], $7::int[]) AS u(o, t, b, e, p, n) ORDER BY o
       RETURNING id, ordinal`,
      [doc.id, columns.ordinals, columns.texts, columns.starts, columns.ends, columns.pages, columns.tokens],
    );
    const idOf = new Map(inserted.rows.map((r) => [r.ordinal, r.id]));
    const addedChunkIds = columns.ordinals.map((o) => idOf.get(o)!);
    await client.query(`INSERT INTO ${this.s}.chunk_vectors (id, embedding) SELECT * FROM unnest($1::bigint[], $2::text[]::vector[])`, [addedChunkIds, columns.vectors]);
    return { status: existing ? 'replaced' : 'created', document: toDocument(rows[0]!), addedChunkIds, removedChunkIds };
  }

  async hasContent(id: string, contentHash: string): Promise<boolean> {
    return (await this.pool.query(`SELECT 1 FROM ${this.s}.documents WHERE id = $1 AND content_hash = $2`, [id, contentHash])).rowCount! > 0;
  }

  async getDocument(id: string): Promise<DocumentRecord | undefined> {
    return this.document(this.pool, id);
  }

  private async document(db: Pool | PoolClient, id: string): Promise<DocumentRecord | undefined> {
    const row = (await db.query<DocumentRow>(`SELECT ${DOCUMENT_COLUMNS} FROM ${this.s}.documents WHERE id = $1`, [id])).rows[0];
    return row && toDocument(row);
  }

  async getDocumentText(id: string): Promise<string | undefined> {
    return (await this.pool.query<{ text: string }>(`SELECT text FROM ${this.s}.documents WHERE id = $1`, [id])).rows[0]?.text;
  }

  async listDocuments(limit: number, offset: number): Promise<Page<DocumentRecord>> {
    const { rows } = await this.pool.query<DocumentRow & { total: number }>(
      `SELECT ${DOCUMENT_COLUMNS}, count(*) OVER () AS total FROM ${this.s}.documents ORDER BY created_at, id LIMIT $1 OFFSET $2`,
      [limit, offset],
    );
    const total = rows[0]?.total ?? (await this.counts()).documents;
    return { items: rows.map(toDocument), total, limit, offset };
  }

  async deleteDocument(id: string): Promise<number[] | undefined> {
    return inTransaction(this.pool, async (client) => {
      await client.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [`${this.workspace}/${id}`]);
      if ((await client.query(`SELECT 1 FROM ${this.s}.documents WHERE id = $1`, [id])).rowCount === 0) return undefined;
      const removed = await this.removeChunks(client, id);
      await client.query(`DELETE FROM ${this.s}.documents WHERE id = $1`, [id]);
      return removed;
    });
  }

  async getChunks(ids: readonly number[]): Promise<ChunkRecord[]> {
    if (ids.length === 0) return [];
    const { rows } = await this.pool.query<ChunkRow>(`SELECT ${CHUNK_COLUMNS} FROM ${this.s}.chunks WHERE id = ANY($1::bigint[])`, [ids]);
    const byId = new Map(rows.map((r) => [r.id, toChunk(r)]));
    return ids.flatMap((id) => byId.get(id) ?? []);
  }

  async chunksOf(docId: string): Promise<ChunkRecord[]> {
    return (await this.pool.query<ChunkRow>(`SELECT ${CHUNK_COLUMNS} FROM ${this.s}.chunks WHERE doc_id = $1 ORDER BY ordinal`, [docId])).rows.map(toChunk);
  }

  async getVectors(ids: readonly number[]): Promise<Map<number, Float32Array>> {
    if (ids.length === 0) return new Map();
    const { rows } = await this.pool.query<{ id: number; v: string }>(`SELECT id, embedding::text AS v FROM ${this.s}.chunk_vectors WHERE id = ANY($1::bigint[])`, [ids]);
    return new Map(rows.map((r) => [r.id, parseVector(r.v)]));
  }

  async allChunkIds(): Promise<number[]> {
    return (await this.pool.query<{ id: number }>(`SELECT id FROM ${this.s}.chunks ORDER BY id`)).rows.map((r) => r.id);
  }

  async *scanVectors(batchSize: number): AsyncIterable<Array<{ id: number; vector: Float32Array }>> {
    let after = 0;
    for (;;) {
      const { rows } = await this.pool.query<{ id: number; v: string }>(`SELECT id, embedding::text AS v FROM ${this.s}.chunk_vectors WHERE id > $1 ORDER BY id LIMIT $2`, [after, batchSize]);
      if (rows.length === 0) return;
      yield rows.map((r) => ({ id: r.id, vector: parseVector(r.v) }));
      after = rows[rows.length - 1]!.id;
    }
  }

  async counts(): Promise<{ documents: number; chunks: number }> {
    const { rows } = await this.pool.query<{ documents: number; chunks: number }>(
      `SELECT (SELECT count(*) FROM ${this.s}.documents) AS documents, (SELECT count(*) FROM ${this.s}.chunks) AS chunks`,
    );
    return rows[0]!;
  }

  async getMeta(key: string): Promise<string | undefined> {
    return (await this.pool.query<{ value: string }>(`SELECT value FROM ${this.s}.meta WHERE key = $1`, [key])).rows[0]?.value;
  }

  async setMeta(key: string, value: string): Promise<void> {
    await this.pool.query(`INSERT INTO ${this.s}.meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value`, [key, value]);
  }

  /** The pool belongs to the backend, which ends it. */
  async close(): Promise<void> {}

  private async removeChunks(client: PoolClient, docId: string): Promise<number[]> {
    const { rows } = await client.query<{ id: number }>(`DELETE FROM ${this.s}.chunks WHERE doc_id = $1 RETURNING id`, [docId]);
    const ids = rows.map((r) => r.id).sort((a, b) => a - b);
    await client.query(`DELETE FROM ${this.s}.chunk_vectors WHERE id = ANY($1::bigint[])`, [ids]);
    return ids;
  }
}

/** PostgreSQL text cannot hold U+0000 (SQLite can): such a document is refused with a 400, not a driver error. */
function refuseNul(doc: NewDocument): void {
  const fields = { id: doc.id, title: doc.title ?? '', text: doc.text, metadata: JSON.stringify(doc.metadata) };
  for (const [name, value] of Object.entries(fields)) {
    if (value.includes('\u0000')) throw new InvalidInputError(`the document's ${name} contains NUL characters (U+0000), which the PostgreSQL store cannot hold; remove them and send it again`);
  }
}

/** The chunk columns as arrays for one `unnest` insert; refuses what the database must not store. */
function chunkColumns(doc: NewDocument, dim: number) {
  const out = { ordinals: [] as number[], texts: [] as string[], starts: [] as number[], ends: [] as number[], pages: [] as Array<number | null>, tokens: [] as number[], vectors: [] as string[] };
  doc.chunks.forEach((c, i) => {
    if (typeof c.text !== 'string') throw new TypeError(`chunk ${i} of document "${doc.id}" has no text string`);
    if (c.vector.length !== dim) throw new RangeError(`chunk ${i} of document "${doc.id}" has a vector of ${c.vector.length} dimensions, the workspace has ${dim}`);
    out.ordinals.push(i);
    out.texts.push(c.text);
    out.starts.push(c.start);
    out.ends.push(c.end);
    out.pages.push(c.page);
    out.tokens.push(c.tokenCount);
    out.vectors.push(vectorLiteral(c.vector));
  });
  return out;
}
