import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/app.js';
import type { AppOverrides } from '../../src/app.js';
import { loadConfig } from '../../src/config/config.js';
import { tempDir } from './runtime.js';

export interface TestApp {
  app: FastifyInstance;
  dataDir: string;
  corporaDir: string;
}

/** The whole service on a fresh data folder, with the real embedder (converted once into the shared cache). */
export async function testApp(env: Record<string, string> = {}, overrides: AppOverrides = {}, corpora: Record<string, string> = {}): Promise<TestApp> {
  const dataDir = tempDir('data');
  const corporaDir = tempDir('corpora');
  for (const [name, content] of Object.entries(corpora)) {
    mkdirSync(join(corporaDir, name, '..'), { recursive: true });
    writeFileSync(join(corporaDir, name), content);
  }
  const config = loadConfig({
    DATA_DIR: dataDir,
    CORPORA_DIR: corporaDir,
    MODEL_CACHE_DIR: join(process.cwd(), '.cache', 'models'),
    LOG_LEVEL: 'silent',
    ORT_INTRA_OP_THREADS: '1',
    SAMPLE_INGEST: 'false',
    ...env,
  });
  const app = await buildApp(config, overrides);
  await app.ready();
  return { app, dataDir, corporaDir };
}

/** Polls a job until it finishes. */
export async function waitForJob(app: FastifyInstance, id: string, timeoutMs = 60_000, headers: Record<string, string> = {}): Promise<Record<string, unknown>> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const job = (await app.inject({ method: 'GET', url: `/v1/jobs/${id}`, headers })).json() as Record<string, unknown>;
    if (['succeeded', 'failed', 'cancelled'].includes(job.state as string)) return job;
    if (Date.now() > until) throw new Error(`job ${id} did not finish: ${JSON.stringify(job)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
