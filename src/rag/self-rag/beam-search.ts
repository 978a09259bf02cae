import type { AnswerSegment, Passage } from '../../llm/generator.js';
import type { Critic } from './critic.js';
import { argmax, critiqueScores } from './reflection.js';
import type { CritiqueScores, CritiqueWeights, Judgement } from './reflection.js';
import type { SegmentGenerator } from './segment-generator.js';

export interface BeamOptions {
  /** Nodes kept at each depth. */
  width: number;
  /** Segments at most in an answer. */
  maxDepth: number;
  weights: CritiqueWeights;
  /** w_gen: a segment's score is w_gen·likelihood + its critique total (0 where the generator gives no likelihood). */
  likelihoodWeight: number;
  /** Leave out segments whose most probable IsSUP token is [No support / Contradictory]. */
  dropNoSupport: boolean;
}

/** One candidate segment: generated from `passage`, judged by the critic. */
export interface ScoredSegment {
  depth: number;
  passage: Passage;
  segment: AnswerSegment;
  judgement: Judgement;
  scores: CritiqueScores;
  /** The segment score, as the paper's f(y_t, d, Critique) = p(y_t | x, d, y_<t) + S(Critique): w_gen·likelihood + scores.total. */
  score: number;
}

/** A partial answer: its segments, and the product of their segment scores down the path. */
export interface BeamNode {
  path: ScoredSegment[];
  score: number;
  /** The generator had nothing more to add to this answer. */
  ended: boolean;
}

export interface BeamResult {
  best: BeamNode;
  /** The final beam, best first. */
  beams: BeamNode[];
  /** Every segment the critic judged, in the order judged. */
  candidates: ScoredSegment[];
}

/**
 * Self-RAG's segment-level beam search: every node of the beam is extended by each candidate
 * segment from each passage, each extension scored by the critic (plus the generator's
 * likelihood of it), and the `width` best nodes (by the product of segment scores along their
 * path) go on, until the maximum depth or until the generator ends on every node.
 */
export async function segmentBeamSearch(
  question: string,
  passages: Passage[],
  generator: SegmentGenerator,
  critic: Critic,
  options: BeamOptions,
  signal?: AbortSignal,
): Promise<BeamResult> {
  let beams: BeamNode[] = [{ path: [], score: 1, ended: false }];
  const candidates: ScoredSegment[] = [];
  for (let depth = 0; depth < options.maxDepth && beams.some((b) => !b.ended); depth++) {
    const next: BeamNode[] = [];
    for (const node of beams) {
      if (node.ended) {
        next.push(node);
        continue;
      }
      const previous = node.path.map((s) => s.segment);
      const segments = await generator.nextSegments(question, passages, previous, signal);
      const drawn = passages.flatMap((passage, i) => (segments[i] ?? []).map((segment) => ({ passage, segment })));
      const judgements = drawn.length ? await critic.judge(drawn.map((d) => ({ question, passage: d.passage, segment: d.segment.text, previous: previous.map((s) => s.text) })), { signal }) : [];
      let extended = false;
      drawn.forEach((d, i) => {
        const judgement = judgements[i]!;
        const scores = critiqueScores(judgement, options.weights);
        const scored: ScoredSegment = { depth, ...d, judgement, scores, score: options.likelihoodWeight * (d.segment.likelihood ?? 0) + scores.total };
        candidates.push(scored);
        if (options.dropNoSupport && argmax(judgement.isSup) === '[No support / Contradictory]') return;
        next.push({ path: [...node.path, scored], score: node.score * scored.score, ended: false });
        extended = true;
      });
      if (!extended) next.push({ ...node, ended: true });
    }
    // A stable sort: among equal scores, earlier nodes (and so earlier passages) stay ahead.
    beams = next.sort((a, b) => b.score - a.score).slice(0, options.width);
  }
  return { best: beams[0]!, beams, candidates };
}
