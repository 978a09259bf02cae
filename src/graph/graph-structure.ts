import { hierarchicalCommunities } from './communities.js';
import type { Community, CommunityOptions } from './communities.js';
import { resolveEntities } from './entity-resolution.js';
import type { ChunkExtraction } from './extraction.js';
import { toGraph } from './graph-index.js';
import type { GraphEntity, GraphRelation } from './graph-index.js';

export interface GraphStructure {
  entities: GraphEntity[];
  relations: GraphRelation[];
  communities: Community[];
}

/**
 * Entities and relations resolved from the stored per-chunk extractions, and their hierarchical
 * communities: the part of a graph build whose cost grows with the graph (it runs in a worker).
 */
export function graphStructure(rows: ReadonlyArray<{ chunkId: number; extraction: ChunkExtraction }>, options: CommunityOptions): GraphStructure {
  const resolved = resolveEntities([...rows]);
  const entities: GraphEntity[] = [...resolved.entities.values()]
    .map((e) => ({ id: e.key, name: e.name, type: e.type, forms: [...e.forms.keys()], descriptions: e.descriptions, chunkIds: [...e.chunkIds].sort((a, b) => a - b), mentions: e.mentions }))
    .sort((a, b) => a.id.localeCompare(b.id));
  const relations: GraphRelation[] = [...resolved.relations.values()]
    .map((r) => ({ source: r.source, target: r.target, weight: r.weight, descriptions: r.descriptions, chunkIds: [...r.chunkIds].sort((a, b) => a - b) }))
    .sort((a, b) => a.source.localeCompare(b.source) || a.target.localeCompare(b.target));
  return { entities, relations, communities: hierarchicalCommunities(toGraph({ entities, relations }), options) };
}
