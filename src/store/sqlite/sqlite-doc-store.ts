import Database from 'better-sqlite3';
import { CHUNK_COLUMNS, DOCUMENT_COLUMNS, toChunk, toDocument } from '../sql-rows.js';
import type { ChunkRow, DocumentRow } from '../sql-rows.js';
import type { WriteChannel } from './sqlite-writes.js';
import type { ChunkRecord, DocStore, DocumentRecord, NewDocument, Page, PutOutcome } from '../types.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS documents (
  id TEXT PRIMARY KEY,
  title TEXT,
  source TEXT,
  mime TEXT NOT NULL,
  content_hash TEXT NOT NULL,
  metadata TEXT NOT NULL,
  text TEXT NOT NULL,
  char_count INTEGER NOT NULL,
  chunk_count INTEGER NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS chunks (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  doc_id TEXT NOT NULL REFERENCES documents(id),
  ordinal INTEGER NOT NULL,
  text TEXT NOT NULL,
  start INTEGER NOT NULL,
  "end" INTEGER NOT NULL,
  page INTEGER,
  token_count INTEGER NOT NULL,
  vector BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS chunks_by_doc ON chunks(doc_id, ordinal);
CREATE VIRTUAL TABLE IF NOT EXISTS chunks_fts USING fts5(
  text, content='chunks', content_rowid='id', tokenize='porter unicode61 remove_diacritics 2'
);
CREATE TRIGGER IF NOT EXISTS chunks_fts_insert AFTER INSERT ON chunks BEGIN
  INSERT INTO chunks_fts(rowid, text) VALUES (new.id, new.text);
END;
CREATE TRIGGER IF NOT EXISTS chunks_fts_delete AFTER DELETE ON chunks BEGIN
  INSERT INTO chunks_fts(chunks_fts, rowid, text) VALUES ('delete', old.id, old.text);
END;
`;



/**
 * Documents, chunks, vectors (as float32 blobs) and the FTS5 index of a workspace, in one
 * SQLite file in WAL mode. Every write is one transaction: a killed process leaves each
 * document whole or absent. Given a write channel (the service's write thread), this store
 * reads through a read-only connection of its own and sends every write to the channel.
 */
export class SqliteDocStore implements DocStore {
  readonly db: Database.Database;
  private readonly statements = new Map<string, Database.Statement>();

  constructor(
    path: string,
    private readonly writes?: WriteChannel,
  ) {
    if (writes) {
      this.db = new Database(path, { readonly: true, fileMustExist: true });
      this.db.pragma('busy_timeout = 5000');
      return;
    }
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.pragma('busy_timeout = 5000');
    this.db.exec(SCHEMA);
  }

  async putDocument(doc: NewDocument): Promise<PutOutcome> {
    return (await this.putDocuments([doc]))[0]!;
  }

  async putDocuments(docs: readonly NewDocument[]): Promise<PutOutcome[]> {
    if (this.writes) return (await this.writes.call('docs', 'putDocuments', [docs])) as PutOutcome[];
    return this.db.transaction(() => docs.map((doc) => this.write(doc)))();
  }

  /** One document's rows; runs inside the caller's transaction. */
  private write(doc: NewDocument): PutOutcome {
    const existing = this.sql('SELECT content_hash, created_at FROM documents WHERE id = ?').get(doc.id) as { content_hash: string; created_at: string } | undefined;
    if (existing?.content_hash === doc.contentHash) return { status: 'unchanged', document: this.document(doc.id)! };
    const removedChunkIds = existing ? this.removeChunks(doc.id) : [];
    const now = new Date().toISOString();
    this.sql(
      `INSERT INTO documents (id, title, source, mime, content_hash, metadata, text, char_count, chunk_count, created_at, updated_at)
       VALUES (@id, @title, @source, @mime, @contentHash, @metadata, @text, @charCount, @chunkCount, @createdAt, @updatedAt)
       ON CONFLICT(id) DO UPDATE SET title = excluded.title, source = excluded.source, mime = excluded.mime,
         content_hash = excluded.content_hash, metadata = excluded.metadata, text = excluded.text,
         char_count = excluded.char_count, chunk_count = excluded.chunk_count, updated_at = excluded.updated_at`,
    )
      .run({
        id: doc.id,
        title: doc.title,
        source: doc.source,
        mime: doc.mime,
        contentHash: doc.contentHash,
        metadata: JSON.stringify(doc.metadata),
        text: doc.text,
        charCount: doc.text.length,
        chunkCount: doc.chunks.length,
        createdAt: existing?.created_at ?? now,
        updatedAt: now,
      });
    const insert = this.sql('INSERT INTO chunks (doc_id, ordinal, text, start, "end", page, token_count, vector) VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
    const addedChunkIds = doc.chunks.map((c, ordinal) =>
      Number(insert.run(doc.id, ordinal, c.text, c.start, c.end, c.page, c.tokenCount, vectorToBlob(c.vector)).lastInsertRowid),
    );
    return { status: existing ? 'replaced' : 'created', document: this.document(doc.id)!, addedChunkIds, removedChunkIds };
  }

  async hasContent(id: string, contentHash: string): Promise<boolean> {
    return this.sql('SELECT 1 FROM documents WHERE id = ? AND content_hash = ?').get(id, contentHash) !== undefined;
  }

  async getDocument(id: string): Promise<DocumentRecord | undefined> {
    return this.document(id);
  }

  private document(id: string): DocumentRecord | undefined {
    const row = this.sql(`SELECT ${DOCUMENT_COLUMNS} FROM documents WHERE id = ?`).get(id) as DocumentRow | undefined;
    return row && toDocument(row);
  }

  async getDocumentText(id: string): Promise<string | undefined> {
    return (this.sql('SELECT text FROM documents WHERE id = ?').get(id) as { text: string } | undefined)?.text;
  }

  async listDocuments(limit: number, offset: number): Promise<Page<DocumentRecord>> {
    const rows = this.sql(`SELECT ${DOCUMENT_COLUMNS} FROM documents ORDER BY created_at, id LIMIT ? OFFSET ?`).all(limit, offset) as DocumentRow[];
    const total = (this.sql('SELECT COUNT(*) AS n FROM documents').get() as { n: number }).n;
    return { items: rows.map(toDocument), total, limit, offset };
  }

  async deleteDocument(id: string): Promise<number[] | undefined> {
    if (this.writes) return (await this.writes.call('docs', 'deleteDocument', [id])) as number[] | undefined;
    return this.db.transaction(() => {
      if (!this.sql('SELECT 1 FROM documents WHERE id = ?').get(id)) return undefined;
      const removed = this.removeChunks(id);
      this.sql('DELETE FROM documents WHERE id = ?').run(id);
      return removed;
    })();
  }

  async getChunks(ids: readonly number[]): Promise<ChunkRecord[]> {
    if (ids.length === 0) return [];
    const rows = this.sql(`SELECT ${CHUNK_COLUMNS} FROM chunks WHERE id IN (SELECT value FROM json_each(?))`).all(JSON.stringify(ids)) as ChunkRow[];
    const byId = new Map(rows.map((r) => [r.id, toChunk(r)]));
    return ids.flatMap((id) => byId.get(id) ?? []);
  }

  async chunksOf(docId: string): Promise<ChunkRecord[]> {
    return (this.sql(`SELECT ${CHUNK_COLUMNS} FROM chunks WHERE doc_id = ? ORDER BY ordinal`).all(docId) as ChunkRow[]).map(toChunk);
  }

  async getVectors(ids: readonly number[]): Promise<Map<number, Float32Array>> {
    if (ids.length === 0) return new Map();
    const rows = this.sql('SELECT id, vector FROM chunks WHERE id IN (SELECT value FROM json_each(?))').all(JSON.stringify(ids)) as Array<{ id: number; vector: Buffer }>;
    return new Map(rows.map((r) => [r.id, blobToVector(r.vector)]));
  }

  async allChunkIds(): Promise<number[]> {
    return (this.sql('SELECT id FROM chunks ORDER BY id').pluck().all() as number[]);
  }

  async *scanVectors(batchSize: number): AsyncIterable<Array<{ id: number; vector: Float32Array }>> {
    let after = 0;
    const page = this.sql('SELECT id, vector FROM chunks WHERE id > ? ORDER BY id LIMIT ?');
    for (;;) {
      const rows = page.all(after, batchSize) as Array<{ id: number; vector: Buffer }>;
      if (rows.length === 0) return;
      yield rows.map((r) => ({ id: r.id, vector: blobToVector(r.vector) }));
      after = rows[rows.length - 1]!.id;
    }
  }

  async counts(): Promise<{ documents: number; chunks: number }> {
    const documents = (this.sql('SELECT COUNT(*) AS n FROM documents').get() as { n: number }).n;
    const chunks = (this.sql('SELECT COUNT(*) AS n FROM chunks').get() as { n: number }).n;
    return { documents, chunks };
  }

  async getMeta(key: string): Promise<string | undefined> {
    return (this.sql('SELECT value FROM meta WHERE key = ?').get(key) as { value: string } | undefined)?.value;
  }

  async setMeta(key: string, value: string): Promise<void> {
    if (this.writes) return void (await this.writes.call('docs', 'setMeta', [key, value]));
    this.sql('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value').run(key, value);
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
    await this.writes?.close();
  }

  /** Prepared statements, compiled once per SQL text. */
  private sql(text: string): Database.Statement {
    let statement = this.statements.get(text);
    if (!statement) {
      statement = this.db.prepare(text);
      this.statements.set(text, statement);
    }
    return statement;
  }

  private removeChunks(docId: string): number[] {
    const ids = this.sql('SELECT id FROM chunks WHERE doc_id = ?').pluck().all(docId) as number[];
    this.sql('DELETE FROM chunks WHERE doc_id = ?').run(docId);
    return ids;
  }
}

export function vectorToBlob(v: Float32Array): Buffer {
  return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
}

export function blobToVector(b: Buffer): Float32Array {
  const copy = new Uint8Array(b); // aligned copy
  return new Float32Array(copy.buffer, 0, copy.byteLength / 4);
}
