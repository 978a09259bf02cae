import type { Generator, Passage } from '../llm/generator.js';
import { NO_USAGE } from '../llm/generator.js';
import type { Workspaces } from '../store/workspaces.js';
import { assembleAnswer, NO_ANSWER_TEXT } from './mode.js';
import type { ModeContext, QueryRequest, QueryResult, RagMode } from './mode.js';
import type { Retriever } from './retriever.js';

/** Classic RAG: retrieve the top-k chunks, answer from them with citations. */
export class ClassicRagMode implements RagMode {
  readonly name = 'rag';

  constructor(
    private readonly workspaces: Workspaces,
    private readonly retriever: Retriever,
    private readonly generator: Generator,
  ) {}

  async run(request: QueryRequest, context: ModeContext): Promise<QueryResult> {
    const ws = await this.workspaces.get(request.workspace);
    const t0 = performance.now();
    const hits = await this.retriever.search(ws, request.question, request.k, request.retriever, context.signal);
    const t1 = performance.now();
    const passages: Passage[] = hits.map((h, i) => ({ ref: i + 1, chunk: h.chunk, title: h.title, score: h.score }));
    const generated = passages.length ? await this.generator.generate(request.question, passages, context) : { segments: [], usage: NO_USAGE };
    const t2 = performance.now();
    const { answer, citations } = assembleAnswer(generated.segments, passages);
    const noAnswer = citations.length === 0;
    if (noAnswer && passages.length === 0) context.onText?.(NO_ANSWER_TEXT);
    return {
      answer: answer || NO_ANSWER_TEXT,
      citations,
      mode: this.name,
      noAnswer,
      retrieval: { retriever: request.retriever, k: request.k, hits: hits.map((h) => ({ docId: h.chunk.docId, chunkId: h.chunk.id, title: h.title, score: h.score })) },
      timings: { retrieveMs: t1 - t0, generateMs: t2 - t1 },
      usage: generated.usage,
    };
  }
}
