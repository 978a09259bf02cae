/**
 * The storage seams. The embedded backend (SQLite + FTS5 + hnswlib) and any later one
 * (PostgreSQL + pgvector) implement these and pass the contract suites in tests/unit/store/.
 */

export interface DocumentRecord {
  id: string;
  title: string | null;
  /** Where the text came from: a file path under the corpora root, an upload's name, or null. */
  source: string | null;
  mime: string;
  contentHash: string;
  metadata: Record<string, unknown>;
  charCount: number;
  chunkCount: number;
  createdAt: string;
  updatedAt: string;
}

export interface ChunkRecord {
  /** Unique within the workspace and never reused (it is the vector index label). */
  id: number;
  docId: string;
  ordinal: number;
  text: string;
  /** Character offsets of the chunk in its document's text. */
  start: number;
  end: number;
  page: number | null;
  tokenCount: number;
}

export interface NewChunk {
  text: string;
  start: number;
  end: number;
  page: number | null;
  tokenCount: number;
  vector: Float32Array;
}

export interface NewDocument extends Pick<DocumentRecord, 'id' | 'title' | 'source' | 'mime' | 'contentHash' | 'metadata'> {
  text: string;
  chunks: NewChunk[];
}

export type PutOutcome =
  | { status: 'unchanged'; document: DocumentRecord }
  | { status: 'created' | 'replaced'; document: DocumentRecord; addedChunkIds: number[]; removedChunkIds: number[] };

export interface Page<T> {
  items: T[];
  total: number;
  limit: number;
  offset: number;
}

/** Documents, their text and chunks, and the chunks' vectors: the source of truth of a workspace. */
export interface DocStore {
  /** Writes a document whole in one transaction, replacing an older version with the same id. */
  putDocument(doc: NewDocument): PutOutcome;
  /** Writes several documents in one transaction (all or none), in order. */
  putDocuments(docs: readonly NewDocument[]): PutOutcome[];
  /** Whether a document with this id and content hash is already stored (so the work can be skipped). */
  hasContent(id: string, contentHash: string): boolean;
  getDocument(id: string): DocumentRecord | undefined;
  getDocumentText(id: string): string | undefined;
  listDocuments(limit: number, offset: number): Page<DocumentRecord>;
  /** Removes a document with its chunks, vectors and lexical entries; returns the removed chunk ids. */
  deleteDocument(id: string): number[] | undefined;
  getChunks(ids: readonly number[]): ChunkRecord[];
  chunksOf(docId: string): ChunkRecord[];
  getVectors(ids: readonly number[]): Map<number, Float32Array>;
  /** Every chunk id, for reconciling the vector index at start-up. */
  allChunkIds(): number[];
  /** All (id, vector) pairs in batches, for rebuilding the vector index. */
  scanVectors(batchSize: number): Iterable<Array<{ id: number; vector: Float32Array }>>;
  counts(): { documents: number; chunks: number };
  /** Small facts about the workspace (which embedder built it). */
  getMeta(key: string): string | undefined;
  setMeta(key: string, value: string): void;
  close(): void;
}

export interface ScoredId {
  id: number;
  score: number;
}

/** Full-text search over chunk text (BM25 or a BM25-like ranking), higher scores first. */
export interface LexicalIndex {
  search(query: string, k: number): ScoredId[];
}

/** Approximate nearest neighbours by inner product over chunk vectors. */
export interface VectorIndex {
  readonly dim: number;
  /** Live (not deleted) vectors. */
  readonly size: number;
  add(items: ReadonlyArray<{ id: number; vector: Float32Array }>): void;
  remove(ids: readonly number[]): void;
  /** The ids of the `k` highest inner products with `query` (approximately), best first. */
  search(query: Float32Array, k: number): ScoredId[];
  /** Ids the index holds as live; used to reconcile it with the DocStore. */
  ids(): number[];
  /** Makes the current state durable. */
  persist(): Promise<void>;
  close(): Promise<void>;
}

/** A chunk's extracted entities and relations, as an extractor left them (JSON-serialisable). */
export interface StoredExtraction {
  chunkId: number;
  extraction: unknown;
}

/**
 * Per-workspace storage of the entity graph: extractions per chunk (so that only new chunks are
 * extracted when the graph is updated) and the latest built index (graph, communities,
 * reports) as one snapshot, replaced atomically.
 */
export interface GraphStore {
  extractedChunkIds(extractor: string): number[];
  putExtractions(extractor: string, rows: readonly StoredExtraction[]): void;
  dropExtractions(chunkIds: readonly number[]): void;
  allExtractions(extractor: string): StoredExtraction[];
  getSnapshot(): string | undefined;
  /** Replaces the snapshot and keeps only the vectors it uses, in one transaction. */
  putSnapshot(json: string, vectorKeys: readonly string[]): void;
  /** Embeddings of graph texts (entity descriptions, reports), by a hash of the text. */
  getTextVectors(keys: readonly string[]): Map<string, Float32Array>;
  putTextVectors(rows: ReadonlyArray<{ key: string; vector: Float32Array }>): void;
}
