/** CenterNet detection: resize to 512² (0–255, RGB) → converted graph → peaks → NMS → source pixels. */
import type { ModelSession } from '../../runtime/onnx-runtime.js';
import { classNms } from '../geometry.js';
import { resizeRgb } from '../image.js';
import type { RgbImage } from '../image.js';
import type { ModelRegistry } from '../model-registry.js';
import { toTensor } from '../tensor.js';
import { CENTERNET } from '../converted-models.js';
import { centernetPeaks } from './centernet-decode.js';
import { COCO_LABELS } from './coco-labels.js';
import type { DetectOptions, DetectResult } from './detection.js';

export async function centernetHeads(session: ModelSession, image: RgbImage): Promise<{ heat: Float32Array; sizes: Float32Array; dims: number[] }> {
  const [, h, w] = CENTERNET.inputShape;
  const resized = await resizeRgb(image, w, h);
  const input = toTensor(resized, { mean: [0, 0, 0], std: [1, 1, 1], scale: 1, order: 'rgb' }, 'nhwc');
  const out = await session.run({ [CENTERNET.input]: input }, { priority: 'interactive' });
  return { heat: out.heatmap!.data as Float32Array, sizes: out.sizes!.data as Float32Array, dims: out.heatmap!.dims };
}

export class CenternetDetector {
  readonly id = CENTERNET.id;

  constructor(private readonly models: ModelRegistry) {}

  async run(image: RgbImage, options: DetectOptions): Promise<DetectResult> {
    const session = await this.models.session(this.id);
    const { heat, sizes, dims } = await centernetHeads(session, image);
    const [, mh, mw, classes] = dims as [number, number, number, number];
    const peaks = centernetPeaks(heat, sizes, mh, mw, classes).filter((p) => p.score >= options.scoreThreshold);
    const kept = classNms(peaks.map((p) => p.box), peaks.map((p) => p.score), peaks.map((p) => p.classId), options.iouThreshold, options.maxDetections);
    const [, h, w] = CENTERNET.inputShape;
    const sx = image.width / w, sy = image.height / h;
    const clip = (v: number, max: number) => Math.min(max, Math.max(0, v));
    const detections = kept.map((i) => {
      const p = peaks[i]!;
      return {
        label: COCO_LABELS[p.classId] ?? `class ${p.classId}`,
        classId: p.classId,
        score: p.score,
        box: { x1: clip(p.box.x1 * sx, image.width), y1: clip(p.box.y1 * sy, image.height), x2: clip(p.box.x2 * sx, image.width), y2: clip(p.box.y2 * sy, image.height) },
      };
    });
    return { model: this.id, width: image.width, height: image.height, detections };
  }
}
