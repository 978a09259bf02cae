import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { onAbort } from '../../src/core/abort.js';
import { Limiter } from '../../src/core/limiter.js';

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe('Limiter', () => {
  it('never runs more than `concurrency` tasks at once', async () => {
    const limiter = new Limiter(2);
    let running = 0;
    let peak = 0;
    await Promise.all(
      Array.from({ length: 8 }, () =>
        limiter.run(async () => {
          running++;
          peak = Math.max(peak, running);
          await new Promise((r) => setTimeout(r, 5));
          running--;
        }),
      ),
    );
    expect(peak).toBe(2);
    expect(limiter.running).toBe(0);
  });

  it('lets waiting interactive work go ahead of waiting batch work', async () => {
    const limiter = new Limiter(1);
    const gate = deferred();
    const order: string[] = [];
    const first = limiter.run(() => gate.promise, { priority: 'batch' });
    const batch = limiter.run(async () => void order.push('batch'), { priority: 'batch' });
    const query = limiter.run(async () => void order.push('query'), { priority: 'interactive' });
    expect(limiter.pending).toBe(2);
    gate.resolve();
    await Promise.all([first, batch, query]);
    expect(order).toEqual(['query', 'batch']);
  });

  it('drops a waiting task whose signal aborts, and frees nothing it did not take', async () => {
    const limiter = new Limiter(1);
    const gate = deferred();
    const first = limiter.run(() => gate.promise);
    const controller = new AbortController();
    let ran = false;
    const waiting = limiter.run(async () => void (ran = true), { signal: controller.signal });
    controller.abort();
    await expect(waiting).rejects.toMatchObject({ code: 'aborted' });
    gate.resolve();
    await first;
    expect(ran).toBe(false);
    expect(limiter.running).toBe(0);
    expect(limiter.pending).toBe(0);
  });

  it('puts one abort listener on a signal however many tasks wait on it, and none once they have started', async () => {
    const limiter = new Limiter(1);
    const controller = new AbortController();
    const gate = deferred();
    const first = limiter.run(() => gate.promise, { signal: controller.signal });
    const waiting = Array.from({ length: 30 }, (_, i) => limiter.run(async () => i, { signal: controller.signal }));
    expect(limiter.pending).toBe(30);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1);
    gate.resolve();
    expect(await Promise.all(waiting)).toEqual(Array.from({ length: 30 }, (_, i) => i));
    await first;
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });

  it('drops every waiting task of a signal that aborts, and only those', async () => {
    const limiter = new Limiter(1);
    const gate = deferred();
    const first = limiter.run(() => gate.promise);
    const cancelled = new AbortController();
    const kept = new AbortController();
    const doomed = Array.from({ length: 12 }, () => limiter.run(async () => 'ran', { signal: cancelled.signal }));
    const survivors = Array.from({ length: 3 }, () => limiter.run(async () => 'ran', { signal: kept.signal }));
    cancelled.abort();
    for (const task of doomed) await expect(task).rejects.toMatchObject({ code: 'aborted' });
    expect(limiter.pending).toBe(3);
    gate.resolve();
    await first;
    expect(await Promise.all(survivors)).toEqual(['ran', 'ran', 'ran']);
    expect(getEventListeners(kept.signal, 'abort')).toHaveLength(0);
  });

  it('keeps one slot free for queries while they keep coming, and gives it back to batch work when they stop', async () => {
    const limiter = new Limiter(2, { reserveForInteractiveMs: 80 });
    await limiter.run(async () => {}, { priority: 'interactive' }); // a query just ran
    const gates = [deferred(), deferred(), deferred()];
    const started: number[] = [];
    const batches = gates.map((g, i) => limiter.run(async () => (started.push(i), g.promise), { priority: 'batch' }));
    await new Promise((r) => setTimeout(r, 10));
    expect(started).toEqual([0]); // the second slot is held for queries
    const query = limiter.run(async () => 'answered', { priority: 'interactive' });
    expect(await query).toBe('answered'); // it did not wait behind the batches
    await new Promise((r) => setTimeout(r, 150)); // queries have stopped: batch work takes both slots
    expect(started).toEqual([0, 1]);
    gates.forEach((g) => g.resolve());
    await Promise.all(batches);
    expect(started).toEqual([0, 1, 2]);
    expect(limiter.running).toBe(0);
  });

  it('without a reservation, batch work takes every free slot at once', async () => {
    const limiter = new Limiter(2);
    await limiter.run(async () => {}, { priority: 'interactive' });
    const gate = deferred();
    let started = 0;
    const batches = [1, 2].map(() => limiter.run(async () => (started++, gate.promise), { priority: 'batch' }));
    await new Promise((r) => setTimeout(r, 0));
    expect(started).toBe(2);
    gate.resolve();
    await Promise.all(batches);
  });

  it('rejects a non-positive concurrency', () => {
    expect(() => new Limiter(0)).toThrow(/positive integer/);
  });
});

describe('onAbort', () => {
  it('calls each registration once on abort, through one listener, and not after it is removed', () => {
    const controller = new AbortController();
    const calls: string[] = [];
    const offA = onAbort(controller.signal, () => calls.push('a'));
    onAbort(controller.signal, () => calls.push('b'));
    const same = () => calls.push('c');
    onAbort(controller.signal, same);
    onAbort(controller.signal, same); // registered twice, called twice
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1);
    offA();
    offA(); // removing twice is harmless
    controller.abort();
    expect(calls).toEqual(['b', 'c', 'c']);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });

  it('removes the listener with the last registration, and adds a fresh one for the next', () => {
    const controller = new AbortController();
    const offs = Array.from({ length: 20 }, () => onAbort(controller.signal, () => {}));
    for (const off of offs) off();
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
    let called = false;
    onAbort(controller.signal, () => (called = true));
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1);
    controller.abort();
    expect(called).toBe(true);
  });
});
