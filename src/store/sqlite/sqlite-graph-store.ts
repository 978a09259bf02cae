import type Database from 'better-sqlite3';
import type { GraphStore, StoredExtraction } from '../types.js';
import type { WriteChannel } from './sqlite-writes.js';

/** The graph's tables beside the documents, in the workspace's SQLite file; writes go to `writes` when given (see SqliteDocStore). */
export class SqliteGraphStore implements GraphStore {
  constructor(
    private readonly db: Database.Database,
    private readonly writes?: WriteChannel,
  ) {
    if (writes) return;
    db.exec(`
      CREATE TABLE IF NOT EXISTS graph_extractions (chunk_id INTEGER NOT NULL, extractor TEXT NOT NULL, json TEXT NOT NULL, PRIMARY KEY (chunk_id, extractor));
      CREATE TABLE IF NOT EXISTS graph_snapshot (id INTEGER PRIMARY KEY CHECK (id = 1), json TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS graph_vectors (key TEXT PRIMARY KEY, vector BLOB NOT NULL);
    `);
  }

  async extractedChunkIds(extractor: string): Promise<number[]> {
    return (this.db.prepare('SELECT chunk_id FROM graph_extractions WHERE extractor = ? ORDER BY chunk_id').pluck().all(extractor) as number[]);
  }

  async putExtractions(extractor: string, rows: readonly StoredExtraction[]): Promise<void> {
    if (this.writes) return void (await this.writes.call('graph', 'putExtractions', [extractor, rows]));
    const insert = this.db.prepare('INSERT OR REPLACE INTO graph_extractions (chunk_id, extractor, json) VALUES (?, ?, ?)');
    this.db.transaction(() => {
      for (const r of rows) insert.run(r.chunkId, extractor, JSON.stringify(r.extraction));
    })();
  }

  async dropExtractions(chunkIds: readonly number[]): Promise<void> {
    if (this.writes) return void (await this.writes.call('graph', 'dropExtractions', [chunkIds]));
    const drop = this.db.prepare('DELETE FROM graph_extractions WHERE chunk_id = ?');
    this.db.transaction(() => {
      for (const id of chunkIds) drop.run(id);
    })();
  }

  async allExtractions(extractor: string): Promise<StoredExtraction[]> {
    return (this.db.prepare('SELECT chunk_id AS chunkId, json FROM graph_extractions WHERE extractor = ? ORDER BY chunk_id').all(extractor) as Array<{ chunkId: number; json: string }>).map((r) => ({ chunkId: r.chunkId, extraction: JSON.parse(r.json) }));
  }

  async getSnapshot(): Promise<string | undefined> {
    return (this.db.prepare('SELECT json FROM graph_snapshot WHERE id = 1').pluck().get() as string | undefined) ?? undefined;
  }

  async putSnapshot(json: string, vectorKeys: readonly string[]): Promise<void> {
    if (this.writes) return void (await this.writes.call('graph', 'putSnapshot', [json, vectorKeys]));
    this.db.transaction(() => {
      this.db.prepare('INSERT OR REPLACE INTO graph_snapshot (id, json) VALUES (1, ?)').run(json);
      this.db.exec('CREATE TEMP TABLE IF NOT EXISTS keep_vectors (key TEXT PRIMARY KEY); DELETE FROM keep_vectors;');
      const keep = this.db.prepare('INSERT OR IGNORE INTO keep_vectors (key) VALUES (?)');
      for (const k of vectorKeys) keep.run(k);
      this.db.exec('DELETE FROM graph_vectors WHERE key NOT IN (SELECT key FROM keep_vectors)');
    })();
  }

  async getTextVectors(keys: readonly string[]): Promise<Map<string, Float32Array>> {
    const get = this.db.prepare('SELECT vector FROM graph_vectors WHERE key = ?').pluck();
    const out = new Map<string, Float32Array>();
    for (const k of keys) {
      const blob = get.get(k) as Buffer | undefined;
      if (blob) out.set(k, new Float32Array(blob.buffer.slice(blob.byteOffset, blob.byteOffset + blob.byteLength)));
    }
    return out;
  }

  async putTextVectors(rows: ReadonlyArray<{ key: string; vector: Float32Array }>): Promise<void> {
    if (this.writes) return void (await this.writes.call('graph', 'putTextVectors', [rows]));
    const put = this.db.prepare('INSERT OR REPLACE INTO graph_vectors (key, vector) VALUES (?, ?)');
    this.db.transaction(() => {
      for (const r of rows) put.run(r.key, Buffer.from(r.vector.buffer, r.vector.byteOffset, r.vector.byteLength));
    })();
  }
}
