import { AbortedError } from './errors.js';

export type Priority = 'interactive' | 'batch';

/**
 * Runs at most `concurrency` tasks at once. Waiting interactive work (a query) goes ahead
 * of waiting batch work (an ingest), so a long ingest cannot starve the question box, and
 * batch work still runs whenever no interactive work is waiting.
 */
export class Limiter {
  private active = 0;
  private readonly queues: Record<Priority, Array<() => void>> = { interactive: [], batch: [] };

  constructor(readonly concurrency: number) {
    if (!Number.isInteger(concurrency) || concurrency < 1) throw new RangeError(`concurrency must be a positive integer, got ${concurrency}`);
  }

  get pending(): number {
    return this.queues.interactive.length + this.queues.batch.length;
  }

  get running(): number {
    return this.active;
  }

  async run<T>(task: () => Promise<T>, options: { priority?: Priority; signal?: AbortSignal } = {}): Promise<T> {
    await this.acquire(options.priority ?? 'interactive', options.signal);
    try {
      return await task();
    } finally {
      this.release();
    }
  }

  private acquire(priority: Priority, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(new AbortedError());
    if (this.active < this.concurrency) {
      this.active++;
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const queue = this.queues[priority];
      const onAbort = () => {
        const i = queue.indexOf(waiter);
        if (i >= 0) queue.splice(i, 1);
        reject(new AbortedError());
      };
      const waiter = () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      queue.push(waiter);
    });
  }

  private release(): void {
    const next = this.queues.interactive.shift() ?? this.queues.batch.shift();
    if (next) next(); // the slot passes straight to the next task
    else this.active--;
  }
}
