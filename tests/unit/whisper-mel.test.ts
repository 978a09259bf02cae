import { describe, expect, it } from 'vitest';
import { Fft } from '../../src/audio/whisper/fft.js';
import { logMelSpectrogram, melFilterbank } from '../../src/audio/whisper/mel.js';

/*
 * An independent reference for Whisper's front end, written from the descriptions of
 * torch.stft (centre, reflect padding, periodic Hann window), librosa.filters.mel (Slaney scale
 * and norm, written in librosa's own ramp form) and whisper/audio.py log_mel_spectrogram, with a
 * naive O(N²) DFT.
 */
const SR = 16_000;
const N_FFT = 400;
const HOP = 160;
const BINS = N_FFT / 2 + 1;

function slaneyMel(hz: number): number {
  const fSp = 200 / 3;
  const minLogHz = 1000;
  const minLogMel = minLogHz / fSp;
  const logStep = Math.log(6.4) / 27;
  return hz >= minLogHz ? minLogMel + Math.log(hz / minLogHz) / logStep : hz / fSp;
}
function slaneyHz(mel: number): number {
  const fSp = 200 / 3;
  const minLogMel = 1000 / fSp;
  const logStep = Math.log(6.4) / 27;
  return mel >= minLogMel ? 1000 * Math.exp(logStep * (mel - minLogMel)) : fSp * mel;
}

function referenceFilters(nMels: number): number[][] {
  const melF = Array.from({ length: nMels + 2 }, (_, i) => slaneyHz(slaneyMel(0) + (i * (slaneyMel(SR / 2) - slaneyMel(0))) / (nMels + 1)));
  const fftFreqs = Array.from({ length: BINS }, (_, k) => (k * (SR / 2)) / (BINS - 1));
  const fdiff = melF.slice(1).map((v, i) => v - melF[i]!);
  return Array.from({ length: nMels }, (_, i) => {
    const enorm = 2 / (melF[i + 2]! - melF[i]!);
    return fftFreqs.map((f) => {
      const lower = -(melF[i]! - f) / fdiff[i]!;
      const upper = (melF[i + 2]! - f) / fdiff[i + 1]!;
      return Math.max(0, Math.min(lower, upper)) * enorm;
    });
  });
}

function referenceLogMel(samples: Float32Array, nMels: number, frames: number): { values: number[][]; max: number } {
  const padded = new Float64Array(480_000);
  padded.set(samples.subarray(0, 480_000));
  const reflect = (i: number) => (i < 0 ? padded[-i]! : i >= padded.length ? padded[2 * padded.length - 2 - i]! : padded[i]!);
  const filters = referenceFilters(nMels);
  const values: number[][] = [];
  let max = -Infinity;
  for (let t = 0; t < frames; t++) {
    const power: number[] = [];
    for (let k = 0; k < BINS; k++) {
      let re = 0;
      let im = 0;
      for (let n = 0; n < N_FFT; n++) {
        const x = reflect(t * HOP + n - N_FFT / 2) * (0.5 - 0.5 * Math.cos((2 * Math.PI * n) / N_FFT));
        re += x * Math.cos((2 * Math.PI * k * n) / N_FFT);
        im -= x * Math.sin((2 * Math.PI * k * n) / N_FFT);
      }
      power.push(re * re + im * im);
    }
    const row = filters.map((f) => Math.log10(Math.max(1e-10, f.reduce((a, w, k) => a + w * power[k]!, 0))));
    max = Math.max(max, ...row);
    values.push(row);
  }
  return { values, max };
}

describe('Whisper log-mel front end', () => {
  it('the reference mel scale has Slaney\'s anchor points', () => {
    expect(slaneyMel(1000)).toBeCloseTo(15, 10);
    expect(slaneyMel(6400)).toBeCloseTo(42, 10);
    expect(slaneyHz(slaneyMel(3210))).toBeCloseTo(3210, 6);
  });

  it('the FFT equals a naive DFT for n = 400', () => {
    const x = Float64Array.from({ length: 400 }, (_, i) => Math.sin(i * 0.37) + 0.3 * Math.cos(i * 1.91) + (i % 7) / 10);
    const re = new Float64Array(400);
    const im = new Float64Array(400);
    new Fft(400).transform(x, re, im);
    for (const k of [0, 1, 2, 57, 199, 200, 201, 399]) {
      let r = 0;
      let j = 0;
      for (let n = 0; n < 400; n++) (r += x[n]! * Math.cos((2 * Math.PI * k * n) / 400)), (j -= x[n]! * Math.sin((2 * Math.PI * k * n) / 400));
      expect(re[k]).toBeCloseTo(r, 8);
      expect(im[k]).toBeCloseTo(j, 8);
    }
  });

  it('the filterbank equals librosa\'s Slaney construction (80 and 128 bins)', () => {
    for (const nMels of [80, 128]) {
      const mine = melFilterbank(nMels);
      const ref = referenceFilters(nMels);
      let worst = 0;
      for (let m = 0; m < nMels; m++) for (let k = 0; k < BINS; k++) worst = Math.max(worst, Math.abs(mine[m * BINS + k]! - ref[m]![k]!));
      expect(worst).toBeLessThan(1e-6);
      // Every filter has some weight (none falls between two FFT bins).
      for (let m = 0; m < nMels; m++) expect(ref[m]!.some((w) => w > 0)).toBe(true);
    }
  });

  it('matches the reference spectrogram: 3000 frames, clamped at max − 8, scaled (x + 4) / 4', () => {
    // 0.8 s of a chirp with harmonics and a click, then nothing (padded to 30 s).
    const samples = Float32Array.from({ length: 12_800 }, (_, i) => {
      const t = i / SR;
      return 0.4 * Math.sin(2 * Math.PI * (200 + 900 * t) * t) + 0.1 * Math.sin(2 * Math.PI * 3100 * t) + (i === 5000 ? 0.9 : 0);
    });
    const mel = logMelSpectrogram(samples, 80);
    expect(mel.length).toBe(80 * 3000);
    const frames = 90; // frames 81+ see only padding zeros
    const ref = referenceLogMel(samples, 80, frames);
    const floor = (ref.max - 8 + 4) / 4;
    let worst = 0;
    for (let t = 0; t < frames; t++) {
      for (let m = 0; m < 80; m++) worst = Math.max(worst, Math.abs(mel[m * 3000 + t]! - (Math.max(ref.values[t]![m]!, ref.max - 8) + 4) / 4));
    }
    expect(worst).toBeLessThan(1e-4);
    // The clamp is active: some values of the sound's frames sit on the floor, most above it.
    const sound = Array.from({ length: 80 * 70 }, (_, i) => mel[(i % 80) * 3000 + Math.floor(i / 80)]!);
    expect(sound.filter((v) => Math.abs(v - floor) < 1e-6).length).toBeGreaterThan(0);
    expect(sound.filter((v) => v > floor + 0.1).length).toBeGreaterThan(sound.length / 4);
    for (const t of [100, 1500, 2999]) for (const m of [0, 40, 79]) expect(mel[m * 3000 + t]).toBeCloseTo(floor, 5);
    expect(mel.reduce((a, v) => Math.max(a, v), -Infinity)).toBeCloseTo((ref.max + 4) / 4, 5);
  });
});
