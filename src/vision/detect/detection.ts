/** What every detector returns. */
import type { Box } from '../geometry.js';

export interface Detection {
  label: string;
  classId: number;
  score: number;
  box: Box;
}

export interface DetectOptions {
  /** Detections scoring below this are dropped. */
  scoreThreshold: number;
  /** Boxes of one class overlapping a better one by more than this IoU are suppressed. */
  iouThreshold: number;
  maxDetections: number;
}

export const DETECT_DEFAULTS: DetectOptions = { scoreThreshold: 0.25, iouThreshold: 0.45, maxDetections: 100 };

export interface DetectResult {
  model: string;
  width: number;
  height: number;
  detections: Detection[];
}
