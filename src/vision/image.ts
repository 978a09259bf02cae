/**
 * Image decoding for every vision endpoint: PNG, JPEG or WebP bytes → packed RGB pixels, with
 * the byte and pixel limits checked before any model sees the image.
 */
import sharp from 'sharp';
import { InvalidInputError, PayloadTooLargeError, UnsupportedMediaError } from '../core/errors.js';

/** Packed 8-bit RGB, row-major (y, x, channel). */
export interface RgbImage {
  width: number;
  height: number;
  data: Uint8Array;
}

export interface ImageLimits {
  /** Largest encoded image accepted, in bytes (MAX_IMAGE_BYTES). */
  maxBytes: number;
  /** Largest decoded image accepted, width × height (MAX_IMAGE_PIXELS). */
  maxPixels: number;
}

export const IMAGE_FORMATS = ['png', 'jpeg', 'webp'] as const;
export type ImageFormat = (typeof IMAGE_FORMATS)[number];

/** The format named by the file's magic bytes, or undefined when it is none we accept. */
export function sniffFormat(bytes: Uint8Array): ImageFormat | undefined {
  if (bytes.length >= 8 && bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47) return 'png';
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpeg';
  if (bytes.length >= 12 && String.fromCharCode(...bytes.subarray(0, 4)) === 'RIFF' && String.fromCharCode(...bytes.subarray(8, 12)) === 'WEBP') return 'webp';
  return undefined;
}

/** Decodes an encoded image to RGB (alpha composited on white, EXIF orientation applied). */
export async function decodeImage(bytes: Uint8Array, limits: ImageLimits, what = 'the image'): Promise<RgbImage> {
  if (bytes.length === 0) throw new InvalidInputError(`${what} is empty; send a PNG, JPEG or WebP image`);
  if (bytes.length > limits.maxBytes) {
    throw new PayloadTooLargeError(`${what} is ${bytes.length} bytes; at most ${limits.maxBytes} bytes are accepted (MAX_IMAGE_BYTES)`);
  }
  const format = sniffFormat(bytes);
  if (!format) throw new UnsupportedMediaError(`${what} is not a PNG, JPEG or WebP image (accepted: ${IMAGE_FORMATS.join(', ')})`);
  let meta: Awaited<ReturnType<ReturnType<typeof sharp>['metadata']>>;
  try {
    meta = await sharp(bytes, { limitInputPixels: false }).metadata();
  } catch (error) {
    throw new InvalidInputError(`${what} looks like ${format} but cannot be decoded (${(error as Error).message})`);
  }
  const width = meta.width ?? 0;
  const height = meta.height ?? 0;
  if (width * height > limits.maxPixels) {
    throw new InvalidInputError(`${what} is ${width}×${height} = ${width * height} pixels; at most ${limits.maxPixels} pixels are accepted (MAX_IMAGE_PIXELS)`);
  }
  try {
    const { data, info } = await sharp(bytes, { limitInputPixels: limits.maxPixels })
      .rotate()
      .flatten({ background: '#ffffff' })
      .removeAlpha()
      .toColourspace('srgb')
      .raw()
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw new Error(`decoded to ${info.channels} channels`);
    return { width: info.width, height: info.height, data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
  } catch (error) {
    throw new InvalidInputError(`${what} (${format}, ${width}×${height}) cannot be decoded (${(error as Error).message})`);
  }
}

/** Resizes with sharp (bilinear, no aspect change) — the resampling every preprocess uses. */
export async function resizeRgb(image: RgbImage, width: number, height: number): Promise<RgbImage> {
  if (width === image.width && height === image.height) return image;
  const data = await sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } })
    .resize(width, height, { fit: 'fill', kernel: 'linear' })
    .raw()
    .toBuffer();
  return { width, height, data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
}

/** Encodes RGB pixels as PNG. */
export async function encodePng(image: RgbImage | { width: number; height: number; data: Uint8Array; channels: 1 | 3 | 4 }): Promise<Buffer> {
  const channels = 'channels' in image ? image.channels : 3;
  return sharp(image.data, { raw: { width: image.width, height: image.height, channels } }).png().toBuffer();
}
