import type { Pool } from 'pg';
import { ConfigError } from '../../core/errors.js';
import type { WorkspaceParts } from '../workspace.js';
import type { StorageBackend } from '../workspaces.js';
import { migrate, openWorkspaceSchema } from './migrations.js';
import { PgDocStore } from './pg-doc-store.js';
import { PgGraphStore } from './pg-graph-store.js';
import { PgLexicalIndex } from './pg-lexical-index.js';
import { createPool, ident } from './pg-sql.js';
import { PgVectorIndex } from './pg-vector-index.js';

export interface PostgresOptions {
  url: string;
  poolMax: number;
  dim: number;
  hnsw: { m: number; efConstruction: number; efSearch: number };
}

/**
 * The PostgreSQL + pgvector backend: one schema per workspace (registered in `rag.workspaces`),
 * holding documents, chunks with tsvector/GIN, chunk vectors with an HNSW index, and the graph.
 * Several service instances may share the database: migrations run under an advisory lock, and
 * every write is one transaction.
 */
export class PostgresStorage implements StorageBackend {
  readonly name = 'postgres';

  private constructor(
    readonly pool: Pool,
    private readonly options: PostgresOptions,
  ) {}

  /** Connects and brings the global schema up to date. */
  static async connect(options: PostgresOptions): Promise<PostgresStorage> {
    const pool = createPool(options.url, options.poolMax);
    try {
      await migrate(pool);
    } catch (error) {
      await pool.end();
      const where = options.url.replace(/\/\/[^@/]*@/, '//'); // without the credentials
      throw new ConfigError(`cannot set up the database at DATABASE_URL ${where}: ${(error as Error).message} (it needs PostgreSQL with the pgvector extension available, and a role that may create schemas)`);
    }
    return new PostgresStorage(pool, options);
  }

  async exists(workspace: string): Promise<boolean> {
    return (await this.pool.query('SELECT 1 FROM rag.workspaces WHERE name = $1', [workspace])).rowCount! > 0;
  }

  async list(): Promise<string[]> {
    return (await this.pool.query<{ name: string }>('SELECT name FROM rag.workspaces ORDER BY name')).rows.map((r) => r.name);
  }

  async open(workspace: string, create: boolean): Promise<WorkspaceParts> {
    const { dim, hnsw } = this.options;
    const row = await openWorkspaceSchema(this.pool, workspace, create, { dim, hnswM: hnsw.m, hnswEfConstruction: hnsw.efConstruction });
    if (!row) throw new Error(`workspace "${workspace}" does not exist`);
    const s = ident(row.schema_name);
    return {
      docs: new PgDocStore(this.pool, s, workspace, row.dim),
      lexical: new PgLexicalIndex(this.pool, s),
      vectors: new PgVectorIndex(this.pool, s, row.dim, hnsw.efSearch),
      graph: new PgGraphStore(this.pool, s),
      storeIndexesVectors: true,
    };
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
