/** TF.js layers models read from disk for parity tests and benchmarks (the reference runtime). */
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { tf, useWasmBackend } from './tfjs-reference.js';

export async function loadReferenceLayersModel(modelJsonPath: string): Promise<import('@tensorflow/tfjs').LayersModel> {
  await useWasmBackend();
  const json = JSON.parse(await readFile(modelJsonPath, 'utf8'));
  const folder = dirname(modelJsonPath);
  return tf.loadLayersModel({
    load: async () => {
      const specs = json.weightsManifest.flatMap((g: { weights: unknown[] }) => g.weights);
      const buffers: Buffer[] = [];
      for (const group of json.weightsManifest) for (const p of group.paths) buffers.push(await readFile(join(folder, p)));
      const all = Buffer.concat(buffers);
      return { modelTopology: json.modelTopology, format: json.format, generatedBy: json.generatedBy, convertedBy: json.convertedBy, weightSpecs: specs, weightData: all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength) };
    },
  });
}
