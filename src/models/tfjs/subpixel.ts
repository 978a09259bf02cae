/**
 * Nearest-neighbour upsampling by s followed by a stride-1 'same' convolution with an odd kernel
 * is one convolution on the small image with s²·cout output channels, then DepthToSpace(s): a
 * sub-pixel convolution. Output pixel (a·s + p, b·s + q) with tap offset (dy, dx) reads small
 * pixel (a + ⌊(p + dy)/s⌋, b + ⌊(q + dx)/s⌋), so phase (p, q)'s kernel sums the taps that land
 * on the same small pixel. Zero padding agrees too: an upsampled row is outside the image exactly
 * when its small row is. The result is the same up to float rounding, without the s²-times larger
 * upsampled tensor and with s² times fewer positions to convolve.
 */

export interface SubpixelKernel {
  /** TF layout [kh, kw, cin, s²·cout]; output channel (p·s + q)·cout + c (DepthToSpace's order). */
  data: Float32Array;
  shape: [number, number, number, number];
}

/** Whether a convolution after an upsample by `factor` can be rewritten (see the file comment). */
export function subpixelApplies(kernelSize: number[], strides: number[], dilations: number[], padding: string, factor: [number, number]): boolean {
  return (
    factor[0] === factor[1] &&
    factor[0] > 1 &&
    padding.toLowerCase() === 'same' &&
    kernelSize.every((k) => k % 2 === 1) &&
    strides.every((s) => s === 1) &&
    dilations.every((d) => d === 1)
  );
}

/** The low-resolution kernel for TF kernel [kh, kw, cin, cout] (odd kh, kw) after an upsample by s. */
export function subpixelKernel(kernel: Float32Array, [kh, kw, cin, cout]: number[], s: number): SubpixelKernel {
  const [rh, rw] = [(kh! - 1) / 2, (kw! - 1) / 2];
  const [Rh, Rw] = [Math.ceil(rh / s), Math.ceil(rw / s)];
  const [KH, KW, outChannels] = [2 * Rh + 1, 2 * Rw + 1, s * s * cout!];
  const data = new Float32Array(KH * KW * cin! * outChannels);
  for (let p = 0; p < s; p++)
    for (let q = 0; q < s; q++)
      for (let dy = -rh; dy <= rh; dy++)
        for (let dx = -rw; dx <= rw; dx++) {
          const ky = Math.floor((p + dy) / s) + Rh;
          const kx = Math.floor((q + dx) / s) + Rw;
          for (let i = 0; i < cin!; i++)
            for (let c = 0; c < cout!; c++) {
              data[((ky * KW + kx) * cin! + i) * outChannels + (p * s + q) * cout! + c]! += kernel[((dy + rh) * kw! + (dx + rw)) * cin! * cout! + i * cout! + c]!;
            }
        }
  return { data, shape: [KH, KW, cin!, outChannels] };
}

/** The bias of every phase: the original bias repeated s² times. */
export function subpixelBias(bias: Float32Array, s: number): Float32Array {
  const out = new Float32Array(bias.length * s * s);
  for (let phase = 0; phase < s * s; phase++) out.set(bias, phase * bias.length);
  return out;
}
