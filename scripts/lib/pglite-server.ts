import { createServer } from 'node:net';
import type { Socket } from 'node:net';
import { PGlite } from '@electric-sql/pglite';
import { vector } from '@electric-sql/pglite/vector';

export interface PgliteServer {
  /** A postgres:// URL for `pg` (or any client that speaks the wire protocol). */
  url: string;
  stop(): Promise<void>;
}

const SSL_REQUEST = 80877103;
const SYNC = 0x53; // 'S': ends an extended-protocol batch (Parse/Bind/Describe/Execute)
const QUERY = 0x51; // 'Q': a simple query
const TERMINATE = 0x58; // 'X'

/**
 * A real PostgreSQL 17 with pgvector 0.8 (PGlite, WASM) in this process, served over the
 * Postgres wire protocol on a free port, so that the backend is tested through the driver it
 * uses in production. PGlite is one database session, so connections take turns: one
 * connection's whole batch (up to its Sync, or a simple query) runs at a time, and a connection
 * inside a transaction keeps its turn until the transaction ends. (@electric-sql/pglite-socket
 * 0.1's multiplexer interleaves single messages of different connections, so that two
 * connections' unnamed prepared statements collide; hence this small server.)
 */
export async function startPglite(): Promise<PgliteServer> {
  const db = await PGlite.create({ extensions: { vector } });
  let owner: Socket | null = null;
  const waiting: Array<() => void> = [];
  const acquire = async (socket: Socket) => {
    while (owner !== null && owner !== socket) await new Promise<void>((resolve) => waiting.push(resolve));
    owner = socket;
  };
  const release = (socket: Socket, force = false) => {
    if (owner !== socket || (!force && db.isInTransaction())) return;
    owner = null;
    waiting.splice(0).forEach((wake) => wake());
  };
  const run = async (socket: Socket, messages: Uint8Array[]) => {
    await acquire(socket);
    try {
      for (const m of messages) {
        const reply = await db.runExclusive(() => db.execProtocolRaw(m));
        if (reply.length && socket.writable) socket.write(reply);
      }
    } finally {
      release(socket);
    }
  };

  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.setNoDelay(true);
    let buffer = Buffer.alloc(0);
    let started = false;
    let pending: Uint8Array[] = [];
    let chain = Promise.resolve();
    const enqueue = (messages: Uint8Array[]) => {
      chain = chain.then(() => run(socket, messages)).catch(() => void socket.destroy());
    };
    socket.on('data', (data) => {
      buffer = Buffer.concat([buffer, data]);
      for (;;) {
        if (!started) {
          if (buffer.length < 8 || buffer.length < buffer.readInt32BE(0)) return;
          const message = buffer.subarray(0, buffer.readInt32BE(0));
          buffer = buffer.subarray(message.length);
          if (message.readInt32BE(4) === SSL_REQUEST) socket.write('N');
          else {
            started = true;
            enqueue([new Uint8Array(message)]);
          }
          continue;
        }
        if (buffer.length < 5 || buffer.length < 1 + buffer.readInt32BE(1)) return;
        const message = buffer.subarray(0, 1 + buffer.readInt32BE(1));
        buffer = buffer.subarray(message.length);
        if (message[0] === TERMINATE) {
          socket.end();
          return;
        }
        pending.push(new Uint8Array(message));
        if (message[0] === SYNC || message[0] === QUERY) {
          enqueue(pending);
          pending = [];
        }
      }
    });
    socket.on('close', () => {
      sockets.delete(socket);
      // A connection that goes away inside its transaction: roll it back and pass the turn on.
      chain = chain.then(async () => {
        if (owner === socket) {
          if (db.isInTransaction()) await db.exec('ROLLBACK').catch(() => {});
          release(socket, true);
        }
      });
    });
    socket.on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `postgres://postgres:postgres@127.0.0.1:${port}/postgres`,
    stop: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await db.close();
    },
  };
}
