/**
 * Groups texts of similar length into batches, so that padding (which costs attention work
 * and, for BERT-style models, whole-sequence work) stays small; results come back in input order.
 * Batches are handed over at once: the model's session runs as many at a time as it has workers.
 */
export async function inLengthSortedBatches<T>(
  lengths: readonly number[],
  batchSize: number,
  runBatch: (positions: number[]) => Promise<T[]>,
): Promise<T[]> {
  const order = lengths.map((_, i) => i).sort((a, b) => lengths[a]! - lengths[b]! || a - b);
  const out = new Array<T>(lengths.length);
  const batches: number[][] = [];
  for (let start = 0; start < order.length; start += batchSize) batches.push(order.slice(start, start + batchSize));
  await Promise.all(
    batches.map(async (positions) => {
      const results = await runBatch(positions);
      positions.forEach((p, i) => (out[p] = results[i]!));
    }),
  );
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

/**
 * Token ids of each text, cut to `maxTokens` by `cut` where longer; returns which inputs were
 * cut, so that embedders report truncation instead of failing deep in the runtime.
 */
export function encodeWithin(
  texts: readonly string[],
  encode: (text: string) => number[],
  maxTokens: number,
  cut: (tokens: number[]) => number[] = (tokens) => tokens.slice(0, maxTokens),
): { ids: number[][]; truncated: number[] } {
  const truncated: number[] = [];
  const ids = texts.map((text, i) => {
    const tokens = encode(text);
    if (tokens.length <= maxTokens) return tokens;
    truncated.push(i);
    return cut(tokens);
  });
  return { ids, truncated };
}
