/**
 * DBNet post-processing (PaddleOCR's DBPostProcess): threshold the probability map, take each
 * connected region's minimum-area rectangle, score it by the mean probability inside, grow it by
 * the unclip distance (area × ratio / perimeter) and map it back to the source image.
 */
import { minAreaRect, rectCorners } from '../geometry.js';
import type { Point, RotatedRect } from '../geometry.js';

export interface DbOptions {
  /** Probability above which a pixel is text (PaddleOCR det_db_thresh 0.3). */
  threshold: number;
  /** Regions whose mean probability is below this are dropped (det_db_box_thresh 0.6). */
  boxThreshold: number;
  /** How far boxes grow: distance = area × ratio / perimeter (det_db_unclip_ratio 1.5). */
  unclipRatio: number;
  /** Shortest side a box may have, in map pixels (min_size 3). */
  minSize: number;
  maxCandidates: number;
}

export const DB_DEFAULTS: DbOptions = { threshold: 0.3, boxThreshold: 0.6, unclipRatio: 1.5, minSize: 3, maxCandidates: 1000 };

export interface TextBox {
  /** Corners in source-image pixels: top-left, top-right, bottom-right, bottom-left. */
  corners: [Point, Point, Point, Point];
  /** Mean text probability inside the (un-grown) rectangle. */
  score: number;
}

/** Connected regions (8-connectivity) of `mask`, as the boundary pixels of each. */
export function regions(mask: Uint8Array, width: number, height: number): Point[][] {
  const label = new Int32Array(width * height).fill(-1);
  const out: Point[][] = [];
  const stack: number[] = [];
  for (let start = 0; start < mask.length; start++) {
    if (!mask[start] || label[start] !== -1) continue;
    const id = out.length;
    const boundary: Point[] = [];
    label[start] = id;
    stack.push(start);
    while (stack.length > 0) {
      const p = stack.pop()!;
      const x = p % width, y = (p - x) / width;
      let edge = false;
      for (let dy = -1; dy <= 1; dy++) {
        for (let dx = -1; dx <= 1; dx++) {
          if (dx === 0 && dy === 0) continue;
          const nx = x + dx, ny = y + dy;
          if (nx < 0 || ny < 0 || nx >= width || ny >= height) {
            edge = true;
            continue;
          }
          const q = ny * width + nx;
          if (!mask[q]) {
            edge = true;
            continue;
          }
          if (label[q] === -1) {
            label[q] = id;
            stack.push(q);
          }
        }
      }
      if (edge) boundary.push({ x, y });
    }
    out.push(boundary);
  }
  return out;
}

/** Mean of `prob` over map pixels whose centres lie inside the rotated rectangle. */
export function meanInside(prob: Float32Array, width: number, height: number, r: RotatedRect): number {
  const ux = Math.cos(r.angle), uy = Math.sin(r.angle);
  const corners = rectCorners(r);
  const xs = corners.map((c) => c.x), ys = corners.map((c) => c.y);
  const x0 = Math.max(0, Math.floor(Math.min(...xs))), x1 = Math.min(width - 1, Math.ceil(Math.max(...xs)));
  const y0 = Math.max(0, Math.floor(Math.min(...ys))), y1 = Math.min(height - 1, Math.ceil(Math.max(...ys)));
  let sum = 0, n = 0;
  for (let y = y0; y <= y1; y++) {
    for (let x = x0; x <= x1; x++) {
      const dx = x - r.cx, dy = y - r.cy;
      if (Math.abs(dx * ux + dy * uy) <= r.width / 2 + 1e-6 && Math.abs(-dx * uy + dy * ux) <= r.height / 2 + 1e-6) {
        sum += prob[y * width + x]!;
        n++;
      }
    }
  }
  return n > 0 ? sum / n : 0;
}

/**
 * Grows a rectangle by the DB unclip distance. Offsetting a rectangle outward by d (round joins)
 * and taking the minimum-area rectangle of the result gives the rectangle with both sides + 2d,
 * which is what PaddleOCR's pyclipper offset followed by minAreaRect yields.
 */
export function unclip(r: RotatedRect, ratio: number): RotatedRect {
  const perimeter = 2 * (r.width + r.height);
  const d = perimeter > 0 ? (r.width * r.height * ratio) / perimeter : 0;
  return { ...r, width: r.width + 2 * d, height: r.height + 2 * d };
}

/** Text boxes from a probability map of `mapW`×`mapH`, scaled to a `srcW`×`srcH` source image. */
export function dbBoxes(prob: Float32Array, mapW: number, mapH: number, srcW: number, srcH: number, options: DbOptions = DB_DEFAULTS): TextBox[] {
  const mask = new Uint8Array(prob.length);
  for (let i = 0; i < prob.length; i++) mask[i] = prob[i]! > options.threshold ? 1 : 0;
  const boxes: TextBox[] = [];
  for (const points of regions(mask, mapW, mapH).slice(0, options.maxCandidates)) {
    const rect = minAreaRect(points);
    if (Math.min(rect.width, rect.height) < options.minSize) continue;
    const score = meanInside(prob, mapW, mapH, rect);
    if (score < options.boxThreshold) continue;
    const grown = unclip(rect, options.unclipRatio);
    if (Math.min(grown.width, grown.height) < options.minSize + 2) continue;
    const sx = srcW / mapW, sy = srcH / mapH;
    const clip = (v: number, max: number) => Math.min(max, Math.max(0, v));
    const corners = rectCorners(grown).map((c) => ({ x: clip(Math.round(c.x * sx), srcW), y: clip(Math.round(c.y * sy), srcH) })) as TextBox['corners'];
    boxes.push({ corners, score });
  }
  return sortReadingOrder(boxes);
}

/** Top to bottom, then left to right for boxes on the same line (within 10 px, as PaddleOCR). */
export function sortReadingOrder(boxes: TextBox[]): TextBox[] {
  const sorted = [...boxes].sort((a, b) => a.corners[0].y - b.corners[0].y || a.corners[0].x - b.corners[0].x);
  for (let i = 0; i < sorted.length - 1; i++) {
    for (let j = i; j >= 0; j--) {
      const a = sorted[j]!, b = sorted[j + 1]!;
      if (Math.abs(b.corners[0].y - a.corners[0].y) < 10 && b.corners[0].x < a.corners[0].x) [sorted[j], sorted[j + 1]] = [b, a];
      else break;
    }
  }
  return sorted;
}
