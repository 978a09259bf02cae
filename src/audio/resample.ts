/**
 * Band-limited resampling by windowed-sinc interpolation (Hann window), with the cut-off at the
 * lower of the two Nyquist frequencies so that downsampling does not alias. When the ratio of
 * the rates reduces to at most MAX_PHASES output phases (every pair of common rates does), the
 * filter of each phase is computed once (polyphase); otherwise per output sample.
 */
export function resample(input: Float32Array, fromRate: number, toRate: number, halfWidth = 16): Float32Array {
  if (fromRate === toRate) return input.slice();
  const ratio = toRate / fromRate;
  const outLength = Math.max(0, Math.round(input.length * ratio));
  const out = new Float32Array(outLength);
  const cutoff = 0.5 * Math.min(1, ratio) * 0.97; // as a fraction of the input rate
  const taps = Math.ceil(halfWidth / Math.min(1, ratio));
  const g = gcd(fromRate, toRate);
  const up = toRate / g; // output n sits at input position n·down/up
  const down = fromRate / g;
  if (Number.isInteger(up) && Number.isInteger(down) && up <= MAX_PHASES) {
    const filters = Array.from({ length: up }, (_, phase) => kernel(phase / up, taps, cutoff));
    for (let n = 0; n < outLength; n++) {
      const centre = Math.floor((n * down) / up);
      const f = filters[(n * down) % up]!;
      let acc = 0;
      const first = centre - taps + 1;
      for (let j = 0; j < f.length; j++) {
        const k = first + j;
        if (k >= 0 && k < input.length) acc += f[j]! * input[k]!;
      }
      out[n] = acc;
    }
    return out;
  }
  for (let n = 0; n < outLength; n++) {
    const t = n / ratio;
    const centre = Math.floor(t);
    const f = kernel(t - centre, taps, cutoff);
    let acc = 0;
    for (let j = 0; j < f.length; j++) {
      const k = centre - taps + 1 + j;
      if (k >= 0 && k < input.length) acc += f[j]! * input[k]!;
    }
    out[n] = acc;
  }
  return out;
}

const MAX_PHASES = 4096;

/** The normalised filter for an output at fractional position `frac` after input sample `centre`: taps centre − taps + 1 … centre + taps. */
function kernel(frac: number, taps: number, cutoff: number): Float64Array {
  const f = new Float64Array(2 * taps);
  let norm = 0;
  for (let j = 0; j < f.length; j++) {
    const x = frac + taps - 1 - j; // t − k
    const w = 0.5 + 0.5 * Math.cos((Math.PI * x) / (taps + 1));
    const s = x === 0 ? 2 * cutoff : Math.sin(2 * Math.PI * cutoff * x) / (Math.PI * x);
    f[j] = w * s;
    norm += f[j]!;
  }
  for (let j = 0; j < f.length; j++) f[j]! /= norm;
  return f;
}

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

/** The average of the channels. */
export function mixToMono(channels: Float32Array[]): Float32Array {
  if (channels.length === 1) return channels[0]!;
  const length = Math.min(...channels.map((c) => c.length));
  const out = new Float32Array(length);
  for (const c of channels) for (let i = 0; i < length; i++) out[i]! += c[i]! / channels.length;
  return out;
}
