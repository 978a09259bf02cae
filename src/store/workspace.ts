import type { Logger } from '../core/logger.js';
import type { DocStore, GraphStore, LexicalIndex, NewDocument, PutOutcome, VectorIndex } from './types.js';

/** What a storage backend opens for one workspace. */
export interface WorkspaceParts {
  docs: DocStore;
  lexical: LexicalIndex;
  vectors: VectorIndex;
  graph: GraphStore;
  /**
   * The store maintains the vector index itself, in the same transaction as the chunks (a
   * database index over the stored vectors): the workspace then neither adds, removes nor
   * reconciles vectors. Absent or false: the index is separate derived data (hnswlib).
   */
  storeIndexesVectors?: boolean;
  /** Rebuilds the vector index from the store (compaction); absent where the backend needs none. */
  rebuildVectors?: () => Promise<void>;
  /** Share of the vector index taken by deleted entries. */
  deletedFraction?: () => number;
}

const PERSIST_EVERY_MS = 10_000;
const COMPACT_WHEN_DELETED = 0.3;

/**
 * One workspace: its store, lexical index and vector index, kept in step. The store is the
 * truth and is written first, in one transaction; a separate vector index follows and is
 * brought back in line with the store whenever the workspace is opened. Writes to a separate
 * index are serialised per workspace, so that the index sees them in the store's order.
 */
export class Workspace {
  private persistTimer: NodeJS.Timeout | undefined;
  private writes: Promise<unknown> = Promise.resolve();

  constructor(
    readonly name: string,
    private readonly parts: WorkspaceParts,
    private readonly logger: Logger,
    private readonly written: (ws: Workspace) => void = () => {},
  ) {}

  get docs(): DocStore {
    return this.parts.docs;
  }

  get lexical(): LexicalIndex {
    return this.parts.lexical;
  }

  get graph(): GraphStore {
    return this.parts.graph;
  }

  get vectors(): VectorIndex {
    return this.parts.vectors;
  }

  /** Makes the vector index hold exactly the store's chunks. */
  async reconcile(): Promise<{ added: number; removed: number }> {
    if (this.parts.storeIndexesVectors) return { added: 0, removed: 0 };
    return this.serial(async () => {
      const stored = new Set(await this.docs.allChunkIds());
      const indexed = new Set(await this.vectors.ids());
      const stale = [...indexed].filter((id) => !stored.has(id));
      const missing = [...stored].filter((id) => !indexed.has(id));
      await this.vectors.remove(stale);
      for (let i = 0; i < missing.length; i += 512) {
        const ids = missing.slice(i, i + 512);
        const vectors = await this.docs.getVectors(ids);
        await this.vectors.add(ids.map((id) => ({ id, vector: vectors.get(id)! })));
      }
      if (stale.length || missing.length) {
        this.logger.info({ workspace: this.name, added: missing.length, removed: stale.length }, 'vector index reconciled with the store');
        this.schedulePersist();
      }
      return { added: missing.length, removed: stale.length };
    });
  }

  async put(doc: NewDocument): Promise<PutOutcome> {
    return (await this.putMany([doc]))[0]!;
  }

  /** Writes documents in one store transaction, then brings the vector index along. */
  async putMany(docs: readonly NewDocument[]): Promise<PutOutcome[]> {
    if (docs.length === 0) return [];
    if (this.parts.storeIndexesVectors) {
      const outcomes = await this.docs.putDocuments(docs);
      if (outcomes.some((o) => o.status !== 'unchanged')) this.written(this);
      return outcomes;
    }
    return this.serial(async () => {
      const outcomes = await this.docs.putDocuments(docs);
      for (const [d, outcome] of outcomes.entries()) {
        if (outcome.status === 'unchanged') continue;
        await this.vectors.remove(outcome.removedChunkIds);
        await this.vectors.add(outcome.addedChunkIds.map((id, i) => ({ id, vector: docs[d]!.chunks[i]!.vector })));
      }
      if (outcomes.some((o) => o.status !== 'unchanged')) await this.afterWrite();
      return outcomes;
    });
  }

  async delete(id: string): Promise<boolean> {
    if (this.parts.storeIndexesVectors) {
      const removed = await this.docs.deleteDocument(id);
      if (removed) this.written(this);
      return removed !== undefined;
    }
    return this.serial(async () => {
      const removed = await this.docs.deleteDocument(id);
      if (!removed) return false;
      await this.vectors.remove(removed);
      await this.afterWrite();
      return true;
    });
  }

  async close(): Promise<void> {
    clearTimeout(this.persistTimer);
    await this.writes;
    await this.vectors.close();
    await this.docs.close();
  }

  /** Runs `task` after the workspace's earlier writes have finished. */
  private serial<T>(task: () => Promise<T>): Promise<T> {
    const run = this.writes.then(task, task);
    this.writes = run.catch(() => undefined);
    return run;
  }

  private async afterWrite(): Promise<void> {
    if (this.parts.rebuildVectors && (this.parts.deletedFraction?.() ?? 0) > COMPACT_WHEN_DELETED) {
      await this.parts.rebuildVectors();
      this.logger.info({ workspace: this.name }, 'vector index compacted');
    }
    this.schedulePersist();
    this.written(this);
  }

  private schedulePersist(): void {
    if (this.persistTimer) return;
    this.persistTimer = setTimeout(() => {
      this.persistTimer = undefined;
      this.vectors.persist().catch((error: unknown) => this.logger.error({ workspace: this.name, err: error }, 'could not persist the vector index'));
    }, PERSIST_EVERY_MS);
    this.persistTimer.unref();
  }
}
