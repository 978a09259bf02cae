import { InvalidInputError } from '../../core/errors.js';
import type { WhisperTokenizer } from './tokenizer.js';

/** The decoder's logits for the last position after `tokens` (the encoder output is bound in). */
export type NextLogits = (tokens: number[]) => Promise<Float32Array>;

export interface DecodeOptions {
  /** A language code; detected from the audio when absent. */
  language?: string;
  task: 'transcribe' | 'translate';
  timestamps: boolean;
  maxTokens: number;
  /** Tokens never generated (`suppress_tokens` of generation_config.json), and not as the first token (`begin_suppress_tokens`). */
  suppress?: { always: readonly number[]; atBegin: readonly number[] };
  /** English-only models (whisper-*.en) take no language or task token: the prompt is <|startoftranscript|> alone. */
  englishOnly?: boolean;
}

export interface DecodedWindow {
  language: string;
  languageProbability: number | null;
  /** The generated tokens, prompt excluded, end-of-text excluded. */
  tokens: number[];
}

export interface TimedText {
  start: number;
  end: number;
  text: string;
}

/** Whisper's language detection: the most likely language token after <|startoftranscript|>. */
export async function detectLanguage(next: NextLogits, tok: WhisperTokenizer): Promise<{ language: string; probability: number }> {
  const logits = await next([tok.sot]);
  const langs = [...tok.languages];
  const top = Math.max(...langs.map(([, id]) => logits[id]!));
  const weights = langs.map(([code, id]) => [code, Math.exp(logits[id]! - top)] as const);
  const total = weights.reduce((a, [, w]) => a + w, 0);
  const [language, weight] = weights.reduce((best, cur) => (cur[1] > best[1] ? cur : best));
  return { language, probability: weight / total };
}

/**
 * Greedy decoding of one 30 s window, with Whisper's timestamp rules: the first token is a
 * timestamp (at most 1 s in), timestamps come in pairs around text and never go back in
 * time, and a timestamp wins whenever all timestamps together are more likely than the best
 * text token. Other special tokens are never generated.
 */
export async function greedyDecode(next: NextLogits, tok: WhisperTokenizer, options: DecodeOptions): Promise<DecodedWindow> {
  let language = options.englishOnly ? 'en' : options.language;
  let languageProbability: number | null = null;
  if (options.englishOnly && options.language && options.language !== 'en') throw new InvalidInputError(`this Whisper model is English-only; language "${options.language}" cannot be used (leave it out or send en)`);
  if (!language) {
    const detected = await detectLanguage(next, tok);
    language = detected.language;
    languageProbability = detected.probability;
  }
  const languageId = tok.languages.get(language);
  if (languageId === undefined && !options.englishOnly) throw new InvalidInputError(`language "${language}" is not one this Whisper model knows; it knows: ${[...tok.languages.keys()].join(', ')}`);
  const prompt = options.englishOnly ? [tok.sot] : [tok.sot, languageId!, options.task === 'translate' ? tok.translate : tok.transcribe];
  if (!options.timestamps) prompt.push(tok.noTimestamps);
  const generated: number[] = [];
  while (generated.length < options.maxTokens) {
    const logits = Float32Array.from(await next([...prompt, ...generated]));
    suppressSpecial(logits, tok);
    for (const id of options.suppress?.always ?? []) if (id < logits.length) logits[id] = -Infinity;
    if (generated.length === 0) for (const id of options.suppress?.atBegin ?? []) if (id < logits.length) logits[id] = -Infinity;
    if (options.timestamps) applyTimestampRules(logits, tok, generated);
    else for (let i = tok.timestampBegin; i < logits.length; i++) logits[i] = -Infinity;
    let best = 0;
    for (let i = 1; i < logits.length; i++) if (logits[i]! > logits[best]!) best = i;
    if (best === tok.eot) break;
    generated.push(best);
  }
  return { language, languageProbability, tokens: generated };
}

/** Special tokens other than end-of-text and timestamps are never generated. */
function suppressSpecial(logits: Float32Array, tok: WhisperTokenizer): void {
  for (let i = tok.eot + 1; i < Math.min(tok.timestampBegin, logits.length); i++) logits[i] = -Infinity;
}

/** Max initial timestamp: 1 s (50 steps of 0.02 s), as in openai/whisper. */
const MAX_INITIAL_TIMESTAMP_STEPS = 50;

function applyTimestampRules(logits: Float32Array, tok: WhisperTokenizer, generated: number[]): void {
  const tb = tok.timestampBegin;
  const n = logits.length;
  const last = generated.at(-1);
  const lastWasTimestamp = last !== undefined && tok.isTimestamp(last);
  const penultimateWasTimestamp = generated.length < 2 || tok.isTimestamp(generated.at(-2)!);
  if (lastWasTimestamp) {
    if (penultimateWasTimestamp) for (let i = tb; i < n; i++) logits[i] = -Infinity; // a pair is closed: text (or the end) follows
    else for (let i = 0; i < tok.eot; i++) logits[i] = -Infinity; // an open timestamp: another timestamp (or the end) follows
  }
  const previous = generated.filter((t) => tok.isTimestamp(t));
  if (previous.length > 0) {
    // Timestamps never decrease; after a closed pair the next one must move forward.
    const floor = lastWasTimestamp && !penultimateWasTimestamp ? previous.at(-1)! : previous.at(-1)! + 1;
    for (let i = tb; i < Math.min(floor, n); i++) logits[i] = -Infinity;
  }
  if (generated.length === 0) {
    for (let i = 0; i < tb; i++) logits[i] = -Infinity;
    for (let i = tb + MAX_INITIAL_TIMESTAMP_STEPS + 1; i < n; i++) logits[i] = -Infinity;
  }
  // If all timestamps together outweigh the best text token, take a timestamp.
  const logSumExp = (from: number, to: number) => {
    let max = -Infinity;
    for (let i = from; i < to; i++) max = Math.max(max, logits[i]!);
    if (max === -Infinity) return -Infinity;
    let s = 0;
    for (let i = from; i < to; i++) s += Math.exp(logits[i]! - max);
    return max + Math.log(s);
  };
  const timestampMass = logSumExp(tb, n);
  let bestText = -Infinity;
  for (let i = 0; i < tb; i++) bestText = Math.max(bestText, logits[i]!);
  // Log-probabilities compared through logits: both sides share the softmax normaliser.
  if (Number.isFinite(timestampMass) && timestampMass > bestText) {
    for (let i = 0; i < tb; i++) logits[i] = -Infinity;
  }
}

/** Timed segments from tokens with timestamps: text between a start and an end timestamp, shifted by `offset` seconds. */
export function timedSegments(tokens: readonly number[], tok: WhisperTokenizer, offset: number, windowEnd: number): TimedText[] {
  const segments: TimedText[] = [];
  let start: number | undefined;
  let text: number[] = [];
  for (const t of tokens) {
    if (!tok.isTimestamp(t)) {
      text.push(t);
      continue;
    }
    if (start === undefined || text.length === 0) {
      start = tok.timeOf(t);
      continue;
    }
    segments.push({ start: round(offset + start), end: round(offset + tok.timeOf(t)), text: tok.decode(text).trim() });
    text = [];
    start = undefined;
  }
  if (text.length > 0) segments.push({ start: round(offset + (start ?? 0)), end: round(windowEnd), text: tok.decode(text).trim() });
  return segments.filter((s) => s.text.length > 0);
}

const round = (x: number) => Math.round(x * 100) / 100;
