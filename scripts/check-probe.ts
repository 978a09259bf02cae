/**
 * Hostile- and careless-client probe of a listening service (a child process, API keys on),
 * over real sockets. Replays every case of the hardening issue:
 *   - malformed multipart on every upload route (from the OpenAPI document), malformed JSON;
 *   - sizes around every limit: uploaded documents, images and audio, JSON bodies;
 *   - hostile folder-ingest globs and a symbolic link out of the ingest folder;
 *   - deep and large metadata, deeply nested JSON bodies, deeply nested HTML;
 *   - lone surrogates in document text, title and metadata;
 *   - slow clients (headers a byte at a time, slow bodies, idle sockets) and more connections
 *     from one address than the cap.
 * Passes when there is no 5xx, no upload over its limit stored (or one under it refused or cut),
 * no file outside the ingest folder listed or ingested, every stored chunk the slice of its
 * document's text its offsets name, and every slow socket closed by the server's timeouts.
 *   npm run check:probe
 * Writes bench/results/probe.json.
 */
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Socket } from 'node:net';
import { machine, table, writeResult } from './lib/bench.js';
import { closedWithin, exchange, openSocket } from './lib/raw-http.js';
import { startServer } from './lib/server-process.js';

const KEY = 'probe-admin-key-0123456789abcdef';
const LIMITS = { file: 4 * 1024 * 1024, body: 512 * 1024, image: 128 * 1024, audio: 192 * 1024 };
const TIMEOUTS = { headers: 2000, request: 4000, keepAlive: 2000 };
const CAP = 32;

const corpora = mkdtempSync(join(tmpdir(), 'check-probe-corpora-'));
mkdirSync(join(corpora, 'sub', 'inner'), { recursive: true });
mkdirSync(join(corpora, 'outside'), { recursive: true });
writeFileSync(join(corpora, 'sub', 'a.txt'), 'Inside the folder: Marley was dead, to begin with.');
writeFileSync(join(corpora, 'sub', 'inner', 'b.md'), '# Inside\n\nScrooge signed the register.');
writeFileSync(join(corpora, 'outside', 'secret.txt'), 'OUTSIDE-SECRET: this file is not in the ingest folder.');
writeFileSync(join(corpora, 'top.txt'), 'OUTSIDE-SECRET: the corpora root is not the ingest folder either.');
symlinkSync(join(corpora, 'outside', 'secret.txt'), join(corpora, 'sub', 'link.txt'));
const beyondRoot = mkdtempSync(join(tmpdir(), 'check-probe-beyond-'));
writeFileSync(join(beyondRoot, 'secret.txt'), 'OUTSIDE-SECRET: beyond the corpora root.');
mkdirSync(join(beyondRoot, 'inner'));
symlinkSync(beyondRoot, join(corpora, 'sub', 'escape'));

const server = await startServer({
  DATA_DIR: mkdtempSync(join(tmpdir(), 'check-probe-data-')),
  CORPORA_DIR: corpora,
  SAMPLE_INGEST: 'false',
  GRAPH_AUTO_UPDATE_MS: '0',
  AUTH: 'on',
  ADMIN_API_KEY: KEY,
  RATE_LIMIT_PER_MINUTE: '0',
  MAX_FILE_BYTES: String(LIMITS.file),
  MAX_BODY_BYTES: String(LIMITS.body),
  MAX_IMAGE_BYTES: String(LIMITS.image),
  MAX_AUDIO_BYTES: String(LIMITS.audio),
  HEADERS_TIMEOUT_MS: String(TIMEOUTS.headers),
  REQUEST_TIMEOUT_MS: String(TIMEOUTS.request),
  KEEP_ALIVE_TIMEOUT_MS: String(TIMEOUTS.keepAlive),
  MAX_CONNECTIONS_PER_CLIENT: String(CAP),
});
const { url } = server;
const port = Number(new URL(url).port);
const AUTH = { authorization: `Bearer ${KEY}` };

interface Finding {
  section: string;
  what: string;
}
const findings: Finding[] = [];
const counts = new Map<string, { requests: number; failures: number }>();
let section = '';
function count(failed: boolean, what: string): void {
  const c = counts.get(section) ?? { requests: 0, failures: 0 };
  c.requests++;
  if (failed) {
    c.failures++;
    findings.push({ section, what });
  }
  counts.set(section, c);
}

async function send(path: string, init: RequestInit = {}): Promise<{ status: number; text: string; json: () => Record<string, any> }> {
  const res = await fetch(`${url}${path}`, { ...init, headers: { ...AUTH, ...(init.headers as Record<string, string> | undefined) } });
  const text = await res.text();
  count(res.status >= 500, `${init.method ?? 'GET'} ${path}: ${res.status} ${text.slice(0, 200)}`);
  return { status: res.status, text, json: () => JSON.parse(text) as Record<string, any> };
}
const json = (path: string, body: unknown) => send(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body) });

async function waitForJob(id: string): Promise<Record<string, any>> {
  for (;;) {
    const job = (await send(`/v1/jobs/${id}`)).json();
    if (['succeeded', 'failed', 'cancelled'].includes(job.state)) return job;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Every stored chunk of `ws`'s documents is the slice of its document's text its offsets name. */
async function spansSlice(ws: string): Promise<void> {
  const list = (await send(`/v1/workspaces/${ws}/documents?limit=500`)).json();
  for (const d of (list.items ?? []) as Array<{ id: string }>) {
    const doc = (await send(`/v1/workspaces/${ws}/documents/${encodeURIComponent(d.id)}`)).json();
    for (const c of doc.chunks as Array<{ text: string; start: number; end: number }>) {
      count(doc.text.slice(c.start, c.end) !== c.text, `${ws}/${d.id}: chunk [${c.start}, ${c.end}) is not the slice of the stored text`);
    }
  }
}

// 1. Malformed multipart on every upload route, and malformed JSON on every body-taking route.
section = 'malformed bodies';
const paths = (await send('/docs/json')).json().paths as Record<string, Record<string, { description?: string }>>;
const bodyRoutes = Object.entries(paths).flatMap(([path, methods]) =>
  Object.entries(methods)
    .filter(([method]) => method === 'post' || method === 'put' || method === 'patch')
    .map(([method, op]) => ({ method: method.toUpperCase(), path: path.replace('{ws}', 'probe').replace(/\{[^}]+\}/g, 'nope'), upload: (op.description ?? '').includes('multipart/form-data') })),
);
const B = 'probe-boundary';
const part = (boundary: string, content = 'Marley was dead.') => `--${boundary}\r\ncontent-disposition: form-data; name="file"; filename="p.txt"\r\ncontent-type: text/plain\r\n\r\n${content}`;
const MULTIPART: Array<[string, string]> = [
  ['multipart/form-data', `${part(B)}\r\n--${B}--\r\n`],
  ['multipart/form-data; boundary=', `${part(B)}\r\n--${B}--\r\n`],
  ['multipart/form-data; boundary=""', `${part(B)}\r\n--${B}--\r\n`],
  ['multipart/form-data; boundary="abc', `${part('abc')}\r\n--abc--\r\n`],
  [`multipart/form-data; boundary=${'b'.repeat(300)}`, `${part('b'.repeat(300))}\r\n--${'b'.repeat(300)}--\r\n`],
  [`multipart/form-data; boundary=${B}`, part(B).slice(0, -5)],
  [`multipart/form-data; boundary=${B}`, part(B)],
  [`multipart/form-data; boundary=${B}`, `${part(B)}\r\n--${B}`],
  [`multipart/form-data; boundary=${B}`, 'not multipart at all'],
  [`multipart/form-data; boundary=${B}`, ''],
  [`multipart/form-data; boundary=${B}`, `--${B}\r\ncontent-disposition: form-data; name="file"\r\n\r\nno filename\r\n--${B}--\r\n`],
  [`multipart/form-data; boundary=${B}`, `--${B}\r\ncontent-disposition: form-data; name="__proto__"\r\n\r\nx\r\n${part(B)}\r\n--${B}--\r\n`],
  [`multipart/form-data; boundary=${B}`, `${part(B)}\r\n${part(B)}\r\n--${B}--\r\n`],
  [`multipart/form-data; boundary=${B}`, `--${B}\r\n${'x-header: y\r\n'.repeat(2000)}\r\n\r\n--${B}--\r\n`],
];
const JSON_BODIES = ['null', '[]', '"text"', '42', '{', '{"a":', '{"text": 1}', '\u0000', '{"__proto__": {"x": 1}}', '{"constructor": {"prototype": {}}}'];
for (const route of bodyRoutes) {
  if (route.upload) for (const [type, body] of MULTIPART) await send(route.path, { method: route.method, headers: { 'content-type': type }, body });
  for (const body of JSON_BODIES) {
    await send(route.path, { method: route.method, headers: { 'content-type': 'application/json' }, body });
    await send(route.path, { method: route.method, headers: { 'content-type': 'text/plain' }, body });
  }
  await send(route.path, { method: route.method, headers: { 'content-type': 'application/json' }, body: '['.repeat(100_000) + ']'.repeat(100_000) });
  await send(route.path, { method: route.method, headers: { 'content-type': 'application/json' }, body: '{"a":'.repeat(50_000) + '1' + '}'.repeat(50_000) });
}

// 2. Sizes around every limit: accepted exactly up to the limit, and an accepted document is whole.
section = 'sizes around limits';
const deltas = [-4096, -1, 0, 1, 2, 1000, 65_536, 512 * 1024];
let truncatedKept = 0;
let refusedUnderLimit = 0;
for (const delta of deltas) {
  const size = LIMITS.file + delta;
  const id = `size-${delta}`;
  // Mostly spaces: a file of the limit's size that embeds as a chunk or two.
  const content = `Marley was dead. ${' '.repeat(size - 26)} The end.`;
  const form = new FormData();
  form.append('id', id);
  form.append('file', new Blob([content]), `${id}.txt`);
  const res = await send('/v1/workspaces/sizes/documents', { method: 'POST', body: form });
  const stored = await fetch(`${url}/v1/workspaces/sizes/documents/${id}`, { headers: AUTH });
  const storedText = stored.status === 200 ? ((await stored.json()) as { text: string }).text : undefined;
  if (delta > 0 && (res.status < 300 || storedText !== undefined)) truncatedKept++;
  if (delta <= 0 && (res.status >= 300 || storedText?.length !== content.trim().length)) refusedUnderLimit++;
  count(delta > 0 ? res.status !== 413 || storedText !== undefined : res.status >= 300 || storedText?.length !== content.trim().length, `document of ${size} bytes (limit ${LIMITS.file}): ${res.status}, stored ${storedText?.length ?? 'nothing'}`);
}
for (const [route, limit] of [
  ['/v1/vision/ocr', LIMITS.image],
  ['/v1/vision/classify', LIMITS.image],
  ['/v1/audio/vad', LIMITS.audio],
] as const) {
  for (const delta of [-1, 0, 1, 4096]) {
    const form = new FormData();
    form.append('file', new Blob([new Uint8Array(limit + delta).fill(7)]), 'probe.bin');
    const res = await send(route, { method: 'POST', body: form });
    count(delta > 0 ? res.status !== 413 : res.status === 413, `${route} with ${limit + delta} bytes (limit ${limit}): ${res.status}`);
  }
}
for (const delta of [-1, 0, 1, 1024]) {
  const envelope = JSON.stringify({ id: `json-${delta}`, text: '' });
  const text = 'a'.repeat(LIMITS.body + delta - envelope.length);
  const res = await json('/v1/workspaces/sizes/documents', { id: `json-${delta}`, text });
  const stored = await fetch(`${url}/v1/workspaces/sizes/documents/json-${delta}`, { headers: AUTH });
  if (delta > 0 && stored.status === 200) truncatedKept++;
  count(delta > 0 ? res.status !== 413 || stored.status === 200 : res.status >= 300, `JSON body of ${LIMITS.body + delta} bytes (limit ${LIMITS.body}): ${res.status}`);
}

// 3. Hostile globs: nothing outside the ingest folder is listed or ingested.
section = 'hostile globs';
const GLOBS = ['/etc/**', '/proc/*/cmdline', '/sys/**', '../**', '**/../**', '{..,x}/**', 'sub/../../**', '..\\**', '\\.\\./**', '..*/**', '@(..)/**', '{/etc,x}/**', 'C:\\**', '**', '**/*', '**/*.txt'];
let outsideListed = 0;
let outsideIngested = 0;
for (const glob of GLOBS) {
  const res = await json('/v1/workspaces/globs/ingest', { path: 'sub', glob });
  if (res.status !== 202) {
    count(res.status !== 400, `glob ${glob}: ${res.status}`);
    continue;
  }
  const job = await waitForJob(res.json().jobId);
  const errors = JSON.stringify(job.progress?.errors ?? []);
  const leaked = /etc\/|proc\/|sys\/|secret|outside\/|top\.txt|\/tmp\//.test(errors);
  if (leaked) outsideListed++;
  count(leaked, `glob ${glob}: the job's errors name paths outside the folder: ${errors.slice(0, 300)}`);
}
const ingested = (await send('/v1/workspaces/globs/documents?limit=500')).json();
for (const d of (ingested.items ?? []) as Array<{ id: string }>) {
  const doc = (await send(`/v1/workspaces/globs/documents/${encodeURIComponent(d.id)}`)).json();
  const outside = String(doc.text).includes('OUTSIDE-SECRET');
  if (outside) outsideIngested++;
  count(outside, `globs: ${d.id} holds text from outside the ingest folder`);
}
for (const path of ['/etc', '..', 'sub/../..', 'sub/escape', 'sub/escape/inner']) {
  const res = await json('/v1/workspaces/globs/ingest', { path });
  count(res.status !== 400, `ingest path ${path}: ${res.status}`);
}

// 4. Deep and large metadata, deep HTML, lone surrogates.
section = 'deep input and text';
// Built as text: JSON.stringify itself overflows on 5,000 levels.
const deepMetadata = `{"text":"Deep metadata.","metadata":${'{"d":'.repeat(5000)}"leaf"${'}'.repeat(5000)}}`;
count((await json('/v1/workspaces/text/documents', deepMetadata)).status !== 400, 'metadata 5,000 levels deep is not a 400');
count((await json('/v1/workspaces/text/documents', { text: 'Wide metadata.', metadata: { blob: 'x'.repeat(400_000) } })).status >= 500, 'large metadata');
const depth = 200_000;
const html = `<html><body>${'<div>'.repeat(depth)}Deep text survives.${'</div>'.repeat(depth)}</body></html>`;
const htmlForm = new FormData();
htmlForm.append('file', new Blob([html]), 'deep.html');
const watch = healthWatch();
const htmlRes = await send('/v1/workspaces/text/documents', { method: 'POST', body: htmlForm });
const htmlStall = await watch.stop();
count(htmlRes.status !== 201, `HTML ${depth} levels deep: ${htmlRes.status}`);
count(htmlStall > 500, `/health waited ${htmlStall.toFixed(0)} ms while a ${depth}-level HTML file was parsed`);
const SURROGATE_TEXTS = ['\ud800', 'a\udc00b', 'Marley was dead.\ud83d Scrooge knew.\udfff', `${'word '.repeat(300)}\ud800${'more '.repeat(300)}`, '\udbff\udfff\ud800'.repeat(50) + ' end.'];
for (const [i, text] of SURROGATE_TEXTS.entries()) {
  await json('/v1/workspaces/text/documents', { id: `surrogates-${i}`, title: `t\ud800${i}`, text: `Lone surrogates follow. ${text} The end.`, metadata: { k: '\udc00' } });
}
await json('/v1/workspaces/text/documents', { id: 'bad-\ud800-id', text: 'An id with a lone surrogate.' });
await spansSlice('text');
await spansSlice('sizes');

// 5. Slow clients and too many connections.
section = 'slow clients';
const slowHeaders: Socket[] = [];
for (let i = 0; i < 20; i++) {
  const s = await openSocket(port);
  s.write('GET /health HTTP/1.1\r\nHost: x\r\n');
  slowHeaders.push(s);
}
const dribble = setInterval(() => slowHeaders.forEach((s) => !s.destroyed && s.write('x')), 200);
const slowBodies: Socket[] = [];
for (let i = 0; i < 10; i++) {
  const s = await openSocket(port);
  s.write(`POST /v1/workspaces/slow/documents HTTP/1.1\r\nHost: x\r\nauthorization: Bearer ${KEY}\r\ncontent-type: application/json\r\ncontent-length: 100000\r\n\r\n{"text":"`);
  slowBodies.push(s);
}
const idle: Socket[] = [];
for (let i = 0; i < 10; i++) idle.push(await openSocket(port));
const limit = TIMEOUTS.request + 3000;
const closed = await Promise.allSettled([...slowHeaders, ...slowBodies, ...idle].map((s) => closedWithin(s, limit)));
clearInterval(dribble);
for (const [i, r] of closed.entries()) count(r.status === 'rejected', `slow socket ${i} was still open after ${limit} ms`);
const stillOpen = closed.filter((r) => r.status === 'rejected').length;
const held: Socket[] = [];
for (let i = 0; i < CAP + 10; i++) held.push(await openSocket(port));
await new Promise((r) => setTimeout(r, 300));
const refused = held.filter((s) => s.destroyed).length;
count(refused < 10, `${CAP + 10} connections from one address, cap ${CAP}: ${refused} refused`);
held.forEach((s) => s.destroy());
await new Promise((r) => setTimeout(r, 300));
const health = await exchange(port, ['GET /health HTTP/1.1\r\nHost: x\r\nconnection: close\r\n\r\n']);
count(health.status !== 200, `/health after the slow clients: ${health.status}`);

/** The longest /health round trip (sent every 20 ms) until stopped. */
function healthWatch(): { stop(): Promise<number> } {
  let stopped = false;
  let longest = 0;
  const loop = (async () => {
    while (!stopped) {
      const t0 = performance.now();
      await fetch(`${url}/health`).then((r) => r.arrayBuffer());
      longest = Math.max(longest, performance.now() - t0);
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  return {
    stop: async () => {
      stopped = true;
      await loop;
      return longest;
    },
  };
}

await server.kill('SIGTERM');
const fiveXX = findings.filter((f) => /: 5\d\d /.test(f.what)).length;
const summary = { fiveXX, truncatedKept, refusedUnderLimit, outsideListed, outsideIngested, spansBroken: findings.filter((f) => f.what.includes('is not the slice')).length, slowSocketsStillOpen: stillOpen, connectionsRefusedOverCap: refused };
console.log(table([...counts].map(([name, c]) => ({ section: name, requests: c.requests, failures: c.failures }))));
console.log(table(Object.entries(summary).map(([measure, value]) => ({ measure, value }))));
for (const f of findings.slice(0, 40)) console.log(`FAIL [${f.section}] ${f.what}`);
const passed = findings.length === 0;
const path = await writeResult('probe', { machine: machine(), limits: LIMITS, timeouts: TIMEOUTS, connectionCap: CAP, sections: Object.fromEntries(counts), summary, findings, passed });
console.log(`wrote ${path}: ${passed ? 'passed' : `${findings.length} findings`}`);
process.exit(passed ? 0 : 1);
