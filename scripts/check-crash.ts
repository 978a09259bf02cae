/**
 * Crash-safety check: ingest through the HTTP API while killing the server with SIGKILL at
 * random moments (KILLS times, default 20), restarting it after each kill. Writers create new
 * documents and replace existing ones with changed text. At the end the server is restarted
 * once more and the script checks:
 *   - every acknowledged document is present, with the text last acknowledged for its id (or
 *     the text of a later write that was in flight at a kill) — otherwise it is "lost";
 *   - no document is half-present: its chunks are all there, each is the slice of the text its
 *     offsets name, and the chunk count matches — otherwise "partial";
 *   - after a graceful stop, the vector index file, the FTS5 index and the chunks table hold the
 *     same chunk ids — otherwise "indexMismatch" counts the ids that differ;
 *   - /query and /search answer.
 *   npm run check:crash            (KILLS=20 SEED=1 by default)
 * Writes bench/results/crash.json with {kills, acknowledged, lost, partial, indexMismatch}.
 */
import { join } from 'node:path';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { HnswVectorIndex } from '../src/store/hnsw/hnsw-vector-index.js';
import { SqliteDocStore } from '../src/store/sqlite/sqlite-doc-store.js';
import { startServer } from './lib/server-process.js';
import type { ServerProcess } from './lib/server-process.js';
import { machine, table, writeResult } from './lib/bench.js';
import { seededRandom } from '../src/core/random.js';

const KILLS = Number(process.env.KILLS ?? 20);
const WORKSPACE = 'crash';
const WRITERS = 3;
/** The kill moments and the writers' choices repeat for a given SEED. */
const random = seededRandom(Number(process.env.SEED ?? 1));

const TOPICS = ['lighthouses', 'glaciers', 'violins', 'beekeeping', 'tramways', 'comets', 'orchards', 'printing presses', 'tides', 'mosaics', 'salt mines', 'kites'];
function documentText(id: number, version: number): string {
  const sentences = 6 + ((id * 5 + version * 3) % 14);
  return Array.from({ length: sentences }, (_, s) => `Record ${id} version ${version}, note ${s}: it concerns ${TOPICS[(id + s + version) % TOPICS.length]} and the year ${1800 + ((id * 31 + s * 7 + version) % 200)}.`).join(' ');
}

/** Per document id: the text last acknowledged, and texts sent since without an answer. */
const ledger = new Map<string, { acknowledged?: string; inFlight: Set<string> }>();
let nextId = 0;
let acknowledgedWrites = 0;

async function writer(url: string, stop: AbortSignal): Promise<void> {
  while (!stop.aborted) {
    const replace = ledger.size > 5 && random() < 0.3;
    const n = replace ? Math.floor(random() * nextId) : nextId++;
    const id = `record-${n}`;
    const entry = ledger.get(id) ?? { inFlight: new Set<string>() };
    ledger.set(id, entry);
    const text = documentText(n, replace ? Math.floor(random() * 1000) + 1 : 0);
    entry.inFlight.add(text);
    try {
      const res = await fetch(`${url}/v1/workspaces/${WORKSPACE}/documents`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ id, title: id, text }) });
      if (res.status === 200 || res.status === 201) {
        entry.acknowledged = text;
        entry.inFlight.delete(text);
        acknowledgedWrites++;
      } else if (res.status === 429) await new Promise((r) => setTimeout(r, 50));
      else throw new Error(`unexpected ${res.status}: ${await res.text()}`);
    } catch (error) {
      if ((error as Error).message.startsWith('unexpected')) throw error;
      return; // the server is gone; the write stays "in flight"
    }
  }
}

const dataDir = mkdtempSync(join(tmpdir(), 'check-crash-data-'));
const env = { DATA_DIR: dataDir, CORPORA_DIR: mkdtempSync(join(tmpdir(), 'check-crash-corpora-')), SAMPLE_INGEST: 'false', GRAPH_AUTO_UPDATE_MS: '0' };
const killMoments: number[] = [];
for (let k = 0; k < KILLS; k++) {
  const server = await startServer(env);
  const stop = new AbortController();
  const writers = Array.from({ length: WRITERS }, () => writer(server.url, stop.signal));
  const after = 300 + random() * 2200;
  killMoments.push(Math.round(after));
  await new Promise((r) => setTimeout(r, after));
  await server.kill('SIGKILL');
  stop.abort();
  await Promise.all(writers);
  process.stderr.write(`kill ${k + 1}/${KILLS} after ${Math.round(after)} ms: ${acknowledgedWrites} writes acknowledged so far\n`);
}

// Verification, on a restarted server.
const server: ServerProcess = await startServer(env);
const get = async (path: string) => (await fetch(`${server.url}${path}`)).json() as Promise<Record<string, any>>;
let lost = 0;
let partial = 0;
const problems: string[] = [];
for (const [id, entry] of ledger) {
  const res = await fetch(`${server.url}/v1/workspaces/${WORKSPACE}/documents/${id}`);
  if (res.status === 404) {
    if (entry.acknowledged) (lost++, problems.push(`${id}: acknowledged but missing`));
    continue;
  }
  const doc = (await res.json()) as { text: string; document: { chunkCount: number }; chunks: Array<{ text: string; start: number; end: number }> };
  const allowed = new Set([...(entry.acknowledged ? [entry.acknowledged] : []), ...entry.inFlight]);
  if (!allowed.has(doc.text)) {
    if (entry.acknowledged) lost++;
    else partial++;
    problems.push(`${id}: stored text is neither the acknowledged version nor one in flight`);
    continue;
  }
  const whole = doc.chunks.length === doc.document.chunkCount && doc.chunks.length > 0 && doc.chunks.every((c) => doc.text.slice(c.start, c.end) === c.text);
  if (!whole) (partial++, problems.push(`${id}: ${doc.chunks.length} of ${doc.document.chunkCount} chunks, or chunks that do not match the text`));
}
const stats = await get(`/v1/workspaces/${WORKSPACE}`);
const query = await fetch(`${server.url}/query`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ question: 'Which record concerns lighthouses?', workspace: WORKSPACE }) });
const queryBody = (await query.json()) as { citations?: unknown[] };
const search = await fetch(`${server.url}/v1/workspaces/${WORKSPACE}/search`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: 'glaciers 1850', k: 5 }) });
const queriesWork = query.status === 200 && (queryBody.citations?.length ?? 0) > 0 && search.status === 200;
await server.kill('SIGTERM'); // graceful: the vector index is persisted

// The three stores of the workspace, read straight from disk.
const folder = join(dataDir, 'workspaces', WORKSPACE);
const docs = new SqliteDocStore(join(folder, 'store.sqlite'));
const chunkIds = new Set(await docs.allChunkIds());
const ftsIds = new Set((docs.db.prepare('SELECT rowid AS id FROM chunks_fts').all() as Array<{ id: number }>).map((r) => r.id));
const dim = (await docs.getVectors([...chunkIds].slice(0, 1))).values().next().value?.length ?? 1; // the embedder's, as stored
const vectorIds = new Set(await HnswVectorIndex.open(join(folder, 'vectors.hnsw'), dim, { m: 16, efConstruction: 200, efSearch: 64 }).ids());
const differ = (a: Set<number>, b: Set<number>) => [...a].filter((x) => !b.has(x)).length + [...b].filter((x) => !a.has(x)).length;
const indexMismatch = differ(chunkIds, vectorIds) + differ(chunkIds, ftsIds);
await docs.close();

const acknowledged = [...ledger.values()].filter((e) => e.acknowledged).length;
const result = { kills: KILLS, acknowledged, acknowledgedWrites, lost, partial, indexMismatch, queriesWork, documents: stats.documents, chunks: chunkIds.size, vectors: vectorIds.size, lexicalEntries: ftsIds.size, killMomentsMs: killMoments, problems: problems.slice(0, 20), machine: machine() };
console.log(table([{ kills: KILLS, 'acknowledged docs': acknowledged, 'acknowledged writes': acknowledgedWrites, lost, partial, indexMismatch, 'queries work': String(queriesWork) }]));
for (const p of problems.slice(0, 20)) console.log(`  ${p}`);
console.log(`wrote ${await writeResult('crash', result)}`);
if (lost || partial || indexMismatch || !queriesWork) process.exitCode = 1;
