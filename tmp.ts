import { HfOnnxEmbedder } from './src/embedding/hf-onnx/hf-onnx-embedder.js';
import { OnnxRuntime } from './src/runtime/onnx-runtime.js';
import { silentLogger } from './src/core/logger.js';
import { tinyBertWeights, writeTinyBertFolder, referenceSentenceVector } from './tests/support/tiny-bert.js';
const w = tinyBertWeights();
writeTinyBertFolder('/tmp/tinybert', w, 'mean');
const rt = new OnnxRuntime({ device: 'cpu', intraOpThreads: 1, interOpThreads: 1, concurrencyPerModel: 1, logger: silentLogger });
const e = await HfOnnxEmbedder.create(rt, { folder: '/tmp/tinybert', batchSize: 4 });
const texts = ['Hello world!', 'The quick brown fox jumps over the lazy dog.', 'a cat', 'Scrooge was dead, Marley was dead'];
const r = await e.embed(texts);
// @ts-ignore
const tok = (e as any).tokenizer;
for (let i = 0; i < texts.length; i++) {
  const ids = tok.encode(texts[i]);
  const ref = referenceSentenceVector(w, ids, 'mean');
  const d = Math.max(...ref.map((v, j) => Math.abs(v - r.vectors[i]![j]!)));
  console.log(ids, d.toExponential(2));
}
console.log(e.maxTokens, e.dim, r.truncated);
await rt.close();
