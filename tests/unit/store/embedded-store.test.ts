import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ExactVectorIndex } from '../../../src/store/exact-vector-index.js';
import { HnswVectorIndex } from '../../../src/store/hnsw/hnsw-vector-index.js';
import { Fts5LexicalIndex } from '../../../src/store/sqlite/fts5-lexical-index.js';
import { SqliteDocStore } from '../../../src/store/sqlite/sqlite-doc-store.js';
import { SqliteGraphStore } from '../../../src/store/sqlite/sqlite-graph-store.js';
import { tempDir } from '../../support/runtime.js';
import { randomUnitVectors } from '../../support/vectors.js';
import { docStoreContract, graphStoreContract, vectorIndexContract } from './store-contracts.js';

const HNSW = { m: 16, efConstruction: 200, efSearch: 64 };

docStoreContract('SQLite + FTS5', () => {
  const docs = new SqliteDocStore(join(tempDir('sqlite'), 'store.sqlite'));
  return { docs, lexical: new Fts5LexicalIndex(docs.db) };
});
graphStoreContract('SQLite', () => new SqliteGraphStore(new SqliteDocStore(join(tempDir('graph'), 'store.sqlite')).db));
vectorIndexContract('exact (brute force)', (dim) => new ExactVectorIndex(dim), { minRecall: 1 });
vectorIndexContract('hnswlib', (dim) => HnswVectorIndex.open(join(tempDir('hnsw'), 'vectors.hnsw'), dim, HNSW), { minRecall: 0.95 });

describe('hnswlib index file', () => {
  it('survives persist and reopen, including deletes', async () => {
    const path = join(tempDir('hnsw'), 'vectors.hnsw');
    const vectors = randomUnitVectors(500, 16, 11);
    const index = HnswVectorIndex.open(path, 16, HNSW);
    await index.add(vectors.map((vector, i) => ({ id: i + 1, vector })));
    await index.remove([1, 2, 3]);
    await index.persist();
    const reopened = HnswVectorIndex.open(path, 16, HNSW);
    // The file keeps deleted labels; the workspace reconciles them away (see workspace tests).
    await reopened.remove([1, 2, 3]);
    expect(reopened.size).toBe(497);
    expect((await reopened.search(vectors[9]!, 1))[0]!.id).toBe(10);
    expect((await reopened.search(vectors[0]!, 10)).map((h) => h.id)).not.toContain(1);
  });

  it('starts empty from an unreadable file rather than failing', () => {
    const dir = tempDir('hnsw');
    const path = join(dir, 'vectors.hnsw');
    writeFileSync(path, 'garbage');
    expect(HnswVectorIndex.open(path, 16, HNSW).size).toBe(0);
  });
});
