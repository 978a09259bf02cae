import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;

/** Element types the builder writes. */
export type OnnxDtype = 'float32' | 'int64' | 'int32' | 'bool' | 'uint8';

export type TensorData = Float32Array | BigInt64Array | Int32Array | Uint8Array;

const DATA_TYPE: Record<OnnxDtype, number> = {
  float32: onnx.TensorProto.DataType.FLOAT,
  int64: onnx.TensorProto.DataType.INT64,
  int32: onnx.TensorProto.DataType.INT32,
  bool: onnx.TensorProto.DataType.BOOL,
  uint8: onnx.TensorProto.DataType.UINT8,
};

export type AttrValue =
  | { kind: 'int'; value: number }
  | { kind: 'float'; value: number }
  | { kind: 'ints'; value: number[] }
  | { kind: 'floats'; value: number[] }
  | { kind: 'string'; value: string }
  | { kind: 'tensor'; dtype: OnnxDtype; dims: number[]; data: TensorData };

/** Constructors for node attributes, so that an int and a float are never confused. */
export const attr = {
  int: (value: number): AttrValue => ({ kind: 'int', value }),
  float: (value: number): AttrValue => ({ kind: 'float', value }),
  ints: (value: number[]): AttrValue => ({ kind: 'ints', value }),
  floats: (value: number[]): AttrValue => ({ kind: 'floats', value }),
  string: (value: string): AttrValue => ({ kind: 'string', value }),
  tensor: (dtype: OnnxDtype, dims: number[], data: TensorData): AttrValue => ({ kind: 'tensor', dtype, dims, data }),
};

type Dim = number | string;

/**
 * Builds an ONNX ModelProto node by node. Used by the TF.js converter, and by tests that
 * need small models of a known shape (random weights, controlled outputs).
 */
export class OnnxGraphBuilder {
  private readonly nodes: onnxProto.onnx.INodeProto[] = [];
  private readonly initializers: onnxProto.onnx.ITensorProto[] = [];
  private readonly inputs: onnxProto.onnx.IValueInfoProto[] = [];
  private readonly outputs: onnxProto.onnx.IValueInfoProto[] = [];
  private readonly used = new Set<string>();
  private readonly constCache = new Map<string, string>();

  constructor(readonly graphName: string) {}

  /** A name not used before, derived from `hint`. */
  fresh(hint: string): string {
    let name = hint;
    for (let i = 1; this.used.has(name); i++) name = `${hint}_${i}`;
    this.used.add(name);
    return name;
  }

  input(name: string, dtype: OnnxDtype, dims: Dim[]): string {
    this.used.add(name);
    this.inputs.push(valueInfo(name, dtype, dims));
    return name;
  }

  output(name: string, dtype: OnnxDtype, dims: Dim[] = []): string {
    this.outputs.push(valueInfo(name, dtype, dims));
    return name;
  }

  initializer(hint: string, dtype: OnnxDtype, dims: number[], data: TensorData): string {
    const name = this.fresh(hint);
    this.initializers.push(tensorProto(name, dtype, dims, data));
    return name;
  }

  /** A 1-D int64 constant, shared between every node that asks for the same values. */
  int64s(values: readonly number[]): string {
    return this.cachedConst(`i64:[${values.join(',')}]`, () =>
      this.initializer('const_i64', 'int64', [values.length], BigInt64Array.from(values.map((v) => BigInt(v)))),
    );
  }

  /** A scalar constant of the given type. */
  scalar(dtype: OnnxDtype, value: number): string {
    return this.cachedConst(`${dtype}:${value}`, () =>
      this.initializer(`const_${dtype}`, dtype, [], typedArray(dtype, [value])),
    );
  }

  /** Adds a node; returns its output names (fresh ones when only a count is given). */
  node(op: string, inputs: string[], outputs: string[] | number = 1, attrs: Record<string, AttrValue> = {}): string[] {
    const outNames = typeof outputs === 'number' ? Array.from({ length: outputs }, () => this.fresh(op.toLowerCase())) : outputs;
    for (const o of outNames) this.used.add(o);
    this.nodes.push({
      opType: op,
      name: this.fresh(`${op}_node`),
      input: inputs,
      output: outNames,
      attribute: Object.entries(attrs).map(([name, value]) => attributeProto(name, value)),
    });
    return outNames;
  }

  /** Adds a single-output node and returns that output. */
  op(op: string, inputs: string[], attrs: Record<string, AttrValue> = {}, output?: string): string {
    return this.node(op, inputs, output ? [output] : 1, attrs)[0]!;
  }

  toBytes(opset = 17): Uint8Array {
    const model = onnx.ModelProto.create({
      irVersion: 8,
      producerName: 'ragbench-service',
      opsetImport: [{ domain: '', version: opset }],
      graph: {
        name: this.graphName,
        node: this.nodes,
        initializer: this.initializers,
        input: this.inputs,
        output: this.outputs,
      },
    });
    return onnx.ModelProto.encode(model).finish();
  }

  private cachedConst(key: string, make: () => string): string {
    let name = this.constCache.get(key);
    if (!name) {
      name = make();
      this.constCache.set(key, name);
    }
    return name;
  }
}

export function typedArray(dtype: OnnxDtype, values: number[]): TensorData {
  switch (dtype) {
    case 'float32':
      return Float32Array.from(values);
    case 'int64':
      return BigInt64Array.from(values.map((v) => BigInt(Math.trunc(v))));
    case 'int32':
      return Int32Array.from(values);
    case 'bool':
    case 'uint8':
      return Uint8Array.from(values);
  }
}

function valueInfo(name: string, dtype: OnnxDtype, dims: Dim[]): onnxProto.onnx.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType: DATA_TYPE[dtype],
        shape: { dim: dims.map((d) => (typeof d === 'number' && d >= 0 ? { dimValue: d } : { dimParam: String(d) })) },
      },
    },
  };
}

function tensorProto(name: string, dtype: OnnxDtype, dims: number[], data: TensorData): onnxProto.onnx.ITensorProto {
  return {
    name,
    dims,
    dataType: DATA_TYPE[dtype],
    rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
  };
}

function attributeProto(name: string, value: AttrValue): onnxProto.onnx.IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  switch (value.kind) {
    case 'int':
      return { name, type: T.INT, i: value.value };
    case 'float':
      return { name, type: T.FLOAT, f: value.value };
    case 'ints':
      return { name, type: T.INTS, ints: value.value };
    case 'floats':
      return { name, type: T.FLOATS, floats: value.value };
    case 'string':
      return { name, type: T.STRING, s: new TextEncoder().encode(value.value) };
    case 'tensor':
      return { name, type: T.TENSOR, t: tensorProto(name, value.dtype, value.dims, value.data) };
  }
}
