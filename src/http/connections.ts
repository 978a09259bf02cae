/**
 * Slow and greedy clients: how long a request may take to arrive, how long an idle connection
 * stays open, and how many connections one address may hold.
 */
import type { Server, ServerOptions } from 'node:http';
import type { Socket } from 'node:net';
import type { Config } from '../config/config.js';

type Timeouts = Pick<Config, 'HEADERS_TIMEOUT_MS' | 'REQUEST_TIMEOUT_MS' | 'KEEP_ALIVE_TIMEOUT_MS'>;

/**
 * Fastify options for the configured timeouts. Node checks the header and request deadlines
 * on a timer (every 30 s unless told otherwise), so a deadline could be overrun by that much:
 * the check runs every tenth of the shortest deadline, between 100 ms and 1 s.
 */
export function serverTimeouts(config: Timeouts): { requestTimeout: number; keepAliveTimeout: number; http: ServerOptions } {
  const shortest = Math.min(config.HEADERS_TIMEOUT_MS, config.REQUEST_TIMEOUT_MS > 0 ? config.REQUEST_TIMEOUT_MS : Number.POSITIVE_INFINITY);
  return {
    requestTimeout: config.REQUEST_TIMEOUT_MS,
    keepAliveTimeout: config.KEEP_ALIVE_TIMEOUT_MS,
    http: {
      headersTimeout: config.HEADERS_TIMEOUT_MS,
      requestTimeout: config.REQUEST_TIMEOUT_MS,
      keepAliveTimeout: config.KEEP_ALIVE_TIMEOUT_MS,
      connectionsCheckingInterval: Math.min(1000, Math.max(100, Math.floor(shortest / 10))),
    },
  };
}

/**
 * Closes, as soon as it opens, a connection that would give its client address more than
 * `max` open connections (0: no cap). Counts per remote address; a count goes when its socket closes.
 */
export function capConnectionsPerClient(server: Server, max: number, onRefused: (address: string) => void = () => {}): void {
  if (max <= 0) return;
  const open = new Map<string, number>();
  server.on('connection', (socket: Socket) => {
    const address = socket.remoteAddress;
    if (address === undefined) return; // already gone
    const count = open.get(address) ?? 0;
    if (count >= max) {
      socket.destroy();
      onRefused(address);
      return;
    }
    open.set(address, count + 1);
    socket.once('close', () => {
      const left = (open.get(address) ?? 1) - 1;
      if (left > 0) open.set(address, left);
      else open.delete(address);
    });
  });
}
