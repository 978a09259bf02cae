/**
 * Converts a dataset to the canonical format (corpus.jsonl + questions.jsonl):
 *   npx tsx scripts/convert-dataset.ts hotpotqa <folder with corpus.json, questions.json> <out folder>
 *   npx tsx scripts/convert-dataset.ts beir <folder with corpus.jsonl, queries.jsonl, qrels/> <out folder> [--split test]
 *   npx tsx scripts/convert-dataset.ts musique <file.jsonl> <out folder>
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { fromBeir, fromHotpotQa, fromMusique, toJsonl } from '../src/eval/converters.js';
import type { Dataset } from '../src/eval/converters.js';

const { positionals, values } = parseArgs({ allowPositionals: true, options: { split: { type: 'string', default: 'test' } } });
const [format, from, to] = positionals;
const jsonl = (text: string) => text.split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l));

async function convert(): Promise<Dataset> {
  switch (format) {
    case 'hotpotqa':
      return fromHotpotQa(JSON.parse(await readFile(join(from!, 'corpus.json'), 'utf8')), JSON.parse(await readFile(join(from!, 'questions.json'), 'utf8')));
    case 'beir':
      return fromBeir(jsonl(await readFile(join(from!, 'corpus.jsonl'), 'utf8')), jsonl(await readFile(join(from!, 'queries.jsonl'), 'utf8')), await readFile(join(from!, 'qrels', `${values.split}.tsv`), 'utf8'));
    case 'musique':
      return fromMusique(jsonl(await readFile(from!, 'utf8')));
    default:
      console.error('usage: npx tsx scripts/convert-dataset.ts hotpotqa|beir|musique <input> <out folder>');
      process.exit(2);
  }
}

if (!from || !to) {
  console.error('usage: npx tsx scripts/convert-dataset.ts hotpotqa|beir|musique <input> <out folder>');
  process.exit(2);
}
const dataset = await convert();
await mkdir(to, { recursive: true });
await writeFile(join(to, 'corpus.jsonl'), toJsonl(dataset.corpus));
await writeFile(join(to, 'questions.jsonl'), toJsonl(dataset.questions));
console.log(`${format}: ${dataset.corpus.length} passages, ${dataset.questions.length} questions → ${to}`);
