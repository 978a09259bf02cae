/**
 * ESRGAN super-resolution (UpscalerJS esrgan-slim, RDN generator): the image is cut into tiles
 * with a margin of context on every side, each tile is upscaled (0–255 in, 0–255 out), and the
 * tiles' centres are stitched, so that memory stays bounded whatever the image size.
 */
import type { HostTensor, ModelSession } from '../../runtime/onnx-runtime.js';
import type { RgbImage } from '../image.js';
import type { ModelRegistry } from '../model-registry.js';

export const UPSCALE_FACTORS = [2, 4] as const;
export type UpscaleFactor = (typeof UPSCALE_FACTORS)[number];

export interface TileOptions {
  /** Tile side in input pixels (UpscalerJS's patch size for these models: 128). */
  tile: number;
  /** Context added around each tile, cut away after upscaling. */
  margin: number;
}

export const TILE_DEFAULTS: TileOptions = { tile: 128, margin: 16 };

export interface UpscaleResult {
  model: string;
  scale: UpscaleFactor;
  width: number;
  height: number;
  tiles: number;
  image: RgbImage;
}

/** Tile origins along one axis: 0, tile, 2·tile, … below `length`. */
export function tileStarts(length: number, tile: number): number[] {
  return Array.from({ length: Math.ceil(length / tile) }, (_, i) => i * tile);
}

function cut(image: RgbImage, x0: number, y0: number, w: number, h: number): HostTensor {
  const data = new Float32Array(w * h * 3);
  for (let y = 0; y < h; y++) {
    const row = ((y0 + y) * image.width + x0) * 3;
    for (let i = 0; i < w * 3; i++) data[y * w * 3 + i] = image.data[row + i]!;
  }
  return { type: 'float32', data, dims: [1, h, w, 3] };
}

export async function upscaleTiled(session: ModelSession, image: RgbImage, scale: number, options: TileOptions = TILE_DEFAULTS): Promise<{ image: RgbImage; tiles: number }> {
  const W = image.width * scale, H = image.height * scale;
  const out = new Uint8Array(W * H * 3);
  let tiles = 0;
  for (const ty of tileStarts(image.height, options.tile)) {
    for (const tx of tileStarts(image.width, options.tile)) {
      const th = Math.min(options.tile, image.height - ty), tw = Math.min(options.tile, image.width - tx);
      const x0 = Math.max(0, tx - options.margin), y0 = Math.max(0, ty - options.margin);
      const x1 = Math.min(image.width, tx + tw + options.margin), y1 = Math.min(image.height, ty + th + options.margin);
      const result = await session.run({ [session.inputNames[0]!]: cut(image, x0, y0, x1 - x0, y1 - y0) }, { priority: 'interactive' });
      const sr = result[session.outputNames[0]!]!;
      const sw = sr.dims[2]!;
      const data = sr.data as Float32Array;
      for (let y = 0; y < th * scale; y++) {
        const srcRow = ((ty - y0) * scale + y) * sw;
        const dstRow = (ty * scale + y) * W;
        for (let x = 0; x < tw * scale; x++) {
          const s = (srcRow + (tx - x0) * scale + x) * 3;
          const d = (dstRow + tx * scale + x) * 3;
          for (let c = 0; c < 3; c++) out[d + c] = Math.min(255, Math.max(0, Math.round(data[s + c]!)));
        }
      }
      tiles++;
    }
  }
  return { image: { width: W, height: H, data: out }, tiles };
}

export class EsrganUpscaler {
  constructor(private readonly models: ModelRegistry) {}

  static modelId(scale: UpscaleFactor): string {
    return `esrgan-slim-x${scale}`;
  }

  async run(image: RgbImage, scale: UpscaleFactor, options?: TileOptions): Promise<UpscaleResult> {
    const id = EsrganUpscaler.modelId(scale);
    const session = await this.models.session(id);
    const { image: big, tiles } = await upscaleTiled(session, image, scale, options);
    return { model: id, scale, width: big.width, height: big.height, tiles, image: big };
  }
}
