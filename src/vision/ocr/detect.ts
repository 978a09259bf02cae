/** PP-OCR text detection: preprocess (resize to multiples of 32, ImageNet normalisation, BGR) → DBNet → boxes. */
import type { HostTensor, ModelSession } from '../../runtime/onnx-runtime.js';
import { resizeRgb } from '../image.js';
import type { RgbImage } from '../image.js';
import { toTensor } from '../tensor.js';
import { DB_DEFAULTS, dbBoxes } from './db-postprocess.js';
import type { DbOptions, TextBox } from './db-postprocess.js';

/** PaddleOCR's det_limit_side_len / det_limit_type 'max': the longer side is at most this. */
export const DET_MAX_SIDE = 960;

/** The network's input size for a `width`×`height` image: scaled to fit, each side a multiple of 32 (≥ 32). */
export function detInputSize(width: number, height: number, maxSide = DET_MAX_SIDE): { width: number; height: number } {
  const ratio = Math.max(width, height) > maxSide ? maxSide / Math.max(width, height) : 1;
  const round32 = (v: number) => Math.max(32, Math.round((v * ratio) / 32) * 32);
  return { width: round32(width), height: round32(height) };
}

export async function detectPreprocess(image: RgbImage): Promise<HostTensor> {
  const size = detInputSize(image.width, image.height);
  const resized = await resizeRgb(image, size.width, size.height);
  return toTensor(resized, { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225], scale: 255, order: 'bgr' }, 'nchw');
}

export function detectPostprocess(output: HostTensor, image: RgbImage, options: DbOptions = DB_DEFAULTS): TextBox[] {
  const [, , h, w] = output.dims as [number, number, number, number];
  return dbBoxes(output.data as Float32Array, w, h, image.width, image.height, options);
}

export async function detectText(session: ModelSession, image: RgbImage, options?: DbOptions): Promise<TextBox[]> {
  const input = await detectPreprocess(image);
  const outputs = await session.run({ [session.inputNames[0]!]: input }, { priority: 'interactive' });
  return detectPostprocess(outputs[session.outputNames[0]!]!, image, options);
}
