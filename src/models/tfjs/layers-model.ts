/**
 * TF.js *layers* models (Keras topology: `modelTopology.model_config`) rewritten as the TF graph
 * the graph converter reads: each layer becomes the TF ops it computes (Conv2D → Conv2D + BiasAdd
 * + activation, Concatenate → ConcatV2, Add → AddN, UpSampling2D → ResizeNearestNeighbor), its
 * weights keep their manifest names (`<layer>/kernel`, `<layer>/bias`). BatchNormalization is folded
 * into a per-channel scale and shift at conversion; Dropout is the identity (inference). A nearest
 * UpSampling2D read only by a 'same' Conv2D is folded into it as a sub-pixel convolution
 * (Conv2D + DepthToSpace, see subpixel.ts).
 */
import { ConversionError, ModelFileError } from '../../core/errors.js';
import { readJson, readWeights } from './graph-model.js';
import type { TfAttr, TfGraphModel, TfNode, Weight } from './graph-model.js';
import { subpixelApplies, subpixelBias, subpixelKernel } from './subpixel.js';

interface KerasLayer {
  class_name: string;
  name?: string;
  config: Record<string, unknown> & { name: string };
  inbound_nodes?: Array<Array<[string, number, number, unknown]>>;
}

const FLOAT: TfAttr = { type: 'DT_FLOAT' };
const INT32: TfAttr = { type: 'DT_INT32' };
const str = (s: string): TfAttr => ({ s: Buffer.from(s).toString('base64') });
const ints = (values: number[]): TfAttr => ({ list: { i: values.map(String) } });

const ACTIVATIONS: Record<string, string | null> = { linear: null, relu: 'Relu', relu6: 'Relu6', sigmoid: 'Sigmoid', tanh: 'Tanh', elu: 'Elu', softmax: 'Softmax' };

export async function loadTfLayersModel(modelJsonPath: string): Promise<TfGraphModel> {
  const json = (await readJson(modelJsonPath)) as unknown as { modelTopology?: { model_config?: { class_name: string; config: { layers: KerasLayer[]; output_layers?: unknown } } } };
  const config = json.modelTopology?.model_config;
  if (!config || !Array.isArray(config.config?.layers)) throw new ModelFileError(modelJsonPath, 'it has no modelTopology.model_config.config.layers; it is not a TF.js layers model');
  if (config.class_name !== 'Functional' && config.class_name !== 'Model' && config.class_name !== 'Sequential') {
    throw new ConversionError(`${modelJsonPath}: model class ${config.class_name} is not supported (Functional, Model, Sequential are)`);
  }
  const weights = await readWeights(modelJsonPath, (json as { weightsManifest?: never }).weightsManifest);
  const nodes: TfNode[] = [];
  const outputOf = new Map<string, string>();
  const constant = (name: string, weight: Weight | undefined, dtype: TfAttr) => {
    if (!weight) throw new ModelFileError(modelJsonPath, `weight "${name}" is not in its weight manifest`);
    weights.set(name, weight);
    nodes.push({ name, op: 'Const', attr: { dtype } });
    return name;
  };
  const op = (name: string, kind: string, input: string[], attr: Record<string, TfAttr> = {}) => {
    nodes.push({ name, op: kind, input, attr: { T: FLOAT, ...attr } });
    return name;
  };
  const layers = config.config.layers;
  const inputLayers = layers.map((layer, i) => (layer.inbound_nodes?.length ? layer.inbound_nodes[0]!.map(([from]) => from) : i > 0 ? [layers[i - 1]!.config.name] : []));
  const folded = foldableUpsamples(layers, inputLayers, config.config.output_layers);
  const upsampled = new Map<string, { input: string; factor: number }>();
  for (const [index, layer] of layers.entries()) {
    const name = layer.config.name;
    const c = layer.config;
    const inputs = inputLayers[index]!.map((from) => outputOf.get(from)!);
    const where = `${modelJsonPath}: layer ${name} (${layer.class_name})`;
    if ((c.data_format ?? 'channels_last') !== 'channels_last') throw new ConversionError(`${where}: data_format ${String(c.data_format)} is not supported (channels_last is)`);
    let out: string;
    switch (layer.class_name) {
      case 'InputLayer': {
        const shape = (c.batch_input_shape as Array<number | null>).map((d) => ({ size: String(d ?? -1) }));
        nodes.push({ name, op: 'Placeholder', attr: { dtype: FLOAT, shape: { shape: { dim: shape } } } });
        out = name;
        break;
      }
      case 'Conv2D': {
        const strides = c.strides as number[];
        const dilation = c.dilation_rate as number[];
        if (((c.groups as number | undefined) ?? 1) !== 1) throw new ConversionError(`${where}: grouped convolution is not supported`);
        const upsample = upsampled.get(inputLayers[index]![0]!);
        let kernel = weights.get(`${name}/kernel`);
        let bias = weights.get(`${name}/bias`);
        if (upsample && kernel) {
          kernel = { dtype: 'float32', ...subpixelKernel(kernel.data as Float32Array, kernel.shape, upsample.factor) };
          if (bias) bias = { dtype: 'float32', shape: [kernel.shape[3]!], data: subpixelBias(bias.data as Float32Array, upsample.factor) };
        }
        const suffix = upsample ? '_subpixel' : '';
        out = op(`${name}/Conv2D`, 'Conv2D', [upsample?.input ?? inputs[0]!, constant(`${name}/kernel${suffix}`, kernel, FLOAT)], {
          strides: ints([1, strides[0]!, strides[1]!, 1]),
          dilations: ints([1, dilation[0]!, dilation[1]!, 1]),
          padding: str(String(c.padding).toUpperCase()),
          data_format: str('NHWC'),
        });
        if (c.use_bias !== false) out = op(`${name}/BiasAdd`, 'BiasAdd', [out, constant(`${name}/bias${suffix}`, bias, FLOAT)], { data_format: str('NHWC') });
        out = activation(where, String(c.activation ?? 'linear'), out, `${name}/activation`, op);
        if (upsample) out = op(name, 'DepthToSpace', [out], { block_size: { i: String(upsample.factor) }, data_format: str('NHWC') });
        break;
      }
      case 'Activation':
        out = activation(where, String(c.activation), inputs[0]!, name, op);
        break;
      case 'Concatenate': {
        const axis = constant(`${name}/axis`, { dtype: 'int32', shape: [], data: Int32Array.from([Number(c.axis ?? -1)]) }, INT32);
        out = op(name, 'ConcatV2', [...inputs, axis], { N: { i: String(inputs.length) } });
        break;
      }
      case 'Add':
        out = op(name, 'AddN', inputs, { N: { i: String(inputs.length) } });
        break;
      case 'DepthwiseConv2D': {
        const strides = c.strides as number[];
        const dilation = c.dilation_rate as number[];
        out = op(`${name}/depthwise`, 'DepthwiseConv2dNative', [inputs[0]!, constant(`${name}/depthwise_kernel`, weights.get(`${name}/depthwise_kernel`), FLOAT)], {
          strides: ints([1, strides[0]!, strides[1]!, 1]),
          dilations: ints([1, dilation[0]!, dilation[1]!, 1]),
          padding: str(String(c.padding).toUpperCase()),
          data_format: str('NHWC'),
        });
        if (c.use_bias === true) out = op(`${name}/BiasAdd`, 'BiasAdd', [out, constant(`${name}/bias`, weights.get(`${name}/bias`), FLOAT)], { data_format: str('NHWC') });
        out = activation(where, String(c.activation ?? 'linear'), out, `${name}/activation`, op);
        break;
      }
      case 'Dense': {
        out = op(`${name}/MatMul`, 'MatMul', [inputs[0]!, constant(`${name}/kernel`, weights.get(`${name}/kernel`), FLOAT)], { transpose_a: { b: false }, transpose_b: { b: false } });
        if (c.use_bias !== false) out = op(`${name}/BiasAdd`, 'BiasAdd', [out, constant(`${name}/bias`, weights.get(`${name}/bias`), FLOAT)]);
        out = activation(where, String(c.activation ?? 'linear'), out, `${name}/activation`, op);
        break;
      }
      case 'BatchNormalization': {
        const axis = Number(c.axis ?? -1);
        if (axis !== -1 && axis !== 3) throw new ConversionError(`${where}: normalising axis ${axis} is not supported (the channel axis, -1, is)`);
        const get = (w: string) => weights.get(`${name}/${w}`)?.data as Float32Array | undefined;
        const mean = get('moving_mean'), variance = get('moving_variance');
        if (!mean || !variance) throw new ModelFileError(modelJsonPath, `weights ${name}/moving_mean and ${name}/moving_variance are missing`);
        const gamma = c.scale === false ? undefined : get('gamma');
        const beta = c.center === false ? undefined : get('beta');
        const eps = Number(c.epsilon ?? 1e-3);
        const scale = Float32Array.from(variance, (v, i) => (gamma?.[i] ?? 1) / Math.sqrt(v + eps));
        const shift = Float32Array.from(mean, (m, i) => (beta?.[i] ?? 0) - m * scale[i]!);
        const scaled = op(`${name}/scale`, 'Mul', [inputs[0]!, constant(`${name}/folded_scale`, { dtype: 'float32', shape: [scale.length], data: scale }, FLOAT)]);
        out = op(name, 'AddV2', [scaled, constant(`${name}/folded_shift`, { dtype: 'float32', shape: [shift.length], data: shift }, FLOAT)]);
        break;
      }
      case 'ReLU': {
        const max = c.max_value as number | null | undefined;
        if (Number(c.negative_slope ?? 0) !== 0 || Number(c.threshold ?? 0) !== 0) throw new ConversionError(`${where}: ReLU with a negative slope or threshold is not supported`);
        if (max != null && max !== 6) throw new ConversionError(`${where}: ReLU max_value ${max} is not supported (none or 6 are)`);
        out = op(name, max === 6 ? 'Relu6' : 'Relu', [inputs[0]!]);
        break;
      }
      case 'ZeroPadding2D': {
        const [[top, bottom], [left, right]] = c.padding as [[number, number], [number, number]];
        const pads = constant(`${name}/paddings`, { dtype: 'int32', shape: [4, 2], data: Int32Array.from([0, 0, top, bottom, left, right, 0, 0]) }, INT32);
        out = op(name, 'Pad', [inputs[0]!, pads], { Tpaddings: INT32 });
        break;
      }
      case 'AveragePooling2D':
      case 'MaxPooling2D': {
        const pool = c.pool_size as number[];
        const strides = (c.strides as number[] | null) ?? pool;
        out = op(name, layer.class_name === 'MaxPooling2D' ? 'MaxPool' : 'AvgPool', [inputs[0]!], {
          ksize: ints([1, pool[0]!, pool[1]!, 1]),
          strides: ints([1, strides[0]!, strides[1]!, 1]),
          padding: str(String(c.padding).toUpperCase()),
          data_format: str('NHWC'),
        });
        break;
      }
      case 'GlobalAveragePooling2D': {
        const axes = constant(`${name}/axes`, { dtype: 'int32', shape: [2], data: Int32Array.from([1, 2]) }, INT32);
        out = op(name, 'Mean', [inputs[0]!, axes], { keep_dims: { b: false }, Tidx: INT32 });
        break;
      }
      case 'Flatten': {
        // [batch, -1], the batch size read at run time.
        const shape = op(`${name}/shape`, 'Shape', [inputs[0]!], { out_type: INT32 });
        const zero = constant(`${name}/zero`, { dtype: 'int32', shape: [1], data: Int32Array.from([0]) }, INT32);
        const one = constant(`${name}/one`, { dtype: 'int32', shape: [1], data: Int32Array.from([1]) }, INT32);
        const batch = op(`${name}/batch`, 'StridedSlice', [shape, zero, one, one], { T: INT32, Index: INT32, begin_mask: { i: '0' }, end_mask: { i: '0' }, ellipsis_mask: { i: '0' }, new_axis_mask: { i: '0' }, shrink_axis_mask: { i: '0' } });
        const rest = constant(`${name}/rest`, { dtype: 'int32', shape: [1], data: Int32Array.from([-1]) }, INT32);
        const axis = constant(`${name}/axis`, { dtype: 'int32', shape: [], data: Int32Array.from([0]) }, INT32);
        const target = op(`${name}/target`, 'ConcatV2', [batch, rest, axis], { T: INT32, N: { i: '2' } });
        out = op(name, 'Reshape', [inputs[0]!, target], { Tshape: INT32 });
        break;
      }
      case 'Dropout':
        out = inputs[0]!;
        break;
      case 'UpSampling2D': {
        if ((c.interpolation ?? 'nearest') !== 'nearest') throw new ConversionError(`${where}: interpolation ${String(c.interpolation)} is not supported (nearest is)`);
        const [sy, sx] = c.size as [number, number];
        if (folded.has(name)) {
          upsampled.set(name, { input: inputs[0]!, factor: sy });
          out = inputs[0]!; // read only by the convolution that folds it in
          break;
        }
        const shape = op(`${name}/shape`, 'Shape', [inputs[0]!], { out_type: INT32 });
        const begin = constant(`${name}/begin`, { dtype: 'int32', shape: [1], data: Int32Array.from([1]) }, INT32);
        const end = constant(`${name}/end`, { dtype: 'int32', shape: [1], data: Int32Array.from([3]) }, INT32);
        const step = constant(`${name}/step`, { dtype: 'int32', shape: [1], data: Int32Array.from([1]) }, INT32);
        const hw = op(`${name}/hw`, 'StridedSlice', [shape, begin, end, step], { T: INT32, Index: INT32, begin_mask: { i: '0' }, end_mask: { i: '0' }, ellipsis_mask: { i: '0' }, new_axis_mask: { i: '0' }, shrink_axis_mask: { i: '0' } });
        const factor = constant(`${name}/factor`, { dtype: 'int32', shape: [2], data: Int32Array.from([sy, sx]) }, INT32);
        const size = op(`${name}/size`, 'Mul', [hw, factor], { T: INT32 });
        out = op(name, 'ResizeNearestNeighbor', [inputs[0]!, size], { align_corners: { b: false }, half_pixel_centers: { b: false } });
        break;
      }
      default:
        throw new ConversionError(`${where}: layer type ${layer.class_name} is not covered (InputLayer, Conv2D, DepthwiseConv2D, Dense, BatchNormalization, Activation, ReLU, ZeroPadding2D, AveragePooling2D, MaxPooling2D, GlobalAveragePooling2D, Flatten, Dropout, Concatenate, Add, UpSampling2D are); add it in src/models/tfjs/layers-model.ts`);
    }
    outputOf.set(name, out);
  }
  return { nodes, weights, source: modelJsonPath };
}

/**
 * Nearest UpSampling2D layers whose only reader is a Conv2D that can absorb them as a sub-pixel
 * convolution (see subpixel.ts), and that are not model outputs themselves.
 */
function foldableUpsamples(layers: KerasLayer[], inputLayers: string[][], outputLayers: unknown): Set<string> {
  const outputs = new Set((Array.isArray(outputLayers) ? outputLayers : []).map((o) => String((o as unknown[])[0])));
  if (!Array.isArray(outputLayers)) outputs.add(layers[layers.length - 1]!.config.name); // Sequential: the last layer
  const readers = new Map<string, KerasLayer[]>();
  layers.forEach((layer, i) => inputLayers[i]!.forEach((from) => readers.set(from, [...(readers.get(from) ?? []), layer])));
  const folded = new Set<string>();
  for (const layer of layers) {
    const c = layer.config;
    if (layer.class_name !== 'UpSampling2D' || (c.interpolation ?? 'nearest') !== 'nearest' || outputs.has(c.name)) continue;
    const [reader, ...others] = readers.get(c.name) ?? [];
    if (!reader || others.length || reader.class_name !== 'Conv2D' || ((reader.config.groups as number | undefined) ?? 1) !== 1) continue;
    const r = reader.config;
    if (subpixelApplies(r.kernel_size as number[], r.strides as number[], r.dilation_rate as number[], String(r.padding), c.size as [number, number])) folded.add(c.name);
  }
  return folded;
}

function activation(where: string, kind: string, input: string, name: string, op: (name: string, kind: string, input: string[]) => string): string {
  if (!(kind in ACTIVATIONS)) throw new ConversionError(`${where}: activation ${kind} is not supported (${Object.keys(ACTIVATIONS).join(', ')} are)`);
  const tfOp = ACTIVATIONS[kind];
  return tfOp ? op(name, tfOp, [input]) : input;
}

/** The output node of a layers model: the last node written for `layer`. */
export function layerOutput(model: TfGraphModel, layer: string): string {
  const candidates = [layer, `${layer}/activation`, `${layer}/BiasAdd`, `${layer}/Conv2D`, `${layer}/depthwise`, `${layer}/MatMul`];
  const found = candidates.find((c) => model.nodes.some((n) => n.name === c));
  if (!found) throw new ConversionError(`${model.source}: no layer named ${layer}`);
  return found;
}
