import { InvalidInputError } from '../../core/errors.js';
import type { Loader } from './types.js';

const decoder = new TextDecoder('utf-8', { fatal: true });

/** Decodes UTF-8 strictly (a BOM is dropped), with a 400 naming the file when it is not UTF-8. */
export function decodeUtf8(bytes: Buffer, fileName: string): string {
  try {
    return decoder.decode(bytes).replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n');
  } catch {
    throw new InvalidInputError(`${fileName} is not valid UTF-8 text; convert it to UTF-8 and upload it again`);
  }
}

export const loadPlainText: Loader = async (bytes, fileName) => [{ text: decodeUtf8(bytes, fileName), title: null, mime: 'text/plain' }];

/** Markdown is indexed as written; its first heading becomes the title. */
export const loadMarkdown: Loader = async (bytes, fileName) => {
  const text = decodeUtf8(bytes, fileName);
  const heading = /^#{1,6}\s+(.+)$/m.exec(text);
  return [{ text, title: heading?.[1]?.trim() ?? null, mime: 'text/markdown' }];
};
