import type { Logger } from '../core/logger.js';
import type { DocStore, GraphStore, LexicalIndex, NewDocument, PutOutcome, VectorIndex } from './types.js';

/** What a storage backend opens for one workspace. */
export interface WorkspaceParts {
  docs: DocStore;
  lexical: LexicalIndex;
  vectors: VectorIndex;
  graph: GraphStore;
  /** Rebuilds the vector index from the store (compaction); absent where the backend needs none. */
  rebuildVectors?: () => void;
  /** Share of the vector index taken by deleted entries. */
  deletedFraction?: () => number;
}

const PERSIST_EVERY_MS = 10_000;
const COMPACT_WHEN_DELETED = 0.3;

/**
 * One workspace: its store, lexical index and vector index, kept in step. The store is the
 * truth and is written first, in one transaction; the vector index follows and is brought
 * back in line with the store whenever the workspace is opened.
 */
export class Workspace {
  private persistTimer: NodeJS.Timeout | undefined;

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
  reconcile(): { added: number; removed: number } {
    const stored = new Set(this.docs.allChunkIds());
    const indexed = new Set(this.vectors.ids());
    const stale = [...indexed].filter((id) => !stored.has(id));
    const missing = [...stored].filter((id) => !indexed.has(id));
    this.vectors.remove(stale);
    for (let i = 0; i < missing.length; i += 512) {
      const ids = missing.slice(i, i + 512);
      const vectors = this.docs.getVectors(ids);
      this.vectors.add(ids.map((id) => ({ id, vector: vectors.get(id)! })));
    }
    if (stale.length || missing.length) {
      this.logger.info({ workspace: this.name, added: missing.length, removed: stale.length }, 'vector index reconciled with the store');
      this.schedulePersist();
    }
    return { added: missing.length, removed: stale.length };
  }

  put(doc: NewDocument): PutOutcome {
    return this.putMany([doc])[0]!;
  }

  /** Writes documents in one store transaction, then brings the vector index along. */
  putMany(docs: readonly NewDocument[]): PutOutcome[] {
    if (docs.length === 0) return [];
    const outcomes = this.docs.putDocuments(docs);
    outcomes.forEach((outcome, d) => {
      if (outcome.status === 'unchanged') return;
      this.vectors.remove(outcome.removedChunkIds);
      this.vectors.add(outcome.addedChunkIds.map((id, i) => ({ id, vector: docs[d]!.chunks[i]!.vector })));
    });
    if (outcomes.some((o) => o.status !== 'unchanged')) this.afterWrite();
    return outcomes;
  }

  delete(id: string): boolean {
    const removed = this.docs.deleteDocument(id);
    if (!removed) return false;
    this.vectors.remove(removed);
    this.afterWrite();
    return true;
  }

  async close(): Promise<void> {
    clearTimeout(this.persistTimer);
    await this.vectors.close();
    this.docs.close();
  }

  private afterWrite(): void {
    if (this.parts.rebuildVectors && (this.parts.deletedFraction?.() ?? 0) > COMPACT_WHEN_DELETED) {
      this.parts.rebuildVectors();
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
