import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CallTimeoutError } from '../../src/core/errors.js';
import { OnnxGraphBuilder } from '../../src/models/onnx/graph-builder.js';
import { chooseProviders, parseDevice } from '../../src/runtime/devices.js';
import type { ProviderProbe } from '../../src/runtime/devices.js';
import { OnnxRuntime, threadsPerWorker } from '../../src/runtime/onnx-runtime.js';
import { RecordingLogger, tempDir, testRuntime } from '../support/runtime.js';

/** Fake probes: what a CPU-only host and a GPU host report. Only the code around them is under test. */
const cpuOnlyHost: ProviderProbe = { check: (p) => ({ available: false, missing: `the ${p} provider library libonnxruntime_providers_${p}.so is not installed` }) };
const fakeGpuHost: ProviderProbe = { check: () => ({ available: true }) };

function addOneModel(): Uint8Array {
  const b = new OnnxGraphBuilder('add-one');
  const x = b.input('x', 'float32', ['n']);
  b.op('Add', [x, b.scalar('float32', 1)], {}, 'y');
  b.output('y', 'float32', ['n']);
  return b.toBytes();
}

describe('device → execution providers', () => {
  it('maps cpu, cuda and auto on a GPU host', () => {
    expect(chooseProviders('cpu', fakeGpuHost)).toEqual({ providers: ['cpu'] });
    expect(chooseProviders('cuda', fakeGpuHost)).toEqual({ providers: ['cuda', 'cpu'] });
    expect(chooseProviders('auto', fakeGpuHost)).toEqual({ providers: ['cuda', 'cpu'] });
  });

  it('falls back to CPU without CUDA: quietly for auto, with a warning naming what is missing for cuda', () => {
    expect(chooseProviders('auto', cpuOnlyHost)).toEqual({ providers: ['cpu'] });
    const choice = chooseProviders('cuda', cpuOnlyHost);
    expect(choice.providers).toEqual(['cpu']);
    expect(choice.fallbackWarning).toMatch(/libonnxruntime_providers_cuda\.so is not installed/);
    expect(choice.fallbackWarning).toMatch(/ONNXRUNTIME_NODE_INSTALL=cuda12/);
  });

  it('rejects an unknown device and lists the valid ones', () => {
    expect(() => parseDevice('tpu')).toThrow('Unsupported device "tpu". Should be one of: cpu, cuda, auto');
    expect(parseDevice('cuda')).toBe('cuda');
  });

  it('on this machine (no CUDA provider installed), DEVICE=cuda logs one warning and runs on CPU', async () => {
    const logger = new RecordingLogger();
    const runtime = testRuntime({ device: 'cuda', logger });
    expect(runtime.providers).toEqual(['cpu']);
    const session = await runtime.load('add-one', addOneModel());
    expect(session.provider).toBe('cpu');
    await runtime.load('add-one-again', addOneModel());
    expect(logger.lines.filter((l) => l.level === 'warn')).toHaveLength(1);
    expect(logger.lines.find((l) => l.level === 'warn')!.msg).toMatch(/DEVICE=cuda was asked for.*Running on CPU/);
    await runtime.close();
  });

  it('when the CUDA provider is reported but fails to start, retries on CPU with one warning', async () => {
    const logger = new RecordingLogger();
    const runtime = testRuntime({ device: 'cuda', logger, probe: fakeGpuHost });
    expect(runtime.providers).toEqual(['cuda', 'cpu']);
    const session = await runtime.load('add-one', addOneModel());
    expect(session.provider).toBe('cpu');
    const out = await session.run({ x: { type: 'float32', data: Float32Array.from([1, 2]), dims: [2] } });
    expect(Array.from(out.y!.data as Float32Array)).toEqual([2, 3]);
    expect(logger.lines.filter((l) => l.level === 'warn')).toHaveLength(1);
    await runtime.close();
  });
});

describe('sessions', () => {
  it('creates one session per model id, shares it, and releases on close', async () => {
    const runtime = testRuntime();
    const [a, b] = await Promise.all([runtime.load('m', addOneModel()), runtime.load('m', addOneModel())]);
    expect(a).toBe(b);
    expect(a.inputNames).toEqual(['x']);
    expect(a.outputNames).toEqual(['y']);
    await runtime.close();
    const c = await runtime.load('m', addOneModel());
    expect(c).not.toBe(a);
    await runtime.close();
  });

  it('limits concurrent inferences per model and keeps results correct', async () => {
    const runtime = new OnnxRuntime({ device: 'cpu', intraOpThreads: 1, interOpThreads: 1, concurrencyPerModel: 2, logger: new RecordingLogger() });
    const session = await runtime.load('m', addOneModel());
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => session.run({ x: { type: 'float32', data: Float32Array.from([i]), dims: [1] } })));
    expect(results.map((r) => (r.y!.data as Float32Array)[0])).toEqual(Array.from({ length: 10 }, (_, i) => i + 1));
    await runtime.close();
  });

  it('runs inference off the event loop, so timers and requests go on meanwhile', async () => {
    const runtime = testRuntime();
    const b = new OnnxGraphBuilder('slow');
    const x = b.input('x', 'float32', [512, 512]);
    let y = x;
    for (let i = 0; i < 40; i++) y = b.op('MatMul', [y, x]);
    b.op('Identity', [y], {}, 'out');
    b.output('out', 'float32', [512, 512]);
    const session = await runtime.load('slow', b.toBytes());
    const data = Float32Array.from({ length: 512 * 512 }, (_, i) => ((i % 7) - 3) / 1000);
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    const started = performance.now();
    await session.run({ x: { type: 'float32', data, dims: [512, 512] } });
    const elapsed = performance.now() - started;
    clearInterval(timer);
    expect(elapsed).toBeGreaterThan(20);
    expect(ticks).toBeGreaterThan(elapsed / 20); // a blocked loop would tick about once
    await runtime.close();
  });

  it('gives up on an inference past MODEL_TIMEOUT_MS, and the worker takes the next one once it is free', async () => {
    const runtime = testRuntime({ runTimeoutMs: 50 });
    // Forty chained square MatMuls: slow at 512×512, instant at 2×2.
    const b = new OnnxGraphBuilder('chain');
    const x = b.input('x', 'float32', ['n', 'n']);
    let y = x;
    for (let i = 0; i < 40; i++) y = b.op('MatMul', [y, x]);
    b.op('Identity', [y], {}, 'out');
    b.output('out', 'float32', ['n', 'n']);
    const session = await runtime.load('chain', b.toBytes());
    const big = { x: { type: 'float32' as const, data: new Float32Array(512 * 512), dims: [512, 512] } };
    const outcomes = await Promise.allSettled([session.run(big), session.run(big)]);
    for (const o of outcomes) {
      expect(o.status).toBe('rejected');
      expect((o as PromiseRejectedResult).reason).toBeInstanceOf(CallTimeoutError);
      expect(String((o as PromiseRejectedResult).reason.message)).toMatch(/chain did not finish within 50 ms \(MODEL_TIMEOUT_MS\)/);
    }
    // The one worker finishes what it could not interrupt, then serves the next call.
    const identity = Float32Array.from([1, 0, 0, 1]);
    const out = await session.run({ x: { type: 'float32', data: identity, dims: [2, 2] } });
    expect([...(out.out!.data as Float32Array)]).toEqual([1, 0, 0, 1]);
    await runtime.close();
  });

  it('names a missing model file and the fix', async () => {
    const runtime = testRuntime();
    await expect(runtime.load('gone', '/nonexistent/model.onnx')).rejects.toThrow(/Model file \/nonexistent\/model\.onnx: it does not exist\. Fix:/);
    await runtime.close();
  });

  it('names a corrupt model file and the fix', async () => {
    const path = join(tempDir('corrupt'), 'model.onnx');
    writeFileSync(path, 'this is not protobuf');
    const runtime = testRuntime();
    await expect(runtime.load('bad', path)).rejects.toThrow(new RegExp(`Model file ${path}: ONNX Runtime could not load it.*Fix:`));
    await runtime.close();
  });
});

describe('threadsPerWorker', () => {
  it('shares the cores evenly among workers unless a count is set', () => {
    expect(threadsPerWorker(0, 2, 2)).toBe(1);
    expect(threadsPerWorker(0, 2, 16)).toBe(8);
    expect(threadsPerWorker(0, 4, 2)).toBe(1);
    expect(threadsPerWorker(3, 2, 16)).toBe(3);
  });
});
