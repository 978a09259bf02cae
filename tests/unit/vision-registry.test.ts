import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ModelRegistry } from '../../src/vision/model-registry.js';
import { fakeYoloOnnx, yoloHead } from '../support/yolo-graph.js';
import { tempDir, testRuntime } from '../support/runtime.js';

const runtime = testRuntime();
afterAll(() => runtime.close());

describe('vision model registry', () => {
  it('reports available, missing, failed and loaded models, and names the known ones for an unknown id', async () => {
    const folder = tempDir('registry');
    const good = join(folder, 'good.onnx');
    writeFileSync(good, fakeYoloOnnx(32, yoloHead(1, 21, []), 1, 21));
    const corrupt = join(folder, 'corrupt.onnx');
    writeFileSync(corrupt, 'not a model');
    const registry = new ModelRegistry(runtime);
    const spec = { task: 'detect', source: 'test', licence: 'none', inputShape: [1, 3, 32, 32] };
    registry.register({ ...spec, id: 'good', file: good });
    registry.register({ ...spec, id: 'gone', file: join(folder, 'gone.onnx') });
    registry.register({ ...spec, id: 'corrupt', file: corrupt });
    const state = () => Object.fromEntries(registry.list().map((m) => [m.id, [m.state, m.provider]]));
    expect(state()).toEqual({ good: ['available', null], gone: ['missing', null], corrupt: ['available', null] });

    await registry.session('good');
    await expect(registry.session('corrupt')).rejects.toMatchObject({ code: 'model_file' });
    await expect(registry.session('gone')).rejects.toMatchObject({ message: expect.stringContaining('does not exist') });
    expect(state()).toEqual({ good: ['loaded', 'cpu'], gone: ['failed', null], corrupt: ['failed', null] });
    expect(registry.list().find((m) => m.id === 'corrupt')!.error).toMatch(/not an ONNX model/);
    expect(() => registry.session('nope')).toThrow(/model "nope" is not known; known models: good, gone, corrupt/);
  });
});
