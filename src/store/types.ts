/**
 * The storage seams. The embedded backend (SQLite + FTS5 + hnswlib) and the PostgreSQL +
 * pgvector one implement these and pass the contract suites in tests/unit/store/. Every
 * method is asynchronous: the embedded backend answers at once, a database over the wire does not.
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
  putDocument(doc: NewDocument): Promise<PutOutcome>;
  /** Writes several documents in one transaction (all or none), in order. */
  putDocuments(docs: readonly NewDocument[]): Promise<PutOutcome[]>;
  /** Whether a document with this id and content hash is already stored (so the work can be skipped). */
  hasContent(id: string, contentHash: string): Promise<boolean>;
  getDocument(id: string): Promise<DocumentRecord | undefined>;
  getDocumentText(id: string): Promise<string | undefined>;
  listDocuments(limit: number, offset: number): Promise<Page<DocumentRecord>>;
  /** Removes a document with its chunks, vectors and lexical entries; returns the removed chunk ids. */
  deleteDocument(id: string): Promise<number[] | undefined>;
  getChunks(ids: readonly number[]): Promise<ChunkRecord[]>;
  chunksOf(docId: string): Promise<ChunkRecord[]>;
  getVectors(ids: readonly number[]): Promise<Map<number, Float32Array>>;
  /** Every chunk id, for reconciling the vector index at start-up. */
  allChunkIds(): Promise<number[]>;
  /** All (id, vector) pairs in batches, for rebuilding the vector index. */
  scanVectors(batchSize: number): AsyncIterable<Array<{ id: number; vector: Float32Array }>>;
  counts(): Promise<{ documents: number; chunks: number }>;
  /** Small facts about the workspace (which embedder built it). */
  getMeta(key: string): Promise<string | undefined>;
  setMeta(key: string, value: string): Promise<void>;
  close(): Promise<void>;
}

export interface ScoredId {
  id: number;
  score: number;
}

/** Full-text search over chunk text (BM25 or a BM25-like ranking), higher scores first. */
export interface LexicalIndex {
  search(query: string, k: number): Promise<ScoredId[]>;
}

/** Approximate nearest neighbours by inner product over chunk vectors. */
export interface VectorIndex {
  readonly dim: number;
  /** How many live (not deleted) vectors it holds. */
  count(): Promise<number>;
  add(items: ReadonlyArray<{ id: number; vector: Float32Array }>): Promise<void>;
  remove(ids: readonly number[]): Promise<void>;
  /** The ids of the `k` highest inner products with `query` (approximately), best first. */
  search(query: Float32Array, k: number): Promise<ScoredId[]>;
  /** Ids the index holds as live; used to reconcile it with the DocStore. */
  ids(): Promise<number[]>;
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
  extractedChunkIds(extractor: string): Promise<number[]>;
  putExtractions(extractor: string, rows: readonly StoredExtraction[]): Promise<void>;
  dropExtractions(chunkIds: readonly number[]): Promise<void>;
  allExtractions(extractor: string): Promise<StoredExtraction[]>;
  getSnapshot(): Promise<string | undefined>;
  /** Replaces the snapshot and keeps only the vectors it uses, in one transaction. */
  putSnapshot(json: string, vectorKeys: readonly string[]): Promise<void>;
  /** Embeddings of graph texts (entity descriptions, reports), by a hash of the text. */
  getTextVectors(keys: readonly string[]): Promise<Map<string, Float32Array>>;
  putTextVectors(rows: ReadonlyArray<{ key: string; vector: Float32Array }>): Promise<void>;
}
