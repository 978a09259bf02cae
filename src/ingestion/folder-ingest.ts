import { realpathSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { glob } from 'tinyglobby';
import { AppError, InvalidInputError } from '../core/errors.js';
import type { JobHandle } from '../jobs/jobs.js';
import type { Workspace } from '../store/workspace.js';
import type { Ingestor } from './ingestor.js';
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
  for (const file of files) {
    if (handle.signal.aborted) return;
    const name = relative(rootReal, file);
    try {
      const real = realpathSync(file);
      if (!within(rootReal, real)) throw new InvalidInputError('it is a symbolic link that leads outside the corpora root');
      const size = statSync(real).size;
      if (size > options.maxFileBytes) throw new InvalidInputError(`it has ${size} bytes; at most ${options.maxFileBytes} are accepted (MAX_FILE_BYTES)`);
      const docs = await loaderFor(name)(await readFile(real), name, options.load);
      for (const [i, doc] of docs.entries()) {
        const id = docs.length === 1 && !doc.id ? name : `${name}#${doc.id ?? i}`;
        const result = await ingestor.ingest(ws, { ...doc, id, title: doc.title ?? name, source: name }, { signal: handle.signal });
        handle.update((p) => {
          if (result.status === 'unchanged') p.unchanged++;
          else p.documents++;
          p.chunks += result.status === 'unchanged' ? 0 : result.chunks;
        });
      }
    } catch (error) {
      if (handle.signal.aborted) return;
      const message = error instanceof AppError ? error.message : `internal error: ${(error as Error).message}`;
      handle.update((p) => p.errors.push({ file: name, error: message }));
    } finally {
      handle.update((p) => p.filesDone++);
    }
  }
}
