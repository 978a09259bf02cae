import type { ServerResponse } from 'node:http';
import type { FastifyReply, FastifyRequest } from 'fastify';

export interface SseChannel {
  send(event: string, data: unknown): void;
  close(): void;
  /** Aborts when the client goes away. */
  readonly signal: AbortSignal;
}

/**
 * Takes over the response for server-sent events. A stream lasts as long as its work (a job can
 * run for hours) and no server timeout cuts it: the header and request timeouts bound receiving
 * the request, which is over when the stream starts, and the keep-alive timeout runs only
 * between requests (tests/integration/server-timeouts.test.ts).
 */
export function openSse(request: FastifyRequest, reply: FastifyReply): SseChannel {
  const signal = clientGone(reply);
  reply.hijack();
  reply.raw.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    connection: 'keep-alive',
    'x-request-id': String(request.id),
  });
  return {
    signal,
    send(event, data) {
      if (!reply.raw.writableEnded) reply.raw.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    },
    close() {
      if (!reply.raw.writableEnded) reply.raw.end();
    },
  };
}

/**
 * An AbortSignal that fires when the client disconnects before the response is complete. One
 * per request, however often a handler asks: a single 'close' listener on the response, which
 * goes when the response closes.
 */
export function clientGone(reply: FastifyReply): AbortSignal {
  const res = reply.raw;
  const known = signals.get(res);
  if (known) return known;
  const controller = new AbortController();
  res.once('close', () => {
    if (!res.writableFinished) controller.abort();
  });
  signals.set(res, controller.signal);
  return controller.signal;
}

const signals = new WeakMap<ServerResponse, AbortSignal>();
