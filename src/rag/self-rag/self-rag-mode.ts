import type { Passage } from '../../llm/generator.js';
import type { Generator } from '../../llm/generator.js';
import type { Workspaces } from '../../store/workspaces.js';
import { assembleAnswer, NO_ANSWER_TEXT } from '../mode.js';
import type { ModeContext, QueryRequest, QueryResult, RagMode } from '../mode.js';
import type { Retriever } from '../retriever.js';
import { segmentBeamSearch } from './beam-search.js';
import type { ScoredSegment } from './beam-search.js';
import type { AbstentionFloors, Critic } from './critic.js';
import { FALLBACK_FLOORS, FALLBACK_LIKELIHOOD_WEIGHT, SelfRagOptionsSchema } from './options.js';
import { retrieveProbability } from './reflection.js';
import type { SegmentGenerator } from './segment-generator.js';

/** The visible reasoning of a Self-RAG answer (the response's `selfRag` field). */
export interface SelfRagTrace {
  critic: string;
  retrieve: { decision: boolean; probability: number; threshold: number; distribution: Record<string, number> };
  abstained: boolean;
  /** The floors this answer was held to (the request's, else the critic's). */
  floors: AbstentionFloors;
  /** w_gen of the segment scores (the request's, else the critic's, else 1). */
  likelihoodWeight: number;
  candidates: Array<{
    depth: number;
    citation: { docId: string; chunkId: number; title: string | null; start: number; end: number; page?: number };
    segment: string;
    isRel: Record<string, number>;
    isSup: Record<string, number>;
    isUse: Record<string, number>;
    scores: { rel: number; sup: number; use: number };
    /** The critique total w_rel·s_rel + w_sup·s_sup + w_use·s_use. */
    score: number;
    /** The generator's likelihood of the segment; null where it gives none. */
    likelihood: number | null;
    /** likelihoodWeight·likelihood + score: what the beam search multiplies down a path. */
    segmentScore: number;
  }>;
  /** The chosen answer: indexes into `candidates`, in answer order, and the product of their segment scores. */
  path: number[];
  pathScore: number;
}

export const WITHOUT_RETRIEVAL_TEXT = 'The critic judged that this needs no retrieval, and the offline generator answers only from documents.';

/**
 * Self-RAG (Asai et al., 2023): the critic decides whether to retrieve; each retrieved passage
 * yields a candidate segment; segments are scored from the critic's reflection-token
 * probabilities and combined by a segment-level beam search; and the mode abstains when no
 * candidate is relevant and supported enough.
 */
export class SelfRagMode implements RagMode {
  readonly name = 'self-rag';

  constructor(
    private readonly workspaces: Workspaces,
    private readonly retriever: Retriever,
    private readonly critic: Critic,
    private readonly segments: SegmentGenerator,
    private readonly generator: Generator,
  ) {}

  async run(request: QueryRequest, context: ModeContext): Promise<QueryResult> {
    const options = SelfRagOptionsSchema.parse(request.selfRag ?? {});
    const floors = {
      relevance: options.relevanceFloor ?? this.critic.floors?.relevance ?? FALLBACK_FLOORS.relevance,
      support: options.supportFloor ?? this.critic.floors?.support ?? FALLBACK_FLOORS.support,
    };
    const likelihoodWeight = options.likelihoodWeight ?? this.critic.likelihoodWeight ?? FALLBACK_LIKELIHOOD_WEIGHT;
    const ws = await this.workspaces.get(request.workspace);
    const t0 = performance.now();
    const decision = await this.critic.retrieve(request.question, [], { signal: context.signal });
    const probability = retrieveProbability(decision);
    const retrieve = { decision: probability > options.retrieveThreshold, probability, threshold: options.retrieveThreshold, distribution: decision };
    const hits = retrieve.decision ? await this.retriever.search(ws, request.question, request.k, request.retriever, context.signal) : [];
    const t1 = performance.now();
    const passages: Passage[] = hits.map((h, i) => ({ ref: i + 1, chunk: h.chunk, title: h.title, score: h.score }));
    const base = {
      mode: this.name,
      retrieval: { retriever: request.retriever, k: request.k, hits: hits.map((h) => ({ docId: h.chunk.docId, chunkId: h.chunk.id, title: h.title, score: h.score })) },
    };

    if (!retrieve.decision) {
      const generated = await this.generator.generate(request.question, [], context);
      const answer = generated.segments.map((s) => s.text).join(' ');
      if (!answer) context.onText?.(WITHOUT_RETRIEVAL_TEXT);
      const trace: SelfRagTrace = { critic: this.critic.id, retrieve, abstained: false, floors, likelihoodWeight, candidates: [], path: [], pathScore: 0 };
      return { ...base, answer: answer || WITHOUT_RETRIEVAL_TEXT, citations: [], noAnswer: !answer, timings: { retrieveMs: t1 - t0, generateMs: performance.now() - t1 }, usage: generated.usage, selfRag: trace };
    }

    const search = await segmentBeamSearch(
      request.question,
      passages,
      this.segments,
      this.critic,
      { width: options.beamWidth, maxDepth: options.maxDepth, weights: options.weights, likelihoodWeight, dropNoSupport: options.dropNoSupport },
      context.signal,
    );
    const t2 = performance.now();
    const clears = (c: ScoredSegment) => c.scores.rel >= floors.relevance && c.scores.sup >= floors.support;
    const abstained = !search.candidates.some(clears);
    const path = abstained ? [] : search.best.path;
    const { answer, citations } = assembleAnswer(path.map((s) => s.segment), passages);
    context.onText?.(abstained || !answer ? NO_ANSWER_TEXT : answer);
    const ordered = abstained ? [...search.candidates].sort((a, b) => b.score - a.score) : search.candidates;
    const trace: SelfRagTrace = {
      critic: this.critic.id,
      retrieve,
      abstained,
      floors,
      likelihoodWeight,
      candidates: ordered.map((c) => ({
        depth: c.depth,
        citation: { docId: c.passage.chunk.docId, chunkId: c.passage.chunk.id, title: c.passage.title, start: c.segment.citations[0]?.start ?? c.passage.chunk.start, end: c.segment.citations[0]?.end ?? c.passage.chunk.end, ...(c.passage.chunk.page != null ? { page: c.passage.chunk.page } : {}) },
        segment: c.segment.text,
        isRel: c.judgement.isRel,
        isSup: c.judgement.isSup,
        isUse: c.judgement.isUse,
        scores: { rel: c.scores.rel, sup: c.scores.sup, use: c.scores.use },
        score: c.scores.total,
        likelihood: c.segment.likelihood ?? null,
        segmentScore: c.score,
      })),
      path: path.map((s) => ordered.indexOf(s)),
      pathScore: abstained ? 0 : search.best.score,
    };
    return {
      ...base,
      answer: abstained || !answer ? NO_ANSWER_TEXT : answer,
      citations: abstained ? [] : citations,
      noAnswer: abstained || citations.length === 0,
      timings: { retrieveMs: t1 - t0, generateMs: t2 - t1 },
      usage: { llmCalls: 0, promptTokens: 0, completionTokens: 0 },
      selfRag: trace,
    };
  }
}
