import { symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { minimalPdf } from '../support/minimal-pdf.js';
import { tempDir } from '../support/runtime.js';
import { testApp, waitForJob } from '../support/app.js';
import type { TestApp } from '../support/app.js';

const CAROL = `Marley was dead: to begin with. There is no doubt whatever about that. Scrooge and he were partners for I don't know how many years. Scrooge was his sole executor, his sole administrator, his sole friend, and sole mourner.

Once upon a time, of all the good days in the year, on Christmas Eve, old Scrooge sat busy in his counting-house. It was cold, bleak, biting weather: foggy withal. The door of Scrooge's counting-house was open that he might keep his eye upon his clerk, Bob Cratchit.`;

const COOKING = 'To bake bread, mix flour, water, salt and yeast. Knead the dough for ten minutes. Let it rise for an hour, then bake it in a hot oven until the crust is brown.';

let t: TestApp;

function post(url: string, payload: unknown) {
  return t.app.inject({ method: 'POST', url, payload: payload as Record<string, unknown> });
}

function multipart(fields: Record<string, string>, file: { name: string; content: Buffer }) {
  const boundary = '----test-boundary';
  const parts = Object.entries(fields).map(([k, v]) => `--${boundary}\r\ncontent-disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`);
  const head = Buffer.from(parts.join('') + `--${boundary}\r\ncontent-disposition: form-data; name="file"; filename="${file.name}"\r\ncontent-type: application/octet-stream\r\n\r\n`);
  return { payload: Buffer.concat([head, file.content, Buffer.from(`\r\n--${boundary}--\r\n`)]), headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } };
}

beforeAll(async () => {
  t = await testApp({ MAX_BODY_BYTES: String(2 * 1024 * 1024), MAX_FILE_BYTES: String(512 * 1024) }, {}, {
    'carol/stave-one.txt': CAROL,
    'carol/notes.md': '# Notes\n\nBob Cratchit earned fifteen shillings a week.',
    'cooking/bread.html': `<html><head><title>Bread</title></head><body><p>${COOKING}</p></body></html>`,
    'cooking/empty.txt': '   \n',
    'cooking/broken.json': '{"text": oops',
  });
});
afterAll(() => t.app.close());

describe('operations', () => {
  it('reports health, readiness, metrics and the OpenAPI UI', async () => {
    expect((await t.app.inject('/health')).json()).toEqual({ status: 'ok' });
    const ready = await t.app.inject('/ready');
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toMatchObject({ ready: true, embedder: 'use-lite', provider: ['cpu'] });
    const docs = await t.app.inject('/docs/json');
    expect(docs.json().paths['/query']).toBeDefined();
    expect((await t.app.inject('/docs')).statusCode).toBeLessThan(400);
    expect((await t.app.inject('/health')).headers['x-request-id']).toBeTruthy();
  });
});

describe('documents', () => {
  it('adds a document, skips identical content, replaces changed content, lists, reads and deletes', async () => {
    const created = await post('/v1/workspaces/docs/documents', { text: CAROL, title: 'Stave One', metadata: { author: 'Dickens' } });
    expect(created.statusCode).toBe(201);
    const { id, chunks } = created.json();
    expect(id).toMatch(/^[0-9a-f]{32}$/);
    expect(chunks).toBeGreaterThan(0);
    const again = await post('/v1/workspaces/docs/documents', { text: CAROL, title: 'Stave One', metadata: { author: 'Dickens' } });
    expect(again.statusCode).toBe(200);
    expect(again.json()).toMatchObject({ id, status: 'unchanged' });

    expect((await post('/v1/workspaces/docs/documents', { id: 'bread', text: 'Bread is old.' })).json().status).toBe('created');
    const replaced = await post('/v1/workspaces/docs/documents', { id: 'bread', text: COOKING });
    expect(replaced.json()).toMatchObject({ id: 'bread', status: 'replaced' });
    const one = (await t.app.inject('/v1/workspaces/docs/documents/bread')).json();
    expect(one.text).toBe(COOKING);
    expect(one.chunks.map((c: { text: string }) => c.text).join(' ')).toContain('Knead the dough');
    for (const c of one.chunks) expect(COOKING.slice(c.start, c.end)).toBe(c.text);
    const hits = (await post('/v1/workspaces/docs/search', { query: 'Bread is old', k: 10, retriever: 'lexical' })).json().hits;
    expect(hits.every((h: { text: string }) => !h.text.includes('Bread is old'))).toBe(true);

    const page = (await t.app.inject('/v1/workspaces/docs/documents?limit=1&offset=1')).json();
    expect(page).toMatchObject({ total: 2, limit: 1, offset: 1 });
    expect(page.items).toHaveLength(1);

    expect((await t.app.inject({ method: 'DELETE', url: '/v1/workspaces/docs/documents/bread' })).statusCode).toBe(204);
    expect((await t.app.inject('/v1/workspaces/docs/documents/bread')).statusCode).toBe(404);
    expect((await t.app.inject({ method: 'DELETE', url: '/v1/workspaces/docs/documents/bread' })).statusCode).toBe(404);
    expect((await t.app.inject('/v1/workspaces/docs')).json()).toMatchObject({ documents: 1, vectors: chunks, chunks });
  });

  it('accepts multipart uploads (text, Markdown, HTML, PDF with pages, JSONL records)', async () => {
    const pdf = multipart({ id: 'report' }, { name: 'report.pdf', content: minimalPdf(['The first page is about ghosts.', 'The second page is about bread.']) });
    const res = await t.app.inject({ method: 'POST', url: '/v1/workspaces/uploads/documents', ...pdf });
    expect(res.statusCode).toBe(201);
    const doc = (await t.app.inject('/v1/workspaces/uploads/documents/report')).json();
    expect(doc.chunks.map((c: { page: number }) => c.page)).toEqual([1, 2]);
    const hit = (await post('/v1/workspaces/uploads/search', { query: 'bread', k: 1, retriever: 'lexical' })).json().hits[0];
    expect(hit).toMatchObject({ docId: 'report', page: 2 });

    const jsonl = multipart({ textField: 'body' }, { name: 'faq.jsonl', content: Buffer.from('{"id":"q1","body":"Refunds take five days."}\n{"id":"q2","body":"Shipping is free."}\n') });
    const many = (await t.app.inject({ method: 'POST', url: '/v1/workspaces/uploads/documents', ...jsonl })).json();
    expect(many.documents.map((d: { id: string }) => d.id)).toEqual(['faq.jsonl#q1', 'faq.jsonl#q2']);
  });

  it('refuses bad input with a 4xx that says what is accepted', async () => {
    const cases: Array<[string, Awaited<ReturnType<typeof post>>, number, RegExp]> = [
      ['empty text', await post('/v1/workspaces/docs/documents', { text: '   ' }), 400, /text must not be empty/],
      ['missing text', await post('/v1/workspaces/docs/documents', { title: 'x' }), 400, /body\.text/],
      ['bad workspace name', await post('/v1/workspaces/..%2Fx/documents', { text: 'a' }), 400, /invalid workspace name/],
      ['unsupported type', await t.app.inject({ method: 'POST', url: '/v1/workspaces/docs/documents', ...multipart({}, { name: 'a.docx', content: Buffer.from('x') }) }), 415, /accepted: \.txt/],
      ['malformed PDF', await t.app.inject({ method: 'POST', url: '/v1/workspaces/docs/documents', ...multipart({}, { name: 'a.pdf', content: Buffer.from('%PDF-1.7 garbage') }) }), 400, /not a readable PDF/],
      ['invalid UTF-8 file', await t.app.inject({ method: 'POST', url: '/v1/workspaces/docs/documents', ...multipart({}, { name: 'a.txt', content: Buffer.from([0xc3, 0x28]) }) }), 400, /not valid UTF-8/],
      ['invalid UTF-8 JSON', await t.app.inject({ method: 'POST', url: '/v1/workspaces/docs/documents', headers: { 'content-type': 'application/json' }, payload: Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x7d]) }), 400, /not valid UTF-8/],
      ['broken JSON', await t.app.inject({ method: 'POST', url: '/v1/workspaces/docs/documents', headers: { 'content-type': 'application/json' }, payload: '{"text": ' }), 400, /not valid JSON/],
      ['file too large', await t.app.inject({ method: 'POST', url: '/v1/workspaces/docs/documents', ...multipart({}, { name: 'big.txt', content: Buffer.alloc(600 * 1024, 0x61) }) }), 413, /MAX_FILE_BYTES/],
      ['body too large', await post('/v1/workspaces/docs/documents', { text: 'a'.repeat(3 * 1024 * 1024) }), 413, /MAX_BODY_BYTES/],
      ['unknown workspace', await t.app.inject('/v1/workspaces/nope/documents'), 404, /workspace "nope" does not exist/],
      ['wrong media type', await t.app.inject({ method: 'POST', url: '/v1/workspaces/docs/documents', headers: { 'content-type': 'text/csv' }, payload: 'a,b' }), 415, /application\/json or multipart/],
    ];
    for (const [name, res, status, message] of cases) {
      expect(res.statusCode, name).toBe(status);
      expect(res.json().message, name).toMatch(message);
      expect(res.json().requestId, name).toBeTruthy();
    }
    expect((await t.app.inject('/v1/workspaces/docs/documents')).json().total).toBe(1); // nothing half-written
  });
});

describe('folder ingestion', () => {
  it('runs as a job with progress, streams events, and re-ingesting skips unchanged files', async () => {
    const started = await post('/v1/workspaces/lib/ingest', { path: '.' });
    expect(started.statusCode).toBe(202);
    const job = await waitForJob(t.app, started.json().jobId);
    expect(job).toMatchObject({ state: 'succeeded', progress: { filesTotal: 5, filesDone: 5, documents: 3 } });
    const errors = (job.progress as { errors: Array<{ file: string; error: string }> }).errors;
    expect(errors.map((e) => e.file).sort()).toEqual(['cooking/broken.json', 'cooking/empty.txt']);
    expect(errors.find((e) => e.file === 'cooking/broken.json')!.error).toMatch(/not valid JSON/);
    expect(errors.find((e) => e.file === 'cooking/empty.txt')!.error).toMatch(/no text/);
    const docs = (await t.app.inject('/v1/workspaces/lib/documents')).json().items.map((d: { id: string }) => d.id);
    expect(docs.sort()).toEqual(['carol/notes.md', 'carol/stave-one.txt', 'cooking/bread.html']);

    const again = await post('/v1/workspaces/lib/ingest', { path: 'carol', glob: '**/*.txt' });
    const events = await t.app.inject(`/v1/jobs/${again.json().jobId}/events`);
    expect(events.headers['content-type']).toMatch(/text\/event-stream/);
    expect(events.body).toMatch(/event: done\ndata: .*"state":"succeeded"/);
    expect((await waitForJob(t.app, again.json().jobId)).progress).toMatchObject({ filesTotal: 1, unchanged: 1, documents: 0 });
  });

  it('refuses paths that lead outside the corpora root', async () => {
    const outside = tempDir('outside');
    writeFileSync(join(outside, 'secret.txt'), 'top secret');
    symlinkSync(outside, join(t.corporaDir, 'escape'));
    for (const path of ['..', '../..', 'carol/../../x', '/etc', 'escape', 'missing-folder']) {
      const res = await post('/v1/workspaces/lib/ingest', { path });
      expect(res.statusCode, path).toBe(400);
      expect(res.json().message, path).toMatch(/corpora root/);
    }
    symlinkSync(join(outside, 'secret.txt'), join(t.corporaDir, 'carol', 'linked.txt'));
    const job = await waitForJob(t.app, (await post('/v1/workspaces/lib2/ingest', { path: 'carol', glob: '**/*' })).json().jobId);
    expect((job.progress as { errors: unknown[] }).errors).toEqual([]); // the link is not followed by the walk
    expect((await t.app.inject('/v1/workspaces/lib2/documents')).json().items.map((d: { id: string }) => d.id)).not.toContain('carol/linked.txt');
  });
});

describe('search and query', () => {
  beforeAll(async () => {
    await post('/v1/workspaces/qa/documents', { id: 'carol', title: 'A Christmas Carol', text: CAROL });
    await post('/v1/workspaces/qa/documents', { id: 'bread', title: 'Bread', text: COOKING });
  });

  it('retrieves with dense, lexical and hybrid retrievers, and keeps workspaces apart', async () => {
    for (const retriever of ['dense', 'lexical', 'hybrid']) {
      const res = (await post('/v1/workspaces/qa/search', { query: 'How long do I knead the dough?', k: 2, retriever })).json();
      expect(res.hits[0].docId, retriever).toBe('bread');
    }
    const other = (await post('/v1/workspaces/docs/search', { query: 'knead the dough', k: 5, retriever: 'hybrid' })).json();
    expect(other.hits.every((h: { docId: string }) => h.docId !== 'bread')).toBe(true);
  });

  it('answers with citations that point at exact spans of the cited documents', async () => {
    const res = await post('/query', { question: "Who was Scrooge's partner?", workspace: 'qa', k: 3 });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({ mode: 'rag', noAnswer: false, retrieval: { retriever: 'hybrid', k: 3 } });
    expect(body.answer).toMatch(/partners/);
    expect(body.answer).toMatch(/\[1\]/);
    expect(body.timings.retrieveMs).toBeGreaterThan(0);
    for (const c of body.citations) {
      const doc = (await t.app.inject(`/v1/workspaces/qa/documents/${c.docId}`)).json();
      expect(body.answer.replace(/\s+/g, ' ')).toContain(doc.text.slice(c.start, c.end).replace(/\s+/g, ' '));
    }
  });

  it('streams the answer as server-sent events', async () => {
    const res = await post('/query', { question: 'How long should the dough rise?', workspace: 'qa', stream: true });
    expect(res.headers['content-type']).toMatch(/text\/event-stream/);
    const events = [...res.body.matchAll(/event: (\w+)\ndata: (.*)\n\n/g)].map((m) => [m[1], JSON.parse(m[2]!)]);
    expect(events.filter(([e]) => e === 'delta').length).toBeGreaterThan(0);
    const [, result] = events.find(([e]) => e === 'result')!;
    expect(result.citations[0].docId).toBe('bread');
  });

  it('refuses bad questions with a 4xx that says what is accepted', async () => {
    const cases: Array<[unknown, number, RegExp]> = [
      [{ question: '' }, 400, /question: must not be empty/],
      [{ question: '   ' }, 400, /question: must not be empty/],
      [{ question: 'x'.repeat(3000) }, 400, /at most 2000 characters/],
      [{ question: 'hi', k: 0 }, 400, /k: must be at least 1/],
      [{ question: 'hi', k: 51 }, 400, /k: must be at most 50/],
      [{ question: 'hi', mode: 'magic' }, 400, /unknown mode "magic"; available modes: rag/],
      [{ question: 'hi', retriever: 'psychic' }, 400, /retriever/],
      [{ question: 'hi', workspace: 'nope' }, 404, /workspace "nope" does not exist/],
      [{ question: 42 }, 400, /question/],
    ];
    for (const [body, status, message] of cases) {
      const res = await post('/query', body);
      expect(res.statusCode, JSON.stringify(body).slice(0, 60)).toBe(status);
      expect(res.json().message).toMatch(message);
    }
  });

  it('counts requests, ingests and index sizes in /metrics', async () => {
    const text = (await t.app.inject('/metrics')).body;
    expect(text).toMatch(/http_request_duration_seconds_count\{method="POST",route="\/query",status="200"\} \d+/);
    expect(text).toMatch(/ingest_documents_total\{workspace="qa",status="created"\} 2/);
    expect(text).toMatch(/index_vectors\{workspace="qa"\} \d+/);
  });
});
