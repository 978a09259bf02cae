import type { Embedder } from '../../embedding/embedder.js';
import { seededRandom } from '../../core/random.js';
import { reportText } from '../../graph/community-reports.js';
import type { CommunityReport } from '../../graph/graph-index.js';
import type { GraphService, LoadedGraph } from '../../graph/graph-service.js';
import { idfOverlap } from '../../llm/extractive-generator.js';
import { NO_USAGE } from '../../llm/generator.js';
import { innerProduct } from '../../store/exact-vector-index.js';
import type { Workspaces } from '../../store/workspaces.js';
import type { Citation, ModeContext, QueryRequest, QueryResult, RagMode } from '../mode.js';
import { documentTitles } from '../retriever.js';
import { fillBudget, packBatches, shuffled } from './budget.js';
import { GraphOptionsSchema } from './options.js';

/** A point from the map stage: a finding of a report with its 0–100 helpfulness score. */
export interface MapPoint {
  report: CommunityReport;
  text: string;
  chunkIds: number[];
  score: number;
}

/** The map stage: turns a batch of reports into scored points (offline here; an LLM when configured). */
export interface ReportMapper {
  readonly id: string;
  map(question: string, questionVector: Float32Array, reports: CommunityReport[], graph: LoadedGraph, signal?: AbortSignal): Promise<MapPoint[]>;
}

/**
 * The offline mapper: a finding's score mixes how close its report is to the question (cosine
 * of the embedded report) with how many of the question's rarer words the finding holds; a
 * finding that shares no word with the question scores 0 and is dropped.
 */
export class OfflineReportMapper implements ReportMapper {
  readonly id = 'offline';

  async map(question: string, q: Float32Array, reports: CommunityReport[], graph: LoadedGraph): Promise<MapPoint[]> {
    const findings = reports.flatMap((report) => report.findings.map((f) => ({ report, text: `${f.summary}: ${f.explanation}`, chunkIds: f.chunkIds })));
    const overlap = idfOverlap(question, findings.map((f) => f.text));
    return findings
      .map((f, i) => {
        const v = graph.reportVectors.get(f.report.communityId);
        const closeness = v ? Math.max(0, Math.min(1, (innerProduct(q, v) - 0.1) / 0.6)) : 0;
        return { ...f, score: overlap[i]! === 0 ? 0 : Math.round(100 * (0.5 * closeness + 0.5 * overlap[i]!)) };
      })
      .filter((p) => p.score > 0);
  }
}

export const NO_GRAPH_ANSWER_TEXT = 'No relevant information was found in the community reports.';

/**
 * Graph-RAG global search (Edge et al., 2024): the reports of one community level are shuffled
 * and packed into token-budgeted batches; each batch is mapped to scored points (0 dropped);
 * the points are sorted by score and packed into the answer's token budget, each cited to its
 * report and, through the report's finding, to chunks.
 */
export class GraphGlobalMode implements RagMode {
  readonly name = 'graph-global';

  constructor(
    private readonly workspaces: Workspaces,
    private readonly graphs: GraphService,
    private readonly embedder: Embedder,
    private readonly mapper: ReportMapper,
  ) {}

  async run(request: QueryRequest, context: ModeContext): Promise<QueryResult> {
    const options = GraphOptionsSchema.parse(request.graph ?? {});
    const ws = await this.workspaces.get(request.workspace);
    const loaded = await this.graphs.load(ws);
    const count = (text: string) => this.embedder.countTokens(text);
    const t0 = performance.now();
    const level = options.level ?? chooseLevel(loaded, options.mapBudgetTokens, count);
    const reports = shuffled(loaded.snapshot.reports.filter((r) => r.level === level), seededRandom(options.seed));
    const batches = packBatches(reports, options.batchTokens, (r) => count(reportText(r)));
    const [q] = (await this.embedder.embed([request.question], { signal: context.signal, priority: 'interactive' })).vectors;
    const points: MapPoint[] = [];
    for (const batch of batches) points.push(...(await this.mapper.map(request.question, q!, batch, loaded, context.signal)));
    const t1 = performance.now();
    const chosen = fillBudget(points, options.reduceTokens, (p) => count(p.text));
    const chunkRecords = new Map((await ws.docs.getChunks([...new Set(chosen.flatMap((p) => p.chunkIds.slice(0, 1)))])).map((c) => [c.id, c]));
    const titles = await documentTitles(ws, [...chunkRecords.values()].map((c) => c.docId));
    const citations: Citation[] = [];
    const parts = chosen.map((p) => {
      const chunk = chunkRecords.get(p.chunkIds[0]!);
      if (chunk) citations.push({ docId: chunk.docId, chunkId: chunk.id, title: titles.get(chunk.docId) ?? null, start: chunk.start, end: chunk.end, ...(chunk.page != null ? { page: chunk.page } : {}), score: p.score });
      return `${p.text} [report ${p.report.communityId}]`;
    });
    const answer = parts.length ? parts.join('\n') : NO_GRAPH_ANSWER_TEXT;
    context.onText?.(answer);
    return {
      answer,
      citations,
      mode: this.name,
      noAnswer: parts.length === 0,
      retrieval: { retriever: request.retriever, k: request.k, hits: [] },
      timings: { retrieveMs: t1 - t0, generateMs: performance.now() - t1 },
      usage: NO_USAGE,
      graph: {
        level,
        mapCalls: batches.length,
        reportsRead: reports.length,
        points: chosen.map((p) => ({ score: p.score, text: p.text, report: { kind: 'report' as const, communityId: p.report.communityId, level: p.report.level, title: p.report.title }, chunkIds: p.chunkIds })),
      },
    };
  }
}

/** The deepest level whose reports fit the map budget (level 0 when none does). */
export function chooseLevel(graph: LoadedGraph, budget: number, count: (text: string) => number): number {
  const levels = [...new Set(graph.snapshot.reports.map((r) => r.level))].sort((a, b) => b - a);
  for (const level of levels) {
    const tokens = graph.snapshot.reports.filter((r) => r.level === level).reduce((n, r) => n + count(reportText(r)), 0);
    if (tokens <= budget) return level;
  }
  return 0;
}
