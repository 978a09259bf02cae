import { UndirectedGraph } from 'graphology';
import louvainModule from 'graphology-communities-louvain';
import type { LouvainOptions } from 'graphology-communities-louvain';
import { seededRandom } from '../core/random.js';

/** The entity graph: undirected, with a `weight` on every edge. */
export type EntityGraph = UndirectedGraph;

// graphology-communities-louvain is CommonJS; under NodeNext its default import is the module object.
const louvain = louvainModule as unknown as (graph: EntityGraph, options?: LouvainOptions) => Record<string, number>;

export interface Community {
  /** `L<level>-<n>`, stable for a given graph and seed. */
  id: string;
  level: number;
  parent: string | null;
  /** Node keys, sorted. */
  members: string[];
}

export interface CommunityOptions {
  /** A community with more members than this is partitioned again at the next level. */
  maxSize: number;
  maxLevels: number;
  seed: number;
}

/**
 * Hierarchical communities by Louvain applied recursively: level 0 partitions the whole graph;
 * a community larger than `maxSize` is partitioned again (its own subgraph) at the next level,
 * down to `maxLevels` levels. Community numbers follow the smallest member key, so ids do not
 * depend on Louvain's internal numbering.
 */
export function hierarchicalCommunities(graph: EntityGraph, options: CommunityOptions): Community[] {
  const out: Community[] = [];
  const partition = (g: EntityGraph, level: number, parent: string | null, seed: number) => {
    if (g.order === 0) return;
    const mapping = g.size > 0 ? louvain(g, { getEdgeWeight: 'weight', rng: seededRandom(seed) }) : Object.fromEntries(g.nodes().map((n, i) => [n, i]));
    const groups = new Map<number, string[]>();
    for (const [node, c] of Object.entries(mapping)) groups.set(c, [...(groups.get(c) ?? []), node]);
    const sorted = [...groups.values()].map((m) => m.sort()).sort((a, b) => (a[0]! < b[0]! ? -1 : 1));
    if (parent !== null && sorted.length < 2) return; // Louvain found no finer structure
    sorted.forEach((members, i) => {
      const id = parent === null ? `L0-${i}` : `${parent}.${i}`;
      out.push({ id: parent === null ? id : `L${level}-${id.slice(id.indexOf('-') + 1)}`, level, parent, members });
      if (members.length > options.maxSize && level + 1 < options.maxLevels) {
        partition(subgraph(g, members), level + 1, out.at(-1)!.id, seed + 1);
      }
    });
  };
  partition(graph, 0, null, options.seed);
  return out;
}

/** The members and the edges among them, as a graph of their own. */
function subgraph(g: EntityGraph, members: string[]): EntityGraph {
  const sub = new UndirectedGraph();
  const keep = new Set(members);
  for (const m of members) sub.addNode(m, g.getNodeAttributes(m));
  for (const m of members) {
    g.forEachEdge(m, (edge, attributes, source, target) => {
      if (source === m && keep.has(target) && !sub.hasEdge(source, target)) sub.addEdge(source, target, attributes);
      else if (target === m && keep.has(source) && !sub.hasEdge(source, target)) sub.addEdge(source, target, attributes);
    });
  }
  return sub;
}
