/**
 * Groups texts of similar length into batches, so that padding (which costs attention work
 * and, for BERT-style models, whole-sequence work) stays small; results come back in input order.
 */
export async function inLengthSortedBatches<T>(
  lengths: readonly number[],
  batchSize: number,
  runBatch: (positions: number[]) => Promise<T[]>,
): Promise<T[]> {
  const order = lengths.map((_, i) => i).sort((a, b) => lengths[a]! - lengths[b]! || a - b);
  const out = new Array<T>(lengths.length);
  for (let start = 0; start < order.length; start += batchSize) {
    const positions = order.slice(start, start + batchSize);
    const results = await runBatch(positions);
    positions.forEach((p, i) => (out[p] = results[i]!));
  }
  return out;
}

/** Scales `v` in place to unit length (a zero vector stays zero). */
export function l2Normalise(v: Float32Array): Float32Array {
  let sum = 0;
  for (let i = 0; i < v.length; i++) sum += v[i]! * v[i]!;
  const scale = sum > 0 ? 1 / Math.sqrt(sum) : 0;
  for (let i = 0; i < v.length; i++) v[i] = v[i]! * scale;
  return v;
}
