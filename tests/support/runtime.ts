import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from '../../src/core/logger.js';
import { silentLogger } from '../../src/core/logger.js';
import { ModelCache } from '../../src/models/model-cache.js';
import { OnnxRuntime } from '../../src/runtime/onnx-runtime.js';
import type { RuntimeOptions } from '../../src/runtime/onnx-runtime.js';

/** A CPU runtime with one thread per inference (tests run two files at once on two cores). */
export function testRuntime(overrides: Partial<RuntimeOptions> = {}): OnnxRuntime {
  return new OnnxRuntime({ device: 'cpu', intraOpThreads: 1, interOpThreads: 1, concurrencyPerModel: 1, logger: silentLogger, ...overrides });
}

/** The project's own model cache folder, so that USE-lite is converted once for all test files. */
export function sharedModelCache(): ModelCache {
  return new ModelCache(join(process.cwd(), '.cache', 'models'));
}

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `${prefix}-`));
}

/** A logger that records what it is given. */
export class RecordingLogger implements Logger {
  readonly lines: Array<{ level: string; msg: string }> = [];
  debug(obj: object | string, msg?: string) { this.push('debug', obj, msg); }
  info(obj: object | string, msg?: string) { this.push('info', obj, msg); }
  warn(obj: object | string, msg?: string) { this.push('warn', obj, msg); }
  error(obj: object | string, msg?: string) { this.push('error', obj, msg); }
  private push(level: string, obj: object | string, msg?: string) {
    this.lines.push({ level, msg: typeof obj === 'string' ? obj : (msg ?? JSON.stringify(obj)) });
  }
}
