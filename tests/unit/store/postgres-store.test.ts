/**
 * The storage contract suites against PostgreSQL + pgvector (PGlite over the wire, through `pg`),
 * unchanged from the embedded backend's, plus what only a shared database has: migrations
 * that run once, and workspaces kept apart in schemas of their own.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/config.js';
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
    expect(rows.map((r) => r.version)).toEqual([1, 2, 3]);
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

describe('PostgreSQL BM25', () => {
  it('scores as Okapi BM25 (k1 1.2, b 0.75) computed by hand from the stored tsvectors', async () => {
    const storage = await backend(8);
    const { docs, lexical } = await storage.open('bm25', true);
    const texts = ['the cat sat on the mat', 'a dog chased the cat around the cat tree', 'trees grow tall in the forest', 'nothing to see here'];
    await docs.putDocument(newDocument('x', texts));
    const s = (await storage.pool.query("SELECT schema_name FROM rag.workspaces WHERE name = 'bm25'")).rows[0].schema_name;
    // The tokenisation is PostgreSQL's ('english' stemming, stop words); the formula is checked here.
    const rows = (await storage.pool.query(`SELECT id, tsv::text AS tsv FROM "${s}".chunks ORDER BY id`)).rows as Array<{ id: number; tsv: string }>;
    const tf = rows.map((r) => new Map([...r.tsv.matchAll(/'([^']+)':([\d,]+)/g)].map((m) => [m[1]!, m[2]!.split(',').length])));
    const len = tf.map((t) => [...t.values()].reduce((a, b) => a + b, 0));
    const avgdl = len.reduce((a, b) => a + b, 0) / len.length;
    const terms = ['cat', 'tree'];
    const expected = rows
      .map((r, i) => {
        let score = 0;
        for (const term of terms) {
          const f = tf[i]!.get(term) ?? 0;
          if (!f) continue;
          const df = tf.filter((t) => t.has(term)).length;
          score += Math.log(1 + (rows.length - df + 0.5) / (df + 0.5)) * ((f * 2.2) / (f + 1.2 * (1 - 0.75 + (0.75 * len[i]!) / avgdl)));
        }
        return { id: r.id, score };
      })
      .filter((h) => h.score > 0)
      .sort((a, b) => b.score - a.score);
    const got = await lexical.search('Cats and trees?', 10);
    expect(got.map((h) => h.id)).toEqual(expected.map((h) => h.id));
    got.forEach((h, i) => expect(h.score).toBeCloseTo(expected[i]!.score, 9));
    expect(expected).toHaveLength(3);
  });
});

describe('PostgreSQL graph tables and workspace migrations', () => {
  it('spreads the snapshot over entity, relation, community and report tables', async () => {
    const storage = await backend(8);
    const { graph } = await storage.open('graph-tables', true);
    const snapshot = {
      version: 1,
      entities: [
        { id: 'scrooge', name: 'Scrooge', type: 'person', forms: ['Scrooge', 'Mr. Scrooge'], descriptions: ['a miser'], chunkIds: [1, 2], mentions: 5 },
        { id: 'marley', name: 'Marley', type: 'person', forms: ['Marley'], descriptions: [], chunkIds: [1], mentions: 2 },
      ],
      relations: [{ source: 'marley', target: 'scrooge', weight: 2.5, descriptions: ['partners'], chunkIds: [1] }],
      communities: [{ id: 'L0-0', level: 0, parent: null, members: ['marley', 'scrooge'] }],
      reports: [{ communityId: 'L0-0', level: 0, title: 'Scrooge and Marley', summary: 's', rating: 7.5, findings: [{ summary: 'f', explanation: 'e', chunkIds: [1] }], contentHash: 'h', vectorKey: 'k' }],
    };
    await graph.putSnapshot(JSON.stringify(snapshot), []);
    const s = (await storage.pool.query("SELECT schema_name FROM rag.workspaces WHERE name = 'graph-tables'")).rows[0].schema_name;
    const q = async (sql: string) => (await storage.pool.query(sql.replaceAll('S.', `"${s}".`))).rows;
    expect(await q('SELECT id, mentions, forms, chunk_ids FROM S.graph_entities ORDER BY id')).toEqual([
      { id: 'marley', mentions: 2, forms: ['Marley'], chunk_ids: [1] },
      { id: 'scrooge', mentions: 5, forms: ['Scrooge', 'Mr. Scrooge'], chunk_ids: [1, 2] },
    ]);
    expect(await q('SELECT source, target, weight FROM S.graph_relations')).toEqual([{ source: 'marley', target: 'scrooge', weight: 2.5 }]);
    expect(await q('SELECT id, level, parent, members FROM S.graph_communities')).toEqual([{ id: 'L0-0', level: 0, parent: null, members: ['marley', 'scrooge'] }]);
    expect(await q('SELECT community_id, title, rating FROM S.graph_reports')).toEqual([{ community_id: 'L0-0', title: 'Scrooge and Marley', rating: 7.5 }]);
    await graph.putSnapshot(JSON.stringify({ ...snapshot, entities: [snapshot.entities[0]], relations: [], communities: [], reports: [] }), []);
    expect((await q('SELECT id FROM S.graph_entities')).map((r) => r.id)).toEqual(['scrooge']);
    expect(await q('SELECT * FROM S.graph_relations')).toEqual([]);
  });

  it('brings a workspace made by an older version up to date when it is opened', async () => {
    const storage = await backend(8);
    const parts = await storage.open('older', true);
    await parts.docs.putDocument(newDocument('kept', ['still here']));
    const s = (await storage.pool.query("SELECT schema_name FROM rag.workspaces WHERE name = 'older'")).rows[0].schema_name;
    // As version 1 left it: no graph tables yet.
    await storage.pool.query(`DROP TABLE "${s}".graph_entities, "${s}".graph_relations, "${s}".graph_communities, "${s}".graph_reports; UPDATE rag.workspaces SET version = 1 WHERE name = 'older'`);
    const reopened = await storage.open('older', false);
    expect((await storage.pool.query("SELECT version FROM rag.workspaces WHERE name = 'older'")).rows[0].version).toBe(2);
    await reopened.graph.putSnapshot('{"entities":[]}', []);
    expect(await reopened.docs.getDocumentText('kept')).toBe('still here');
  });
});

describe('PostgreSQL configuration', () => {
  it('needs DATABASE_URL with STORE=postgres', () => {
    expect(() => loadConfig({ STORE: 'postgres' })).toThrow(/STORE=postgres needs DATABASE_URL/);
    expect(() => loadConfig({ STORE: 'postgres', DATABASE_URL: 'mysql://x' })).toThrow(/DATABASE_URL: must be a postgres:\/\/ or postgresql:\/\/ URL/);
    expect(loadConfig({}).STORE).toBe('embedded');
  });

  it('names the database it cannot reach, without the password', async () => {
    const failed = PostgresStorage.connect({ url: 'postgres://rag:secret-pw@127.0.0.1:1/rag', poolMax: 1, dim: 8, hnsw: { m: 16, efConstruction: 64, efSearch: 64 } });
    await expect(failed).rejects.toThrow(/cannot set up the database at DATABASE_URL postgres:\/\/127\.0\.0\.1:1\/rag/);
    await expect(failed).rejects.not.toThrow(/secret-pw/);
  });
});
