/** Helpers shared by the benchmark scripts: result files and plain-text tables. */
import { readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';

export const RESULTS_DIR = 'bench/results';

export function machine(): Record<string, unknown> {
  return { cpu: cpus()[0]?.model, cores: cpus().length, memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version, date: new Date().toISOString() };
}

export async function writeResult(name: string, result: unknown): Promise<string> {
  await mkdir(RESULTS_DIR, { recursive: true });
  const path = join(RESULTS_DIR, `${name}.json`);
  await writeFile(path, JSON.stringify(result, null, 2) + '\n');
  return path;
}

export function table(rows: Array<Record<string, string | number>>): string {
  if (rows.length === 0) return '';
  const headers = Object.keys(rows[0]!);
  const cells = rows.map((r) => headers.map((h) => format(r[h])));
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (values: string[]) => values.map((v, i) => v.padStart(widths[i]!)).join('  ');
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n');
}

function format(v: string | number | undefined): string {
  if (typeof v !== 'number') return v ?? '';
  return Number.isInteger(v) ? String(v) : v.toFixed(v >= 100 ? 0 : v >= 10 ? 1 : 2);
}

/**
 * CPU seconds used so far by this process: all threads, and the main (event-loop) thread alone,
 * read from /proc (Linux); the main thread is null where /proc is missing.
 */
export function cpuSeconds(): { all: number; main: number | null } {
  const used = process.cpuUsage();
  let main: number | null = null;
  try {
    const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    main = (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, in clock ticks of 1/100 s
  } catch {
    // not Linux
  }
  return { all: (used.user + used.system) / 1e6, main };
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

export interface FinishedIngestJob {
  seconds: number;
  documents: number;
  chunks: number;
}

/** A folder ingest through the HTTP API (`app.inject`), followed on its event stream until it ends; throws unless it succeeded without errors. */
export async function ingestFolderJob(app: FastifyInstance, workspace: string, path = '.'): Promise<FinishedIngestJob> {
  const start = performance.now();
  const { jobId } = (await app.inject({ method: 'POST', url: `/v1/workspaces/${workspace}/ingest`, payload: { path } })).json() as { jobId: string };
  // The job's event stream ends with its "done" event: the end is seen at once, with no polling
  // (whose requests would also take CPU from the job they wait for).
  const stream = (await app.inject(`/v1/jobs/${jobId}/events`)).body;
  const done = /event: done\ndata: (.*)\n/.exec(stream);
  if (!done) throw new Error(`the job's event stream ended without a "done" event: ${stream.slice(-300)}`);
  const job = JSON.parse(done[1]!) as { state: string; progress: { documents: number; chunks: number; errors: unknown[] } };
  if (job.state !== 'succeeded' || job.progress.errors.length) throw new Error(`ingest job ended ${job.state}: ${JSON.stringify(job.progress.errors.slice(0, 3))}`);
  return { seconds: (performance.now() - start) / 1000, documents: job.progress.documents, chunks: job.progress.chunks };
}
