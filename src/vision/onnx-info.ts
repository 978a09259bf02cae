/** Reads an ONNX file's graph inputs (names and shapes) without starting a session. */
import { readFileSync } from 'node:fs';
import onnxProto from 'onnx-proto';
import { ModelFileError } from '../core/errors.js';

export interface GraphInput {
  name: string;
  /** Fixed sizes as numbers, dynamic axes by their symbolic name (or '?'). */
  shape: (number | string)[];
}

export function onnxInputs(source: string | Uint8Array): GraphInput[] {
  let model: onnxProto.onnx.ModelProto;
  try {
    model = onnxProto.onnx.ModelProto.decode(typeof source === 'string' ? readFileSync(source) : source);
  } catch (error) {
    throw new ModelFileError(typeof source === 'string' ? source : '<model bytes>', `it is not an ONNX model (${(error as Error).message})`, error, 'replace it with an ONNX export of the model');
  }
  const initialisers = new Set((model.graph?.initializer ?? []).map((t) => t.name));
  return (model.graph?.input ?? [])
    .filter((i) => !initialisers.has(i.name ?? ''))
    .map((i) => ({
      name: i.name ?? '',
      shape: (i.type?.tensorType?.shape?.dim ?? []).map((d) => (d.dimValue != null && Number(d.dimValue) > 0 ? Number(d.dimValue) : d.dimParam || '?')),
    }));
}
