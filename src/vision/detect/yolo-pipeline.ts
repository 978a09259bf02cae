/** A user-supplied YOLOv8 ONNX export: letterbox → session → head decoding + NMS → source pixels. */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { ModelFileError } from '../../core/errors.js';
import type { RgbImage } from '../image.js';
import type { ModelRegistry, ModelSpec } from '../model-registry.js';
import { onnxInputs } from '../onnx-info.js';
import { toTensor } from '../tensor.js';
import { COCO_LABELS } from './coco-labels.js';
import type { DetectOptions, DetectResult } from './detection.js';
import { letterbox, unletterbox } from './letterbox.js';
import { decodeYolov8 } from './yolov8-decode.js';

/** `yolov8*.onnx` files in the models folder, as registry entries (id = file name without .onnx). */
export function yoloSpecs(folder: string): ModelSpec[] {
  if (!existsSync(folder)) return [];
  return readdirSync(folder)
    .filter((f) => /^yolov8.*\.onnx$/i.test(f))
    .sort()
    .map((f) => {
      const file = join(folder, f);
      const input = onnxInputs(file)[0];
      return { id: basename(f, '.onnx'), task: 'detect', source: `user file ${file}`, licence: 'as supplied (Ultralytics YOLOv8 weights are AGPL-3.0)', inputShape: input?.shape ?? [], file };
    });
}

/** Class names from `<model>.labels.txt` (one per line) beside the model, else COCO-80 for 80 classes. */
export function yoloLabels(file: string, classes: number): string[] {
  const labelsFile = file.replace(/\.onnx$/i, '.labels.txt');
  if (existsSync(labelsFile)) return readFileSync(labelsFile, 'utf8').split('\n').map((l) => l.trim()).filter(Boolean);
  return classes === COCO_LABELS.length ? [...COCO_LABELS] : Array.from({ length: classes }, (_, i) => `class ${i}`);
}

export class YoloDetector {
  constructor(
    private readonly models: ModelRegistry,
    readonly id: string,
  ) {}

  async run(image: RgbImage, options: DetectOptions): Promise<DetectResult> {
    const spec = this.models.spec(this.id);
    const file = spec.file as string;
    const size = spec.inputShape[2];
    if (typeof size !== 'number' || spec.inputShape[3] !== size) {
      throw new ModelFileError(file, `its input is ${spec.inputShape.join('×')}; a YOLOv8 export with a fixed square input (1×3×S×S) is needed`, undefined, 'export it with a fixed imgsz, e.g. `yolo export model=yolov8n.pt format=onnx imgsz=640`');
    }
    const session = await this.models.session(this.id);
    const lb = await letterbox(image, size);
    const input = toTensor(lb.image, { mean: [0, 0, 0], std: [1, 1, 1], scale: 255, order: 'rgb' }, 'nchw');
    const outputs = await session.run({ [session.inputNames[0]!]: input }, { priority: 'interactive' });
    const head = outputs[session.outputNames[0]!]!;
    const labels = yoloLabels(file, head.dims[1]! - 4);
    const detections = decodeYolov8(head.data as Float32Array, head.dims, options).map((d) => ({
      label: labels[d.classId] ?? `class ${d.classId}`,
      classId: d.classId,
      score: d.score,
      box: unletterbox(d.box, lb, image.width, image.height),
    }));
    return { model: this.id, width: image.width, height: image.height, detections };
  }
}
