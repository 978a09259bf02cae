import { InvalidInputError } from '../core/errors.js';
import { contentId, sha256Hex } from '../core/ids.js';
import type { Embedder } from '../embedding/embedder.js';
import type { Workspace } from '../store/workspace.js';
import { chunkText } from './chunker.js';
import type { ChunkingOptions, Section } from './chunker.js';

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
export class Ingestor {
  constructor(
    private readonly embedder: Embedder,
    private readonly chunking: ChunkingOptions,
  ) {}

  async ingest(ws: Workspace, input: IngestInput, options: { signal?: AbortSignal } = {}): Promise<IngestResult> {
    const text = input.text;
    if (text.trim().length === 0) throw new InvalidInputError('the document has no text: send non-empty "text" (or a file that contains text)');
    const id = input.id ?? contentId(text);
    if (id.length === 0 || id.length > MAX_DOCUMENT_ID_LENGTH) throw new InvalidInputError(`document id must be 1–${MAX_DOCUMENT_ID_LENGTH} characters`);
    const title = input.title ?? null;
    const metadata = input.metadata ?? {};
    const contentHash = sha256Hex(title ?? '', text, JSON.stringify(metadata));
    if (ws.docs.hasContent(id, contentHash)) return { id, status: 'unchanged', chunks: ws.docs.getDocument(id)!.chunkCount, truncatedChunks: 0 };

    const sections = input.sections ?? [{ start: 0, end: text.length, page: null }];
    const pieces = chunkText(text, sections, this.chunking, (s) => this.embedder.countTokens(s));
    if (pieces.length === 0) throw new InvalidInputError('the document has no text that can be indexed');
    const { vectors, truncated } = await this.embedder.embed(
      pieces.map((p) => p.text),
      { signal: options.signal, priority: 'batch' },
    );
    options.signal?.throwIfAborted();
    const outcome = ws.put({
      id,
      title,
      source: input.source ?? null,
      mime: input.mime,
      contentHash,
      metadata,
      text,
      chunks: pieces.map((p, i) => ({ ...p, vector: vectors[i]! })),
    });
    return { id, status: outcome.status, chunks: pieces.length, truncatedChunks: truncated.length };
  }
}
