import { UndirectedGraph } from 'graphology';
import type { Community } from './communities.js';

export interface GraphEntity {
  /** The resolution key ("scrooge"); stable across rebuilds. */
  id: string;
  name: string;
  type: string;
  /** Surface forms seen ("Scrooge", "Mr. Scrooge"). */
  forms: string[];
  descriptions: string[];
  chunkIds: number[];
  mentions: number;
}

export interface GraphRelation {
  source: string;
  target: string;
  weight: number;
  descriptions: string[];
  chunkIds: number[];
}

export interface Finding {
  summary: string;
  explanation: string;
  /** Chunks that support it. */
  chunkIds: number[];
}

export interface CommunityReport {
  communityId: string;
  level: number;
  title: string;
  summary: string;
  /** Importance, 0–10: the writer's own (an LLM's), else by the community's share of mentions. */
  rating: number;
  ratedBy?: 'writer';
  findings: Finding[];
  /** Hash of the community's members and edges: an unchanged community keeps its report. */
  contentHash: string;
  /** Key of the report text's embedding in the graph store. */
  vectorKey: string;
}

/** A workspace's built graph: what the graph modes and the inspection endpoints read. */
export interface GraphSnapshot {
  version: 1;
  builtAt: string;
  extractor: string;
  chunks: number;
  entities: GraphEntity[];
  relations: GraphRelation[];
  communities: Community[];
  reports: CommunityReport[];
  /** Embedding keys of each entity's name and description, by entity id. */
  entityVectorKeys: Record<string, string>;
}

/** The snapshot as a graphology graph (nodes: entity ids; edges weighted). */
export function toGraph(snapshot: Pick<GraphSnapshot, 'entities' | 'relations'>): UndirectedGraph {
  const graph = new UndirectedGraph();
  for (const e of snapshot.entities) graph.addNode(e.id, { name: e.name, type: e.type, mentions: e.mentions });
  for (const r of snapshot.relations) graph.addEdge(r.source, r.target, { weight: r.weight });
  return graph;
}
