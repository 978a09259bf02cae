import { readFileSync, realpathSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { glob } from 'tinyglobby';
import { AppError, InvalidInputError } from '../core/errors.js';
import type { JobHandle } from '../jobs/jobs.js';
import type { Workspace } from '../store/workspace.js';
import type { IngestInput, Ingestor } from './ingestor.js';
import { ACCEPTED_EXTENSIONS, loaderFor } from './loaders/index.js';
import type { LoadOptions } from './loaders/types.js';

export const DEFAULT_GLOB = `**/*.{${ACCEPTED_EXTENSIONS.map((e) => e.slice(1)).join(',')}}`;

function within(root: string, path: string): boolean {
  return path === root || path.startsWith(root.endsWith(sep) ? root : root + sep);
}

/**
 * The real folder that `path` names under the corpora root. Absolute paths, `..` that climbs
 * out, and symlinks that lead out are refused with a 400.
 */
export function resolveUnderRoot(root: string, path: string): string {
  if (isAbsolute(path)) throw new InvalidInputError(`path "${path}" must be relative to the corpora root, e.g. "." or "my-folder"`);
  const rootReal = realpathSync(root);
  const target = resolve(rootReal, path);
  if (!within(rootReal, target)) throw new InvalidInputError(`path "${path}" leads outside the corpora root`);
  let real: string;
  try {
    real = realpathSync(target);
  } catch {
    throw new InvalidInputError(`path "${path}" does not exist under the corpora root`);
  }
  if (!within(rootReal, real)) throw new InvalidInputError(`path "${path}" leads outside the corpora root through a symbolic link`);
  if (!statSync(real).isDirectory()) throw new InvalidInputError(`path "${path}" is not a folder`);
  return real;
}

export interface FolderIngestOptions {
  root: string;
  path: string;
  glob: string;
  load: LoadOptions;
  maxFileBytes: number;
}

/**
 * Ingests every matching file of a folder as a job. A document's id is its path relative to
 * the corpora root (with `#record` for JSON/JSONL records), so ingesting the folder again
 * updates changed files and skips the rest. A bad file is recorded and the job goes on.
 */
export async function ingestFolder(ws: Workspace, ingestor: Ingestor, options: FolderIngestOptions, handle: JobHandle): Promise<void> {
  const rootReal = realpathSync(options.root);
  const folder = resolveUnderRoot(options.root, options.path);
  const files = (await glob(options.glob, { cwd: folder, onlyFiles: true, followSymbolicLinks: false, absolute: true, dot: false })).sort();
  handle.update((p) => (p.filesTotal = files.length));
  const fail = (file: string, error: unknown) =>
    handle.update((p) => p.errors.push({ file, error: error instanceof AppError ? error.message : `internal error: ${(error as Error).message}` }));
  // Files go in groups, so that their chunks are embedded in full batches and written in one
  // transaction; while one group is written, the next is already being embedded.
  const groups: Array<Array<{ file: string; name: string }>> = [];
  for (let g = 0; g < files.length; g += FILES_PER_GROUP) groups.push(files.slice(g, g + FILES_PER_GROUP).map((file) => ({ file, name: relative(rootReal, file) })));
  const embedGroup = async (group: Array<{ file: string; name: string }>) => {
    const inputs: Array<{ name: string; input: IngestInput }> = [];
    for (const { file, name } of group) {
      try {
        inputs.push(...(await loadFile(rootReal, file, name, options)).map((input) => ({ name, input })));
      } catch (error) {
        fail(name, error);
      }
    }
    return { group, inputs, batch: await ingestor.embed(ws, inputs.map((i) => i.input), { signal: handle.signal }) };
  };
  // Two groups ahead are in the embedder's queue, so it never waits while a group is loaded or written.
  const ahead: Array<Promise<Awaited<ReturnType<typeof embedGroup>>>> = [];
  const enqueue = (g: number) => {
    if (g >= groups.length || handle.signal.aborted) return;
    const started = embedGroup(groups[g]!);
    started.catch(() => {}); // its failure is handled when it is awaited
    ahead.push(started);
  };
  enqueue(0);
  enqueue(1);
  for (let g = 0; g < groups.length && ahead.length > 0; g++) {
    let current: Awaited<ReturnType<typeof embedGroup>>;
    try {
      current = await ahead.shift()!;
    } catch (error) {
      if (handle.signal.aborted) return;
      for (const { name } of groups[g]!) fail(name, error);
      handle.update((p) => (p.filesDone += groups[g]!.length));
      enqueue(g + 2);
      continue;
    }
    enqueue(g + 2);
    try {
      const results = await ingestor.write(ws, current.batch);
      handle.update((p) => {
        results.forEach((r, k) => {
          if ('error' in r) p.errors.push({ file: current.inputs[k]!.name, error: r.error.message });
          else if (r.status === 'unchanged') p.unchanged++;
          else {
            p.documents++;
            p.chunks += r.chunks;
          }
        });
      });
    } catch (error) {
      for (const name of new Set(current.inputs.map((i) => i.name))) fail(name, error);
    } finally {
      handle.update((p) => (p.filesDone += current.group.length));
    }
    if (handle.signal.aborted) return;
  }
}

const FILES_PER_GROUP = 64;
const SYNC_READ_MAX_BYTES = 256 * 1024;

/** One file's documents; a document's id is the file's path (with `#record` for JSON/JSONL records). */
async function loadFile(rootReal: string, file: string, name: string, options: FolderIngestOptions): Promise<IngestInput[]> {
  const real = realpathSync(file);
  if (!within(rootReal, real)) throw new InvalidInputError('it is a symbolic link that leads outside the corpora root');
  const size = statSync(real).size;
  if (size > options.maxFileBytes) throw new InvalidInputError(`it has ${size} bytes; at most ${options.maxFileBytes} are accepted (MAX_FILE_BYTES)`);
  // A small file is read synchronously: an asynchronous read is four thread-pool round trips
  // (open, stat, read, close), measured at about 0.6 ms of CPU per file on two cores, some thirty
  // times the read itself. A large one is read asynchronously, so that the event loop stays free.
  const bytes = size <= SYNC_READ_MAX_BYTES ? readFileSync(real) : await readFile(real);
  const docs = await loaderFor(name)(bytes, name, options.load);
  return docs.map((doc, i) => ({ ...doc, id: docs.length === 1 && !doc.id ? name : `${name}#${doc.id ?? i}`, title: doc.title ?? name, source: name }));
}
