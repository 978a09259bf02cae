/**
 * Malformed bodies over real sockets, on every route that takes a body (listed from the OpenAPI
 * document, so a new route is covered when it is added): broken multipart/form-data is a 400
 * (or a 413 where a limit is the reason) in the documented error shape, and JSON of any shape
 * under any content type is never a 500.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testApp } from '../support/app.js';
import type { TestApp } from '../support/app.js';
import { listenOnLoopback } from '../../scripts/lib/raw-http.js';

interface Route {
  method: string;
  path: string;
  description: string;
}

let t: TestApp;
let url = '';
let routes: Route[] = [];
let uploadRoutes: Route[] = [];

beforeAll(async () => {
  t = await testApp({ MAX_FILE_BYTES: String(64 * 1024) });
  ({ url } = await listenOnLoopback(t.app));
  const paths = (await t.app.inject('/docs/json')).json().paths as Record<string, Record<string, { description?: string }>>;
  routes = Object.entries(paths).flatMap(([path, methods]) =>
    Object.entries(methods)
      .filter(([method]) => ['post', 'put', 'patch'].includes(method))
      .map(([method, op]) => ({ method: method.toUpperCase(), path: path.replace('{ws}', 'probe').replace(/\{[^}]+\}/g, 'nope'), description: op.description ?? '' })),
  );
  uploadRoutes = routes.filter((r) => r.description.includes('multipart/form-data'));
});
afterAll(() => t.app.close());

async function send(route: Route, contentType: string | undefined, body: string | Buffer): Promise<{ status: number; text: string }> {
  const res = await fetch(`${url}${route.path}`, { method: route.method, headers: contentType ? { 'content-type': contentType } : {}, body });
  return { status: res.status, text: await res.text() };
}

/** The documented error shape: exactly {error, message, requestId} (and details for validation errors). */
function expectErrorShape(what: string, res: { status: number; text: string }) {
  const body = JSON.parse(res.text) as Record<string, unknown>;
  expect(Object.keys(body).filter((k) => k !== 'details').sort(), what).toEqual(['error', 'message', 'requestId']);
  expect(typeof body.message === 'string' && body.message.length > 20, what).toBe(true);
}

const B = '----probe-boundary';
const filePart = (boundary: string, content = 'Marley was dead: to begin with.') =>
  `--${boundary}\r\ncontent-disposition: form-data; name="file"; filename="probe.txt"\r\ncontent-type: text/plain\r\n\r\n${content}`;
const complete = (boundary: string) => `${filePart(boundary)}\r\n--${boundary}--\r\n`;

/** Broken multipart bodies: the content type, the body, and what the answer must say. */
const MALFORMED: Array<{ name: string; type: string; body: string; says: RegExp }> = [
  { name: 'no boundary parameter', type: 'multipart/form-data', body: complete(B), says: /boundary/ },
  { name: 'an empty boundary', type: 'multipart/form-data; boundary=', body: complete(B), says: /boundary/ },
  { name: 'an empty quoted boundary', type: 'multipart/form-data; boundary=""', body: complete(B), says: /boundary/ },
  { name: 'an unterminated quoted boundary', type: 'multipart/form-data; boundary="abc', body: complete('abc'), says: /boundary/ },
  { name: 'a 300-character boundary', type: `multipart/form-data; boundary=${'b'.repeat(300)}`, body: complete('b'.repeat(300)), says: /boundary/ },
  { name: 'a body cut off inside the file', type: `multipart/form-data; boundary=${B}`, body: filePart(B).slice(0, -10), says: /ended before its closing boundary/ },
  { name: 'a body without its closing boundary', type: `multipart/form-data; boundary=${B}`, body: `${filePart(B)}\r\n`, says: /ended before its closing boundary/ },
  { name: 'a closing boundary without its final dashes', type: `multipart/form-data; boundary=${B}`, body: `${filePart(B)}\r\n--${B}`, says: /ended before its closing boundary/ },
  { name: 'a body that is not multipart at all', type: `multipart/form-data; boundary=${B}`, body: '{"text": "json, not multipart"}', says: /multipart|file/ },
  { name: 'a boundary the body does not use', type: 'multipart/form-data; boundary=other', body: complete(B), says: /multipart|file/ },
  { name: 'an empty body', type: `multipart/form-data; boundary=${B}`, body: '', says: /without a file/ },
  { name: 'a part header without a colon', type: `multipart/form-data; boundary=${B}`, body: `--${B}\r\nnot a header\r\n\r\nx\r\n--${B}--\r\n`, says: /file/ },
  { name: 'a field named __proto__', type: `multipart/form-data; boundary=${B}`, body: `--${B}\r\ncontent-disposition: form-data; name="__proto__"\r\n\r\nx\r\n${complete(B)}`, says: /Object\.prototype/ },
  { name: 'a field that says it is JSON and is not', type: `multipart/form-data; boundary=${B}`, body: `--${B}\r\ncontent-disposition: form-data; name="title"\r\ncontent-type: application/json\r\n\r\n{oops\r\n${complete(B)}`, says: /not valid JSON/ },
  { name: 'the file in another field', type: `multipart/form-data; boundary=${B}`, body: complete(B).replace('name="file"', 'name="upload"'), says: /field "file"/ },
  { name: 'the same field twice', type: `multipart/form-data; boundary=${B}`, body: `--${B}\r\ncontent-disposition: form-data; name="id"\r\n\r\na\r\n--${B}\r\ncontent-disposition: form-data; name="id"\r\n\r\nb\r\n${complete(B)}`, says: /more than once/ },
];

describe('malformed multipart/form-data', () => {
  it('finds the upload routes in the OpenAPI document', () => {
    const paths = uploadRoutes.map((r) => r.path);
    for (const known of ['/v1/workspaces/probe/documents', '/v1/vision/ocr', '/v1/vision/detect', '/v1/vision/segment', '/v1/vision/upscale', '/v1/vision/classify', '/v1/audio/vad', '/v1/audio/transcribe']) expect(paths).toContain(known);
  });

  it('is a 400 naming the fault and what is accepted, on every upload route', async () => {
    const failures: string[] = [];
    for (const route of uploadRoutes) {
      for (const c of MALFORMED) {
        const res = await send(route, c.type, c.body);
        const what = `${route.method} ${route.path} with ${c.name}: ${res.status} ${res.text.slice(0, 300)}`;
        if (res.status !== 400) {
          failures.push(what);
          continue;
        }
        expectErrorShape(what, res);
        const message = JSON.parse(res.text).message as string;
        if (!c.says.test(message) || !/send|accepted/.test(message)) failures.push(`${what} (the message should match ${c.says} and say what to send)`);
      }
    }
    expect(failures).toEqual([]);
  });

  it('two files or too many fields are a 413 naming the limit', async () => {
    const twoFiles = `${filePart(B)}\r\n${complete(B)}`;
    const fields = Array.from({ length: 11 }, (_, i) => `--${B}\r\ncontent-disposition: form-data; name="f${i}"\r\n\r\nx\r\n`).join('') + complete(B);
    for (const route of uploadRoutes) {
      for (const [body, says] of [[twoFiles, /more than one file/], [fields, /more than 10 form fields/]] as const) {
        const res = await send(route, `multipart/form-data; boundary=${B}`, body);
        expect(res.status, `${route.path}: ${res.text}`).toBe(413);
        expectErrorShape(route.path, res);
        expect(JSON.parse(res.text).message).toMatch(says);
      }
    }
  });

  it('never makes a route that takes no upload fail with a 5xx', async () => {
    for (const route of routes.filter((r) => !uploadRoutes.includes(r))) {
      for (const c of MALFORMED) {
        const res = await send(route, c.type, c.body);
        expect(res.status, `${route.method} ${route.path} with ${c.name}: ${res.text.slice(0, 300)}`).toBeLessThan(500);
        if (res.status >= 400) expectErrorShape(`${route.path} ${c.name}`, res);
      }
    }
  });
});

describe('JSON of the wrong shape', () => {
  const deep = '['.repeat(5000) + ']'.repeat(5000);
  const BODIES = ['null', '[]', '[1, 2, 3]', '"a string"', '42', '-0', '1e309', 'true', '{}', '{"a": {"b": [null, {"c": "__proto__"}]}}', '{"__proto__": {"polluted": true}}', '{"constructor": {"prototype": {"polluted": true}}}', '{"text": {"$gt": ""}, "question": ["a"], "name": {}, "image": 7, "model": null}', deep, '{', '{"text": "unterminated', '', '\u0000', '\ufeff{}'];
  const TYPES: Array<string | undefined> = ['text/plain', 'application/x-www-form-urlencoded', 'application/octet-stream', 'application/json; charset=latin1', 'application/jsonx', undefined];

  it('is never a 5xx on any route that takes a body, and every refusal has the documented shape', async () => {
    expect(routes.length).toBeGreaterThanOrEqual(12);
    const failures: string[] = [];
    for (const route of routes) {
      const cases: Array<[string | undefined, string]> = [...BODIES.map((b) => ['application/json', b] as [string, string]), ...TYPES.map((type) => [type, '{"text": "x", "question": "y"}'] as [string | undefined, string])];
      for (const [type, body] of cases) {
        const res = await send(route, type, body);
        const what = `${route.method} ${route.path} (${type}) ${body.slice(0, 60)}: ${res.status} ${res.text.slice(0, 200)}`;
        if (res.status >= 500) failures.push(what);
        else if (res.status >= 400) expectErrorShape(what, res);
      }
    }
    expect(failures).toEqual([]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
