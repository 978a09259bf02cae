import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { DETECT_DEFAULTS } from '../../src/vision/detect/detection.js';
import { YoloDetector, yoloSpecs } from '../../src/vision/detect/yolo-pipeline.js';
import { decodeYolov8, yoloCandidates } from '../../src/vision/detect/yolov8-decode.js';
import { decodeImage } from '../../src/vision/image.js';
import { ModelRegistry } from '../../src/vision/model-registry.js';
import { fakeYoloOnnx, yoloHead } from '../support/yolo-graph.js';
import { tempDir, testRuntime } from '../support/runtime.js';

// A 64×64 input has 8² + 4² + 2² = 84 anchors (strides 8, 16, 32).
const SIZE = 64, ANCHORS = 84, CLASSES = 80;
const HEAD = yoloHead(CLASSES, ANCHORS, [
  { at: 3, cx: 20, cy: 30, w: 20, h: 20, scores: { 0: 0.9, 5: 0.2 } }, // person, box (10,20)-(30,40)
  { at: 7, cx: 22, cy: 30, w: 20, h: 20, scores: { 0: 0.8 } }, // person, IoU with the first 360/440 = 0.82 → suppressed
  { at: 9, cx: 21, cy: 30, w: 20, h: 20, scores: { 2: 0.7 } }, // car on the same spot: another class, kept
  { at: 40, cx: 50, cy: 50, w: 8, h: 4, scores: { 16: 0.6, 0: 0.3 } }, // dog, box (46,48)-(54,52)
  { at: 80, cx: 5, cy: 5, w: 4, h: 4, scores: { 1: 0.2 } }, // below the 0.25 threshold
]);

describe('YOLOv8 head decoding (hand-computed)', () => {
  it('takes the best class per anchor, converts cx,cy,w,h to corners, drops low scores', () => {
    const c = yoloCandidates(HEAD, [1, 4 + CLASSES, ANCHORS], 0.25);
    expect(c).toHaveLength(4);
    expect(c[0]).toEqual({ classId: 0, score: expect.closeTo(0.9, 6), box: { x1: 10, y1: 20, x2: 30, y2: 40 } });
    expect(c[3]).toEqual({ classId: 16, score: expect.closeTo(0.6, 6), box: { x1: 46, y1: 48, x2: 54, y2: 52 } });
  });

  it('suppresses overlapping boxes of one class only, best first', () => {
    const kept = decodeYolov8(HEAD, [1, 4 + CLASSES, ANCHORS], DETECT_DEFAULTS);
    expect(kept.map((k) => [k.classId, Number(k.score.toFixed(2))])).toEqual([[0, 0.9], [2, 0.7], [16, 0.6]]);
    expect(decodeYolov8(HEAD, [1, 4 + CLASSES, ANCHORS], { ...DETECT_DEFAULTS, iouThreshold: 0.9 })).toHaveLength(4);
    expect(decodeYolov8(HEAD, [1, 4 + CLASSES, ANCHORS], { ...DETECT_DEFAULTS, maxDetections: 1 })).toHaveLength(1);
  });

  it('refuses an output of the wrong shape', () => {
    expect(() => yoloCandidates(new Float32Array(12), [1, 12], 0.25)).toThrow(/1×\(4\+classes\)×anchors/);
  });
});

describe('a YOLOv8 ONNX graph in the models folder', () => {
  const runtime = testRuntime();
  afterAll(() => runtime.close());

  it('is registered from its file name, and its boxes come back in source pixels through the letterbox', async () => {
    const folder = tempDir('yolo');
    writeFileSync(join(folder, 'yolov8-test.onnx'), fakeYoloOnnx(SIZE, HEAD, CLASSES, ANCHORS));
    writeFileSync(join(folder, 'notes.onnx'), 'not matched by yolov8*.onnx');
    const specs = yoloSpecs(folder);
    expect(specs.map((s) => [s.id, s.task, s.inputShape])).toEqual([['yolov8-test', 'detect', [1, 3, SIZE, SIZE]]]);
    const registry = new ModelRegistry(runtime);
    specs.forEach((s) => registry.register(s));
    // 128×64 source: scale 0.5, 16 px of padding above and below.
    const png = await sharp({ create: { width: 128, height: 64, channels: 3, background: '#808080' } }).png().toBuffer();
    const result = await new YoloDetector(registry, 'yolov8-test').run(await decodeImage(png, { maxBytes: 1e7, maxPixels: 1e7 }), DETECT_DEFAULTS);
    expect(result.detections.map((d) => [d.label, d.box])).toEqual([
      ['person', { x1: 20, y1: 8, x2: 60, y2: 48 }],
      ['car', { x1: 22, y1: 8, x2: 62, y2: 48 }],
      ['dog', { x1: 92, y1: 64, x2: 108, y2: 64 }],
    ]);
    expect(registry.list()[0]).toMatchObject({ id: 'yolov8-test', state: 'loaded', provider: 'cpu' });
  });
});
