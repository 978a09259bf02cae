import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
// The reference: the tokenizer of the package USE-lite was published with.
import { EmbeddingsModel } from '@energetic-ai/embeddings';
import { SentencePieceTokenizer, UNKNOWN_ID } from '../../src/embedding/use-lite/sentencepiece.js';
import type { Vocabulary } from '../../src/embedding/use-lite/sentencepiece.js';
import { useLitePackageDir } from '../../src/models/use-lite-model.js';
import { parityTexts } from '../support/sentences.js';
import { HOTPOTQA_100, readCorpus } from '../../scripts/lib/datasets.js';

const vocabulary = JSON.parse(readFileSync(join(useLitePackageDir(), 'vocab.json'), 'utf8')) as Vocabulary;
const ours = new SentencePieceTokenizer(vocabulary);
const reference = (new EmbeddingsModel({ vocabulary: vocabulary as never, model: null as never }) as unknown as { tokenizer: { encode(text: string): number[] } }).tokenizer;

describe('SentencePiece tokenizer for USE-lite', () => {
  const texts = parityTexts();

  it('has at least 200 varied parity sentences', () => {
    expect(texts.length).toBeGreaterThanOrEqual(200);
    expect(texts.some((t) => /[^\x00-\x7f]/.test(t))).toBe(true);
    expect(texts.some((t) => /\d/.test(t))).toBe(true);
    expect(texts.some((t) => ours.encode(t).length > 128)).toBe(true);
  });

  it('matches the reference package on every parity sentence', () => {
    const mismatches = texts.filter((t) => JSON.stringify(ours.encode(t)) !== JSON.stringify(reference.encode(t)));
    expect(mismatches).toEqual([]);
  });

  it('segments a known sentence into the expected pieces', () => {
    const pieces = ours.encode('Hello world.').map((id) => vocabulary[id]![0]);
    expect(pieces.join('')).toBe('▁Hello▁world.');
    expect(pieces).toContain('▁world');
  });

  it('collapses runs of characters no piece covers into one unknown id', () => {
    const ids = ours.encode('🤖🤖🤖');
    expect(ids.filter((id) => id === UNKNOWN_ID)).toHaveLength(1);
  });

  it('gives an empty text the bare word-start piece instead of nothing', () => {
    expect(reference.encode('')).toEqual([]);
    expect(ours.encode('')).toEqual([ours.wordStartId]);
    expect(vocabulary[ours.wordStartId]![0]).toBe('▁');
  });
});

/** Brute force: the best sum of piece scores over every segmentation of the marked word (the independent reference). */
function bestSegmentationScore(marked: string): number {
  const scores = new Map(vocabulary.slice(6).map(([piece, score]) => [piece, score]));
  const best: number[] = [0];
  for (let end = 1; end <= marked.length; end++) {
    best[end] = -Infinity;
    for (let start = 0; start < end; start++) {
      const score = scores.get(marked.slice(start, end));
      if (score !== undefined && best[start]! > -Infinity) best[end] = Math.max(best[end]!, best[start]! + score);
    }
  }
  return best[marked.length]!;
}

describe('SentencePiece log-probability (word information)', () => {
  it('equals the best segmentation score found by brute force', () => {
    for (const word of ['the', 'Copenhagen', 'reggae', 'Scrooge', 'counterintuitively', 'x']) {
      expect(ours.logProbability(word)).toBeCloseTo(bestSegmentationScore(`\u2581${word}`), 6);
    }
  });

  it('finds rare words less probable than common ones', () => {
    expect(ours.logProbability('Copenhagen')).toBeLessThan(ours.logProbability('city'));
    expect(ours.logProbability('city')).toBeLessThan(ours.logProbability('the'));
    expect(ours.logProbability('')).toBe(0);
  });
});

describe('SentencePiece tokenizer on a real corpus', () => {
  it('matches the reference package on HotpotQA passages', () => {
    const passages = readCorpus(HOTPOTQA_100).slice(0, 300).map((p) => p.text);
    const mismatches = passages.filter((t) => JSON.stringify(ours.encode(t)) !== JSON.stringify(reference.encode(t)));
    expect(mismatches).toEqual([]);
  });
});
