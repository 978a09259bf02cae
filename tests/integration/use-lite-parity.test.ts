/**
 * The converted USE-lite model against the TF.js original, on the same token ids: two
 * runtimes, one answer. Every dimension of every sentence must agree within 1e-4.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SentencePieceTokenizer } from '../../src/embedding/use-lite/sentencepiece.js';
import type { Vocabulary } from '../../src/embedding/use-lite/sentencepiece.js';
import { UseLiteEmbedder } from '../../src/embedding/use-lite/use-lite-embedder.js';
import { useLitePackageDir } from '../../src/models/use-lite-model.js';
import { loadReferenceGraphModel, tf } from '../../scripts/lib/tfjs-reference.js';
import { sharedModelCache, testRuntime } from '../support/runtime.js';
import { parityTexts } from '../support/sentences.js';

const runtime = testRuntime({ intraOpThreads: 2 });
afterAll(() => runtime.close());

describe('USE-lite: ONNX conversion vs TF.js reference', () => {
  it('agrees within 1e-4 in every dimension on 200+ varied sentences', async () => {
    const texts = parityTexts();
    const dir = useLitePackageDir();
    const tokenizer = new SentencePieceTokenizer(JSON.parse(readFileSync(join(dir, 'vocab.json'), 'utf8')) as Vocabulary);
    const reference = await loadReferenceGraphModel(join(dir, 'model.json'));
    const embedder = await UseLiteEmbedder.create(runtime, sharedModelCache(), { batchSize: 16 });
    const { vectors } = await embedder.embed(texts);

    let worst = 0;
    for (let start = 0; start < texts.length; start += 16) {
      const batch = texts.slice(start, start + 16).map((t) => tokenizer.encode(t).slice(0, 128));
      const flat = batch.flatMap((ids, row) => ids.map((_, col) => [row, col]));
      const indices = tf.tensor2d(flat, [flat.length, 2], 'int32');
      const values = tf.tensor1d(batch.flat(), 'int32');
      const out = (await reference.executeAsync({ indices, values })) as import('@tensorflow/tfjs').Tensor;
      const expected = await out.data();
      tf.dispose([indices, values, out]);
      batch.forEach((_, row) => {
        const ours = vectors[start + row]!;
        for (let d = 0; d < 512; d++) worst = Math.max(worst, Math.abs(ours[d]! - expected[row * 512 + d]!));
      });
    }
    expect(texts.length).toBeGreaterThanOrEqual(200);
    expect(worst).toBeLessThanOrEqual(1e-4);
  });
});
