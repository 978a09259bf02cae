import { existsSync } from 'node:fs';
import { mkdir, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** `<family>-<16 hex digits>.<extension>`: a build fingerprinted by its source and the code that made it. */
const FINGERPRINTED = /^(.+)-[0-9a-f]{16}(\.[a-z]+)$/;

/**
 * The folder where models made here (converted from TF.js) or fetched from a hub are kept.
 * Files are named by a fingerprint of their source, written atomically, and never committed.
 * Building a fingerprinted file removes the other builds of its family (left by an earlier
 * converter version or an older package), so that upgrades do not pile up copies.
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
    await this.removeOtherBuilds(name);
    return path;
  }

  /** Removes a cached file (after it was found corrupt) so the next `file()` rebuilds it. */
  async evict(name: string): Promise<void> {
    await rm(join(this.dir, name), { force: true });
  }

  private async removeOtherBuilds(name: string): Promise<void> {
    const family = FINGERPRINTED.exec(name);
    if (!family) return;
    for (const other of await readdir(this.dir)) {
      const match = FINGERPRINTED.exec(other);
      if (other !== name && match && match[1] === family[1] && match[2] === family[2]) await rm(join(this.dir, other), { force: true });
    }
  }
}
