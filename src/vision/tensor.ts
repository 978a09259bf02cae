/** Pixels → model input tensors, and bilinear sampling of image regions. */
import type { HostTensor } from '../runtime/onnx-runtime.js';
import type { Point } from './geometry.js';
import type { RgbImage } from './image.js';

export interface Normalisation {
  /** Per-channel mean and std, applied to value/scale, in the order of the tensor's channels. */
  mean: readonly [number, number, number];
  std: readonly [number, number, number];
  /** Divisor applied first (255 maps bytes to [0, 1]; 1 keeps bytes). */
  scale: number;
  /** Channel order of the tensor: 'rgb', or 'bgr' for models trained on OpenCV-read images. */
  order: 'rgb' | 'bgr';
}

/**
 * A 1×3×H×W (layout 'nchw') or 1×H×W×3 ('nhwc') float tensor of `image` placed at the top-left of
 * a `width`×`height` canvas (defaults: the image's size); the rest is `pad` (after normalisation).
 */
export function toTensor(image: RgbImage, norm: Normalisation, layout: 'nchw' | 'nhwc', canvas?: { width: number; height: number; pad: number }): HostTensor {
  const W = canvas?.width ?? image.width;
  const H = canvas?.height ?? image.height;
  const data = new Float32Array(3 * W * H).fill(canvas?.pad ?? 0);
  const src = norm.order === 'rgb' ? [0, 1, 2] : [2, 1, 0];
  for (let y = 0; y < Math.min(H, image.height); y++) {
    for (let x = 0; x < Math.min(W, image.width); x++) {
      const p = (y * image.width + x) * 3;
      for (let c = 0; c < 3; c++) {
        const v = (image.data[p + src[c]!]! / norm.scale - norm.mean[c]!) / norm.std[c]!;
        data[layout === 'nchw' ? c * H * W + y * W + x : (y * W + x) * 3 + c] = v;
      }
    }
  }
  return { type: 'float32', data, dims: layout === 'nchw' ? [1, 3, H, W] : [1, H, W, 3] };
}

/**
 * Samples the parallelogram spanned by `tl`, `tr`, `bl` (corners of the region, in image pixels)
 * into a `width`×`height` image, bilinear, edges clamped (OpenCV's BORDER_REPLICATE).
 */
export function sampleQuad(image: RgbImage, tl: Point, tr: Point, bl: Point, width: number, height: number): RgbImage {
  const out = new Uint8Array(width * height * 3);
  const ux = (tr.x - tl.x) / width, uy = (tr.y - tl.y) / width;
  const vx = (bl.x - tl.x) / height, vy = (bl.y - tl.y) / height;
  for (let j = 0; j < height; j++) {
    for (let i = 0; i < width; i++) {
      // Pixel centres map to pixel centres: sample at continuous coordinates minus 0.5.
      const sx = tl.x + (i + 0.5) * ux + (j + 0.5) * vx - 0.5;
      const sy = tl.y + (i + 0.5) * uy + (j + 0.5) * vy - 0.5;
      bilinear(image, sx, sy, out, (j * width + i) * 3);
    }
  }
  return { width, height, data: out };
}

function bilinear(image: RgbImage, x: number, y: number, out: Uint8Array, at: number): void {
  const clampX = (v: number) => Math.min(image.width - 1, Math.max(0, v));
  const clampY = (v: number) => Math.min(image.height - 1, Math.max(0, v));
  const x0 = Math.floor(x), y0 = Math.floor(y);
  const fx = x - x0, fy = y - y0;
  const xa = clampX(x0), xb = clampX(x0 + 1), ya = clampY(y0), yb = clampY(y0 + 1);
  const d = image.data, w = image.width;
  for (let c = 0; c < 3; c++) {
    const top = d[(ya * w + xa) * 3 + c]! * (1 - fx) + d[(ya * w + xb) * 3 + c]! * fx;
    const bottom = d[(yb * w + xa) * 3 + c]! * (1 - fx) + d[(yb * w + xb) * 3 + c]! * fx;
    out[at + c] = Math.round(top * (1 - fy) + bottom * fy);
  }
}

/** The image turned by 180°. */
export function rotate180(image: RgbImage): RgbImage {
  const out = new Uint8Array(image.data.length);
  const n = image.width * image.height;
  for (let i = 0; i < n; i++) out.set(image.data.subarray(i * 3, i * 3 + 3), (n - 1 - i) * 3);
  return { width: image.width, height: image.height, data: out };
}
