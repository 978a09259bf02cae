// Tasks for WorkerPool tests, named fakes: they exist only to exercise the pool (echo, a busy
// wait, a typed error, an answer too deep to read back, and exiting the thread).
import { threadId } from 'node:worker_threads';
import { InvalidInputError } from '../../src/core/errors.ts';

export async function runTask(task, payload) {
  if (task === 'exit') process.exit(3);
  if (task === 'fail') throw new InvalidInputError(payload);
  if (task === 'deep') {
    let deep = 'leaf';
    for (let i = 0; i < payload; i++) deep = { d: deep };
    return deep;
  }
  if (task === 'busy') {
    const until = Date.now() + payload;
    while (Date.now() < until);
  }
  return { task, payload, threadId };
}
