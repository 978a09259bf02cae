import type { Job } from './jobs.js';

/**
 * Where jobs are shared between service instances (the PostgreSQL backend has one). Without
 * one, jobs live in the memory of the instance that runs them.
 */
export interface JobStore {
  /** Records the job's current state; answers whether someone asked (on any instance) to cancel it. */
  save(job: Job): Promise<{ cancelRequested: boolean }>;
  get(id: string): Promise<Job | undefined>;
  /** Asks the instance that runs the job to cancel it; the job as stored, or undefined when unknown. */
  requestCancel(id: string): Promise<Job | undefined>;
}
