/**
 * Whether a workspace's derived indexes hold exactly its chunks, read from what each index
 * really stores (used by check:crash and the crash tests; run on a stopped server's files):
 *
 * - FTS5. `chunks_fts` is an external-content table, so `SELECT rowid FROM chunks_fts` reads the
 *   `chunks` table and cannot see a missing entry. The index itself is read instead: the
 *   `fts5vocab` instance view (every token's postings, by rowid), the `chunks_fts_docsize` shadow
 *   table (one row per indexed rowid, with its token count), and FTS5's own `integrity-check`
 *   with a non-zero rank, which re-tokenizes the content table and compares it with the index.
 * - HNSW. hnswlib's id list also holds labels marked deleted; a label is live when `getPoint`
 *   answers (hnswlib refuses it for a deleted label). Each live label's vector is compared with
 *   the chunk's stored vector.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import hnswlib from 'hnswlib-node';

export interface FtsConsistency {
  chunks: number;
  /** Rowids with a docsize row (the index's own list of documents). */
  indexed: number;
  /** Chunks the index does not hold: no docsize row, or tokens counted but no postings. */
  missing: number[];
  /** Rowids the index holds (docsize or postings) that are not chunks. */
  extra: number[];
  /** "ok", or what FTS5's integrity-check (against the content table) reported. */
  integrity: string;
}

export interface HnswConsistency {
  /** Whether the index file exists; an absent file is rebuilt from the store when the workspace opens. */
  file: boolean;
  labels: number;
  live: number;
  deletedMarked: number;
  /** Chunks without a live label. */
  missing: number[];
  /** Live labels that are not chunks. */
  extra: number[];
  /** Live labels whose vector differs from the chunk's stored vector. */
  wrongVector: number[];
}

const LIMIT_IDS = 50;
const ids = (set: Iterable<number>) => [...set].sort((a, b) => a - b);

/** An SQLite varint (as FTS5 writes them): 7 bits a byte, high bit set on all but the last, at most 9 bytes. */
function varint(bytes: Uint8Array, at: number): number {
  let value = 0;
  for (let i = 0; i < 9 && at + i < bytes.length; i++) {
    const b = bytes[at + i]!;
    if (i === 8) return value * 256 + b;
    value = value * 128 + (b & 0x7f);
    if ((b & 0x80) === 0) return value;
  }
  return value;
}

/** The FTS5 index of a workspace store (an open better-sqlite3 database) against its chunks table. */
export function checkFts(db: Database.Database): FtsConsistency {
  const chunkIds = new Set(db.prepare('SELECT id FROM chunks').pluck().all() as number[]);
  const sizes = new Map((db.prepare('SELECT id, sz FROM chunks_fts_docsize').all() as Array<{ id: number; sz: Buffer }>).map((r) => [r.id, varint(r.sz, 0)]));
  db.exec('CREATE VIRTUAL TABLE IF NOT EXISTS temp.chunks_fts_instances USING fts5vocab(main, chunks_fts, instance)');
  const postings = new Map((db.prepare('SELECT doc, COUNT(*) AS n FROM temp.chunks_fts_instances GROUP BY doc').all() as Array<{ doc: number; n: number }>).map((r) => [r.doc, r.n]));
  db.exec('DROP TABLE temp.chunks_fts_instances');
  const missing = [...chunkIds].filter((id) => !sizes.has(id) || (sizes.get(id)! > 0 && !postings.has(id)));
  const extra = new Set([...sizes.keys(), ...postings.keys()].filter((id) => !chunkIds.has(id)));
  let integrity = 'ok';
  try {
    db.prepare("INSERT INTO chunks_fts(chunks_fts, rank) VALUES ('integrity-check', 1)").run();
  } catch (error) {
    integrity = (error as Error).message;
  }
  return { chunks: chunkIds.size, indexed: sizes.size, missing: ids(missing), extra: ids(extra), integrity };
}

/** The HNSW file at `path` (inner-product space of `dim` dimensions) against the chunks' stored vectors. */
export function checkHnsw(path: string, dim: number, vectors: ReadonlyMap<number, Float32Array>): HnswConsistency {
  if (!existsSync(path)) return { file: false, labels: 0, live: 0, deletedMarked: 0, missing: ids(vectors.keys()), extra: [], wrongVector: [] };
  const index = new hnswlib.HierarchicalNSW('ip', dim);
  index.readIndexSync(path, true);
  const live = new Map<number, number[]>();
  let deletedMarked = 0;
  const labels = index.getIdsList();
  for (const label of labels) {
    try {
      live.set(label, index.getPoint(label));
    } catch {
      deletedMarked++; // "Label not found": marked deleted
    }
  }
  const missing = [...vectors.keys()].filter((id) => !live.has(id));
  const extra = [...live.keys()].filter((id) => !vectors.has(id));
  const wrongVector = [...live].filter(([id, point]) => {
    const stored = vectors.get(id);
    return stored !== undefined && (stored.length !== point.length || stored.some((x, i) => Math.fround(point[i]!) !== x));
  });
  return { file: true, labels: labels.length, live: live.size, deletedMarked, missing: ids(missing), extra: ids(extra), wrongVector: ids(wrongVector.map(([id]) => id)) };
}

export interface WorkspaceConsistency {
  fts: FtsConsistency;
  hnsw: HnswConsistency;
}

/** Both indexes of a stopped workspace folder (`store.sqlite`, `vectors.hnsw`); `dim` is used when the store holds no vector. */
export function checkWorkspaceIndexes(folder: string, dim = 512): WorkspaceConsistency {
  const db = new Database(join(folder, 'store.sqlite'));
  try {
    const vectors = new Map(
      (db.prepare('SELECT id, vector FROM chunks').all() as Array<{ id: number; vector: Buffer }>).map((r) => [r.id, new Float32Array(new Uint8Array(r.vector).buffer)]),
    );
    const first = vectors.values().next().value;
    return { fts: checkFts(db), hnsw: checkHnsw(join(folder, 'vectors.hnsw'), first?.length ?? dim, vectors) };
  } finally {
    db.close();
  }
}

/** Counts for a report, with at most LIMIT_IDS ids of each kind. */
export function summarize(c: WorkspaceConsistency): Record<string, unknown> {
  const cut = (a: number[]) => a.slice(0, LIMIT_IDS);
  return {
    ftsMissing: c.fts.missing.length,
    ftsExtra: c.fts.extra.length,
    ftsIntegrity: c.fts.integrity,
    hnswFile: c.hnsw.file,
    hnswLive: c.hnsw.live,
    hnswDeletedMarked: c.hnsw.deletedMarked,
    hnswMissing: c.hnsw.missing.length,
    hnswExtra: c.hnsw.extra.length,
    hnswWrongVector: c.hnsw.wrongVector.length,
    ids: { ftsMissing: cut(c.fts.missing), ftsExtra: cut(c.fts.extra), hnswMissing: cut(c.hnsw.missing), hnswExtra: cut(c.hnsw.extra), hnswWrongVector: cut(c.hnsw.wrongVector) },
  };
}

/** Whether the indexes hold exactly the chunks. */
export function consistent(c: WorkspaceConsistency): boolean {
  return c.fts.missing.length + c.fts.extra.length + c.hnsw.missing.length + c.hnsw.extra.length + c.hnsw.wrongVector.length === 0 && c.fts.integrity === 'ok';
}
