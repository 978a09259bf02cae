/**
 * Token budgets for map-reduce over community reports. `count` is the embedder's token
 * counter in the service (and a counting fake in tests).
 */

/** Packs items, in order, into batches of at most `budget` tokens; an item larger than the budget goes alone. */
export function packBatches<T>(items: readonly T[], budget: number, count: (item: T) => number): T[][] {
  const batches: T[][] = [];
  let current: T[] = [];
  let used = 0;
  for (const item of items) {
    const n = count(item);
    if (current.length > 0 && used + n > budget) {
      batches.push(current);
      current = [];
      used = 0;
    }
    current.push(item);
    used += n;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

/** The highest-scoring items (stable for ties) whose tokens fit in `budget`; items that do not fit are skipped. */
export function fillBudget<T extends { score: number }>(items: readonly T[], budget: number, count: (item: T) => number): T[] {
  const chosen: T[] = [];
  let used = 0;
  for (const item of [...items].sort((a, b) => b.score - a.score)) {
    const n = count(item);
    if (used + n > budget) continue;
    chosen.push(item);
    used += n;
  }
  return chosen;
}

/** A seeded Fisher–Yates shuffle (the reports' order must not favour any community). */
export function shuffled<T>(items: readonly T[], random: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}
