// A CPU worker thread: runs the named tasks of cpu-tasks.ts off the service's event loop.
// Plain JavaScript that loads the TypeScript tasks through tsx, so that it starts the same
// under `tsx`, vitest and node. Protocol: {id, task, payload} → {id, ok: true, result} | {id, ok: false, error}.
import { parentPort } from 'node:worker_threads';
import { tsImport } from 'tsx/esm/api';

const { runCpuTask, serialiseError } = await tsImport('./cpu-tasks.ts', import.meta.url);

parentPort.on('message', async ({ id, task, payload }) => {
  try {
    parentPort.postMessage({ id, ok: true, result: await runCpuTask(task, payload) });
  } catch (error) {
    parentPort.postMessage({ id, ok: false, error: serialiseError(error) });
  }
});
