/**
 * Band-limited resampling by windowed-sinc interpolation (Hann window), with the cut-off at the
 * lower of the two Nyquist frequencies so that downsampling does not alias.
 */
export function resample(input: Float32Array, fromRate: number, toRate: number, halfWidth = 16): Float32Array {
  if (fromRate === toRate) return input.slice();
  const ratio = toRate / fromRate;
  const outLength = Math.max(0, Math.round(input.length * ratio));
  const out = new Float32Array(outLength);
  // Cut-off as a fraction of the input rate; 0.5 is the input's Nyquist frequency.
  const cutoff = 0.5 * Math.min(1, ratio) * 0.97;
  const taps = Math.ceil(halfWidth / Math.min(1, ratio));
  for (let n = 0; n < outLength; n++) {
    const t = n / ratio;
    const centre = Math.floor(t);
    let acc = 0;
    let norm = 0;
    for (let k = centre - taps + 1; k <= centre + taps; k++) {
      const x = t - k;
      const w = 0.5 + 0.5 * Math.cos((Math.PI * x) / (taps + 1));
      const s = x === 0 ? 2 * cutoff : Math.sin(2 * Math.PI * cutoff * x) / (Math.PI * x);
      const h = w * s;
      norm += h;
      if (k >= 0 && k < input.length) acc += h * input[k]!;
    }
    out[n] = acc / norm;
  }
  return out;
}

/** The average of the channels. */
export function mixToMono(channels: Float32Array[]): Float32Array {
  if (channels.length === 1) return channels[0]!;
  const length = Math.min(...channels.map((c) => c.length));
  const out = new Float32Array(length);
  for (const c of channels) for (let i = 0; i < length; i++) out[i]! += c[i]! / channels.length;
  return out;
}
