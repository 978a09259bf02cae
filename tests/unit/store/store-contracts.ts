/**
 * Contract suites for the storage seams. Every backend runs them unchanged: the embedded one
 * (embedded-store.test.ts) and PostgreSQL/pgvector (postgres-store.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { topByInnerProduct } from '../../../src/store/exact-vector-index.js';
import type { DocStore, GraphStore, LexicalIndex, NewDocument, VectorIndex } from '../../../src/store/types.js';
import { randomUnitVectors } from '../../support/vectors.js';

const DIM = 8;

export function newDocument(id: string, texts: string[], overrides: Partial<NewDocument> = {}): NewDocument {
  const vectors = randomUnitVectors(texts.length, DIM, id.length * 7 + texts.length);
  let offset = 0;
  const chunks = texts.map((text, i) => {
    const start = offset;
    offset += text.length + 1;
    return { text, start, end: start + text.length, page: null, tokenCount: text.split(' ').length, vector: vectors[i]! };
  });
  return { id, title: `Title ${id}`, source: null, mime: 'text/plain', contentHash: `hash-${texts.join('|')}`, metadata: { lang: 'en' }, text: texts.join(' '), chunks, ...overrides };
}

type Maybe<T> = T | Promise<T>;

export function docStoreContract(name: string, open: () => Maybe<{ docs: DocStore; lexical: LexicalIndex }>): void {
  describe(`DocStore + LexicalIndex contract: ${name}`, () => {
    it('creates, skips identical content, and replaces changed content atomically', async () => {
      const { docs } = await open();
      const first = await docs.putDocument(newDocument('a', ['alpha one', 'alpha two']));
      expect(first.status).toBe('created');
      if (first.status === 'unchanged') throw new Error('unreachable');
      expect(first.addedChunkIds).toHaveLength(2);
      expect(await docs.hasContent('a', 'hash-alpha one|alpha two')).toBe(true);
      expect((await docs.putDocument(newDocument('a', ['alpha one', 'alpha two']))).status).toBe('unchanged');
      const second = await docs.putDocument(newDocument('a', ['beta one']));
      expect(second.status).toBe('replaced');
      if (second.status === 'unchanged') throw new Error('unreachable');
      expect(second.removedChunkIds.sort()).toEqual([...first.addedChunkIds].sort());
      expect((await docs.chunksOf('a')).map((c) => c.text)).toEqual(['beta one']);
      expect(await docs.getDocumentText('a')).toBe('beta one');
      expect(await docs.counts()).toEqual({ documents: 1, chunks: 1 });
      // Chunk ids are never reused.
      expect(Math.min(...second.addedChunkIds)).toBeGreaterThan(Math.max(...first.addedChunkIds));
    });

    it('keeps the old version whole when writing a new one fails', async () => {
      const { docs } = await open();
      await docs.putDocument(newDocument('keep', ['old text']));
      const broken = newDocument('keep', ['new text', 'more']);
      (broken.chunks[1] as { text: unknown }).text = { not: 'a string' };
      await expect(docs.putDocument(broken)).rejects.toThrow();
      expect(await docs.getDocumentText('keep')).toBe('old text');
      expect((await docs.chunksOf('keep')).map((c) => c.text)).toEqual(['old text']);
      const fresh = newDocument('fresh', ['x', 'y']);
      (fresh.chunks[1] as { text: unknown }).text = { not: 'a string' };
      await expect(docs.putDocument(fresh)).rejects.toThrow();
      expect(await docs.getDocument('fresh')).toBeUndefined();
      expect(await docs.counts()).toEqual({ documents: 1, chunks: 1 });
    });

    it('reads documents, pages, chunks in the order asked, and vectors bit for bit', async () => {
      const { docs } = await open();
      for (const id of ['d1', 'd2', 'd3']) await docs.putDocument(newDocument(id, [`${id} first`, `${id} second`]));
      const page = await docs.listDocuments(2, 1);
      expect(page.total).toBe(3);
      expect(page.items.map((d) => d.id)).toEqual(['d2', 'd3']);
      const d2 = (await docs.getDocument('d2'))!;
      expect(d2).toMatchObject({ title: 'Title d2', mime: 'text/plain', metadata: { lang: 'en' }, chunkCount: 2, charCount: 'd2 first d2 second'.length });
      const chunks = await docs.chunksOf('d2');
      expect(chunks.map((c) => [c.ordinal, c.text, c.start, c.end])).toEqual([[0, 'd2 first', 0, 8], [1, 'd2 second', 9, 18]]);
      const ids = [chunks[1]!.id, chunks[0]!.id];
      expect((await docs.getChunks(ids)).map((c) => c.id)).toEqual(ids);
      const expected = newDocument('d2', ['d2 first', 'd2 second']).chunks.map((c) => Array.from(c.vector));
      const stored = await docs.getVectors(chunks.map((c) => c.id));
      expect(chunks.map((c) => Array.from(stored.get(c.id)!))).toEqual(expected);
      const scanned: Array<{ id: number; vector: Float32Array }> = [];
      for await (const batch of docs.scanVectors(4)) scanned.push(...batch);
      expect(scanned.map((s) => s.id)).toEqual(await docs.allChunkIds());
      expect(scanned).toHaveLength(6);
    });

    it('deletes a document with its chunks, vectors and lexical entries', async () => {
      const { docs, lexical } = await open();
      await docs.putDocument(newDocument('gone', ['unique zebra words']));
      await docs.putDocument(newDocument('stays', ['ordinary words']));
      expect(await lexical.search('zebra', 5)).toHaveLength(1);
      const removed = (await docs.deleteDocument('gone'))!;
      expect(removed).toHaveLength(1);
      expect(await docs.getDocument('gone')).toBeUndefined();
      expect((await docs.getVectors(removed)).size).toBe(0);
      expect(await lexical.search('zebra', 5)).toEqual([]);
      expect(await docs.deleteDocument('gone')).toBeUndefined();
    });

    it('ranks by BM25: rarer matching terms and more matches first; any query text is safe', async () => {
      const { docs, lexical } = await open();
      await docs.putDocument(newDocument('x', ['the cat sat on the mat', 'a dog chased the cat around the cat tree', 'nothing to see here']));
      const hits = await lexical.search('cat tree', 10);
      const texts = (await docs.getChunks(hits.map((h) => h.id))).map((c) => c.text);
      expect(texts[0]).toBe('a dog chased the cat around the cat tree');
      expect(texts).toContain('the cat sat on the mat');
      expect(texts).not.toContain('nothing to see here');
      expect(hits[0]!.score).toBeGreaterThan(hits[1]!.score);
      for (const hostile of ['"', 'cat" OR "', 'NEAR(cat dog)', '*', 'cat AND', '-', ')(', 'ä ö ü', '']) await expect(lexical.search(hostile, 5)).resolves.toBeInstanceOf(Array);
      expect((await lexical.search('cats', 5)).length).toBeGreaterThan(0); // stemming
    });
  });
}

export function vectorIndexContract(name: string, make: (dim: number) => Maybe<VectorIndex>, options: { minRecall: number }): void {
  describe(`VectorIndex contract: ${name}`, () => {
    it('finds the top inner products as brute force does', async () => {
      const index = await make(32);
      const vectors = randomUnitVectors(2000, 32, 7);
      await index.add(vectors.map((vector, i) => ({ id: i + 1, vector })));
      expect(await index.count()).toBe(2000);
      const queries = randomUnitVectors(50, 32, 99);
      let found = 0;
      for (const q of queries) {
        const exact = topByInnerProduct(q, vectors.map((v, i) => [i + 1, v] as [number, Float32Array]), 10).map((h) => h.id);
        const got = await index.search(q, 10);
        expect(got).toHaveLength(10);
        for (let i = 1; i < got.length; i++) expect(got[i - 1]!.score).toBeGreaterThanOrEqual(got[i]!.score - 1e-6);
        for (const h of got) expect(h.score).toBeCloseTo(vectors[h.id - 1]!.reduce((s, x, d) => s + x * q[d]!, 0), 4);
        found += got.filter((h) => exact.includes(h.id)).length;
      }
      expect(found / (queries.length * 10)).toBeGreaterThanOrEqual(options.minRecall);
    });

    it('removes ids, grows past its first capacity, and never returns removed ids', async () => {
      const index = await make(8);
      const vectors = randomUnitVectors(3000, 8, 3);
      await index.add(vectors.map((vector, i) => ({ id: i + 1, vector })));
      const removed = Array.from({ length: 1500 }, (_, i) => 2 * i + 1);
      await index.remove(removed);
      expect(await index.count()).toBe(1500);
      expect(new Set(await index.ids())).toEqual(new Set(Array.from({ length: 1500 }, (_, i) => 2 * i + 2)));
      for (const q of randomUnitVectors(20, 8, 5)) for (const h of await index.search(q, 20)) expect(h.id % 2).toBe(0);
      expect((await index.search(vectors[0]!, 5000)).length).toBe(1500);
      await expect(index.add([{ id: 99999, vector: new Float32Array(3) }])).rejects.toThrow(/dimensions/);
    });

    it('answers an empty index with nothing', async () => {
      expect(await (await make(4)).search(new Float32Array(4).fill(0.5), 3)).toEqual([]);
    });
  });
}

export function graphStoreContract(name: string, open: () => Maybe<GraphStore>): void {
  describe(`GraphStore contract: ${name}`, () => {
    it('keeps extractions per chunk and extractor; drops them by chunk', async () => {
      const g = await open();
      await g.putExtractions('nlp', [
        { chunkId: 3, extraction: { entities: [{ name: 'Scrooge' }] } },
        { chunkId: 1, extraction: { entities: [] } },
      ]);
      await g.putExtractions('llm', [{ chunkId: 1, extraction: { entities: [{ name: 'Marley' }] } }]);
      expect(await g.extractedChunkIds('nlp')).toEqual([1, 3]);
      expect(await g.allExtractions('llm')).toEqual([{ chunkId: 1, extraction: { entities: [{ name: 'Marley' }] } }]);
      await g.putExtractions('nlp', [{ chunkId: 3, extraction: { entities: [{ name: 'Fred' }] } }]); // replaced
      expect((await g.allExtractions('nlp')).find((r) => r.chunkId === 3)!.extraction).toEqual({ entities: [{ name: 'Fred' }] });
      await g.dropExtractions([1]);
      expect(await g.extractedChunkIds('nlp')).toEqual([3]);
      expect(await g.extractedChunkIds('llm')).toEqual([]);
    });

    it('replaces the snapshot and keeps only the text vectors it names', async () => {
      const g = await open();
      expect(await g.getSnapshot()).toBeUndefined();
      const [a, b] = randomUnitVectors(2, DIM, 5);
      await g.putTextVectors([
        { key: 'a', vector: a! },
        { key: 'b', vector: b! },
      ]);
      expect([...(await g.getTextVectors(['a', 'b', 'missing'])).keys()]).toEqual(['a', 'b']);
      expect([...(await g.getTextVectors(['a'])).get('a')!]).toEqual([...a!]);
      await g.putSnapshot('{"version":1}', ['a']);
      expect(await g.getSnapshot()).toBe('{"version":1}');
      expect([...(await g.getTextVectors(['a', 'b'])).keys()]).toEqual(['a']);
      await g.putSnapshot('{"version":2}', []);
      expect(await g.getSnapshot()).toBe('{"version":2}');
      expect((await g.getTextVectors(['a'])).size).toBe(0);
    });
  });
}
