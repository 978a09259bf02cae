import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../src/core/random.js';
import { chunkText, MAX_WORD_CHARS, sentenceSpans } from '../../src/ingestion/chunker.js';
import type { Span } from '../../src/ingestion/chunker.js';
import { SEGMENT_WINDOW } from '../../src/ingestion/sentences.js';

/**
 * The reference: sentence splitting as it was before windows, one segmenter over the whole
 * text (quadratic in its length, so only used on texts of up to ~100 KB).
 */
const REFERENCE_ABBREVIATION = /(?:^|\s)(?:Mr|Mrs|Ms|Dr|St|Jr|Sr|Prof|Rev|Gen|Col|Capt|Lt|Sgt|Mt|No|Vol|vs|etc|e\.g|i\.e|U\.S|a\.m|p\.m|[A-Z])\.\s*$/;
const referenceSegmenter = new Intl.Segmenter('en', { granularity: 'sentence' });
function referenceSentenceSpans(text: string, start = 0, end = text.length): Span[] {
  const spans: Span[] = [];
  let pending: Span | undefined;
  const unwrapped = text.slice(start, end).replace(/(?<!\n)\n(?!\n)/g, ' ');
  for (const seg of referenceSegmenter.segment(unwrapped)) {
    const s = start + seg.index;
    const e = s + seg.segment.length;
    if (pending && REFERENCE_ABBREVIATION.test(text.slice(pending.start, pending.end))) pending.end = e;
    else {
      if (pending) spans.push(pending);
      pending = { start: s, end: e };
    }
  }
  if (pending) spans.push(pending);
  return spans
    .map(({ start: a, end: b }) => {
      while (a < b && /\s/.test(text[a]!)) a++;
      while (b > a && /\s/.test(text[b - 1]!)) b--;
      return { start: a, end: b };
    })
    .filter((sp) => sp.end > sp.start);
}

const carol = readFileSync(new URL('../../corpora/a-christmas-carol.txt', import.meta.url), 'utf8');
const MB = 1 << 20;
const fill = (unit: string, length: number) => unit.repeat(Math.ceil(length / unit.length)).slice(0, length);

/** Prose with the things sentence splitting must get right, in random order (seeded). */
function generatedText(seed: number, length: number): string {
  const random = seededRandom(seed);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(random() * xs.length)]!;
  const words = ['the', 'ghost', 'said', 'and', 'cold', 'Scrooge', 'Marley', 'London', 'at', '3.5', '10', 'it', 'was', 'Bob'];
  const abbreviations = ['Mr.', 'Mrs.', 'Dr.', 'St.', 'e.g.', 'i.e.', 'U.S.', 'a.m.', 'etc.', 'vs.', 'A.', 'J.', 'No.'];
  const ends = ['.', '!', '?', '."', '!"', '.)', '...', '?!', '.\u201d'];
  const gaps = [' ', ' ', ' ', ' ', '\n', '  ', '\t', '\n\n', '\n\n\n', '\r\n', ' \n '];
  const cjk = ['我们今天去公园。', '天气很好！', '你呢？', '東京は晴れです。'];
  let out = '';
  while (out.length < length) {
    if (random() < 0.1) {
      out += pick(cjk) + (random() < 0.5 ? '' : pick(gaps));
      continue;
    }
    const n = 2 + Math.floor(random() * 25);
    let sentence = '';
    for (let i = 0; i < n; i++) {
      const word = random() < 0.12 ? pick(abbreviations) : pick(words);
      sentence += (i === 0 ? word[0]!.toUpperCase() + word.slice(1) : word) + (i < n - 1 ? pick(gaps) : '');
    }
    out += sentence + pick(ends) + pick(gaps);
  }
  return out;
}

const texts = (spans: Span[], text: string) => spans.map((s) => text.slice(s.start, s.end));

describe('sentence spans in windows', () => {
  it('are the whole-text segmenter’s spans on the first 100 KB of A Christmas Carol (many windows)', () => {
    const text = carol.slice(0, 100_000);
    const spans = sentenceSpans(text);
    expect(text.length).toBeGreaterThan(40 * SEGMENT_WINDOW);
    expect(spans).toEqual(referenceSentenceSpans(text));
    // the reference is not trivial: thousands of sentences, with abbreviations joined
    expect(spans.length).toBeGreaterThan(2000);
    expect(texts(spans, text).some((s) => /\bMr\. Scrooge/.test(s))).toBe(true);
  });

  it('are the whole-text segmenter’s spans on generated texts: abbreviations, blank lines, wrapped lines, CR LF, CJK', () => {
    for (let seed = 1; seed <= 30; seed++) {
      const text = generatedText(seed, 12_000);
      expect(sentenceSpans(text), `seed ${seed}`).toEqual(referenceSentenceSpans(text));
    }
    // and on a part of a text, as PDF pages are split
    const text = generatedText(99, 30_000);
    expect(sentenceSpans(text, 5_001, 27_003)).toEqual(referenceSentenceSpans(text, 5_001, 27_003));
  });

  it('keep a sentence longer than a window whole, as before, whether cut at a space or mid-word', () => {
    const words = Array.from({ length: 2000 }, (_, i) => `Word${i}${i % 7 === 0 ? ',' : ''}`).join(' ');
    const text = `Short one. ${words}. Then ${'x'.repeat(3 * SEGMENT_WINDOW + 5)}. End.`;
    const spans = sentenceSpans(text);
    expect(spans).toEqual(referenceSentenceSpans(text));
    expect(texts(spans, text)).toEqual(['Short one.', `${words}.`, `Then ${'x'.repeat(3 * SEGMENT_WINDOW + 5)}.`, 'End.']);
  });

  it('join across a window cut and across blank lines exactly as before', () => {
    // "Mr.\n\n\n" then a name: the reference joins them; the blank lines are skipped, not segmented
    const text = `${'Some words here. '.repeat(Math.ceil(SEGMENT_WINDOW / 17))}Mr.\n\n\n\nSmith came. ${'A. '.repeat(3000)}End. Dr. Who.`;
    expect(sentenceSpans(text)).toEqual(referenceSentenceSpans(text));
    expect(texts(sentenceSpans(text), text)).toContain('Mr.\n\n\n\nSmith came.');
  });
});

/** Independent checks of any span list: sorted, disjoint, trimmed, and covering every non-space character. */
function expectWellFormed(text: string, spans: Span[]): void {
  let last = 0;
  let covered = 0;
  for (const { start, end } of spans) {
    if (start < last || end <= start || /\s/.test(text[start]!) || /\s/.test(text[end - 1]!)) throw new Error(`bad span [${start}, ${end}) after ${last}`);
    covered += text.slice(start, end).replace(/\s+/g, '').length;
    last = end;
  }
  expect(last).toBeLessThanOrEqual(text.length);
  expect(covered).toBe(text.replace(/\s+/g, '').length);
}

/** Fastest of a few runs (fewer when one run is already slow), in ms. */
function fastest(run: () => void): number {
  let best = Infinity;
  let total = 0;
  for (let i = 0; i < 3 && total < 2_000; i++) {
    const t0 = performance.now();
    run();
    const ms = performance.now() - t0;
    best = Math.min(best, ms);
    total += ms;
  }
  return best;
}

describe('sentence spans stay linear', () => {
  const families: Array<[string, string, number[]]> = [
    ['prose', carol, [0.5 * MB, 2 * MB]],
    ['"A. " repeated (every sentence joined to the one before)', 'A. ', [0.25 * MB, 1 * MB]],
    ['CJK sentences without spaces', '我们今天去公园。天气很好！你呢？', [0.25 * MB, 1 * MB]],
  ];
  for (const [name, unit, sizes] of families) {
    // Four times the input: linear work takes about 4× the time, quadratic 16×; 8× lies between,
    // far enough from both that a loaded machine's noise does not decide the outcome.
    it(`time grows less than 8× for 4× the input, ${name} (${sizes.map((s) => s / MB).join(' → ')} MB)`, () => {
      let previous: number | undefined;
      for (const size of sizes) {
        const text = fill(unit, size);
        sentenceSpans(text.slice(0, 50_000)); // warm up
        const ms = fastest(() => sentenceSpans(text));
        if (previous !== undefined) expect(ms / previous, `${size / MB} MB: ${ms.toFixed(0)} ms after ${previous.toFixed(0)} ms`).toBeLessThan(8);
        previous = ms;
      }
    });
  }

  it('splits 20 MB of prose, and 2 MB of text with no punctuation, no spaces, only line breaks or only CJK', () => {
    const cases: Array<[string, string]> = [
      ['20 MB of prose', fill(carol, 20 * MB)],
      ['2 MB with no punctuation and no spaces', fill('abcdefghij', 2 * MB)],
      ['2 MB of "A. "', fill('A. ', 2 * MB)],
      ['2 MB of line breaks', fill('\n', 2 * MB)],
      ['2 MB of CR', fill('\r', 2 * MB)],
      ['2 MB of CJK without spaces or punctuation', fill('我们今天去公园天气很好你呢東京は晴れです', 2 * MB)],
    ];
    const spans = new Map(cases.map(([name, text]) => [name, sentenceSpans(text)]));
    for (const [name, text] of cases) expectWellFormed(text, spans.get(name)!);
    // a stretch with no sentence end is one sentence, however many windows it took
    for (const name of ['2 MB with no punctuation and no spaces', '2 MB of "A. "', '2 MB of CJK without spaces or punctuation']) {
      expect(spans.get(name), name).toEqual([{ start: 0, end: 2 * MB }]);
    }
    expect(spans.get('2 MB of line breaks')).toEqual([]);
    expect(spans.get('20 MB of prose')!.length).toBeGreaterThan(400_000);
  });
});

describe('chunkText on very large inputs', () => {
  const countWords = (s: string) => s.split(/\s+/).filter(Boolean).length;

  it('chunks 20 MB of prose and 2 MB long "sentences" with exact offsets and windows under the limit', () => {
    const cases = [fill(carol, 20 * MB), fill('A. ', 2 * MB), fill('abcdefghij ', 2 * MB), fill('abcdefghij', 2 * MB), fill('我们今天去公园天气很好你呢', 2 * MB)];
    for (const text of cases) {
      const chunks = chunkText(text, [{ start: 0, end: text.length, page: null }], { maxTokens: 100, overlapTokens: 20 }, countWords);
      // each chunk slices the text, fits the window, starts after the one before, and only spaces fall between
      let covered = 0;
      let previousStart = -1;
      for (const c of chunks) {
        const gap = c.start > covered ? text.slice(covered, c.start) : '';
        if (text.slice(c.start, c.end) !== c.text || c.tokenCount > 100 || c.start <= previousStart || gap.trim() !== '') throw new Error(`bad chunk [${c.start}, ${c.end})`);
        previousStart = c.start;
        covered = Math.max(covered, c.end);
      }
      expect(text.slice(covered).trim()).toBe('');
    }
  });

  it('cuts a run of more than MAX_WORD_CHARS characters without a space between characters', () => {
    const perFourChars = (s: string) => Math.ceil(s.length / 4); // a 2048-character piece counts 512
    for (const text of [fill('abcdefghij', 2 * MB), fill('我们今天去公园天气很好你呢😀', 2 * MB)]) {
      const chunks = chunkText(text, [{ start: 0, end: text.length, page: null }], { maxTokens: 100, overlapTokens: 20 }, perFourChars);
      expect(chunks.map((c) => c.text).join('')).toBe(text);
      expect(Math.max(...chunks.slice(0, 1000).map((c) => c.end - c.start))).toBeLessThanOrEqual(MAX_WORD_CHARS);
      // no chunk splits a surrogate pair: UTF-8 round trips keep every chunk as it is
      expect(chunks.filter((c) => Buffer.from(c.text).toString() !== c.text)).toEqual([]);
    }
  });
});
