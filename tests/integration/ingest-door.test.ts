/**
 * The ingestion door through the whole service: text with lone surrogates is stored so that every
 * chunk's offsets still slice it, and metadata nested too deep is a 400 on every way in (JSON
 * body, upload, folder job).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testApp, waitForJob } from '../support/app.js';
import type { TestApp } from '../support/app.js';
import { multipartUpload } from '../support/multipart.js';

/** JSON text (JSON.stringify itself overflows on it): metadata of `levels` objects, the metadata object included. */
const deepMetadata = (levels: number) => `{"tree":${'{"a":'.repeat(levels - 1)}1${'}'.repeat(levels - 1)}}`;
const deepJson = (levels: number) => `{"text":"Deep metadata here.","tree":${'{"a":'.repeat(levels - 1)}1${'}'.repeat(levels - 1)}}`;

describe('ingestion door (HTTP)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await testApp({}, {}, { 'records/deep.jsonl': `${deepJson(5_000)}\n{"text":"A fine record.","id":"fine"}\n` });
  });
  afterAll(async () => t.app.close());

  it('stores text with lone surrogates so that every chunk slices the stored text, and the document can be read back', async () => {
    // Lone surrogates at the start, the end, next to pairs, and at sentence (chunk) boundaries.
    const sentences = Array.from({ length: 60 }, (_, i) => {
      const lone = ['\uD800', '\uDC00', '\uDBFF', '\uDFFF'][i % 4]!;
      return i % 3 === 0 ? `${lone}Sentence ${i} starts with a lone surrogate and goes on.` : i % 3 === 1 ? `Sentence ${i} ends with one \uD83D\uDE00 pair and a lone one.${lone}` : `Sentence ${i} has one${lone}inside a word.`;
    });
    const text = `\uDC00${sentences.join(' ')}\uD800`;
    const res = await t.app.inject({ method: 'POST', url: '/v1/workspaces/door/documents', payload: { id: 'lone', title: 'Title \uD800', text, metadata: { 'key\uDC00': 'value\uD800' } } });
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json().chunks).toBeGreaterThan(3);

    const got = await t.app.inject({ method: 'GET', url: '/v1/workspaces/door/documents/lone' });
    expect(got.statusCode).toBe(200);
    const body = got.json() as { document: { title: string; metadata: Record<string, unknown> }; text: string; chunks: Array<{ text: string; start: number; end: number }> };
    expect(body.chunks.length).toBeGreaterThan(3);
    for (const chunk of body.chunks) expect(body.text.slice(chunk.start, chunk.end)).toBe(chunk.text);
    // Node's own UTF-8 round trip is the independent reference for what a lone surrogate becomes.
    expect(body.text).toBe(Buffer.from(text, 'utf8').toString('utf8'));
    expect(body.text.length).toBe(text.length);
    expect(body.document.title).toBe('Title \uFFFD');
    expect(body.document.metadata).toEqual({ 'key\uFFFD': 'value\uFFFD' });
    // chunks start and end next to lone surrogates (now U+FFFD) at sentence boundaries
    expect(body.chunks.some((c) => c.text.startsWith('\uFFFD') || c.text.endsWith('\uFFFD'))).toBe(true);

    // the same text again is the same content
    const again = await t.app.inject({ method: 'POST', url: '/v1/workspaces/door/documents', payload: { id: 'lone', title: 'Title \uD800', text, metadata: { 'key\uDC00': 'value\uD800' } } });
    expect(again.json().status).toBe('unchanged');
  });

  it('refuses an id with a lone surrogate with a 400', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/v1/workspaces/door/documents', payload: { id: 'a\uD800b', text: 'Some text.' } });
    expect(res.statusCode).toBe(400);
    expect(res.json().message).toMatch(/document id must be well-formed Unicode/);
  });

  it('refuses metadata nested 5,000 levels with a 400 naming the limit: JSON body, upload, folder job', async () => {
    const json = { 'content-type': 'application/json' };
    const body = await t.app.inject({ method: 'POST', url: '/v1/workspaces/door/documents', headers: json, payload: `{"text":"Deep metadata here.","metadata":${deepMetadata(5_000)}}` });
    expect(body.statusCode, body.body).toBe(400);
    expect(body.json().message).toMatch(/deeper than 32 levels/);

    const upload = multipartUpload({}, { name: 'deep.json', content: Buffer.from(deepJson(5_000)) });
    const uploaded = await t.app.inject({ method: 'POST', url: '/v1/workspaces/door/documents', ...upload });
    expect(uploaded.statusCode, uploaded.body).toBe(400);
    expect(uploaded.json().message).toMatch(/deeper than 32 levels/);

    const started = await t.app.inject({ method: 'POST', url: '/v1/workspaces/door/ingest', payload: { path: 'records' } });
    const job = await waitForJob(t.app, started.json().jobId);
    expect(job.state).toBe('succeeded');
    expect(job.progress).toMatchObject({ documents: 1, errors: [{ file: 'records/deep.jsonl', error: expect.stringMatching(/deeper than 32 levels/) }] });

    const atLimit = await t.app.inject({ method: 'POST', url: '/v1/workspaces/door/documents', headers: json, payload: `{"text":"Metadata at the limit.","metadata":${deepMetadata(32)}}` });
    expect(atLimit.statusCode, atLimit.body).toBe(201);
  });
});
