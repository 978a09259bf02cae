import { describe, expect, it } from 'vitest';
import { chunkText, sentenceSpans } from '../../src/ingestion/chunker.js';
import { loaderFor } from '../../src/ingestion/loaders/index.js';
import { minimalPdf } from '../support/minimal-pdf.js';

/** A stand-in token counter (words); the real embedder's counter is used in the API tests. */
const countWords = (s: string) => s.split(/\s+/).filter(Boolean).length;
const options = { textField: 'text', maxPdfPages: 10 };

describe('sentence spans', () => {
  it('splits sentences, keeps abbreviations and hard-wrapped lines together, and offsets exact', () => {
    const text = 'Mr. Scrooge was\nmean. He said "Bah!" Then he left.\n\nA new paragraph starts here';
    const spans = sentenceSpans(text);
    expect(spans.map((s) => text.slice(s.start, s.end))).toEqual(['Mr. Scrooge was\nmean.', 'He said "Bah!"', 'Then he left.', 'A new paragraph starts here']);
  });
});

describe('chunker', () => {
  const sentences = Array.from({ length: 30 }, (_, i) => `Sentence number ${i} has exactly seven words.`);
  const text = sentences.join(' ');

  it('packs whole sentences into windows under the token limit, with exact offsets', () => {
    const chunks = chunkText(text, [{ start: 0, end: text.length, page: null }], { maxTokens: 30, overlapTokens: 0 }, countWords);
    for (const c of chunks) {
      expect(text.slice(c.start, c.end)).toBe(c.text);
      expect(c.tokenCount).toBeLessThanOrEqual(30);
      expect(c.tokenCount).toBe(countWords(c.text));
      expect(c.text.endsWith('words.')).toBe(true);
    }
    expect(chunks).toHaveLength(8); // 4 sentences (28 words) per window
    expect(chunks.map((c) => c.text).join(' ')).toBe(text);
  });

  it('overlaps consecutive windows by trailing sentences worth up to the overlap', () => {
    const chunks = chunkText(text, [{ start: 0, end: text.length, page: null }], { maxTokens: 30, overlapTokens: 8 }, countWords);
    for (let i = 1; i < chunks.length; i++) {
      const previousLast = sentences.find((s) => chunks[i - 1]!.text.endsWith(s))!;
      expect(chunks[i]!.text.startsWith(previousLast)).toBe(true);
      expect(chunks[i]!.start).toBeGreaterThan(chunks[i - 1]!.start);
    }
    expect(chunks.at(-1)!.end).toBe(text.length);
  });

  it('splits a sentence longer than a window between words, and never crosses sections', () => {
    const long = Array.from({ length: 50 }, (_, i) => `w${i}`).join(' ') + '.';
    const doc = `${long}\n\nShort one. Another.`;
    const split = long.length + 2;
    const chunks = chunkText(doc, [{ start: 0, end: split, page: 1 }, { start: split, end: doc.length, page: 2 }], { maxTokens: 20, overlapTokens: 0 }, countWords);
    expect(chunks.filter((c) => c.page === 1).map((c) => c.tokenCount)).toEqual([20, 20, 10]);
    expect(chunks.filter((c) => c.page === 2).map((c) => c.text)).toEqual(['Short one. Another.']);
    for (const c of chunks) expect(doc.slice(c.start, c.end)).toBe(c.text);
  });

  it('counts a long sentence in linear work: each word once, each piece about once more', () => {
    const long = Array.from({ length: 2000 }, (_, i) => `w${i}`).join(' ') + '.';
    let countedChars = 0;
    const counting = (s: string) => {
      countedChars += s.length;
      return countWords(s);
    };
    const chunks = chunkText(long, [{ start: 0, end: long.length, page: null }], { maxTokens: 50, overlapTokens: 0 }, counting);
    expect(chunks.map((c) => c.tokenCount)).toEqual(Array(40).fill(50));
    expect(chunks.map((c) => c.text).join(' ')).toBe(long);
    // The sentence itself, its words, and each piece: about three times its length, where
    // re-counting every growing prefix of a piece costs about 25 times.
    expect(countedChars).toBeLessThan(4 * long.length);
  });

  it('refuses an overlap as large as the window', () => {
    expect(() => chunkText('a.', [{ start: 0, end: 2, page: null }], { maxTokens: 5, overlapTokens: 5 }, countWords)).toThrow(/overlap/);
  });
});

describe('loaders', () => {
  it('reads HTML as visible text with its title', async () => {
    const html = '<html><head><title>Carol</title><style>p{}</style></head><body><script>alert(1)</script><h1>Stave One</h1><p>Marley was dead:&nbsp;to begin with.</p></body></html>';
    const [doc] = await loaderFor('a.html')(Buffer.from(html), 'a.html', options);
    expect(doc!.title).toBe('Carol');
    expect(doc!.text).toBe('Stave One\n\nMarley was dead:\u00a0to begin with.');
  });

  it('reads JSON and JSONL records with a configurable text field, and names bad records', async () => {
    const json = await loaderFor('r.json')(Buffer.from(JSON.stringify([{ id: 7, body: 'one', tag: 'x' }, { body: 'two' }])), 'r.json', { ...options, textField: 'body' });
    expect(json.map((d) => [d.id, d.text, d.metadata])).toEqual([['7', 'one', { tag: 'x' }], [undefined, 'two', {}]]);
    const jsonl = await loaderFor('r.jsonl')(Buffer.from('{"text":"a"}\n\n{"text":"b","title":"B"}\n'), 'r.jsonl', options);
    expect(jsonl.map((d) => [d.text, d.title])).toEqual([['a', null], ['b', 'B']]);
    await expect(loaderFor('r.jsonl')(Buffer.from('{"text":"a"}\n{oops'), 'r.jsonl', options)).rejects.toThrow(/r\.jsonl line 2 is not valid JSON/);
    await expect(loaderFor('r.json')(Buffer.from('{"body":"a"}'), 'r.json', options)).rejects.toThrow(/no string field "text"/);
  });

  it('refuses text that is not UTF-8, and file types it does not read', async () => {
    await expect(loaderFor('x.txt')(Buffer.from([0x61, 0xff, 0xfe, 0x62]), 'x.txt', options)).rejects.toThrow(/x\.txt is not valid UTF-8/);
    expect(() => loaderFor('x.docx')).toThrow(/unsupported file type; accepted: \.txt/);
  });

  it('reads PDF pages as sections with page numbers, and refuses malformed or over-long PDFs', async () => {
    const [doc] = await loaderFor('p.pdf')(minimalPdf(['Page one says hello.', 'Page two says goodbye.']), 'p.pdf', options);
    expect(doc!.text).toBe('Page one says hello.\n\nPage two says goodbye.');
    expect(doc!.sections).toEqual([
      { start: 0, end: 20, page: 1 },
      { start: 22, end: 44, page: 2 },
    ]);
    await expect(loaderFor('bad.pdf')(Buffer.from('%PDF-1.4 this is not really a pdf'), 'bad.pdf', options)).rejects.toThrow(/bad\.pdf is not a readable PDF/);
    await expect(loaderFor('p.pdf')(minimalPdf(['a', 'b', 'c']), 'p.pdf', { ...options, maxPdfPages: 2 })).rejects.toThrow(/has 3 pages; at most 2/);
  });
});
