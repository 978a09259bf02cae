import type { HostTensor, ModelSession, RunOptions } from '../../runtime/onnx-runtime.js';

export interface EncoderStates {
  data: Float32Array;
  dims: number[];
}

/**
 * Whisper decoding steps with a key/value cache (optimum's export: decoder_model.onnx returns
 * `present.*` keys and values, decoder_with_past_model.onnx takes them as `past_key_values.*`).
 * The first call runs the full decoder on the whole prefix, which also computes the
 * cross-attention keys and values of the encoder states once; each later call that extends the
 * previous tokens by one runs the cached decoder on that token alone. Any other call starts over.
 */
export class CachedDecoder {
  fullRuns = 0;
  cachedRuns = 0;
  private tokens: number[] = [];
  private cache: Record<string, HostTensor> | undefined;

  constructor(
    private readonly full: ModelSession,
    private readonly withPast: ModelSession,
    private readonly states: EncoderStates,
    private readonly run: RunOptions = {},
  ) {}

  /** The logits after `tokens` (last position). */
  async next(tokens: number[]): Promise<Float32Array> {
    const extendsByOne = this.cache !== undefined && tokens.length === this.tokens.length + 1 && this.tokens.every((t, i) => t === tokens[i]);
    const ids = (values: number[]): HostTensor => ({ type: 'int64', data: BigInt64Array.from(values.map((t) => BigInt(t))), dims: [1, values.length] });
    const encoder: HostTensor = { type: 'float32', data: this.states.data, dims: this.states.dims };
    let out: Record<string, HostTensor>;
    if (extendsByOne) {
      const feeds: Record<string, HostTensor> = { ...this.cache, input_ids: ids([tokens.at(-1)!]) };
      if (this.withPast.inputNames.includes('encoder_hidden_states')) feeds.encoder_hidden_states = encoder;
      out = await this.withPast.run(pick(feeds, this.withPast.inputNames), this.run);
      this.cachedRuns++;
    } else {
      out = await this.full.run({ input_ids: ids(tokens), encoder_hidden_states: encoder }, this.run);
      this.cache = {};
      this.fullRuns++;
    }
    // present.N.decoder.* (and, from the full decoder, present.N.encoder.*) become the next step's past.
    for (const [name, tensor] of Object.entries(out)) if (name.startsWith('present.')) this.cache![`past_key_values.${name.slice('present.'.length)}`] = tensor;
    this.tokens = [...tokens];
    const logits = out.logits!;
    const vocab = logits.dims.at(-1)!;
    const positions = logits.data.length / vocab;
    return (logits.data as Float32Array).slice((positions - 1) * vocab, positions * vocab);
  }

  /** What the cache holds now (tests read it). */
  cached(name: string): HostTensor | undefined {
    return this.cache?.[name];
  }
}

function pick(feeds: Record<string, HostTensor>, names: readonly string[]): Record<string, HostTensor> {
  return Object.fromEntries(names.filter((n) => feeds[n]).map((n) => [n, feeds[n]!]));
}
