import type { Pool } from 'pg';
import { hashKey, newKeySecret, toApiKeyRecord } from './api-key-store.js';
import type { ScopeMap } from './access.js';
import type { ApiKeyRecord, ApiKeyRow, ApiKeyStore } from './api-key-store.js';

const COLUMNS = 'id, name, scopes, created_at, revoked_at';

/** API keys in `rag.api_keys`: a key made on one instance works (and is revoked) on all of them. */
export class PgApiKeyStore implements ApiKeyStore {
  constructor(private readonly pool: Pool) {}

  async create(name: string, scopes: ScopeMap): Promise<{ key: string; record: ApiKeyRecord }> {
    const { id, key } = newKeySecret();
    const createdAt = new Date().toISOString();
    await this.pool.query('INSERT INTO rag.api_keys (id, key_hash, name, scopes, created_at) VALUES ($1, $2, $3, $4, $5)', [id, hashKey(key), name, JSON.stringify(scopes), createdAt]);
    return { key, record: { id, name, scopes, createdAt, revokedAt: null } };
  }

  async verify(key: string): Promise<ApiKeyRecord | undefined> {
    const row = (await this.pool.query<ApiKeyRow>(`SELECT ${COLUMNS} FROM rag.api_keys WHERE key_hash = $1 AND revoked_at IS NULL`, [hashKey(key)])).rows[0];
    return row && toApiKeyRecord(row);
  }

  async list(): Promise<ApiKeyRecord[]> {
    return (await this.pool.query<ApiKeyRow>(`SELECT ${COLUMNS} FROM rag.api_keys ORDER BY created_at, id`)).rows.map(toApiKeyRecord);
  }

  async get(id: string): Promise<ApiKeyRecord | undefined> {
    const row = (await this.pool.query<ApiKeyRow>(`SELECT ${COLUMNS} FROM rag.api_keys WHERE id = $1`, [id])).rows[0];
    return row && toApiKeyRecord(row);
  }

  async revoke(id: string): Promise<boolean> {
    const { rowCount } = await this.pool.query('UPDATE rag.api_keys SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL', [id, new Date().toISOString()]);
    return rowCount! > 0 || (await this.get(id)) !== undefined;
  }

  /** The pool belongs to the storage backend, which ends it. */
  async close(): Promise<void> {}
}
