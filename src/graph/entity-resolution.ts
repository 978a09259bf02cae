import { stem } from '../core/text.js';
import type { ChunkExtraction } from './extraction.js';

const TITLES = new Set(['mr', 'mrs', 'ms', 'miss', 'mister', 'dr', 'doctor', 'sir', 'lady', 'lord', 'madam', 'st', 'saint', 'the', 'old', 'young', 'little', 'poor']);

/**
 * The key under which surface forms of one entity meet: case, punctuation, possessives,
 * leading titles ("Mr.", "the") and plural endings do not matter, so "Scrooge", "Mr. Scrooge",
 * "SCROOGE" and "Scrooge's" share a key.
 */
export function entityKey(name: string): string {
  const words = name
    .toLowerCase()
    .replace(/['’]s\b/gu, '')
    .split(/[^\p{L}\p{N}]+/u)
    .filter(Boolean);
  while (words.length > 1 && TITLES.has(words[0]!)) words.shift();
  return words.map(stem).join(' ');
}

export interface ResolvedEntity {
  key: string;
  /** The fullest surface form among the frequent ones. */
  name: string;
  type: string;
  descriptions: string[];
  /** Surface forms seen, with counts. */
  forms: Map<string, number>;
  chunkIds: Set<number>;
  mentions: number;
}

export interface ResolvedRelation {
  source: string;
  target: string;
  descriptions: string[];
  weight: number;
  chunkIds: Set<number>;
}

const MAX_DESCRIPTIONS = 8;

/**
 * Merges per-chunk extractions into entities and relations over keys. A one-word key that is
 * the last word of exactly one longer key ("scrooge" and "ebenezer scrooge") joins that one, and
 * so does a person's first name that starts exactly one longer person's name.
 * Descriptions are merged as a list of distinct sentences (at most MAX_DESCRIPTIONS kept).
 */
export function resolveEntities(extractions: Array<{ chunkId: number; extraction: ChunkExtraction }>): { entities: Map<string, ResolvedEntity>; relations: Map<string, ResolvedRelation> } {
  const byKey = new Map<string, ResolvedEntity>();
  const typeVotes = new Map<string, Map<string, number>>();
  for (const { chunkId, extraction } of extractions) {
    for (const e of extraction.entities) {
      const key = entityKey(e.name);
      if (!key) continue;
      const entity: ResolvedEntity = byKey.get(key) ?? { key, name: e.name, type: e.type, descriptions: [], forms: new Map(), chunkIds: new Set(), mentions: 0 };
      entity.forms.set(e.name, (entity.forms.get(e.name) ?? 0) + 1);
      entity.chunkIds.add(chunkId);
      entity.mentions++;
      if (e.description && !entity.descriptions.includes(e.description) && entity.descriptions.length < MAX_DESCRIPTIONS) entity.descriptions.push(e.description);
      const votes = typeVotes.get(key) ?? new Map<string, number>();
      votes.set(e.type, (votes.get(e.type) ?? 0) + 1);
      typeVotes.set(key, votes);
      byKey.set(key, entity);
    }
  }
  // Surnames and first names alone join the one longer name that ends (or starts) with them.
  const alias = new Map<string, string>();
  const longer = [...byKey.keys()].filter((k) => k.includes(' '));
  for (const key of byKey.keys()) {
    if (key.includes(' ')) continue;
    const owners = longer.filter((k) => k.endsWith(` ${key}`));
    // A first name alone joins its one full name only for people ("Bob" → "Bob Cratchit", not "Christmas" → "Christmas Day").
    const isPerson = typeVotes.get(key)!.has('PERSON');
    const firstNameOwners = isPerson ? longer.filter((k) => k.startsWith(`${key} `) && typeVotes.get(k)!.has('PERSON')) : [];
    if (owners.length === 1) alias.set(key, owners[0]!);
    else if (owners.length === 0 && firstNameOwners.length === 1) alias.set(key, firstNameOwners[0]!);
  }
  for (const [from, to] of alias) {
    const a = byKey.get(from)!;
    const b = byKey.get(to)!;
    for (const [form, n] of a.forms) b.forms.set(form, (b.forms.get(form) ?? 0) + n);
    for (const id of a.chunkIds) b.chunkIds.add(id);
    b.mentions += a.mentions;
    for (const d of a.descriptions) if (!b.descriptions.includes(d) && b.descriptions.length < MAX_DESCRIPTIONS) b.descriptions.push(d);
    const votes = typeVotes.get(to)!;
    for (const [t, n] of typeVotes.get(from)!) votes.set(t, (votes.get(t) ?? 0) + n);
    byKey.delete(from);
  }
  for (const entity of byKey.values()) {
    // The fullest form that is used at least a quarter as often as the commonest ("Bob Cratchit" over "Bob").
    const top = Math.max(...entity.forms.values());
    entity.name = [...entity.forms].filter(([, n]) => n * 4 >= top).sort((x, y) => y[0].length - x[0].length || y[1] - x[1])[0]![0];
    // A specific type (PERSON, PLACE, …) wins over the generic NAME.
    const votes = [...typeVotes.get(entity.key)!].sort((x, y) => Number(x[0] === 'NAME') - Number(y[0] === 'NAME') || y[1] - x[1]);
    entity.type = votes[0]![0];
  }
  const resolve = (name: string) => {
    const key = entityKey(name);
    return alias.get(key) ?? key;
  };
  const relations = new Map<string, ResolvedRelation>();
  for (const { chunkId, extraction } of extractions) {
    for (const r of extraction.relations) {
      let [source, target] = [resolve(r.source), resolve(r.target)];
      if (!byKey.has(source) || !byKey.has(target) || source === target) continue;
      if (source > target) [source, target] = [target, source];
      const key = `${source}\u0000${target}`;
      const relation: ResolvedRelation = relations.get(key) ?? { source, target, descriptions: [], weight: 0, chunkIds: new Set() };
      relation.weight += r.strength;
      relation.chunkIds.add(chunkId);
      if (r.description && !relation.descriptions.includes(r.description) && relation.descriptions.length < MAX_DESCRIPTIONS) relation.descriptions.push(r.description);
      relations.set(key, relation);
    }
  }
  return { entities: byKey, relations };
}
