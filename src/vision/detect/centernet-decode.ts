/**
 * CenterNet's head, decoded as the original TF graph does after its heads (which we do not
 * convert): a class heatmap H×W×C (sigmoid) and per-cell box extents H×W×4 (left, top, right,
 * bottom distances in input pixels). A cell is a peak when it equals the 3×3 max around it in its
 * class channel; the top `k` peaks become boxes centred on the cell (× the output stride).
 */
import type { Box } from '../geometry.js';

export interface CenternetPeak {
  classId: number;
  score: number;
  /** In network input pixels. */
  box: Box;
}

export const CENTERNET_STRIDE = 4;

/** The `k` best 3×3 peaks, best first (ties: lower flat index first, as TF's TopKV2). */
export function centernetPeaks(heat: Float32Array, sizes: Float32Array, height: number, width: number, classes: number, k = 100, stride = CENTERNET_STRIDE): CenternetPeak[] {
  // A short sorted list beats sorting 1.3 M cells for k = 100; non-peaks score 0 (as heat × peak mask in the graph).
  const top: Array<{ index: number; score: number }> = [];
  const offer = (index: number, score: number) => {
    if (top.length === k && score <= top[k - 1]!.score) return;
    let at = top.length;
    while (at > 0 && top[at - 1]!.score < score) at--;
    top.splice(at, 0, { index, score });
    if (top.length > k) top.pop();
  };
  for (let r = 0; r < height; r++) {
    for (let c = 0; c < width; c++) {
      for (let cls = 0; cls < classes; cls++) {
        const index = (r * width + c) * classes + cls;
        const v = heat[index]!;
        if (top.length === k && v <= top[k - 1]!.score) continue;
        let isPeak = true;
        for (let dr = -1; dr <= 1 && isPeak; dr++) {
          for (let dc = -1; dc <= 1; dc++) {
            const rr = r + dr, cc = c + dc;
            if (rr < 0 || cc < 0 || rr >= height || cc >= width) continue;
            if (heat[(rr * width + cc) * classes + cls]! > v) {
              isPeak = false;
              break;
            }
          }
        }
        offer(index, isPeak ? v : 0);
      }
    }
  }
  return top.map(({ index, score }) => {
    const cls = index % classes;
    const cell = (index - cls) / classes;
    const c = cell % width;
    const r = (cell - c) / width;
    const s = sizes.subarray(cell * 4, cell * 4 + 4);
    return { classId: cls, score, box: { x1: c * stride - s[0]!, y1: r * stride - s[1]!, x2: c * stride + s[2]!, y2: r * stride + s[3]! } };
  });
}
