import { InvalidInputError, PayloadTooLargeError } from '../../core/errors.js';
import type { Section } from '../chunker.js';
import type { Loader } from './types.js';

interface TextItem {
  str?: string;
  hasEOL?: boolean;
}

/** Text of every page; each page is a section, so chunks keep their page numbers. */
export const loadPdf: Loader = async (bytes, fileName, options) => {
  const pdfjs = await import('pdfjs-dist/legacy/build/pdf.mjs');
  let pdf;
  try {
    pdf = await pdfjs.getDocument({ data: new Uint8Array(bytes), isEvalSupported: false, disableFontFace: true, useSystemFonts: false, verbosity: 0 }).promise;
  } catch (error) {
    throw new InvalidInputError(`${fileName} is not a readable PDF (${(error as Error).message})`);
  }
  try {
    if (pdf.numPages > options.maxPdfPages) {
      throw new PayloadTooLargeError(`${fileName} has ${pdf.numPages} pages; at most ${options.maxPdfPages} are accepted (MAX_PDF_PAGES)`);
    }
    let text = '';
    const sections: Section[] = [];
    for (let n = 1; n <= pdf.numPages; n++) {
      const page = await pdf.getPage(n);
      const content = await page.getTextContent();
      const pageText = (content.items as TextItem[]).map((item) => (item.str ?? '') + (item.hasEOL ? '\n' : '')).join('').trim();
      if (text.length > 0) text += '\n\n';
      sections.push({ start: text.length, end: text.length + pageText.length, page: n });
      text += pageText;
    }
    const info = (await pdf.getMetadata().catch(() => undefined))?.info as { Title?: unknown } | undefined;
    return [{ text, title: typeof info?.Title === 'string' && info.Title.trim() ? info.Title.trim() : null, sections, mime: 'application/pdf' }];
  } finally {
    await pdf.destroy();
  }
};
