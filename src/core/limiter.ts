import { onAbort } from './abort.js';
import { AbortedError } from './errors.js';

export type Priority = 'interactive' | 'batch';

export interface LimiterOptions {
  /**
   * While interactive work has arrived within this many milliseconds, batch work leaves one
   * slot free for it (when there are at least two), so a query does not wait behind a long
   * ingest batch. 0 turns the reservation off.
   */
  reserveForInteractiveMs?: number;
  now?: () => number;
}

/**
 * Runs at most `concurrency` tasks at once. Waiting interactive work (a query) goes ahead
 * of waiting batch work (an ingest), so a long ingest cannot starve the question box, and
 * batch work still runs whenever no interactive work is waiting — on every slot once queries
 * have been quiet for `reserveForInteractiveMs`, on all but one slot while they come.
 */
export class Limiter {
  private active = 0;
  private lastInteractive = Number.NEGATIVE_INFINITY;
  private wakeTimer: NodeJS.Timeout | undefined;
  private readonly queues: Record<Priority, Array<() => void>> = { interactive: [], batch: [] };
  private readonly reserveMs: number;
  private readonly now: () => number;

  constructor(
    readonly concurrency: number,
    options: LimiterOptions = {},
  ) {
    if (!Number.isInteger(concurrency) || concurrency < 1) throw new RangeError(`concurrency must be a positive integer, got ${concurrency}`);
    this.reserveMs = concurrency > 1 ? (options.reserveForInteractiveMs ?? 0) : 0;
    this.now = options.now ?? (() => performance.now());
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
      this.active--;
      this.pump();
    }
  }

  private acquire(priority: Priority, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(new AbortedError());
    if (priority === 'interactive') this.lastInteractive = this.now();
    return new Promise<void>((resolve, reject) => {
      const queue = this.queues[priority];
      // One listener per signal however many tasks wait on it (see core/abort.ts), gone once this wait ends.
      const stopWatching = signal
        ? onAbort(signal, () => {
            const i = queue.indexOf(waiter);
            if (i >= 0) queue.splice(i, 1);
            reject(new AbortedError());
          })
        : undefined;
      const waiter = () => {
        stopWatching?.();
        resolve();
      };
      queue.push(waiter);
      this.pump();
    });
  }

  /** Starts waiting work while slots allow: interactive first, batch within the reservation. */
  private pump(): void {
    for (;;) {
      const priority: Priority = this.queues.interactive.length > 0 ? 'interactive' : 'batch';
      const queue = this.queues[priority];
      if (queue.length === 0 || !this.mayStart(priority)) break;
      this.active++;
      queue.shift()!();
    }
    // Batch work held back only by the reservation: look again once it lapses.
    const held = this.queues.batch.length > 0 && this.queues.interactive.length === 0 && this.active < this.concurrency;
    if (held && !this.wakeTimer) {
      this.wakeTimer = setTimeout(() => {
        this.wakeTimer = undefined;
        this.pump();
      }, Math.max(1, this.lastInteractive + this.reserveMs - this.now()));
      this.wakeTimer.unref();
    }
  }

  private mayStart(priority: Priority): boolean {
    if (this.active >= this.concurrency) return false;
    if (priority === 'interactive' || this.active < this.concurrency - 1) return true;
    return this.now() - this.lastInteractive >= this.reserveMs;
  }
}
