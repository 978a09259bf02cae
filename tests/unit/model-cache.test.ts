/** The model cache folder (src/models/model-cache.ts): atomic builds, and old builds of a family removed. */
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ModelCache } from '../../src/models/model-cache.js';
import { tempDir } from '../support/runtime.js';

describe('ModelCache', () => {
  it('builds a file once and returns the cached path afterwards', async () => {
    const cache = new ModelCache(join(tempDir('model-cache'), 'models'));
    let builds = 0;
    const build = async () => {
      builds++;
      return Uint8Array.from([1, 2, 3]);
    };
    const path = await cache.file('selfie-0123456789abcdef.onnx', build);
    expect(await cache.file('selfie-0123456789abcdef.onnx', build)).toBe(path);
    expect(builds).toBe(1);
    expect(readdirSync(cache.dir)).toEqual(['selfie-0123456789abcdef.onnx']); // no temporary file left
  });

  it('a new build removes the older builds of its family, and nothing else', async () => {
    const dir = tempDir('model-cache');
    const keep = ['selfie-aaaaaaaaaaaaaaaa.json', 'selfie-extra-bbbbbbbbbbbbbbbb.onnx', 'use-lite-cccccccccccccccc.onnx', 'notes.txt', 'selfie-123.onnx'];
    for (const f of ['selfie-1111111111111111.onnx', 'selfie-2222222222222222.onnx', ...keep]) writeFileSync(join(dir, f), 'x');
    const cache = new ModelCache(dir);
    await cache.file('selfie-3333333333333333.onnx', async () => Uint8Array.from([0]));
    expect(readdirSync(dir).sort()).toEqual([...keep, 'selfie-3333333333333333.onnx'].sort());
    // A cache hit removes nothing.
    writeFileSync(join(dir, 'selfie-4444444444444444.onnx'), 'x');
    await cache.file('selfie-3333333333333333.onnx', async () => Uint8Array.from([0]));
    expect(existsSync(join(dir, 'selfie-4444444444444444.onnx'))).toBe(true);
  });
});
