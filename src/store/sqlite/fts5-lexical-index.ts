import type Database from 'better-sqlite3';
import type { LexicalIndex, ScoredId } from '../types.js';
import { queryTerms } from '../../core/text.js';

/**
 * BM25 search through SQLite FTS5 over the chunks table of the same database, so that
 * lexical entries are written in the same transaction as the chunks.
 */
export class Fts5LexicalIndex implements LexicalIndex {
  constructor(private readonly db: Database.Database) {}

  async search(query: string, k: number): Promise<ScoredId[]> {
    const terms = queryTerms(query);
    if (terms.length === 0 || k <= 0) return [];
    // Each term quoted (so FTS syntax in a question is plain text), any term may match.
    const match = terms.map((t) => `"${t.replaceAll('"', '""')}"`).join(' OR ');
    const rows = this.db
      .prepare('SELECT rowid AS id, bm25(chunks_fts) AS rank FROM chunks_fts WHERE chunks_fts MATCH ? ORDER BY rank LIMIT ?')
      .all(match, k) as Array<{ id: number; rank: number }>;
    return rows.map((r) => ({ id: r.id, score: -r.rank }));
  }
}
