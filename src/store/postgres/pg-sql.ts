import pg from 'pg';
import type { Pool, PoolClient } from 'pg';

/** A connection pool on `url`; chunk ids (bigint) come back as numbers (they stay far below 2^53). */
export function createPool(url: string, max: number): Pool {
  const pool = new pg.Pool({ connectionString: url, max, types: { getTypeParser: typeParser } });
  // An idle client that loses its server is dropped by the pool; the error must not crash the process.
  pool.on('error', () => {});
  return pool;
}

const INT8 = 20;

function typeParser(oid: number, format?: 'text' | 'binary'): (value: string) => unknown {
  if (oid === INT8) return Number;
  return pg.types.getTypeParser(oid, format ?? 'text') as (value: string) => unknown;
}

/** Runs `work` in one transaction on one connection: committed when it resolves, rolled back when it throws. */
export async function inTransaction<T>(pool: Pool, work: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  } finally {
    client.release();
  }
}

/** `name` as a quoted SQL identifier. */
export function ident(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** pgvector's text form of a vector; float32 values print exactly and parse back to the same bits. */
export function vectorLiteral(v: Float32Array): string {
  let out = '[';
  for (let i = 0; i < v.length; i++) out += (i ? ',' : '') + v[i]!;
  return out + ']';
}

export function parseVector(text: string): Float32Array {
  const body = text.slice(1, -1);
  return body ? Float32Array.from(body.split(','), Number) : new Float32Array(0);
}

