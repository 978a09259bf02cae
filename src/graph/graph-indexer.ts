import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { sha256Hex } from '../core/ids.js';
import type { CpuRunner } from '../cpu/cpu-runner.js';
import type { Embedder } from '../embedding/embedder.js';
import type { Workspace } from '../store/workspace.js';
import type { CommunityOptions } from './communities.js';
import { communityHash, rateReports, reportText } from './community-reports.js';
import type { ReportWriter } from './community-reports.js';
import type { ChunkExtraction, EntityExtractor } from './extraction.js';
import type { CommunityReport, GraphSnapshot } from './graph-index.js';

const EXTRACT_BATCH = 32;

export interface GraphProgress {
  phase: 'extracting' | 'communities' | 'reports' | 'embedding' | 'done';
  chunksTotal: number;
  chunksExtracted: number;
  /** Chunks extracted by this build (the others were extracted before). */
  chunksNew: number;
  reportsWritten: number;
  reportsReused: number;
}

/** Community reports are written for communities of at least this many entities. */
export const MIN_REPORTED_COMMUNITY = 2;

/**
 * Builds and updates a workspace's entity graph. Incremental: only chunks without a stored
 * extraction are extracted (extractions of deleted chunks are dropped); entities, relations
 * and communities are recomputed from the stored extractions, which is fast; a community whose
 * members and edges are unchanged keeps its report and its embedding.
 */
export class GraphIndexer {
  constructor(
    private readonly extractor: EntityExtractor,
    private readonly reports: ReportWriter,
    private readonly embedder: Embedder,
    private readonly communities: CommunityOptions,
    private readonly cpu: CpuRunner,
  ) {}

  async build(ws: Workspace, handle: { signal?: AbortSignal; progress?: (p: GraphProgress) => void } = {}): Promise<GraphSnapshot> {
    const signal = handle.signal;
    const progress: GraphProgress = { phase: 'extracting', chunksTotal: 0, chunksExtracted: 0, chunksNew: 0, reportsWritten: 0, reportsReused: 0 };
    const report = () => handle.progress?.({ ...progress });
    const chunkIds = await ws.docs.allChunkIds();
    const live = new Set(chunkIds);
    const stored = new Set(await ws.graph.extractedChunkIds(this.extractor.id));
    await ws.graph.dropExtractions([...stored].filter((id) => !live.has(id)));
    const missing = chunkIds.filter((id) => !stored.has(id));
    progress.chunksTotal = chunkIds.length;
    progress.chunksExtracted = chunkIds.length - missing.length;
    report();
    for (let i = 0; i < missing.length; i += EXTRACT_BATCH) {
      signal?.throwIfAborted();
      const batch = await ws.docs.getChunks(missing.slice(i, i + EXTRACT_BATCH));
      const extractions = await this.extractor.extract(batch.map((c) => ({ chunkId: c.id, text: c.text })), signal);
      await ws.graph.putExtractions(this.extractor.id, batch.map((c, k) => ({ chunkId: c.id, extraction: extractions[k]! })));
      progress.chunksExtracted += batch.length;
      progress.chunksNew += batch.length;
      report();
    }

    progress.phase = 'communities';
    report();
    const rows = (await ws.graph.allExtractions(this.extractor.id)).map((r) => ({ chunkId: r.chunkId, extraction: r.extraction as ChunkExtraction }));
    const { entities, relations, communities } = await this.cpu.run('graph-structure', { rows, options: this.communities }, signal);
    progress.phase = 'reports';
    report();
    const previous = await this.previousReports(ws);
    const byId = new Map(entities.map((e) => [e.id, e]));
    const reported = communities.filter((c) => c.members.length >= MIN_REPORTED_COMMUNITY);
    const drafts: Array<Omit<CommunityReport, 'rating'> & { rating?: number; mentions: number }> = [];
    for (const community of reported) {
      signal?.throwIfAborted();
      await yieldToEventLoop(); // a report is small work, but thousands of them in one turn are not
      const members = new Set(community.members);
      const inside = relations.filter((r) => members.has(r.source) && members.has(r.target));
      const memberEntities = community.members.map((m) => byId.get(m)!);
      const contentHash = communityHash({ community, relations: inside });
      const mentions = memberEntities.reduce((n, e) => n + e.mentions, 0);
      const old = previous.get(`${community.id}\u0000${contentHash}`);
      if (old) {
        drafts.push({ ...old, mentions });
        progress.reportsReused++;
        continue;
      }
      const chunkSet = [...new Set(memberEntities.flatMap((e) => e.chunkIds))].slice(0, 200);
      const chunks = new Map((await ws.docs.getChunks(chunkSet)).map((c) => [c.id, c]));
      const written = await this.reports.write({ community, entities: memberEntities, relations: inside, chunks }, signal);
      drafts.push({ ...written, ...(written.rating !== undefined ? { ratedBy: 'writer' as const } : {}), communityId: community.id, level: community.level, contentHash, vectorKey: sha256Hex(reportText(written)), mentions });
      progress.reportsWritten++;
      if (progress.reportsWritten % 20 === 0) report();
    }
    const ratings = rateReports(drafts);
    const reports: CommunityReport[] = drafts.map(({ mentions: _m, ...r }, i) => ({ ...r, rating: r.rating ?? ratings[i]! }));

    progress.phase = 'embedding';
    report();
    const entityTexts = new Map(entities.map((e) => [e.id, `${e.name}: ${e.descriptions[0] ?? ''}`]));
    const entityVectorKeys = Object.fromEntries([...entityTexts].map(([id, text]) => [id, sha256Hex(text)]));
    const texts = new Map<string, string>([...entityTexts.values()].map((t) => [sha256Hex(t), t]));
    for (const r of reports) texts.set(r.vectorKey, reportText(r));
    const have = await ws.graph.getTextVectors([...texts.keys()]);
    const toEmbed = [...texts].filter(([key]) => !have.has(key));
    for (let i = 0; i < toEmbed.length; i += 256) {
      signal?.throwIfAborted();
      const slice = toEmbed.slice(i, i + 256);
      const { vectors } = await this.embedder.embed(slice.map(([, t]) => t), { signal, priority: 'batch' });
      await ws.graph.putTextVectors(slice.map(([key], k) => ({ key, vector: vectors[k]! })));
    }

    const snapshot: GraphSnapshot = { version: 1, builtAt: new Date().toISOString(), extractor: this.extractor.id, chunks: chunkIds.length, entities, relations, communities, reports, entityVectorKeys };
    await ws.graph.putSnapshot(JSON.stringify(snapshot), [...texts.keys()]);
    progress.phase = 'done';
    report();
    return snapshot;
  }

  /** The last build's reports by community and content; the writer's own ratings are kept, size ratings are recomputed. */
  private async previousReports(ws: Workspace): Promise<Map<string, Omit<CommunityReport, 'rating'> & { rating?: number }>> {
    const json = await ws.graph.getSnapshot();
    if (!json) return new Map();
    const snapshot = JSON.parse(json) as GraphSnapshot;
    return new Map(snapshot.reports.map(({ rating, ratedBy, ...r }) => [`${r.communityId}\u0000${r.contentHash}`, ratedBy === 'writer' ? { ...r, rating, ratedBy } : r]));
  }
}
