import { describe, expect, it } from 'vitest';
import { classNms, convexHull, iou, minAreaRect, nms, rectCorners } from '../../src/vision/geometry.js';
import type { Point } from '../../src/vision/geometry.js';
import { unclip } from '../../src/vision/ocr/db-postprocess.js';
import { ctcGreedy } from '../../src/vision/ocr/ctc.js';
import { letterboxGeometry, unletterbox } from '../../src/vision/detect/letterbox.js';

describe('IoU and NMS (hand-computed)', () => {
  it('IoU of overlapping, nested, touching and disjoint boxes', () => {
    // 10×10 boxes overlapping in a 5×10 strip: 50 / (100 + 100 - 50) = 1/3.
    expect(iou({ x1: 0, y1: 0, x2: 10, y2: 10 }, { x1: 5, y1: 0, x2: 15, y2: 10 })).toBeCloseTo(1 / 3, 12);
    // Nested 4×4 in 10×10: 16 / 100.
    expect(iou({ x1: 0, y1: 0, x2: 10, y2: 10 }, { x1: 2, y1: 2, x2: 6, y2: 6 })).toBeCloseTo(0.16, 12);
    // Corner overlap 2×3 = 6; union 4·5 + 5·5 − 6 = 39.
    expect(iou({ x1: 0, y1: 0, x2: 4, y2: 5 }, { x1: 2, y1: 2, x2: 7, y2: 7 })).toBeCloseTo(6 / 39, 12);
    expect(iou({ x1: 0, y1: 0, x2: 1, y2: 1 }, { x1: 1, y1: 0, x2: 2, y2: 1 })).toBe(0);
    expect(iou({ x1: 0, y1: 0, x2: 1, y2: 1 }, { x1: 5, y1: 5, x2: 6, y2: 6 })).toBe(0);
    expect(iou({ x1: 0, y1: 0, x2: 0, y2: 0 }, { x1: 0, y1: 0, x2: 0, y2: 0 })).toBe(0);
  });

  it('greedy NMS keeps the best box of each overlapping group, by falling score', () => {
    const boxes = [
      { x1: 0, y1: 0, x2: 10, y2: 10 }, // 0: score 0.8
      { x1: 1, y1: 0, x2: 11, y2: 10 }, // 1: IoU with 0 = 90/110 = 0.818 → suppressed by 0
      { x1: 5, y1: 0, x2: 15, y2: 10 }, // 2: IoU with 0 = 1/3 → kept at threshold 0.5
      { x1: 20, y1: 20, x2: 30, y2: 30 }, // 3: disjoint
    ];
    const scores = [0.8, 0.9, 0.7, 0.1];
    // Box 1 has the best score, so it suppresses box 0 (IoU 0.818); box 2's IoU with box 1 is 60/140 = 0.43.
    expect(nms(boxes, scores, 0.5)).toEqual([1, 2, 3]);
    expect(nms(boxes, scores, 0.4)).toEqual([1, 3]);
    expect(nms(boxes, scores, 0.5, 2)).toEqual([1, 2]);
  });

  it('per-class NMS never lets one class suppress another', () => {
    const boxes = [{ x1: 0, y1: 0, x2: 10, y2: 10 }, { x1: 0, y1: 0, x2: 10, y2: 10 }, { x1: 0, y1: 1, x2: 10, y2: 11 }];
    expect(classNms(boxes, [0.9, 0.8, 0.7], [0, 1, 0], 0.5)).toEqual([0, 1]);
    expect(nms(boxes, [0.9, 0.8, 0.7], 0.5)).toEqual([0]);
  });
});

describe('minimum-area rectangle', () => {
  it('convex hull drops interior and collinear points', () => {
    const pts = [{ x: 0, y: 0 }, { x: 2, y: 0 }, { x: 4, y: 0 }, { x: 4, y: 4 }, { x: 0, y: 4 }, { x: 2, y: 2 }, { x: 1, y: 3 }];
    expect(convexHull(pts).length).toBe(4);
  });

  it('recovers a rotated rectangle from points filling it, and agrees with a brute-force angle search', () => {
    for (const degrees of [0, 12, 30, -20, 44]) {
      const angle = (degrees * Math.PI) / 180;
      const truth = { cx: 50, cy: 40, width: 60, height: 14, angle };
      const pts: Point[] = [];
      for (let u = -30; u <= 30; u += 2) for (let v = -7; v <= 7; v += 1) pts.push({ x: 50 + u * Math.cos(angle) - v * Math.sin(angle), y: 40 + u * Math.sin(angle) + v * Math.cos(angle) });
      const r = minAreaRect(pts);
      expect(r.width).toBeCloseTo(60, 6);
      expect(r.height).toBeCloseTo(14, 6);
      expect(r.cx).toBeCloseTo(50, 6);
      expect(r.cy).toBeCloseTo(40, 6);
      expect(r.angle).toBeCloseTo(angle, 6);
      // Independent reference: the smallest bounding-box area over angles in 0.05° steps.
      let best = Infinity;
      for (let t = 0; t < 90; t += 0.05) {
        const c = Math.cos((t * Math.PI) / 180), s = Math.sin((t * Math.PI) / 180);
        const us = pts.map((p) => p.x * c + p.y * s), vs = pts.map((p) => -p.x * s + p.y * c);
        best = Math.min(best, (Math.max(...us) - Math.min(...us)) * (Math.max(...vs) - Math.min(...vs)));
      }
      expect(r.width * r.height).toBeLessThanOrEqual(best + 1e-6);
      expect(r.width * r.height).toBeGreaterThan(best * 0.995);
    }
  });

  it('corners run top-left, top-right, bottom-right, bottom-left', () => {
    const [tl, tr, br, bl] = rectCorners({ cx: 10, cy: 5, width: 20, height: 10, angle: 0 });
    expect([tl, tr, br, bl]).toEqual([{ x: 0, y: 0 }, { x: 20, y: 0 }, { x: 20, y: 10 }, { x: 0, y: 10 }]);
  });

  it('unclip grows each side by 2 × area × ratio / perimeter', () => {
    // 40×10: area 400, perimeter 100, ratio 1.5 → d = 6 → 52×22.
    const grown = unclip({ cx: 0, cy: 0, width: 40, height: 10, angle: 0.3 }, 1.5);
    expect(grown.width).toBeCloseTo(52, 12);
    expect(grown.height).toBeCloseTo(22, 12);
    expect(grown.angle).toBe(0.3);
  });
});

describe('CTC greedy decoding (hand-computed)', () => {
  it('merges repeats, drops blanks, keeps a repeat separated by a blank, averages kept probabilities', () => {
    const alphabet = ['a', 'b', 'c'];
    // Steps: a a blank a b b c  → "aabc" with kept probabilities 0.9, 0.7, 0.6, 0.8.
    const rows = [
      [0.1, 0.9, 0, 0],
      [0.2, 0.8, 0, 0],
      [0.95, 0.05, 0, 0],
      [0.3, 0.7, 0, 0],
      [0.2, 0.1, 0.6, 0.1],
      [0.1, 0.1, 0.7, 0.1],
      [0.1, 0, 0.1, 0.8],
    ];
    const r = ctcGreedy(Float32Array.from(rows.flat()), rows.length, 4, alphabet);
    expect(r.text).toBe('aabc');
    expect(r.confidence).toBeCloseTo((0.9 + 0.7 + 0.6 + 0.8) / 4, 6);
    expect(ctcGreedy(Float32Array.from([1, 0, 0, 0]), 1, 4, alphabet)).toEqual({ text: '', confidence: 0 });
  });

  it('space recovery: a blank step between characters where the space class reaches the threshold writes one space', () => {
    const alphabet = ['a', 'b', ' '];
    // a, blank (space 0.03), blank (space 0.04), b, blank (space 0.005), a, blank (space 0.05) at the end.
    const rows = [
      [0.1, 0.9, 0, 0],
      [0.97, 0, 0, 0.03],
      [0.96, 0, 0, 0.04],
      [0.1, 0, 0.9, 0],
      [0.995, 0, 0, 0.005],
      [0.2, 0.8, 0, 0],
      [0.95, 0, 0, 0.05],
    ];
    const probs = Float32Array.from(rows.flat());
    expect(ctcGreedy(probs, 7, 4, alphabet).text).toBe('aba');
    const r = ctcGreedy(probs, 7, 4, alphabet, { space: { classIndex: 3, threshold: 0.02 } });
    expect(r.text).toBe('a ba');
    expect(r.confidence).toBeCloseTo((0.9 + 0.9 + 0.8) / 3, 6);
  });
});

describe('letterbox geometry (Ultralytics LetterBox)', () => {
  it('scales to fit, centres and maps boxes back', () => {
    // 128×64 into 64: scale 0.5 → 64×32, pad 16 on top and bottom.
    const g = letterboxGeometry(128, 64, 64);
    expect(g).toEqual({ scale: 0.5, width: 64, height: 32, left: 0, top: 16 });
    expect(unletterbox({ x1: 10, y1: 20, x2: 30, y2: 40 }, g, 128, 64)).toEqual({ x1: 20, y1: 8, x2: 60, y2: 48 });
    // Clipped at the image border.
    expect(unletterbox({ x1: -5, y1: 0, x2: 70, y2: 60 }, g, 128, 64)).toEqual({ x1: 0, y1: 0, x2: 128, y2: 64 });
  });
});
