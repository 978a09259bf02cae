/**
 * The only module that imports onnxruntime-node. Every model of the service (embedders,
 * critic heads, vision and audio models) gets its session here.
 */
import { existsSync } from 'node:fs';
import ort from 'onnxruntime-node';
import { AbortedError, ModelFileError } from '../core/errors.js';
import { Limiter } from '../core/limiter.js';
import type { Priority } from '../core/limiter.js';
import type { Logger } from '../core/logger.js';
import { chooseProviders, installedProviderProbe } from './devices.js';
import type { Device, ProviderProbe } from './devices.js';

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
  /** Threads one inference may use; 0 lets ONNX Runtime choose (all cores). */
  intraOpThreads: number;
  interOpThreads: number;
  /** Inferences of one model that may run at once; more wait in a queue. */
  concurrencyPerModel: number;
  logger: Logger;
  /** Overrides what the installed binary reports (tests use it to simulate a GPU host). */
  probe?: ProviderProbe;
}

export class OnnxRuntime {
  readonly providers: string[];
  private readonly sessions = new Map<string, Promise<SharedSession>>();
  private warned = false;

  constructor(private readonly options: RuntimeOptions) {
    const choice = chooseProviders(options.device, options.probe ?? installedProviderProbe(() => ort.listSupportedBackends()));
    this.providers = choice.providers;
    if (choice.fallbackWarning) this.warnOnce(choice.fallbackWarning);
  }

  /** Every execution provider this onnxruntime-node build knows, and whether it is bundled. */
  static supportedBackends(): Array<{ name: string; bundled: boolean }> {
    return ort.listSupportedBackends();
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

  private async create(id: string, source: string | Uint8Array): Promise<SharedSession> {
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

  private async createWith(id: string, source: string | Uint8Array, providers: string[]): Promise<SharedSession> {
    const sessionOptions: ort.InferenceSession.SessionOptions = {
      executionProviders: providers,
      graphOptimizationLevel: 'all',
      intraOpNumThreads: this.options.intraOpThreads,
      interOpNumThreads: this.options.interOpThreads,
      executionMode: 'sequential',
    };
    const session = typeof source === 'string' ? await ort.InferenceSession.create(source, sessionOptions) : await ort.InferenceSession.create(source, sessionOptions);
    this.options.logger.info({ model: id, providers }, 'model session ready');
    return new SharedSession(id, providers[0]!, session, new Limiter(this.options.concurrencyPerModel));
  }

  private warnOnce(message: string): void {
    if (this.warned) return;
    this.warned = true;
    this.options.logger.warn(message);
  }
}

class SharedSession implements ModelSession {
  constructor(
    readonly id: string,
    readonly provider: string,
    private readonly session: ort.InferenceSession,
    private readonly limiter: Limiter,
  ) {}

  get inputNames(): readonly string[] {
    return this.session.inputNames;
  }

  get outputNames(): readonly string[] {
    return this.session.outputNames;
  }

  run(feeds: Record<string, HostTensor>, options: RunOptions = {}): Promise<Record<string, HostTensor>> {
    return this.limiter.run(async () => {
      if (options.signal?.aborted) throw new AbortedError();
      const ortFeeds = Object.fromEntries(Object.entries(feeds).map(([name, t]) => [name, new ort.Tensor(t.type, t.data, t.dims)]));
      const results = await this.session.run(ortFeeds);
      return Object.fromEntries(
        Object.entries(results).map(([name, t]) => [name, { type: t.type as TensorType, data: t.data as HostTensor['data'], dims: [...t.dims] }]),
      );
    }, options);
  }

  release(): Promise<void> {
    return this.session.release();
  }
}

function wrapLoadError(source: string | Uint8Array, error: unknown): Error {
  const file = typeof source === 'string' ? source : '<model bytes>';
  return new ModelFileError(file, `ONNX Runtime could not load it (${(error as Error).message}); it is corrupt or not an ONNX model`, error);
}
