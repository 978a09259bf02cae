/**
 * Picks the next token from logits: greedy at temperature 0, otherwise a draw from the softmax of
 * logits / temperature restricted to the topK most likely tokens (all when topK is 0).
 * `random` returns numbers in [0, 1); a seeded one makes generation reproducible.
 */
export function sampleToken(logits: ArrayLike<number>, temperature: number, topK: number, random: () => number): number {
  const n = logits.length;
  if (temperature === 0) {
    let best = 0;
    for (let i = 1; i < n; i++) if (logits[i]! > logits[best]!) best = i;
    return best;
  }
  // Candidates by descending logit, ties broken by id so that the order is deterministic.
  let ids = Array.from({ length: n }, (_, i) => i).sort((a, b) => logits[b]! - logits[a]! || a - b);
  if (topK > 0 && topK < n) ids = ids.slice(0, topK);
  const top = logits[ids[0]!]!;
  const weights = ids.map((i) => Math.exp((logits[i]! - top) / temperature));
  const total = weights.reduce((a, b) => a + b, 0);
  let u = random() * total;
  for (let k = 0; k < ids.length; k++) {
    u -= weights[k]!;
    if (u < 0) return ids[k]!;
  }
  return ids.at(-1)!;
}
