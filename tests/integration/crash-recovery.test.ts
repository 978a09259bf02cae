/**
 * SIGKILL in the middle of ingestion: after a restart every acknowledged document is there
 * whole, nothing is half-written, and the vector index matches the store.
 */
import { afterEach, describe, expect, it } from 'vitest';
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
