import sharp from 'sharp';
import { VisionService } from './src/vision/vision-service.js';
import { sharedModelCache, testRuntime } from './tests/support/runtime.js';
const rt = testRuntime();
const v = new VisionService(rt, { limits: { maxBytes: 1e8, maxPixels: 1e8 }, modelsDir: '/nonexistent', ocrMinConfidence: 0.5, cache: sharedModelCache() });
const file = 'node_modules/@vladmandic/human/assets/samples.jpg';
for (const [name, region] of [['thumb1', { left: 0, top: 0, width: 158, height: 156 }], ['thumb2', { left: 166, top: 0, width: 140, height: 156 }], ['thumb3', { left: 325, top: 0, width: 210, height: 156 }], ['party', { left: 0, top: 200, width: 1280, height: 958 }]] as const) {
  const png = await sharp(file).extract(region).png().toBuffer();
  const t = Date.now();
  const d = await v.detect(png, { scoreThreshold: 0.3 });
  console.log(name, Date.now() - t, 'ms', JSON.stringify(d.result.detections.map((x) => [x.label, x.score.toFixed(2), Math.round(x.box.x1), Math.round(x.box.y1), Math.round(x.box.x2), Math.round(x.box.y2)])));
  const s = await v.segment(png);
  console.log(name, 'coverage', s.result.coverage.toFixed(3));
  if (name === 'thumb2') { await sharp(await v.renderSegmentation(s)).toFile('/tmp/seg.png'); await sharp(await v.renderDetections(d)).toFile('/tmp/det.png'); }
}
await rt.close();
