/**
 * The only module (with its worker, session-worker.mjs) that imports onnxruntime-node. Every
 * model of the service (embedders, critic heads, vision and audio models) gets its session here.
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import ort from 'onnxruntime-node';
import { AbortedError, CallTimeoutError, ModelFileError } from '../core/errors.js';
import { Limiter } from '../core/limiter.js';
import type { Priority } from '../core/limiter.js';
import type { Logger } from '../core/logger.js';
import { chooseProviders, installedProviderProbe } from './devices.js';
import type { Device, ProviderProbe } from './devices.js';

/**
 * Intra-op threads for each session worker: `requested` when set, otherwise the cores shared
 * evenly among a model's workers. Independent single-threaded workers keep the cores busy
 * while the service does other work (chunking, index writes) on the same cores, where one
 * session's threads would stall together whenever one of them is preempted.
 */
export function threadsPerWorker(requested: number, workers: number, cores = availableParallelism()): number {
  return requested > 0 ? requested : Math.max(1, Math.floor(cores / workers));
}

export type TensorType = 'float32' | 'int64' | 'int32' | 'bool' | 'uint8';

/** A tensor in host memory; what callers hand to and get from a session. */
export interface HostTensor {
  type: TensorType;
  data: Float32Array | BigInt64Array | Int32Array | Uint8Array;
  dims: number[];
}

export interface RunOptions {
  signal?: AbortSignal;
  /** Interactive work (queries) is scheduled ahead of batch work (ingestion). */
  priority?: Priority;
}

export interface ModelSession {
  readonly id: string;
  /** The execution provider the session actually runs on. */
  readonly provider: string;
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  run(feeds: Record<string, HostTensor>, options?: RunOptions): Promise<Record<string, HostTensor>>;
}

export interface RuntimeOptions {
  device: Device;
  /** Threads one inference may use; 0 lets ONNX Runtime choose (all cores); see threadsPerWorker. */
  intraOpThreads: number;
  interOpThreads: number;
  /** Inferences of one model that may run at once; more wait in a queue. */
  concurrencyPerModel: number;
  /** Longest one inference may run before its caller gets a CallTimeoutError; 0 for no limit. */
  runTimeoutMs?: number;
  /** While queries keep coming, batch work leaves one worker free for them (see Limiter). */
  reserveForInteractiveMs?: number;
  logger: Logger;
  /** Overrides what the installed binary reports (tests use it to simulate a GPU host). */
  probe?: ProviderProbe;
}

export class OnnxRuntime {
  readonly providers: string[];
  private readonly sessions = new Map<string, Promise<PooledSession>>();
  private warned = false;

  constructor(private readonly options: RuntimeOptions) {
    const choice = chooseProviders(options.device, options.probe ?? installedProviderProbe(() => ort.listSupportedBackends()));
    this.providers = choice.providers;
    if (choice.fallbackWarning) this.warnOnce(choice.fallbackWarning);
  }

  /** The session for `id`, created on first use from a file path or model bytes, then shared. */
  load(id: string, source: string | Uint8Array): Promise<ModelSession> {
    let session = this.sessions.get(id);
    if (!session) {
      session = this.create(id, source);
      this.sessions.set(id, session);
      session.catch(() => this.sessions.delete(id));
    }
    return session;
  }

  /** Releases every session. */
  async close(): Promise<void> {
    const all = [...this.sessions.values()];
    this.sessions.clear();
    for (const pending of all) {
      const session = await pending.catch(() => undefined);
      await session?.release();
    }
  }

  private async create(id: string, source: string | Uint8Array): Promise<PooledSession> {
    if (typeof source === 'string' && !existsSync(source)) throw new ModelFileError(source, 'it does not exist');
    try {
      return await this.createWith(id, source, this.providers);
    } catch (error) {
      if (this.providers[0] === 'cpu') throw wrapLoadError(source, error);
      this.warnOnce(`model ${id}: the ${this.providers[0]} execution provider failed to start (${(error as Error).message}); running on CPU instead`);
      try {
        return await this.createWith(id, source, ['cpu']);
      } catch (cpuError) {
        throw wrapLoadError(source, cpuError);
      }
    }
  }

  private async createWith(id: string, source: string | Uint8Array, providers: string[]): Promise<PooledSession> {
    const sessionOptions: ort.InferenceSession.SessionOptions = {
      executionProviders: providers,
      graphOptimizationLevel: 'all',
      intraOpNumThreads: this.options.intraOpThreads,
      interOpNumThreads: this.options.interOpThreads,
      executionMode: 'sequential',
    };
    const started = await Promise.allSettled(Array.from({ length: this.options.concurrencyPerModel }, () => SessionWorker.start(source, sessionOptions)));
    const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    const ok = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
    if (failed) {
      await Promise.all(ok.map((s) => s.worker.terminate()));
      throw failed.reason;
    }
    this.options.logger.info({ model: id, providers, workers: ok.length }, 'model session ready');
    return new PooledSession(id, providers[0]!, ok[0]!.inputNames, ok[0]!.outputNames, ok.map((s) => s.worker), this.options.runTimeoutMs ?? 0, this.options.reserveForInteractiveMs ?? 0);
  }

  private warnOnce(message: string): void {
    if (this.warned) return;
    this.warned = true;
    this.options.logger.warn(message);
  }
}

/** A worker thread holding one ONNX Runtime session (see session-worker.mjs). */
class SessionWorker {
  private pending: { resolve: (m: WorkerReply) => void; reject: (e: Error) => void } | undefined;
  private failure: Error | undefined;

  private constructor(private readonly worker: Worker) {
    worker.unref();
    worker.on('message', (m: WorkerReply) => {
      const p = this.pending;
      this.pending = undefined;
      p?.resolve(m);
    });
    worker.on('error', (error) => this.fail(error));
    worker.on('exit', (code) => this.fail(new Error(`the model worker exited (code ${code})`)));
  }

  static async start(source: string | Uint8Array, options: ort.InferenceSession.SessionOptions): Promise<{ worker: SessionWorker; inputNames: string[]; outputNames: string[] }> {
    const worker = new SessionWorker(new Worker(new URL('./session-worker.mjs', import.meta.url)));
    const reply = await worker.request({ type: 'load', source, options });
    if (reply.type !== 'loaded') {
      await worker.terminate();
      throw new Error(reply.type === 'error' ? reply.message : `unexpected reply ${reply.type}`);
    }
    return { worker, inputNames: reply.inputNames, outputNames: reply.outputNames };
  }

  async run(feeds: Record<string, HostTensor>): Promise<Record<string, HostTensor>> {
    const reply = await this.request({ type: 'run', id: 0, feeds });
    if (reply.type === 'result') return reply.outputs;
    throw new Error(reply.type === 'error' ? reply.message : `unexpected reply ${reply.type}`);
  }

  async terminate(): Promise<void> {
    if (!this.failure) await this.request({ type: 'release' }).catch(() => undefined);
    await this.worker.terminate();
  }

  private request(message: object): Promise<WorkerReply> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.pending = { resolve, reject };
      this.worker.postMessage(message);
    });
  }

  private fail(error: Error): void {
    this.failure ??= error;
    const p = this.pending;
    this.pending = undefined;
    p?.reject(error);
  }
}

type WorkerReply =
  | { type: 'loaded'; inputNames: string[]; outputNames: string[] }
  | { type: 'result'; outputs: Record<string, HostTensor> }
  | { type: 'released' }
  | { type: 'error'; message: string };

/**
 * A model's sessions, one per worker thread (as many as the per-model concurrency allows),
 * so that inference never blocks the event loop. Waiting work is queued by priority.
 */
class PooledSession implements ModelSession {
  private readonly idle: SessionWorker[];
  private readonly limiter: Limiter;

  constructor(
    readonly id: string,
    readonly provider: string,
    readonly inputNames: readonly string[],
    readonly outputNames: readonly string[],
    private readonly workers: SessionWorker[],
    private readonly timeoutMs: number,
    reserveForInteractiveMs: number,
  ) {
    this.idle = [...workers];
    this.limiter = new Limiter(workers.length, { reserveForInteractiveMs });
  }

  /**
   * Runs on an idle worker. The time limit counts from the start of the inference (not the wait
   * in the queue): past it the caller gets a CallTimeoutError, while the worker finishes the
   * inference it cannot interrupt and only then takes the next one.
   */
  run(feeds: Record<string, HostTensor>, options: RunOptions = {}): Promise<Record<string, HostTensor>> {
    return new Promise((resolve, reject) => {
      const work = this.limiter.run(async () => {
        if (options.signal?.aborted) throw new AbortedError();
        const worker = this.idle.pop()!;
        const timer = this.timeoutMs > 0 ? setTimeout(() => reject(new CallTimeoutError(`model ${this.id} did not finish within ${this.timeoutMs} ms (MODEL_TIMEOUT_MS)`)), this.timeoutMs) : undefined;
        try {
          return await worker.run(feeds);
        } finally {
          clearTimeout(timer);
          this.idle.push(worker);
        }
      }, options);
      work.then(resolve, reject);
    });
  }

  async release(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

function wrapLoadError(source: string | Uint8Array, error: unknown): Error {
  const file = typeof source === 'string' ? source : '<model bytes>';
  return new ModelFileError(file, `ONNX Runtime could not load it (${(error as Error).message}); it is corrupt or not an ONNX model`, error);
}
