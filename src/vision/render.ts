/** Annotated PNGs for `?render=png`: the image with polygons, boxes and labels drawn over it. */
import sharp from 'sharp';
import type { Point } from './geometry.js';
import type { RgbImage } from './image.js';

export interface Shape {
  polygon: readonly Point[];
  label: string;
  colour?: string;
}

const PALETTE = ['#e6194b', '#3cb44b', '#4363d8', '#f58231', '#911eb4', '#42d4f4', '#f032e6', '#9a6324'];
const escape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** The SVG overlay (exported for tests: it names every shape's label). */
export function overlaySvg(width: number, height: number, shapes: readonly Shape[]): string {
  const stroke = Math.max(2, Math.round(Math.min(width, height) / 300));
  const font = Math.max(12, Math.round(Math.min(width, height) / 40));
  const parts = shapes.map((s, i) => {
    const colour = s.colour ?? PALETTE[i % PALETTE.length]!;
    const points = s.polygon.map((p) => `${p.x.toFixed(1)},${p.y.toFixed(1)}`).join(' ');
    const top = s.polygon.reduce((a, p) => (p.y < a.y || (p.y === a.y && p.x < a.x) ? p : a), s.polygon[0] ?? { x: 0, y: 0 });
    const y = Math.max(font, top.y - 3);
    return `<polygon points="${points}" fill="none" stroke="${colour}" stroke-width="${stroke}"/><text x="${top.x.toFixed(1)}" y="${y.toFixed(1)}" font-family="DejaVu Sans, sans-serif" font-size="${font}" fill="${colour}" stroke="#fff" stroke-width="0.6">${escape(s.label)}</text>`;
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">${parts.join('')}</svg>`;
}

export async function renderShapes(image: RgbImage, shapes: readonly Shape[]): Promise<Buffer> {
  return sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } })
    .composite([{ input: Buffer.from(overlaySvg(image.width, image.height, shapes)), top: 0, left: 0 }])
    .png()
    .toBuffer();
}

export const boxPolygon = (b: { x1: number; y1: number; x2: number; y2: number }): Point[] => [
  { x: b.x1, y: b.y1 },
  { x: b.x2, y: b.y1 },
  { x: b.x2, y: b.y2 },
  { x: b.x1, y: b.y2 },
];

/** The image where the mask is on, a quarter-bright where it is off. */
export async function renderCutout(image: RgbImage, mask: Uint8Array): Promise<Buffer> {
  const out = new Uint8Array(image.data.length);
  for (let i = 0; i < mask.length; i++) {
    const keep = 0.25 + 0.75 * (mask[i]! / 255);
    for (let c = 0; c < 3; c++) out[i * 3 + c] = Math.round(image.data[i * 3 + c]! * keep);
  }
  return sharp(out, { raw: { width: image.width, height: image.height, channels: 3 } }).png().toBuffer();
}
