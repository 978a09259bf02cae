/**
 * The TF.js reference runtime (@tensorflow/tfjs on its wasm backend, the fastest TF.js
 * backend that installs offline). Used by parity tests and benchmarks only.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';

export { tf };

let backendReady: Promise<void> | undefined;

/** Selects the wasm backend once per process. */
export function useWasmBackend(threads = 1): Promise<void> {
  backendReady ??= (async () => {
    const require = createRequire(import.meta.url);
    const wasmDir = join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist') + '/';
    setWasmPaths(wasmDir);
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', threads > 1);
    await tf.setBackend('wasm');
    await tf.ready();
  })();
  return backendReady;
}

/** Loads a TF.js graph model from disk (tfjs without tfjs-node reads no file:// URLs). */
export async function loadReferenceGraphModel(modelJsonPath: string): Promise<tf.GraphModel> {
  await useWasmBackend();
  const json = JSON.parse(await readFile(modelJsonPath, 'utf8'));
  const folder = dirname(modelJsonPath);
  const handler: tf.io.IOHandler = {
    load: async () => {
      const specs: tf.io.WeightsManifestEntry[] = [];
      const buffers: Buffer[] = [];
      for (const group of json.weightsManifest) {
        specs.push(...group.weights);
        for (const p of group.paths) buffers.push(await readFile(join(folder, p)));
      }
      const all = Buffer.concat(buffers);
      return {
        modelTopology: json.modelTopology,
        format: json.format,
        generatedBy: json.generatedBy,
        convertedBy: json.convertedBy,
        signature: json.signature,
        userDefinedMetadata: json.userDefinedMetadata,
        weightSpecs: specs,
        weightData: all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength),
      };
    },
  };
  return tf.loadGraphModel(handler);
}
