import type { Priority } from '../core/limiter.js';
import type { TokenCounterRecipe } from './token-counter.js';

export interface EmbedOptions {
  signal?: AbortSignal;
  /** Queries are `interactive` (the default); ingestion passes `batch`. */
  priority?: Priority;
}

export interface EmbedResult {
  /** One L2-normalised vector of length `dim` per input text, in input order. */
  vectors: Float32Array[];
  /** Input positions whose text was longer than `maxTokens` and was cut to fit. */
  truncated: number[];
}

/**
 * Turns texts into unit vectors. Every embedding model of the service sits behind this
 * interface and passes the shared contract suite in tests/unit/embedder-contract.ts.
 */
export interface Embedder {
  readonly id: string;
  readonly dim: number;
  /** Tokens the model reads from one text; the rest is cut and reported. */
  readonly maxTokens: number;
  /** Tokens of `text` in this model's own tokenisation (what chunk sizes are measured in). */
  countTokens(text: string): number;
  /**
   * How to load the same token counting in a worker thread, where chunking runs. An embedder
   * without one (a test's fake) has its documents chunked on the calling thread.
   */
  readonly tokenCounterRecipe?: TokenCounterRecipe;
  embed(texts: readonly string[], options?: EmbedOptions): Promise<EmbedResult>;
}
