import { UndirectedGraph } from 'graphology';
import { describe, expect, it } from 'vitest';
import { hierarchicalCommunities } from '../../src/graph/communities.js';
import { entityKey, resolveEntities } from '../../src/graph/entity-resolution.js';
import { extractOffline } from '../../src/graph/nlp-extractor.js';
import { fillBudget, packBatches, shuffled } from '../../src/rag/graph/budget.js';
import { seededRandom } from '../../src/core/random.js';

const TEXT = `Marley was dead: to begin with. Mr. Scrooge signed the register with Bob Cratchit in London. SCROOGE never painted out Old Marley's name. Scrooge's nephew Fred came in. Bob Cratchit went home to Camden Town.`;

describe('offline entity extraction', () => {
  const { entities, relations } = extractOffline(TEXT);
  const names = entities.map((e) => e.name);

  it('finds the named entities of a text whose entities are known', () => {
    for (const name of ['Marley', 'Mr. Scrooge', 'Bob Cratchit', 'London', 'Fred', 'Camden Town']) expect(names).toContain(name);
    expect(names).not.toContain('To'); // a sentence's first word is not a name unless it is one elsewhere
    expect(entities.find((e) => e.name === 'Bob Cratchit')!.type).toBe('PERSON');
  });

  it('relates entities that share a sentence, with strength = shared sentences ÷ sentences', () => {
    const pair = relations.find((r) => [r.source, r.target].sort().join() === ['Bob Cratchit', 'Mr. Scrooge'].sort().join());
    expect(pair).toBeDefined();
    expect(pair!.strength).toBeCloseTo(1 / 5, 12);
    expect(relations.some((r) => [r.source, r.target].includes('Fred') && [r.source, r.target].includes('Camden Town'))).toBe(false);
  });
});

describe('entity resolution', () => {
  it('gives surface forms of one entity one key', () => {
    expect(new Set(['Scrooge', 'Mr. Scrooge', 'SCROOGE', "Scrooge's", 'the Scrooges'].map(entityKey))).toEqual(new Set(['scrooge']));
    expect(entityKey('Bob Cratchit')).not.toBe(entityKey('Bob'));
  });

  it('merges forms, surnames and a person’s first name into one node, with merged descriptions and relations', () => {
    const { entities, relations } = resolveEntities([
      { chunkId: 1, extraction: extractOffline(TEXT) },
      {
        chunkId: 2,
        extraction: {
          entities: [
            { name: 'Ebenezer Scrooge', type: 'PERSON', description: 'A covetous old man.' },
            { name: 'Bob', type: 'PERSON', description: 'The clerk.' },
            { name: 'Christmas', type: 'NAME', description: 'A season.' },
            { name: 'Christmas Day', type: 'NAME', description: 'A day.' },
          ],
          relations: [{ source: 'Bob', target: 'Ebenezer Scrooge', description: 'Bob works for Ebenezer Scrooge.', strength: 0.5 }],
        },
      },
    ]);
    const scrooge = entities.get('ebenezer scrooge')!;
    expect(entities.has('scrooge')).toBe(false); // joined the one longer name ending in it
    expect([...scrooge.forms.keys()].sort()).toEqual(['Ebenezer Scrooge', 'Mr. Scrooge', 'SCROOGE'].sort()); // "Scrooge's" and "SCROOGE" are one mention form in chunk 1
    expect(scrooge.descriptions).toContain('A covetous old man.');
    expect(scrooge.chunkIds).toEqual(new Set([1, 2]));
    expect(entities.has('bob')).toBe(false); // "Bob" → "Bob Cratchit" (a person's first name)
    expect(entities.has(entityKey('Christmas'))).toBe(true); // not merged into "Christmas Day": not a person
    const bobScrooge = relations.get(['bob cratchit', 'ebenezer scrooge'].sort().join('\u0000'))!;
    expect(bobScrooge.chunkIds).toEqual(new Set([1, 2]));
    expect(bobScrooge.weight).toBeCloseTo(1 / 5 + 0.5, 12);
  });
});

describe('hierarchical Louvain communities', () => {
  /** Obvious clusters: cliques of 3 in a ring, each joined to the next by one edge. */
  function ringOfCliques(cliques: number): UndirectedGraph {
    const g = new UndirectedGraph();
    for (let c = 0; c < cliques; c++) {
      const [x, y, z] = [0, 1, 2].map((i) => `k${String(c).padStart(2, '0')}-${i}`);
      g.addNode(x!);
      g.addNode(y!);
      g.addNode(z!);
      g.addEdge(x!, y!, { weight: 1 });
      g.addEdge(y!, z!, { weight: 1 });
      g.addEdge(x!, z!, { weight: 1 });
    }
    for (let c = 0; c < cliques; c++) g.addEdge(`k${String(c).padStart(2, '0')}-2`, `k${String((c + 1) % cliques).padStart(2, '0')}-0`, { weight: 1 });
    return g;
  }
  const cliqueOf = (node: string) => node.slice(0, 3);

  it('never splits an obvious cluster, and partitions communities above the size limit again, one level down', () => {
    const communities = hierarchicalCommunities(ringOfCliques(30), { maxSize: 3, maxLevels: 3, seed: 42 });
    const level0 = communities.filter((c) => c.level === 0);
    expect(level0.flatMap((c) => c.members).sort()).toEqual(ringOfCliques(30).nodes().sort()); // a partition of all nodes
    for (const c of level0) expect(c.members.length % 3, c.id).toBe(0);
    for (const c of level0) for (const clique of new Set(c.members.map(cliqueOf))) expect(c.members.filter((m) => cliqueOf(m) === clique)).toHaveLength(3);
    // Louvain's resolution limit merges neighbouring cliques at level 0; each such community is split into its cliques at level 1.
    const merged = level0.filter((c) => c.members.length > 3);
    expect(merged.length).toBeGreaterThan(0);
    for (const parent of merged) {
      const children = communities.filter((c) => c.parent === parent.id);
      expect(children.every((c) => c.level === 1)).toBe(true);
      expect(children.map((c) => c.members.join(','))).toEqual([...new Set(parent.members.map(cliqueOf))].sort().map((k) => [0, 1, 2].map((i) => `${k}-${i}`).join(',')));
    }
    for (const c of level0.filter((c) => c.members.length <= 3)) expect(communities.filter((x) => x.parent === c.id)).toEqual([]);
  });

  it('gives the same partition for the same seed', () => {
    const a = hierarchicalCommunities(ringOfCliques(30), { maxSize: 3, maxLevels: 3, seed: 7 });
    const b = hierarchicalCommunities(ringOfCliques(30), { maxSize: 3, maxLevels: 3, seed: 7 });
    expect(a).toEqual(b);
  });
});

describe('map-reduce budgets (counted tokens)', () => {
  const tokens = (s: string) => s.split(' ').length; // a counting fake: one token per word
  it('packs items into batches within the budget, keeping order; an oversized item goes alone', () => {
    const items = ['a b c', 'd e', 'f g h i', 'j', 'k l m n o p q'];
    expect(packBatches(items, 5, tokens)).toEqual([['a b c', 'd e'], ['f g h i', 'j'], ['k l m n o p q']]);
  });

  it('fills the reduce budget with the best-scored points first, skipping those that do not fit', () => {
    const points = [
      { text: 'w w w', score: 40 },
      { text: 'x x x x', score: 90 },
      { text: 'y y', score: 70 },
      { text: 'z', score: 10 },
    ];
    expect(fillBudget(points, 7, (p) => tokens(p.text)).map((p) => p.score)).toEqual([90, 70, 10]);
  });

  it('shuffles reproducibly', () => {
    const xs = Array.from({ length: 20 }, (_, i) => i);
    expect(shuffled(xs, seededRandom(1))).toEqual(shuffled(xs, seededRandom(1)));
    expect(shuffled(xs, seededRandom(1))).not.toEqual(xs);
    expect([...shuffled(xs, seededRandom(1))].sort((a, b) => a - b)).toEqual(xs);
  });
});
