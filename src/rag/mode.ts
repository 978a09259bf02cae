import { InvalidInputError } from '../core/errors.js';
import type { AnswerSegment, Passage, Usage } from '../llm/generator.js';
import type { RetrieverName } from './retriever.js';
import type { SelfRagTrace } from './self-rag/self-rag-mode.js';

export interface QueryRequest {
  question: string;
  workspace: string;
  mode: string;
  k: number;
  retriever: RetrieverName;
  /** Self-RAG settings (validated by the self-rag mode; others ignore them). */
  selfRag?: unknown;
  /** Graph-RAG settings (validated by the graph modes). */
  graph?: unknown;
}

export interface Citation {
  docId: string;
  chunkId: number;
  title: string | null;
  start: number;
  end: number;
  page?: number;
  score: number;
}

export interface QueryResult {
  answer: string;
  citations: Citation[];
  mode: string;
  /** Set when the mode found nothing in the documents to answer from. */
  noAnswer: boolean;
  retrieval: { retriever: RetrieverName; k: number; hits: Array<{ docId: string; chunkId: number; title: string | null; score: number }> };
  timings: { retrieveMs: number; generateMs: number };
  usage: Usage;
  /** Self-RAG's visible reasoning (mode self-rag only). */
  selfRag?: SelfRagTrace;
  /** Graph-RAG's trace: the level, the map calls, the chosen points with their reports, or the matched entities. */
  graph?: Record<string, unknown>;
}

export interface ModeContext {
  signal?: AbortSignal;
  onText?: (text: string) => void;
}

/** One way of answering a question. Each mode is a file of its own under src/rag/. */
export interface RagMode {
  readonly name: string;
  run(request: QueryRequest, context: ModeContext): Promise<QueryResult>;
}

export class ModeRegistry {
  private readonly modes: Map<string, RagMode>;

  constructor(modes: RagMode[]) {
    this.modes = new Map(modes.map((m) => [m.name, m]));
  }

  names(): string[] {
    return [...this.modes.keys()];
  }

  get(name: string): RagMode {
    const mode = this.modes.get(name);
    if (!mode) throw new InvalidInputError(`unknown mode "${name}"; available modes: ${this.names().join(', ')}`);
    return mode;
  }
}

export const NO_ANSWER_TEXT = 'The indexed documents do not answer this question.';

/**
 * Turns answer segments into the response's answer text and citation list: every distinct
 * cited span becomes a citation, and the text marks it as [n] (1-based, in citation order).
 */
export function assembleAnswer(segments: AnswerSegment[], passages: Passage[]): { answer: string; citations: Citation[] } {
  const byRef = new Map(passages.map((p) => [p.ref, p]));
  const citations: Citation[] = [];
  const index = new Map<string, number>();
  const parts = segments.map((segment) => {
    const marks = segment.citations.flatMap((c) => {
      const passage = byRef.get(c.ref);
      if (!passage) return [];
      const key = `${passage.chunk.id}:${c.start}:${c.end}`;
      if (!index.has(key)) {
        citations.push({
          docId: passage.chunk.docId,
          chunkId: passage.chunk.id,
          title: passage.title,
          start: c.start,
          end: c.end,
          ...(passage.chunk.page !== null ? { page: passage.chunk.page } : {}),
          score: passage.score,
        });
        index.set(key, citations.length);
      }
      return [`[${index.get(key)}]`];
    });
    return marks.length ? `${segment.text} ${marks.join('')}` : segment.text;
  });
  return { answer: parts.join(' '), citations };
}
