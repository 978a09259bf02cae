/** What an extractor finds in one chunk: entities and the relations between them. */
export interface ExtractedEntity {
  name: string;
  type: string;
  description: string;
}

export interface ExtractedRelation {
  source: string;
  target: string;
  description: string;
  /** How strongly the chunk ties the two (0–1 for the offline extractor; the LLM's 1–10 scaled to 0–1). */
  strength: number;
}

export interface ChunkExtraction {
  entities: ExtractedEntity[];
  relations: ExtractedRelation[];
}

export interface ExtractorInput {
  chunkId: number;
  text: string;
}

/** Finds entities and relations in chunks (offline NLP, or an LLM in GraphRAG's record format). */
export interface EntityExtractor {
  readonly id: string;
  extract(chunks: ExtractorInput[], signal?: AbortSignal): Promise<ChunkExtraction[]>;
}
