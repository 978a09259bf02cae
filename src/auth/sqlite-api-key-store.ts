import Database from 'better-sqlite3';
import type { ScopeMap } from './access.js';
import { hashKey, newKeySecret } from './api-key-store.js';
import type { ApiKeyRecord, ApiKeyStore } from './api-key-store.js';

interface Row {
  id: string;
  name: string;
  scopes: string;
  created_at: string;
  revoked_at: string | null;
}

const toRecord = (row: Row): ApiKeyRecord => ({ id: row.id, name: row.name, scopes: JSON.parse(row.scopes) as ScopeMap, createdAt: row.created_at, revokedAt: row.revoked_at });

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

  create(name: string, scopes: ScopeMap): { key: string; record: ApiKeyRecord } {
    const { id, key } = newKeySecret();
    const createdAt = new Date().toISOString();
    this.db.prepare('INSERT INTO api_keys (id, key_hash, name, scopes, created_at) VALUES (?, ?, ?, ?, ?)').run(id, hashKey(key), name, JSON.stringify(scopes), createdAt);
    return { key, record: { id, name, scopes, createdAt, revokedAt: null } };
  }

  verify(key: string): ApiKeyRecord | undefined {
    const row = this.db.prepare('SELECT * FROM api_keys WHERE key_hash = ? AND revoked_at IS NULL').get(hashKey(key)) as Row | undefined;
    return row && toRecord(row);
  }

  list(): ApiKeyRecord[] {
    return (this.db.prepare('SELECT * FROM api_keys ORDER BY created_at, id').all() as Row[]).map(toRecord);
  }

  get(id: string): ApiKeyRecord | undefined {
    const row = this.db.prepare('SELECT * FROM api_keys WHERE id = ?').get(id) as Row | undefined;
    return row && toRecord(row);
  }

  revoke(id: string): boolean {
    const info = this.db.prepare('UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL').run(new Date().toISOString(), id);
    return info.changes > 0 || this.get(id) !== undefined;
  }

  close(): void {
    this.db.close();
  }
}
