// A worker thread that runs the named tasks of one module (workerData.tasks, its URL) off the
// service's event loop. Plain JavaScript that loads the TypeScript modules through tsx, so that
// it starts the same under `tsx`, vitest and node. The module exports `runTask(name, payload)`.
// Protocol: {id, task, payload} → {id, ok: true, result} | {id, ok: false, error}.
import { parentPort, workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

// One module graph for the thread (tsImport would give each import its own copy of errors.ts,
// and a typed error would no longer be an instance of its class when serialised).
register();
const { serialiseError } = await import('./errors.ts');
const { runTask } = await import(workerData.tasks);

parentPort.on('message', async ({ id, task, payload }) => {
  try {
    parentPort.postMessage({ id, ok: true, result: await runTask(task, payload) });
  } catch (error) {
    parentPort.postMessage({ id, ok: false, error: serialiseError(error) });
  }
});
