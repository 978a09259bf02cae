/**
 * check:crash's index check reads what the FTS5 and HNSW indexes really hold: an FTS entry
 * removed behind the store's back, a stray FTS entry, a label marked deleted, a stray label or a
 * wrong vector is reported, and labels deleted in the normal way are not.
 */
import { cpSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import hnswlib from 'hnswlib-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { checkWorkspaceIndexes, consistent } from '../../scripts/lib/index-consistency.js';
import { silentLogger } from '../../src/core/logger.js';
import { EmbeddedStorage } from '../../src/store/embedded-storage.js';
import { HnswVectorIndex } from '../../src/store/hnsw/hnsw-vector-index.js';
import { Workspaces } from '../../src/store/workspaces.js';
import { tempDir } from '../support/runtime.js';
import { newDocument } from './store/store-contracts.js';

const DIM = 8;
const HNSW = { m: 16, efConstruction: 100, efSearch: 64 };
const TEXTS = Array.from({ length: 10 }, (_, i) => `record ${i} mentions lighthouse number ${i} and glacier ${i * 3}`);
let pristine: string;
/** Chunk id → text, as the store holds them after the writes below. */
let chunks: Map<number, string>;

beforeAll(async () => {
  const dir = tempDir('consistency');
  const workspaces = await Workspaces.create(new EmbeddedStorage(dir, DIM, HNSW), silentLogger);
  const ws = await workspaces.get('w', { create: true });
  for (const [i, text] of TEXTS.entries()) await ws.put(newDocument(`doc-${i}`, [text]));
  // Two deletes of ten one-chunk documents: 20% deleted, under the compaction threshold (30%),
  // so the saved index keeps two labels marked deleted.
  await ws.delete('doc-3');
  await ws.delete('doc-7');
  await workspaces.close();
  pristine = join(dir, 'workspaces', 'w');
  const db = new Database(join(pristine, 'store.sqlite'), { readonly: true });
  chunks = new Map((db.prepare('SELECT id, text FROM chunks').all() as Array<{ id: number; text: string }>).map((r) => [r.id, r.text]));
  db.close();
});

/** A copy of the workspace folder to tamper with. */
function copy(): string {
  const folder = tempDir('tampered');
  cpSync(pristine, folder, { recursive: true });
  return folder;
}

/** Rewrites the HNSW file of `folder` after `change`. */
function editHnsw(folder: string, change: (index: hnswlib.HierarchicalNSW) => void): void {
  const index = new hnswlib.HierarchicalNSW('ip', DIM);
  index.readIndexSync(join(folder, 'vectors.hnsw'), true);
  change(index);
  index.writeIndexSync(join(folder, 'vectors.hnsw'));
}

describe('index consistency check', () => {
  it('finds the untouched workspace consistent, counting normally deleted labels as deleted, not present', () => {
    expect(chunks.size).toBe(8); // ten documents of one chunk, two deleted
    const c = checkWorkspaceIndexes(pristine);
    expect(c.fts).toEqual({ chunks: 8, indexed: 8, missing: [], extra: [], integrity: 'ok' });
    expect(c.hnsw).toMatchObject({ file: true, labels: 10, live: 8, deletedMarked: 2, missing: [], extra: [], wrongVector: [] });
    expect(consistent(c)).toBe(true);
    // The file's id list holds the deleted labels too (10 ids for 8 chunks); the index, opened, counts only the live ones.
    expect(HnswVectorIndex.open(join(pristine, 'vectors.hnsw'), DIM, HNSW).size).toBe(8);
  });

  it('reports a chunk whose FTS entry was removed behind the store\'s back', () => {
    const folder = copy();
    const [victim, text] = [...chunks][4]!;
    const db = new Database(join(folder, 'store.sqlite'));
    db.prepare("INSERT INTO chunks_fts(chunks_fts, rowid, text) VALUES ('delete', ?, ?)").run(victim, text);
    // The old check cannot see it: on an external-content table this reads the chunks table.
    expect((db.prepare('SELECT rowid FROM chunks_fts').pluck().all() as number[]).length).toBe(8);
    db.close();
    const c = checkWorkspaceIndexes(folder);
    expect(c.fts.missing).toEqual([victim]);
    expect(c.fts.indexed).toBe(7);
    expect(c.fts.integrity).not.toBe('ok');
    expect(consistent(c)).toBe(false);
  });

  it('reports an FTS entry for a rowid that is not a chunk', () => {
    const folder = copy();
    const db = new Database(join(folder, 'store.sqlite'));
    db.prepare('INSERT INTO chunks_fts(rowid, text) VALUES (?, ?)').run(9999, 'a phantom entry');
    db.close();
    const c = checkWorkspaceIndexes(folder);
    expect(c.fts).toMatchObject({ indexed: 9, missing: [], extra: [9999] });
    expect(consistent(c)).toBe(false);
  });

  it('reports, through FTS5\'s integrity-check, an entry that no longer matches its chunk\'s text', () => {
    const folder = copy();
    const db = new Database(join(folder, 'store.sqlite'));
    const [victim, text] = [...chunks][1]!;
    // The chunk's entry re-indexed without its first word: present, but not what the chunks table holds.
    db.prepare("INSERT INTO chunks_fts(chunks_fts, rowid, text) VALUES ('delete', ?, ?)").run(victim, text);
    db.prepare('INSERT INTO chunks_fts(rowid, text) VALUES (?, ?)').run(victim, text.split(' ').slice(1).join(' '));
    db.close();
    const c = checkWorkspaceIndexes(folder);
    expect(c.fts).toMatchObject({ indexed: 8, missing: [], extra: [] });
    expect(c.fts.integrity).not.toBe('ok');
    expect(consistent(c)).toBe(false);
  });

  it('reports, through FTS5\'s integrity-check, a chunk indexed twice', () => {
    const folder = copy();
    const db = new Database(join(folder, 'store.sqlite'));
    const [victim, text] = [...chunks][6]!;
    // Indexed a second time without the first entry's removal: twice the postings, one recorded size.
    db.prepare('INSERT INTO chunks_fts(rowid, text) VALUES (?, ?)').run(victim, text);
    db.close();
    const c = checkWorkspaceIndexes(folder);
    expect(c.fts).toMatchObject({ indexed: 8, missing: [], extra: [] });
    expect(c.fts.integrity).not.toBe('ok');
    expect(consistent(c)).toBe(false);
  });

  it('reports a chunk whose HNSW label was marked deleted, a stray live label, and a wrong vector', () => {
    const ids = [...chunks.keys()];
    const folder = copy();
    editHnsw(folder, (index) => {
      index.markDelete(ids[2]!);
      index.resizeIndex(index.getMaxElements() + 1);
      index.addPoint(Array.from({ length: DIM }, (_, i) => (i === 0 ? 1 : 0)), 9999);
      index.addPoint(Array.from({ length: DIM }, (_, i) => (i === 1 ? 1 : 0)), ids[5]!); // replaces the point of an existing label
    });
    const c = checkWorkspaceIndexes(folder);
    expect(c.hnsw).toMatchObject({ labels: 11, live: 8, deletedMarked: 3, missing: [ids[2]], extra: [9999], wrongVector: [ids[5]] });
    expect(c.fts.missing).toEqual([]);
    expect(consistent(c)).toBe(false);
  });
});
