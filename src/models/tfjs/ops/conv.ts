/**
 * The convolutional-network ops of vision graphs (TF.js graph models of CenterNet, MediaPipe
 * selfie, …), in NHWC: fused Conv2D (+ bias, batch-norm offset, activation), depthwise and
 * transposed convolution, pooling, bilinear resizing, DepthToSpace and AddN. Each runs as the NCHW ONNX op
 * between transposes, which ONNX Runtime's layout optimiser removes between consecutive ops.
 */
import { attr } from '../../onnx/graph-builder.js';
import type { AttrValue } from '../../onnx/graph-builder.js';
import type { ConvertContext, OpConverter, StaticDim, TensorRef } from '../convert-context.js';
import type { TfNode, Weight } from '../graph-model.js';

const TO_NCHW = [0, 3, 1, 2];
const TO_NHWC = [0, 2, 3, 1];

function transpose(ctx: ConvertContext, name: string, perm: number[]): string {
  return ctx.builder.op('Transpose', [name], { perm: attr.ints(perm) });
}

function stringList(node: TfNode, name: string): string[] {
  const list = (node.attr?.[name]?.list?.s ?? []) as Array<string | number[]>;
  return list.map((s) => (Array.isArray(s) ? Buffer.from(s).toString('utf8') : Buffer.from(s, 'base64').toString('utf8')));
}

/** ONNX padding attributes for TF's SAME / VALID / EXPLICIT. */
function paddingAttrs(ctx: ConvertContext, node: TfNode): Record<string, AttrValue> {
  const padding = ctx.attrString(node, 'padding', 'VALID');
  if (padding === 'SAME') return { auto_pad: attr.string('SAME_UPPER') };
  if (padding === 'VALID') return {};
  if (padding === 'EXPLICIT') {
    const p = ctx.attrInts(node, 'explicit_paddings'); // [n0,n1,h0,h1,w0,w1,c0,c1]
    return { pads: attr.ints([p[2] ?? 0, p[4] ?? 0, p[3] ?? 0, p[5] ?? 0]) };
  }
  throw ctx.unsupported(node, `padding ${padding} is not supported (SAME, VALID, EXPLICIT are)`);
}

export function checkNhwc(ctx: ConvertContext, node: TfNode): void {
  const format = ctx.attrString(node, 'data_format', 'NHWC');
  if (format !== 'NHWC') throw ctx.unsupported(node, `data_format ${format} is not supported (NHWC is)`);
}

/** A convolution's filter (input 1), times the `_input_scale` that fusions.ts moves into it from its input. */
export function convolutionFilter(ctx: ConvertContext, node: TfNode): Weight {
  const filter = ctx.constantWeight(node, 1, 'filter');
  const scale = node.attr?._input_scale?.f;
  return scale === undefined ? filter : { ...filter, data: Float32Array.from(filter.data as Float32Array, (v) => v * scale) };
}

/** TF kernel [kh, kw, cin, cout] → ONNX [cout, cin, kh, kw]. */
export function conv2dKernel(data: Float32Array, [kh, kw, cin, cout]: number[]): Float32Array {
  const out = new Float32Array(data.length);
  for (let y = 0; y < kh!; y++)
    for (let x = 0; x < kw!; x++)
      for (let i = 0; i < cin!; i++)
        for (let o = 0; o < cout!; o++) out[((o * cin! + i) * kh! + y) * kw! + x] = data[((y * kw! + x) * cin! + i) * cout! + o]!;
  return out;
}

/** TF depthwise kernel [kh, kw, cin, multiplier] → ONNX grouped [cin·multiplier, 1, kh, kw] (output channel c·m + k). */
function depthwiseKernel(data: Float32Array, [kh, kw, cin, mult]: number[]): Float32Array {
  const out = new Float32Array(data.length);
  for (let y = 0; y < kh!; y++)
    for (let x = 0; x < kw!; x++)
      for (let c = 0; c < cin!; c++)
        for (let m = 0; m < mult!; m++) out[((c * mult! + m) * kh! + y) * kw! + x] = data[((y * kw! + x) * cin! + c) * mult! + m]!;
  return out;
}

/** TF transposed-conv kernel [kh, kw, out, in] → ONNX ConvTranspose [in, out, kh, kw]. */
function transposedKernel(data: Float32Array, [kh, kw, cout, cin]: number[]): Float32Array {
  const out = new Float32Array(data.length);
  for (let y = 0; y < kh!; y++)
    for (let x = 0; x < kw!; x++)
      for (let o = 0; o < cout!; o++)
        for (let i = 0; i < cin!; i++) out[((i * cout! + o) * kh! + y) * kw! + x] = data[((y * kw! + x) * cout! + o) * cin! + i]!;
  return out;
}

/** The activation a fused op ends with, applied to `x` (any layout). */
function activation(ctx: ConvertContext, node: TfNode, kind: string, x: string): string {
  const b = ctx.builder;
  switch (kind) {
    case 'Relu':
      return b.op('Relu', [x]);
    case 'Relu6':
      return b.op('Clip', [x, b.scalar('float32', 0), b.scalar('float32', 6)]);
    case 'Elu':
      return b.op('Elu', [x]);
    case 'Sigmoid':
      return b.op('Sigmoid', [x]);
    case 'Tanh':
      return b.op('Tanh', [x]);
    case 'LeakyRelu':
      return b.op('LeakyRelu', [x], { alpha: attr.float(node.attr?.leakyrelu_alpha?.f ?? 0.2) });
    default:
      throw ctx.unsupported(node, `fused activation ${kind} is not supported (Relu, Relu6, Elu, Sigmoid, Tanh, LeakyRelu are)`);
  }
}

/**
 * Conv2D, _FusedConv2D, DepthwiseConv2dNative and FusedDepthwiseConv2dNative. Fused ops carry
 * `fused_ops` = [BiasAdd | FusedBatchNorm (folded to a bias by the TF.js converter), activation?]
 * with the bias as extra input 2.
 */
function convolution(depthwise: boolean, fused: boolean): OpConverter {
  return (ctx, node) => {
    checkNhwc(ctx, node);
    const x = ctx.input(node, 0);
    const kernel = convolutionFilter(ctx, node);
    const [kh, kw, cin, last] = kernel.shape as [number, number, number, number];
    const cout = depthwise ? cin * last : last;
    const b = ctx.builder;
    const weights = depthwise ? depthwiseKernel(kernel.data as Float32Array, kernel.shape) : conv2dKernel(kernel.data as Float32Array, kernel.shape);
    const w = b.initializer(`${node.name}/kernel`, 'float32', depthwise ? [cout, 1, kh, kw] : [cout, cin, kh, kw], weights);
    const inputs = [transpose(ctx, x.name, TO_NCHW), w];
    const ops = fused ? stringList(node, 'fused_ops') : [];
    let rest = ops;
    if (ops[0] === 'BiasAdd' || ops[0] === 'FusedBatchNorm') {
      const bias = ctx.constantWeight(node, 2, 'bias');
      if (ops[0] === 'FusedBatchNorm' && ctx.dataInputs(node).length > 3) throw ctx.unsupported(node, 'an unfolded FusedBatchNorm (scale, mean, variance inputs) is not supported');
      inputs.push(b.initializer(`${node.name}/bias`, 'float32', [cout], bias.data as Float32Array));
      rest = ops.slice(1);
    }
    const strides = ctx.attrInts(node, 'strides');
    const dilations = ctx.attrInts(node, 'dilations');
    let y = b.op('Conv', inputs, {
      kernel_shape: attr.ints([kh, kw]),
      strides: attr.ints([strides[1] ?? 1, strides[2] ?? 1]),
      dilations: attr.ints([dilations[1] ?? 1, dilations[2] ?? 1]),
      group: attr.int(depthwise ? cin : 1),
      ...paddingAttrs(ctx, node),
    });
    for (const kind of rest) y = activation(ctx, node, kind, y);
    return [{ name: transpose(ctx, y, TO_NHWC), dtype: 'float32', shape: [x.shape?.[0] ?? null, null, null, cout] }];
  };
}

/** Conv2DBackpropInput (a transposed convolution): inputs output_size, filter, input, and the bias fusions.ts folds in. */
const conv2dTranspose: OpConverter = (ctx, node) => {
  checkNhwc(ctx, node);
  const size = ctx.constant(node, 0, 'input_sizes').values; // [n, h, w, c]
  const kernel = ctx.constantWeight(node, 1, 'filter');
  const x = ctx.input(node, 2);
  const [kh, kw, cout, cin] = kernel.shape as [number, number, number, number];
  const strides = ctx.attrInts(node, 'strides');
  const [sh, sw] = [strides[1] ?? 1, strides[2] ?? 1];
  const padding = ctx.attrString(node, 'padding', 'VALID');
  if (padding !== 'SAME' && padding !== 'VALID') throw ctx.unsupported(node, `padding ${padding} is not supported (SAME, VALID are)`);
  const [outH, outW] = [size[1]!, size[2]!];
  // The forward convolution this is the gradient of maps out → in: in = ceil(out / s) (SAME) or ceil((out − k + 1) / s) (VALID).
  const inH = padding === 'SAME' ? Math.ceil(outH / sh) : Math.ceil((outH - kh + 1) / sh);
  const inW = padding === 'SAME' ? Math.ceil(outW / sw) : Math.ceil((outW - kw + 1) / sw);
  const totalH = Math.max(0, (inH - 1) * sh + kh - outH);
  const totalW = Math.max(0, (inW - 1) * sw + kw - outW);
  const [top, left] = padding === 'SAME' ? [Math.floor(totalH / 2), Math.floor(totalW / 2)] : [0, 0];
  // ONNX: out = s·(in − 1) + output_padding + k − pads; output_padding takes up what the pads leave.
  const extraH = outH - ((inH - 1) * sh + kh - totalH);
  const extraW = outW - ((inW - 1) * sw + kw - totalW);
  const b = ctx.builder;
  const w = b.initializer(`${node.name}/kernel`, 'float32', [cin, cout, kh, kw], transposedKernel(kernel.data as Float32Array, kernel.shape));
  const inputs = [transpose(ctx, x.name, TO_NCHW), w];
  if (ctx.dataInputs(node).length > 3) {
    const bias = ctx.constantWeight(node, 3, 'bias');
    const values = bias.data as Float32Array;
    if (values.length !== 1 && values.length !== cout) throw ctx.unsupported(node, `a bias of ${values.length} values for ${cout} channels`);
    inputs.push(b.initializer(`${node.name}/bias`, 'float32', [cout], values.length === cout ? values : new Float32Array(cout).fill(values[0]!)));
  }
  const y = b.op('ConvTranspose', inputs, {
    kernel_shape: attr.ints([kh, kw]),
    strides: attr.ints([sh, sw]),
    pads: attr.ints([top, left, totalH - top, totalW - left]),
    output_padding: attr.ints([extraH, extraW]),
  });
  return [{ name: transpose(ctx, y, TO_NHWC), dtype: 'float32', shape: [x.shape?.[0] ?? null, outH, outW, cout] }];
};

/** MaxPool / AvgPool (TF's average leaves padding out of the count, as ONNX's default does). */
function pool(onnxOp: 'MaxPool' | 'AveragePool'): OpConverter {
  return (ctx, node) => {
    checkNhwc(ctx, node);
    const x = ctx.input(node, 0);
    const k = ctx.attrInts(node, 'ksize');
    const s = ctx.attrInts(node, 'strides');
    const y = ctx.builder.op(onnxOp, [transpose(ctx, x.name, TO_NCHW)], { kernel_shape: attr.ints([k[1] ?? 1, k[2] ?? 1]), strides: attr.ints([s[1] ?? 1, s[2] ?? 1]), ...paddingAttrs(ctx, node) });
    return [{ name: transpose(ctx, y, TO_NHWC), dtype: 'float32', shape: [x.shape?.[0] ?? null, null, null, x.shape?.[3] ?? null] }];
  };
}

/**
 * ResizeBilinear / ResizeNearestNeighbor to a [height, width] that is a constant or computed at
 * run time, with TF's align_corners / half_pixel_centers coordinate rules.
 */
function resize(method: 'linear' | 'nearest'): OpConverter {
  return (ctx, node) => {
    const x = ctx.input(node, 0);
    const alignCorners = ctx.attrBool(node, 'align_corners');
    const halfPixel = ctx.attrBool(node, 'half_pixel_centers');
    const b = ctx.builder;
    let hw: string;
    let staticHw: [StaticDim, StaticDim] = [null, null];
    if (ctx.isConstant(node, 1)) {
      const [h, w] = ctx.constant(node, 1, 'size').values as [number, number];
      hw = b.int64s([h, w]);
      staticHw = [h, w];
    } else {
      hw = ctx.input(node, 1).name; // int32 tensors are int64 in the ONNX graph
    }
    const attrs: Record<string, AttrValue> = { mode: attr.string(method) };
    if (method === 'linear') {
      attrs.coordinate_transformation_mode = attr.string(alignCorners ? 'align_corners' : halfPixel ? 'half_pixel' : 'asymmetric');
    } else {
      // TF: floor(out · scale) (legacy), floor((out + 0.5) · scale) (half-pixel), round(out · (in−1)/(out−1)) (align corners).
      attrs.coordinate_transformation_mode = attr.string(alignCorners ? 'align_corners' : halfPixel ? 'tf_half_pixel_for_nn' : 'asymmetric');
      attrs.nearest_mode = attr.string(alignCorners ? 'round_prefer_ceil' : 'floor');
    }
    const nchw = transpose(ctx, x.name, TO_NCHW);
    const batchAndChannels = b.op('Slice', [b.op('Shape', [nchw]), b.int64s([0]), b.int64s([2])]);
    const sizes = b.op('Concat', [batchAndChannels, hw], { axis: attr.int(0) });
    const y = b.op('Resize', [nchw, '', '', sizes], attrs);
    const shape: StaticDim[] = [x.shape?.[0] ?? null, staticHw[0], staticHw[1], x.shape?.[3] ?? null];
    return [{ name: transpose(ctx, y, TO_NHWC), dtype: x.dtype, shape }];
  };
}

/** Pad (zeros) with constant paddings [[before, after] per axis]; layout-independent. */
const pad: OpConverter = (ctx, node) => {
  const x = ctx.input(node, 0);
  const p = ctx.constant(node, 1, 'paddings').values;
  const rank = p.length / 2;
  const pads = [...Array.from({ length: rank }, (_, i) => p[2 * i]!), ...Array.from({ length: rank }, (_, i) => p[2 * i + 1]!)];
  const shape = x.shape ? x.shape.map((d, i) => (d === null ? null : d + p[2 * i]! + p[2 * i + 1]!)) : null;
  return [{ ...x, name: ctx.builder.op('Pad', [x.name, ctx.builder.int64s(pads)]), shape }];
};

/** DepthToSpace (NHWC): TF's depth order is ONNX's DCR mode. */
const depthToSpace: OpConverter = (ctx, node) => {
  checkNhwc(ctx, node);
  const x = ctx.input(node, 0);
  const block = ctx.attrInt(node, 'block_size');
  const y = ctx.builder.op('DepthToSpace', [transpose(ctx, x.name, TO_NCHW)], { blocksize: attr.int(block), mode: attr.string('DCR') });
  const [n, h, w, c] = x.shape ?? [null, null, null, null];
  const scaled = (d: StaticDim | undefined) => (d == null ? null : d * block);
  return [{ name: transpose(ctx, y, TO_NHWC), dtype: x.dtype, shape: [n ?? null, scaled(h), scaled(w), c == null ? null : c / (block * block)] }];
};

const addN: OpConverter = (ctx, node) => {
  const inputs: TensorRef[] = ctx.dataInputs(node).map((_, i) => ctx.input(node, i));
  return [{ ...inputs[0]!, name: ctx.builder.op('Sum', inputs.map((t) => t.name)) }];
};

export const convOps: Record<string, OpConverter> = {
  _FusedConv2D: convolution(false, true),
  DepthwiseConv2dNative: convolution(true, false),
  FusedDepthwiseConv2dNative: convolution(true, true),
  Conv2DBackpropInput: conv2dTranspose,
  MaxPool: pool('MaxPool'),
  AvgPool: pool('AveragePool'),
  ResizeBilinear: resize('linear'),
  ResizeNearestNeighbor: resize('nearest'),
  DepthToSpace: depthToSpace,
  AddN: addN,
  Pad: pad,
};
