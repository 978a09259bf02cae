/**
 * PP-OCR line crops, direction classification and CRNN recognition: each stage a preprocess
 * (crop or resize, normalise to [-1, 1], BGR, pad) → session → postprocess.
 */
import type { HostTensor, ModelSession } from '../../runtime/onnx-runtime.js';
import type { Point } from '../geometry.js';
import type { RgbImage } from '../image.js';
import { rotate180, sampleQuad, toTensor } from '../tensor.js';
import type { Normalisation } from '../tensor.js';
import { ctcGreedy } from './ctc.js';
import type { CtcResult } from './ctc.js';

const MINUS_ONE_TO_ONE: Normalisation = { mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5], scale: 255, order: 'bgr' };
const dist = (a: Point, b: Point) => Math.hypot(a.x - b.x, a.y - b.y);

/** The text line under `corners` (tl, tr, br, bl), upright, at `height` px high (PaddleOCR get_rotate_crop_image + resize). */
export function cropLine(image: RgbImage, corners: readonly [Point, Point, Point, Point], height: number, maxWidth = Infinity): RgbImage {
  const [tl, tr, br, bl] = corners;
  const w = Math.max(dist(tl, tr), dist(bl, br));
  const h = Math.max(dist(tl, bl), dist(tr, br));
  if (h >= 1.5 * w) {
    // Vertical line: read it turned by 90° (PaddleOCR rotates such crops).
    const width = Math.max(1, Math.min(maxWidth, Math.ceil((height * h) / Math.max(1, w))));
    return sampleQuad(image, bl, tl, br, width, height);
  }
  const width = Math.max(1, Math.min(maxWidth, Math.ceil((height * w) / Math.max(1, h))));
  return sampleQuad(image, tl, tr, bl, width, height);
}

/** Direction classifier input: 3×48×192, the crop left-aligned, padded with zeros. */
export const CLS_SHAPE = { height: 48, width: 192 } as const;
/** Turn a crop when the classifier says "180°" with at least this probability (cls_thresh). */
export const CLS_THRESHOLD = 0.9;

export function directionPreprocess(crop: RgbImage): HostTensor {
  return toTensor(crop, MINUS_ONE_TO_ONE, 'nchw', { ...CLS_SHAPE, pad: 0 });
}

/** Probability that the crop is upside down. */
export async function upsideDown(session: ModelSession, crop: RgbImage): Promise<number> {
  const out = await session.run({ [session.inputNames[0]!]: directionPreprocess(crop) }, { priority: 'interactive' });
  return (out[session.outputNames[0]!]!.data as Float32Array)[1]!;
}

/** Recognition input: 3×48×W with W ≥ 320 (PaddleOCR rec_image_shape 3,48,320), padded with zeros. */
export const REC_HEIGHT = 48;
export const REC_MIN_WIDTH = 320;
/** Longer lines are squeezed to this width (a 66:1 line), so one line cannot take minutes. */
export const REC_MAX_WIDTH = 3200;

export function recognisePreprocess(crop: RgbImage): HostTensor {
  return toTensor(crop, MINUS_ONE_TO_ONE, 'nchw', { width: Math.max(REC_MIN_WIDTH, crop.width), height: REC_HEIGHT, pad: 0 });
}

/** A blank step whose space probability reaches this becomes a space between words (see CtcOptions). */
export const SPACE_THRESHOLD = 0.015;

export async function recognise(session: ModelSession, crop: RgbImage, alphabet: readonly string[]): Promise<CtcResult> {
  const out = await session.run({ [session.inputNames[0]!]: recognisePreprocess(crop) }, { priority: 'interactive' });
  const probs = out[session.outputNames[0]!]!;
  const [, steps, classes] = probs.dims as [number, number, number];
  const spaceClass = alphabet.lastIndexOf(' ') + 1;
  return ctcGreedy(probs.data as Float32Array, steps, classes, alphabet, spaceClass > 0 ? { space: { classIndex: spaceClass, threshold: SPACE_THRESHOLD } } : {});
}

/** Reads one line: crop, turn when the classifier says so, recognise. */
export async function readLine(
  sessions: { cls: ModelSession | null; rec: ModelSession },
  image: RgbImage,
  corners: readonly [Point, Point, Point, Point],
  alphabet: readonly string[],
): Promise<CtcResult & { rotated: boolean }> {
  let crop = cropLine(image, corners, REC_HEIGHT, REC_MAX_WIDTH);
  let rotated = false;
  if (sessions.cls) {
    const clsCrop = cropLine(image, corners, CLS_SHAPE.height, CLS_SHAPE.width);
    if ((await upsideDown(sessions.cls, clsCrop)) > CLS_THRESHOLD) {
      crop = rotate180(crop);
      rotated = true;
    }
  }
  return { ...(await recognise(sessions.rec, crop, alphabet)), rotated };
}
