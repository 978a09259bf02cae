import { z } from 'zod';
import { UpstreamError } from '../llm/openai-http.js';
import type { Prompts } from '../llm/prompts.js';
import type { ReportInput, ReportWriter } from './community-reports.js';
import type { CommunityReport, Finding, GraphEntity, GraphRelation } from './graph-index.js';
import { chatCompletion, type LlmEndpoint } from '../llm/openai-chat.js';

/** A written report; `rating` (0–10) is the model's own, when it gave one. */
export type LlmWrittenReport = Omit<CommunityReport, 'contentHash' | 'vectorKey' | 'rating'> & { rating?: number };

export interface LlmReportWriterOptions {
  /** Characters of entity and relationship tables sent per community; default 16,000 (about 4,000 tokens). */
  maxInputChars?: number;
}

const MAX_FINDINGS = 10;
/** Chunks kept per finding, the ones shared by most of the cited records first. */
const MAX_FINDING_CHUNKS = 8;
/** Characters of one table cell (an entity's joined descriptions can be long). */
const MAX_CELL_CHARS = 500;

const FindingSchema = z.object({ summary: z.string().trim().min(1), explanation: z.string().optional() });
const ReportSchema = z.object({
  title: z.string().trim().min(1),
  summary: z.string(),
  rating: z.union([z.number(), z.string()]).optional(),
  rating_explanation: z.string().optional(),
  findings: z.array(z.unknown()),
});

/** A `[Data: …]` reference, as GraphRAG's prompts ask for; removed from the stored text once resolved. */
export const DATA_REFERENCE = /\s*\[\s*Data\s*:[^\]]*\]/giu;

/**
 * Parses a JSON answer: the whole text, else a fenced ```json block, else the outermost `{…}`.
 * Throws UpstreamError naming `what` (and max_tokens when the answer was cut off).
 */
export function parseJsonAnswer(text: string, what: string, finishReason: string | null = null): unknown {
  const fenced = /```(?:json)?\s*([\s\S]*?)```/u.exec(text)?.[1];
  const braces = text.slice(text.indexOf('{'), text.lastIndexOf('}') + 1);
  for (const candidate of [text, fenced, braces]) {
    if (!candidate?.trim()) continue;
    try {
      return JSON.parse(candidate) as unknown;
    } catch {
      // try the next reading
    }
  }
  const cut = finishReason === 'length' ? ' (the answer was cut off at max_tokens; raise the limit)' : '';
  throw new UpstreamError(`the LLM's ${what} is not valid JSON${cut}: ${text.slice(0, 300)}`);
}

/** A CSV cell: one line, quoted when it holds a comma or a quote. */
function cell(value: string | number): string {
  const text = String(value).replace(/\s+/gu, ' ').trim().slice(0, MAX_CELL_CHARS);
  return /[",]/u.test(text) ? `"${text.replace(/"/gu, '""')}"` : text;
}

/** The longest prefix of `rows` whose characters (with line breaks) fit in `budget`. */
function prefixThatFits(rows: string[], from: number, budget: number): number {
  let end = from;
  let used = 0;
  while (end < rows.length && used + rows[end]!.length + 1 <= budget) used += rows[end++]!.length + 1;
  return end;
}

/**
 * The prompt's tables, ids numbered from 1: entities by weighted degree inside the community
 * (then mentions, then id), relations strongest first. Half the budget goes to entities first,
 * the rest to relations, and what relations leave over to more entities; each table keeps at
 * least its first row.
 */
export function communityTables(entities: GraphEntity[], relations: GraphRelation[], budget: number) {
  const degree = new Map<string, number>();
  for (const r of relations) for (const id of [r.source, r.target]) degree.set(id, (degree.get(id) ?? 0) + r.weight);
  const rankedEntities = [...entities].sort((a, b) => (degree.get(b.id) ?? 0) - (degree.get(a.id) ?? 0) || b.mentions - a.mentions || a.id.localeCompare(b.id));
  const rankedRelations = [...relations].sort((a, b) => b.weight - a.weight || a.source.localeCompare(b.source) || a.target.localeCompare(b.target));
  const name = new Map(entities.map((e) => [e.id, e.name]));
  const entityRows = rankedEntities.map((e, i) => [i + 1, e.name, e.type, e.descriptions.join(' ')].map(cell).join(','));
  const relationRows = rankedRelations.map((r, i) => [i + 1, name.get(r.source) ?? r.source, name.get(r.target) ?? r.target, r.descriptions.join(' '), Math.round(r.weight * 100) / 100].map(cell).join(','));
  const e1 = Math.max(Math.min(1, entityRows.length), prefixThatFits(entityRows, 0, budget / 2));
  const used1 = entityRows.slice(0, e1).join('\n').length;
  const r1 = Math.max(Math.min(1, relationRows.length), prefixThatFits(relationRows, 0, budget - used1));
  const used2 = used1 + relationRows.slice(0, r1).join('\n').length;
  const e2 = prefixThatFits(entityRows, e1, budget - used2);
  return {
    entities: rankedEntities.slice(0, e2),
    relations: rankedRelations.slice(0, r1),
    entityTable: ['id,entity,type,description', ...entityRows.slice(0, e2)].join('\n'),
    relationTable: ['id,source,target,description,weight', ...relationRows.slice(0, r1)].join('\n'),
  };
}

/** The ids a text cites in `Entities (…)` and `Relationships (…)` groups ("+more" and unknown words ignored). */
export function citedIds(text: string): { entities: number[]; relations: number[] } {
  const out = { entities: [] as number[], relations: [] as number[] };
  for (const m of text.matchAll(/\b(Entit(?:y|ies)|Relation(?:ship)?s?)\s*\(([^)]*)\)/giu)) {
    const ids = [...m[2]!.matchAll(/\d+/gu)].map((d) => Number(d[0]));
    (m[1]!.toLowerCase().startsWith('entit') ? out.entities : out.relations).push(...ids);
  }
  return out;
}

/** Chunks of the cited records, those shared by the most records first (then in citation order). */
function rankChunks(sources: number[][]): number[] {
  const count = new Map<number, number>();
  for (const chunkIds of sources) for (const id of new Set(chunkIds)) count.set(id, (count.get(id) ?? 0) + 1);
  return [...count.keys()].sort((a, b) => count.get(b)! - count.get(a)!).slice(0, MAX_FINDING_CHUNKS);
}

/**
 * GraphRAG's community report written by an LLM: the community's entities and relationships go
 * to the model as CSV tables with numbered ids, and it answers JSON (title, summary, rating,
 * findings). Each finding cites `[Data: Relationships (ids); Entities (ids)]`; those ids become
 * the chunks of the cited records, and a finding that cites none gets the chunks of the
 * community's strongest relation.
 */
export class LlmReportWriter implements ReportWriter {
  readonly id: string;
  private readonly maxInputChars: number;

  constructor(
    private readonly endpoint: LlmEndpoint,
    private readonly prompts: Prompts,
    options: LlmReportWriterOptions = {},
  ) {
    this.id = `llm:${endpoint.model}`;
    this.maxInputChars = options.maxInputChars ?? 16_000;
    if (!(this.maxInputChars >= 200)) throw new RangeError(`maxInputChars must be at least 200, got ${this.maxInputChars}`);
  }

  async write({ community, entities, relations }: ReportInput, signal?: AbortSignal): Promise<LlmWrittenReport> {
    const tables = communityTables(entities, relations, this.maxInputChars);
    const prompt = this.prompts.render('graph/community-report', { entities: tables.entityTable, relationships: tables.relationTable });
    const { text, finishReason } = await chatCompletion(this.endpoint, [{ role: 'user', content: prompt }], signal, { response_format: { type: 'json_object' } });
    const what = `report for community ${community.id}`;
    const parsed = ReportSchema.safeParse(parseJsonAnswer(text, what, finishReason));
    if (!parsed.success) {
      throw new UpstreamError(`the LLM's ${what} does not match {title, summary, rating, rating_explanation, findings: [{summary, explanation}]}: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`);
    }
    const fallback = tables.relations[0]?.chunkIds ?? tables.entities[0]?.chunkIds ?? [];
    const findings: Finding[] = [];
    for (const raw of parsed.data.findings) {
      const f = FindingSchema.safeParse(raw);
      if (!f.success) continue;
      const explanation = f.data.explanation ?? '';
      const cited = citedIds(`${f.data.summary} ${explanation}`);
      const sources = [
        ...cited.relations.map((id) => tables.relations[id - 1]?.chunkIds),
        ...cited.entities.map((id) => tables.entities[id - 1]?.chunkIds),
      ].filter((ids): ids is number[] => ids !== undefined);
      const chunkIds = rankChunks(sources);
      findings.push({
        summary: f.data.summary.replace(DATA_REFERENCE, '').trim(),
        explanation: explanation.replace(DATA_REFERENCE, '').trim(),
        chunkIds: chunkIds.length ? chunkIds : fallback.slice(0, MAX_FINDING_CHUNKS),
      });
      if (findings.length === MAX_FINDINGS) break;
    }
    if (findings.length === 0) throw new UpstreamError(`the LLM's ${what} has no usable finding (each needs a non-empty "summary")`);
    const given = parsed.data.rating;
    const rating = typeof given === 'number' ? given : Number.parseFloat(given ?? '');
    return {
      communityId: community.id,
      level: community.level,
      title: parsed.data.title.replace(DATA_REFERENCE, '').trim(),
      summary: parsed.data.summary.replace(DATA_REFERENCE, '').trim(),
      findings,
      ...(Number.isFinite(rating) ? { rating: Math.min(10, Math.max(0, rating)) } : {}),
    };
  }
}
