import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeImage } from '../../src/vision/image.js';
import { ModelRegistry } from '../../src/vision/model-registry.js';
import { dbBoxes } from '../../src/vision/ocr/db-postprocess.js';
import { detInputSize } from '../../src/vision/ocr/detect.js';
import { OcrPipeline, ppOcrAlphabet, ppOcrSpecs } from '../../src/vision/ocr/ocr-pipeline.js';
import { textImage } from '../support/images.js';
import { testRuntime } from '../support/runtime.js';

const limits = { maxBytes: 10_000_000, maxPixels: 10_000_000 };

describe('image decoding', () => {
  it('decodes PNG, JPEG and WebP to RGB, compositing alpha on white', async () => {
    const rgba = await sharp({ create: { width: 3, height: 2, channels: 4, background: { r: 255, g: 0, b: 0, alpha: 0 } } }).png().toBuffer();
    const png = await decodeImage(rgba, limits);
    expect(png).toMatchObject({ width: 3, height: 2 });
    expect([...png.data.subarray(0, 3)]).toEqual([255, 255, 255]);
    for (const format of ['jpeg', 'webp'] as const) {
      const bytes = await sharp({ create: { width: 5, height: 4, channels: 3, background: { r: 0, g: 0, b: 255 } } })[format]({ quality: 100 }).toBuffer();
      const img = await decodeImage(bytes, limits);
      expect(img).toMatchObject({ width: 5, height: 4 });
      expect(img.data[2]).toBeGreaterThan(240);
    }
  });

  it('refuses what is too large, too many pixels, not an image, or corrupt — naming the limit or the formats', async () => {
    const big = await sharp({ create: { width: 200, height: 100, channels: 3, background: '#000' } }).png().toBuffer();
    await expect(decodeImage(big, { maxBytes: 10, maxPixels: 1e9 })).rejects.toMatchObject({ statusCode: 413, message: expect.stringContaining('MAX_IMAGE_BYTES') });
    await expect(decodeImage(big, { maxBytes: 1e9, maxPixels: 19_999 })).rejects.toMatchObject({ statusCode: 400, message: expect.stringMatching(/200×100 = 20000 pixels; at most 19999 .*MAX_IMAGE_PIXELS/) });
    await expect(decodeImage(Buffer.from('GIF89a........'), limits)).rejects.toMatchObject({ statusCode: 415, message: expect.stringContaining('png, jpeg, webp') });
    await expect(decodeImage(Buffer.concat([big.subarray(0, 40), Buffer.alloc(20)]), limits)).rejects.toMatchObject({ statusCode: 400 });
    await expect(decodeImage(Buffer.alloc(0), limits)).rejects.toMatchObject({ statusCode: 400 });
  });
});

describe('DBNet box post-processing', () => {
  it('finds a filled rectangle, grows it by the unclip distance and scales it to the source', () => {
    // 64×32 map, text probability 0.9 on x 10..49, y 8..17 (pixel centres: a 39×9 rectangle).
    const w = 64, h = 32;
    const prob = new Float32Array(w * h);
    for (let y = 8; y <= 17; y++) for (let x = 10; x <= 49; x++) prob[y * w + x] = 0.9;
    const [box, ...rest] = dbBoxes(prob, w, h, 128, 64);
    expect(rest).toEqual([]);
    expect(box!.score).toBeCloseTo(0.9, 6);
    // d = 39·9·1.5 / (2·(39+9)) = 5.484; grown 49.97×19.97 around (29.5, 12.5); ×2 to the source.
    const d = (39 * 9 * 1.5) / 96;
    const expected = [[29.5 - 19.5 - d, 12.5 - 4.5 - d], [29.5 + 19.5 + d, 12.5 - 4.5 - d], [29.5 + 19.5 + d, 12.5 + 4.5 + d], [29.5 - 19.5 - d, 12.5 + 4.5 + d]].map(([x, y]) => ({ x: Math.round(x! * 2), y: Math.round(y! * 2) }));
    expect(box!.corners).toEqual(expected);
  });

  it('drops regions below the box threshold or the minimum size', () => {
    const w = 32, h = 16;
    const prob = new Float32Array(w * h);
    for (let y = 2; y <= 8; y++) for (let x = 2; x <= 20; x++) prob[y * w + x] = 0.5; // mean 0.5 < 0.6
    for (let x = 24; x <= 30; x++) prob[12 * w + x] = 0.99; // one pixel high
    expect(dbBoxes(prob, w, h, w, h)).toEqual([]);
  });

  it('sizes the detector input in multiples of 32, the long side at most 960', () => {
    expect(detInputSize(400, 80)).toEqual({ width: 416, height: 96 });
    expect(detInputSize(1920, 1080)).toEqual({ width: 960, height: 544 });
    expect(detInputSize(10, 10)).toEqual({ width: 32, height: 32 });
  });
});

describe('PP-OCRv4 on rendered text', () => {
  const runtime = testRuntime();
  const registry = new ModelRegistry(runtime);
  for (const spec of ppOcrSpecs()) registry.register(spec);
  const ocr = new OcrPipeline(registry);
  afterAll(() => runtime.close());

  it('has the 6,623 dictionary characters plus space: the recogniser has 6,625 classes with the blank', () => {
    expect(ppOcrAlphabet().length).toBe(6624);
  });

  it('reads two lines in order, with boxes around them', async () => {
    const image = await decodeImage(await textImage(['Bread dough rises overnight', 'Hello World 42']), limits);
    const result = await ocr.run(image);
    expect(result.lines.map((l) => l.text)).toEqual(['Bread dough rises overnight', 'Hello World 42']);
    expect(result.text).toBe('Bread dough rises overnight\nHello World 42');
    for (const line of result.lines) expect(line.confidence).toBeGreaterThan(0.8);
    expect(result.lines[0]!.box.y2).toBeLessThan(result.lines[1]!.box.y1 + 5);
    // The first line's ink spans x 23…472 (DejaVu Sans 32 px at x = 20); DB's unclip grows the
    // shrunk text kernel back to about that span.
    expect(result.lines[0]!.box.x1).toBeGreaterThanOrEqual(10);
    expect(result.lines[0]!.box.x1).toBeLessThan(35);
    expect(result.lines[0]!.box.x2).toBeGreaterThan(460);
  });

  it('turns an upside-down line with the direction classifier, and reads a tilted one', async () => {
    const upside = await ocr.run(await decodeImage(await textImage(['Meeting at noon'], { rotate: 180 }), limits));
    expect(upside.lines).toHaveLength(1);
    expect(upside.lines[0]).toMatchObject({ text: 'Meeting at noon', rotated: true });
    const tilted = await ocr.run(await decodeImage(await textImage(['Shipping address'], { rotate: 10 }), limits));
    expect(tilted.text).toBe('Shipping address');
    const [tl, tr] = tilted.lines[0]!.polygon;
    expect((Math.atan2(tr.y - tl.y, tr.x - tl.x) * 180) / Math.PI).toBeCloseTo(10, -0.5);
  });

  it('finds no text in a blank image', async () => {
    const blank = await sharp({ create: { width: 120, height: 60, channels: 3, background: '#fff' } }).png().toBuffer();
    expect((await ocr.run(await decodeImage(blank, limits))).lines).toEqual([]);
  });
});
