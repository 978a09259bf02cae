import type { ChunkRecord, DocumentRecord } from './types.js';

/** Row shapes and mappers shared by the SQL backends (SQLite and PostgreSQL use the same columns). */
export interface DocumentRow {
  id: string;
  title: string | null;
  source: string | null;
  mime: string;
  content_hash: string;
  metadata: string;
  char_count: number;
  chunk_count: number;
  created_at: string;
  updated_at: string;
}

export interface ChunkRow {
  id: number;
  doc_id: string;
  ordinal: number;
  text: string;
  start: number;
  end: number;
  page: number | null;
  token_count: number;
}

export const DOCUMENT_COLUMNS = 'id, title, source, mime, content_hash, metadata, char_count, chunk_count, created_at, updated_at';
export const CHUNK_COLUMNS = 'id, doc_id, ordinal, text, start, "end", page, token_count';

export function toDocument(row: DocumentRow): DocumentRecord {
  return {
    id: row.id,
    title: row.title,
    source: row.source,
    mime: row.mime,
    contentHash: row.content_hash,
    metadata: JSON.parse(row.metadata) as Record<string, unknown>,
    charCount: row.char_count,
    chunkCount: row.chunk_count,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export function toChunk(row: ChunkRow): ChunkRecord {
  return { id: row.id, docId: row.doc_id, ordinal: row.ordinal, text: row.text, start: row.start, end: row.end, page: row.page, tokenCount: row.token_count };
}
