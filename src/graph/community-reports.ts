import { sentenceSpans } from '../ingestion/chunker.js';
import { sha256Hex } from '../core/ids.js';
import type { ChunkRecord } from '../store/types.js';
import type { Community } from './communities.js';
import type { CommunityReport, Finding, GraphEntity, GraphRelation } from './graph-index.js';

export interface ReportInput {
  community: Community;
  entities: GraphEntity[];
  relations: GraphRelation[];
  chunks: Map<number, ChunkRecord>;
}

/** Writes a community's report (extractive offline; an LLM writes JSON reports when configured). */
export interface ReportWriter {
  readonly id: string;
  /** A report; `rating` where the writer judges importance itself (else the indexer rates by size). */
  write(input: ReportInput, signal?: AbortSignal): Promise<Omit<CommunityReport, 'contentHash' | 'vectorKey' | 'rating'> & { rating?: number }>;
}

export function communityHash(input: Pick<ReportInput, 'community' | 'relations'>): string {
  return sha256Hex(input.community.members.join('\u0000'), input.relations.map((r) => `${r.source}|${r.target}|${r.weight.toFixed(4)}`).sort().join('\u0000'));
}

const MAX_FINDINGS = 10;
const MIN_FINDINGS = 5;

/**
 * The offline report: the title names the most central entities (weighted degree inside the
 * community); findings are the strongest relations, each with the sentence that shows it, then
 * the sentences that mention the most members; every finding cites its chunks.
 */
export class ExtractiveReportWriter implements ReportWriter {
  readonly id = 'extractive';

  async write({ community, entities, relations, chunks }: ReportInput) {
    const degree = new Map(entities.map((e) => [e.id, 0]));
    for (const r of relations) {
      degree.set(r.source, (degree.get(r.source) ?? 0) + r.weight);
      degree.set(r.target, (degree.get(r.target) ?? 0) + r.weight);
    }
    const central = [...entities].sort((a, b) => degree.get(b.id)! - degree.get(a.id)! || b.mentions - a.mentions || a.id.localeCompare(b.id));
    const name = new Map(entities.map((e) => [e.id, e.name]));
    const title = central.slice(0, 3).map((e) => e.name).join(', ');
    const findings: Finding[] = [];
    for (const r of [...relations].sort((a, b) => b.weight - a.weight).slice(0, MAX_FINDINGS - 2)) {
      findings.push({ summary: `${name.get(r.source)} and ${name.get(r.target)}`, explanation: r.descriptions[0] ?? '', chunkIds: r.chunkIds.slice(0, 5) });
    }
    // Sentences that mention the most members, until there are enough findings.
    const forms = entities.map((e) => ({ id: e.id, forms: e.forms.map((f) => f.toLowerCase()) }));
    const chunkIds = [...new Set(entities.flatMap((e) => e.chunkIds))].filter((id) => chunks.has(id));
    const sentences = chunkIds.flatMap((id) => {
      const text = chunks.get(id)!.text;
      return sentenceSpans(text).map((s) => {
        const sentence = text.slice(s.start, s.end).replace(/\s+/g, ' ').trim();
        const lower = sentence.toLowerCase();
        return { chunkId: id, sentence, members: forms.filter((f) => f.forms.some((form) => lower.includes(form))).length };
      });
    });
    const used = new Set(findings.map((f) => f.explanation));
    const wanted = Math.min(MAX_FINDINGS, Math.max(MIN_FINDINGS, findings.length + 2));
    for (const s of sentences.sort((a, b) => b.members - a.members || a.chunkId - b.chunkId)) {
      if (findings.length >= wanted) break;
      if (s.members === 0 || used.has(s.sentence)) continue;
      used.add(s.sentence);
      findings.push({ summary: `${s.members} of the community's entities appear together`, explanation: s.sentence, chunkIds: [s.chunkId] });
    }
    const types = [...new Set(entities.map((e) => e.type))].join(', ');
    const summary = `${entities.length} entities (${types}), the most connected ${central.slice(0, 5).map((e) => e.name).join(', ')}; ${relations.length} relations, mentioned in ${chunkIds.length} chunks.`;
    return { communityId: community.id, level: community.level, title, summary, findings };
  }
}

/** Ratings 0–10 by how much of the workspace a community covers (log of its mentions, scaled to the largest). */
export function rateReports(reports: Array<{ mentions: number }>): number[] {
  const top = Math.max(1, ...reports.map((r) => Math.log1p(r.mentions)));
  return reports.map((r) => Math.round((10 * Math.log1p(r.mentions)) / top * 10) / 10);
}

/** The text of a report that is embedded and shown to generators. */
export function reportText(r: Pick<CommunityReport, 'title' | 'summary' | 'findings'>): string {
  return [r.title, r.summary, ...r.findings.map((f) => `${f.summary}: ${f.explanation}`)].join('\n');
}
