import { parseHtml } from './html-parser.js';
import { decodeUtf8 } from './text.js';
import type { Loader } from './types.js';

const SKIPPED = new Set(['script', 'style', 'noscript', 'template', 'svg', 'head']);
const BLOCK = new Set(['p', 'div', 'br', 'li', 'ul', 'ol', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'tr', 'table', 'section', 'article', 'header', 'footer', 'blockquote', 'pre', 'hr', 'dd', 'dt']);

/** Visible text of an HTML page (scripts, styles and the head dropped), blocks on their own lines. */
export const loadHtml: Loader = async (bytes, fileName) => {
  const html = decodeUtf8(bytes, fileName);
  let text = '';
  let title = '';
  let skipping = 0;
  let inTitle = false;
  // Line breaks added for blocks since the last text: more than two collapse into two below, so
  // they are not added (a page of 400,000 nested blocks would otherwise make 800,000).
  let breaks = 0;
  const blockBreak = () => {
    if (breaks < 2) {
      text += '\n';
      breaks++;
    }
  };
  parseHtml(html, {
    onopentag(name) {
      if (name === 'title') inTitle = true;
      else if (SKIPPED.has(name)) skipping++;
      if (BLOCK.has(name)) blockBreak();
    },
    ontext(data) {
      if (inTitle) title += data;
      else if (skipping === 0 && data.length > 0) {
        text += data;
        breaks = 0;
      }
    },
    onclosetag(name) {
      if (name === 'title') inTitle = false;
      else if (SKIPPED.has(name)) skipping = Math.max(0, skipping - 1);
      if (BLOCK.has(name)) blockBreak();
    },
  });
  const clean = text.replace(/[ \t\f\v]+/g, ' ').replace(/ *\n */g, '\n').replace(/\n{3,}/g, '\n\n').trim();
  return [{ text: clean, title: title.trim() || null, mime: 'text/html' }];
};
