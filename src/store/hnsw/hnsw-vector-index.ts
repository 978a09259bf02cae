import { existsSync } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import hnswlib from 'hnswlib-node';
import type { ScoredId, VectorIndex } from '../types.js';

export interface HnswParams {
  m: number;
  efConstruction: number;
  efSearch: number;
}

const INITIAL_CAPACITY = 1024;
/** Points added between yields to the event loop (about 10–20 ms of work). */
const ADD_SLICE = 64;

function isLive(index: hnswlib.HierarchicalNSW, id: number): boolean {
  try {
    index.getPoint(id);
    return true;
  } catch {
    return false;
  }
}

/**
 * An hnswlib inner-product index whose labels are chunk ids. It grows by doubling, marks
 * deletes, and is persisted to one file (written aside, then renamed). It is derived data:
 * the DocStore is the truth, and the workspace reconciles the two at start-up.
 */
export class HnswVectorIndex implements VectorIndex {
  private index: hnswlib.HierarchicalNSW;
  private live = new Set<number>();
  private deletedCount = 0;
  private dirty = false;
  private currentEf = -1;
  private changes: Promise<unknown> = Promise.resolve();

  private constructor(
    readonly dim: number,
    private readonly path: string,
    private params: HnswParams,
  ) {
    this.index = HnswVectorIndex.empty(dim, params, INITIAL_CAPACITY);
  }

  /** Opens the index file at `path` if it exists (or starts empty). */
  static open(path: string, dim: number, params: HnswParams): HnswVectorIndex {
    const vi = new HnswVectorIndex(dim, path, params);
    if (existsSync(path)) {
      try {
        const loaded = new hnswlib.HierarchicalNSW('ip', dim);
        loaded.readIndexSync(path, true);
        loaded.setEf(params.efSearch);
        vi.index = loaded;
        vi.currentEf = -1;
        // Live labels only: the file's id list also holds labels marked deleted, which hnswlib
        // refuses to give a point for. The workspace then removes those its store no longer has.
        vi.live = new Set(loaded.getIdsList().filter((id) => isLive(loaded, id)));
        vi.deletedCount = loaded.getCurrentCount() - vi.live.size;
      } catch {
        // An unreadable index is rebuilt from the store by reconciliation.
        vi.index = HnswVectorIndex.empty(dim, params, INITIAL_CAPACITY);
      }
    }
    return vi;
  }

  private static empty(dim: number, params: HnswParams, capacity: number): hnswlib.HierarchicalNSW {
    const index = new hnswlib.HierarchicalNSW('ip', dim);
    index.initIndex({ maxElements: capacity, m: params.m, efConstruction: params.efConstruction, randomSeed: 100, allowReplaceDeleted: false });
    index.setEf(params.efSearch);
    return index;
  }

  /** Breadth of the search (higher: better recall, slower); takes effect on the next search. */
  set efSearch(ef: number) {
    this.params = { ...this.params, efSearch: ef };
  }

  get size(): number {
    return this.live.size;
  }

  async count(): Promise<number> {
    return this.live.size;
  }

  /** Share of stored points that are deleted; compaction is worth it when this grows. */
  get deletedFraction(): number {
    const stored = this.live.size + this.deletedCount;
    return stored === 0 ? 0 : this.deletedCount / stored;
  }

  /** Adds in slices, yielding between them, so that a large document does not hold up the event loop. */
  async add(items: ReadonlyArray<{ id: number; vector: Float32Array }>): Promise<void> {
    await this.exclusively(() => this.addInSlices(this.index, this.live, items));
    this.dirty ||= items.length > 0;
  }

  private async addInSlices(index: hnswlib.HierarchicalNSW, live: Set<number>, items: ReadonlyArray<{ id: number; vector: Float32Array }>): Promise<void> {
    const fresh = items.filter((item) => !live.has(item.id));
    const needed = index.getCurrentCount() + fresh.length;
    if (needed > index.getMaxElements()) {
      let capacity = index.getMaxElements();
      while (capacity < needed) capacity *= 2;
      index.resizeIndex(capacity);
    }
    for (const [i, { id, vector }] of fresh.entries()) {
      if (i > 0 && i % ADD_SLICE === 0) await yieldToEventLoop();
      if (vector.length !== this.dim) throw new RangeError(`vector ${id} has ${vector.length} dimensions, the index has ${this.dim}`);
      index.addPoint(Array.from(vector), id);
      live.add(id);
    }
  }

  async remove(ids: readonly number[]): Promise<void> {
    await this.exclusively(async () => this.removeNow(ids));
  }

  private removeNow(ids: readonly number[]): void {
    for (const id of ids) {
      if (!this.live.delete(id)) continue;
      try {
        this.index.markDelete(id);
      } catch {
        // Already marked deleted (an index read from a file written before the delete was recorded).
      }
      this.deletedCount++;
      this.dirty = true;
    }
  }

  async search(query: Float32Array, k: number): Promise<ScoredId[]> {
    const n = Math.min(k, this.live.size);
    if (n <= 0) return [];
    const ef = Math.max(this.params.efSearch, n);
    if (ef !== this.currentEf) {
      this.index.setEf(ef);
      this.currentEf = ef;
    }
    const { neighbors, distances } = this.index.searchKnn(Array.from(query), n);
    // hnswlib's inner-product "distance" is 1 - <q, v>.
    return neighbors.map((id, i) => ({ id, score: 1 - distances[i]! }));
  }

  async ids(): Promise<number[]> {
    return [...this.live];
  }

  /**
   * Starts over from `source` (compaction after many deletes, or a lost file). The new index is
   * built aside, in slices, and replaces the old one when complete, so searches meanwhile use the old one.
   */
  async rebuild(source: AsyncIterable<Array<{ id: number; vector: Float32Array }>>, expected: number): Promise<void> {
    await this.exclusively(async () => {
      const next = HnswVectorIndex.empty(this.dim, this.params, Math.max(INITIAL_CAPACITY, expected));
      const live = new Set<number>();
      for await (const batch of source) await this.addInSlices(next, live, batch);
      this.index = next;
      this.live = live;
      this.currentEf = -1;
      this.deletedCount = 0;
      this.dirty = true;
    });
  }

  /** Writes the file on a background thread; no add or remove touches the index meanwhile. */
  async persist(): Promise<void> {
    await this.exclusively(async () => {
      if (!this.dirty) return;
      const tmp = `${this.path}.${process.pid}.tmp`;
      this.dirty = false;
      try {
        await this.index.writeIndex(tmp);
        await rename(tmp, this.path);
      } catch (error) {
        this.dirty = true;
        throw error;
      } finally {
        await rm(tmp, { force: true });
      }
    });
  }

  /** Runs `task` after the index's earlier changes and writes (hnswlib is not safe to change while it is written). */
  private exclusively<T>(task: () => Promise<T>): Promise<T> {
    const run = this.changes.then(task, task);
    this.changes = run.catch(() => undefined);
    return run;
  }

  async close(): Promise<void> {
    await this.persist();
  }
}
