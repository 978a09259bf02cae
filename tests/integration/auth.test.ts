/**
 * API keys and tenant isolation, on every route the OpenAPI document lists: a key for one
 * workspace can never read, search, query, list, ingest into or delete another's data.
 * The route table below must cover every documented route, so a new route fails this test
 * until its isolation is stated here.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authEnabled, loadConfig } from '../../src/config/config.js';
import { testApp, waitForJob } from '../support/app.js';
import type { TestApp } from '../support/app.js';

const ADMIN = 'admin-key-for-tests-0123456789';
let t: TestApp;
let alphaAdmin: string;
let alphaRead: string;
let betaJob: string;
let betaDoc: string;

type Method = 'GET' | 'POST' | 'DELETE' | 'PUT' | 'PATCH';
interface Call {
  method: Method;
  url: string;
  payload?: Record<string, unknown>;
}

function call(key: string | undefined, { method, url, payload }: Call) {
  return t.app.inject({ method, url, payload, headers: key ? { authorization: `Bearer ${key}` } : {} });
}

/**
 * For each documented route: a request aimed at workspace "beta" (or at nothing tenant-owned),
 * and what a key that administers only "alpha" must get.
 */
function routeTable(): Record<string, { call: Call; alphaKeyGets: 'forbidden' | 'allowed-without-beta' }> {
  const forbidden = (method: Method, url: string, payload?: Record<string, unknown>) => ({ call: { method, url, payload }, alphaKeyGets: 'forbidden' as const });
  const allowed = (method: Method, url: string, payload?: Record<string, unknown>) => ({ call: { method, url, payload }, alphaKeyGets: 'allowed-without-beta' as const });
  return {
    'GET /health': allowed('GET', '/health'),
    'GET /ready': allowed('GET', '/ready'),
    'GET /metrics': forbidden('GET', '/metrics'),
    'POST /query': forbidden('POST', '/query', { question: 'Who was Marley?', workspace: 'beta' }),
    'POST /v1/workspaces': forbidden('POST', '/v1/workspaces', { name: 'beta' }),
    'GET /v1/workspaces': allowed('GET', '/v1/workspaces'),
    'GET /v1/workspaces/{ws}': forbidden('GET', '/v1/workspaces/beta'),
    'POST /v1/workspaces/{ws}/search': forbidden('POST', '/v1/workspaces/beta/search', { query: 'Marley' }),
    'POST /v1/workspaces/{ws}/documents': forbidden('POST', '/v1/workspaces/beta/documents', { text: 'planted by alpha' }),
    'GET /v1/workspaces/{ws}/documents': forbidden('GET', '/v1/workspaces/beta/documents'),
    'GET /v1/workspaces/{ws}/documents/{id}': forbidden('GET', `/v1/workspaces/beta/documents/${betaDoc}`),
    'DELETE /v1/workspaces/{ws}/documents/{id}': forbidden('DELETE', `/v1/workspaces/beta/documents/${betaDoc}`),
    'POST /v1/workspaces/{ws}/ingest': forbidden('POST', '/v1/workspaces/beta/ingest', { path: '.' }),
    'GET /v1/jobs/{id}': forbidden('GET', `/v1/jobs/${betaJob}`),
    'DELETE /v1/jobs/{id}': forbidden('DELETE', `/v1/jobs/${betaJob}`),
    'GET /v1/jobs/{id}/events': forbidden('GET', `/v1/jobs/${betaJob}/events`),
    'POST /v1/workspaces/{ws}/graph': forbidden('POST', '/v1/workspaces/beta/graph'),
    'GET /v1/workspaces/{ws}/graph': forbidden('GET', '/v1/workspaces/beta/graph'),
    'GET /v1/workspaces/{ws}/graph/entities': forbidden('GET', '/v1/workspaces/beta/graph/entities?q=marley'),
    'GET /v1/workspaces/{ws}/graph/entities/{id}': forbidden('GET', '/v1/workspaces/beta/graph/entities/marley'),
    'GET /v1/workspaces/{ws}/graph/communities': forbidden('GET', '/v1/workspaces/beta/graph/communities'),
    'GET /v1/workspaces/{ws}/graph/communities/{id}/svg': forbidden('GET', '/v1/workspaces/beta/graph/communities/c0/svg'),
    'GET /v1/workspaces/{ws}/graph/export': forbidden('GET', '/v1/workspaces/beta/graph/export?format=json'),
    'POST /v1/keys': forbidden('POST', '/v1/keys', { name: 'sneaky', scopes: { beta: 'read' } }),
    'GET /v1/keys': allowed('GET', '/v1/keys'),
    'DELETE /v1/keys/{id}': allowed('DELETE', '/v1/keys/no-such-key'),
    // Vision endpoints hold no tenant data: any valid key may use them.
    'POST /v1/vision/ocr': allowed('POST', '/v1/vision/ocr', { image: '' }),
    'POST /v1/vision/detect': allowed('POST', '/v1/vision/detect', { image: '' }),
    'POST /v1/vision/segment': allowed('POST', '/v1/vision/segment', { image: '' }),
    'POST /v1/vision/classify': allowed('POST', '/v1/vision/classify', { image: '' }),
    'POST /v1/vision/upscale': allowed('POST', '/v1/vision/upscale', { image: '' }),
    'GET /v1/models': allowed('GET', '/v1/models'),
    'POST /v1/audio/vad': allowed('POST', '/v1/audio/vad'),
    // multipart only; its workspace field is checked by the route (tests/integration/audio-api.test.ts)
    'POST /v1/audio/transcribe': allowed('POST', '/v1/audio/transcribe', { workspace: 'beta' }),
    'GET /v1/sequence/models': allowed('GET', '/v1/sequence/models'),
    'POST /v1/sequence/generate': allowed('POST', '/v1/sequence/generate', { model: 'char-gru', prompt: 'x', maxTokens: 1, seed: 1 }),
  };
}

beforeAll(async () => {
  t = await testApp({ AUTH: 'on', ADMIN_API_KEY: ADMIN, RATE_LIMIT_PER_MINUTE: '100000', RATE_LIMIT_BURST: '100000' }, {}, { 'beta-notes/marley.txt': 'Marley was dead: to begin with. Scrooge was his partner.' });
  const created = await call(ADMIN, { method: 'POST', url: '/v1/workspaces/beta/documents', payload: { text: 'Jacob Marley was the partner of Ebenezer Scrooge. The secret of beta is 42.' } });
  betaDoc = created.json().id;
  await call(ADMIN, { method: 'POST', url: '/v1/workspaces/alpha/documents', payload: { text: 'Alpha keeps notes about bread and ovens.' } });
  betaJob = (await call(ADMIN, { method: 'POST', url: '/v1/workspaces/beta/ingest', payload: { path: 'beta-notes' } })).json().jobId;
  await waitForJob(t.app, betaJob, 60_000, { authorization: `Bearer ${ADMIN}` });
  alphaAdmin = (await call(ADMIN, { method: 'POST', url: '/v1/keys', payload: { name: 'alpha admin', scopes: { alpha: 'admin' } } })).json().key;
  alphaRead = (await call(ADMIN, { method: 'POST', url: '/v1/keys', payload: { name: 'alpha reader', scopes: { alpha: 'read' } } })).json().key;
});
afterAll(() => t.app.close());

describe('authentication', () => {
  it('is on by default when listening beyond loopback, off on loopback', () => {
    expect(authEnabled(loadConfig({ HOST: '0.0.0.0' }))).toBe(true);
    expect(authEnabled(loadConfig({ HOST: '::' }))).toBe(true);
    expect(authEnabled(loadConfig({ HOST: '127.0.0.1' }))).toBe(false);
    expect(authEnabled(loadConfig({ HOST: 'localhost' }))).toBe(false);
    expect(authEnabled(loadConfig({ HOST: '127.0.0.1', AUTH: 'on' }))).toBe(true);
    expect(authEnabled(loadConfig({ HOST: '0.0.0.0', AUTH: 'off' }))).toBe(false);
  });

  it('requires a key on every route except /health, and names how to send one', async () => {
    for (const [route, { call: request }] of Object.entries(routeTable())) {
      const res = await call(undefined, request);
      if (route === 'GET /health') expect(res.statusCode, route).toBe(200);
      else {
        expect(res.statusCode, route).toBe(401);
        expect(res.json().message, route).toMatch(/Authorization: Bearer/);
        expect(res.headers['www-authenticate']).toMatch(/Bearer/);
      }
    }
    expect((await call('rsk_not-a-real-key', { method: 'GET', url: '/v1/workspaces' })).statusCode).toBe(401);
  });

  it('stores keys only as hashes, and a revoked key stops working at once', async () => {
    const made = (await call(ADMIN, { method: 'POST', url: '/v1/keys', payload: { name: 'temp', scopes: { alpha: 'read' } } })).json();
    expect((await call(made.key, { method: 'GET', url: '/v1/workspaces/alpha' })).statusCode).toBe(200);
    const listed = (await call(ADMIN, { method: 'GET', url: '/v1/keys' })).body;
    expect(listed).toContain(made.id);
    expect(listed).not.toContain(made.key);
    const { readFileSync } = await import('node:fs');
    const stored = readFileSync(`${t.dataDir}/auth.sqlite`).toString('latin1') + readFileSync(`${t.dataDir}/auth.sqlite-wal`).toString('latin1');
    expect(stored).not.toContain(made.key);
    expect((await call(ADMIN, { method: 'DELETE', url: `/v1/keys/${made.id}` })).json().revokedAt).toBeTruthy();
    expect((await call(made.key, { method: 'GET', url: '/v1/workspaces/alpha' })).statusCode).toBe(401);
  });
});

describe('tenant isolation', () => {
  it('the route table covers every documented route', async () => {
    const paths = (await call(ADMIN, { method: 'GET', url: '/docs/json' })).json().paths as Record<string, Record<string, unknown>>;
    const documented = Object.entries(paths).flatMap(([path, methods]) => Object.keys(methods).map((m) => `${m.toUpperCase()} ${path}`));
    expect(documented.filter((route) => !(route in routeTable()))).toEqual([]);
  });

  it("a key for one workspace cannot reach another's data on any route", async () => {
    for (const [route, { call: request, alphaKeyGets }] of Object.entries(routeTable())) {
      const res = await call(alphaAdmin, request);
      if (alphaKeyGets === 'forbidden') {
        expect(res.statusCode, route).toBe(403);
        expect(res.json().message, route).toMatch(/no (read|write|admin) access to workspace "beta"|admin/);
      } else {
        expect(res.statusCode, route).toBeLessThan(500);
        expect(res.body, route).not.toMatch(/beta|secret of|Marley/);
      }
    }
    // beta is untouched: its document is still there and nothing was planted.
    const docs = (await call(ADMIN, { method: 'GET', url: '/v1/workspaces/beta/documents' })).json();
    expect(docs.items.map((d: { id: string }) => d.id)).toContain(betaDoc);
    expect(JSON.stringify(docs)).not.toContain('planted');
  });

  it("alpha's own data is served, and only within the key's scope", async () => {
    expect((await call(alphaRead, { method: 'POST', url: '/query', payload: { question: 'What does alpha keep notes about?', workspace: 'alpha' } })).statusCode).toBe(200);
    expect((await call(alphaRead, { method: 'POST', url: '/v1/workspaces/alpha/search', payload: { query: 'bread' } })).statusCode).toBe(200);
    const write = await call(alphaRead, { method: 'POST', url: '/v1/workspaces/alpha/documents', payload: { text: 'a reader tries to write' } });
    expect(write.statusCode).toBe(403);
    expect(write.json().message).toMatch(/no write access to workspace "alpha"/);
    // A workspace admin hands out keys for its own workspace only.
    expect((await call(alphaAdmin, { method: 'POST', url: '/v1/keys', payload: { name: 'alpha writer', scopes: { alpha: 'write' } } })).statusCode).toBe(201);
    expect((await call(alphaAdmin, { method: 'POST', url: '/v1/keys', payload: { name: 'everything', scopes: { '*': 'read' } } })).statusCode).toBe(403);
    expect((await call(alphaRead, { method: 'POST', url: '/v1/keys', payload: { name: 'escalate', scopes: { alpha: 'admin' } } })).statusCode).toBe(403);
    const listed = (await call(alphaRead, { method: 'GET', url: '/v1/workspaces' })).json().workspaces.map((w: { name: string }) => w.name);
    expect(listed).toEqual(['alpha']);
  });

  it('rejects malformed key grants with a 400 that says what is accepted', async () => {
    const res = await call(ADMIN, { method: 'POST', url: '/v1/keys', payload: { name: 'bad', scopes: { '../beta': 'root' } } });
    expect(res.statusCode).toBe(400);
    expect(res.json().message).toMatch(/read|write|admin/);
  });
});
