import { describe, expect, it } from 'vitest';
import { AbortedError, InvalidInputError } from '../../src/core/errors.js';
import { WorkerPool } from '../../src/core/worker-pool.js';

const FAKE_TASKS = new URL('../support/fake-tasks.mjs', import.meta.url);
type Echo = { task: string; payload: unknown; threadId: number };

describe('WorkerPool', () => {
  it('runs tasks on at most `size` threads and answers each with its own result', async () => {
    const pool = new WorkerPool(FAKE_TASKS, 2);
    try {
      const results = await Promise.all(Array.from({ length: 6 }, (_, i) => pool.run<Echo>('busy', 20 + i)));
      expect(results.map((r) => r.payload)).toEqual([20, 21, 22, 23, 24, 25]);
      expect(new Set(results.map((r) => r.threadId)).size).toBe(2);
    } finally {
      await pool.close();
    }
  });

  it('gives a worker’s typed error back as the same class', async () => {
    const pool = new WorkerPool(FAKE_TASKS, 1);
    try {
      const error = await pool.run('fail', 'the document has no text').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InvalidInputError);
      expect((error as InvalidInputError).message).toBe('the document has no text');
    } finally {
      await pool.close();
    }
  });

  it('fails the task of a thread that dies and runs the next task on a fresh thread', async () => {
    const pool = new WorkerPool(FAKE_TASKS, 1);
    try {
      const first = await pool.run<Echo>('echo', 1);
      await expect(pool.run('exit', null)).rejects.toThrow(/exited \(code 3\)/);
      const after = await pool.run<Echo>('echo', 2);
      expect(after.payload).toBe(2);
      expect(after.threadId).not.toBe(first.threadId);
    } finally {
      await pool.close();
    }
  });

  it('fails a task whose answer cannot be read back (too deep to deserialise), and goes on', async () => {
    const pool = new WorkerPool(FAKE_TASKS, 1);
    try {
      await expect(pool.run('deep', 5000)).rejects.toThrow(/answer to "deep" could not be read/);
      expect((await pool.run<Echo>('echo', 'after')).payload).toBe('after');
    } finally {
      await pool.close();
    }
  });

  it('takes an aborted task out of the queue without running it', async () => {
    const pool = new WorkerPool(FAKE_TASKS, 1);
    try {
      const running = pool.run<Echo>('busy', 200);
      const controller = new AbortController();
      const queued = pool.run<Echo>('echo', 'never');
      const cancelled = pool.run<Echo>('echo', 'cancelled', controller.signal);
      controller.abort();
      await expect(cancelled).rejects.toBeInstanceOf(AbortedError);
      expect((await running).payload).toBe(200);
      expect((await queued).payload).toBe('never');
    } finally {
      await pool.close();
    }
  });

  it('refuses work once closed', async () => {
    const pool = new WorkerPool(FAKE_TASKS, 1);
    await pool.close();
    await expect(pool.run('echo', 1)).rejects.toThrow(/closed/);
  });
});
