/**
 * SQLite writes on a thread of their own. A large document's transaction (tens of thousands of
 * chunk rows, their FTS5 entries, the commit's fsync and the WAL checkpoint after it) takes
 * seconds, and better-sqlite3 runs it on the calling thread; here it runs on the write thread
 * while the event loop keeps routing and reading through its own (read-only) connection, which
 * sees each transaction whole once it commits (WAL).
 */
import { WorkerPool } from '../../core/worker-pool.js';

export type WriteTarget = 'docs' | 'graph';

/** The write side of one database file. */
export interface WriteChannel {
  call(target: WriteTarget, method: string, args: unknown[]): Promise<unknown>;
  close(): Promise<void>;
}

/** One thread that holds the write connection of every open workspace file, writing in request order. */
export class SqliteWriteThread {
  private readonly pool = new WorkerPool(new URL('./sqlite-write-tasks.ts', import.meta.url), 1);

  /** Opens (creating its schema) the file's write connection; the file can then be read. */
  async open(path: string): Promise<WriteChannel> {
    await this.pool.run('open', { path });
    return {
      call: (target, method, args) => this.pool.run(target, { path, method, args }),
      close: async () => void (await this.pool.run('close', { path })),
    };
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}
