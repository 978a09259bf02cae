/**
 * Worker threads for CPU-heavy work whose cost grows with the input (parsing, chunking, entity
 * extraction, community detection), so that the event loop only routes and writes. A task is
 * a name and a structured-cloneable payload; tasks wait in one queue and go to the first free
 * worker (each runs task-worker.mjs over one task module). A worker that dies fails its task and is replaced by a fresh one on the next task.
 */
import { Worker } from 'node:worker_threads';
import { onAbort } from './abort.js';
import { AbortedError, reviveError } from './errors.js';
import type { SerialisedError } from './errors.js';

interface Pending {
  task: string;
  payload: unknown;
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
  /** Unregisters the task's abort callback (see abort.ts: one listener per signal however many tasks wait on it). */
  forget?: () => void;
}

type Reply = { id: number; ok: true; result: unknown } | { id: number; ok: false; error: SerialisedError };

class PoolWorker {
  readonly thread: Worker;
  current: { id: number; job: Pending } | undefined;

  constructor(tasks: URL, onReply: (worker: PoolWorker, reply: Reply) => void, onExit: (worker: PoolWorker, error: Error) => void) {
    this.thread = new Worker(new URL('./task-worker.mjs', import.meta.url), { workerData: { tasks: tasks.href } });
    this.thread.unref();
    this.thread.on('message', (reply: Reply) => onReply(this, reply));
    // An answer that cannot be deserialised here (nested deeper than the stack allows) never
    // arrives as a message: the task it answered fails instead of waiting for ever.
    this.thread.on('messageerror', (error) => this.current && onReply(this, { id: this.current.id, ok: false, error: { name: 'Error', message: `the worker's answer to "${this.current.job.task}" could not be read: ${error.message}` } }));
    this.thread.on('error', (error) => onExit(this, error));
    this.thread.on('exit', (code) => onExit(this, new Error(`the CPU worker exited (code ${code})`)));
  }
}

export class WorkerPool {
  private readonly idle: PoolWorker[] = [];
  private readonly all = new Set<PoolWorker>();
  private readonly queue: Pending[] = [];
  private nextId = 1;
  private closed = false;

  /** `tasks`: the module whose `runTask(name, payload)` each worker runs (see task-worker.mjs). */
  constructor(
    private readonly tasks: URL,
    readonly size: number,
  ) {
    if (!Number.isInteger(size) || size < 1) throw new RangeError(`a worker pool needs at least one worker, got ${size}`);
  }

  /** Runs `task` on a worker; an abort before it starts takes it out of the queue. */
  run<T>(task: string, payload: unknown, signal?: AbortSignal): Promise<T> {
    if (this.closed) return Promise.reject(new Error('the CPU worker pool is closed'));
    if (signal?.aborted) return Promise.reject(new AbortedError());
    return new Promise<T>((resolve, reject) => {
      const job: Pending = { task, payload, resolve: resolve as (v: unknown) => void, reject };
      if (signal) {
        job.forget = onAbort(signal, () => {
          const at = this.queue.indexOf(job);
          if (at >= 0) {
            this.queue.splice(at, 1);
            reject(new AbortedError());
          }
        });
      }
      this.queue.push(job);
      this.dispatch();
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const job of this.queue.splice(0)) this.settle(job, new Error('the CPU worker pool was closed'));
    await Promise.all([...this.all].map((w) => w.thread.terminate()));
    this.all.clear();
    this.idle.length = 0;
  }

  private dispatch(): void {
    while (this.queue.length > 0) {
      const worker = this.idle.pop() ?? (this.all.size < this.size ? this.spawn() : undefined);
      if (!worker) return;
      const job = this.queue.shift()!;
      const id = this.nextId++;
      worker.current = { id, job };
      worker.thread.ref();
      worker.thread.postMessage({ id, task: job.task, payload: job.payload });
    }
  }

  private spawn(): PoolWorker {
    const worker = new PoolWorker(
      this.tasks,
      (w, reply) => this.onReply(w, reply),
      (w, error) => this.onExit(w, error),
    );
    this.all.add(worker);
    return worker;
  }

  private onReply(worker: PoolWorker, reply: Reply): void {
    const current = worker.current;
    if (!current || current.id !== reply.id) return;
    worker.current = undefined;
    worker.thread.unref();
    this.idle.push(worker);
    if (reply.ok) this.settle(current.job, undefined, reply.result);
    else this.settle(current.job, reviveError(reply.error));
    this.dispatch();
  }

  private onExit(worker: PoolWorker, error: Error): void {
    if (!this.all.delete(worker)) return;
    const at = this.idle.indexOf(worker);
    if (at >= 0) this.idle.splice(at, 1);
    if (worker.current) this.settle(worker.current.job, error);
    worker.current = undefined;
    if (!this.closed) this.dispatch();
  }

  private settle(job: Pending, error: Error | undefined, result?: unknown): void {
    job.forget?.();
    if (error) job.reject(error);
    else job.resolve(result);
  }
}
