/** Request rates per key (429 with Retry-After) and job slots per workspace. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TooManyRequestsError } from '../../src/core/errors.js';
import { silentLogger } from '../../src/core/logger.js';
import { RateLimiter } from '../../src/core/rate-limiter.js';
import { JobRegistry } from '../../src/jobs/jobs.js';
import { testApp } from '../support/app.js';
import type { TestApp } from '../support/app.js';

describe('RateLimiter (token bucket, on a hand-driven clock)', () => {
  it('allows a burst, then one request per 60/perMinute seconds, and says when to retry', () => {
    let now = 0;
    const limiter = new RateLimiter(60, 3, () => now); // one token a second, bursts of three
    expect([1, 2, 3].map(() => limiter.take('a').ok)).toEqual([true, true, true]);
    expect(limiter.take('a')).toEqual({ ok: false, retryAfterSeconds: 1 });
    expect(limiter.take('b').ok).toBe(true); // callers are counted apart
    now += 500;
    expect(limiter.take('a').ok).toBe(false);
    now += 500;
    expect(limiter.take('a').ok).toBe(true);
    now += 10_000; // refills to the burst, not beyond
    expect([1, 2, 3, 4].map(() => limiter.take('a').ok)).toEqual([true, true, true, false]);
  });
});

describe('JobRegistry slots per workspace', () => {
  it('refuses a job beyond MAX_JOBS_PER_WORKSPACE with a 429, and frees the slot when a job ends', async () => {
    const jobs = new JobRegistry(silentLogger, 1);
    let finish!: () => void;
    const first = jobs.start('test', 'alpha', () => new Promise<void>((resolve) => (finish = resolve)));
    expect(() => jobs.start('test', 'alpha', async () => {})).toThrow(TooManyRequestsError);
    expect(() => jobs.start('test', 'alpha', async () => {})).toThrow(/already has 1 jobs queued or running \(at most 1, MAX_JOBS_PER_WORKSPACE\)/);
    jobs.start('test', 'beta', async () => {}); // another workspace has its own slots
    await new Promise((r) => setTimeout(r, 0));
    finish();
    await jobs.drain();
    expect(jobs.get(first.id).state).toBe('succeeded');
    expect(jobs.start('test', 'alpha', async () => {}).state).toBe('queued');
    await jobs.drain();
  });
});

describe('limits over HTTP', () => {
  const ADMIN = 'admin-key-for-limit-tests-0123';
  let t: TestApp;
  beforeAll(async () => {
    t = await testApp({ AUTH: 'on', ADMIN_API_KEY: ADMIN, RATE_LIMIT_PER_MINUTE: '60', RATE_LIMIT_BURST: '5', MAX_UPLOAD_DOCUMENTS: '2' });
  });
  afterAll(() => t.app.close());

  it('answers 429 with Retry-After once a key has used its burst; /health is never limited', async () => {
    const get = (url: string) => t.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${ADMIN}` } });
    const statuses = [];
    for (let i = 0; i < 6; i++) statuses.push((await get('/v1/workspaces')).statusCode);
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
    const limited = await get('/v1/workspaces');
    expect(Number(limited.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(limited.json().message).toMatch(/rate limit of 60 requests a minute/);
    for (let i = 0; i < 10; i++) expect((await t.app.inject('/health')).statusCode).toBe(200);
  });

  it('refuses an upload with more records than MAX_UPLOAD_DOCUMENTS with a 413 that points to folder jobs', async () => {
    await new Promise((r) => setTimeout(r, 1100)); // a token back after the rate-limit test
    const boundary = '----limits';
    const jsonl = ['one', 'two', 'three'].map((text) => JSON.stringify({ text })).join('\n');
    const payload = `--${boundary}\r\ncontent-disposition: form-data; name="file"; filename="three.jsonl"\r\ncontent-type: application/octet-stream\r\n\r\n${jsonl}\r\n--${boundary}--\r\n`;
    const res = await t.app.inject({ method: 'POST', url: '/v1/workspaces/limits/documents', payload, headers: { authorization: `Bearer ${ADMIN}`, 'content-type': `multipart/form-data; boundary=${boundary}` } });
    expect(res.statusCode).toBe(413);
    expect(res.json().message).toMatch(/3 records; one upload may hold at most 2 \(MAX_UPLOAD_DOCUMENTS\).*\/ingest/);
  });
});
