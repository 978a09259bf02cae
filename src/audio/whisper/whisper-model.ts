import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ModelFileError } from '../../core/errors.js';
import type { ModelSession, OnnxRuntime, RunOptions } from '../../runtime/onnx-runtime.js';
import { CachedDecoder } from './cached-decoder.js';
import type { EncoderStates } from './cached-decoder.js';
import type { NextLogits } from './greedy-decoder.js';
import { logMelSpectrogram, WHISPER_AUDIO } from './mel.js';
import { WhisperTokenizer } from './tokenizer.js';

/** The files of a Hugging Face Whisper ONNX export (optimum / onnx-community layout). */
export const WHISPER_FILES = [
  { path: 'config.json' },
  { path: 'generation_config.json', optional: true },
  { path: 'tokenizer.json' },
  { path: 'onnx/encoder_model.onnx' },
  { path: 'onnx/decoder_model.onnx' },
  { path: 'onnx/decoder_with_past_model.onnx', optional: true },
];

/**
 * A Whisper encoder–decoder from a local folder: encoder_model.onnx (input_features →
 * last_hidden_state) and decoder_model.onnx (input_ids, encoder_hidden_states → logits), at the
 * folder's top level or under onnx/, with tokenizer.json and config.json. When the folder also
 * has decoder_with_past_model.onnx (and the decoder returns its `present.*` keys and values),
 * decoding steps use the key/value cache (CachedDecoder); otherwise each step reruns the decoder
 * on the whole prefix.
 */
export class WhisperModel {
  private constructor(
    readonly id: string,
    readonly tokenizer: WhisperTokenizer,
    readonly nMels: number,
    /** From generation_config.json: tokens never generated, and not generated first. */
    readonly suppress: { always: number[]; atBegin: number[] },
    /** whisper-*.en: generation_config.json says is_multilingual false (or the vocabulary has the .en size, 51864). */
    readonly englishOnly: boolean,
    private readonly encoder: ModelSession,
    private readonly decoder: ModelSession,
    private readonly decoderWithPast: ModelSession | undefined,
  ) {}

  static async load(runtime: OnnxRuntime, folder: string): Promise<WhisperModel> {
    const find = (name: string) => [join(folder, 'onnx', name), join(folder, name)].find((p) => existsSync(p));
    const encoderPath = find('encoder_model.onnx');
    const decoderPath = find('decoder_model.onnx');
    if (!encoderPath || !decoderPath) {
      throw new ModelFileError(join(folder, 'onnx'), 'it holds no encoder_model.onnx and decoder_model.onnx', undefined, 'give a Whisper ONNX export in Hugging Face layout (for example onnx-community/whisper-tiny)');
    }
    const configPath = join(folder, 'config.json');
    const config = existsSync(configPath) ? (JSON.parse(readFileSync(configPath, 'utf8')) as { num_mel_bins?: number; vocab_size?: number }) : {};
    const tokenizer = WhisperTokenizer.fromFolder(folder);
    const generationPath = join(folder, 'generation_config.json');
    const generation = existsSync(generationPath) ? (JSON.parse(readFileSync(generationPath, 'utf8')) as { suppress_tokens?: number[]; begin_suppress_tokens?: number[]; is_multilingual?: boolean }) : {};
    const englishOnly = generation.is_multilingual === false || (generation.is_multilingual === undefined && config.vocab_size === 51864);
    const suppress = { always: generation.suppress_tokens ?? [], atBegin: generation.begin_suppress_tokens ?? [] };
    const [encoder, decoder] = await Promise.all([runtime.load(`whisper-encoder:${encoderPath}`, encoderPath), runtime.load(`whisper-decoder:${decoderPath}`, decoderPath)]);
    const withPastPath = find('decoder_with_past_model.onnx');
    const cacheable = withPastPath !== undefined && decoder.outputNames.some((n) => n.startsWith('present.'));
    const withPast = cacheable ? await runtime.load(`whisper-decoder-with-past:${withPastPath}`, withPastPath) : undefined;
    return new WhisperModel(folder, tokenizer, config.num_mel_bins ?? 80, suppress, englishOnly, encoder, decoder, withPast);
  }

  /** The encoder's states for one window of 16 kHz audio (≤ 30 s). */
  async encode(samples: Float32Array, run: RunOptions = {}): Promise<{ data: Float32Array; dims: number[] }> {
    const mel = logMelSpectrogram(samples, this.nMels);
    const out = await this.encoder.run({ input_features: { type: 'float32', data: mel, dims: [1, this.nMels, WHISPER_AUDIO.frames] } }, run);
    const states = out.last_hidden_state ?? out[this.encoder.outputNames[0]!]!;
    return { data: states.data as Float32Array, dims: states.dims };
  }

  /** Decoding steps for one window: cached when the export allows it. */
  stepper(states: EncoderStates, run: RunOptions = {}): { next: NextLogits; cached?: CachedDecoder } {
    if (!this.decoderWithPast) return { next: (tokens) => this.nextLogits(tokens, states, run) };
    const cached = new CachedDecoder(this.decoder, this.decoderWithPast, states, run);
    return { next: (tokens) => cached.next(tokens), cached };
  }

  /** The logits after `tokens` (last position), given the encoder's states, without a cache. */
  async nextLogits(tokens: number[], states: { data: Float32Array; dims: number[] }, run: RunOptions = {}): Promise<Float32Array> {
    const out = await this.decoder.run(
      {
        input_ids: { type: 'int64', data: BigInt64Array.from(tokens.map((t) => BigInt(t))), dims: [1, tokens.length] },
        encoder_hidden_states: { type: 'float32', data: states.data, dims: states.dims },
      },
      run,
    );
    const logits = out.logits ?? out[this.decoder.outputNames[0]!]!;
    const vocab = logits.dims.at(-1)!;
    return (logits.data as Float32Array).slice((tokens.length - 1) * vocab, tokens.length * vocab);
  }
}
