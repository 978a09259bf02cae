/**
 * Writes small TF.js graph models by hand (GraphDef nodes + a weight shard), so that single
 * ops can be converted to ONNX and checked against TF.js itself.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TfAttr, TfNode } from '../../src/models/tfjs/graph-model.js';

type Dtype = 'float32' | 'int32' | 'bool';
const TF_TYPE: Record<Dtype, number> = { float32: 1, int32: 3, bool: 10 };

export const a = {
  type: (dtype: Dtype): TfAttr => ({ type: TF_TYPE[dtype] }),
  int: (i: number): TfAttr => ({ i: String(i) }),
  bool: (b: boolean): TfAttr => ({ b }),
  ints: (values: number[]): TfAttr => ({ list: { i: values.map(String) } }),
  str: (s: string): TfAttr => ({ s: [...Buffer.from(s)] }),
};

export class TfGraphWriter {
  private readonly nodes: TfNode[] = [];
  private readonly weights: Array<{ name: string; shape: number[]; dtype: Dtype; data: Float32Array | Int32Array }> = [];

  placeholder(name: string, dtype: Dtype, shape: number[]): string {
    this.nodes.push({ name, op: 'Placeholder', attr: { dtype: a.type(dtype), shape: { shape: { dim: shape.map((size) => ({ size: String(size) })) } } } });
    return name;
  }

  const(name: string, dtype: 'float32' | 'int32', shape: number[], values: number[]): string {
    this.nodes.push({ name, op: 'Const', attr: { dtype: a.type(dtype), value: { tensor: {} } } });
    this.weights.push({ name, shape, dtype, data: dtype === 'float32' ? Float32Array.from(values) : Int32Array.from(values) });
    return name;
  }

  op(op: string, name: string, inputs: string[], attr: Record<string, TfAttr> = {}): string {
    this.nodes.push({ name, op, input: inputs, attr: { T: a.type('float32'), ...attr } });
    return name;
  }

  /** Writes model.json and its shard into `dir`; returns the model.json path. */
  write(dir: string): string {
    const bytes = Buffer.concat(this.weights.map((w) => Buffer.from(w.data.buffer, w.data.byteOffset, w.data.byteLength)));
    writeFileSync(join(dir, 'group1-shard1of1.bin'), bytes);
    const manifest = [{ paths: ['group1-shard1of1.bin'], weights: this.weights.map(({ name, shape, dtype }) => ({ name, shape, dtype })) }];
    const path = join(dir, 'model.json');
    writeFileSync(path, JSON.stringify({ format: 'graph-model', generatedBy: 'test', convertedBy: 'test', modelTopology: { node: this.nodes, library: {}, versions: {} }, weightsManifest: manifest }));
    return path;
  }
}
