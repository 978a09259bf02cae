import { readFileSync } from 'node:fs';
import onnxProto from 'onnx-proto';

/** The float32 initializers of an ONNX file, by name (read back to check an export against its training runtime). */
export function onnxInitializers(path: string): Map<string, Float32Array> {
  const model = onnxProto.onnx.ModelProto.decode(readFileSync(path));
  const out = new Map<string, Float32Array>();
  for (const t of model.graph?.initializer ?? []) {
    if (t.dataType !== onnxProto.onnx.TensorProto.DataType.FLOAT) continue;
    const raw = t.rawData!;
    out.set(t.name!, new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength)));
  }
  return out;
}
