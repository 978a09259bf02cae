import { existsSync } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * The folder where models made here (converted from TF.js) or fetched from a hub are kept.
 * Files are named by a fingerprint of their source, written atomically, and never committed.
 */
export class ModelCache {
  constructor(readonly dir: string) {}

  /** The path of `name` (built by `build` if it is not cached yet). */
  async file(name: string, build: () => Promise<Uint8Array>): Promise<string> {
    const path = join(this.dir, name);
    if (existsSync(path)) return path;
    await mkdir(this.dir, { recursive: true });
    const tmp = `${path}.${process.pid}.${Date.now()}.tmp`;
    try {
      await writeFile(tmp, await build());
      await rename(tmp, path); // atomic: readers see the whole file or none
    } finally {
      await rm(tmp, { force: true });
    }
    return path;
  }

  /** Removes a cached file (after it was found corrupt) so the next `file()` rebuilds it. */
  async evict(name: string): Promise<void> {
    await rm(join(this.dir, name), { force: true });
  }
}
