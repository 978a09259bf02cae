/**
 * Where CPU-heavy tasks run: on worker threads (the default, so that the event loop only
 * routes and writes), or inline on the calling thread (CPU_WORKERS=0, for debugging and for
 * tools that run one task at a time). Both run the same task functions (cpu-tasks.ts).
 */
import { AbortedError } from '../core/errors.js';
import { WorkerPool } from '../core/worker-pool.js';
import { runTask } from './cpu-tasks.js';
import type { CpuTaskName, CpuTasks } from './cpu-tasks.js';

export interface CpuRunner {
  run<K extends CpuTaskName>(task: K, payload: CpuTasks[K]['payload'], signal?: AbortSignal): Promise<CpuTasks[K]['result']>;
  close(): Promise<void>;
}

export class ThreadCpuRunner implements CpuRunner {
  private readonly pool: WorkerPool;

  constructor(workers: number) {
    this.pool = new WorkerPool(new URL('./cpu-tasks.ts', import.meta.url), workers);
  }

  run<K extends CpuTaskName>(task: K, payload: CpuTasks[K]['payload'], signal?: AbortSignal): Promise<CpuTasks[K]['result']> {
    return this.pool.run(task, payload, signal);
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}

export class InlineCpuRunner implements CpuRunner {
  async run<K extends CpuTaskName>(task: K, payload: CpuTasks[K]['payload'], signal?: AbortSignal): Promise<CpuTasks[K]['result']> {
    if (signal?.aborted) throw new AbortedError();
    return (await runTask(task, payload)) as CpuTasks[K]['result'];
  }

  async close(): Promise<void> {}
}
