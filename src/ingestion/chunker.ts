/**
 * Sentence-aware chunking measured in the embedder's own tokens. Sentences are packed into
 * windows of at most `maxTokens`; consecutive windows share trailing sentences worth about
 * `overlapTokens`; a sentence longer than a window is split between words. Every chunk
 * keeps its character offsets in the document (and its PDF page), so a citation can point
 * at an exact span.
 */

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

export interface Span {
  start: number;
  end: number;
}

// Abbreviations after which a full stop does not end a sentence.
const ABBREVIATION = /(?:^|\s)(?:Mr|Mrs|Ms|Dr|St|Jr|Sr|Prof|Rev|Gen|Col|Capt|Lt|Sgt|Mt|No|Vol|vs|etc|e\.g|i\.e|U\.S|a\.m|p\.m|[A-Z])\.\s*$/;

const segmenter = new Intl.Segmenter('en', { granularity: 'sentence' });

/** Sentence spans of `text[start, end)`, trimmed of surrounding whitespace. */
export function sentenceSpans(text: string, start = 0, end = text.length): Span[] {
  const spans: Span[] = [];
  let pending: Span | undefined;
  // A single line break is hard wrapping, not a sentence end (a blank line still is); same length, so offsets hold.
  const unwrapped = text.slice(start, end).replace(/(?<!\n)\n(?!\n)/g, ' ');
  for (const seg of segmenter.segment(unwrapped)) {
    const s = start + seg.index;
    const e = s + seg.segment.length;
    if (pending && ABBREVIATION.test(text.slice(pending.start, pending.end))) pending.end = e;
    else {
      if (pending) spans.push(pending);
      pending = { start: s, end: e };
    }
  }
  if (pending) spans.push(pending);
  return spans.map((sp) => trimSpan(text, sp)).filter((sp) => sp.end > sp.start);
}

function trimSpan(text: string, { start, end }: Span): Span {
  while (start < end && /\s/.test(text[start]!)) start++;
  while (end > start && /\s/.test(text[end - 1]!)) end--;
  return { start, end };
}

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

/**
 * Splits an over-long sentence between words into pieces of at most `maxTokens`: each word is
 * counted once and each piece once more, so the work stays linear in the sentence's length.
 */
function splitLongSpan(text: string, span: Span, maxTokens: number, count: (s: string) => number): Unit[] {
  const words = [...text.slice(span.start, span.end).matchAll(/\S+/g)].map((m) => {
    const start = span.start + m.index;
    return { start, end: start + m[0].length, tokens: count(m[0]) };
  });
  const pieces: Unit[] = [];
  for (let i = 0; i < words.length; ) {
    const { end, tokens } = packWindow(text, words, i, maxTokens, count);
    pieces.push({ start: words[i]!.start, end: words[end - 1]!.end, tokens });
    i = end;
  }
  return pieces;
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
