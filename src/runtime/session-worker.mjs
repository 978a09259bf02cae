// One ONNX Runtime session in a worker thread. onnxruntime-node's `run` executes on the
// calling thread, so sessions live here to keep the service's event loop free while a model
// runs. Plain JavaScript, so that it loads the same under tsx, vitest and compiled builds.
// Protocol: {type:'load', source, options} → {type:'loaded', inputNames, outputNames} | {type:'error'}
//           {type:'run', id, feeds}       → {type:'result', id, outputs} | {type:'error', id}
import { parentPort } from 'node:worker_threads';
import ort from 'onnxruntime-node';

let session;

function toHost(tensor) {
  return { type: tensor.type, data: tensor.data, dims: [...tensor.dims] };
}

parentPort.on('message', async (message) => {
  try {
    if (message.type === 'load') {
      session = await ort.InferenceSession.create(message.source, message.options);
      parentPort.postMessage({ type: 'loaded', inputNames: [...session.inputNames], outputNames: [...session.outputNames] });
    } else if (message.type === 'run') {
      const feeds = {};
      for (const [name, t] of Object.entries(message.feeds)) feeds[name] = new ort.Tensor(t.type, t.data, t.dims);
      const results = await session.run(feeds);
      const outputs = {};
      const transfer = [];
      for (const [name, tensor] of Object.entries(results)) {
        outputs[name] = toHost(tensor);
        transfer.push(outputs[name].data.buffer);
      }
      parentPort.postMessage({ type: 'result', id: message.id, outputs }, transfer);
    } else if (message.type === 'release') {
      await session?.release();
      parentPort.postMessage({ type: 'released' });
    }
  } catch (error) {
    parentPort.postMessage({ type: 'error', id: message.id, message: error instanceof Error ? error.message : String(error) });
  }
});
