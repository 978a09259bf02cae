/** Person segmentation: resize to 256² (RGB / 255) → converted selfie graph → mask resized back → PNG + coverage. */
import sharp from 'sharp';
import { resizeRgb } from '../image.js';
import type { RgbImage } from '../image.js';
import type { ModelRegistry } from '../model-registry.js';
import { toTensor } from '../tensor.js';
import { SELFIE } from '../converted-models.js';

export interface SegmentResult {
  model: string;
  width: number;
  height: number;
  /** Share of pixels whose person probability is at least `threshold`. */
  coverage: number;
  threshold: number;
  /** Greyscale PNG at the image's size: person probability × 255. */
  mask: Buffer;
}

/** The model's probability map resized (bilinear) to the image's size, as bytes 0–255. */
export async function maskToImageSize(probs: Float32Array, mw: number, mh: number, width: number, height: number): Promise<Uint8Array> {
  const bytes = Uint8Array.from(probs, (p) => Math.round(Math.min(1, Math.max(0, p)) * 255));
  const out = await sharp(bytes, { raw: { width: mw, height: mh, channels: 1 } }).resize(width, height, { fit: 'fill', kernel: 'linear' }).extractChannel(0).raw().toBuffer();
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}

export class SelfieSegmenter {
  readonly id = SELFIE.id;

  constructor(private readonly models: ModelRegistry) {}

  /** The raw 256×256 probability map. */
  async probabilities(image: RgbImage): Promise<{ data: Float32Array; width: number; height: number }> {
    const session = await this.models.session(this.id);
    const [, h, w] = SELFIE.inputShape;
    const input = toTensor(await resizeRgb(image, w, h), { mean: [0, 0, 0], std: [1, 1, 1], scale: 255, order: 'rgb' }, 'nhwc');
    const out = await session.run({ [SELFIE.input]: input }, { priority: 'interactive' });
    return { data: out.mask!.data as Float32Array, width: w, height: h };
  }

  async run(image: RgbImage, threshold = 0.5): Promise<SegmentResult & { maskBytes: Uint8Array }> {
    const probs = await this.probabilities(image);
    const maskBytes = await maskToImageSize(probs.data, probs.width, probs.height, image.width, image.height);
    const cut = threshold * 255;
    let on = 0;
    for (const v of maskBytes) if (v >= cut) on++;
    const mask = await sharp(maskBytes, { raw: { width: image.width, height: image.height, channels: 1 } }).toColourspace('b-w').png().toBuffer();
    return { model: this.id, width: image.width, height: image.height, coverage: on / maskBytes.length, threshold, mask, maskBytes };
  }
}
