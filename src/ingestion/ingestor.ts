import { AppError, InvalidInputError } from '../core/errors.js';
import { contentId, sha256Hex } from '../core/ids.js';
import { checkedMetadata } from '../core/metadata.js';
import { loneSurrogateAt, wellFormed } from '../core/unicode.js';
import type { CpuRunner } from '../cpu/cpu-runner.js';
import type { Embedder } from '../embedding/embedder.js';
import type { Workspace } from '../store/workspace.js';
import { chunkText } from './chunker.js';
import { loadImage } from './loaders/image.js';
import { loaderFor } from './loaders/index.js';
import type { LoadedDocument, LoadOptions } from './loaders/types.js';
import type { ChunkingOptions, Section, TextChunk } from './chunker.js';
import type { NewDocument } from '../store/types.js';

export interface IngestInput {
  id?: string;
  title?: string | null;
  text: string;
  metadata?: Record<string, unknown>;
  source?: string | null;
  mime: string;
  sections?: Section[];
  /** Why a record read from a file cannot be ingested (see LoadedDocument.refused). */
  refused?: string;
}

export interface IngestResult {
  id: string;
  status: 'created' | 'replaced' | 'unchanged';
  chunks: number;
  /** Chunks longer than the embedder's window (cut before embedding). */
  truncatedChunks: number;
}

export const MAX_DOCUMENT_ID_LENGTH = 256;
/** Chunks per embedding call (each call's tokenisation runs on the event loop: a slice is a few milliseconds). */
const EMBED_SLICE = 256;

/**
 * One document in: chunk it, embed the chunks, and store document, chunks, vectors and
 * lexical entries in one transaction. Content already stored under the same id is skipped
 * before any embedding work.
 */
export interface IngestFailure {
  error: AppError;
}

interface Prepared {
  doc: Omit<NewDocument, 'chunks'>;
  pieces: TextChunk[];
}

/** Documents chunked and embedded, not yet written; from `Ingestor.embed`. */
export interface EmbeddedBatch {
  items: Array<Prepared | IngestResult | IngestFailure>;
  vectors: Float32Array[];
  truncated: Set<number>;
}

export class Ingestor {
  constructor(
    private readonly embedder: Embedder,
    private readonly chunking: ChunkingOptions,
    private readonly cpu: CpuRunner,
  ) {}

  /** A file's documents, parsed on a CPU worker; an image's text comes from OCR on the model runtime instead. */
  async load(bytes: Buffer, fileName: string, options: LoadOptions, signal?: AbortSignal): Promise<LoadedDocument[]> {
    const loader = loaderFor(fileName);
    if (loader === loadImage) return loader(bytes, fileName, options);
    return this.cpu.run('load-file', { bytes, fileName, textField: options.textField, maxPdfPages: options.maxPdfPages }, signal);
  }

  async ingest(ws: Workspace, input: IngestInput, options: { signal?: AbortSignal } = {}): Promise<IngestResult> {
    return (await this.ingestAll(ws, [input], options))[0]!;
  }

  /** Several documents as one unit: if any cannot be ingested, its error is thrown and nothing is written. */
  async ingestAll(ws: Workspace, inputs: IngestInput[], options: { signal?: AbortSignal } = {}): Promise<IngestResult[]> {
    return (await this.ingestMany(ws, inputs, { ...options, allOrNothing: true })) as IngestResult[];
  }

  /**
   * Several documents at once: their chunks are embedded together (full batches) and the
   * documents written in one transaction. A document that cannot be ingested (empty text, a
   * bad id) is reported in its place and does not stop the others.
   */
  async ingestMany(ws: Workspace, inputs: IngestInput[], options: { signal?: AbortSignal; allOrNothing?: boolean } = {}): Promise<Array<IngestResult | IngestFailure>> {
    return this.write(ws, await this.embed(ws, inputs, options));
  }

  /**
   * First stage: validate, skip stored content, chunk, and embed. The embedding runs on the
   * runtime's threads, so a caller may write the previous batch meanwhile (see ingestFolder).
   */
  async embed(ws: Workspace, inputs: IngestInput[], options: { signal?: AbortSignal; allOrNothing?: boolean } = {}): Promise<EmbeddedBatch> {
    const items: Array<Prepared | IngestResult | IngestFailure> = [];
    for (const input of inputs) {
      try {
        items.push(await this.prepare(ws, input, options.signal));
      } catch (error) {
        if (error instanceof AppError && !options.allOrNothing) items.push({ error });
        else throw error;
      }
    }
    const pending = items.filter((p): p is Prepared => 'pieces' in p);
    const texts = pending.flatMap((p) => p.pieces.map((c) => c.text));
    // In slices: the embedder tokenises a call's texts on this thread before the model runs.
    const vectors: Float32Array[] = [];
    const truncated = new Set<number>();
    for (let from = 0; from < texts.length; from += EMBED_SLICE) {
      const slice = await this.embedder.embed(texts.slice(from, from + EMBED_SLICE), { signal: options.signal, priority: 'batch' });
      vectors.push(...slice.vectors);
      for (const at of slice.truncated) truncated.add(from + at);
    }
    options.signal?.throwIfAborted();
    return { items, vectors, truncated };
  }

  /** Second stage: the embedded documents written in one transaction; results in input order. */
  async write(ws: Workspace, batch: EmbeddedBatch): Promise<Array<IngestResult | IngestFailure>> {
    let offset = 0;
    const placed = batch.items.map((item) => {
      if (!('pieces' in item)) return item;
      const first = offset;
      offset += item.pieces.length;
      const doc: NewDocument = { ...item.doc, chunks: item.pieces.map((c, i) => ({ ...c, vector: batch.vectors[first + i]! })) };
      const cut = item.pieces.filter((_, i) => batch.truncated.has(first + i)).length;
      return { doc, cut };
    });
    const docs = placed.flatMap((p) => ('doc' in p ? [p.doc] : []));
    const outcomes = await ws.putMany(docs);
    let written = 0;
    return placed.map((p) => ('doc' in p ? { id: p.doc.id, status: outcomes[written++]!.status, chunks: p.doc.chunks.length, truncatedChunks: p.cut } : p));
  }

  /** Chunks on a CPU worker where the embedder's token counting can be loaded there, else here. */
  private async chunk(text: string, sections: Section[], signal?: AbortSignal): Promise<TextChunk[]> {
    const counter = this.embedder.tokenCounterRecipe;
    if (!counter) return chunkText(text, sections, this.chunking, (s) => this.embedder.countTokens(s));
    const offsets = await this.cpu.run('chunk-text', { text, sections, chunking: this.chunking, counter }, signal);
    return Array.from(offsets.start, (start, i) => {
      const end = offsets.end[i]!;
      const page = offsets.page[i]!;
      return { text: text.slice(start, end), start, end, page: page < 0 ? null : page, tokenCount: offsets.tokens[i]! };
    });
  }

  /**
   * Validates one input, and chunks it unless the same content is already stored. This is the one
   * door every document comes through (JSON body, upload, folder job, transcript), so text, title,
   * source and metadata are made well-formed here, before any offset is computed: a lone surrogate
   * becomes U+FFFD (same length, so sections and chunk offsets slice the stored text). An id is
   * not changed: one with a lone surrogate is refused, since it could be neither stored as sent
   * nor asked for again in a URL (percent-encoding is UTF-8), and replacing it would make
   * different ids one.
   */
  private async prepare(ws: Workspace, input: IngestInput, signal?: AbortSignal): Promise<Prepared | IngestResult> {
    if (input.refused) throw new InvalidInputError(input.refused);
    const text = wellFormed(input.text);
    if (text.trim().length === 0) throw new InvalidInputError('the document has no text: send non-empty "text" (or a file that contains text)');
    const id = input.id ?? contentId(text);
    if (id.length === 0 || id.length > MAX_DOCUMENT_ID_LENGTH) throw new InvalidInputError(`document id must be 1–${MAX_DOCUMENT_ID_LENGTH} characters`);
    const lone = loneSurrogateAt(id);
    if (lone >= 0) throw new InvalidInputError(`document id must be well-formed Unicode: it holds a lone surrogate (U+${id.charCodeAt(lone).toString(16).toUpperCase()}) at index ${lone}`);
    const title = input.title == null ? null : wellFormed(input.title);
    const { metadata, json } = checkedMetadata(input.metadata ?? {});
    const contentHash = sha256Hex(title ?? '', text, json);
    if (await ws.docs.hasContent(id, contentHash)) {
      const stored = await ws.docs.getDocument(id);
      if (stored) return { id, status: 'unchanged', chunks: stored.chunkCount, truncatedChunks: 0 };
    }
    const sections = input.sections ?? [{ start: 0, end: text.length, page: null }];
    const pieces = await this.chunk(text, sections, signal);
    if (pieces.length === 0) throw new InvalidInputError('the document has no text that can be indexed');
    return { doc: { id, title, source: input.source == null ? null : wellFormed(input.source), mime: input.mime, contentHash, metadata, text }, pieces };
  }
}
