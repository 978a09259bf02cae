import type { Passage } from '../../llm/generator.js';
import type { Distribution, Judgement, RetrieveToken } from './reflection.js';

/** What the critic judges: a candidate segment generated from one passage, for a question. */
export interface CritiqueInput {
  question: string;
  passage: Passage;
  segment: string;
  /** The answer segments chosen before this one (empty for the first). */
  previous: string[];
}

/** Where abstention starts: no candidate with s_rel ≥ relevance and s_sup ≥ support. */
export interface AbstentionFloors {
  relevance: number;
  support: number;
}

export interface CriticOptions {
  signal?: AbortSignal;
}

/**
 * Emits Self-RAG's reflection tokens as probability distributions. Every probability is a
 * model's output (an LM's token probabilities, or trained classifier heads), never a constant.
 */
export interface Critic {
  readonly id: string;
  /** Floors chosen for this critic's score scale, where they are known (the offline heads carry theirs). */
  readonly floors?: AbstentionFloors;
  /** w_gen chosen with this critic's score scale, where it is known (the offline heads carry theirs). */
  readonly likelihoodWeight?: number;
  /** Retrieve / No Retrieval / Continue, for a question and the answer so far. */
  retrieve(question: string, previous: string[], options?: CriticOptions): Promise<Distribution<RetrieveToken>>;
  /** IsREL, IsSUP and IsUSE for each candidate, in input order. */
  judge(inputs: CritiqueInput[], options?: CriticOptions): Promise<Judgement[]>;
}
