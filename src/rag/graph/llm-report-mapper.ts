import { z } from 'zod';
import type { CommunityReport } from '../../graph/graph-index.js';
import type { LoadedGraph } from '../../graph/graph-service.js';
import { chatCompletion, type LlmEndpoint } from '../../llm/openai-chat.js';
import { DATA_REFERENCE, parseJsonAnswer } from '../../graph/llm-report-writer.js';
import { UpstreamError } from '../../llm/openai-http.js';
import type { Prompts } from '../../llm/prompts.js';
import type { MapPoint, ReportMapper } from './graph-global-mode.js';

/** Chunks kept per point, in the order its citations give them. */
const MAX_POINT_CHUNKS = 10;

const AnswerSchema = z.object({ points: z.array(z.unknown()) });
const PointSchema = z.object({ description: z.string().trim().min(1), score: z.union([z.number(), z.string()]) });

/** A report as the map prompt shows it: its community id, then its findings numbered `<id>.<n>`. */
export function reportForMap(report: CommunityReport): string {
  return [
    `----- Report ${report.communityId} -----`,
    `Title: ${report.title}`,
    `Summary: ${report.summary}`,
    `Rating: ${report.rating}`,
    'Findings:',
    ...report.findings.map((f, i) => `[${report.communityId}.${i + 1}] ${f.summary}: ${f.explanation}`),
  ].join('\n');
}

/** What a cited id stands for: a whole report, or one finding of it (index from 0). */
interface Cited {
  report: CommunityReport;
  finding: number | null;
}

/** The ids cited in `Reports (…)` groups, resolved against the batch ("+more" and unknown ids ignored). */
export function citedReports(text: string, reports: CommunityReport[]): Cited[] {
  const known = new Map<string, Cited>();
  for (const report of reports) {
    known.set(report.communityId.toLowerCase(), { report, finding: null });
    report.findings.forEach((_, i) => known.set(`${report.communityId}.${i + 1}`.toLowerCase(), { report, finding: i }));
  }
  const cited: Cited[] = [];
  for (const m of text.matchAll(/\bReports?\s*\(([^)]*)\)/giu)) {
    for (const token of m[1]!.split(/[,;]/u)) {
      const hit = known.get(token.trim().toLowerCase());
      if (hit && !cited.some((c) => c.report === hit.report && c.finding === hit.finding)) cited.push(hit);
    }
  }
  return cited;
}

/**
 * GraphRAG's map stage with an LLM: the batch's reports go to the model with their community ids
 * and numbered findings, and it answers JSON `{points: [{description, score}]}`, each point
 * citing `[Data: Reports (L0-2.1, L1-5, …)]`. A point's report is the first one it cites, and its
 * chunks are those of the cited findings (all of a report's findings when the report itself is
 * cited), in citation order. Scores are clamped to 0–100 and rounded; points scoring 0, and
 * points citing nothing in a batch of more than one report, are dropped.
 */
export class LlmReportMapper implements ReportMapper {
  readonly id: string;

  constructor(
    private readonly endpoint: LlmEndpoint,
    private readonly prompts: Prompts,
  ) {
    this.id = `llm:${endpoint.model}`;
  }

  /** `signal` is an addition to ReportMapper's signature: the caller's abort becomes AbortedError. */
  async map(question: string, _questionVector: Float32Array, reports: CommunityReport[], _graph: LoadedGraph, signal?: AbortSignal): Promise<MapPoint[]> {
    if (reports.length === 0) return [];
    const prompt = this.prompts.render('graph/map', { question, reports: reports.map(reportForMap).join('\n\n') });
    const { text, finishReason } = await chatCompletion(this.endpoint, [{ role: 'user', content: prompt }], signal, { response_format: { type: 'json_object' } });
    const what = `map answer for ${reports.length} report(s)`;
    const parsed = AnswerSchema.safeParse(parseJsonAnswer(text, what, finishReason));
    if (!parsed.success) {
      throw new UpstreamError(`the LLM's ${what} does not match {points: [{description, score}]}: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`);
    }
    const points: MapPoint[] = [];
    for (const raw of parsed.data.points) {
      const p = PointSchema.safeParse(raw);
      if (!p.success) continue;
      const given = typeof p.data.score === 'number' ? p.data.score : Number.parseFloat(p.data.score);
      const score = Number.isFinite(given) ? Math.round(Math.min(100, Math.max(0, given))) : 0;
      const description = p.data.description.replace(DATA_REFERENCE, '').trim();
      if (score === 0 || !description) continue;
      let cited = citedReports(p.data.description, reports);
      if (cited.length === 0 && reports.length === 1) cited = [{ report: reports[0]!, finding: null }];
      if (cited.length === 0) continue;
      const chunkIds = [...new Set(cited.flatMap((c) => (c.finding === null ? c.report.findings : [c.report.findings[c.finding]!]).flatMap((f) => f.chunkIds)))];
      points.push({ report: cited[0]!.report, text: description, chunkIds: chunkIds.slice(0, MAX_POINT_CHUNKS), score });
    }
    return points;
  }
}
