import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ModelFileError } from '../../core/errors.js';
import { LruCache } from '../../core/lru.js';
import type { Embedder } from '../../embedding/embedder.js';
import type { ModelSession, OnnxRuntime } from '../../runtime/onnx-runtime.js';
import type { AbstentionFloors, Critic, CriticOptions, CritiqueInput } from './critic.js';
import { JUDGE_FEATURES, judgeFeatures, RETRIEVE_FEATURES, retrieveFeatures } from './critic-features.js';
import { distribution, IS_REL_TOKENS, IS_SUP_TOKENS, IS_USE_TOKENS, RETRIEVE_TOKENS } from './reflection.js';
import type { Distribution, Judgement, RetrieveToken } from './reflection.js';
import type { WordInformation } from './word-information.js';

export const HEAD_NAMES = ['retrieve', 'isRel', 'isSup', 'isUse'] as const;
export type HeadName = (typeof HEAD_NAMES)[number];

/** What `models/critic-heads/manifest.json` says of each head (written by scripts/train-critic.ts). */
export interface HeadManifest {
  file: string;
  features: string[];
  classes: string[];
}

export interface CriticManifest {
  embedder: string;
  heads: Record<HeadName, HeadManifest>;
  /** Abstention floors chosen for these heads by scripts/choose-floors.ts. */
  floors?: AbstentionFloors;
  /** w_gen chosen for these heads, with the extractive segment generator, by scripts/choose-floors.ts. */
  likelihoodWeight?: number;
}

export const HEAD_TOKENS: Record<HeadName, readonly string[]> = { retrieve: RETRIEVE_TOKENS, isRel: IS_REL_TOKENS, isSup: IS_SUP_TOKENS, isUse: IS_USE_TOKENS };
const HEAD_FEATURES: Record<HeadName, readonly string[]> = { retrieve: RETRIEVE_FEATURES, isRel: JUDGE_FEATURES, isSup: JUDGE_FEATURES, isUse: JUDGE_FEATURES };
const RETRAIN = 'retrain the heads with `npm run train:critic`';
const CHOOSE_AGAIN = 'run `npm run choose:floors`';

/**
 * The offline critic: one small MLP per reflection-token group (trained by
 * scripts/train-critic.ts, exported to ONNX), each ending in a softmax over its group's tokens,
 * run through the shared ONNX runtime on features of the question, passage and segment.
 */
export class OfflineCritic implements Critic {
  readonly id = 'offline-heads';

  /** Vectors of recent questions, passages and segments: the beam search judges the same texts at every depth. */
  private readonly vectors = new LruCache<string, Float32Array>(2048);

  private constructor(
    private readonly embedder: Embedder,
    private readonly information: WordInformation,
    private readonly sessions: Record<HeadName, ModelSession>,
    readonly floors: AbstentionFloors | undefined,
    readonly likelihoodWeight: number | undefined,
  ) {}

  static async load(runtime: OnnxRuntime, embedder: Embedder, information: WordInformation, folder: string): Promise<OfflineCritic> {
    const manifestPath = join(folder, 'manifest.json');
    let manifest: CriticManifest;
    try {
      manifest = JSON.parse(await readFile(manifestPath, 'utf8')) as CriticManifest;
    } catch (error) {
      throw new ModelFileError(manifestPath, 'it cannot be read', error, RETRAIN);
    }
    if (manifest.embedder !== embedder.id) {
      throw new ModelFileError(manifestPath, `the heads were trained on features of the "${manifest.embedder}" embedder, and this service embeds with "${embedder.id}"`, undefined, RETRAIN);
    }
    const sessions = {} as Record<HeadName, ModelSession>;
    for (const name of HEAD_NAMES) {
      const head = manifest.heads?.[name];
      const same = (a: readonly string[] | undefined, b: readonly string[]) => a?.length === b.length && a.every((x, i) => x === b[i]);
      if (!head || !same(head.features, HEAD_FEATURES[name]) || !same(head.classes, HEAD_TOKENS[name])) {
        throw new ModelFileError(manifestPath, `the ${name} head's features or tokens differ from what this version computes`, undefined, RETRAIN);
      }
      sessions[name] = await runtime.load(`critic-${name}`, join(folder, head.file));
    }
    const { floors, likelihoodWeight } = manifest;
    const isShare = (v: unknown) => typeof v === 'number' && v >= 0 && v <= 1;
    if (floors !== undefined && !(floors && isShare(floors.relevance) && isShare(floors.support))) {
      throw new ModelFileError(manifestPath, 'its floors are not two numbers between 0 and 1', undefined, CHOOSE_AGAIN);
    }
    if (likelihoodWeight !== undefined && !(typeof likelihoodWeight === 'number' && likelihoodWeight >= 0 && likelihoodWeight <= 10)) {
      throw new ModelFileError(manifestPath, 'its likelihoodWeight is not a number between 0 and 10', undefined, CHOOSE_AGAIN);
    }
    return new OfflineCritic(embedder, information, sessions, floors, likelihoodWeight);
  }

  async retrieve(question: string, previous: string[], options: CriticOptions = {}): Promise<Distribution<RetrieveToken>> {
    const [probabilities] = await this.run('retrieve', [retrieveFeatures(question, previous)], options.signal);
    return distribution(RETRIEVE_TOKENS, probabilities!);
  }

  async judge(inputs: CritiqueInput[], options: CriticOptions = {}): Promise<Judgement[]> {
    if (inputs.length === 0) return [];
    const rows = await judgeFeatures({ embedder: this.embedder, information: this.information, vectors: this.vectors }, inputs, options.signal);
    const [rel, sup, use] = await Promise.all([this.run('isRel', rows, options.signal), this.run('isSup', rows, options.signal), this.run('isUse', rows, options.signal)]);
    return inputs.map((_, i) => ({
      isRel: distribution(IS_REL_TOKENS, rel![i]!),
      isSup: distribution(IS_SUP_TOKENS, sup![i]!),
      isUse: distribution(IS_USE_TOKENS, use![i]!),
    }));
  }

  /** One head on a batch of feature rows; a probability row per input. */
  private async run(head: HeadName, rows: Float32Array[], signal?: AbortSignal): Promise<Float32Array[]> {
    const width = rows[0]!.length;
    const data = new Float32Array(rows.length * width);
    rows.forEach((r, i) => data.set(r, i * width));
    const out = await this.sessions[head].run({ features: { type: 'float32', data, dims: [rows.length, width] } }, { signal, priority: 'interactive' });
    const probabilities = out.probabilities!;
    const classes = probabilities.dims[1]!;
    const values = probabilities.data as Float32Array;
    return rows.map((_, i) => values.slice(i * classes, (i + 1) * classes));
  }
}
