import type { ChunkRecord } from '../store/types.js';

/** A retrieved passage as a generator sees it; `ref` is its 1-based citation number. */
export interface Passage {
  ref: number;
  chunk: ChunkRecord;
  title: string | null;
  score: number;
}

/** A cited span: the passage `ref`, and the character span of its document the claim rests on. */
export interface CitationRef {
  ref: number;
  start: number;
  end: number;
}

/** Part of an answer (a sentence), with what it cites. */
export interface AnswerSegment {
  text: string;
  citations: CitationRef[];
  /** The generator's probability of the segment in [0, 1], where it has one (asked for with `likelihood`). */
  likelihood?: number;
}

export interface Usage {
  llmCalls: number;
  promptTokens: number;
  completionTokens: number;
}

export interface GeneratedAnswer {
  segments: AnswerSegment[];
  usage: Usage;
}

export interface GenerateOptions {
  signal?: AbortSignal;
  /** Called with each piece of answer text as it is produced (for streaming). */
  onText?: (text: string) => void;
  /** Ask for each segment's likelihood (an LLM's token log-probabilities); generators without one leave it out. */
  likelihood?: boolean;
}

/** Writes an answer to a question from passages, citing them. */
export interface Generator {
  readonly id: string;
  generate(question: string, passages: Passage[], options?: GenerateOptions): Promise<GeneratedAnswer>;
}

export const NO_USAGE: Usage = Object.freeze({ llmCalls: 0, promptTokens: 0, completionTokens: 0 });
