import { FLACDecoder } from '@wasm-audio-decoders/flac';
import { OggVorbisDecoder } from '@wasm-audio-decoders/ogg-vorbis';
import { MPEGDecoder } from 'mpg123-decoder';
import wavefile from 'wavefile';
import { InvalidInputError, PayloadTooLargeError, UnsupportedMediaError } from '../core/errors.js';
import { ACCEPTED_AUDIO, detectAudioFormat } from './formats.js';
import type { AudioFormat } from './formats.js';
import { mixToMono, resample } from './resample.js';

/** The sample rate every audio model of the service reads. */
export const MODEL_SAMPLE_RATE = 16_000;

export interface AudioLimits {
  maxBytes: number;
  maxSeconds: number;
}

/** Decoded audio, mixed to mono and resampled to 16 kHz. */
export interface Audio {
  samples: Float32Array;
  sampleRate: number;
  /** Seconds. */
  duration: number;
  format: AudioFormat;
  originalSampleRate: number;
  channels: number;
}

interface Decoded {
  channelData: Float32Array[];
  sampleRate: number;
}

/** Decodes an uploaded file (WAV, FLAC, Ogg Vorbis or MP3) into 16 kHz mono, within the limits. */
export async function decodeAudio(bytes: Uint8Array, limits: AudioLimits, name = 'the upload'): Promise<Audio> {
  if (bytes.length > limits.maxBytes) {
    throw new PayloadTooLargeError(`${name} has ${bytes.length} bytes; audio uploads may have at most ${limits.maxBytes} bytes (MAX_AUDIO_BYTES)`);
  }
  const format = detectAudioFormat(bytes);
  if (format === 'ogg-other') throw new UnsupportedMediaError(`${name} is an Ogg file whose codec is not Vorbis (Opus?); accepted: ${ACCEPTED_AUDIO}`);
  if (!format) throw new UnsupportedMediaError(`${name} is not an audio file that can be read; accepted: ${ACCEPTED_AUDIO}`);
  const tooLong = (seconds: number) =>
    new PayloadTooLargeError(`${name} lasts ${seconds.toFixed(1)} s or more; audio may last at most ${limits.maxSeconds} s (MAX_AUDIO_SECONDS)`);
  let decoded: Decoded;
  try {
    decoded = format === 'wav' ? decodeWav(bytes, limits.maxSeconds, tooLong) : await decodeStreaming(format, bytes, limits.maxSeconds, tooLong);
  } catch (error) {
    if (error instanceof PayloadTooLargeError) throw error;
    throw new InvalidInputError(`${name} could not be decoded as ${format} (${(error as Error).message}); accepted: ${ACCEPTED_AUDIO}`, { cause: error });
  }
  const channels = decoded.channelData.length;
  const frames = channels ? Math.min(...decoded.channelData.map((c) => c.length)) : 0;
  if (frames === 0 || !(decoded.sampleRate > 0)) throw new InvalidInputError(`${name} holds no audio samples (${format}); send a file with sound in it`);
  if (frames / decoded.sampleRate > limits.maxSeconds) throw tooLong(frames / decoded.sampleRate);
  const samples = resample(mixToMono(decoded.channelData), decoded.sampleRate, MODEL_SAMPLE_RATE);
  return { samples, sampleRate: MODEL_SAMPLE_RATE, duration: samples.length / MODEL_SAMPLE_RATE, format, originalSampleRate: decoded.sampleRate, channels };
}

const WAV_ENCODINGS: Record<number, string> = { 1: 'PCM', 3: 'IEEE float', 6: 'A-law', 7: 'mu-law', 17: 'IMA ADPCM', 65534: 'extensible' };

function decodeWav(bytes: Uint8Array, maxSeconds: number, tooLong: (s: number) => Error): Decoded {
  const wav = new wavefile.WaveFile();
  wav.fromBuffer(bytes);
  const fmt = wav.fmt as { audioFormat: number; numChannels: number; sampleRate: number; byteRate: number; bitsPerSample: number; validBitsPerSample?: number; subformat?: number[] };
  const data = wav.data as { chunkSize: number; samples: Uint8Array };
  if (!WAV_ENCODINGS[fmt.audioFormat]) throw new Error(`WAV encoding ${fmt.audioFormat} is not read; WAV may hold ${Object.values(WAV_ENCODINGS).join(', ')}`);
  if (fmt.byteRate > 0 && data.chunkSize / fmt.byteRate > maxSeconds) throw tooLong(data.chunkSize / fmt.byteRate);
  const { numChannels, sampleRate } = fmt;
  // PCM and float: read the samples straight from the data chunk (wavefile's per-sample conversion is slow).
  const encoding = fmt.audioFormat === 65534 ? (fmt.subformat?.[0] ?? 1) : fmt.audioFormat;
  if ((encoding === 1 && [8, 16, 24, 32].includes(fmt.bitsPerSample)) || (encoding === 3 && [32, 64].includes(fmt.bitsPerSample))) {
    return { channelData: readPcm(data.samples, numChannels, fmt.bitsPerSample, encoding === 3), sampleRate };
  }
  // The conversions below replace wav.fmt: what is needed from it was kept above.
  if (fmt.audioFormat === 6) wav.fromALaw();
  else if (fmt.audioFormat === 7) wav.fromMuLaw();
  else if (fmt.audioFormat === 17) wav.fromIMAADPCM();
  if (wav.bitDepth !== '32f') wav.toBitDepth('32f');
  const raw = wav.getSamples(false, Float32Array) as unknown as Float32Array | Float32Array[];
  const channelData = numChannels === 1 ? [raw as Float32Array] : (raw as Float32Array[]);
  return { channelData, sampleRate };
}

/** Interleaved little-endian PCM (8-bit unsigned, 16/24/32-bit signed) or IEEE float → one array per channel in [-1, 1]. */
function readPcm(raw: Uint8Array, channels: number, bits: number, float: boolean): Float32Array[] {
  const width = bits / 8;
  const frames = Math.floor(raw.length / (width * channels));
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const out = Array.from({ length: channels }, () => new Float32Array(frames));
  for (let i = 0; i < frames; i++) {
    for (let c = 0; c < channels; c++) {
      const at = (i * channels + c) * width;
      let v: number;
      if (float) v = bits === 32 ? view.getFloat32(at, true) : view.getFloat64(at, true);
      else if (bits === 8) v = (raw[at]! - 128) / 128;
      else if (bits === 16) v = view.getInt16(at, true) / 32768;
      else if (bits === 24) v = (((raw[at + 2]! << 24) | (raw[at + 1]! << 16) | (raw[at]! << 8)) >> 8) / 8388608;
      else v = view.getInt32(at, true) / 2147483648;
      out[c]![i] = v;
    }
  }
  return out;
}

const CHUNK = 64 * 1024;

interface StreamDecoder {
  ready: Promise<void>;
  decode(chunk: Uint8Array): Decoded | Promise<Decoded>;
  flush?: () => Promise<Decoded>;
  free(): void;
}

/** Feeds the file in chunks, so that audio over the length limit stops decoding early. */
async function decodeStreaming(format: Exclude<AudioFormat, 'wav'>, bytes: Uint8Array, maxSeconds: number, tooLong: (s: number) => Error): Promise<Decoded> {
  const decoder: StreamDecoder = format === 'flac' ? new FLACDecoder() : format === 'ogg-vorbis' ? new OggVorbisDecoder() : new MPEGDecoder();
  await decoder.ready;
  const parts: Float32Array[][] = [];
  let frames = 0;
  let sampleRate = 0;
  const take = (d: Decoded) => {
    if (!d.channelData.length || !d.channelData[0]!.length) return;
    sampleRate ||= d.sampleRate;
    parts.push(d.channelData.map((c) => c.slice()));
    frames += d.channelData[0]!.length;
    if (frames / sampleRate > maxSeconds) throw tooLong(frames / sampleRate);
  };
  try {
    for (let offset = 0; offset < bytes.length; offset += CHUNK) take(await decoder.decode(bytes.subarray(offset, offset + CHUNK)));
    if (decoder.flush) take(await decoder.flush());
  } finally {
    decoder.free();
  }
  const channels = Math.min(...parts.map((p) => p.length));
  const channelData = Array.from({ length: Number.isFinite(channels) ? channels : 0 }, (_, c) => concat(parts.map((p) => p[c]!)));
  return { channelData, sampleRate };
}

function concat(arrays: Float32Array[]): Float32Array {
  const out = new Float32Array(arrays.reduce((n, a) => n + a.length, 0));
  let at = 0;
  for (const a of arrays) {
    out.set(a, at);
    at += a.length;
  }
  return out;
}
