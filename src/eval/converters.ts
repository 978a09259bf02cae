/**
 * Converters from public QA/retrieval formats to the canonical dataset format:
 * corpus records {id, title, text} and questions {id, question, answers, goldIds}.
 * `answers` is empty for a question with no answer reference; `goldIds` name the supporting passages.
 */
import { createHash } from 'node:crypto';

export interface CorpusRecord {
  id: string;
  title: string;
  text: string;
}

export interface QuestionRecord {
  id: string;
  question: string;
  answers: string[];
  goldIds: string[];
  type?: string;
  /** The gold passages' sentences that support the answer, where the source marks them. */
  supportingSentences?: string[];
}

export interface Dataset {
  corpus: CorpusRecord[];
  questions: QuestionRecord[];
}

/** HotpotQA as subset by HippoRAG: corpus {title: sentences[]}, gold = titles in supporting_facts. */
export function fromHotpotQa(corpus: Record<string, string[]>, questions: Array<{ _id: string; question: string; answer: string; type?: string; supporting_facts: Array<[string, number]> }>): Dataset {
  return {
    corpus: Object.entries(corpus).map(([title, sentences]) => ({ id: title, title, text: sentences.join('').trim() })),
    questions: questions.map((q) => {
      const goldIds = [...new Set(q.supporting_facts.map(([title]) => title))];
      for (const id of goldIds) if (!(id in corpus)) throw new Error(`question ${q._id}: gold passage "${id}" is not in the corpus`);
      const supportingSentences = q.supporting_facts.flatMap(([title, i]) => (corpus[title]![i] ? [corpus[title]![i]!.trim()] : []));
      return { id: q._id, question: q.question, answers: [q.answer], goldIds, ...(q.type ? { type: q.type } : {}), supportingSentences };
    }),
  };
}

/** BEIR: corpus.jsonl {_id, title, text}, queries.jsonl {_id, text}, qrels TSV (query-id, corpus-id, score). Retrieval-only: no answers. */
export function fromBeir(corpus: Array<{ _id: string; title?: string; text: string }>, queries: Array<{ _id: string; text: string }>, qrelsTsv: string): Dataset {
  const gold = new Map<string, string[]>();
  for (const line of qrelsTsv.split('\n').slice(1)) {
    const [qid, cid, score] = line.trim().split('\t');
    if (!qid || !cid || !(Number(score) > 0)) continue;
    gold.set(qid, [...(gold.get(qid) ?? []), cid]);
  }
  return {
    corpus: corpus.map((d) => ({ id: d._id, title: d.title ?? '', text: d.text })),
    questions: queries.filter((q) => gold.has(q._id)).map((q) => ({ id: q._id, question: q.text, answers: [], goldIds: gold.get(q._id)! })),
  };
}

/** MuSiQue: per-question paragraphs with is_supporting; paragraphs are pooled (deduplicated) into one corpus. */
export function fromMusique(
  lines: Array<{ id: string; question: string; answer?: string; answer_aliases?: string[]; answerable?: boolean; paragraphs: Array<{ title: string; paragraph_text: string; is_supporting?: boolean }> }>,
): Dataset {
  const corpus = new Map<string, CorpusRecord>();
  const questions = lines.map((q) => {
    const goldIds: string[] = [];
    for (const p of q.paragraphs) {
      const id = `${p.title}#${createHash('sha256').update(p.paragraph_text).digest('hex').slice(0, 8)}`;
      corpus.set(id, { id, title: p.title, text: p.paragraph_text });
      if (p.is_supporting) goldIds.push(id);
    }
    const answerable = q.answerable ?? true;
    return { id: q.id, question: q.question, answers: answerable && q.answer ? [q.answer, ...(q.answer_aliases ?? [])] : [], goldIds };
  });
  return { corpus: [...corpus.values()], questions };
}

export function toJsonl(records: readonly object[]): string {
  return records.map((r) => JSON.stringify(r)).join('\n') + '\n';
}
