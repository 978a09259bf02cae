import type { RunOptions } from '../../runtime/onnx-runtime.js';
import type { SpeechSegment } from '../silero-vad.js';
import { greedyDecode, timedSegments } from './greedy-decoder.js';
import type { DecodeOptions, TimedText } from './greedy-decoder.js';
import { WHISPER_AUDIO } from './mel.js';
import type { WhisperModel } from './whisper-model.js';

export interface Window {
  start: number;
  end: number;
  /** Whether VAD found speech in it (windows without are not decoded). */
  speech: boolean;
}

/**
 * Cuts audio into windows of at most `maxSeconds`, each cut in the middle of a silence that VAD
 * found (the latest one that keeps the window within the limit), or at the limit when a
 * window holds no silence.
 */
export function planWindows(duration: number, speech: readonly SpeechSegment[], maxSeconds: number = WHISPER_AUDIO.chunkSeconds): Window[] {
  const gaps: number[] = [];
  for (let i = 0; i + 1 < speech.length; i++) gaps.push((speech[i]!.end + speech[i + 1]!.start) / 2);
  if (speech.length > 0) gaps.push(speech.at(-1)!.end);
  const windows: Window[] = [];
  let start = 0;
  while (duration - start > maxSeconds) {
    const limit = start + maxSeconds;
    const cut = gaps.filter((g) => g > start + 1 && g <= limit).at(-1) ?? limit;
    windows.push({ start, end: cut, speech: false });
    start = cut;
  }
  if (duration > start || windows.length === 0) windows.push({ start, end: duration, speech: false });
  for (const w of windows) w.speech = speech.some((s) => s.start < w.end && s.end > w.start);
  return windows;
}

export interface Transcript {
  text: string;
  language: string;
  languageProbability: number | null;
  segments: TimedText[];
  windows: Window[];
}

/** Transcribes 16 kHz mono audio window by window; the language is detected once, on the first window with speech. */
export async function transcribe(model: WhisperModel, samples: Float32Array, speech: readonly SpeechSegment[], options: DecodeOptions, run: RunOptions = {}): Promise<Transcript> {
  const rate = WHISPER_AUDIO.sampleRate;
  const windows = planWindows(samples.length / rate, speech);
  let language = options.language;
  let languageProbability: number | null = null;
  const segments: TimedText[] = [];
  for (const w of windows) {
    if (!w.speech) continue;
    const slice = samples.subarray(Math.round(w.start * rate), Math.round(w.end * rate));
    const states = await model.encode(slice, run);
    const decoded = await greedyDecode(model.stepper(states, run).next, model.tokenizer, { ...options, language, suppress: model.suppress, englishOnly: model.englishOnly });
    if (!language) ((language = decoded.language), (languageProbability = decoded.languageProbability));
    if (options.timestamps) segments.push(...timedSegments(decoded.tokens, model.tokenizer, w.start, w.end));
    else {
      const text = model.tokenizer.decode(decoded.tokens).trim();
      if (text) segments.push({ start: round(w.start), end: round(w.end), text });
    }
  }
  return { text: segments.map((s) => s.text).join(' '), language: language ?? options.language ?? 'unknown', languageProbability, segments, windows };
}

const round = (x: number) => Math.round(x * 100) / 100;
