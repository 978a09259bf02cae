import type { Pool, PoolClient } from 'pg';
import { ident, inTransaction } from './pg-sql.js';

/**
 * Versioned schema changes. The global ones create the `rag` schema: the workspace registry,
 * the jobs and the API keys; the workspace ones create one workspace's schema. Both kinds are applied in
 * order inside one transaction under an advisory lock, so that service instances starting
 * together neither race nor apply a step twice. Applied steps are never edited: a change is a
 * new step with the next version.
 */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export interface WorkspaceMigration {
  version: number;
  name: string;
  sql: (schema: string, settings: WorkspaceSettings) => string;
}

export interface WorkspaceSettings {
  dim: number;
  hnswM: number;
  hnswEfConstruction: number;
}

export const GLOBAL_MIGRATIONS: Migration[] = [
  {
    version: 1,
    name: 'pgvector and the workspace registry',
    sql: `
      CREATE EXTENSION IF NOT EXISTS vector;
      CREATE TABLE rag.workspaces (
        name TEXT PRIMARY KEY,
        schema_name TEXT NOT NULL UNIQUE,
        dim INTEGER NOT NULL,
        version INTEGER NOT NULL,
        created_at TIMESTAMPTZ NOT NULL DEFAULT now()
      );
      CREATE SEQUENCE rag.workspace_schema_seq;`,
  },
  {
    version: 2,
    name: 'jobs shared by all instances',
    sql: `
      CREATE TABLE rag.jobs (
        id TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        workspace TEXT NOT NULL,
        state TEXT NOT NULL,
        job JSONB NOT NULL,
        cancel_requested BOOLEAN NOT NULL DEFAULT false,
        created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
        updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
      );
      CREATE INDEX jobs_finished ON rag.jobs (updated_at) WHERE state IN ('succeeded', 'failed', 'cancelled');`,
  },
  {
    version: 3,
    name: 'API keys shared by all instances',
    sql: `
      CREATE TABLE rag.api_keys (
        id TEXT PRIMARY KEY,
        key_hash TEXT NOT NULL UNIQUE,
        name TEXT NOT NULL,
        scopes TEXT NOT NULL,
        created_at TEXT NOT NULL,
        revoked_at TEXT
      );`,
  },
];

export const WORKSPACE_MIGRATIONS: WorkspaceMigration[] = [
  {
    version: 1,
    name: 'documents, chunks with full-text vectors, chunk vectors with HNSW, graph',
    sql: (s, { dim, hnswM, hnswEfConstruction }) => `
      CREATE SCHEMA ${s};
      CREATE TABLE ${s}.meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      CREATE TABLE ${s}.documents (
        id TEXT PRIMARY KEY,
        title TEXT,
        source TEXT,
        mime TEXT NOT NULL,
        content_hash TEXT NOT NULL,
        metadata TEXT NOT NULL,
        text TEXT NOT NULL,
        char_count INTEGER NOT NULL,
        chunk_count INTEGER NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
      );
      CREATE TABLE ${s}.chunks (
        id BIGSERIAL PRIMARY KEY,
        doc_id TEXT NOT NULL REFERENCES ${s}.documents(id) ON DELETE CASCADE,
        ordinal INTEGER NOT NULL,
        text TEXT NOT NULL,
        start INTEGER NOT NULL,
        "end" INTEGER NOT NULL,
        page INTEGER,
        token_count INTEGER NOT NULL,
        tsv TSVECTOR GENERATED ALWAYS AS (to_tsvector('english'::regconfig, text)) STORED,
        -- Indexed words (positions in tsv, stop words excluded): BM25's document length.
        lexemes INTEGER NOT NULL
      );
      CREATE INDEX chunks_by_doc ON ${s}.chunks (doc_id, ordinal);
      CREATE INDEX chunks_tsv ON ${s}.chunks USING gin (tsv);
      CREATE TABLE ${s}.chunk_vectors (id BIGINT PRIMARY KEY, embedding vector(${dim}) NOT NULL);
      CREATE INDEX chunk_vectors_hnsw ON ${s}.chunk_vectors USING hnsw (embedding vector_ip_ops) WITH (m = ${hnswM}, ef_construction = ${hnswEfConstruction});
      CREATE TABLE ${s}.graph_extractions (chunk_id BIGINT NOT NULL, extractor TEXT NOT NULL, json TEXT NOT NULL, PRIMARY KEY (chunk_id, extractor));
      CREATE TABLE ${s}.graph_snapshot (id INTEGER PRIMARY KEY CHECK (id = 1), json TEXT NOT NULL);
      CREATE TABLE ${s}.graph_vectors (key TEXT PRIMARY KEY, vector BYTEA NOT NULL);`,
  },
  {
    version: 2,
    name: 'the built graph as tables: entities, relations, communities, reports',
    sql: (s) => `
      CREATE TABLE ${s}.graph_entities (id TEXT PRIMARY KEY, name TEXT NOT NULL, type TEXT NOT NULL, mentions INTEGER NOT NULL, forms JSONB NOT NULL, descriptions JSONB NOT NULL, chunk_ids JSONB NOT NULL);
      CREATE TABLE ${s}.graph_relations (source TEXT NOT NULL, target TEXT NOT NULL, weight DOUBLE PRECISION NOT NULL, descriptions JSONB NOT NULL, chunk_ids JSONB NOT NULL, PRIMARY KEY (source, target));
      CREATE INDEX graph_relations_target ON ${s}.graph_relations (target);
      CREATE TABLE ${s}.graph_communities (id TEXT PRIMARY KEY, level INTEGER NOT NULL, parent TEXT, members JSONB NOT NULL);
      CREATE TABLE ${s}.graph_reports (community_id TEXT PRIMARY KEY, level INTEGER NOT NULL, title TEXT NOT NULL, summary TEXT NOT NULL, rating DOUBLE PRECISION NOT NULL, findings JSONB NOT NULL, content_hash TEXT NOT NULL, vector_key TEXT NOT NULL);`,
  },
];

export const WORKSPACE_VERSION = WORKSPACE_MIGRATIONS.at(-1)!.version;

const GLOBAL_LOCK = 'rag:migrations';

/** Applies the global migrations not yet applied; returns the versions it applied. */
export async function migrate(pool: Pool): Promise<number[]> {
  return inTransaction(pool, async (client) => {
    await client.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [GLOBAL_LOCK]);
    await client.query(`
      CREATE SCHEMA IF NOT EXISTS rag;
      CREATE TABLE IF NOT EXISTS rag.schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now());`);
    const done = new Set((await client.query<{ version: number }>('SELECT version FROM rag.schema_migrations')).rows.map((r) => r.version));
    const applied: number[] = [];
    for (const m of GLOBAL_MIGRATIONS) {
      if (done.has(m.version)) continue;
      await client.query(m.sql);
      await client.query('INSERT INTO rag.schema_migrations (version, name) VALUES ($1, $2)', [m.version, m.name]);
      applied.push(m.version);
    }
    return applied;
  });
}

export interface WorkspaceRow {
  name: string;
  schema_name: string;
  dim: number;
  version: number;
}

/**
 * The registry row of workspace `name`, creating its schema when `create` is set and bringing
 * an older schema up to date; undefined when it does not exist and `create` is not set.
 */
export async function openWorkspaceSchema(pool: Pool, name: string, create: boolean, settings: WorkspaceSettings): Promise<WorkspaceRow | undefined> {
  const current = await findWorkspace(pool, name);
  if (current && current.version === WORKSPACE_VERSION) return current;
  if (!current && !create) return undefined;
  return inTransaction(pool, async (client) => {
    await client.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [`rag:workspace:${name}`]);
    let row = await findWorkspace(client, name); // again, under the lock: another instance may have done it
    if (!row) {
      const { rows } = await client.query<WorkspaceRow>(
        `INSERT INTO rag.workspaces (name, schema_name, dim, version) VALUES ($1, 'ws_' || nextval('rag.workspace_schema_seq'), $2, 0) RETURNING name, schema_name, dim, version`,
        [name, settings.dim],
      );
      row = rows[0]!;
    }
    for (const m of WORKSPACE_MIGRATIONS) {
      if (m.version <= row.version) continue;
      await client.query(m.sql(ident(row.schema_name), { ...settings, dim: row.dim }));
    }
    await client.query('UPDATE rag.workspaces SET version = $2 WHERE name = $1', [name, WORKSPACE_VERSION]);
    return { ...row, version: WORKSPACE_VERSION };
  });
}

async function findWorkspace(db: Pool | PoolClient, name: string): Promise<WorkspaceRow | undefined> {
  return (await db.query<WorkspaceRow>('SELECT name, schema_name, dim, version FROM rag.workspaces WHERE name = $1', [name])).rows[0];
}
