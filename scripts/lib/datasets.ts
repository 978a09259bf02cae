/** Reading the canonical dataset format (corpus.jsonl, questions.jsonl) for scripts. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CorpusRecord, QuestionRecord } from '../../src/eval/converters.js';

export type CorpusEntry = CorpusRecord;
export type Question = QuestionRecord;

export function jsonl<T>(path: string): T[] {
  return readFileSync(path, 'utf8').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l) as T);
}

export function readCorpus(folder: string): CorpusEntry[] {
  return jsonl<CorpusEntry>(join(folder, 'corpus.jsonl'));
}

export function readQuestions(folder: string): Question[] {
  return jsonl<Question>(join(folder, 'questions.jsonl'));
}

export const HOTPOTQA_100 = 'eval/data/hotpotqa-100';
