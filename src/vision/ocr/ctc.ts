/** Greedy CTC decoding: best class per time step, repeats merged, blanks (index 0) dropped. */

export interface CtcResult {
  text: string;
  /** Mean probability of the kept characters (0 when none). */
  confidence: number;
}

export interface CtcOptions {
  /**
   * Space recovery: the class of the space character, and the probability it must reach at a
   * blank step between two characters for a space to be written there. PP-OCRv4's Chinese
   * recogniser often lets the blank win over the space between Latin words while still giving
   * the space a few per cent there (and under 1 % inside words). Off when undefined.
   */
  space?: { classIndex: number; threshold: number };
}

/**
 * `probs` is T×C (softmax outputs, row-major). `alphabet[k - 1]` is the character of class k
 * (class 0 is the blank).
 */
export function ctcGreedy(probs: Float32Array, steps: number, classes: number, alphabet: readonly string[], options: CtcOptions = {}): CtcResult {
  let text = '';
  let sum = 0;
  let kept = 0;
  let previous = -1;
  let pendingSpace = false;
  const space = options.space;
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
    if (best === 0 && space && text.length > 0 && probs[row + space.classIndex]! >= space.threshold) pendingSpace = true;
    if (best !== 0 && best !== previous) {
      const char = alphabet[best - 1] ?? '';
      if (pendingSpace && char !== ' ' && !text.endsWith(' ')) text += ' ';
      text += char;
      sum += bestP;
      kept++;
      pendingSpace = false;
    }
    previous = best;
  }
  return { text, confidence: kept > 0 ? sum / kept : 0 };
}
