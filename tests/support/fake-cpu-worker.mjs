// A worker for WorkerPool tests, named a fake: its tasks exist only to exercise the pool
// (echo, a busy wait, a typed error, and exiting the thread).
import { parentPort, threadId } from 'node:worker_threads';

parentPort.on('message', ({ id, task, payload }) => {
  if (task === 'exit') process.exit(3);
  if (task === 'fail') return parentPort.postMessage({ id, ok: false, error: { name: 'InvalidInputError', message: payload, code: 'invalid_input', statusCode: 400 } });
  if (task === 'busy') {
    const until = Date.now() + payload;
    while (Date.now() < until);
  }
  parentPort.postMessage({ id, ok: true, result: { task, payload, threadId } });
});
