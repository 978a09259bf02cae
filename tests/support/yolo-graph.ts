/**
 * A stand-in YOLOv8 export for tests: input `images` 1×3×S×S, output `output0` 1×(4+C)×N whose
 * values are the given head tensor (plus 0 × the image mean, so the output depends on the input
 * through the graph like a real one). Not a detector: it tests the code around one.
 */
import { OnnxGraphBuilder } from '../../src/models/onnx/graph-builder.js';

export function fakeYoloOnnx(size: number, head: Float32Array, classes: number, anchors: number): Uint8Array {
  if (head.length !== (4 + classes) * anchors) throw new Error('head size does not match (4 + classes) × anchors');
  const b = new OnnxGraphBuilder('fake-yolov8');
  const x = b.input('images', 'float32', [1, 3, size, size]);
  const pooled = b.op('Reshape', [b.op('GlobalAveragePool', [x]), b.int64s([1, 1, 3])]);
  const zero = b.op('MatMul', [pooled, b.initializer('zeros', 'float32', [3, anchors], new Float32Array(3 * anchors))]);
  b.op('Add', [b.initializer('head', 'float32', [1, 4 + classes, anchors], head), zero], {}, 'output0');
  b.output('output0', 'float32', [1, 4 + classes, anchors]);
  return b.toBytes();
}

/** A head tensor 1×(4+C)×N with the given anchors set (cx, cy, w, h and one score per class); others all zero. */
export function yoloHead(classes: number, anchors: number, set: Array<{ at: number; cx: number; cy: number; w: number; h: number; scores: Record<number, number> }>): Float32Array {
  const head = new Float32Array((4 + classes) * anchors);
  for (const a of set) {
    head[a.at] = a.cx;
    head[anchors + a.at] = a.cy;
    head[2 * anchors + a.at] = a.w;
    head[3 * anchors + a.at] = a.h;
    for (const [c, s] of Object.entries(a.scores)) head[(4 + Number(c)) * anchors + a.at] = s;
  }
  return head;
}
