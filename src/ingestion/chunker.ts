/**
 * Sentence-aware chunking measured in the embedder's own tokens. Sentences are packed into
 * windows of at most `maxTokens`; consecutive windows share trailing sentences worth about
 * `overlapTokens`; a sentence longer than a window is split between words (a word of more than
 * MAX_WORD_CHARS characters between characters). Every chunk
 * keeps its character offsets in the document (and its PDF page), so a citation can point
 * at an exact span.
 */
import { sentenceSpans } from './sentences.js';
import type { Span } from './sentences.js';

export interface ChunkingOptions {
  maxTokens: number;
  overlapTokens: number;
}

export interface TextChunk {
  text: string;
  start: number;
  end: number;
  page: number | null;
  tokenCount: number;
}

/** A part of the document that chunks never cross (a PDF page, or the whole text). */
export interface Section {
  start: number;
  end: number;
  page: number | null;
}

export { sentenceSpans } from './sentences.js';
export type { Span } from './sentences.js';

interface Unit extends Span {
  tokens: number;
}

/**
 * The window of units that starts at `i`: packed by the units' own counts (joining sentences or
 * words rarely changes a SentencePiece or WordPiece count), then counted once as a whole and
 * given back a unit at a time while over. Returns the end (exclusive) and the window's count;
 * a single unit over the limit stays whole.
 */
function packWindow(text: string, units: readonly Unit[], i: number, maxTokens: number, count: (s: string) => number): { end: number; tokens: number } {
  let j = i + 1;
  let sum = units[i]!.tokens;
  while (j < units.length && sum + units[j]!.tokens <= maxTokens) sum += units[j++]!.tokens;
  let tokens = j === i + 1 ? sum : count(text.slice(units[i]!.start, units[j - 1]!.end));
  while (tokens > maxTokens && j - 1 > i) {
    j--;
    tokens = count(text.slice(units[i]!.start, units[j - 1]!.end));
  }
  return { end: j, tokens };
}

/** Longest "word" kept whole when a sentence is split; longer runs without a space (base64, minified code) are cut. */
export const MAX_WORD_CHARS = 2048;

/**
 * Splits an over-long sentence between words into pieces of at most `maxTokens`: each word is
 * counted once and each piece once more, so the work stays linear in the sentence's length.
 */
function splitLongSpan(text: string, span: Span, maxTokens: number, count: (s: string) => number): Unit[] {
  const words: Unit[] = [];
  for (const m of text.slice(span.start, span.end).matchAll(/\S+/g)) {
    const wordEnd = span.start + m.index + m[0].length;
    for (let start = span.start + m.index; start < wordEnd; ) {
      const end = pieceEnd(text, start, wordEnd);
      words.push({ start, end, tokens: count(text.slice(start, end)) });
      start = end;
    }
  }
  const pieces: Unit[] = [];
  for (let i = 0; i < words.length; ) {
    const { end, tokens } = packWindow(text, words, i, maxTokens, count);
    pieces.push({ start: words[i]!.start, end: words[end - 1]!.end, tokens });
    i = end;
  }
  return pieces;
}

/** End of the piece of a word that starts at `start`: at most MAX_WORD_CHARS on, never inside a surrogate pair. */
function pieceEnd(text: string, start: number, wordEnd: number): number {
  const end = start + MAX_WORD_CHARS;
  if (end >= wordEnd) return wordEnd;
  const low = text.charCodeAt(end);
  const high = text.charCodeAt(end - 1);
  return low >= 0xdc00 && low <= 0xdfff && high >= 0xd800 && high <= 0xdbff ? end - 1 : end;
}

export function chunkText(text: string, sections: Section[], options: ChunkingOptions, countTokens: (s: string) => number): TextChunk[] {
  if (options.overlapTokens >= options.maxTokens) throw new RangeError('chunk overlap must be smaller than the chunk size');
  const chunks: TextChunk[] = [];
  for (const section of sections) {
    const units = sentenceSpans(text, section.start, section.end).flatMap((span): Unit[] => {
      const tokens = countTokens(text.slice(span.start, span.end));
      return tokens > options.maxTokens ? splitLongSpan(text, span, options.maxTokens, countTokens) : [{ ...span, tokens }];
    });
    let i = 0;
    while (i < units.length) {
      const { end: j, tokens } = packWindow(text, units, i, options.maxTokens, countTokens);
      const start = units[i]!.start;
      const end = units[j - 1]!.end;
      chunks.push({ text: text.slice(start, end), start, end, page: section.page, tokenCount: tokens });
      if (j >= units.length) break;
      // Step back over trailing sentences worth up to overlapTokens, always moving forward.
      let next = j;
      let overlap = 0;
      while (next - 1 > i && overlap + units[next - 1]!.tokens <= options.overlapTokens) {
        overlap += units[next - 1]!.tokens;
        next--;
      }
      i = next;
    }
  }
  return chunks;
}
