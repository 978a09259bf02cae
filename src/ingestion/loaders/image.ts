import { UnsupportedMediaError } from '../../core/errors.js';
import type { Loader } from './types.js';

/** An image's text, read by OCR (the vision service's PP-OCR pipeline); each line on its own line. */
export const loadImage: Loader = async (bytes, fileName, options) => {
  if (!options.imageText) throw new UnsupportedMediaError(`${fileName} is an image, and image documents need OCR, which this ingestion path has not been given`);
  const text = await options.imageText(bytes);
  return [{ text, title: null, mime: mimeOf(fileName) }];
};

function mimeOf(fileName: string): string {
  const lower = fileName.toLowerCase();
  if (lower.endsWith('.png')) return 'image/png';
  if (lower.endsWith('.webp')) return 'image/webp';
  return 'image/jpeg';
}
