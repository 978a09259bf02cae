/**
 * Converts HotpotQA (as subset by HippoRAG: corpus.json + questions.json) to the canonical
 * dataset format: corpus.jsonl {id, title, text} and questions.jsonl {id, question, answers, goldIds}.
 *   npx tsx scripts/convert-hotpotqa.ts <hotpotqa folder> <out folder>
 * Gold passages are the distinct titles named in `supporting_facts`; a passage's id is its title.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

interface HotpotQuestion {
  _id: string;
  question: string;
  answer: string;
  type?: string;
  supporting_facts: Array<[string, number]>;
}

const [from, to] = process.argv.slice(2);
if (!from || !to) {
  console.error('usage: npx tsx scripts/convert-hotpotqa.ts <hotpotqa folder> <out folder>');
  process.exit(2);
}
const corpus = JSON.parse(await readFile(join(from, 'corpus.json'), 'utf8')) as Record<string, string[]>;
const questions = JSON.parse(await readFile(join(from, 'questions.json'), 'utf8')) as HotpotQuestion[];
const corpusLines = Object.entries(corpus).map(([title, sentences]) => JSON.stringify({ id: title, title, text: sentences.join('').trim() }));
const questionLines = questions.map((q) => {
  const goldIds = [...new Set(q.supporting_facts.map(([title]) => title))];
  for (const id of goldIds) if (!(id in corpus)) throw new Error(`question ${q._id}: gold passage "${id}" is not in the corpus`);
  return JSON.stringify({ id: q._id, question: q.question, answers: [q.answer], goldIds, type: q.type });
});
await mkdir(to, { recursive: true });
await writeFile(join(to, 'corpus.jsonl'), corpusLines.join('\n') + '\n');
await writeFile(join(to, 'questions.jsonl'), questionLines.join('\n') + '\n');
console.log(`${corpusLines.length} passages, ${questionLines.length} questions → ${to}`);
