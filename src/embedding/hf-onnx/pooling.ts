import { l2Normalise } from '../batching.js';

export const POOLINGS = ['mean', 'cls'] as const;
export type Pooling = (typeof POOLINGS)[number];

/**
 * Reduces hidden states [batch, width, dim] to one unit vector per row: the mean over the
 * tokens the attention mask keeps, or the first ([CLS]) token.
 */
export function poolHiddenStates(hidden: Float32Array, mask: BigInt64Array, batch: number, width: number, dim: number, pooling: Pooling): Float32Array[] {
  const out: Float32Array[] = [];
  for (let row = 0; row < batch; row++) {
    const v = new Float32Array(dim);
    if (pooling === 'cls') {
      v.set(hidden.subarray(row * width * dim, row * width * dim + dim));
    } else {
      let kept = 0;
      for (let t = 0; t < width; t++) {
        if (mask[row * width + t] === 0n) continue;
        kept++;
        const base = (row * width + t) * dim;
        for (let d = 0; d < dim; d++) v[d] = v[d]! + hidden[base + d]!;
      }
      for (let d = 0; d < dim; d++) v[d] = v[d]! / Math.max(kept, 1);
    }
    out.push(l2Normalise(v));
  }
  return out;
}
