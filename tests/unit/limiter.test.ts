import { describe, expect, it } from 'vitest';
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
