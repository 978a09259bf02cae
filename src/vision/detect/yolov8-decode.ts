/**
 * YOLOv8's anchor-free detection head, decoded: the output is 1 × (4 + C) × N (N = 8400 for a
 * 640 input: 80² + 40² + 20² grid cells). For each cell, rows 0–3 hold the box centre and size
 * (cx, cy, w, h) in input pixels (the DFL and stride are already applied in the exported graph)
 * and rows 4… the per-class probabilities (sigmoid applied; no separate objectness).
 */
import { classNms } from '../geometry.js';
import type { Box } from '../geometry.js';
import type { DetectOptions } from './detection.js';

export interface RawDetection {
  classId: number;
  score: number;
  /** In network input pixels. */
  box: Box;
}

/** Candidates above the score threshold, before NMS. */
export function yoloCandidates(output: Float32Array, dims: readonly number[], scoreThreshold: number): RawDetection[] {
  if (dims.length !== 3 || dims[0] !== 1 || dims[1]! < 5) throw new Error(`a YOLOv8 head output is 1×(4+classes)×anchors; this one is ${dims.join('×')}`);
  const rows = dims[1]!;
  const n = dims[2]!;
  const out: RawDetection[] = [];
  for (let a = 0; a < n; a++) {
    let best = -1;
    let bestScore = -Infinity;
    for (let c = 4; c < rows; c++) {
      const s = output[c * n + a]!;
      if (s > bestScore) {
        bestScore = s;
        best = c - 4;
      }
    }
    if (bestScore < scoreThreshold) continue;
    const cx = output[a]!, cy = output[n + a]!, w = output[2 * n + a]!, h = output[3 * n + a]!;
    out.push({ classId: best, score: bestScore, box: { x1: cx - w / 2, y1: cy - h / 2, x2: cx + w / 2, y2: cy + h / 2 } });
  }
  return out;
}

/** Candidates → per-class NMS → at most `maxDetections`, best first. */
export function decodeYolov8(output: Float32Array, dims: readonly number[], options: DetectOptions): RawDetection[] {
  const candidates = yoloCandidates(output, dims, options.scoreThreshold);
  const kept = classNms(
    candidates.map((c) => c.box),
    candidates.map((c) => c.score),
    candidates.map((c) => c.classId),
    options.iouThreshold,
    options.maxDetections,
  );
  return kept.map((i) => candidates[i]!);
}
