import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../../src/core/logger.js';
import { EmbeddedStorage } from '../../../src/store/embedded-storage.js';
import { Workspaces } from '../../../src/store/workspaces.js';
import { tempDir } from '../../support/runtime.js';
import { newDocument } from './store-contracts.js';

const HNSW = { m: 16, efConstruction: 100, efSearch: 64 };

describe('workspaces on the embedded backend', () => {
  it('keeps workspaces apart on disk and in search, and 404s unknown ones', async () => {
    const dir = tempDir('ws');
    const workspaces = await Workspaces.create(new EmbeddedStorage(dir, 8, HNSW), silentLogger);
    const a = await workspaces.get('team-a', { create: true });
    const b = await workspaces.get('team-b', { create: true });
    await a.put(newDocument('secret', ['the launch code is swordfish']));
    expect(await b.lexical.search('swordfish', 5)).toEqual([]);
    expect(await b.vectors.count()).toBe(0);
    expect(await a.vectors.count()).toBe(1);
    expect(await workspaces.list()).toEqual(['default', 'team-a', 'team-b']);
    await expect(workspaces.get('team-c')).rejects.toThrow(/workspace "team-c" does not exist/);
    await expect(workspaces.get('../etc')).rejects.toThrow(/invalid workspace name/);
    await workspaces.close();
  });

  it('brings the vector index back in line with the store when the index file is lost or stale', async () => {
    const dir = tempDir('ws');
    const open = () => Workspaces.create(new EmbeddedStorage(dir, 8, HNSW), silentLogger);
    let workspaces = await open();
    let ws = await workspaces.get('w', { create: true });
    await ws.put(newDocument('one', ['a b', 'c d']));
    await ws.put(newDocument('two', ['e f']));
    await workspaces.close(); // persists the index with 3 vectors

    // A crash after the store committed but before the index was saved: the store moved on.
    workspaces = await open();
    ws = await workspaces.get('w');
    expect(await ws.vectors.count()).toBe(3);
    await ws.docs.deleteDocument('one'); // store only, as if the process died before touching the index
    await ws.docs.putDocument(newDocument('three', ['g h', 'i j', 'k l']));
    await ws.vectors.close(); // the index file still has the old state
    await ws.docs.close();

    workspaces = await open();
    ws = await workspaces.get('w');
    expect(new Set(await ws.vectors.ids())).toEqual(new Set(await ws.docs.allChunkIds()));
    expect(await ws.vectors.count()).toBe(4);
    await workspaces.close();

    rmSync(join(dir, 'workspaces', 'w', 'vectors.hnsw'));
    workspaces = await open();
    ws = await workspaces.get('w');
    expect(new Set(await ws.vectors.ids())).toEqual(new Set(await ws.docs.allChunkIds()));
    await workspaces.close();
  });

  it('compacts the vector index after many deletes', async () => {
    const workspaces = await Workspaces.create(new EmbeddedStorage(tempDir('ws'), 8, HNSW), silentLogger);
    const ws = await workspaces.get('w', { create: true });
    for (let i = 0; i < 20; i++) await ws.put(newDocument(`doc${i}`, [`text ${i}`, `more ${i}`]));
    for (let i = 0; i < 15; i++) await ws.delete(`doc${i}`);
    expect(await ws.vectors.count()).toBe(10);
    expect(new Set(await ws.vectors.ids())).toEqual(new Set(await ws.docs.allChunkIds()));
    await workspaces.close();
  });
});

describe('embedder guard', () => {
  it('refuses to open a workspace built with another embedder, naming both', async () => {
    const dir = tempDir('ws');
    const first = await Workspaces.create(new EmbeddedStorage(dir, 8, HNSW), silentLogger, 'use-lite (512-d)');
    await first.get('w', { create: true });
    await first.close();
    const second = await Workspaces.create(new EmbeddedStorage(dir, 8, HNSW), silentLogger, 'hf-onnx:bge (384-d)');
    await expect(second.get('w')).rejects.toThrow(/workspace "w" was indexed with embedder use-lite \(512-d\); this service runs hf-onnx:bge \(384-d\)/);
    await second.close();
  });
});
