import { afterAll, describe, expect, it } from 'vitest';
import { charRnnToOnnx, GATES } from '../../src/sequence/char-rnn.js';
import type { CellType, CharRnnWeights } from '../../src/sequence/char-rnn.js';
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
