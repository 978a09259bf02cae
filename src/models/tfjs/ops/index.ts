import type { OpConverter } from '../convert-context.js';
import { convOps } from './conv.js';
import { elementwiseOps } from './elementwise.js';
import { gatherScatterOps } from './gather-scatter.js';
import { nnOps } from './nn.js';
import { reduceOps } from './reduce.js';
import { shapeOps } from './shape.js';

/**
 * Every TF op the converter covers. To support a new model, add its missing ops to the
 * family file where they belong (or a new one) and list that table here.
 */
export const OP_CONVERTERS: Readonly<Record<string, OpConverter>> = Object.freeze({
  ...elementwiseOps,
  ...shapeOps,
  ...gatherScatterOps,
  ...reduceOps,
  ...nnOps,
  ...convOps,
});
