import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InvalidInputError, ModelFileError, NotFoundError } from '../core/errors.js';
import { seededRandom } from '../core/random.js';
import type { HostTensor, OnnxRuntime, RunOptions } from '../runtime/onnx-runtime.js';
import { encodeChars } from './char-rnn.js';
import type { CharRnnManifest } from './char-rnn.js';
import { sampleToken } from './sampling.js';

export interface GenerateRequest {
  model: string;
  prompt: string;
  maxTokens: number;
  temperature: number;
  topK: number;
  seed: number;
}

export interface GenerateResult {
  model: string;
  /** The generated continuation (without the prompt). */
  text: string;
  tokens: number;
  seed: number;
  /** Prompt characters the model has never seen (read as its unknown character). */
  unknownPromptChars: number;
}

/**
 * Character-level LSTM / GRU language models trained by scripts/train-char-rnn.ts: each is an
 * ONNX step graph `<name>.onnx` with its vocabulary in `<name>.json`, in one folder.
 */
export class SequenceService {
  private readonly manifests = new Map<string, CharRnnManifest>();

  constructor(
    private readonly runtime: OnnxRuntime,
    private readonly dir: string,
  ) {
    if (!existsSync(dir)) return;
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.json') && f !== 'metrics.json').sort()) {
      const manifest = JSON.parse(readFileSync(join(dir, file), 'utf8')) as CharRnnManifest;
      if (existsSync(join(dir, `${manifest.name}.onnx`))) this.manifests.set(manifest.name, manifest);
    }
  }

  models(): CharRnnManifest[] {
    return [...this.manifests.values()];
  }

  async generate(request: GenerateRequest, run: RunOptions = {}): Promise<GenerateResult> {
    const manifest = this.manifests.get(request.model);
    if (!manifest) {
      const names = [...this.manifests.keys()];
      throw new NotFoundError(`sequence model "${request.model}" does not exist; available: ${names.length ? names.join(', ') : `none (train one with npm run train:char-lstm into ${this.dir})`}`);
    }
    if (request.prompt.length === 0) throw new InvalidInputError('prompt must hold at least one character');
    const session = await this.runtime.load(`sequence:${manifest.name}`, join(this.dir, `${manifest.name}.onnx`));
    const H = manifest.hidden;
    const lstm = manifest.cell === 'lstm';
    let h: Float32Array = new Float32Array(H);
    let c: Float32Array = new Float32Array(H);
    const stepOnce = async (token: number): Promise<Float32Array> => {
      const feeds: Record<string, HostTensor> = { token: { type: 'int64', data: BigInt64Array.of(BigInt(token)), dims: [1] }, h: { type: 'float32', data: h, dims: [1, H] } };
      if (lstm) feeds.c = { type: 'float32', data: c, dims: [1, H] };
      const out = await session.run(feeds, run);
      if (!out.logits || !out.h_out || (lstm && !out.c_out)) throw new ModelFileError(join(this.dir, `${manifest.name}.onnx`), 'it lacks the outputs logits, h_out (and c_out for an LSTM)');
      h = out.h_out.data as Float32Array;
      if (lstm) c = out.c_out!.data as Float32Array;
      return out.logits.data as Float32Array;
    };
    const promptIds = encodeChars(request.prompt, manifest.vocab);
    let logits: Float32Array = new Float32Array(0);
    for (const id of promptIds) logits = await stepOnce(id);
    const random = seededRandom(request.seed);
    let text = '';
    for (let i = 0; i < request.maxTokens; i++) {
      const next = sampleToken(logits, request.temperature, request.topK, random);
      text += manifest.vocab[next];
      if (i + 1 < request.maxTokens) logits = await stepOnce(next);
    }
    return { model: manifest.name, text, tokens: request.maxTokens, seed: request.seed, unknownPromptChars: promptIds.filter((id) => id === 0).length };
  }
}
