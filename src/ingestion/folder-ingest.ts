import { readFileSync, realpathSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { glob } from 'tinyglobby';
import { AppError, InvalidInputError } from '../core/errors.js';
import type { JobHandle } from '../jobs/jobs.js';
import type { Workspace } from '../store/workspace.js';
import type { IngestInput, Ingestor } from './ingestor.js';
import { ACCEPTED_EXTENSIONS } from './loaders/index.js';
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

const ACCEPTED_GLOB =
  'a pattern relative to the ingest folder that stays inside it: "/" between folders, no segment that is or starts with "..", not absolute, a backslash only before a glob character (e.g. "**/*.md", "notes/*.{txt,md}", "a\\[1\\].txt")';
/** Characters a backslash may escape, so that a file name holding them can be matched literally. */
const ESCAPABLE = new Set([...'*?[]{}()!+@|,']);
const MAX_BRACE_EXPANSIONS = 1024;

/**
 * Refuses (400) a glob that could reach outside the ingest folder: absolute patterns ("/etc/**",
 * "C:\x", "\\server\x"), a ".." segment anywhere (also in a brace or extglob alternative, such
 * as "{..,x}/**" or "@(..)/x"), and backslashes other than escapes of glob characters (tinyglobby
 * drops backslashes from the folder it starts walking in, so "\.\./**" would walk the parent).
 * The job also keeps only files inside the folder; this check gives the client a 400 at once.
 */
export function checkGlob(pattern: string): void {
  const refuse = (why: string): never => {
    throw new InvalidInputError(`glob "${pattern}" ${why}; accepted: ${ACCEPTED_GLOB}`);
  };
  if (/[\u0000-\u001f]/.test(pattern)) refuse('has a control character');
  for (let i = 0; i < pattern.length; i++) {
    if (pattern[i] !== '\\') continue;
    if (!ESCAPABLE.has(pattern[i + 1] ?? '')) refuse('has a backslash that does not escape a glob character (folders are separated by "/")');
    i++;
  }
  const alternatives = expandBraces(pattern);
  if (alternatives === undefined) refuse(`has more than ${MAX_BRACE_EXPANSIONS} brace alternatives`);
  for (const alternative of alternatives!) {
    const bare = alternative.replace(/^!+/, ''); // a leading "!" negates
    if (bare.startsWith('/') || /^[A-Za-z]:/.test(bare)) refuse('is absolute');
    // Path segments and extglob alternatives ("@(a|..)") alike: none may be ".." or start with it
    // (tinyglobby walks the parent for any pattern that starts with "..", and "..*" matches "..").
    if (bare.split(/[/()|]/).some((piece) => piece.startsWith('..'))) refuse('has a ".." segment (or one that starts with ".."), which leads out of the ingest folder');
  }
}

/**
 * The patterns a glob's comma alternatives ("{a,b}", nested too) stand for, innermost group
 * first; a group without a comma is literal. Undefined past MAX_BRACE_EXPANSIONS.
 */
function expandBraces(pattern: string): string[] | undefined {
  const LITERAL_OPEN = '\u0000';
  const LITERAL_CLOSE = '\u0001';
  const done: string[] = [];
  const todo = [pattern];
  while (todo.length > 0) {
    const p = todo.pop()!;
    let open = -1;
    let group: [number, number] | undefined;
    for (let i = 0; i < p.length && !group; i++) {
      if (p[i] === '\\') i++;
      else if (p[i] === '{') open = i;
      else if (p[i] === '}' && open >= 0) group = [open, i];
    }
    if (!group) {
      done.push(p.replaceAll(LITERAL_OPEN, '{').replaceAll(LITERAL_CLOSE, '}'));
      if (done.length > MAX_BRACE_EXPANSIONS) return undefined;
      continue;
    }
    const [start, end] = group;
    const parts: string[] = [];
    let from = start + 1;
    for (let i = start + 1; i < end; i++) {
      if (p[i] === '\\') i++;
      else if (p[i] === ',') (parts.push(p.slice(from, i)), (from = i + 1));
    }
    parts.push(p.slice(from, end));
    if (parts.length === 1) todo.push(p.slice(0, start) + LITERAL_OPEN + parts[0] + LITERAL_CLOSE + p.slice(end + 1));
    else for (const part of parts) todo.push(p.slice(0, start) + part + p.slice(end + 1));
    if (todo.length + done.length > MAX_BRACE_EXPANSIONS) return undefined;
  }
  return done;
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
 * Only files inside the folder are read or named: a match outside it (which `checkGlob`
 * already refuses) is dropped unseen, and a file reached through a symbolic link that leads
 * out of the folder is recorded under its name inside the folder, unread.
 */
export async function ingestFolder(ws: Workspace, ingestor: Ingestor, options: FolderIngestOptions, handle: JobHandle): Promise<void> {
  const rootReal = realpathSync(options.root);
  const folder = resolveUnderRoot(options.root, options.path);
  checkGlob(options.glob);
  const matched = await glob(options.glob, { cwd: folder, onlyFiles: true, followSymbolicLinks: false, absolute: true, dot: false });
  const files = matched.filter((file) => within(folder, resolve(file))).sort();
  handle.update((p) => (p.filesTotal = files.length));
  const fail = (file: string, error: unknown) => handle.update((p) => p.errors.push({ file, error: describeError(error, rootReal) }));
  // Files go in groups, so that their chunks are embedded in full batches and written in one
  // transaction; while one group is written, the next is already being embedded.
  const groups: Array<Array<{ file: string; name: string }>> = [];
  for (let g = 0; g < files.length; g += FILES_PER_GROUP) groups.push(files.slice(g, g + FILES_PER_GROUP).map((file) => ({ file, name: relative(rootReal, file) })));
  const embedGroup = async (group: Array<{ file: string; name: string }>) => {
    const inputs: Array<{ name: string; input: IngestInput }> = [];
    for (const { file, name } of group) {
      try {
        inputs.push(...(await loadFile(ingestor, folder, file, name, options, handle.signal)).map((input) => ({ name, input })));
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

/**
 * What a job's error list says about a failure: an AppError's own message; for a file-system
 * error only its code (its message holds an absolute path); else the message with the corpora
 * root's absolute path left out.
 */
function describeError(error: unknown, rootReal: string): string {
  if (error instanceof AppError) return error.message;
  if (typeof error === 'object' && error !== null && 'syscall' in error && typeof (error as NodeJS.ErrnoException).code === 'string') return `could not read it (${(error as NodeJS.ErrnoException).code})`;
  return `internal error: ${String((error as Error | undefined)?.message ?? error).replaceAll(rootReal, '<corpora root>')}`;
}

/** One file's documents; a document's id is the file's path (with `#record` for JSON/JSONL records). */
async function loadFile(ingestor: Ingestor, folder: string, file: string, name: string, options: FolderIngestOptions, signal: AbortSignal): Promise<IngestInput[]> {
  const real = realpathSync(file);
  if (!within(folder, real)) throw new InvalidInputError('it is reached through a symbolic link that leads outside the ingest folder; only files inside the folder are ingested');
  const size = statSync(real).size;
  if (size > options.maxFileBytes) throw new InvalidInputError(`it has ${size} bytes; at most ${options.maxFileBytes} are accepted (MAX_FILE_BYTES)`);
  // A small file is read synchronously: an asynchronous read is four thread-pool round trips
  // (open, stat, read, close), measured at about 0.6 ms of CPU per file on two cores, some thirty
  // times the read itself. A large one is read asynchronously, so that the event loop stays free.
  const bytes = size <= SYNC_READ_MAX_BYTES ? readFileSync(real) : await readFile(real);
  const docs = await ingestor.load(bytes, name, options.load, signal);
  return docs.map((doc, i) => ({ ...doc, id: docs.length === 1 && !doc.id ? name : `${name}#${doc.id ?? i}`, title: doc.title ?? name, source: name }));
}
