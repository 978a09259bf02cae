import { convertTfGraphToOnnx } from './src/models/tfjs/convert.js';
import { loadTfGraphModel } from './src/models/tfjs/graph-model.js';
import { loadReferenceGraphModel, tf } from './scripts/lib/tfjs-reference.js';
import { testRuntime } from './tests/support/runtime.js';
const rt = testRuntime();
const cases = [
  { path: '/tmp/vpk/hm/package/models/centernet.json', input: 'tower_0/images', shape: [1, 512, 512, 3], scale: 255, outputs: ['tower_0/keypoints', 'tower_0/wh'] },
  { path: '/tmp/vpk/hm/package/models/selfie.json', input: 'input_1', shape: [1, 256, 256, 3], scale: 1, outputs: ['activation_10'] },
];
for (const c of cases) {
  const t0 = Date.now();
  const bytes = convertTfGraphToOnnx(await loadTfGraphModel(c.path), { outputs: Object.fromEntries(c.outputs.map((o) => [o, o.replace(/\W/g, '_')])), pruneToOutputs: true });
  console.log('converted', c.path, bytes.length, Date.now() - t0, 'ms');
  const s = await rt.load(c.path, bytes);
  const n = c.shape.reduce((a, b) => a * b, 1);
  let seed = 7; const data = Float32Array.from({ length: n }, () => ((seed = (seed * 16807) % 2147483647) / 2147483647) * c.scale);
  const t1 = Date.now();
  const ours = await s.run({ [c.input]: { type: 'float32', data, dims: c.shape } });
  console.log('onnx ms', Date.now() - t1);
  const ref = await loadReferenceGraphModel(c.path);
  const t2 = Date.now();
  const exp = ref.execute({ [c.input]: tf.tensor(data, c.shape) }, c.outputs) as any;
  const list = Array.isArray(exp) ? exp : [exp];
  const vals = await Promise.all(list.map((t: any) => t.data()));
  console.log('tfjs ms', Date.now() - t2);
  c.outputs.forEach((o, i) => {
    const got = ours[o.replace(/\W/g, '_')]!; let max = 0; const want = vals[i];
    for (let k = 0; k < want.length; k++) max = Math.max(max, Math.abs((got.data as Float32Array)[k]! - want[k]));
    console.log(o, got.dims, list[i].shape, 'max abs diff', max);
  });
}
await rt.close();
