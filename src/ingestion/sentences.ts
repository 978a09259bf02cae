/**
 * Sentence spans with offsets into the original text, in work linear in its length.
 *
 * The segmenter (Intl.Segmenter, ICU's UAX #29 sentence rules) costs time proportional to the
 * length of the string it iterates for every sentence it yields, so a whole document is quadratic
 * (about 15 s for 1 MB of prose). It is therefore given windows of at most SEGMENT_WINDOW
 * characters, each cut where the rules always break: after a line break that is left (a blank
 * line), or before a capital letter or an ideograph that follows sentence-final punctuation
 * (closing quotes and brackets allowed, then spaces). On such text the sentences are the ones
 * the whole-text segmenter finds. A window with no such place (a stretch of several thousand
 * characters with no sentence end) is cut after its last space, or else wherever it is full,
 * and the sentence it cuts continues into the next window, as one sentence.
 */
export interface Span {
  start: number;
  end: number;
}

/** Most characters handed to the segmenter at once. */
export const SEGMENT_WINDOW = 2048;

// Abbreviations after which a full stop does not end a sentence; the full stop ends the text tested.
const ABBREVIATION = String.raw`(?:Mr|Mrs|Ms|Dr|St|Jr|Sr|Prof|Rev|Gen|Col|Capt|Lt|Sgt|Mt|No|Vol|vs|etc|e\.g|i\.e|U\.S|a\.m|p\.m|[A-Z])\.`;
const ABBREVIATION_AT_START = new RegExp(String.raw`(?:^|\s)${ABBREVIATION}$`);
const ABBREVIATION_AFTER_SPACE = new RegExp(String.raw`\s${ABBREVIATION}$`);
/** Enough characters before a sentence's last full stop to hold a space and the longest abbreviation. */
const ABBREVIATION_TAIL = 8;

const segmenter = new Intl.Segmenter('en', { granularity: 'sentence' });
const SPACE = /\s/;
/** Letters before which the rules break after sentence-final punctuation and spaces (neither lower case nor a digit). */
const STARTER = /^[\p{Lu}\p{Lt}\p{Ideographic}\p{sc=Hiragana}\p{sc=Katakana}\p{sc=Hangul}]$/u;

/** Sentence spans of `text[start, end)`, trimmed of surrounding whitespace. */
export function sentenceSpans(text: string, start = 0, end = text.length): Span[] {
  // A single line break is hard wrapping, not a sentence end (a blank line still is); same length, so offsets hold.
  const unwrapped = text.slice(start, end).replace(/(?<!\n)\n(?!\n)/g, ' ');
  const merger = new AbbreviationMerger(text);
  // A blank line is a run of line breaks, and the rules break after each: the first (or a CR LF
  // pair) ends a sentence, the others are sentences of nothing but a line break, which change
  // nothing (they hold no text and no abbreviation), so they are skipped, not segmented one by one.
  let block = 0;
  for (const run of unwrapped.matchAll(/[\n\r\u2028\u2029]{2,}/g)) {
    segmentBlock(unwrapped, block, run.index + (run[0].startsWith('\r\n') ? 2 : 1), start, merger);
    block = run.index + run[0].length;
  }
  segmentBlock(unwrapped, block, unwrapped.length, start, merger);
  return merger.finish();
}

function segmentBlock(unwrapped: string, from: number, to: number, offset: number, merger: AbbreviationMerger): void {
  let continued = false;
  for (const [a, b, forced] of segmentWindows(unwrapped, from, to, SEGMENT_WINDOW)) {
    for (const seg of segmenter.segment(unwrapped.slice(a, b))) {
      const s = offset + a + seg.index;
      merger.add(s, s + seg.segment.length, continued);
      continued = false;
    }
    continued = forced;
  }
}

/**
 * Joins a sentence to the one before when that one ends with an abbreviation ("Mr. Scrooge").
 * Only the last few characters before a sentence's last non-space are tested, and each
 * sentence's trailing spaces are scanned once, so a run of merges stays linear.
 */
class AbbreviationMerger {
  private readonly spans: Span[] = [];
  private pending: Span | undefined;
  /** End of the pending span's last non-space character (its start when it has none). */
  private pendingContentEnd = 0;

  constructor(private readonly text: string) {}

  /** The next segment; `continued` when it only starts a window because the one before was full. */
  add(start: number, end: number, continued = false): void {
    const contentEnd = lastNonSpaceEnd(this.text, start, end);
    if (this.pending && (continued || this.endsWithAbbreviation())) {
      this.pending.end = end;
      if (contentEnd > start) this.pendingContentEnd = contentEnd;
    } else {
      this.flush();
      this.pending = { start, end };
      this.pendingContentEnd = contentEnd;
    }
  }

  finish(): Span[] {
    this.flush();
    return this.spans;
  }

  private endsWithAbbreviation(): boolean {
    const { start } = this.pending!;
    const from = Math.max(start, this.pendingContentEnd - ABBREVIATION_TAIL);
    return (from === start ? ABBREVIATION_AT_START : ABBREVIATION_AFTER_SPACE).test(this.text.slice(from, this.pendingContentEnd));
  }

  private flush(): void {
    if (!this.pending) return;
    let { start } = this.pending;
    const end = this.pendingContentEnd;
    while (start < end && SPACE.test(this.text[start]!)) start++;
    if (end > start) this.spans.push({ start, end });
    this.pending = undefined;
  }
}

function lastNonSpaceEnd(text: string, start: number, end: number): number {
  while (end > start && SPACE.test(text[end - 1]!)) end--;
  return end;
}

// Where the scan stands: after other text, after sentence-final punctuation (closing quotes or
// brackets may follow), or after that and one or more spaces.
const OTHER = 0;
const TERMINATOR = 1;
const TERMINATOR_SPACE = 2;

function isTerminator(code: number): 'ascii' | 'wide' | undefined {
  if (code === 0x2e || code === 0x21 || code === 0x3f) return 'ascii'; // . ! ?
  if (code === 0x3002 || code === 0xff01 || code === 0xff1f || code === 0xff61) return 'wide'; // 。！？｡
  return undefined;
}

const CLOSE = new Set([0x22, 0x27, 0x29, 0x5d, 0x7d, 0xbb, 0x2019, 0x201d, 0x203a, 0x300d, 0x300f, 0xff09]);

function isParagraphEnd(s: string, i: number): boolean {
  const prev = s.charCodeAt(i - 1);
  return prev === 0x0a || prev === 0x85 || prev === 0x2028 || prev === 0x2029 || (prev === 0x0d && s.charCodeAt(i) !== 0x0a);
}

/**
 * Consecutive windows [from, to, forced] covering `s[start, end)`, each at most `size` long, cut
 * at the best place in the window: the latest paragraph or sentence start, else after the last
 * space (`forced`), else where it is full, never inside a surrogate pair (`forced`). One pass
 * over the text, remembering the latest place of each kind, so the work is linear whatever the text.
 */
function* segmentWindows(s: string, start: number, end: number, size: number): Generator<[from: number, to: number, forced: boolean]> {
  let from = start;
  let sentence = -1; // the latest place where the rules always break
  let space = -1;
  let after = OTHER;
  let wide = false;
  for (let i = start; i < end; i++) {
    const code = s.charCodeAt(i);
    if (i > start) {
      if (isParagraphEnd(s, i)) sentence = i;
      else if ((after === TERMINATOR_SPACE || (wide && after === TERMINATOR)) && isStarter(code, s, i)) sentence = i;
      else if (code !== 0x20 && code !== 0x09 && (s.charCodeAt(i - 1) === 0x20 || s.charCodeAt(i - 1) === 0x09)) space = i;
    }
    if (i - from >= size) {
      const forced = sentence <= from;
      const cut = !forced ? sentence : space > from ? space : hardCut(s, i);
      yield [from, cut, forced];
      from = cut;
    }
    const terminator = isTerminator(code);
    if (terminator) {
      after = TERMINATOR;
      wide = terminator === 'wide';
    } else if (after === TERMINATOR && CLOSE.has(code)) {
      // still after the terminator
    } else if (after !== OTHER && (code === 0x20 || code === 0x09)) after = TERMINATOR_SPACE;
    else after = OTHER;
  }
  if (from < end) yield [from, end, false];
}

function isStarter(code: number, s: string, i: number): boolean {
  if (code >= 0x41 && code <= 0x5a) return true;
  if (code < 0x80) return false;
  return STARTER.test(String.fromCodePoint(s.codePointAt(i)!));
}

/** `i`, or one before it where `i` would split a surrogate pair. */
function hardCut(s: string, i: number): number {
  const low = s.charCodeAt(i);
  const high = s.charCodeAt(i - 1);
  return low >= 0xdc00 && low <= 0xdfff && high >= 0xd800 && high <= 0xdbff ? i - 1 : i;
}
