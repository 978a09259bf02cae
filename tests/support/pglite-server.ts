import { PGlite } from '@electric-sql/pglite';
import { vector } from '@electric-sql/pglite/vector';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';

export interface PgliteServer {
  /** A postgres:// URL for `pg` (or any client that speaks the wire protocol). */
  url: string;
  stop(): Promise<void>;
}

/**
 * A real PostgreSQL 17 with pgvector (PGlite, WASM) in this process, served over the Postgres
 * wire protocol on a free port, so that the backend is tested through the same driver it uses
 * in production. PGlite is one database session: the socket server multiplexes connections and
 * runs one connection's transaction at a time.
 */
export async function startPglite(): Promise<PgliteServer> {
  const db = await PGlite.create({ extensions: { vector } });
  const server = new PGLiteSocketServer({ db, port: 0, host: '127.0.0.1', maxConnections: 32 });
  await server.start();
  const port = (server as unknown as { port: number }).port;
  return {
    url: `postgres://postgres:postgres@127.0.0.1:${port}/postgres`,
    stop: async () => {
      await server.stop();
      await db.close();
    },
  };
}
