/**
 * The write thread's tasks (see sqlite-writes.ts): the stores' own write methods, run on this
 * thread's connection to each file. Only the listed write methods can be called.
 */
import { SqliteDocStore } from './sqlite-doc-store.js';
import { SqliteGraphStore } from './sqlite-graph-store.js';

const WRITES = {
  docs: new Set(['putDocument', 'putDocuments', 'deleteDocument', 'setMeta']),
  graph: new Set(['putExtractions', 'dropExtractions', 'putSnapshot', 'putTextVectors']),
};

const files = new Map<string, { docs: SqliteDocStore; graph: SqliteGraphStore }>();

function opened(path: string): { docs: SqliteDocStore; graph: SqliteGraphStore } {
  const stores = files.get(path);
  if (!stores) throw new Error(`the write thread has no open file ${path}`);
  return stores;
}

export async function runTask(task: string, payload: { path: string; method?: string; args?: unknown[] }): Promise<unknown> {
  const { path } = payload;
  switch (task) {
    case 'open': {
      if (!files.has(path)) {
        const docs = new SqliteDocStore(path);
        files.set(path, { docs, graph: new SqliteGraphStore(docs.db) });
      }
      return null;
    }
    case 'close': {
      await files.get(path)?.docs.close();
      files.delete(path);
      return null;
    }
    case 'docs':
    case 'graph': {
      const method = payload.method ?? '';
      if (!WRITES[task].has(method)) throw new Error(`"${method}" is not a ${task} write`);
      const store = opened(path)[task] as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
      return store[method]!(...(payload.args ?? []));
    }
    default:
      throw new Error(`unknown write task "${task}"`);
  }
}
