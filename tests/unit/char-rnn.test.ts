import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { charRnnToOnnx, encodeChars, GATES } from '../../src/sequence/char-rnn.js';
import type { CellType, CharRnnManifest, CharRnnWeights } from '../../src/sequence/char-rnn.js';
import { SequenceService } from '../../src/sequence/sequence-service.js';
import { onnxInitializers } from '../support/onnx-weights.js';
import { forwardSequence, initWeights } from '../../scripts/lib/char-rnn-tf.js';
import { useWasmBackend } from '../../scripts/lib/tfjs-reference.js';
import { testRuntime } from '../support/runtime.js';

const runtime = testRuntime();
afterAll(() => runtime.close());

/** Runs the ONNX step graph over `tokens` (batch × steps), feeding the state back. */
async function onnxSequence(w: CharRnnWeights, tokens: number[][], id: string) {
  const session = await runtime.load(id, charRnnToOnnx(w, id));
  const B = tokens.length;
  let h: Float32Array = new Float32Array(B * w.hidden);
  let c: Float32Array = new Float32Array(B * w.hidden);
  const logits: Float32Array[] = [];
  for (let t = 0; t < tokens[0]!.length; t++) {
    const out = await session.run({
      token: { type: 'int64', data: BigInt64Array.from(tokens.map((r) => BigInt(r[t]!))), dims: [B] },
      h: { type: 'float32', data: h, dims: [B, w.hidden] },
      ...(w.cell === 'lstm' ? { c: { type: 'float32' as const, data: c, dims: [B, w.hidden] } } : {}),
    });
    logits.push(out.logits!.data as Float32Array);
    h = out.h_out!.data as Float32Array;
    if (w.cell === 'lstm') c = out.c_out!.data as Float32Array;
  }
  return { logits, h, c };
}

describe.each(['lstm', 'gru'] as CellType[])('char-%s ONNX export', (cell) => {
  it('matches the TF.js forward pass step by step on random weights', async () => {
    await useWasmBackend();
    const w = initWeights(cell, 11, 6, 3);
    // Larger weights than the initialisation, so that every gate saturates somewhere.
    for (const key of ['wx', 'wh', 'bx', 'bh', 'wy'] as const) w[key] = w[key].map((v) => v * 4);
    expect(w.wx.length).toBe(11 * GATES[cell] * 6);
    const tokens = [[1, 5, 2, 9, 10, 0, 3, 3], [4, 4, 7, 1, 2, 8, 6, 5]];
    const expected = forwardSequence(w, tokens);
    const got = await onnxSequence(w, tokens, `random-${cell}`);
    for (let t = 0; t < tokens[0]!.length; t++) {
      for (let i = 0; i < expected.logits[t]!.length; i++) expect(got.logits[t]![i]).toBeCloseTo(expected.logits[t]![i]!, 4);
    }
    expected.h.forEach((v, i) => expect(got.h[i]).toBeCloseTo(v, 5));
  });
});

describe.each(['lstm', 'gru'] as CellType[])('the committed char-%s model', (cell) => {
  const dir = join(process.cwd(), 'models', 'char-rnn');
  const manifest = JSON.parse(readFileSync(join(dir, `char-${cell}.json`), 'utf8')) as CharRnnManifest;
  const weightsFromOnnx = (): CharRnnWeights => {
    const init = onnxInitializers(join(dir, `char-${cell}.onnx`));
    const get = (name: string) => init.get(name)!;
    return { cell, hidden: manifest.hidden, vocabSize: manifest.vocab.length, wx: get('wx'), wh: get('wh'), bx: get('bx'), bh: get('bh'), wy: get('wy'), by: get('by') };
  };

  it('runs in ONNX Runtime exactly as its weights run in TF.js (the training runtime)', async () => {
    await useWasmBackend();
    const w = weightsFromOnnx();
    expect(w.wx.length).toBe(manifest.vocab.length * GATES[cell] * manifest.hidden);
    const tokens = [encodeChars('Scrooge knew he was dead? Of course he did.', manifest.vocab), encodeChars('The ghost of Christmas Past said nothing at all', manifest.vocab)].map((r) => r.slice(0, 40));
    const expected = forwardSequence(w, tokens);
    const session = await runtime.load(`committed-${cell}`, join(dir, `char-${cell}.onnx`));
    let h: Float32Array = new Float32Array(2 * manifest.hidden);
    let c: Float32Array = new Float32Array(2 * manifest.hidden);
    let worst = 0;
    for (let t = 0; t < 40; t++) {
      const out = await session.run({
        token: { type: 'int64', data: BigInt64Array.from(tokens.map((r) => BigInt(r[t]!))), dims: [2] },
        h: { type: 'float32', data: h, dims: [2, manifest.hidden] },
        ...(cell === 'lstm' ? { c: { type: 'float32' as const, data: c, dims: [2, manifest.hidden] } } : {}),
      });
      const logits = out.logits!.data as Float32Array;
      logits.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - expected.logits[t]![i]!))));
      h = out.h_out!.data as Float32Array;
      if (cell === 'lstm') c = out.c_out!.data as Float32Array;
    }
    expect(worst).toBeLessThan(1e-4);
  });

  it('beats the unigram and bigram baselines on the validation text (as the training script measured)', () => {
    const m = manifest.metrics as { validationPerplexity: number; baselines: { unigram: { perplexity: number }; bigram: { perplexity: number } } };
    expect(m.validationPerplexity).toBeLessThan(m.baselines.bigram.perplexity);
    expect(m.baselines.bigram.perplexity).toBeLessThan(m.baselines.unigram.perplexity);
  });

  it('generates greedily what the TF.js forward pass predicts, and reproducibly for a seed', async () => {
    await useWasmBackend();
    const service = new SequenceService(runtime, dir);
    const prompt = 'Marley was dead';
    const greedy = await service.generate({ model: `char-${cell}`, prompt, maxTokens: 12, temperature: 0, topK: 0, seed: 1 });
    // The reference: argmax of TF.js logits, one character at a time.
    let text = prompt;
    for (let i = 0; i < 12; i++) {
      const ids = encodeChars(text, manifest.vocab);
      const logits = forwardSequence(weightsFromOnnx(), [ids]).logits.at(-1)!;
      text += manifest.vocab[logits.indexOf(Math.max(...logits))];
    }
    expect(greedy.text).toBe(text.slice(prompt.length));
    const a = await service.generate({ model: `char-${cell}`, prompt, maxTokens: 40, temperature: 1, topK: 10, seed: 7 });
    const b = await service.generate({ model: `char-${cell}`, prompt, maxTokens: 40, temperature: 1, topK: 10, seed: 7 });
    const other = await service.generate({ model: `char-${cell}`, prompt, maxTokens: 40, temperature: 1, topK: 10, seed: 8 });
    expect(a.text).toBe(b.text);
    expect(a.text).toHaveLength(40);
    expect(other.text).not.toBe(a.text);
  });
});
