import { extname } from 'node:path';
import { UnsupportedMediaError } from '../../core/errors.js';
import { loadHtml } from './html.js';
import { loadImage } from './image.js';
import { loadJson, loadJsonLines } from './json.js';
import { loadPdf } from './pdf.js';
import { loadMarkdown, loadPlainText } from './text.js';
import type { Loader } from './types.js';

/** File extension → loader. The keys are the file types the service accepts. */
export const LOADERS: Readonly<Record<string, Loader>> = Object.freeze({
  '.txt': loadPlainText,
  '.text': loadPlainText,
  '.md': loadMarkdown,
  '.markdown': loadMarkdown,
  '.html': loadHtml,
  '.htm': loadHtml,
  '.pdf': loadPdf,
  '.json': loadJson,
  '.jsonl': loadJsonLines,
  '.ndjson': loadJsonLines,
  '.png': loadImage,
  '.jpg': loadImage,
  '.jpeg': loadImage,
  '.webp': loadImage,
});

export const ACCEPTED_EXTENSIONS = Object.keys(LOADERS);

export function loaderFor(fileName: string): Loader {
  const loader = LOADERS[extname(fileName).toLowerCase()];
  if (!loader) {
    throw new UnsupportedMediaError(`"${fileName}" has an unsupported file type; accepted: ${ACCEPTED_EXTENSIONS.join(', ')}`);
  }
  return loader;
}
