/**
 * Image classification: ImageNet-style preprocessing (shorter side to 256, centre crop 224,
 * mean/std normalisation) for user ResNet / MobileNet ONNX files, and nsfwjs's MobileNetV2
 * (converted, 5 classes, its own preprocessing: RGB / 255 resized to 224) as the offline default.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import sharp from 'sharp';
import type { HostTensor } from '../../runtime/onnx-runtime.js';
import { resizeRgb } from '../image.js';
import type { RgbImage } from '../image.js';
import type { ModelRegistry, ModelSpec } from '../model-registry.js';
import { onnxInputs } from '../onnx-info.js';
import { toTensor } from '../tensor.js';
import { NSFW_MOBILENET } from '../converted-models.js';

export const IMAGENET_MEAN = [0.485, 0.456, 0.406] as const;
export const IMAGENET_STD = [0.229, 0.224, 0.225] as const;
export const NSFW_LABELS = ['Drawing', 'Hentai', 'Neutral', 'Porn', 'Sexy'] as const;

export interface ClassifyResult {
  model: string;
  /** Best first. */
  predictions: Array<{ label: string; classId: number; score: number }>;
}

/**
 * Shorter side to `resize` (bilinear, aspect kept), then the centre `crop`×`crop` square — done
 * as "cut the matching centre square of the source, resize it to `crop`", so that a very long,
 * thin image is never scaled up in full.
 */
export async function resizeAndCentreCrop(image: RgbImage, resize = 256, crop = 224): Promise<RgbImage> {
  const scale = resize / Math.min(image.width, image.height);
  const side = Math.min(image.width, image.height, Math.round(crop / scale));
  const left = Math.floor((image.width - side) / 2), top = Math.floor((image.height - side) / 2);
  const data = await sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } })
    .extract({ left, top, width: side, height: side })
    .resize(crop, crop, { fit: 'fill', kernel: 'linear' })
    .raw()
    .toBuffer();
  return { width: crop, height: crop, data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
}

/** Softmax unless the vector already is a probability distribution. */
export function probabilities(values: Float32Array): Float32Array {
  const sum = values.reduce((a, b) => a + b, 0);
  if (values.every((v) => v >= 0 && v <= 1) && Math.abs(sum - 1) < 1e-3) return values;
  const max = Math.max(...values);
  const exp = Float32Array.from(values, (v) => Math.exp(v - max));
  const total = exp.reduce((a, b) => a + b, 0);
  return exp.map((v) => v / total);
}

export function topK(probs: Float32Array, labels: readonly string[], k: number): ClassifyResult['predictions'] {
  return Array.from(probs, (score, classId) => ({ label: labels[classId] ?? `class ${classId}`, classId, score }))
    .sort((a, b) => b.score - a.score || a.classId - b.classId)
    .slice(0, k);
}

/** `resnet*.onnx`, `mobilenet*.onnx` and `classifier*.onnx` in the models folder; labels from `<name>.labels.txt`. */
export function classifierSpecs(folder: string): ModelSpec[] {
  if (!existsSync(folder)) return [];
  return readdirSync(folder)
    .filter((f) => /^(resnet|mobilenet|classifier).*\.onnx$/i.test(f))
    .sort()
    .map((f) => {
      const file = join(folder, f);
      return { id: basename(f, '.onnx'), task: 'classify', source: `user file ${file}`, licence: 'as supplied', inputShape: onnxInputs(file)[0]?.shape ?? [], file };
    });
}

function labelsFor(file: string, classes: number): string[] {
  const path = file.replace(/\.onnx$/i, '.labels.txt');
  return existsSync(path) ? readFileSync(path, 'utf8').split('\n').map((l) => l.trim()).filter(Boolean) : Array.from({ length: classes }, (_, i) => `class ${i}`);
}

/** The user model's input: NCHW when axis 1 is 3 channels, else NHWC; 224 where the size is dynamic. */
async function imagenetInput(image: RgbImage, shape: (number | string)[]): Promise<HostTensor> {
  const nchw = shape[1] === 3;
  const size = (nchw ? shape[2] : shape[1]) as number | string;
  const crop = typeof size === 'number' ? size : 224;
  const cropped = await resizeAndCentreCrop(image, Math.round((crop * 256) / 224), crop);
  return toTensor(cropped, { mean: IMAGENET_MEAN, std: IMAGENET_STD, scale: 255, order: 'rgb' }, nchw ? 'nchw' : 'nhwc');
}

export class Classifier {
  constructor(private readonly models: ModelRegistry) {}

  async run(image: RgbImage, model: string, k: number): Promise<ClassifyResult> {
    const spec = this.models.spec(model);
    const session = await this.models.session(model);
    let input: HostTensor;
    if (model === NSFW_MOBILENET.id) {
      const [, h, w] = NSFW_MOBILENET.inputShape;
      input = toTensor(await resizeRgb(image, w, h), { mean: [0, 0, 0], std: [1, 1, 1], scale: 255, order: 'rgb' }, 'nhwc');
    } else {
      input = await imagenetInput(image, spec.inputShape);
    }
    const out = await session.run({ [session.inputNames[0]!]: input }, { priority: 'interactive' });
    const scores = out[session.outputNames[0]!]!.data as Float32Array;
    const labels = model === NSFW_MOBILENET.id ? [...NSFW_LABELS] : labelsFor(spec.file as string, scores.length);
    return { model, predictions: topK(probabilities(scores), labels, k) };
  }
}
