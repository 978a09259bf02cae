import type { Pool } from 'pg';
import { queryTerms } from '../../core/text.js';
import type { LexicalIndex, ScoredId } from '../types.js';

const K1 = 1.2;
const B = 0.75;

/**
 * BM25 over PostgreSQL full-text search. The chunks' `tsvector` (English stemming, GIN index)
 * finds the chunks that hold any query term; the score is Okapi BM25 (k1 = 1.2, b = 0.75)
 * computed from the term frequencies stored in those tsvectors, the terms' document
 * frequencies, and chunk lengths in indexed words (stored at write time), rather than ts_rank, which knows
 * nothing of how rare a term is.
 */
export class PgLexicalIndex implements LexicalIndex {
  constructor(
    private readonly pool: Pool,
    private readonly s: string,
  ) {}

  async search(query: string, k: number): Promise<ScoredId[]> {
    if (queryTerms(query).length === 0 || k <= 0) return [];
    // plainto_tsquery treats the question as plain words (no operators), and AND-joins them;
    // turning its & into | lets any term match, as in the FTS5 index.
    const { rows } = await this.pool.query<{ id: number; score: number }>(
      `WITH q AS (SELECT replace(plainto_tsquery('english', $1)::text, '&', '|')::tsquery AS query),
       terms AS (SELECT DISTINCT lexeme AS term FROM unnest(to_tsvector('english', $1))),
       matches AS (
         SELECT c.id, c.lexemes AS len, u.lexeme AS term, cardinality(u.positions) AS tf
         FROM ${this.s}.chunks c, q, unnest(c.tsv) u
         WHERE q.query <> ''::tsquery AND c.tsv @@ q.query AND u.lexeme IN (SELECT term FROM terms)
       ),
       stats AS (SELECT count(*)::float8 AS n, coalesce(avg(lexemes), 1)::float8 AS avgdl FROM ${this.s}.chunks),
       df AS (SELECT term, count(*)::float8 AS df FROM matches GROUP BY term)
       SELECT m.id, sum(ln(1 + (s.n - df.df + 0.5) / (df.df + 0.5)) * m.tf * ${K1 + 1} / (m.tf + ${K1} * (1 - ${B} + ${B} * m.len / greatest(s.avgdl, 1)))) AS score
       FROM matches m JOIN df USING (term) CROSS JOIN stats s
       GROUP BY m.id ORDER BY score DESC, m.id LIMIT $2`,
      [query, k],
    );
    return rows.map((r) => ({ id: r.id, score: r.score }));
  }
}
