import Database from 'better-sqlite3';
import { hashKey, newKeySecret, toApiKeyRecord } from './api-key-store.js';
import type { ScopeMap } from './access.js';
import type { ApiKeyRecord, ApiKeyRow, ApiKeyStore } from './api-key-store.js';


/** API keys in `<DATA_DIR>/auth.sqlite`, apart from every workspace's data. */
export class SqliteApiKeyStore implements ApiKeyStore {
  private readonly db: Database.Database;

  constructor(path: string) {
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    this.db.exec(`CREATE TABLE IF NOT EXISTS api_keys (
      id TEXT PRIMARY KEY,
      key_hash TEXT NOT NULL UNIQUE,
      name TEXT NOT NULL,
      scopes TEXT NOT NULL,
      created_at TEXT NOT NULL,
      revoked_at TEXT
    )`);
  }

  async create(name: string, scopes: ScopeMap): Promise<{ key: string; record: ApiKeyRecord }> {
    const { id, key } = newKeySecret();
    const createdAt = new Date().toISOString();
    this.db.prepare('INSERT INTO api_keys (id, key_hash, name, scopes, created_at) VALUES (?, ?, ?, ?, ?)').run(id, hashKey(key), name, JSON.stringify(scopes), createdAt);
    return { key, record: { id, name, scopes, createdAt, revokedAt: null } };
  }

  async verify(key: string): Promise<ApiKeyRecord | undefined> {
    const row = this.db.prepare('SELECT * FROM api_keys WHERE key_hash = ? AND revoked_at IS NULL').get(hashKey(key)) as ApiKeyRow | undefined;
    return row && toApiKeyRecord(row);
  }

  async list(): Promise<ApiKeyRecord[]> {
    return (this.db.prepare('SELECT * FROM api_keys ORDER BY created_at, id').all() as ApiKeyRow[]).map(toApiKeyRecord);
  }

  async get(id: string): Promise<ApiKeyRecord | undefined> {
    return this.record(id);
  }

  private record(id: string): ApiKeyRecord | undefined {
    const row = this.db.prepare('SELECT * FROM api_keys WHERE id = ?').get(id) as ApiKeyRow | undefined;
    return row && toApiKeyRecord(row);
  }

  async revoke(id: string): Promise<boolean> {
    const info = this.db.prepare('UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL').run(new Date().toISOString(), id);
    return info.changes > 0 || this.record(id) !== undefined;
  }

  async close(): Promise<void> {
    this.db.close();
  }
}
