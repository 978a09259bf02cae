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

/** Splits an over-long sentence between words into pieces of at most `maxTokens`. */
function splitLongSpan(text: string, span: Span, maxTokens: number, count: (s: string) => number): Span[] {
  const words = [...text.slice(span.start, span.end).matchAll(/\S+/g)].map((m) => ({ start: span.start + m.index, end: span.start + m.index + m[0].length }));
  const pieces: Span[] = [];
  let current: Span | undefined;
  for (const w of words) {
    const candidate: Span = current ? { start: current.start, end: w.end } : w;
    if (current && count(text.slice(candidate.start, candidate.end)) > maxTokens) {
      pieces.push(current);
      current = { ...w };
    } else current = candidate;
  }
  if (current) pieces.push(current);
  return pieces;
}

export function chunkText(text: string, sections: Section[], options: ChunkingOptions, countTokens: (s: string) => number): TextChunk[] {
  if (options.overlapTokens >= options.maxTokens) throw new RangeError('chunk overlap must be smaller than the chunk size');
  const chunks: TextChunk[] = [];
  for (const section of sections) {
    const units = sentenceSpans(text, section.start, section.end).flatMap((span) => {
      const tokens = countTokens(text.slice(span.start, span.end));
      return tokens > options.maxTokens ? splitLongSpan(text, span, options.maxTokens, countTokens).map((s) => ({ ...s, tokens: countTokens(text.slice(s.start, s.end)) })) : [{ ...span, tokens }];
    });
    let i = 0;
    while (i < units.length) {
      // Pack by the sentences' own counts (joining sentences rarely changes a SentencePiece or
      // WordPiece count), then check the window once and give back a sentence if it is over.
      let j = i + 1;
      let sum = units[i]!.tokens;
      while (j < units.length && sum + units[j]!.tokens <= options.maxTokens) sum += units[j++]!.tokens;
      let tokens = countTokens(text.slice(units[i]!.start, units[j - 1]!.end));
      while (tokens > options.maxTokens && j - 1 > i) {
        j--;
        tokens = countTokens(text.slice(units[i]!.start, units[j - 1]!.end));
      }
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
