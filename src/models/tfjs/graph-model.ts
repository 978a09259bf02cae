import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { ModelFileError } from '../../core/errors.js';

/** One node of a TF.js graph model (a TensorFlow GraphDef node in JSON form). */
export interface TfNode {
  name: string;
  op: string;
  input?: string[];
  attr?: Record<string, TfAttr>;
}

/** The node an input reference names (`^name` for a control input, `name:1` for a second output). */
export function producer(input: string): string {
  return input.replace(/^\^/, '').replace(/:\d+$/, '');
}

/** A node's data inputs (control inputs, written `^name`, dropped). */
export function dataInputs(node: TfNode): string[] {
  return (node.input ?? []).filter((i) => !i.startsWith('^'));
}

export interface TfAttr {
  i?: string | number;
  f?: number;
  b?: boolean;
  s?: string | number[];
  type?: number | string;
  list?: { i?: Array<string | number>; s?: string[]; f?: number[] };
  shape?: { dim?: Array<{ size: string | number }>; unknownRank?: boolean };
  tensor?: unknown;
}

export type WeightDtype = 'float32' | 'int32' | 'bool';

export interface Weight {
  dtype: WeightDtype;
  shape: number[];
  data: Float32Array | Int32Array | Uint8Array;
}

export interface TfGraphModel {
  nodes: TfNode[];
  weights: Map<string, Weight>;
  /** Where the model was read from, for error messages. */
  source: string;
}

export interface ManifestEntry {
  name: string;
  shape: number[];
  dtype: string;
  quantization?: { dtype: 'uint8' | 'uint16' | 'float16'; scale?: number; min?: number };
}

export interface ModelJson {
  modelTopology?: { node?: TfNode[] };
  weightsManifest?: Array<{ paths: string[]; weights: ManifestEntry[] }>;
}

/** Reads a TF.js graph model (`model.json` and its weight shards) from disk. */
export async function loadTfGraphModel(modelJsonPath: string): Promise<TfGraphModel> {
  const json = await readJson(modelJsonPath);
  const nodes = json.modelTopology?.node;
  if (!Array.isArray(nodes)) {
    throw new ModelFileError(modelJsonPath, 'it has no modelTopology.node list; only TF.js graph models are supported');
  }
  return { nodes, weights: await readWeights(modelJsonPath, json.weightsManifest), source: modelJsonPath };
}

/** The weights a model.json's manifest describes (graph and layers models alike), by name. */
export async function readWeights(modelJsonPath: string, manifest: ModelJson['weightsManifest']): Promise<Map<string, Weight>> {
  const weights = new Map<string, Weight>();
  for (const group of manifest ?? []) {
    const buffer = await readShards(dirname(modelJsonPath), group.paths);
    let offset = 0;
    for (const entry of group.weights) {
      const { weight, bytes } = decodeWeight(entry, buffer, offset, modelJsonPath);
      weights.set(entry.name, weight);
      offset += bytes;
    }
    if (offset !== buffer.byteLength) {
      throw new ModelFileError(modelJsonPath, `its shards hold ${buffer.byteLength} bytes but the manifest describes ${offset}`);
    }
  }
  return weights;
}

export async function readJson(path: string): Promise<ModelJson> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (cause) {
    throw new ModelFileError(path, 'it cannot be read', cause);
  }
  try {
    return JSON.parse(text) as ModelJson;
  } catch (cause) {
    throw new ModelFileError(path, 'it is not valid JSON', cause);
  }
}

async function readShards(folder: string, paths: string[]): Promise<Buffer> {
  const parts: Buffer[] = [];
  for (const shard of paths) {
    const path = join(folder, shard);
    try {
      parts.push(await readFile(path));
    } catch (cause) {
      throw new ModelFileError(path, 'this weight shard is missing or unreadable', cause);
    }
  }
  return Buffer.concat(parts);
}

function decodeWeight(entry: ManifestEntry, buffer: Buffer, offset: number, source: string): { weight: Weight; bytes: number } {
  const count = entry.shape.reduce((a, b) => a * b, 1);
  const q = entry.quantization;
  const storedBytes = q ? count * (q.dtype === 'uint8' ? 1 : 2) : count * (entry.dtype === 'bool' ? 1 : 4);
  if (offset + storedBytes > buffer.byteLength) {
    throw new ModelFileError(source, `weight "${entry.name}" runs past the end of the shards (truncated download?)`);
  }
  const bytes = buffer.subarray(offset, offset + storedBytes);
  const copy = new Uint8Array(bytes).buffer; // aligned copy
  if (q) {
    return { weight: { dtype: 'float32', shape: entry.shape, data: dequantize(copy, count, q) }, bytes: storedBytes };
  }
  switch (entry.dtype) {
    case 'float32':
      return { weight: { dtype: 'float32', shape: entry.shape, data: new Float32Array(copy) }, bytes: storedBytes };
    case 'int32':
      return { weight: { dtype: 'int32', shape: entry.shape, data: new Int32Array(copy) }, bytes: storedBytes };
    case 'bool':
      return { weight: { dtype: 'bool', shape: entry.shape, data: new Uint8Array(copy) }, bytes: storedBytes };
    default:
      throw new ModelFileError(source, `weight "${entry.name}" has dtype ${entry.dtype}; supported: float32, int32, bool`);
  }
}

function dequantize(buffer: ArrayBuffer, count: number, q: NonNullable<ManifestEntry['quantization']>): Float32Array {
  const out = new Float32Array(count);
  if (q.dtype === 'float16') {
    const halves = new Uint16Array(buffer);
    for (let i = 0; i < count; i++) out[i] = halfToFloat(halves[i]!);
    return out;
  }
  const raw = q.dtype === 'uint8' ? new Uint8Array(buffer) : new Uint16Array(buffer);
  const scale = q.scale ?? 1;
  const min = q.min ?? 0;
  for (let i = 0; i < count; i++) out[i] = raw[i]! * scale + min;
  return out;
}

function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f;
  const fraction = h & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 0x1f) return fraction ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}
