import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import wavefile from 'wavefile';
import { decodeAudio } from '../../src/audio/decode.js';
import { detectAudioFormat } from '../../src/audio/formats.js';
import { resample } from '../../src/audio/resample.js';
import { PayloadTooLargeError, UnsupportedMediaError, InvalidInputError } from '../../src/core/errors.js';
import { pcm16Wav } from '../support/speech.js';

const fixture = (name: string) => readFileSync(join(process.cwd(), 'tests', 'fixtures', 'audio', name));
const limits = { maxBytes: 10_000_000, maxSeconds: 60 };
const sine = (freq: number, rate: number, seconds: number, amp = 0.5) => Float32Array.from({ length: Math.round(rate * seconds) }, (_, i) => amp * Math.sin((2 * Math.PI * freq * i) / rate));
const rms = (x: Float32Array, from = 0, to = x.length) => Math.sqrt(x.subarray(from, to).reduce((a, v) => a + v * v, 0) / (to - from));

/** Frequency from upward zero crossings over the middle of the signal. */
function frequency(x: Float32Array, rate: number): number {
  const from = Math.floor(x.length * 0.2);
  const to = Math.floor(x.length * 0.8);
  const ups: number[] = [];
  for (let i = from; i < to; i++) if (x[i - 1]! < 0 && x[i]! >= 0) ups.push(i - x[i]! / (x[i]! - x[i - 1]!));
  return ((ups.length - 1) * rate) / (ups.at(-1)! - ups[0]!);
}

describe('resample', () => {
  it('matches the analytic sine when a 1 kHz tone goes from 44.1 kHz to 16 kHz', () => {
    const out = resample(sine(1000, 44_100, 0.5), 44_100, 16_000);
    expect(out.length).toBe(8000);
    const expected = sine(1000, 16_000, 0.5);
    let worst = 0;
    for (let i = 100; i < out.length - 100; i++) worst = Math.max(worst, Math.abs(out[i]! - expected[i]!));
    expect(worst).toBeLessThan(5e-3);
  });

  it('removes content above the new Nyquist frequency instead of aliasing it', () => {
    const out = resample(sine(11_000, 48_000, 0.5), 48_000, 16_000);
    expect(rms(out, 100, out.length - 100)).toBeLessThan(0.01);
    const kept = resample(sine(6_000, 48_000, 0.5), 48_000, 16_000);
    expect(rms(kept, 100, kept.length - 100)).toBeCloseTo(0.5 / Math.SQRT2, 2);
  });

  it('resamples from a rate that shares no useful factor with 16 kHz (per-sample filters)', () => {
    const out = resample(sine(440, 7919, 0.5), 7919, 16_000);
    const expected = sine(440, 16_000, out.length / 16_000);
    let worst = 0;
    for (let i = 200; i < out.length - 200; i++) worst = Math.max(worst, Math.abs(out[i]! - expected[i]!));
    expect(worst).toBeLessThan(5e-3);
  });

  it('upsamples 8 kHz to 16 kHz', () => {
    const out = resample(sine(440, 8_000, 0.5), 8_000, 16_000);
    expect(out.length).toBe(8000);
    expect(frequency(out, 16_000)).toBeCloseTo(440, 0);
  });
});

describe('decodeAudio', () => {
  it.each(['tone-440.flac', 'tone-440.ogg', 'tone-440.mp3'])('decodes %s (1 s of 440 Hz, stereo 44.1 kHz) to 16 kHz mono', async (name) => {
    const audio = await decodeAudio(fixture(name), limits);
    expect(audio.format).toBe(detectAudioFormat(fixture(name)));
    expect(audio).toMatchObject({ sampleRate: 16_000, originalSampleRate: 44_100, channels: 2 });
    expect(audio.duration).toBeGreaterThan(0.98);
    expect(audio.duration).toBeLessThan(1.1);
    expect(frequency(audio.samples, 16_000)).toBeCloseTo(440, 0);
    expect(rms(audio.samples, 3200, 12800)).toBeCloseTo(0.5 / Math.SQRT2, 1);
  });

  it('decodes 16-bit, 8-bit and float WAV, mono and stereo, at any rate', async () => {
    const tone = sine(440, 22_050, 1);
    const variants: Uint8Array[] = [pcm16Wav(tone, 22_050)];
    for (const depth of ['8', '24', '32', '32f']) {
      const wav = new wavefile.WaveFile(pcm16Wav(tone, 22_050));
      wav.toBitDepth(depth);
      variants.push(wav.toBuffer());
    }
    const stereo = new Float32Array(2 * tone.length);
    tone.forEach((v, i) => ((stereo[2 * i] = v), (stereo[2 * i + 1] = -0.2 * v)));
    variants.push(pcm16Wav(stereo, 22_050, 2));
    for (const bytes of variants) {
      const audio = await decodeAudio(bytes, limits);
      expect(audio.sampleRate).toBe(16_000);
      expect(audio.duration).toBeCloseTo(1, 2);
      expect(frequency(audio.samples, 16_000)).toBeCloseTo(440, 0);
    }
    // The stereo file is the mean of its channels: 0.4 × the tone.
    const mixed = await decodeAudio(variants[5]!, limits);
    expect(rms(mixed.samples, 1600, 14400)).toBeCloseTo((0.4 * 0.5) / Math.SQRT2, 2);
  });

  it('refuses files over the byte limit and audio over the length limit with 413, naming the limits', async () => {
    await expect(decodeAudio(fixture('tone-440.mp3'), { maxBytes: 1000, maxSeconds: 60 })).rejects.toThrow(/at most 1000 bytes \(MAX_AUDIO_BYTES\)/);
    for (const name of ['tone-440.flac', 'tone-440.ogg', 'tone-440.mp3']) {
      const error = await decodeAudio(fixture(name), { maxBytes: 1e7, maxSeconds: 0.5 }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(PayloadTooLargeError);
      expect((error as Error).message).toMatch(/at most 0.5 s \(MAX_AUDIO_SECONDS\)/);
    }
    await expect(decodeAudio(pcm16Wav(sine(440, 8000, 2), 8000), { maxBytes: 1e7, maxSeconds: 1 })).rejects.toBeInstanceOf(PayloadTooLargeError);
  });

  it('answers 415 for what is not audio and 400 for audio that cannot be decoded', async () => {
    await expect(decodeAudio(new TextEncoder().encode('just some text, not a sound file'), limits)).rejects.toBeInstanceOf(UnsupportedMediaError);
    const broken = new Uint8Array(4000);
    broken.set(new TextEncoder().encode('fLaC'));
    await expect(decodeAudio(broken, limits)).rejects.toBeInstanceOf(InvalidInputError);
    const header = pcm16Wav(new Float32Array(0), 16_000);
    await expect(decodeAudio(header, limits)).rejects.toThrow(/no audio samples/);
  });
});
