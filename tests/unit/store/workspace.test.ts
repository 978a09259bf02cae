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
    const workspaces = new Workspaces(new EmbeddedStorage(dir, 8, HNSW), silentLogger);
    const a = workspaces.get('team-a', { create: true });
    const b = workspaces.get('team-b', { create: true });
    a.put(newDocument('secret', ['the launch code is swordfish']));
    expect(b.lexical.search('swordfish', 5)).toEqual([]);
    expect(b.vectors.size).toBe(0);
    expect(a.vectors.size).toBe(1);
    expect(workspaces.list()).toEqual(['default', 'team-a', 'team-b']);
    expect(() => workspaces.get('team-c')).toThrow(/workspace "team-c" does not exist/);
    expect(() => workspaces.get('../etc')).toThrow(/invalid workspace name/);
    await workspaces.close();
  });

  it('brings the vector index back in line with the store when the index file is lost or stale', async () => {
    const dir = tempDir('ws');
    const open = () => new Workspaces(new EmbeddedStorage(dir, 8, HNSW), silentLogger);
    let workspaces = open();
    let ws = workspaces.get('w', { create: true });
    ws.put(newDocument('one', ['a b', 'c d']));
    ws.put(newDocument('two', ['e f']));
    await workspaces.close(); // persists the index with 3 vectors

    // A crash after the store committed but before the index was saved: the store moved on.
    workspaces = open();
    ws = workspaces.get('w');
    expect(ws.vectors.size).toBe(3);
    ws.docs.deleteDocument('one'); // store only, as if the process died before touching the index
    ws.docs.putDocument(newDocument('three', ['g h', 'i j', 'k l']));
    await ws.vectors.close(); // the index file still has the old state
    ws.docs.close();

    workspaces = open();
    ws = workspaces.get('w');
    expect(new Set(ws.vectors.ids())).toEqual(new Set(ws.docs.allChunkIds()));
    expect(ws.vectors.size).toBe(4);
    await workspaces.close();

    rmSync(join(dir, 'workspaces', 'w', 'vectors.hnsw'));
    workspaces = open();
    ws = workspaces.get('w');
    expect(new Set(ws.vectors.ids())).toEqual(new Set(ws.docs.allChunkIds()));
    await workspaces.close();
  });

  it('compacts the vector index after many deletes', async () => {
    const workspaces = new Workspaces(new EmbeddedStorage(tempDir('ws'), 8, HNSW), silentLogger);
    const ws = workspaces.get('w', { create: true });
    for (let i = 0; i < 20; i++) ws.put(newDocument(`doc${i}`, [`text ${i}`, `more ${i}`]));
    for (let i = 0; i < 15; i++) ws.delete(`doc${i}`);
    expect(ws.vectors.size).toBe(10);
    expect(new Set(ws.vectors.ids())).toEqual(new Set(ws.docs.allChunkIds()));
    await workspaces.close();
  });
});

describe('embedder guard', () => {
  it('refuses to open a workspace built with another embedder, naming both', async () => {
    const dir = tempDir('ws');
    const first = new Workspaces(new EmbeddedStorage(dir, 8, HNSW), silentLogger, 'use-lite (512-d)');
    first.get('w', { create: true });
    await first.close();
    const second = new Workspaces(new EmbeddedStorage(dir, 8, HNSW), silentLogger, 'hf-onnx:bge (384-d)');
    expect(() => second.get('w')).toThrow(/workspace "w" was indexed with embedder use-lite \(512-d\); this service runs hf-onnx:bge \(384-d\)/);
    await second.close();
  });
});
