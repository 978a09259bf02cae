/** Letterboxing (Ultralytics LetterBox): fit inside a square keeping the aspect, centre, pad grey 114. */
import sharp from 'sharp';
import type { Box } from '../geometry.js';
import type { RgbImage } from '../image.js';

export interface Letterbox {
  image: RgbImage;
  /** Scale from source to network pixels. */
  scale: number;
  left: number;
  top: number;
}

export const LETTERBOX_PAD = 114;

export function letterboxGeometry(width: number, height: number, size: number): { scale: number; width: number; height: number; left: number; top: number } {
  const scale = Math.min(size / width, size / height);
  const w = Math.round(width * scale);
  const h = Math.round(height * scale);
  return { scale, width: w, height: h, left: Math.max(0, Math.round((size - w) / 2 - 0.1)), top: Math.max(0, Math.round((size - h) / 2 - 0.1)) };
}

export async function letterbox(image: RgbImage, size: number): Promise<Letterbox> {
  const g = letterboxGeometry(image.width, image.height, size);
  const data = await sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } })
    .resize(g.width, g.height, { fit: 'fill', kernel: 'linear' })
    .extend({ left: g.left, top: g.top, right: size - g.width - g.left, bottom: size - g.height - g.top, background: { r: LETTERBOX_PAD, g: LETTERBOX_PAD, b: LETTERBOX_PAD } })
    .raw()
    .toBuffer();
  return { image: { width: size, height: size, data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) }, scale: g.scale, left: g.left, top: g.top };
}

/** A box in network pixels mapped back to the source image, clipped to it. */
export function unletterbox(box: Box, lb: Pick<Letterbox, 'scale' | 'left' | 'top'>, width: number, height: number): Box {
  const cx = (v: number) => Math.min(width, Math.max(0, (v - lb.left) / lb.scale));
  const cy = (v: number) => Math.min(height, Math.max(0, (v - lb.top) / lb.scale));
  return { x1: cx(box.x1), y1: cy(box.y1), x2: cx(box.x2), y2: cy(box.y2) };
}
