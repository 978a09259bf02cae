/** What every document passes at the door (Ingestor.prepare): bounded metadata, well-formed text. */
import { InlineCpuRunner } from '../../src/cpu/cpu-runner.js';
import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../src/core/errors.js';
import { checkedMetadata, MAX_METADATA_BYTES, MAX_METADATA_DEPTH } from '../../src/core/metadata.js';
import { wellFormed } from '../../src/core/unicode.js';
import type { Embedder } from '../../src/embedding/embedder.js';
import { Ingestor } from '../../src/ingestion/ingestor.js';
import type { IngestInput } from '../../src/ingestion/ingestor.js';
import type { Workspace } from '../../src/store/workspace.js';

/** `{"a":{"a":…{"leaf":1}}}` with `levels` objects, built without recursion (as JSON.parse would give it). */
function nestedObjects(levels: number): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  let node = root;
  for (let i = 1; i < levels; i++) node = (node.a = {}) as Record<string, unknown>;
  node.leaf = 1;
  return root;
}

/** `{"list":[[…[1]…]]}`: one object holding `levels - 1` arrays. */
function nestedArrays(levels: number): Record<string, unknown> {
  return JSON.parse(`{"list":${'['.repeat(levels - 1)}1${']'.repeat(levels - 1)}}`) as Record<string, unknown>;
}

/** Nesting depth counted on the JSON text: the most brackets open at once (no strings with brackets in these). */
function jsonDepth(json: string): number {
  let depth = 0;
  let most = 0;
  for (const ch of json) {
    if (ch === '{' || ch === '[') most = Math.max(most, ++depth);
    else if (ch === '}' || ch === ']') depth--;
  }
  return most;
}

describe('metadata limits', () => {
  it('refuses metadata nested 5,000 levels (objects or arrays) with a 400 naming the limit, without overflowing the stack', () => {
    for (const deep of [nestedObjects(5_000), nestedArrays(5_000)]) {
      expect(() => JSON.stringify(deep)).toThrow(RangeError); // what the door used to do: a 500
      let error: unknown;
      try {
        checkedMetadata(deep);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(InvalidInputError);
      expect((error as InvalidInputError).statusCode).toBe(400);
      expect((error as Error).message).toMatch(new RegExp(`deeper than ${MAX_METADATA_DEPTH} levels.*at most ${MAX_METADATA_DEPTH} levels`));
    }
  });

  it('accepts exactly the depth limit and refuses one level more', () => {
    expect(MAX_METADATA_DEPTH).toBe(32);
    for (const build of [nestedObjects, nestedArrays]) {
      const atLimit = build(32);
      expect(jsonDepth(JSON.stringify(atLimit))).toBe(32);
      expect(checkedMetadata(atLimit).json).toBe(JSON.stringify(atLimit));
      expect(jsonDepth(JSON.stringify(build(33)))).toBe(33);
      expect(() => checkedMetadata(build(33))).toThrow(/deeper than 32 levels/);
    }
  });

  it('accepts exactly 64 KiB of UTF-8 JSON and refuses one byte more', () => {
    expect(MAX_METADATA_BYTES).toBe(65_536);
    const overhead = Buffer.byteLength(JSON.stringify({ note: '' })); // {"note":""}
    const exact = { note: 'é'.repeat(1000) + 'x'.repeat(65_536 - overhead - 2000) }; // é is two bytes
    expect(Buffer.byteLength(JSON.stringify(exact))).toBe(65_536);
    expect(checkedMetadata(exact).json).toBe(JSON.stringify(exact));
    const over = { note: exact.note + 'x' };
    expect(() => checkedMetadata(over)).toThrow(/metadata is 65537 bytes as JSON; at most 65536 bytes \(64 KiB\)/);
  });

  it('copies keys and strings well-formed, keeps "__proto__" as a plain key, and keeps key order and other values', () => {
    const parsed = JSON.parse('{"b":"x\\ud800y","__proto__":{"polluted":true},"k\\udc00":["\\udbff",1,null,true,{"2":"z","1":"w"}],"a":1.5}') as Record<string, unknown>;
    const { metadata, json } = checkedMetadata(parsed);
    expect(json).toBe('{"b":"x\uFFFDy","__proto__":{"polluted":true},"k\uFFFD":["\uFFFD",1,null,true,{"1":"w","2":"z"}],"a":1.5}');
    expect(JSON.stringify(metadata)).toBe(json);
    expect(Object.keys(metadata)).toEqual(['b', '__proto__', 'k\uFFFD', 'a']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('replaces each lone surrogate with one U+FFFD, keeping pairs and the length', () => {
    const text = '\uDC00a\uD83D\uDE00b\uD800\uD800c\uDBFF';
    expect(wellFormed(text)).toBe('\uFFFDa\uD83D\uDE00b\uFFFD\uFFFDc\uFFFD');
    // the same as a UTF-8 round trip through Node's encoder, which replaces them too
    expect(wellFormed(text)).toBe(Buffer.from(text, 'utf8').toString('utf8'));
  });
});

describe('Ingestor door', () => {
  const embedder: Embedder = {
    id: 'words',
    dim: 1,
    maxTokens: 100,
    countTokens: (s) => s.split(/\s+/).filter(Boolean).length,
    embed: async (texts) => ({ vectors: texts.map(() => Float32Array.of(1)), truncated: [] }),
  };
  const ingestor = new Ingestor(embedder, { maxTokens: 20, overlapTokens: 0 }, new InlineCpuRunner());
  // A workspace that holds nothing yet: all that embed() asks of it.
  const ws = { docs: { hasContent: async () => false, getDocument: async () => undefined } } as unknown as Workspace;
  const doc = (over: Partial<IngestInput>): IngestInput => ({ text: 'Some text. More text.', mime: 'text/plain', ...over });

  it('reports deep metadata as that document’s 400, and the other documents go on', async () => {
    const batch = await ingestor.embed(ws, [doc({ id: 'deep', metadata: nestedObjects(5_000) }), doc({ id: 'fine', metadata: nestedObjects(MAX_METADATA_DEPTH) })]);
    const [deep, fine] = batch.items;
    expect(deep).toHaveProperty('error');
    expect((deep as { error: Error }).error).toBeInstanceOf(InvalidInputError);
    expect((deep as { error: Error }).error.message).toMatch(/deeper than 32 levels/);
    expect(fine).toHaveProperty('pieces');
  });

  it('makes text, title, source and metadata well-formed before chunking, and refuses an id with a lone surrogate', async () => {
    const text = '\uD800Lone at the start. A pair \uD83D\uDE00 stays. One \uDC00 inside.\n\nEnd\uDBFF';
    const batch = await ingestor.embed(ws, [doc({ id: 'ok', text, title: 'T\uD800', source: 's\uDC00.json', metadata: { 'k\uD800': 'v\uDC00' } }), doc({ id: 'bad\uD800id' })]);
    const [ok, bad] = batch.items as Array<{ doc?: { text: string; title: string; source: string; metadata: object }; pieces?: Array<{ start: number; end: number; text: string }>; error?: Error }>;
    const expected = '\uFFFDLone at the start. A pair \uD83D\uDE00 stays. One \uFFFD inside.\n\nEnd\uFFFD';
    expect(ok!.doc!.text).toBe(expected);
    expect(ok!.doc!.title).toBe('T\uFFFD');
    expect(ok!.doc!.source).toBe('s\uFFFD.json');
    expect(JSON.stringify(ok!.doc!.metadata)).toBe('{"k\uFFFD":"v\uFFFD"}');
    for (const piece of ok!.pieces!) expect(expected.slice(piece.start, piece.end)).toBe(piece.text);
    expect(bad!.error).toBeInstanceOf(InvalidInputError);
    expect(bad!.error!.message).toMatch(/document id must be well-formed Unicode: it holds a lone surrogate \(U\+D800\) at index 3/);
  });
});
