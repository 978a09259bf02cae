/** Greedy CTC decoding: best class per time step, repeats merged, blanks (index 0) dropped. */

export interface CtcResult {
  text: string;
  /** Mean probability of the kept characters (0 when none). */
  confidence: number;
}

/**
 * `probs` is T×C (softmax outputs, row-major). `alphabet[k - 1]` is the character of class k
 * (class 0 is the blank).
 */
export function ctcGreedy(probs: Float32Array, steps: number, classes: number, alphabet: readonly string[]): CtcResult {
  let text = '';
  let sum = 0;
  let kept = 0;
  let previous = -1;
  for (let t = 0; t < steps; t++) {
    let best = 0;
    let bestP = -Infinity;
    const row = t * classes;
    for (let c = 0; c < classes; c++) {
      const p = probs[row + c]!;
      if (p > bestP) {
        bestP = p;
        best = c;
      }
    }
    if (best !== 0 && best !== previous) {
      text += alphabet[best - 1] ?? '';
      sum += bestP;
      kept++;
    }
    previous = best;
  }
  return { text, confidence: kept > 0 ? sum / kept : 0 };
}
