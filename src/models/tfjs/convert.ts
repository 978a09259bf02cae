import { ConversionError } from '../../core/errors.js';
import { OnnxGraphBuilder } from '../onnx/graph-builder.js';
import { ConvertContext, describe, onnxDtypeOfTf } from './convert-context.js';
import { fuseForOnnxRuntime } from './fusions.js';
import { producer } from './graph-model.js';
import type { TfGraphModel, TfNode } from './graph-model.js';
import { OP_CONVERTERS } from './ops/index.js';

/** Bump when converter output changes, so cached conversions are rebuilt. */
export const CONVERTER_VERSION = '3';

export interface ConvertOptions {
  /** TF node name → ONNX output name. Defaults to every node nothing else consumes, under its own name. */
  outputs?: Record<string, string>;
  opset?: number;
  /** Convert only the nodes the outputs depend on (e.g. a detector's raw heads without its in-graph decoding). */
  pruneToOutputs?: boolean;
  /** 1×1 stride-1 Conv2D as MatMul (default) or as Conv (faster for CNNs); see ConvertContext. */
  pointwiseConv?: 'matmul' | 'conv';
}

/** Converts a TF.js graph model into the bytes of an ONNX model. */
export function convertTfGraphToOnnx(model: TfGraphModel, options: ConvertOptions = {}): Uint8Array {
  const selected = options.pruneToOutputs && options.outputs ? ancestors(model.nodes, Object.keys(options.outputs)) : model.nodes;
  const nodes = fuseForOnnxRuntime(selected, model, Object.keys(options.outputs ?? {}));
  const missing = [...new Set(nodes.map((n) => n.op))].filter((op) => op !== 'Const' && op !== 'Placeholder' && op !== 'NoOp' && !OP_CONVERTERS[op]);
  if (missing.length) {
    throw new ConversionError(`${model.source}: ops not covered by the converter: ${missing.join(', ')}. Add them under src/models/tfjs/ops/.`);
  }
  const builder = new OnnxGraphBuilder(model.source);
  const ctx = new ConvertContext(builder, options.pointwiseConv);
  for (const node of topologicalOrder(nodes)) {
    if (node.op === 'Const') defineConstant(ctx, model, node);
    else if (node.op === 'Placeholder') defineInput(ctx, builder, node);
    else if (node.op !== 'NoOp') ctx.define(node.name, OP_CONVERTERS[node.op]!(ctx, node));
  }
  const outputs = options.outputs ?? Object.fromEntries(sinks(model.nodes).map((n) => [n.name, n.name]));
  for (const [tfName, onnxName] of Object.entries(outputs)) {
    const ref = ctx.input({ name: 'graph output', op: 'Output', input: [tfName] }, 0);
    builder.op('Identity', [ref.name], {}, onnxName);
    builder.output(onnxName, ref.dtype, (ref.shape ?? []).map((d, i) => d ?? `${onnxName}_dim${i}`));
  }
  return builder.toBytes(options.opset);
}

function defineConstant(ctx: ConvertContext, model: TfGraphModel, node: TfNode): void {
  const weight = model.weights.get(node.name);
  if (!weight) throw new ConversionError(`${describe(node)}: no weight with this name in the shards of ${model.source}`);
  ctx.defineConstant(node.name, weight, onnxDtypeOfTf(node.attr?.dtype?.type, describe(node)));
}

function defineInput(ctx: ConvertContext, builder: OnnxGraphBuilder, node: TfNode): void {
  const dtype = onnxDtypeOfTf(node.attr?.dtype?.type, describe(node));
  const dims = (node.attr?.shape?.shape?.dim ?? []).map((d) => Number(d.size));
  builder.input(node.name, dtype, dims.map((d, i) => (d >= 0 ? d : `${node.name}_dim${i}`)));
  ctx.define(node.name, [{ name: node.name, dtype, shape: dims.map((d) => (d >= 0 ? d : null)) }]);
}

function topologicalOrder(nodes: TfNode[]): TfNode[] {
  const byName = new Map(nodes.map((n) => [n.name, n]));
  const done = new Set<string>();
  const order: TfNode[] = [];
  const visit = (root: TfNode) => {
    const stack: Array<{ node: TfNode; next: number }> = [{ node: root, next: 0 }];
    while (stack.length) {
      const top = stack[stack.length - 1]!;
      const inputs = top.node.input ?? [];
      if (top.next < inputs.length) {
        const dep = byName.get(producer(inputs[top.next++]!));
        if (dep && !done.has(dep.name)) stack.push({ node: dep, next: 0 });
        continue;
      }
      stack.pop();
      if (!done.has(top.node.name)) {
        done.add(top.node.name);
        order.push(top.node);
      }
    }
  };
  for (const node of nodes) if (!done.has(node.name)) visit(node);
  return order;
}

/** The named nodes and everything they read from. */
function ancestors(nodes: TfNode[], names: string[]): TfNode[] {
  const byName = new Map(nodes.map((n) => [n.name, n]));
  const keep = new Set<string>();
  const stack = names.map(producer);
  while (stack.length) {
    const name = stack.pop()!;
    const node = byName.get(name);
    if (!node || keep.has(name)) continue;
    keep.add(name);
    stack.push(...(node.input ?? []).map(producer));
  }
  return nodes.filter((n) => keep.has(n.name));
}

function sinks(nodes: TfNode[]): TfNode[] {
  const consumed = new Set(nodes.flatMap((n) => (n.input ?? []).map(producer)));
  return nodes.filter((n) => !consumed.has(n.name) && n.op !== 'Const' && n.op !== 'NoOp');
}
