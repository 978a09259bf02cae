import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { ModelFileError } from '../../core/errors.js';
import type { ModelSession, OnnxRuntime } from '../../runtime/onnx-runtime.js';
import { encodeWithin, inLengthSortedBatches } from '../batching.js';
import type { TokenCounterRecipe } from '../token-counter.js';
import type { EmbedOptions, EmbedResult, Embedder } from '../embedder.js';
import { poolHiddenStates } from './pooling.js';
import type { Pooling } from './pooling.js';

export interface HfOnnxOptions {
  /** A local folder in Hugging Face layout (tokenizer.json, config.json, onnx/model.onnx). */
  folder: string;
  /** Overrides the pooling found in the folder's sentence-transformers config. */
  pooling?: Pooling;
  batchSize: number;
  maxTokens?: number;
}

/** The part of a transformers.js tokenizer this embedder uses. */
interface HfTokenizer {
  encode(text: string): number[];
  model_max_length?: number;
}

/**
 * Any BERT-family sentence encoder exported to ONNX in Hugging Face layout
 * (all-MiniLM-L6-v2, bge-small, e5, gte, …). Tokenisation comes from @huggingface/transformers;
 * the session runs on the service's own runtime, and pooling follows the model's config.
 */
export class HfOnnxEmbedder implements Embedder {
  private constructor(
    readonly id: string,
    readonly dim: number,
    readonly maxTokens: number,
    private readonly tokenizer: HfTokenizer,
    private readonly session: ModelSession,
    private readonly pooling: Pooling,
    private readonly batchSize: number,
    private readonly padId: number,
    readonly tokenCounterRecipe: TokenCounterRecipe,
  ) {}

  static async create(runtime: OnnxRuntime, options: HfOnnxOptions): Promise<HfOnnxEmbedder> {
    const folder = options.folder;
    const modelPath = [join(folder, 'onnx', 'model.onnx'), join(folder, 'model.onnx')].find(existsSync);
    if (!modelPath) throw new ModelFileError(join(folder, 'onnx', 'model.onnx'), 'it does not exist', undefined, 'export the model to ONNX (e.g. with optimum) into onnx/model.onnx');
    const config = await readJson(join(folder, 'config.json'));
    const tokenizer = await loadTokenizer(folder);
    const pooling = options.pooling ?? (await poolingFromFolder(folder));
    const maxTokens = options.maxTokens ?? Math.min(Number(config.max_position_embeddings ?? 512), Number(tokenizer.model_max_length ?? 512));
    const dim = Number(config.hidden_size);
    if (!Number.isInteger(dim) || dim <= 0) throw new ModelFileError(join(folder, 'config.json'), 'it has no positive integer hidden_size', undefined, 'use the config.json exported with the model');
    const session = await runtime.load(`hf-onnx:${folder}`, modelPath);
    return new HfOnnxEmbedder(`hf-onnx:${basename(folder)}`, dim, maxTokens, tokenizer, session, pooling, options.batchSize, Number(config.pad_token_id ?? 0), { kind: 'hf-tokenizer', folder });
  }

  countTokens(text: string): number {
    return this.tokenizer.encode(text).length;
  }

  async embed(texts: readonly string[], options: EmbedOptions = {}): Promise<EmbedResult> {
    // A cut sequence keeps its closing special token ([SEP]), so the model sees a well-formed input.
    const { ids, truncated } = encodeWithin(texts, (text) => this.tokenizer.encode(text), this.maxTokens, (tokens) => [...tokens.slice(0, this.maxTokens - 1), tokens[tokens.length - 1]!]);
    const vectors = await inLengthSortedBatches(
      ids.map((t) => t.length),
      this.batchSize,
      (positions) => this.runBatch(positions.map((p) => ids[p]!), options),
    );
    return { vectors, truncated };
  }

  private async runBatch(batch: number[][], options: EmbedOptions): Promise<Float32Array[]> {
    const width = Math.max(...batch.map((t) => t.length));
    const inputIds = new BigInt64Array(batch.length * width).fill(BigInt(this.padId));
    const mask = new BigInt64Array(batch.length * width);
    batch.forEach((tokens, row) => {
      tokens.forEach((id, col) => {
        inputIds[row * width + col] = BigInt(id);
        mask[row * width + col] = 1n;
      });
    });
    const dims = [batch.length, width];
    const feeds: Parameters<ModelSession['run']>[0] = { input_ids: { type: 'int64', data: inputIds, dims }, attention_mask: { type: 'int64', data: mask, dims } };
    if (this.session.inputNames.includes('token_type_ids')) feeds.token_type_ids = { type: 'int64', data: new BigInt64Array(batch.length * width), dims };
    const out = await this.session.run(feeds, options);
    const hidden = out.last_hidden_state ?? out.token_embeddings ?? out[this.session.outputNames[0]!]!;
    return poolHiddenStates(hidden.data as Float32Array, mask, batch.length, width, this.dim, this.pooling);
  }
}

async function readJson(path: string): Promise<Record<string, unknown>> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
  } catch (cause) {
    throw new ModelFileError(path, 'it is missing or not valid JSON', cause, 'copy the file from the model repository');
  }
}

/** sentence-transformers records its pooling in 1_Pooling/config.json; without it, mean pooling. */
async function poolingFromFolder(folder: string): Promise<Pooling> {
  const path = join(folder, '1_Pooling', 'config.json');
  if (!existsSync(path)) return 'mean';
  const config = await readJson(path);
  if (config.pooling_mode_cls_token) return 'cls';
  if (config.pooling_mode_mean_tokens) return 'mean';
  throw new ModelFileError(path, 'it asks for a pooling other than CLS or mean', undefined, 'set the pooling explicitly (mean or cls)');
}

/** Loads tokenizer.json + tokenizer_config.json from a local folder, never from the network. */
export async function loadTokenizer(folder: string): Promise<HfTokenizer> {
  if (!existsSync(join(folder, 'tokenizer.json'))) throw new ModelFileError(join(folder, 'tokenizer.json'), 'it does not exist', undefined, 'copy tokenizer.json from the model repository');
  const { AutoTokenizer, env } = await import('@huggingface/transformers');
  env.allowRemoteModels = false;
  env.allowLocalModels = true;
  env.localModelPath = dirname(folder) + '/';
  try {
    return (await AutoTokenizer.from_pretrained(basename(folder), { local_files_only: true })) as unknown as HfTokenizer;
  } catch (cause) {
    throw new ModelFileError(join(folder, 'tokenizer.json'), `transformers.js could not load it (${(cause as Error).message})`, cause, 'use the tokenizer files exported with the model');
  }
}
