/**
 * The CPU-heavy steps of ingestion and graph builds, as named tasks with plain-data payloads:
 * the same functions run in a worker thread (core/task-worker.mjs) or, with CPU_WORKERS=0, inline.
 */
import { InvalidInputError } from '../core/errors.js';
import { checkedMetadata } from '../core/metadata.js';
import { chunkText } from '../ingestion/chunker.js';
import type { ChunkingOptions, Section } from '../ingestion/chunker.js';
import { loaderFor } from '../ingestion/loaders/index.js';
import type { LoadedDocument } from '../ingestion/loaders/types.js';
import { loadTokenCounter } from '../embedding/token-counter.js';
import type { TokenCounterRecipe } from '../embedding/token-counter.js';
import { graphStructure } from '../graph/graph-structure.js';
import type { GraphStructure } from '../graph/graph-structure.js';
import type { CommunityOptions } from '../graph/communities.js';
import type { ChunkExtraction } from '../graph/extraction.js';
import { extractOffline } from '../graph/nlp-extractor.js';

/** Chunks as offsets (cheap to send between threads); the text is sliced where it is needed. */
export interface ChunkOffsets {
  start: Int32Array;
  end: Int32Array;
  /** PDF page, or -1 for none. */
  page: Int32Array;
  tokens: Int32Array;
}

export interface CpuTasks {
  'extract-entities': { payload: { texts: string[] }; result: ChunkExtraction[] };
  'graph-structure': { payload: { rows: Array<{ chunkId: number; extraction: ChunkExtraction }>; options: CommunityOptions }; result: GraphStructure };
  /** A file's documents (every type but images, which need OCR on the model runtime). */
  'load-file': { payload: { bytes: Uint8Array; fileName: string; textField: string; maxPdfPages: number }; result: LoadedDocument[] };
  'chunk-text': { payload: { text: string; sections: Section[]; chunking: ChunkingOptions; counter: TokenCounterRecipe }; result: ChunkOffsets };
}

export type CpuTaskName = keyof CpuTasks;

const counters = new Map<string, Promise<(text: string) => number>>();

/** The token counter a recipe names, loaded once per thread. */
function counterFor(recipe: TokenCounterRecipe): Promise<(text: string) => number> {
  const key = JSON.stringify(recipe);
  let counter = counters.get(key);
  if (!counter) {
    counter = loadTokenCounter(recipe);
    counters.set(key, counter);
  }
  return counter;
}

type Handlers = { [K in CpuTaskName]: (payload: CpuTasks[K]['payload']) => Promise<CpuTasks[K]['result']> };

const HANDLERS: Handlers = {
  'extract-entities': async ({ texts }) => texts.map(extractOffline),
  'graph-structure': async ({ rows, options }) => graphStructure(rows, options),
  'load-file': async ({ bytes, fileName, textField, maxPdfPages }) => {
    const docs = await loaderFor(fileName)(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), fileName, { textField, maxPdfPages });
    // Metadata is bounded here too: a record nested thousands of levels deep could not even be
    // read back on the other side of the thread boundary (structured clone recurses). Such a
    // record crosses without it, marked refused, and the others of its file go on.
    return docs.map((doc) => {
      if (!doc.metadata) return doc;
      try {
        return { ...doc, metadata: checkedMetadata(doc.metadata).metadata };
      } catch (error) {
        if (!(error instanceof InvalidInputError)) throw error;
        return { ...doc, metadata: undefined, refused: error.message };
      }
    });
  },
  'chunk-text': async ({ text, sections, chunking, counter }) => {
    const chunks = chunkText(text, sections, chunking, await counterFor(counter));
    const offsets: ChunkOffsets = { start: new Int32Array(chunks.length), end: new Int32Array(chunks.length), page: new Int32Array(chunks.length), tokens: new Int32Array(chunks.length) };
    chunks.forEach((c, i) => {
      offsets.start[i] = c.start;
      offsets.end[i] = c.end;
      offsets.page[i] = c.page ?? -1;
      offsets.tokens[i] = c.tokenCount;
    });
    return offsets;
  },
};

const TASKS = new Map(Object.entries(HANDLERS)) as Map<string, (payload: unknown) => Promise<unknown>>;

export async function runTask(name: string, payload: unknown): Promise<unknown> {
  const handler = TASKS.get(name);
  if (!handler) throw new Error(`unknown CPU task "${name}"; known: ${[...TASKS.keys()].join(', ')}`);
  return handler(payload);
}
