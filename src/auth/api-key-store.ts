import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { ScopeMap } from './access.js';

export interface ApiKeyRecord {
  id: string;
  name: string;
  scopes: ScopeMap;
  createdAt: string;
  revokedAt: string | null;
}

/**
 * API keys, stored as SHA-256 hashes only: a key is 256 random bits, so a fast hash cannot be
 * reversed by guessing, and the plain key is shown once, when it is created. SQLite under
 * DATA_DIR for the embedded backend; `rag.api_keys` with STORE=postgres, shared by all instances.
 */
export interface ApiKeyStore {
  /** Stores a new key and returns it with its plain secret (never retrievable again). */
  create(name: string, scopes: ScopeMap): Promise<{ key: string; record: ApiKeyRecord }>;
  /** The live (not revoked) key whose secret this is. */
  verify(key: string): Promise<ApiKeyRecord | undefined>;
  list(): Promise<ApiKeyRecord[]>;
  get(id: string): Promise<ApiKeyRecord | undefined>;
  /** Marks a key revoked; false when there is no such key. */
  revoke(id: string): Promise<boolean>;
  close(): Promise<void>;
}

export const KEY_PREFIX = 'rsk_';

export function newKeySecret(): { id: string; key: string } {
  return { id: randomUUID(), key: KEY_PREFIX + randomBytes(32).toString('base64url') };
}

export function hashKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/** A key's row in the SQL stores (SQLite and PostgreSQL use the same columns). */
export interface ApiKeyRow {
  id: string;
  name: string;
  scopes: string;
  created_at: string;
  revoked_at: string | null;
}

export const toApiKeyRecord = (row: ApiKeyRow): ApiKeyRecord => ({ id: row.id, name: row.name, scopes: JSON.parse(row.scopes) as ScopeMap, createdAt: row.created_at, revokedAt: row.revoked_at });
