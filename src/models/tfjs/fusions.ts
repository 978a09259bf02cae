/**
 * Rewrites of the TF graph before conversion, where ONNX Runtime would not fuse what it is given.
 * Each keeps the name of the last node it replaces, so that readers of that node read the fused one.
 *
 * - A constant Add after a transposed convolution becomes its bias (a fourth input of
 *   Conv2DBackpropInput): ONNX Runtime folds Conv + Add but not ConvTranspose + Add, and the Add
 *   would run alone after the layout transpose (in the selfie model, 1.2 ms of 8).
 * - MobileNetV3's hard-swish, x·relu6(x + 3)·c, and hard-sigmoid, relu6(x + 3)·c, with c ≈ 1/6,
 *   become `_HardSwish` / `_HardSigmoid` (x, c): ONNX HardSwish / HardSigmoid times 6c, two
 *   element-wise passes instead of four (with the bias fold, the selfie model runs about a quarter
 *   faster). Where a convolution alone reads the result, 6c moves into its filter instead.
 */
import { dataInputs, producer } from './graph-model.js';
import type { TfGraphModel, TfNode } from './graph-model.js';

const ADDS = new Set(['Add', 'AddV2', 'BiasAdd']);

class GraphView {
  readonly byName: Map<string, TfNode>;
  private readonly readers = new Map<string, TfNode[]>();
  private readonly kept: Set<string>;

  constructor(
    nodes: TfNode[],
    readonly model: TfGraphModel,
    outputs: string[],
  ) {
    this.byName = new Map(nodes.map((n) => [n.name, n]));
    for (const n of nodes) for (const input of n.input ?? []) this.readers.set(producer(input), [...(this.readers.get(producer(input)) ?? []), n]);
    this.kept = new Set(outputs.map(producer));
  }

  inputs(node: TfNode): TfNode[] {
    return dataInputs(node).map((i) => this.byName.get(producer(i))!);
  }

  /** The only reader of `node`, when it has exactly one and is not a graph output. */
  soleReader(node: TfNode): TfNode | undefined {
    const readers = this.readers.get(node.name) ?? [];
    return readers.length === 1 && !this.kept.has(node.name) ? readers[0] : undefined;
  }

  /** How many values a constant node holds (undefined for anything else). */
  constantSize(node: TfNode | undefined): number | undefined {
    return node?.op === 'Const' ? this.model.weights.get(node.name)?.data.length : undefined;
  }

  /** The value of a scalar (or one-element) constant node. */
  scalar(node: TfNode | undefined): number | undefined {
    return this.constantSize(node) === 1 ? Number(this.model.weights.get(node!.name)!.data[0]) : undefined;
  }
}

/** The rewritten node list (see the file comment); `outputs` are TF names that must stay. */
export function fuseForOnnxRuntime(nodes: TfNode[], model: TfGraphModel, outputs: string[]): TfNode[] {
  const graph = new GraphView(nodes, model, outputs);
  const replaced = new Map<string, TfNode>();
  const dropped = new Set<string>();
  const fuse = (last: TfNode, fused: TfNode, inner: TfNode[]) => {
    if ([last, ...inner].some((n) => replaced.has(n.name) || dropped.has(n.name))) return; // already part of another fusion
    replaced.set(last.name, fused);
    for (const n of inner) dropped.add(n.name);
  };
  for (const node of nodes) {
    const bias = transposedConvBias(graph, node);
    if (bias) fuse(bias.add, { ...node, name: bias.add.name, input: [...node.input!, bias.constant.name] }, [node]);
    const hard = hardActivation(graph, node);
    if (hard) fuse(hard.last, { name: hard.last.name, op: hard.op, input: [hard.x, hard.c], attr: { T: node.attr?.T ?? { type: 'DT_FLOAT' } } }, hard.inner);
  }
  for (const node of nodes) foldScaleIntoConvolution(graph, node, replaced, dropped);
  return nodes.filter((n) => !dropped.has(n.name)).map((n) => replaced.get(n.name) ?? n);
}

const HARD = new Set(['_HardSwish', '_HardSigmoid']);
const CONVOLUTIONS = new Set(['Conv2D', '_FusedConv2D', 'DepthwiseConv2dNative', 'FusedDepthwiseConv2dNative']);

/**
 * A hard activation read only by a convolution, as that convolution's input, hands its 6c factor
 * to the convolution's filter (attribute `_input_scale`), so no multiplication is left between
 * them: ONNX Runtime then keeps both in its blocked layout instead of re-laying out for a Mul.
 */
function foldScaleIntoConvolution(graph: GraphView, node: TfNode, replaced: Map<string, TfNode>, dropped: Set<string>): void {
  const fused = replaced.get(node.name);
  if (!fused || !HARD.has(fused.op) || fused.input!.length < 2) return;
  const reader = graph.soleReader(node);
  if (!reader || !CONVOLUTIONS.has(reader.op) || replaced.has(reader.name) || dropped.has(reader.name)) return;
  if (producer(dataInputs(reader)[0] ?? '') !== node.name) return;
  const c = graph.scalar(graph.byName.get(fused.input![1]!))!;
  replaced.set(node.name, { ...fused, input: [fused.input![0]!] });
  replaced.set(reader.name, { ...reader, attr: { ...reader.attr, _input_scale: { f: Math.fround(6 * c) } } });
}

/** Conv2DBackpropInput → Add(constant of one value or one per output channel). */
function transposedConvBias(graph: GraphView, conv: TfNode): { add: TfNode; constant: TfNode } | undefined {
  if (conv.op !== 'Conv2DBackpropInput' || (conv.input ?? []).length !== 3) return undefined;
  const add = graph.soleReader(conv);
  if (!add || !ADDS.has(add.op) || graph.inputs(add).length !== 2) return undefined;
  const constant = graph.inputs(add).find((n) => n !== conv);
  const outputChannels = graph.model.weights.get(graph.inputs(conv)[1]?.name ?? '')?.shape[2]; // filter [kh, kw, out, in]
  const size = graph.constantSize(constant);
  return constant && (size === 1 || (size !== undefined && size === outputChannels)) ? { add, constant } : undefined;
}

const isSixth = (c: number | undefined) => c !== undefined && Math.abs(6 * c - 1) <= 1e-3;

/**
 * Matched from its Add(x, 3): → Relu6 → Mul(·, c) is hard-sigmoid; with a Mul(x, c) → Mul(that, relu6) it is
 * hard-swish (the two forms MobileNetV3 exports use).
 */
function hardActivation(graph: GraphView, add: TfNode): { op: string; x: string; c: string; last: TfNode; inner: TfNode[] } | undefined {
  if (add.op !== 'Add' && add.op !== 'AddV2') return undefined;
  const refs = dataInputs(add);
  const [a, b] = graph.inputs(add);
  const xIndex = graph.scalar(b) === 3 ? 0 : graph.scalar(a) === 3 ? 1 : -1;
  const x = [a, b][xIndex];
  const relu6 = x && graph.soleReader(add);
  if (!x || relu6?.op !== 'Relu6') return undefined;
  const mul = graph.soleReader(relu6);
  if (mul?.op !== 'Mul') return undefined;
  const other = graph.inputs(mul).find((n) => n !== relu6);
  if (isSixth(graph.scalar(other))) return { op: '_HardSigmoid', x: refs[xIndex]!, c: other!.name, last: mul, inner: [add, relu6] };
  // hard-swish: the other factor is Mul(x, c), read only here
  if (other?.op !== 'Mul' || graph.soleReader(other) !== mul) return undefined;
  const [p, q] = graph.inputs(other);
  const scaled = p === x ? q : q === x ? p : undefined;
  return isSixth(graph.scalar(scaled)) ? { op: '_HardSwish', x: refs[xIndex]!, c: scaled!.name, last: mul, inner: [add, relu6, other] } : undefined;
}
