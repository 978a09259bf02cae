import type { Embedder } from '../../embedding/embedder.js';
import type { GraphService, LoadedGraph } from '../../graph/graph-service.js';
import type { Generator, Passage } from '../../llm/generator.js';
import { NO_USAGE } from '../../llm/generator.js';
import { innerProduct } from '../../store/exact-vector-index.js';
import type { Workspaces } from '../../store/workspaces.js';
import { assembleAnswer, NO_ANSWER_TEXT } from '../mode.js';
import type { ModeContext, QueryRequest, QueryResult, RagMode } from '../mode.js';
import { GraphOptionsSchema } from './options.js';
import { documentTitles } from '../retriever.js';
import type { Retriever } from '../retriever.js';

function normalise(text: string): string {
  return text.toLowerCase().replace(/\s*\(.*\)\s*$/u, '').replace(/[^\p{L}\p{N}]+/gu, ' ').trim();
}

/** Entities of the question: by embedding of name and description, and a bonus where the question names them. */
export function matchEntities(graph: LoadedGraph, question: string, q: Float32Array, n: number): Array<{ id: string; score: number }> {
  const lower = ` ${question.toLowerCase().replace(/[^\p{L}\p{N}]+/gu, ' ')} `;
  return graph.snapshot.entities
    .map((e) => {
      const v = graph.entityVectors.get(e.id);
      const named = e.forms.some((f) => lower.includes(` ${f.toLowerCase().replace(/[^\p{L}\p{N}]+/gu, ' ').trim()} `)) ? 0.5 : 0;
      return { id: e.id, score: (v ? innerProduct(q, v) : 0) + named };
    })
    .sort((a, b) => b.score - a.score || a.id.localeCompare(b.id))
    .slice(0, n);
}

/**
 * Graph-RAG local search: the entities the question is about (by embedding and by name), their
 * strongest neighbours, and the chunks that mention them (more of them, the matched ones more
 * than the neighbours, and chunks of documents about them most). Half of the k passages are the
 * retriever's hits for the question, the rest the best graph chunks; the answer cites them, and
 * the entities' level-0 community reports are listed beside.
 */
export class GraphLocalMode implements RagMode {
  readonly name = 'graph-local';

  constructor(
    private readonly workspaces: Workspaces,
    private readonly graphs: GraphService,
    private readonly embedder: Embedder,
    private readonly retriever: Retriever,
    private readonly generator: Generator,
  ) {}

  async run(request: QueryRequest, context: ModeContext): Promise<QueryResult> {
    const options = GraphOptionsSchema.parse(request.graph ?? {});
    const ws = await this.workspaces.get(request.workspace);
    const loaded = await this.graphs.load(ws);
    const t0 = performance.now();
    const [q] = (await this.embedder.embed([request.question], { signal: context.signal, priority: 'interactive' })).vectors;
    const matched = matchEntities(loaded, request.question, q!, options.entities);
    const weightOf = new Map<string, number>(matched.map((m) => [m.id, 1]));
    for (const m of matched) {
      const strongest = [...(loaded.adjacency.get(m.id) ?? [])].sort((a, b) => b.weight - a.weight).slice(0, options.neighbours);
      for (const r of strongest) {
        const other = r.source === m.id ? r.target : r.source;
        if (!weightOf.has(other)) weightOf.set(other, 0.5);
      }
    }
    // A chunk scores the weights of the entities it mentions, twice over for an entity its
    // document is about (the title names it): that is where a neighbour's own facts are.
    const chunkScore = new Map<number, number>();
    const candidates = new Map((await ws.docs.getChunks([...new Set([...weightOf.keys()].flatMap((id) => loaded.entities.get(id)?.chunkIds ?? []))])).map((c) => [c.id, c]));
    const titles = await documentTitles(ws, [...candidates.values()].map((c) => c.docId));
    const titleOf = (docId: string) => normalise(titles.get(docId) ?? '');
    for (const [id, w] of weightOf) {
      const entity = loaded.entities.get(id);
      const forms = new Set((entity?.forms ?? []).map(normalise));
      for (const c of entity?.chunkIds ?? []) {
        const chunk = candidates.get(c);
        if (!chunk) continue;
        const about = forms.has(titleOf(chunk.docId)) ? 2 : 1;
        chunkScore.set(c, (chunkScore.get(c) ?? 0) + w * about);
      }
    }
    // Half the context is what the retriever finds for the question; the other half comes
    // from the graph: the chunks about the question's entities and their neighbours.
    const retrieved = await this.retriever.search(ws, request.question, Math.ceil(request.k / 2), request.retriever, context.signal);
    const seen = new Set(retrieved.map((h) => h.chunk.id));
    const fromGraph = [...chunkScore].filter(([id]) => !seen.has(id)).sort((a, b) => b[1] - a[1] || a[0] - b[0]).slice(0, request.k - retrieved.length);
    for (const h of retrieved) candidates.set(h.chunk.id, h.chunk);
    const ranked: Array<[number, number]> = [...retrieved.map((h): [number, number] => [h.chunk.id, h.score]), ...fromGraph];
    const chunks = candidates;
    for (const [docId, title] of await documentTitles(ws, retrieved.map((h) => h.chunk.docId))) titles.set(docId, title);
    const passages: Passage[] = ranked.flatMap(([id, score], i) => {
      const chunk = chunks.get(id);
      return chunk ? [{ ref: i + 1, chunk, title: titles.get(chunk.docId) ?? null, score }] : [];
    });
    const t1 = performance.now();
    const generated = passages.length ? await this.generator.generate(request.question, passages, context) : { segments: [], usage: NO_USAGE };
    const { answer, citations } = assembleAnswer(generated.segments, passages);
    if (!answer) context.onText?.(NO_ANSWER_TEXT);
    const level0 = loaded.snapshot.communities.filter((c) => c.level === 0);
    const reports = new Map(loaded.snapshot.reports.map((r) => [r.communityId, r]));
    const communityReports = [...new Set(matched.flatMap((m) => level0.filter((c) => c.members.includes(m.id)).map((c) => c.id)))].flatMap((id) => {
      const r = reports.get(id);
      return r ? [{ kind: 'report' as const, communityId: id, level: 0, title: r.title }] : [];
    });
    return {
      answer: answer || NO_ANSWER_TEXT,
      citations,
      mode: this.name,
      noAnswer: citations.length === 0,
      retrieval: { retriever: request.retriever, k: request.k, hits: passages.map((p) => ({ docId: p.chunk.docId, chunkId: p.chunk.id, title: p.title, score: p.score })) },
      timings: { retrieveMs: t1 - t0, generateMs: performance.now() - t1 },
      usage: generated.usage,
      graph: {
        entities: matched.map((m) => ({ id: m.id, name: loaded.entities.get(m.id)!.name, score: m.score })),
        expandedTo: weightOf.size,
        reports: communityReports,
      },
    };
  }
}
