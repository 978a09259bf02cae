import { innerProduct } from '../store/exact-vector-index.js';
import { isStopWord, stem, words } from '../core/text.js';
import { sentenceSpans } from '../ingestion/chunker.js';
import type { Embedder } from '../embedding/embedder.js';
import { NO_USAGE } from './generator.js';
import type { AnswerSegment, GenerateOptions, GeneratedAnswer, Generator, Passage } from './generator.js';

export interface ExtractiveOptions {
  maxSentences: number;
  /** Sentences scoring below this share of the best sentence's score are left out. */
  relativeFloor: number;
}

/** A sentence of a passage, with its span in the document and its score for the question. */
export interface RankedSentence {
  passage: Passage;
  text: string;
  start: number;
  end: number;
  position: number;
  score: number;
}

/**
 * The offline default: no generative model exists offline, so the answer is made of the
 * retrieved sentences that best answer the question, each cited to its exact span. A
 * sentence's score mixes its embedding similarity to the question, the share of the
 * question's content words it contains, and its passage's retrieval rank.
 */
export class ExtractiveGenerator implements Generator {
  readonly id = 'extractive';

  constructor(
    private readonly embedder: Embedder,
    private readonly options: ExtractiveOptions,
  ) {}

  async generate(question: string, passages: Passage[], options: GenerateOptions = {}): Promise<GeneratedAnswer> {
    const candidates = await this.rankSentences(question, passages, options.signal);
    if (candidates.length === 0) return { segments: [], usage: NO_USAGE };
    const best = candidates[0]!.score;
    const chosen = candidates
      .filter((c) => c.score >= best * this.options.relativeFloor)
      .slice(0, this.options.maxSentences)
      .sort((a, b) => a.passage.ref - b.passage.ref || a.position - b.position);
    const segments: AnswerSegment[] = chosen.map((c) => ({ text: c.text, citations: [{ ref: c.passage.ref, start: c.start, end: c.end }] }));
    for (const s of segments) options.onText?.(`${s.text} [${s.citations[0]!.ref}] `);
    return { segments, usage: NO_USAGE };
  }

  /** Every sentence of the passages, best first, scored for how well it answers the question. */
  async rankSentences(question: string, passages: Passage[], signal?: AbortSignal): Promise<RankedSentence[]> {
    const candidates = this.sentences(passages);
    if (candidates.length === 0) return [];
    const { vectors } = await this.embedder.embed([question, ...candidates.map((c) => c.text)], { signal, priority: 'interactive' });
    const q = vectors[0]!;
    const overlap = idfOverlap(question, candidates.map((c) => c.text));
    candidates.forEach((c, i) => {
      const rankPrior = 1 / (1 + 0.1 * (c.passage.ref - 1));
      c.score = (0.5 * innerProduct(q, vectors[i + 1]!) + 0.5 * overlap[i]!) * rankPrior;
    });
    return candidates.sort((a, b) => b.score - a.score);
  }

  /** Every sentence of every passage once (overlapping chunks repeat sentences), with its span in the document. */
  private sentences(passages: Passage[]): RankedSentence[] {
    const seen = new Set<string>();
    return passages.flatMap((passage) =>
      sentenceSpans(passage.chunk.text).flatMap((span, position) => {
        const text = passage.chunk.text.slice(span.start, span.end).replace(/\s+/g, ' ');
        const key = `${passage.chunk.docId}\u0000${text}`;
        if (seen.has(key)) return [];
        seen.add(key);
        return [{ passage, text, start: passage.chunk.start + span.start, end: passage.chunk.start + span.end, position, score: 0 }];
      }),
    );
  }
}

/**
 * For each sentence, the IDF-weighted share of the question's content words it contains,
 * with IDF taken over the candidate sentences: a word most sentences share (the subject
 * of the whole text) counts for little, a rare one for much.
 */
export function idfOverlap(question: string, sentences: string[]): number[] {
  const terms = [...new Set(words(question).filter((w) => w.length > 1 && !isStopWord(w)).map(stem))];
  const sets = sentences.map((s) => new Set(words(s).map(stem)));
  const idf = new Map(terms.map((t) => [t, Math.log(1 + sentences.length / (1 + sets.filter((set) => set.has(t)).length))]));
  const total = terms.reduce((a, t) => a + idf.get(t)!, 0);
  return sets.map((set) => (total === 0 ? 0 : terms.reduce((a, t) => a + (set.has(t) ? idf.get(t)! : 0), 0) / total));
}
