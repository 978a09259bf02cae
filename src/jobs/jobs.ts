import { randomUUID } from 'node:crypto';
import { EventEmitter, setMaxListeners } from 'node:events';
import { AppError, NotFoundError, TooManyRequestsError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';

export type JobState = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';

export interface JobProgress {
  filesTotal: number;
  filesDone: number;
  documents: number;
  unchanged: number;
  chunks: number;
  errors: Array<{ file: string; error: string }>;
  /** Graph builds: the phase and its counts. */
  graph?: { phase: string; chunksTotal: number; chunksExtracted: number; chunksNew: number; reportsWritten: number; reportsReused: number };
}

export interface Job {
  id: string;
  kind: string;
  workspace: string;
  state: JobState;
  progress: JobProgress;
  error: string | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}

/** What a running job's body gets: its progress to update, and a signal for cancellation. */
export interface JobHandle {
  readonly job: Job;
  readonly signal: AbortSignal;
  update(change: (progress: JobProgress) => void): void;
}

const FINISHED: JobState[] = ['succeeded', 'failed', 'cancelled'];
const KEEP_FINISHED = 500;

/** Background jobs with progress that clients poll (GET /v1/jobs/:id) or stream (SSE). */
export class JobRegistry {
  private readonly jobs = new Map<string, Job>();
  private readonly controllers = new Map<string, AbortController>();
  private readonly events = new EventEmitter();
  private readonly running = new Set<Promise<void>>();

  constructor(
    private readonly logger: Logger,
    /** Jobs that may be queued or running at once in one workspace; more get a 429. */
    private readonly maxPerWorkspace = Number.POSITIVE_INFINITY,
  ) {
    this.events.setMaxListeners(0);
  }

  start(kind: string, workspace: string, body: (handle: JobHandle) => Promise<void>): Job {
    const active = [...this.jobs.values()].filter((j) => j.workspace === workspace && !FINISHED.includes(j.state)).length;
    if (active >= this.maxPerWorkspace) {
      throw new TooManyRequestsError(`workspace "${workspace}" already has ${active} jobs queued or running (at most ${this.maxPerWorkspace}, MAX_JOBS_PER_WORKSPACE); retry when one has finished`, 5);
    }
    const job: Job = {
      id: randomUUID(),
      kind,
      workspace,
      state: 'queued',
      progress: { filesTotal: 0, filesDone: 0, documents: 0, unchanged: 0, chunks: 0, errors: [] },
      error: null,
      createdAt: new Date().toISOString(),
      startedAt: null,
      finishedAt: null,
    };
    const controller = new AbortController();
    // Every batch a job queues on a model listens to this signal while it waits; many may wait at once.
    setMaxListeners(0, controller.signal);
    this.jobs.set(job.id, job);
    this.controllers.set(job.id, controller);
    this.prune();
    const handle: JobHandle = { job, signal: controller.signal, update: (change) => (change(job.progress), this.emit(job)) };
    const run = (async () => {
      await Promise.resolve();
      job.state = 'running';
      job.startedAt = new Date().toISOString();
      this.emit(job);
      try {
        await body(handle);
        job.state = controller.signal.aborted ? 'cancelled' : 'succeeded';
      } catch (error) {
        job.state = controller.signal.aborted ? 'cancelled' : 'failed';
        job.error = error instanceof AppError ? error.message : `internal error: ${(error as Error).message}`;
        if (!(error instanceof AppError)) this.logger.error({ job: job.id, err: error }, 'job failed');
      } finally {
        job.finishedAt = new Date().toISOString();
        this.controllers.delete(job.id);
        this.emit(job);
      }
    })();
    this.running.add(run);
    void run.finally(() => this.running.delete(run));
    return job;
  }

  find(id: string): Job | undefined {
    return this.jobs.get(id);
  }

  get(id: string): Job {
    const job = this.jobs.get(id);
    if (!job) throw new NotFoundError(`job "${id}" does not exist (finished jobs are kept until ${KEEP_FINISHED} newer ones exist, and not across restarts)`);
    return job;
  }

  isFinished(job: Job): boolean {
    return FINISHED.includes(job.state);
  }

  /** Calls `listener` with the job on every change until it finishes; returns an unsubscribe function. */
  subscribe(id: string, listener: (job: Job) => void): () => void {
    const channel = `job:${id}`;
    this.events.on(channel, listener);
    return () => this.events.off(channel, listener);
  }

  cancel(id: string): void {
    this.controllers.get(id)?.abort();
  }

  /** Waits for every running job (used by graceful shutdown, after cancelling them or not). */
  async drain(): Promise<void> {
    await Promise.allSettled([...this.running]);
  }

  cancelAll(): void {
    for (const c of this.controllers.values()) c.abort();
  }

  private emit(job: Job): void {
    this.events.emit(`job:${job.id}`, job);
  }

  private prune(): void {
    const finished = [...this.jobs.values()].filter((j) => FINISHED.includes(j.state));
    for (const j of finished.slice(0, Math.max(0, finished.length - KEEP_FINISHED))) this.jobs.delete(j.id);
  }
}
