/**
 * The storage contract suites against PostgreSQL + pgvector (PGlite over the wire, through `pg`),
 * unchanged from the embedded backend's, plus what only a shared database has: migrations
 * that run once, and workspaces kept apart in schemas of their own.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../../src/store/postgres/migrations.js';
import { PostgresStorage } from '../../../src/store/postgres/postgres-storage.js';
import { startPglite } from '../../support/pglite-server.js';
import type { PgliteServer } from '../../support/pglite-server.js';
import { docStoreContract, graphStoreContract, newDocument, vectorIndexContract } from './store-contracts.js';

let server: PgliteServer;
const backends = new Map<number, Promise<PostgresStorage>>();
let n = 0;

/** One backend per vector dimension, on the one server; each call opens a fresh workspace. */
function backend(dim: number): Promise<PostgresStorage> {
  let b = backends.get(dim);
  if (!b) {
    b = PostgresStorage.connect({ url: server.url, poolMax: 4, dim, hnsw: { m: 16, efConstruction: 64, efSearch: 64 } });
    backends.set(dim, b);
  }
  return b;
}
const workspace = async (dim: number) => (await backend(dim)).open(`contract-${dim}-${n++}`, true);

beforeAll(async () => {
  server = await startPglite();
}, 120_000);
afterAll(async () => {
  for (const b of backends.values()) await (await b).close();
  await server?.stop();
});

docStoreContract('PostgreSQL (tsvector/GIN, BM25)', () => workspace(8));
graphStoreContract('PostgreSQL', async () => (await workspace(8)).graph);
vectorIndexContract('pgvector HNSW', async (dim) => (await workspace(dim)).vectors, { minRecall: 0.95 });

describe('PostgreSQL backend', () => {
  it('applies each migration once, however many instances start', async () => {
    const storage = await backend(8);
    const again = await Promise.all([migrate(storage.pool), migrate(storage.pool)]);
    expect(again).toEqual([[], []]);
    const { rows } = await storage.pool.query('SELECT version FROM rag.schema_migrations ORDER BY version');
    expect(rows.map((r) => r.version)).toEqual([1, 2]);
  });

  it('keeps workspaces apart in schemas of their own, and lists them', async () => {
    const storage = await backend(8);
    const a = await storage.open('apart-a', true);
    const b = await storage.open('apart-b', true);
    await a.docs.putDocument(newDocument('secret', ['the launch code is swordfish']));
    expect(await b.lexical.search('swordfish', 5)).toEqual([]);
    expect(await a.lexical.search('swordfish', 5)).toHaveLength(1);
    expect(await b.vectors.count()).toBe(0);
    expect(await storage.list()).toEqual(expect.arrayContaining(['apart-a', 'apart-b']));
    expect(await storage.exists('apart-c')).toBe(false);
    await expect(storage.open('apart-c', false)).rejects.toThrow(/does not exist/);
  });
});
