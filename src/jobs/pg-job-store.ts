import type { Pool } from 'pg';
import type { JobStore } from './job-store.js';
import type { Job } from './jobs.js';

const KEEP_FINISHED_DAYS = 7;

/** Jobs in `rag.jobs`, so that any instance sharing the database can answer GET /v1/jobs/:id. */
export class PgJobStore implements JobStore {
  private saves = 0;

  constructor(private readonly pool: Pool) {}

  async save(job: Job): Promise<{ cancelRequested: boolean }> {
    const { rows } = await this.pool.query<{ cancel_requested: boolean }>(
      `INSERT INTO rag.jobs (id, kind, workspace, state, job) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (id) DO UPDATE SET state = excluded.state, job = excluded.job, updated_at = now()
       RETURNING cancel_requested`,
      [job.id, job.kind, job.workspace, job.state, JSON.stringify(job)],
    );
    if (++this.saves % 500 === 0) {
      await this.pool.query(`DELETE FROM rag.jobs WHERE state IN ('succeeded', 'failed', 'cancelled') AND updated_at < now() - make_interval(days => $1)`, [KEEP_FINISHED_DAYS]);
    }
    return { cancelRequested: rows[0]?.cancel_requested ?? false };
  }

  async get(id: string): Promise<Job | undefined> {
    return (await this.pool.query<{ job: Job }>('SELECT job FROM rag.jobs WHERE id = $1', [id])).rows[0]?.job;
  }

  async requestCancel(id: string): Promise<Job | undefined> {
    return (await this.pool.query<{ job: Job }>('UPDATE rag.jobs SET cancel_requested = true WHERE id = $1 RETURNING job', [id])).rows[0]?.job;
  }
}
