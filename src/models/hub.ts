import { existsSync } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { ModelFileError } from '../core/errors.js';

export interface HubOptions {
  /** Base URL of a Hugging Face compatible hub. */
  endpoint: string;
  revision: string;
  /** Where downloaded repositories are kept: `<cacheDir>/hub/<owner>/<name>/`. */
  cacheDir: string;
  signal?: AbortSignal;
}

export interface HubFile {
  path: string;
  /** Optional files are skipped when the repository does not have them. */
  optional?: boolean;
}

/** A repository id such as `Xenova/all-MiniLM-L6-v2`, as opposed to a folder path. */
export function looksLikeRepoId(source: string): boolean {
  return /^[\w.-]+\/[\w.-]+$/.test(source) && !existsSync(source);
}

/**
 * Downloads the listed files of a model repository into the cache (once), so that the
 * rest of the service loads it like any local folder. Needs a machine that is online.
 */
export async function fetchHubRepo(repoId: string, files: HubFile[], options: HubOptions): Promise<string> {
  const folder = join(options.cacheDir, 'hub', ...repoId.split('/'));
  for (const file of files) {
    const target = join(folder, file.path);
    if (existsSync(target)) continue;
    const url = `${options.endpoint.replace(/\/$/, '')}/${repoId}/resolve/${encodeURIComponent(options.revision)}/${file.path}`;
    let response: Response;
    try {
      response = await fetch(url, { signal: options.signal });
    } catch (cause) {
      throw new ModelFileError(url, `it could not be downloaded (${(cause as Error).message})`, cause, 'run on a machine that can reach the hub, or download the repository and point the setting at its local folder');
    }
    if (response.status === 404 && file.optional) continue;
    if (!response.ok) {
      throw new ModelFileError(url, `the hub answered ${response.status} ${response.statusText}`, undefined, 'check the repository id and revision, or use a local folder');
    }
    await mkdir(dirname(target), { recursive: true });
    const tmp = `${target}.${process.pid}.tmp`;
    try {
      await writeFile(tmp, new Uint8Array(await response.arrayBuffer()));
      await rename(tmp, target);
    } finally {
      await rm(tmp, { force: true });
    }
  }
  return folder;
}
