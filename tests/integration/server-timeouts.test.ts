/**
 * Slow and greedy clients over real sockets: headers or a body trickling in, an idle keep-alive
 * connection, too many connections from one address. Each is closed within a bounded time (or
 * refused), while server-sent-event streams outlive every one of those timeouts.
 */
import type { Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testApp, waitForJob } from '../support/app.js';
import type { TestApp } from '../support/app.js';
import { useFakeOpenAiServer } from '../support/fake-openai-server.js';
import { closedWithin, listenOnLoopback, openSocket, parseResponse } from '../../scripts/lib/raw-http.js';

const HEADERS_MS = 1000;
const REQUEST_MS = 1500;
const KEEP_ALIVE_MS = 1000;
/** Longer than every timeout above: how long the fake LLM waits before it answers. */
const LLM_DELAY_MS = 2500;
/** Node checks header and request deadlines on a timer; a close may come this much after its deadline. */
const SLACK_MS = 1500;
/** Node closes an idle keep-alive socket a second after the timeout it announces to clients. */
const NODE_KEEP_ALIVE_BUFFER_MS = 1000;

const fake = useFakeOpenAiServer<{ stream?: boolean }>();

/** Writes `text` to the socket a byte every `everyMs` until the socket closes. */
function trickle(socket: Socket, text: string, everyMs: number): void {
  let i = 0;
  const timer = setInterval(() => {
    if (socket.destroyed) return clearInterval(timer);
    socket.write(text[i++ % text.length]!);
  }, everyMs);
  socket.once('close', () => clearInterval(timer));
}

/** Sends one request on an open socket and resolves with its response (content-length bodies). */
function request(socket: Socket, text: string): Promise<ReturnType<typeof parseResponse>> {
  return new Promise((resolve, reject) => {
    let data = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      data = Buffer.concat([data, chunk]);
      const parsed = parseResponse(data);
      if (parsed) {
        socket.off('data', onData);
        resolve(parsed);
      }
    };
    socket.on('data', onData);
    socket.once('close', () => reject(new Error(`closed before a response: ${data.toString('latin1').slice(0, 200)}`)));
    socket.write(text);
  });
}

describe('header, request and keep-alive timeouts', () => {
  let t: TestApp;
  let port = 0;
  beforeAll(async () => {
    fake.reply = (body, res) => {
      setTimeout(() => {
        if (body.stream) {
          res.writeHead(200, { 'content-type': 'text/event-stream' });
          res.write(`data: ${JSON.stringify({ choices: [{ delta: { content: 'Marley was his partner [1].' } }] })}\n\n`);
          res.end('data: [DONE]\n\n');
        } else {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ choices: [{ message: { content: 'Marley was his partner [1].' } }] }));
        }
      }, LLM_DELAY_MS);
    };
    t = await testApp({
      HEADERS_TIMEOUT_MS: String(HEADERS_MS),
      REQUEST_TIMEOUT_MS: String(REQUEST_MS),
      KEEP_ALIVE_TIMEOUT_MS: String(KEEP_ALIVE_MS),
      GENERATOR: 'openai',
      GRAPH_EXTRACTOR: 'llm',
      GRAPH_AUTO_UPDATE_MS: '0',
      LLM_BASE_URL: fake.baseUrl,
      LLM_MODEL: 'fake-model',
    });
    await t.app.inject({ method: 'POST', url: '/v1/workspaces/default/documents', payload: { text: 'Jacob Marley was the partner of Ebenezer Scrooge.' } });
    ({ port } = await listenOnLoopback(t.app));
  });
  afterAll(() => t.app.close());

  it('closes a connection whose headers arrive a byte at a time, once HEADERS_TIMEOUT_MS has passed', async () => {
    const socket = await openSocket(port);
    socket.write('GET /health HTTP/1.1\r\nhost: x\r\n');
    trickle(socket, 'x-slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n', 50);
    const { afterMs, received } = await closedWithin(socket, HEADERS_MS + SLACK_MS);
    expect(afterMs).toBeGreaterThan(HEADERS_MS * 0.9);
    expect(received).toMatch(/^(HTTP\/1\.1 408|$)/);
  });

  it('closes a connection that opens and sends nothing', async () => {
    const { afterMs } = await closedWithin(await openSocket(port), HEADERS_MS + SLACK_MS);
    expect(afterMs).toBeGreaterThan(HEADERS_MS * 0.9);
  });

  it('closes a connection whose JSON body arrives slowly, once REQUEST_TIMEOUT_MS has passed, with a 408', async () => {
    const socket = await openSocket(port);
    socket.write('POST /v1/workspaces/slow/documents HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 100000\r\n\r\n{"text": "');
    trickle(socket, 'slow ', 50);
    const { afterMs, received } = await closedWithin(socket, REQUEST_MS + SLACK_MS);
    expect(afterMs).toBeGreaterThan(REQUEST_MS * 0.9);
    expect(received).toMatch(/^HTTP\/1\.1 408/);
  });

  it('closes a connection whose multipart upload arrives slowly', async () => {
    const socket = await openSocket(port);
    const boundary = '----slow';
    socket.write(
      `POST /v1/workspaces/slow/documents HTTP/1.1\r\nhost: x\r\ncontent-type: multipart/form-data; boundary=${boundary}\r\ncontent-length: 100000\r\n\r\n` +
        `--${boundary}\r\ncontent-disposition: form-data; name="file"; filename="slow.txt"\r\n\r\n`,
    );
    trickle(socket, 'slow ', 50);
    const { afterMs } = await closedWithin(socket, REQUEST_MS + SLACK_MS);
    expect(afterMs).toBeGreaterThan(REQUEST_MS * 0.9);
    expect((await t.app.inject('/v1/workspaces/slow/documents')).statusCode).toBe(404); // nothing was stored
  });

  it('closes an idle keep-alive connection after KEEP_ALIVE_TIMEOUT_MS', async () => {
    const socket = await openSocket(port);
    const res = await request(socket, 'GET /health HTTP/1.1\r\nhost: x\r\n\r\n');
    expect(res!.status).toBe(200);
    const { afterMs } = await closedWithin(socket, KEEP_ALIVE_MS + NODE_KEEP_ALIVE_BUFFER_MS + SLACK_MS);
    expect(afterMs).toBeGreaterThan(KEEP_ALIVE_MS * 0.9);
  });

  it('answers a request whose handling outlasts every timeout: they bound receiving the request, not answering it', async () => {
    const t0 = performance.now();
    const res = await fetch(`http://127.0.0.1:${port}/query`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ question: "Who was Scrooge's partner?" }) });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { answer: string }).answer).toContain('Marley was his partner');
    expect(performance.now() - t0).toBeGreaterThan(LLM_DELAY_MS * 0.9);
  });

  it('keeps a streamed answer open past every timeout, on a reused keep-alive connection', async () => {
    const socket = await openSocket(port);
    expect((await request(socket, 'GET /health HTTP/1.1\r\nhost: x\r\n\r\n'))!.status).toBe(200);
    const body = JSON.stringify({ question: "Who was Scrooge's partner?", stream: true });
    const t0 = performance.now();
    let received = '';
    socket.on('data', (d: Buffer) => (received += d.toString('utf8')));
    socket.write(`POST /query HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
    await new Promise<void>((resolve, reject) => {
      const check = setInterval(() => {
        if (received.includes('event: result')) {
          clearInterval(check);
          resolve();
        } else if (socket.destroyed || performance.now() - t0 > LLM_DELAY_MS + 5000) {
          clearInterval(check);
          reject(new Error(`the stream ended without a result after ${Math.round(performance.now() - t0)} ms: ${received.slice(0, 300)}`));
        }
      }, 20);
    });
    expect(performance.now() - t0).toBeGreaterThan(LLM_DELAY_MS * 0.9);
    expect(received).toMatch(/^HTTP\/1\.1 200[\s\S]*text\/event-stream[\s\S]*event: delta[\s\S]*Marley was his partner[\s\S]*event: result/);
    socket.destroy();
  });

  it('keeps a job event stream open past every timeout until the job is done', async () => {
    const started = await t.app.inject({ method: 'POST', url: '/v1/workspaces/default/graph' });
    expect(started.statusCode).toBe(202);
    const t0 = performance.now();
    const res = await fetch(`http://127.0.0.1:${port}/v1/jobs/${started.json().jobId}/events`);
    const events = await res.text(); // until the server ends the stream
    expect(performance.now() - t0).toBeGreaterThan(LLM_DELAY_MS * 0.9);
    expect(events).toMatch(/^event: progress[\s\S]*event: done\ndata: \{.*"state":"(succeeded|failed)"/);
    await waitForJob(t.app, started.json().jobId);
  });
});

describe('connections per client address', () => {
  const CAP = 4;
  let t: TestApp;
  let port = 0;
  beforeAll(async () => {
    t = await testApp({ MAX_CONNECTIONS_PER_CLIENT: String(CAP) });
    ({ port } = await listenOnLoopback(t.app));
  });
  afterAll(() => t.app.close());

  it(`closes a connection beyond MAX_CONNECTIONS_PER_CLIENT at once, while the others and other addresses are served`, async () => {
    const held = await Promise.all(Array.from({ length: CAP }, () => openSocket(port)));
    for (const socket of held) expect((await request(socket, 'GET /health HTTP/1.1\r\nhost: x\r\n\r\n'))!.status).toBe(200);
    const { afterMs, received } = await closedWithin(await openSocket(port), 1000);
    expect(received).toBe('');
    expect(afterMs).toBeLessThan(1000);
    // The connections already open are still served, and another address has its own count.
    for (const socket of held) expect((await request(socket, 'GET /health HTTP/1.1\r\nhost: x\r\n\r\n'))!.status).toBe(200);
    const other = await openSocket(port, '127.0.0.2');
    expect((await request(other, 'GET /health HTTP/1.1\r\nhost: x\r\n\r\n'))!.status).toBe(200);
    other.destroy();
    // A closed connection frees its place.
    held.pop()!.destroy();
    await new Promise((r) => setTimeout(r, 100));
    const again = await openSocket(port);
    expect((await request(again, 'GET /health HTTP/1.1\r\nhost: x\r\n\r\n'))!.status).toBe(200);
    for (const socket of [...held, again]) socket.destroy();
    const metrics = await t.app.inject('/metrics');
    expect(metrics.body).toMatch(/^http_connections_refused_total 1$/m);
  });
});
