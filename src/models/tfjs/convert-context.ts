import { ConversionError } from '../../core/errors.js';
import type { OnnxDtype, OnnxGraphBuilder } from '../onnx/graph-builder.js';
import { dataInputs } from './graph-model.js';
import type { TfAttr, TfNode, Weight } from './graph-model.js';

/** A static dimension, or null where it is only known at run time. */
export type StaticDim = number | null;

/** A TF tensor as it exists in the ONNX graph being built. */
export interface TensorRef {
  name: string;
  dtype: OnnxDtype;
  /** Static shape; null when even the rank is unknown. */
  shape: StaticDim[] | null;
}

/** A constant known at conversion time. Integers are held as plain numbers. */
export interface ConstValue {
  dtype: OnnxDtype;
  shape: number[];
  values: number[];
}

/** Converts one TF op into ONNX nodes and returns its outputs in TF output order. */
export type OpConverter = (ctx: ConvertContext, node: TfNode) => TensorRef[];

// TensorFlow DataType enum values that appear in TF.js graphs.
const TF_DTYPES: Record<string, OnnxDtype> = {
  '1': 'float32',
  DT_FLOAT: 'float32',
  '3': 'int64', // int32 is computed as int64 in the ONNX graph: ONNX shape ops want int64
  DT_INT32: 'int64',
  '9': 'int64',
  DT_INT64: 'int64',
  '10': 'bool',
  DT_BOOL: 'bool',
  '4': 'uint8',
  DT_UINT8: 'uint8',
};

export function onnxDtypeOfTf(type: number | string | undefined, where: string): OnnxDtype {
  const dtype = type === undefined ? undefined : TF_DTYPES[String(type)];
  if (!dtype) throw new ConversionError(`${where}: TensorFlow dtype ${String(type)} is not supported (float, int32, int64, bool, uint8 are)`);
  return dtype;
}

/**
 * The state shared by op converters: the ONNX builder, the tensors produced so far, and
 * the constants whose values are known at conversion time.
 */
export class ConvertContext {
  private readonly tensors = new Map<string, TensorRef>();
  private readonly constants = new Map<string, { weight: Weight; dtype: OnnxDtype }>();

  /**
   * `pointwiseConv`: how 1×1 stride-1 Conv2D is written — 'matmul' (the default; transformers use
   * it as a dense layer) or 'conv' (faster in CNNs, where ONNX Runtime keeps consecutive
   * convolutions in its blocked NCHWc layout).
   */
  constructor(
    readonly builder: OnnxGraphBuilder,
    readonly pointwiseConv: 'matmul' | 'conv' = 'matmul',
  ) {}

  define(tfName: string, outputs: TensorRef[]): void {
    outputs.forEach((ref, i) => this.tensors.set(i === 0 ? tfName : `${tfName}:${i}`, ref));
  }

  defineConstant(tfName: string, weight: Weight, onnxDtype: OnnxDtype): void {
    this.constants.set(tfName, { weight, dtype: onnxDtype });
  }

  /** The data inputs of a node (control inputs, written `^name`, are dropped). */
  dataInputs(node: TfNode): string[] {
    return dataInputs(node);
  }

  input(node: TfNode, index: number): TensorRef {
    const name = this.inputName(node, index).replace(/:0$/, '');
    const ref = this.tensors.get(name) ?? this.materialiseConstant(name);
    if (!ref) throw new ConversionError(`${describe(node)}: input "${name}" is not produced by any converted node`);
    return ref;
  }

  /** Constants become initializers only when an op reads them as a tensor. */
  private materialiseConstant(name: string): TensorRef | undefined {
    const entry = this.constants.get(name);
    if (!entry) return undefined;
    const { weight, dtype } = entry;
    const data = dtype === 'int64' ? BigInt64Array.from(weight.data as Int32Array, (v) => BigInt(v)) : weight.data;
    const ref: TensorRef = { name: this.builder.initializer(name, dtype, weight.shape, data), dtype, shape: [...weight.shape] };
    this.tensors.set(name, ref);
    return ref;
  }

  /** The value of input `index` when it is a constant; throws when it is computed at run time. */
  constant(node: TfNode, index: number, role: string): ConstValue {
    const { weight, dtype } = this.constantEntry(node, index, role);
    return { dtype, shape: weight.shape, values: Array.from(weight.data as ArrayLike<number>) };
  }

  /** The raw weight behind a constant input (for kernels that are re-laid out at conversion). */
  constantWeight(node: TfNode, index: number, role: string): Weight {
    return this.constantEntry(node, index, role).weight;
  }

  private constantEntry(node: TfNode, index: number, role: string): { weight: Weight; dtype: OnnxDtype } {
    const entry = this.constants.get(this.inputName(node, index).replace(/:0$/, ''));
    if (!entry) throw new ConversionError(`${describe(node)}: ${role} must be a constant; it is computed at run time`);
    return entry;
  }

  isConstant(node: TfNode, index: number): boolean {
    return this.constants.has(this.inputName(node, index).replace(/:0$/, ''));
  }

  attrInt(node: TfNode, name: string, fallback?: number): number {
    const a = node.attr?.[name];
    if (a?.i !== undefined) return Number(a.i);
    if (fallback !== undefined) return fallback;
    throw new ConversionError(`${describe(node)}: integer attribute "${name}" is missing`);
  }

  attrBool(node: TfNode, name: string, fallback = false): boolean {
    return node.attr?.[name]?.b ?? fallback;
  }

  attrInts(node: TfNode, name: string): number[] {
    return (node.attr?.[name]?.list?.i ?? []).map(Number);
  }

  attrString(node: TfNode, name: string, fallback = ''): string {
    const s = node.attr?.[name]?.s;
    return s === undefined ? fallback : decodeAttrString(s);
  }

  attrType(node: TfNode, name: string): OnnxDtype {
    return onnxDtypeOfTf(node.attr?.[name]?.type, describe(node));
  }

  /** An error naming the node and what about it is not supported; callers throw it. */
  unsupported(node: TfNode, what: string): ConversionError {
    return new ConversionError(`${describe(node)}: ${what}`);
  }

  private inputName(node: TfNode, index: number): string {
    const name = this.dataInputs(node)[index];
    if (name === undefined) throw new ConversionError(`${describe(node)}: expected an input at position ${index}`);
    return name;
  }
}

export function describe(node: TfNode): string {
  return `${node.op} node "${node.name}"`;
}

/** TF.js writes string attributes as byte arrays (older converters) or base64 text (newer). */
function decodeAttrString(s: NonNullable<TfAttr['s']>): string {
  if (Array.isArray(s)) return Buffer.from(s).toString('utf8');
  return Buffer.from(s, 'base64').toString('utf8');
}
