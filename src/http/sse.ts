import type { FastifyReply, FastifyRequest } from 'fastify';

export interface SseChannel {
  send(event: string, data: unknown): void;
  close(): void;
  /** Aborts when the client goes away. */
  readonly signal: AbortSignal;
}

/** Takes over the response for server-sent events. */
export function openSse(request: FastifyRequest, reply: FastifyReply): SseChannel {
  const controller = new AbortController();
  reply.hijack();
  reply.raw.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    connection: 'keep-alive',
    'x-request-id': String(request.id),
  });
  reply.raw.on('close', () => controller.abort());
  return {
    signal: controller.signal,
    send(event, data) {
      if (!reply.raw.writableEnded) reply.raw.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    },
    close() {
      if (!reply.raw.writableEnded) reply.raw.end();
    },
  };
}

/** An AbortSignal that fires when the client disconnects before the response is complete. */
export function clientGone(reply: FastifyReply): AbortSignal {
  const controller = new AbortController();
  reply.raw.on('close', () => {
    if (!reply.raw.writableFinished) controller.abort();
  });
  return controller.signal;
}
