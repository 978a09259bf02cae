import { AppError, InvalidInputError } from '../core/errors.js';
import { contentId, sha256Hex } from '../core/ids.js';
import { checkedMetadata } from '../core/metadata.js';
import { loneSurrogateAt, wellFormed } from '../core/unicode.js';
import type { Embedder } from '../embedding/embedder.js';
import type { Workspace } from '../store/workspace.js';
import { chunkText } from './chunker.js';
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
}

export interface IngestResult {
  id: string;
  status: 'created' | 'replaced' | 'unchanged';
  chunks: number;
  /** Chunks longer than the embedder's window (cut before embedding). */
  truncatedChunks: number;
}

export const MAX_DOCUMENT_ID_LENGTH = 256;

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
  ) {}

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
        items.push(await this.prepare(ws, input));
      } catch (error) {
        if (error instanceof AppError && !options.allOrNothing) items.push({ error });
        else throw error;
      }
    }
    const pending = items.filter((p): p is Prepared => 'pieces' in p);
    const { vectors, truncated } = await this.embedder.embed(
      pending.flatMap((p) => p.pieces.map((c) => c.text)),
      { signal: options.signal, priority: 'batch' },
    );
    options.signal?.throwIfAborted();
    return { items, vectors, truncated: new Set(truncated) };
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

  /**
   * Validates one input, and chunks it unless the same content is already stored. This is the one
   * door every document comes through (JSON body, upload, folder job, transcript), so text, title,
   * source and metadata are made well-formed here, before any offset is computed: a lone surrogate
   * becomes U+FFFD (same length, so sections and chunk offsets slice the stored text). An id is
   * not changed: one with a lone surrogate is refused, since it could be neither stored as sent
   * nor asked for again in a URL (percent-encoding is UTF-8), and replacing it would make
   * different ids one.
   */
  private async prepare(ws: Workspace, input: IngestInput): Promise<Prepared | IngestResult> {
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
    const pieces = chunkText(text, sections, this.chunking, (s) => this.embedder.countTokens(s));
    if (pieces.length === 0) throw new InvalidInputError('the document has no text that can be indexed');
    return { doc: { id, title, source: input.source == null ? null : wellFormed(input.source), mime: input.mime, contentHash, metadata, text }, pieces };
  }
}
