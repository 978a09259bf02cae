import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { HfOnnxEmbedder } from '../../src/embedding/hf-onnx/hf-onnx-embedder.js';
import { referenceSentenceVector, tinyBertWeights, TINY_VOCAB, writeTinyBertFolder } from '../support/tiny-bert.js';
import { tempDir, testRuntime } from '../support/runtime.js';
import { embedderContract } from './embedder-contract.js';

const runtime = testRuntime();
afterAll(() => runtime.close());
const weights = tinyBertWeights();
const root = tempDir('hf-onnx');
const folders = { plain: join(root, 'plain'), mean: join(root, 'mean'), cls: join(root, 'cls') };
writeTinyBertFolder(folders.plain, weights);
writeTinyBertFolder(folders.mean, weights, 'mean');
writeTinyBertFolder(folders.cls, weights, 'cls');

embedderContract('hf-onnx (random-weight BERT)', () => HfOnnxEmbedder.create(runtime, { folder: folders.mean, batchSize: 3 }), {
  related: ['the quick brown fox jumps over the lazy dog', 'the quick brown fox jumps over a dog'],
  unrelated: 'scrooge was dead!',
});

const TEXTS = ['Hello world!', 'The quick brown fox jumps over the lazy dog.', 'a cat', 'Scrooge was dead, Marley was dead', 'running fox?', 'zebra unknown words'];

function ids(text: string): number[] {
  // Hand-computed WordPiece: lower-case, split on spaces and punctuation, longest match first.
  const words = text.toLowerCase().match(/[a-z]+|[^\sa-z]/g) ?? [];
  const out = [TINY_VOCAB.indexOf('[CLS]')];
  for (const word of words) {
    let rest = word;
    const pieces: number[] = [];
    let first = true;
    while (rest.length > 0) {
      let end = rest.length;
      while (end > 0 && !TINY_VOCAB.includes((first ? '' : '##') + rest.slice(0, end))) end--;
      if (end === 0) {
        pieces.length = 0;
        pieces.push(TINY_VOCAB.indexOf('[UNK]'));
        break;
      }
      pieces.push(TINY_VOCAB.indexOf((first ? '' : '##') + rest.slice(0, end)));
      rest = rest.slice(end);
      first = false;
    }
    out.push(...pieces);
  }
  out.push(TINY_VOCAB.indexOf('[SEP]'));
  return out;
}

describe('hf-onnx embedder against a hand-written forward pass', () => {
  it.each([
    ['mean pooling from 1_Pooling/config.json', folders.mean, 'mean'],
    ['CLS pooling from 1_Pooling/config.json', folders.cls, 'cls'],
    ['mean pooling by default', folders.plain, 'mean'],
  ] as const)('%s', async (_, folder, pooling) => {
    const embedder = await HfOnnxEmbedder.create(runtime, { folder, batchSize: 4 });
    const { vectors } = await embedder.embed(TEXTS);
    TEXTS.forEach((text, i) => {
      expect(embedder.countTokens(text)).toBe(ids(text).length);
      const expected = referenceSentenceVector(weights, ids(text), pooling);
      const diff = Math.max(...expected.map((v, d) => Math.abs(v - vectors[i]![d]!)));
      expect(diff).toBeLessThan(1e-4);
    });
  });

  it('lets an explicit pooling override the folder config', async () => {
    const embedder = await HfOnnxEmbedder.create(runtime, { folder: folders.mean, batchSize: 4, pooling: 'cls' });
    const [v] = (await embedder.embed([TEXTS[1]!])).vectors;
    const expected = referenceSentenceVector(weights, ids(TEXTS[1]!), 'cls');
    expect(Math.max(...expected.map((x, d) => Math.abs(x - v![d]!)))).toBeLessThan(1e-4);
  });

  it('takes maxTokens from the tokenizer config and keeps [SEP] when truncating', async () => {
    const embedder = await HfOnnxEmbedder.create(runtime, { folder: folders.mean, batchSize: 4 });
    expect(embedder.maxTokens).toBe(24);
    const long = Array(30).fill('fox').join(' ');
    const { vectors, truncated } = await embedder.embed([long]);
    expect(truncated).toEqual([0]);
    const kept = [...ids(long).slice(0, 23), TINY_VOCAB.indexOf('[SEP]')];
    const expected = referenceSentenceVector(weights, kept, 'mean');
    expect(Math.max(...expected.map((x, d) => Math.abs(x - vectors[0]![d]!)))).toBeLessThan(1e-4);
  });

  it('names the missing file when the folder is incomplete', async () => {
    await expect(HfOnnxEmbedder.create(runtime, { folder: join(root, 'nowhere'), batchSize: 4 })).rejects.toThrow(/nowhere\/onnx\/model\.onnx.*does not exist/);
  });
});
