import type { AnswerSegment, Generator, Passage } from '../../llm/generator.js';
import type { ExtractiveGenerator } from '../../llm/extractive-generator.js';

/**
 * Writes an answer one segment at a time: for each passage, the candidate next segments drawn
 * from that passage alone, given the segments chosen so far; none where the generator ends
 * (it has nothing more to say from that passage). Each candidate carries the generator's
 * probability of it where the generator has one (`likelihood`): the p(y_t | x, d, y_<t) that
 * Self-RAG adds to a segment's critique score.
 */
export interface SegmentGenerator {
  readonly id: string;
  nextSegments(question: string, passages: Passage[], previous: AnswerSegment[], signal?: AbortSignal): Promise<AnswerSegment[][]>;
}

function spanKey(segment: AnswerSegment): string {
  const c = segment.citations[0];
  return c ? `${c.ref}:${c.start}:${c.end}` : segment.text;
}

/**
 * The offline segment generator: a passage's candidates are its `perPassage` best-ranked
 * sentences not yet in the answer that score at least `relativeFloor` of the best sentence
 * over all passages; it ends when none is left. It has no probabilities, so a candidate's
 * likelihood is its stand-in: the sentence's score relative to the best sentence's (1 for the
 * sentence the extractive answer would start with). Rankings are kept for the last few
 * questions, since the beam search asks again at every depth.
 */
export class ExtractiveSegmentGenerator implements SegmentGenerator {
  readonly id = 'extractive';
  private readonly rankings = new Map<string, ReturnType<ExtractiveGenerator['rankSentences']>>();

  constructor(
    private readonly extractive: ExtractiveGenerator,
    private readonly options: { relativeFloor: number; perPassage: number },
  ) {}

  async nextSegments(question: string, passages: Passage[], previous: AnswerSegment[], signal?: AbortSignal): Promise<AnswerSegment[][]> {
    const ranked = await this.ranking(question, passages, signal);
    const used = new Set(previous.map(spanKey));
    const best = ranked[0]?.score ?? 0;
    const floor = best * this.options.relativeFloor;
    const likelihood = (score: number) => (best > 0 ? Math.min(1, Math.max(0, score / best)) : 0);
    return passages.map((passage) =>
      ranked
        .filter((s) => s.passage.ref === passage.ref && s.score >= floor && !used.has(`${passage.ref}:${s.start}:${s.end}`))
        .slice(0, this.options.perPassage)
        .map((s) => ({ text: s.text, citations: [{ ref: passage.ref, start: s.start, end: s.end }], likelihood: likelihood(s.score) })),
    );
  }

  private ranking(question: string, passages: Passage[], signal?: AbortSignal): ReturnType<ExtractiveGenerator['rankSentences']> {
    const key = `${question}\u0000${passages.map((p) => `${p.ref}:${p.chunk.id}`).join(',')}`;
    let ranking = this.rankings.get(key);
    if (!ranking) {
      ranking = this.extractive.rankSentences(question, passages, signal);
      ranking.catch(() => this.rankings.delete(key));
      this.rankings.set(key, ranking);
      if (this.rankings.size > RANKINGS_KEPT) this.rankings.delete(this.rankings.keys().next().value!);
    }
    return ranking;
  }
}

const RANKINGS_KEPT = 16;

/**
 * Any answer generator as a segment generator (an LLM server, for instance): it answers from
 * the one passage, and the first sentence not already in the answer is the next segment, with
 * its likelihood where the generator reports one (an LLM server with token log-probabilities).
 */
export class PerPassageSegmentGenerator implements SegmentGenerator {
  readonly id: string;

  constructor(private readonly generator: Generator) {
    this.id = `per-passage:${generator.id}`;
  }

  async nextSegments(question: string, passages: Passage[], previous: AnswerSegment[], signal?: AbortSignal): Promise<AnswerSegment[][]> {
    const said = new Set(previous.map((s) => s.text.trim()));
    return Promise.all(
      passages.map(async (passage) => {
        const { segments } = await this.generator.generate(question, [passage], { signal, likelihood: true });
        return segments.filter((s) => !said.has(s.text.trim())).slice(0, 1);
      }),
    );
  }
}
