import { ConflictError, NotFoundError, TooManyRequestsError } from '../core/errors.js';
import type { Job, JobRegistry } from '../jobs/jobs.js';
import type { Workspace } from '../store/workspace.js';
import type { GraphIndexer } from './graph-indexer.js';
import type { GraphSnapshot } from './graph-index.js';

/** A built graph as queries use it: the snapshot, lookups, and its text embeddings. */
export interface LoadedGraph {
  snapshot: GraphSnapshot;
  entities: Map<string, GraphSnapshot['entities'][number]>;
  /** Relations by entity id (both ends). */
  adjacency: Map<string, GraphSnapshot['relations']>;
  entityVectors: Map<string, Float32Array>;
  reportVectors: Map<string, Float32Array>;
}

/**
 * Graph builds as background jobs (one at a time per workspace) and built graphs loaded once
 * per build for the graph modes and inspection endpoints.
 */
export class GraphService {
  private readonly loaded = new Map<string, { builtAt: string; graph: LoadedGraph }>();
  private readonly building = new Map<string, string>();
  private readonly pending = new Map<string, NodeJS.Timeout>();
  private closed = false;

  /** `autoUpdateMs`: after a write to a workspace that has a graph, update it this much later (0: never). */
  constructor(
    private readonly indexer: GraphIndexer,
    private readonly jobs: JobRegistry,
    private readonly autoUpdateMs = 0,
  ) {}

  /**
   * A workspace's documents changed: if it has a graph, an update job follows once writes have
   * been quiet for `autoUpdateMs` (a build already running is followed by another).
   */
  noteWrite(ws: Workspace): void {
    if (this.autoUpdateMs <= 0) return;
    ws.graph.getSnapshot().then(
      (snapshot) => snapshot !== undefined && this.schedule(ws),
      () => {}, // a store that cannot be read now: no update; the next write tries again
    );
  }

  private schedule(ws: Workspace): void {
    if (this.closed) return;
    clearTimeout(this.pending.get(ws.name));
    const timer = setTimeout(() => {
      this.pending.delete(ws.name);
      if (this.building.has(ws.name)) return this.schedule(ws);
      try {
        this.startBuild(ws);
      } catch (error) {
        if (!(error instanceof TooManyRequestsError)) throw error;
        this.schedule(ws); // the workspace's job slots are taken (an ingest is running): try again later
      }
    }, this.autoUpdateMs);
    timer.unref();
    this.pending.set(ws.name, timer);
  }

  /** Pending automatic updates are dropped (at shutdown). */
  close(): void {
    this.closed = true;
    for (const timer of this.pending.values()) clearTimeout(timer);
    this.pending.clear();
  }

  /** Starts (or updates) the workspace's graph; a build already running is a 409 naming its job. */
  startBuild(ws: Workspace): Job {
    const running = this.building.get(ws.name);
    if (running) throw new ConflictError(`a graph build for workspace "${ws.name}" is already running: job ${running}`);
    const job = this.jobs.start('build-graph', ws.name, async (handle) => {
      try {
        await this.indexer.build(ws, { signal: handle.signal, progress: (p) => handle.update((progress) => (progress.graph = p)) });
      } finally {
        this.building.delete(ws.name);
      }
    });
    this.building.set(ws.name, job.id);
    return job;
  }

  /** The workspace's built graph; 404 when it has none yet. */
  async load(ws: Workspace): Promise<LoadedGraph> {
    const json = await ws.graph.getSnapshot();
    if (!json) throw new NotFoundError(`workspace "${ws.name}" has no graph yet; build it with POST /v1/workspaces/${ws.name}/graph`);
    const builtAt = /"builtAt":"([^"]+)"/.exec(json)?.[1] ?? '';
    const cached = this.loaded.get(ws.name);
    if (cached?.builtAt === builtAt) return cached.graph;
    const snapshot = JSON.parse(json) as GraphSnapshot;
    const adjacency = new Map<string, GraphSnapshot['relations']>();
    for (const r of snapshot.relations) {
      adjacency.set(r.source, [...(adjacency.get(r.source) ?? []), r]);
      adjacency.set(r.target, [...(adjacency.get(r.target) ?? []), r]);
    }
    const entityKeys = snapshot.entities.map((e) => snapshot.entityVectorKeys[e.id]!);
    const vectors = await ws.graph.getTextVectors([...entityKeys, ...snapshot.reports.map((r) => r.vectorKey)]);
    const graph: LoadedGraph = {
      snapshot,
      entities: new Map(snapshot.entities.map((e) => [e.id, e])),
      adjacency,
      entityVectors: new Map(snapshot.entities.flatMap((e) => (vectors.has(snapshot.entityVectorKeys[e.id]!) ? [[e.id, vectors.get(snapshot.entityVectorKeys[e.id]!)!]] : []))),
      reportVectors: new Map(snapshot.reports.flatMap((r) => (vectors.has(r.vectorKey) ? [[r.communityId, vectors.get(r.vectorKey)!]] : []))),
    };
    this.loaded.set(ws.name, { builtAt, graph });
    return graph;
  }
}

/** GraphML of the entity graph, for Gephi, yEd, Cytoscape and the like. */
export function toGraphMl(snapshot: GraphSnapshot): string {
  const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
  const level0 = new Map(snapshot.communities.filter((c) => c.level === 0).flatMap((c) => c.members.map((m) => [m, c.id])));
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<graphml xmlns="http://graphml.graphdrawing.org/xmlns">',
    '  <key id="name" for="node" attr.name="name" attr.type="string"/>',
    '  <key id="type" for="node" attr.name="type" attr.type="string"/>',
    '  <key id="mentions" for="node" attr.name="mentions" attr.type="int"/>',
    '  <key id="community" for="node" attr.name="community" attr.type="string"/>',
    '  <key id="weight" for="edge" attr.name="weight" attr.type="double"/>',
    '  <graph id="entities" edgedefault="undirected">',
    ...snapshot.entities.map(
      (e) =>
        `    <node id="${esc(e.id)}"><data key="name">${esc(e.name)}</data><data key="type">${esc(e.type)}</data><data key="mentions">${e.mentions}</data><data key="community">${esc(level0.get(e.id) ?? '')}</data></node>`,
    ),
    ...snapshot.relations.map((r, i) => `    <edge id="e${i}" source="${esc(r.source)}" target="${esc(r.target)}"><data key="weight">${r.weight}</data></edge>`),
    '  </graph>',
    '</graphml>',
  ];
  return lines.join('\n') + '\n';
}
