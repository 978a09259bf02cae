/**
 * Hostile input, property-based (fast-check): every documented route gets arbitrary path
 * parameters, query strings and bodies; every file parser gets random and mutated bytes. The
 * service must answer each with a status below 500, within a time limit, and memory must stay
 * bounded. Runs are seeded, so a failure repeats; fast-check prints the shrunk counterexample.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import sharp from 'sharp';
import { decodeAudio } from '../../src/audio/decode.js';
import { AppError } from '../../src/core/errors.js';
import { decodeImage } from '../../src/vision/image.js';
import { LOADERS } from '../../src/ingestion/loaders/index.js';
import { minimalPdf } from '../support/minimal-pdf.js';
import { testApp } from '../support/app.js';
import { longestStall } from '../support/watchdog.js';
import type { TestApp } from '../support/app.js';

const SEED = 20261124;
const RUNS_PER_ROUTE = Number(process.env.FUZZ_RUNS ?? 25);
const PER_REQUEST_MS = 15_000;

let t: TestApp;
beforeAll(async () => {
  t = await testApp({ MAX_BODY_BYTES: String(256 * 1024), MAX_FILE_BYTES: String(128 * 1024), MAX_PDF_PAGES: '20' }, {}, { 'docs/a.txt': 'Marley was dead: to begin with.' });
  await t.app.inject({ method: 'POST', url: '/v1/workspaces/default/documents', payload: { text: 'Scrooge and Marley were partners in a counting-house.' } });
});
afterAll(() => t.app.close());

async function withinLimit<T>(work: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} did not answer within ${PER_REQUEST_MS} ms`)), PER_REQUEST_MS)));
  try {
    return await Promise.race([work, limit]);
  } finally {
    clearTimeout(timer);
  }
}

/** Values a client might send: JSON of any shape, and plausible field names with hostile values. */
const hostileString = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.constantFrom('', ' ', '../../etc/passwd', '/etc/passwd', '%00', '\u0000', 'a'.repeat(5000), '"; DROP TABLE chunks; --', '*', 'default', 'NaN', '-1', '1e309', '<script>alert(1)</script>', '\ud800'),
);
const hostileValue = fc.oneof(hostileString, fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.array(hostileString, { maxLength: 3 }), fc.object({ maxDepth: 2 }));
const FIELDS = ['question', 'workspace', 'mode', 'k', 'retriever', 'stream', 'query', 'text', 'id', 'title', 'metadata', 'path', 'glob', 'textField', 'name', 'scopes', 'selfRag', 'graph'];
const body = fc.oneof(fc.jsonValue(), fc.dictionary(fc.constantFrom(...FIELDS), hostileValue, { maxKeys: 6 }));
const segment = fc.oneof(fc.constantFrom('default', 'nope', '..', '%2e%2e', 'a'.repeat(300)), fc.string({ minLength: 1, maxLength: 30 }));
const query = fc.dictionary(fc.constantFrom('limit', 'offset', 'q', 'level', 'format', 'k'), hostileString, { maxKeys: 3 });

describe('every route under arbitrary input', () => {
  it('answers below 500 and in time, for arbitrary params, query strings and bodies', async () => {
    const paths = (await t.app.inject('/docs/json')).json().paths as Record<string, Record<string, unknown>>;
    const routes = Object.entries(paths).flatMap(([path, methods]) => Object.keys(methods).map((m) => ({ method: m.toUpperCase(), path })));
    expect(routes.length).toBeGreaterThan(15);
    const before = process.memoryUsage().rss;
    for (const route of routes) {
      await fc.assert(
        fc.asyncProperty(fc.array(segment, { minLength: 3, maxLength: 3 }), query, body, async (segments, qs, payload) => {
          let n = 0;
          const url = route.path.replace(/\{[^}]+\}/g, () => encodeURIComponent(segments[n++]!)) + (Object.keys(qs).length ? `?${new URLSearchParams(qs)}` : '');
          const hasBody = route.method === 'POST' || route.method === 'PUT' || route.method === 'PATCH';
          const res = await withinLimit(
            t.app.inject({ method: route.method as 'GET', url, ...(hasBody ? { payload: JSON.stringify(payload), headers: { 'content-type': 'application/json' } } : {}) }),
            `${route.method} ${url}`,
          );
          if (res.statusCode >= 500) throw new Error(`${route.method} ${url} ${JSON.stringify(payload).slice(0, 200)} → ${res.statusCode} ${res.body.slice(0, 300)}`);
        }),
        { seed: SEED, numRuns: RUNS_PER_ROUTE },
      );
    }
    expect(process.memoryUsage().rss - before).toBeLessThan(600 * 1024 ** 2);
  });

  it('refuses malformed JSON, invalid UTF-8 and wrong content types with a 4xx', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 400 }), fc.constantFrom('application/json', 'text/plain', 'application/xml', 'multipart/form-data; boundary=x'), async (bytes, type) => {
        const res = await withinLimit(t.app.inject({ method: 'POST', url: '/query', payload: Buffer.from(bytes), headers: { 'content-type': type } }), 'POST /query');
        expect(res.statusCode).toBeGreaterThanOrEqual(400);
        expect(res.statusCode).toBeLessThan(500);
      }),
      { seed: SEED, numRuns: 100 },
    );
  });
});

/** A valid file of each type, for mutation. */
const VALID: Record<string, Buffer> = {
  '.txt': Buffer.from('Plain text about Marley.'),
  '.md': Buffer.from('# Title\n\nSome *markdown* text.'),
  '.html': Buffer.from('<html><head><title>T</title></head><body><p>Hello <b>there</b></p><script>x()</script></body></html>'),
  '.pdf': minimalPdf(['First page about Marley.', 'Second page about Scrooge.']),
  '.json': Buffer.from(JSON.stringify([{ id: 'a', text: 'one' }, { id: 'b', text: 'two' }])),
  '.jsonl': Buffer.from('{"text":"one"}\n{"text":"two"}\n'),
};

function mutate(bytes: Buffer, edits: Array<{ at: number; value: number }>, cut: number): Buffer {
  const out = Buffer.from(bytes);
  for (const { at, value } of edits) out[at % out.length] = value;
  return out.subarray(0, Math.max(1, Math.floor(out.length * cut)));
}

describe('file parsers under random and mutated bytes', () => {
  for (const extension of Object.keys(LOADERS)) {
    it(`${extension}: returns documents or a typed 4xx error, never anything else`, async () => {
      const valid = VALID[extension] ?? VALID[extension === '.text' ? '.txt' : extension === '.markdown' ? '.md' : extension === '.htm' ? '.html' : '.jsonl']!;
      const input = fc.oneof(
        fc.uint8Array({ maxLength: 2000 }).map((b) => Buffer.from(b)),
        fc.tuple(fc.array(fc.record({ at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }), { maxLength: 12 }), fc.double({ min: 0.05, max: 1, noNaN: true })).map(([edits, cut]) => mutate(valid, edits, cut)),
      );
      await fc.assert(
        fc.asyncProperty(input, async (bytes) => {
          try {
            const docs = await withinLimit(LOADERS[extension]!(bytes, `fuzz${extension}`, { textField: 'text', maxPdfPages: 20 }), `${extension} loader`);
            for (const d of docs) expect(typeof d.text).toBe('string');
          } catch (error) {
            if (!(error instanceof AppError) || error.statusCode >= 500) throw error;
          }
        }),
        { seed: SEED, numRuns: extension === '.pdf' ? 60 : 120 },
      );
    });
  }

  it('uploads of random bytes under every accepted extension get a 2xx or a 4xx', async () => {
    const boundary = '----fuzz';
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...Object.keys(LOADERS), '.exe', '', '.PDF'), fc.uint8Array({ maxLength: 3000 }), async (extension, bytes) => {
        const head = Buffer.from(`--${boundary}\r\ncontent-disposition: form-data; name="file"; filename="upload${extension}"\r\ncontent-type: application/octet-stream\r\n\r\n`);
        const payload = Buffer.concat([head, Buffer.from(bytes), Buffer.from(`\r\n--${boundary}--\r\n`)]);
        const res = await withinLimit(t.app.inject({ method: 'POST', url: '/v1/workspaces/fuzz/documents', payload, headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } }), 'upload');
        expect(res.statusCode, res.body).toBeLessThan(500);
      }),
      { seed: SEED, numRuns: 60 },
    );
  });
});

describe('image and audio decoders under random and mutated bytes', () => {
  const bytesOrMutation = (valid: Buffer) =>
    fc.oneof(
      fc.uint8Array({ maxLength: 3000 }).map((b) => Buffer.from(b)),
      fc.tuple(fc.array(fc.record({ at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }), { maxLength: 16 }), fc.double({ min: 0.05, max: 1, noNaN: true })).map(([edits, cut]) => mutate(valid, edits, cut)),
    );
  const expectTypedRefusal = (error: unknown) => {
    if (!(error instanceof AppError) || error.statusCode >= 500) throw error;
  };

  it('images (PNG, JPEG, WebP): decoded within the pixel limit, or a typed 4xx', async () => {
    const base = sharp({ create: { width: 40, height: 30, channels: 3, background: { r: 200, g: 30, b: 90 } } });
    const valid = await Promise.all([base.clone().png().toBuffer(), base.clone().jpeg().toBuffer(), base.clone().webp().toBuffer()]);
    for (const image of valid) {
      await fc.assert(
        fc.asyncProperty(bytesOrMutation(image), async (bytes) => {
          try {
            const decoded = await withinLimit(decodeImage(bytes, { maxBytes: 1024 * 1024, maxPixels: 4_000_000 }), 'image decode');
            expect(decoded.width * decoded.height).toBeLessThanOrEqual(4_000_000);
          } catch (error) {
            expectTypedRefusal(error);
          }
        }),
        { seed: SEED, numRuns: 60 },
      );
    }
  });

  it('audio (WAV, FLAC, Ogg Vorbis, MP3): decoded within the length limit, or a typed 4xx', async () => {
    for (const name of ['speech-16k.wav', 'tone-440.flac', 'tone-440.ogg', 'tone-440.mp3']) {
      const valid = readFileSync(`tests/fixtures/audio/${name}`);
      await fc.assert(
        fc.asyncProperty(bytesOrMutation(valid), async (bytes) => {
          try {
            const audio = await withinLimit(decodeAudio(bytes, { maxBytes: 1024 * 1024, maxSeconds: 30 }), `${name} decode`);
            expect(audio.duration).toBeLessThanOrEqual(30);
            expect(audio.samples.every(Number.isFinite)).toBe(true);
          } catch (error) {
            expectTypedRefusal(error);
          }
        }),
        { seed: SEED, numRuns: 40 },
      );
    }
  });
});

describe('over real sockets: mutated multipart on every upload route, and large and deep inputs under an event-loop watchdog', () => {
  let big: TestApp;
  let url = '';
  let uploadRoutes: string[] = [];
  beforeAll(async () => {
    big = await testApp({ MAX_BODY_BYTES: String(8 * 1024 * 1024), MAX_FILE_BYTES: String(8 * 1024 * 1024) });
    await big.app.listen({ port: 0, host: '127.0.0.1' });
    url = `http://127.0.0.1:${(big.app.server.address() as { port: number }).port}`;
    const paths = (await big.app.inject('/docs/json')).json().paths as Record<string, Record<string, { description?: string }>>;
    uploadRoutes = Object.entries(paths).flatMap(([path, ops]) => (ops.post?.description?.includes('multipart/form-data') ? [path.replace('{ws}', 'sockets')] : []));
  });
  afterAll(() => big.app.close());

  it('answers mutated multipart bodies on every upload route below 500', async () => {
    expect(uploadRoutes.length).toBeGreaterThanOrEqual(8); // documents, five vision routes, two audio routes
    const boundary = 'fuzz-sockets';
    const valid = Buffer.from(`--${boundary}\r\ncontent-disposition: form-data; name="file"; filename="a.txt"\r\ncontent-type: text/plain\r\n\r\nMarley was dead.\r\n--${boundary}--\r\n`);
    const mutated = fc.record({ edits: fc.array(fc.record({ at: fc.nat(valid.length - 1), value: fc.integer({ min: 0, max: 255 }) }), { maxLength: 6 }), cut: fc.double({ min: 0.05, max: 1, noNaN: true }) });
    for (const route of uploadRoutes) {
      await fc.assert(
        fc.asyncProperty(mutated, async ({ edits, cut }) => {
          const res = await withinLimit(fetch(`${url}${route}`, { method: 'POST', headers: { 'content-type': `multipart/form-data; boundary=${boundary}` }, body: mutate(valid, edits, cut) }), `POST ${route}`);
          const text = await res.text();
          expect(res.status, `${route}: ${text}`).toBeLessThan(500);
        }),
        { seed: SEED, numRuns: 12 },
      );
    }
  });

  it('takes large and deeply nested inputs without stalling the event loop', async () => {
    const post = (path: string, body: string | FormData, type?: string) =>
      withinLimit(fetch(`${url}${path}`, { method: 'POST', headers: type ? { 'content-type': type } : {}, body }).then(async (r) => ({ status: r.status, text: await r.text() })), path);
    const depth = 200_000;
    const html = new FormData();
    html.append('file', new Blob([`<html><body>${'<div>'.repeat(depth)}Deep text survives.${'</div>'.repeat(depth)}</body></html>`]), 'deep.html');
    const deepRecord = `{"text":"A record.","metadata":${'{"d":'.repeat(5000)}1${'}'.repeat(5000)}}`;
    const jsonl = new FormData();
    jsonl.append('file', new Blob([`{"text":"A fine record."}\n${deepRecord}\n`]), 'records.jsonl');
    const prose = readFileSync('corpora/a-christmas-carol.txt', 'utf8').slice(0, 150_000);
    const { result, stallMs } = await longestStall(() =>
      Promise.all([
        post('/v1/workspaces/sockets/documents', html),
        post('/v1/workspaces/sockets/documents', JSON.stringify({ id: 'prose', text: prose }), 'application/json'),
        post('/v1/workspaces/sockets/documents', deepRecord, 'application/json'),
        post('/v1/workspaces/sockets/documents', jsonl),
        post('/v1/workspaces/sockets/query', '['.repeat(100_000) + ']'.repeat(100_000), 'application/json'),
        post('/v1/workspaces/sockets/documents', '{"a":'.repeat(50_000) + '1' + '}'.repeat(50_000), 'application/json'),
      ]),
    );
    const [deepHtml, proseDoc, deepMetadata, records, deepArray, deepObject] = result;
    expect(deepHtml.status, deepHtml.text).toBe(201);
    expect(proseDoc.status, proseDoc.text).toBe(201);
    expect(deepMetadata.status, deepMetadata.text).toBe(400);
    expect(deepMetadata.text).toMatch(/deeper than 32 levels/);
    expect(records.status, records.text).toBe(400); // one upload is one transaction: a refused record refuses the upload
    expect(deepArray.status).toBeGreaterThanOrEqual(400);
    expect(deepArray.status).toBeLessThan(500);
    expect(deepObject.status).toBeGreaterThanOrEqual(400);
    expect(deepObject.status).toBeLessThan(500);
    const stored = (await big.app.inject({ method: 'GET', url: '/v1/workspaces/sockets/documents/prose' })).json() as { text: string; chunks: Array<{ text: string; start: number; end: number }> };
    expect(stored.text).toBe(prose);
    expect(stored.chunks.every((c) => stored.text.slice(c.start, c.end) === c.text)).toBe(true);
    expect(stallMs, 'the longest the event loop was held').toBeLessThan(300);
  });
});
