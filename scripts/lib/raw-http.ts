/**
 * HTTP/1.1 over plain sockets, for tests that need what a client library would not send: a
 * malformed or cut-off body, headers a byte at a time, a request split at a chosen byte.
 */
import { execFile } from 'node:child_process';
import { connect } from 'node:net';
import { promisify } from 'node:util';
import type { AddressInfo, Socket } from 'node:net';
import type { FastifyInstance } from 'fastify';

/** Listens on a free loopback port; returns the port and the base URL. */
export async function listenOnLoopback(app: FastifyInstance): Promise<{ port: number; url: string }> {
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as AddressInfo;
  return { port, url: `http://127.0.0.1:${port}` };
}

export interface RawResponse {
  status: number;
  headers: Map<string, string>;
  body: string;
}

/** The first complete response in `data` (a body of content-length bytes), or undefined while incomplete. */
export function parseResponse(data: Buffer): RawResponse | undefined {
  const end = data.indexOf('\r\n\r\n');
  if (end < 0) return undefined;
  const [statusLine, ...lines] = data.subarray(0, end).toString('latin1').split('\r\n');
  const headers = new Map(lines.map((l) => [l.slice(0, l.indexOf(':')).trim().toLowerCase(), l.slice(l.indexOf(':') + 1).trim()] as [string, string]));
  const length = Number(headers.get('content-length') ?? 0);
  if (data.length < end + 4 + length) return undefined;
  return { status: Number(statusLine!.split(' ')[1]), headers, body: data.subarray(end + 4, end + 4 + length).toString('utf8') };
}

export function openSocket(port: number, localAddress?: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1', localAddress }, () => resolve(socket));
    socket.once('error', reject);
  });
}

/**
 * Writes `parts` in order (waiting `pauseMs` between them, so that the server reads them apart)
 * and resolves with the first complete response; rejects if none came within `timeoutMs`.
 */
export async function exchange(port: number, parts: Array<string | Buffer>, options: { pauseMs?: number; timeoutMs?: number } = {}): Promise<RawResponse> {
  const socket = await openSocket(port);
  let data = Buffer.alloc(0);
  const response = new Promise<RawResponse>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no response within ${options.timeoutMs ?? 10_000} ms; received ${JSON.stringify(data.toString('latin1').slice(0, 200))}`)), options.timeoutMs ?? 10_000);
    socket.on('data', (chunk: Buffer) => {
      data = Buffer.concat([data, chunk]);
      const parsed = parseResponse(data);
      if (parsed) {
        clearTimeout(timer);
        resolve(parsed);
      }
    });
    socket.on('error', () => {}); // a reset after the response is not the test's concern
    socket.on('close', () => {
      clearTimeout(timer);
      const parsed = parseResponse(data);
      if (parsed) resolve(parsed);
      else reject(new Error(`the server closed the connection without a complete response; received ${JSON.stringify(data.toString('latin1').slice(0, 200))}`));
    });
  });
  for (const [i, part] of parts.entries()) {
    if (i > 0 && options.pauseMs) await new Promise((r) => setTimeout(r, options.pauseMs));
    if (!socket.destroyed) socket.write(part);
  }
  try {
    return await response;
  } finally {
    socket.destroy();
  }
}

/** Resolves with how long after the call the server closed `socket` (or rejects past `withinMs`). */
export function closedWithin(socket: Socket, withinMs: number): Promise<{ afterMs: number; received: string }> {
  const t0 = performance.now();
  let received = '';
  socket.on('data', (d: Buffer) => (received += d.toString('latin1')));
  socket.on('error', () => {});
  return new Promise((resolve, reject) => {
    if (socket.destroyed) return resolve({ afterMs: 0, received });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`the server kept the connection open for ${withinMs} ms`));
    }, withinMs);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve({ afterMs: performance.now() - t0, received });
    });
  });
}

export interface UploadJob {
  /** Absolute URL to POST to. */
  url: string;
  /** A file on disk, sent in form field "file". */
  file: string;
  filename: string;
  fields?: Record<string, string>;
}

/**
 * POSTs each upload as multipart/form-data with fetch + FormData from a separate Node process,
 * one after another: a client in its own process writes while the server reads, as a real
 * client does (in the server's own process the two take turns, and chunk boundaries differ).
 */
export async function uploadFromAnotherProcess(jobs: UploadJob[]): Promise<Array<{ status: number; body: Record<string, unknown> }>> {
  const script = `
    import { readFileSync } from 'node:fs';
    const results = [];
    for (const job of JSON.parse(process.argv[1])) {
      const form = new FormData();
      for (const [k, v] of Object.entries(job.fields ?? {})) form.append(k, v);
      form.append('file', new Blob([readFileSync(job.file)]), job.filename);
      const res = await fetch(job.url, { method: 'POST', body: form });
      const text = await res.text();
      let body;
      try { body = JSON.parse(text); } catch { body = { unparsed: text.slice(0, 300) }; }
      results.push({ status: res.status, body });
    }
    process.stdout.write(JSON.stringify(results));
  `;
  const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script, JSON.stringify(jobs)], { maxBuffer: 64 * 1024 * 1024 });
  return JSON.parse(stdout) as Array<{ status: number; body: Record<string, unknown> }>;
}
