/**
 * Converts a TF.js graph model to ONNX.
 *   npm run convert-model -- <model.json> <out.onnx> [--output tfNode=onnxName ...]
 */
import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { convertTfGraphToOnnx } from '../src/models/tfjs/convert.js';
import { loadTfGraphModel } from '../src/models/tfjs/graph-model.js';

const { positionals, values } = parseArgs({ allowPositionals: true, options: { output: { type: 'string', multiple: true } } });
const [modelJson, outFile] = positionals;
if (!modelJson || !outFile) {
  console.error('usage: npm run convert-model -- <model.json> <out.onnx> [--output tfNode=onnxName ...]');
  process.exit(2);
}
const outputs = values.output?.length ? Object.fromEntries(values.output.map((o) => o.split('=') as [string, string])) : undefined;
const model = await loadTfGraphModel(modelJson);
const bytes = convertTfGraphToOnnx(model, { outputs });
await writeFile(outFile, bytes);
console.log(`${modelJson}: ${model.nodes.length} nodes → ${outFile} (${(bytes.byteLength / 1e6).toFixed(1)} MB)`);
