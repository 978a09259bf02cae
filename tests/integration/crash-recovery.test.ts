/**
 * SIGKILL in the middle of ingestion, deletes, a folder job and a graph build: after a restart
 * every acknowledged document is there whole, every acknowledged delete stayed, nothing is
 * half-written, the graph is the last complete snapshot (and a new build succeeds), and the
 * FTS5 and HNSW indexes hold exactly the stored chunks.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { documentIds, fetchDocument, followJob, graphOnDisk, graphOverHttp, isWhole } from '../../scripts/lib/crash-checks.js';
import type { JobView } from '../../scripts/lib/crash-checks.js';
import { checkWorkspaceIndexes, summarize } from '../../scripts/lib/index-consistency.js';
import { startServer } from '../../scripts/lib/server-process.js';
import type { ServerProcess } from '../../scripts/lib/server-process.js';
import { tempDir } from '../support/runtime.js';

let server: ServerProcess | undefined;
afterEach(async () => server?.kill());

function documentText(i: number): string {
  return Array.from({ length: 12 }, (_, s) => `Document ${i} sentence ${s} talks about topic ${(i * 7 + s) % 13} in some detail.`).join(' ');
}

async function json(url: string, init?: RequestInit) {
  const res = await fetch(url, init);
  return { status: res.status, connection: res.headers.get('connection'), body: (await res.json()) as Record<string, any> };
}

describe('crash safety', () => {
  it('keeps every acknowledged document whole across a SIGKILL during ingestion', async () => {
    const env = { DATA_DIR: tempDir('crash'), CORPORA_DIR: tempDir('empty'), SAMPLE_INGEST: 'false' };
    server = await startServer(env);
    const acknowledged = new Map<string, number>();
    const writers = Array.from({ length: 4 }, async (_, w) => {
      for (let i = w; ; i += 4) {
        try {
          const res = await json(`${server!.url}/v1/workspaces/crash/documents`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ id: `doc-${i}`, text: documentText(i) }),
          });
          if (res.status === 201) acknowledged.set(`doc-${i}`, res.body.chunks as number);
        } catch {
          return; // the server is gone
        }
      }
    });
    while (acknowledged.size < 12) await new Promise((r) => setTimeout(r, 20));
    await server.kill('SIGKILL');
    await Promise.all(writers);

    server = await startServer(env);
    const stats = await json(`${server.url}/v1/workspaces/crash`);
    const listed = await json(`${server.url}/v1/workspaces/crash/documents?limit=500`);
    const ids = listed.body.items.map((d: { id: string }) => d.id) as string[];
    for (const [id, chunks] of acknowledged) {
      expect(ids).toContain(id);
      const doc = await json(`${server.url}/v1/workspaces/crash/documents/${id}`);
      expect(doc.body.chunks).toHaveLength(chunks);
      expect(doc.body.text).toBe(documentText(Number(id.slice(4))));
    }
    let chunkTotal = 0;
    for (const id of ids) {
      const doc = await json(`${server.url}/v1/workspaces/crash/documents/${id}`);
      expect(doc.body.chunks.length, `${id} is whole`).toBe(doc.body.document.chunkCount);
      chunkTotal += doc.body.chunks.length;
    }
    expect(stats.body).toMatchObject({ documents: ids.length, chunks: chunkTotal, vectors: chunkTotal });
    const answer = await json(`${server.url}/query`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ question: 'Which document talks about topic 5?', workspace: 'crash' }) });
    expect(answer.status).toBe(200);
    expect(answer.body.citations.length).toBeGreaterThan(0);
    await server.kill('SIGTERM'); // graceful: the vector index is saved
    const indexes = checkWorkspaceIndexes(join(env.DATA_DIR, 'workspaces', 'crash'));
    expect(indexes.fts).toMatchObject({ chunks: chunkTotal, indexed: chunkTotal, missing: [], extra: [], integrity: 'ok' });
    expect(indexes.hnsw).toMatchObject({ live: chunkTotal, missing: [], extra: [], wrongVector: [] });
  });

  it('keeps deletes, a folder job and a graph build whole or absent across a SIGKILL, and both can be run again', async () => {
    // The folder: one-chunk text files and JSON-lines files of three records, in 3 groups of
    // at most 64 files (the job writes a group in one transaction).
    const corpora = tempDir('crash-corpora');
    mkdirSync(join(corpora, 'corpus'));
    const files = new Map<string, string>();
    for (let i = 0; i < 10; i++) files.set(`j-${String(i).padStart(2, '0')}.jsonl`, [0, 1, 2].map((r) => JSON.stringify({ id: `r${r}`, text: `${documentText(1000 + i * 3 + r).slice(0, 300)}` })).join('\n'));
    for (let i = 0; i < 150; i++) files.set(`t-${String(i).padStart(3, '0')}.txt`, documentText(2000 + i).slice(0, 400));
    for (const [name, content] of files) writeFileSync(join(corpora, 'corpus', name), content);
    /** Document id → text, per file, computed from what was written (the loaders keep text as is). */
    const expected = new Map([...files].map(([name, content]) => [name, name.endsWith('.jsonl') ? content.split('\n').map((line) => { const r = JSON.parse(line) as { id: string; text: string }; return [`corpus/${name}#${r.id}`, r.text] as const; }) : [[`corpus/${name}`, content] as const]]));
    const sortedNames = [...files.keys()].sort();

    const env = { DATA_DIR: tempDir('crash-more'), CORPORA_DIR: corpora, SAMPLE_INGEST: 'false', GRAPH_AUTO_UPDATE_MS: '0' };
    server = await startServer(env);
    const url = server.url;
    const post = (path: string, body?: unknown) => json(`${url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body ?? {}) });

    // A graph built and acknowledged on "g"; then more text, so that the next build has work.
    const carol = readFileSync(join(process.cwd(), 'corpora', 'a-christmas-carol.txt'), 'utf8');
    for (let i = 0; i < 10; i++) expect((await post('/v1/workspaces/g/documents', { id: `carol-${i}`, text: carol.slice(i * 1200, (i + 1) * 1200) })).status).toBe(201);
    const firstBuild = await followJob(url, (await post('/v1/workspaces/g/graph')).body.jobId as string);
    expect(firstBuild?.state).toBe('succeeded');
    const acknowledgedGraph = await graphOverHttp(url, 'g');
    expect(acknowledgedGraph).toMatchObject({ state: 'readable', stale: false });
    for (let i = 10; i < 16; i++) expect((await post('/v1/workspaces/g/documents', { id: `carol-${i}`, text: carol.slice(i * 1200, (i + 1) * 1200) })).status).toBe(201);

    // Documents on "d" to delete.
    for (let i = 0; i < 12; i++) expect((await post('/v1/workspaces/d/documents', { id: `doc-${i}`, text: documentText(i) })).status).toBe(201);

    // Now at once: the folder job, a graph build, a loop that deletes the documents of "d" one
    // by one, and one that writes new ones. The server is killed once the job has written its
    // first group.
    const folderJob = (await post('/v1/workspaces/f/ingest', { path: 'corpus' })).body.jobId as string;
    expect((await post('/v1/workspaces/g/graph')).status).toBe(202);
    const deleted = new Set<string>();
    const written = new Set<string>();
    const inFlight = new Set<string>();
    let stopped = false;
    /** Runs `op` on `id` until the server is gone; a 2xx (or a 404 for a delete) is an acknowledgement. */
    const loop = async (op: 'delete' | 'write', ids: string[], pauseMs: number) => {
      for (const id of ids) {
        if (stopped) return;
        inFlight.add(id);
        try {
          const res = op === 'delete' ? await fetch(`${url}/v1/workspaces/d/documents/${id}`, { method: 'DELETE' }) : await fetch(`${url}/v1/workspaces/d/documents`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ id, text: documentText(500 + Number(id.slice(4))) }) });
          if (op === 'delete' && (res.status === 204 || res.status === 404)) deleted.add(id);
          else if (op === 'write' && res.status === 201) written.add(id);
          else throw new Error(`${op} ${id}: unexpected ${res.status}`);
          inFlight.delete(id);
        } catch (error) {
          if ((error as Error).message.includes('unexpected')) throw error;
          return; // the server is gone: the operation stays in flight
        }
        await new Promise((r) => setTimeout(r, pauseMs));
      }
    };
    const churn = Promise.all([
      loop('delete', Array.from({ length: 12 }, (_, i) => `doc-${i}`), 150),
      loop('write', Array.from({ length: 1000 }, (_, i) => `new-${i}`), 0),
    ]);
    let atKill: JobView | undefined;
    const stopFollowing = new AbortController();
    const killed = followJob(url, folderJob, {
      intervalMs: 10,
      stop: stopFollowing.signal,
      seen: (job) => {
        if (atKill || job.progress.filesDone < 64 || job.state !== 'running') return;
        atKill = structuredClone(job);
        stopFollowing.abort();
        void server!.kill('SIGKILL');
      },
    });
    const lastSeen = await killed;
    stopped = true;
    await churn;
    expect(lastSeen, 'the folder job finished before the kill: make the folder larger').toBeUndefined();
    expect(atKill!.progress.filesDone).toBeLessThan(files.size);
    expect(deleted.size).toBeGreaterThan(0);
    await server.kill('SIGKILL');

    server = await startServer(env);
    const again = server.url;
    // Deletes: an acknowledged one stayed; an acknowledged write is whole; one in flight either way.
    for (const id of deleted) if (!inFlight.has(id)) expect(await fetchDocument(again, 'd', id), `${id} was deleted`).toBeUndefined();
    for (const id of written) expect(isWhole((await fetchDocument(again, 'd', id))!), `${id} is whole`).toBe(true);
    const dIds = new Set(await documentIds(again, 'd'));
    for (let i = 0; i < 12; i++) if (!deleted.has(`doc-${i}`) && !inFlight.has(`doc-${i}`)) expect(dIds.has(`doc-${i}`), `doc-${i} was never deleted`).toBe(true);

    // The folder: each file whole (all its records, each as written) or absent; the files the
    // job had counted done before the kill are there.
    const fIds = new Set(await documentIds(again, 'f'));
    let present = 0;
    for (const name of sortedNames) {
      const docs = expected.get(name)!;
      const here = docs.filter(([id]) => fIds.has(id));
      expect([0, docs.length], `${name}: ${here.length} of ${docs.length} records`).toContain(here.length);
      for (const [id, text] of here) {
        const doc = (await fetchDocument(again, 'f', id))!;
        expect(doc.text, id).toBe(text);
        expect(isWhole(doc), `${id} is whole`).toBe(true);
      }
      if (here.length) present++;
    }
    expect(present).toBeGreaterThanOrEqual(atKill!.progress.filesDone);
    expect(fIds.size).toBe(sortedNames.slice(0, present).reduce((n, name) => n + expected.get(name)!.length, 0)); // nothing else
    for (const name of sortedNames.slice(0, atKill!.progress.filesDone)) expect(fIds.has(expected.get(name)![0]![0]), `${name} was counted done`).toBe(true);

    // The graph: the acknowledged snapshot or the build that was in flight, readable and sound.
    const graph = await graphOverHttp(again, 'g');
    expect(graph.problems).toEqual([]);
    expect(graph.state).toBe('readable');
    expect(graph.builtAt! >= acknowledgedGraph.builtAt!).toBe(true);
    expect(graphOnDisk(join(env.DATA_DIR, 'workspaces', 'g', 'store.sqlite'))).toMatchObject({ snapshot: true, builtAt: graph.builtAt, problems: [] });

    // Both jobs run again to completion.
    const rerun = (await followJob(again, (await json(`${again}/v1/workspaces/f/ingest`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ path: 'corpus' }) })).body.jobId as string))!;
    expect(rerun).toMatchObject({ state: 'succeeded', progress: { filesTotal: files.size, filesDone: files.size, errors: [] } });
    expect(rerun.progress.unchanged).toBe(fIds.size);
    const allIds = [...expected.values()].flatMap((docs) => docs.map(([id]) => id)).sort();
    expect((await documentIds(again, 'f')).sort()).toEqual(allIds);
    const rebuild = (await followJob(again, (await json(`${again}/v1/workspaces/g/graph`, { method: 'POST' })).body.jobId as string))!;
    expect(rebuild.state).toBe('succeeded');
    const rebuilt = await graphOverHttp(again, 'g');
    expect(rebuilt).toMatchObject({ state: 'readable', stale: false, problems: [] });
    expect(rebuilt.builtAt! > graph.builtAt!).toBe(true);

    await server.kill('SIGTERM');
    for (const ws of ['d', 'f', 'g']) {
      const c = checkWorkspaceIndexes(join(env.DATA_DIR, 'workspaces', ws));
      expect(summarize(c), ws).toMatchObject({ ftsMissing: 0, ftsExtra: 0, ftsIntegrity: 'ok', hnswMissing: 0, hnswExtra: 0, hnswWrongVector: 0 });
    }
  });
});

describe('graceful shutdown', () => {
  it('finishes an in-flight write on SIGTERM, then exits cleanly', async () => {
    const env = { DATA_DIR: tempDir('term'), CORPORA_DIR: tempDir('empty'), SAMPLE_INGEST: 'false' };
    server = await startServer(env);
    const text = documentText(1).repeat(20); // long enough to still be embedding when the signal arrives
    const pending = json(`${server.url}/v1/workspaces/term/documents`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ id: 'inflight', text }) });
    await new Promise((r) => setTimeout(r, 30));
    const exited = new Promise<number | null>((resolve) => server!.child.once('exit', (code) => resolve(code)));
    server.child.kill('SIGTERM');
    const res = await pending;
    expect(res.status).toBe(201);
    expect(res.connection).toBe('close'); // so the client's keep-alive connection does not hold the shutdown open
    expect(await exited).toBe(0);

    server = await startServer(env);
    const doc = await json(`${server.url}/v1/workspaces/term/documents/inflight`);
    expect(doc.body.text).toBe(text);
    expect((await json(`${server.url}/v1/workspaces/term`)).body.vectors).toBe(doc.body.chunks.length);
  });
});
