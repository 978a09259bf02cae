import { Fft } from './fft.js';

/** Whisper's front end: 16 kHz, 25 ms Hann windows (400 samples) every 10 ms (160), 30 s chunks. */
export const WHISPER_AUDIO = Object.freeze({ sampleRate: 16_000, nFft: 400, hop: 160, chunkSeconds: 30, chunkSamples: 480_000, frames: 3000 });

const hzToMel = (f: number) => (f < 1000 ? (3 * f) / 200 : 15 + (27 * Math.log(f / 1000)) / Math.log(6.4));
const melToHz = (m: number) => (m < 15 ? (200 * m) / 3 : 1000 * Math.exp((Math.log(6.4) * (m - 15)) / 27));

/** Triangular filters on the Slaney mel scale with Slaney area normalisation (librosa's default, as Whisper uses): [nMels × (nFft/2 + 1)]. */
export function melFilterbank(nMels: number, nFft = WHISPER_AUDIO.nFft, sampleRate = WHISPER_AUDIO.sampleRate): Float32Array {
  const bins = nFft / 2 + 1;
  const fftFreqs = Array.from({ length: bins }, (_, i) => (i * sampleRate) / nFft);
  const top = hzToMel(sampleRate / 2);
  const points = Array.from({ length: nMels + 2 }, (_, i) => melToHz((i * top) / (nMels + 1)));
  const out = new Float32Array(nMels * bins);
  for (let m = 0; m < nMels; m++) {
    const [lo, centre, hi] = [points[m]!, points[m + 1]!, points[m + 2]!];
    const norm = 2 / (hi - lo);
    for (let k = 0; k < bins; k++) {
      const f = fftFreqs[k]!;
      const w = Math.max(0, Math.min((f - lo) / (centre - lo), (hi - f) / (hi - centre)));
      out[m * bins + k] = w * norm;
    }
  }
  return out;
}

const filterCache = new Map<number, Float32Array>();
const fft = new Fft(WHISPER_AUDIO.nFft);
const hann = Float64Array.from({ length: WHISPER_AUDIO.nFft }, (_, n) => 0.5 - 0.5 * Math.cos((2 * Math.PI * n) / WHISPER_AUDIO.nFft));

/**
 * The log-mel spectrogram Whisper's encoder reads, [nMels × 3000] row-major: the audio padded
 * (or trimmed) to 30 s, a centred STFT with reflect padding, power spectrum, mel filters,
 * log10 clamped at 1e-10 and at (max − 8), then (x + 4) / 4.
 */
export function logMelSpectrogram(samples: Float32Array, nMels = 80): Float32Array {
  const { nFft, hop, chunkSamples, frames } = WHISPER_AUDIO;
  const audio = new Float32Array(chunkSamples);
  audio.set(samples.subarray(0, chunkSamples));
  const half = nFft / 2;
  const at = (i: number) => audio[i < 0 ? -i : i >= chunkSamples ? 2 * (chunkSamples - 1) - i : i]!;
  let filters = filterCache.get(nMels);
  if (!filters) filterCache.set(nMels, (filters = melFilterbank(nMels)));
  const bins = half + 1;
  const spans = filterSpans(filters, nMels, bins);
  const out = new Float32Array(nMels * frames);
  const frame = new Float64Array(nFft);
  const re = new Float64Array(nFft);
  const im = new Float64Array(nFft);
  const power = new Float64Array(bins);
  let max = -Infinity;
  for (let t = 0; t < frames; t++) {
    for (let n = 0; n < nFft; n++) frame[n] = at(t * hop + n - half) * hann[n]!;
    fft.transform(frame, re, im);
    for (let k = 0; k < bins; k++) power[k] = re[k]! * re[k]! + im[k]! * im[k]!;
    for (let m = 0; m < nMels; m++) {
      let e = 0;
      const [from, to] = spans[m]!;
      for (let k = from; k < to; k++) e += filters[m * bins + k]! * power[k]!;
      const v = Math.log10(Math.max(e, 1e-10));
      out[m * frames + t] = v;
      if (v > max) max = v;
    }
  }
  for (let i = 0; i < out.length; i++) out[i] = (Math.max(out[i]!, max - 8) + 4) / 4;
  return out;
}

/** The bins where each filter is non-zero: [first, last + 1). */
function filterSpans(filters: Float32Array, nMels: number, bins: number): Array<[number, number]> {
  return Array.from({ length: nMels }, (_, m) => {
    let from = 0;
    let to = bins;
    while (from < bins && filters[m * bins + from] === 0) from++;
    while (to > from && filters[m * bins + to - 1] === 0) to--;
    return [from, to] as [number, number];
  });
}
