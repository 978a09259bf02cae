/** Boxes, overlap and non-maximum suppression; convex hulls and minimum-area rectangles. */

/** Axis-aligned box in pixels: left, top, right, bottom. */
export interface Box {
  x1: number;
  y1: number;
  x2: number;
  y2: number;
}

export interface Point {
  x: number;
  y: number;
}

export function area(b: Box): number {
  return Math.max(0, b.x2 - b.x1) * Math.max(0, b.y2 - b.y1);
}

/** Intersection over union of two boxes (0 when either is empty). */
export function iou(a: Box, b: Box): number {
  const w = Math.min(a.x2, b.x2) - Math.max(a.x1, b.x1);
  const h = Math.min(a.y2, b.y2) - Math.max(a.y1, b.y1);
  if (w <= 0 || h <= 0) return 0;
  const inter = w * h;
  const union = area(a) + area(b) - inter;
  return union > 0 ? inter / union : 0;
}

/**
 * Greedy non-maximum suppression: walk the boxes by falling score, keep one unless it overlaps
 * an already kept box by more than `iouThreshold`. Returns the kept indices, best first.
 * Ties in score keep the earlier index first, so the result is deterministic.
 */
export function nms(boxes: readonly Box[], scores: readonly number[], iouThreshold: number, maxKeep = Infinity): number[] {
  const order = boxes.map((_, i) => i).sort((a, b) => scores[b]! - scores[a]! || a - b);
  const kept: number[] = [];
  for (const i of order) {
    if (kept.length >= maxKeep) break;
    if (kept.every((k) => iou(boxes[k]!, boxes[i]!) <= iouThreshold)) kept.push(i);
  }
  return kept;
}

/** Per-class NMS: boxes of different classes never suppress each other. */
export function classNms(boxes: readonly Box[], scores: readonly number[], classes: readonly number[], iouThreshold: number, maxKeep = Infinity): number[] {
  const byClass = new Map<number, number[]>();
  classes.forEach((c, i) => {
    const members = byClass.get(c);
    if (members) members.push(i);
    else byClass.set(c, [i]);
  });
  const kept: number[] = [];
  for (const members of byClass.values()) {
    const local = nms(members.map((i) => boxes[i]!), members.map((i) => scores[i]!), iouThreshold);
    kept.push(...local.map((j) => members[j]!));
  }
  return kept.sort((a, b) => scores[b]! - scores[a]! || a - b).slice(0, maxKeep);
}

const cross = (o: Point, a: Point, b: Point) => (a.x - o.x) * (b.y - o.y) - (a.y - o.y) * (b.x - o.x);

/** Convex hull (Andrew's monotone chain), counter-clockwise in y-up terms, without collinear points. */
export function convexHull(points: readonly Point[]): Point[] {
  const sorted = [...points].sort((a, b) => a.x - b.x || a.y - b.y);
  if (sorted.length <= 2) return sorted;
  const lower: Point[] = [];
  for (const p of sorted) {
    while (lower.length >= 2 && cross(lower[lower.length - 2]!, lower[lower.length - 1]!, p) <= 0) lower.pop();
    lower.push(p);
  }
  const upper: Point[] = [];
  for (let i = sorted.length - 1; i >= 0; i--) {
    const p = sorted[i]!;
    while (upper.length >= 2 && cross(upper[upper.length - 2]!, upper[upper.length - 1]!, p) <= 0) upper.pop();
    upper.push(p);
  }
  return [...lower.slice(0, -1), ...upper.slice(0, -1)];
}

/** A rotated rectangle: centre, side lengths and the direction of the `width` side (radians). */
export interface RotatedRect {
  cx: number;
  cy: number;
  width: number;
  height: number;
  angle: number;
}

/**
 * The minimum-area enclosing rectangle of a point set (rotating calipers over the hull's edges:
 * the optimal rectangle has a side collinear with a hull edge).
 */
export function minAreaRect(points: readonly Point[]): RotatedRect {
  const hull = convexHull(points);
  if (hull.length === 0) return { cx: 0, cy: 0, width: 0, height: 0, angle: 0 };
  if (hull.length === 1) return { cx: hull[0]!.x, cy: hull[0]!.y, width: 0, height: 0, angle: 0 };
  let best: RotatedRect | undefined;
  let bestArea = Infinity;
  for (let i = 0; i < hull.length; i++) {
    const a = hull[i]!;
    const b = hull[(i + 1) % hull.length]!;
    const len = Math.hypot(b.x - a.x, b.y - a.y);
    if (len === 0) continue;
    const ux = (b.x - a.x) / len;
    const uy = (b.y - a.y) / len;
    let minU = Infinity, maxU = -Infinity, minV = Infinity, maxV = -Infinity;
    for (const p of hull) {
      const u = p.x * ux + p.y * uy;
      const v = -p.x * uy + p.y * ux;
      minU = Math.min(minU, u); maxU = Math.max(maxU, u);
      minV = Math.min(minV, v); maxV = Math.max(maxV, v);
    }
    const rectArea = (maxU - minU) * (maxV - minV);
    if (rectArea < bestArea - 1e-9) {
      bestArea = rectArea;
      const cu = (minU + maxU) / 2;
      const cv = (minV + maxV) / 2;
      best = { cx: cu * ux - cv * uy, cy: cu * uy + cv * ux, width: maxU - minU, height: maxV - minV, angle: Math.atan2(uy, ux) };
    }
  }
  return normaliseRect(best!);
}

/** The same rectangle with its angle in (-45°, 45°]: `width` runs roughly along x. */
export function normaliseRect(r: RotatedRect): RotatedRect {
  let { width, height, angle } = r;
  angle = Math.atan2(Math.sin(angle), Math.cos(angle));
  while (angle > Math.PI / 4 + 1e-9) {
    angle -= Math.PI / 2;
    [width, height] = [height, width];
  }
  while (angle <= -Math.PI / 4 - 1e-9) {
    angle += Math.PI / 2;
    [width, height] = [height, width];
  }
  return { cx: r.cx, cy: r.cy, width, height, angle };
}

/** Corners clockwise on screen (y down) from the top-left: top-left, top-right, bottom-right, bottom-left. */
export function rectCorners(r: RotatedRect): [Point, Point, Point, Point] {
  const ux = Math.cos(r.angle), uy = Math.sin(r.angle);
  const vx = -uy, vy = ux;
  const hw = r.width / 2, hh = r.height / 2;
  const at = (su: number, sv: number): Point => ({ x: r.cx + su * hw * ux + sv * hh * vx, y: r.cy + su * hw * uy + sv * hh * vy });
  return [at(-1, -1), at(1, -1), at(1, 1), at(-1, 1)];
}

/** The axis-aligned box around points. */
export function boundingBox(points: readonly Point[]): Box {
  let x1 = Infinity, y1 = Infinity, x2 = -Infinity, y2 = -Infinity;
  for (const p of points) {
    x1 = Math.min(x1, p.x); y1 = Math.min(y1, p.y);
    x2 = Math.max(x2, p.x); y2 = Math.max(y2, p.y);
  }
  return { x1, y1, x2, y2 };
}
