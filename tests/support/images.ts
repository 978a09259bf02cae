/** Images drawn inside tests: text rendered from SVG, filled shapes. */
import sharp from 'sharp';

const escape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** PNG bytes of black text lines on white (DejaVu Sans via librsvg), one line per entry. */
export async function textImage(lines: string[], options: { fontSize?: number; width?: number; rotate?: number } = {}): Promise<Buffer> {
  const size = options.fontSize ?? 32;
  const width = options.width ?? Math.max(...lines.map((l) => l.length)) * size * 0.62 + 40;
  const height = lines.length * size * 1.8 + 30;
  const text = lines.map((l, i) => `<text x="20" y="${30 + size + i * size * 1.8}" font-family="DejaVu Sans" font-size="${size}" fill="#111">${escape(l)}</text>`).join('');
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${Math.round(width)}" height="${Math.round(height)}"><rect width="100%" height="100%" fill="#fff"/>${text}</svg>`;
  let image = sharp(Buffer.from(svg)).flatten({ background: '#fff' });
  if (options.rotate) image = sharp(await image.png().toBuffer()).rotate(options.rotate, { background: '#fff' });
  return image.png().toBuffer();
}
