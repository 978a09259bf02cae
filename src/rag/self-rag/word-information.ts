import { join } from 'node:path';
import { LruCache } from '../../core/lru.js';
import { readVocabulary, SentencePieceTokenizer } from '../../embedding/use-lite/sentencepiece.js';
import { useLitePackageDir } from '../../models/use-lite-model.js';

/**
 * How much a word tells: its negative log-probability under a unigram model of English (the
 * USE-lite SentencePiece vocabulary, which ships offline). A corpus-free stand-in for IDF, so
 * that a feature means the same whatever a workspace holds: "the" ≈ 3.6, "city" ≈ 8.7, "copenhagen" ≈ 34.
 */
export class WordInformation {
  private readonly known = new LruCache<string, number>(20_000);

  constructor(private readonly tokenizer: SentencePieceTokenizer) {}

  static async load(vocabPath = join(useLitePackageDir(), 'vocab.json')): Promise<WordInformation> {
    return new WordInformation(new SentencePieceTokenizer(await readVocabulary(vocabPath)));
  }

  of(word: string): number {
    return this.known.getOrSet(word, (w) => -this.tokenizer.logProbability(w));
  }
}
