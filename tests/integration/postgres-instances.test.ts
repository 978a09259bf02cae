/**
 * Two service instances (two whole apps) on one PostgreSQL + pgvector database (PGlite over the
 * wire): they ingest the same and different documents at once, and each sees the other's
 * documents and jobs.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HOTPOTQA_100, readCorpus } from '../../scripts/lib/datasets.js';
import { testApp, waitForJob } from '../support/app.js';
import type { TestApp } from '../support/app.js';
import { createPool } from '../../src/store/postgres/pg-sql.js';
import { startPglite } from '../support/pglite-server.js';
import type { PgliteServer } from '../support/pglite-server.js';

let server: PgliteServer;
let a: TestApp;
let b: TestApp;

const passages = readCorpus(HOTPOTQA_100).map((p) => p.text);
/** Real passages, `n` of them from `from` on, joined. */
const sentences = (n: number, from: number) => passages.slice(from, from + n);
const corpus = Object.fromEntries(Array.from({ length: 12 }, (_, i) => [`shared/doc-${i}.txt`, sentences(3, 20 * i).join('\n\n')]));

beforeAll(async () => {
  server = await startPglite();
  const env = { STORE: 'postgres', DATABASE_URL: server.url, PG_POOL_MAX: '4', AUTH: 'on', ADMIN_API_KEY: ADMIN, RATE_LIMIT_PER_MINUTE: '100000', RATE_LIMIT_BURST: '100000' };
  // Started together: both run the migrations at once.
  [a, b] = await Promise.all([testApp(env, {}, corpus), testApp(env, {}, corpus)]);
}, 240_000);
afterAll(async () => {
  await Promise.all([a?.app.close(), b?.app.close()]);
  await server?.stop();
});

const ADMIN = 'admin-key-of-both-instances-0123456789';
const auth = (key = ADMIN) => ({ authorization: `Bearer ${key}` });
const post = (t: TestApp, url: string, payload: Record<string, unknown>, key = ADMIN) => t.app.inject({ method: 'POST', url, payload, headers: auth(key) });
const get = (t: TestApp, url: string, key = ADMIN) => t.app.inject({ method: 'GET', url, headers: auth(key) });
const del = (t: TestApp, url: string, key = ADMIN) => t.app.inject({ method: 'DELETE', url, headers: auth(key) });

describe('two instances on one database', () => {
  it('ingest the same and different documents at once: no duplicates, nothing lost', async () => {
    const docs = Array.from({ length: 8 }, (_, i) => ({ id: `d${i}`, title: `Doc ${i}`, text: sentences(4, 100 + i).join(' ') }));
    // Both instances write every document (same ids, same content) and one of their own each, at the same time.
    const writes = await Promise.all([
      ...docs.map((d) => post(a, '/v1/workspaces/race/documents', d)),
      ...docs.map((d) => post(b, '/v1/workspaces/race/documents', d)),
      post(a, '/v1/workspaces/race/documents', { id: 'only-a', text: sentences(3, 300).join(' ') }),
      post(b, '/v1/workspaces/race/documents', { id: 'only-b', text: sentences(3, 301).join(' ') }),
    ]);
    expect(writes.map((w) => w.statusCode).every((s) => s === 200 || s === 201)).toBe(true);
    // Each shared document was created exactly once; the other write found it unchanged.
    for (const d of docs) {
      const statuses = writes.filter((w) => w.json().id === d.id).map((w) => w.json().status).sort();
      expect(statuses).toEqual(['created', 'unchanged']);
    }
    for (const t of [a, b]) {
      const list = (await get(t, '/v1/workspaces/race/documents?limit=100')).json();
      expect(list.total).toBe(10);
      const stats = (await get(t, '/v1/workspaces/race')).json();
      const chunkTotal = (await Promise.all(list.items.map((d: { id: string }) => get(t, `/v1/workspaces/race/documents/${d.id}`)))).reduce((n, r) => n + r.json().chunks.length, 0);
      expect(stats).toMatchObject({ documents: 10, chunks: chunkTotal, vectors: chunkTotal });
    }
    // A document written by one instance is found by the other.
    const hit = (await post(b, '/v1/workspaces/race/search', { query: docs[3]!.text.slice(0, 80), k: 3, retriever: 'dense' })).json();
    expect(hit.hits[0].docId).toBe('d3');
  });

  it('replace the same document at once: one version wins whole', async () => {
    const versions = [a, b, a, b].map((t, i) => post(t, '/v1/workspaces/race/documents', { id: 'contested', text: sentences(5, 500 + i).join(' ') }));
    await Promise.all(versions);
    const doc = (await get(a, '/v1/workspaces/race/documents/contested')).json();
    expect([0, 1, 2, 3].map((i) => sentences(5, 500 + i).join(' '))).toContain(doc.text);
    expect(doc.chunks.map((c: { ordinal: number }) => c.ordinal)).toEqual(doc.chunks.map((_: unknown, i: number) => i));
    expect(doc.chunks.every((c: { start: number; end: number; text: string }) => doc.text.slice(c.start, c.end) === c.text)).toBe(true);
  });

  it("shows a job's progress on either instance, and cancels from either", async () => {
    const started = await post(a, '/v1/workspaces/folder/ingest', { path: 'shared' });
    expect(started.statusCode).toBe(202);
    const { jobId } = started.json();
    const fromB = (await get(b, `/v1/jobs/${jobId}`)).json();
    expect(fromB).toMatchObject({ id: jobId, kind: 'ingest-folder', workspace: 'folder' });
    const finished = await waitForJob(b.app, jobId, 60_000, auth()); // polled on the instance that does not run it
    expect(finished).toMatchObject({ state: 'succeeded', progress: { filesTotal: 12, filesDone: 12, documents: 12 } });
    expect((await get(b, '/v1/workspaces/folder')).json()).toMatchObject({ documents: 12 });
    const events = await get(b, `/v1/jobs/${jobId}/events`);
    const done = events.body.split('\n\n').find((e) => e.startsWith('event: done\n'));
    expect(JSON.parse(done!.slice('event: done\ndata: '.length))).toMatchObject({ id: jobId, state: 'succeeded' });
    expect((await get(b, '/v1/jobs/no-such-job')).statusCode).toBe(404);
    expect((await del(b, '/v1/jobs/no-such-job')).statusCode).toBe(404);

    // A long job on instance a, cancelled through instance b: a notices at its next progress update.
    const long = a.app.services.jobs.start('test-long', 'folder', async (handle) => {
      while (!handle.signal.aborted) {
        handle.update((p) => p.filesDone++);
        await new Promise((r) => setTimeout(r, 50));
      }
    });
    await new Promise((r) => setTimeout(r, 200));
    const cancelled = await del(b, `/v1/jobs/${long.id}`);
    expect(cancelled.statusCode).toBe(202);
    expect(cancelled.json()).toMatchObject({ id: long.id, state: 'running' });
    expect(await waitForJob(b.app, long.id, 10_000, auth())).toMatchObject({ state: 'cancelled' });
    expect(a.app.services.jobs.get(long.id).state).toBe('cancelled');
  });

  it('build a graph on one instance that the other serves and queries, with its rows in the graph tables', async () => {
    const { jobId } = (await post(a, '/v1/workspaces/race/graph', {})).json();
    const built = await waitForJob(b.app, jobId, 120_000, auth());
    expect(built).toMatchObject({ state: 'succeeded' });
    const summary = (await get(b, '/v1/workspaces/race/graph')).json();
    expect(summary.entities).toBeGreaterThan(0);
    expect(summary.stale).toBe(false);
    const top = (await get(b, '/v1/workspaces/race/graph/entities?limit=1')).json().entities[0];
    const answer = await post(b, '/query', { question: `What about ${top.name}?`, workspace: 'race', mode: 'graph-local', k: 4 });
    expect(answer.statusCode).toBe(200);
    expect(answer.json().graph.entities.length).toBeGreaterThan(0);
    const pool = createPool(server.url, 1); // a third client, looking at the tables directly
    try {
      const s = (await pool.query<{ s: string }>("SELECT schema_name AS s FROM rag.workspaces WHERE name = 'race'")).rows[0]!.s;
      expect((await pool.query<{ n: number }>(`SELECT count(*) AS n FROM "${s}".graph_entities`)).rows[0]!.n).toBe(summary.entities);
    } finally {
      await pool.end();
    }
  });

  it('share API keys: made on one, accepted and revoked on the other; a job answers only keys of its workspace', async () => {
    const made = (await post(a, '/v1/keys', { name: 'race reader', scopes: { race: 'read' } })).json();
    expect((await get(b, '/v1/workspaces/race', made.key)).statusCode).toBe(200);
    expect((await get(b, '/v1/workspaces/folder', made.key)).statusCode).toBe(403);
    // A job of workspace "folder" that runs on a: b finds its workspace in the shared job store and refuses this key.
    const { jobId } = (await post(a, '/v1/workspaces/folder/ingest', { path: 'shared' })).json();
    expect((await get(b, `/v1/jobs/${jobId}`, made.key)).statusCode).toBe(403);
    await waitForJob(a.app, jobId, 60_000, auth());
    expect((await del(b, `/v1/keys/${made.id}`)).statusCode).toBe(200);
    expect((await get(a, '/v1/workspaces/race', made.key)).statusCode).toBe(401);
    expect((await get(a, '/v1/workspaces/race', 'rsk_not-a-key')).statusCode).toBe(401);
  });
});
