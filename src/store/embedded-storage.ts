import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { HnswVectorIndex } from './hnsw/hnsw-vector-index.js';
import type { HnswParams } from './hnsw/hnsw-vector-index.js';
import { Fts5LexicalIndex } from './sqlite/fts5-lexical-index.js';
import { SqliteDocStore } from './sqlite/sqlite-doc-store.js';
import { SqliteGraphStore } from './sqlite/sqlite-graph-store.js';
import { SqliteWriteThread } from './sqlite/sqlite-writes.js';
import type { WorkspaceParts } from './workspace.js';
import type { StorageBackend } from './workspaces.js';

/**
 * The embedded backend: one folder per workspace under `<DATA_DIR>/workspaces/`, holding
 * `store.sqlite` (documents, chunks, vectors, FTS5, graph extractions and index) and `vectors.hnsw` (the HNSW index).
 * Reads run on the event loop; writes run on one write thread (see sqlite-writes.ts).
 */
export class EmbeddedStorage implements StorageBackend {
  readonly name = 'embedded';
  private readonly root: string;
  /** Every workspace file's writes, off the event loop. */
  private readonly writeThread = new SqliteWriteThread();

  constructor(
    dataDir: string,
    private readonly dim: number,
    private readonly hnsw: HnswParams,
  ) {
    this.root = join(dataDir, 'workspaces');
    mkdirSync(this.root, { recursive: true });
  }

  async close(): Promise<void> {
    await this.writeThread.close();
  }

  async exists(workspace: string): Promise<boolean> {
    return existsSync(join(this.root, workspace, 'store.sqlite'));
  }

  async list(): Promise<string[]> {
    return readdirSync(this.root, { withFileTypes: true })
      .filter((d) => d.isDirectory() && existsSync(join(this.root, d.name, 'store.sqlite')))
      .map((d) => d.name);
  }

  async open(workspace: string): Promise<WorkspaceParts> {
    const folder = join(this.root, workspace);
    mkdirSync(folder, { recursive: true });
    const path = join(folder, 'store.sqlite');
    const writes = await this.writeThread.open(path);
    const docs = new SqliteDocStore(path, writes);
    const vectors = HnswVectorIndex.open(join(folder, 'vectors.hnsw'), this.dim, this.hnsw);
    return {
      docs,
      lexical: new Fts5LexicalIndex(docs.db),
      vectors,
      graph: new SqliteGraphStore(docs.db, writes),
      rebuildVectors: async () => vectors.rebuild(docs.scanVectors(1024), (await docs.counts()).chunks),
      deletedFraction: () => vectors.deletedFraction,
    };
  }
}
