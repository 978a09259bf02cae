/**
 * Crash-safety check: work the service through its HTTP API while killing it with SIGKILL at
 * random moments (KILLS times, default 20), restarting it after each kill. Meanwhile:
 *   - three writers create documents, replace them with changed text, and delete them (one
 *     operation at a time per document id);
 *   - a folder loop changes a few files of a folder under CORPORA_DIR (text files and JSON-lines
 *     files of several records) and ingests the folder as a job, again and again;
 *   - a graph loop builds the folder workspace's graph, again and again.
 * At the end the server is restarted once more and the script checks:
 *   - every acknowledged document is present, whole, with the text last acknowledged for its id
 *     (or that of a later operation in flight at a kill) — otherwise "lost"; chunks all there and
 *     each the slice of the text its offsets name — otherwise "partial";
 *   - a delete acknowledged with 204 stayed deleted (unless a later write was in flight) —
 *     otherwise "resurrected";
 *   - every folder file is whole or absent: all its records or none, each with the text of a
 *     version of the file written since its last acknowledged ingest — otherwise
 *     "folderFilesPartial"; a file whose ingest was acknowledged is present — otherwise
 *     "folderFilesLost"; running the job again completes it ("folderRerunComplete");
 *   - the graph is absent (only if no build was acknowledged) or a sound snapshot at least as
 *     new as the last acknowledged build, over HTTP and in the store file — otherwise
 *     "graphCorrupt" / "graphLost"; a new build succeeds ("graphRebuildWorks");
 *   - /query and /search answer;
 *   - after a graceful stop, what the FTS5 index and the HNSW file really hold matches the
 *     chunks table (scripts/lib/index-consistency.ts): "ftsMissing", "ftsExtra", "ftsIntegrity",
 *     "hnswMissing", "hnswExtra" (live labels only; labels marked deleted are counted apart),
 *     "hnswWrongVector".
 *   npm run check:crash            (KILLS=20 SEED=1 FOLDER_FILES=80 by default)
 * Writes bench/results/crash.json.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { seededRandom } from '../src/core/random.js';
import { machine, table, writeResult } from './lib/bench.js';
import { documentIds, fetchDocument, followJob, graphOnDisk, graphOverHttp, isWhole } from './lib/crash-checks.js';
import { checkWorkspaceIndexes, summarize } from './lib/index-consistency.js';
import type { WorkspaceConsistency } from './lib/index-consistency.js';
import { startServer } from './lib/server-process.js';
import type { ServerProcess } from './lib/server-process.js';

const KILLS = Number(process.env.KILLS ?? 20);
const FOLDER_FILES = Number(process.env.FOLDER_FILES ?? 80);
const WORKSPACE = 'crash';
const FOLDER_WORKSPACE = 'crash-folder';
const FOLDER = 'corpus';
const WRITERS = 3;
/** The kill moments and the writers' choices repeat for a given SEED (the server's timing does not). */
const random = seededRandom(Number(process.env.SEED ?? 1));
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

const TOPICS = ['lighthouses', 'glaciers', 'violins', 'beekeeping', 'tramways', 'comets', 'orchards', 'printing presses', 'tides', 'mosaics', 'salt mines', 'kites'];
const PEOPLE = ['Ada Lovelace', 'Charles Babbage', 'Mary Somerville', 'Michael Faraday', 'Caroline Herschel', 'Isambard Brunel', 'Florence Nightingale', 'John Harrison'];
const PLACES = ['London', 'Edinburgh', 'Bristol', 'Greenwich', 'Manchester', 'Bath'];
function documentText(id: number, version: number, sentences = 6 + ((id * 5 + version * 3) % 14)): string {
  return Array.from(
    { length: sentences },
    (_, s) => `Record ${id} version ${version}, note ${s}: ${PEOPLE[(id + s) % PEOPLE.length]} wrote from ${PLACES[(id * 3 + s + version) % PLACES.length]} about ${TOPICS[(id + s + version) % TOPICS.length]} in the year ${1800 + ((id * 31 + s * 7 + version) % 200)}.`,
  ).join(' ');
}

// ---- Writers: create, replace, delete -------------------------------------------------------

/** Per document id: its state last acknowledged (text, or null: absent) and operations sent since without an answer. */
const ledger = new Map<string, { acknowledged?: string | null; inFlight: Array<string | null> }>();
const busy = new Set<string>();
let nextId = 0;
const counts = { acknowledgedWrites: 0, deletesAcknowledged: 0, folderRuns: 0, folderRunsAcknowledged: 0, graphBuilds: 0, graphBuildsAcknowledged: 0 };

async function writer(url: string, stop: AbortSignal): Promise<void> {
  while (!stop.aborted) {
    const existing = [...ledger.keys()].filter((id) => !busy.has(id));
    const roll = random();
    const op = existing.length > 5 && roll < 0.2 ? 'delete' : existing.length > 5 && roll < 0.45 ? 'replace' : 'create';
    const id = op === 'create' ? `record-${nextId++}` : existing[Math.floor(random() * existing.length)]!;
    const n = Number(id.slice('record-'.length));
    const entry = ledger.get(id) ?? { inFlight: [] };
    ledger.set(id, entry);
    const text = op === 'delete' ? null : documentText(n, op === 'replace' ? Math.floor(random() * 1000) + 1 : 0);
    entry.inFlight.push(text);
    busy.add(id);
    try {
      const res =
        text === null
          ? await fetch(`${url}/v1/workspaces/${WORKSPACE}/documents/${id}`, { method: 'DELETE' })
          : await fetch(`${url}/v1/workspaces/${WORKSPACE}/documents`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ id, title: id, text }) });
      const acknowledged = text === null ? res.status === 204 || res.status === 404 : res.status === 200 || res.status === 201;
      if (acknowledged) {
        // Operations in flight at an earlier kill either happened before it or never will.
        entry.acknowledged = text;
        entry.inFlight = [];
        if (text === null) counts.deletesAcknowledged += res.status === 204 ? 1 : 0;
        else counts.acknowledgedWrites++;
      } else if (res.status === 429) {
        entry.inFlight.pop();
        await pause(50);
      } else throw new Error(`unexpected ${res.status}: ${await res.text()}`);
    } catch (error) {
      if ((error as Error).message.startsWith('unexpected')) throw error;
      return; // the server is gone; the operation stays "in flight"
    } finally {
      busy.delete(id);
    }
  }
}

// ---- The folder: files changed between jobs; each job's success acknowledges what it read ---

interface FolderFile {
  name: string;
  /** Every version written, oldest first. */
  versions: string[];
  /** Index in `versions` of the content a succeeded job ingested. */
  acknowledged?: number;
}
const corporaDir = mkdtempSync(join(tmpdir(), 'check-crash-corpora-'));
mkdirSync(join(corporaDir, FOLDER));
const folderFiles: FolderFile[] = Array.from({ length: FOLDER_FILES }, (_, i) => ({ name: i % 8 === 0 ? `notes-${String(i).padStart(3, '0')}.jsonl` : `page-${String(i).padStart(3, '0')}.txt`, versions: [] }));

function fileContent(file: FolderFile, i: number, version: number): string {
  if (!file.name.endsWith('.jsonl')) return documentText(10_000 + i, version, 2 + ((i + version) % 4));
  return [0, 1, 2, 3].map((r) => JSON.stringify({ id: `r${r}`, text: documentText(20_000 + i * 4 + r, version, 1 + (r % 2)) })).join('\n');
}
function writeVersion(i: number): void {
  const file = folderFiles[i]!;
  const content = fileContent(file, i, file.versions.length);
  file.versions.push(content);
  writeFileSync(join(corporaDir, FOLDER, file.name), content);
}
/** Document id → text of one version of a file, as the loaders read it. */
function documentsOf(file: FolderFile, content: string): Map<string, string> {
  if (!file.name.endsWith('.jsonl')) return new Map([[`${FOLDER}/${file.name}`, content]]);
  return new Map(content.split('\n').map((line) => JSON.parse(line) as { id: string; text: string }).map((r) => [`${FOLDER}/${file.name}#${r.id}`, r.text]));
}
folderFiles.forEach((_, i) => writeVersion(i));

async function folderLoop(url: string, stop: AbortSignal): Promise<void> {
  while (!stop.aborted) {
    for (let k = 0; k < 3; k++) writeVersion(Math.floor(random() * folderFiles.length)); // between jobs only
    const reading = folderFiles.map((f) => f.versions.length - 1);
    let res: Response;
    try {
      res = await fetch(`${url}/v1/workspaces/${FOLDER_WORKSPACE}/ingest`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ path: FOLDER }) });
    } catch {
      return;
    }
    if (res.status === 429) await pause(200); // the workspace's job slots are taken
    else if (res.status !== 202) throw new Error(`folder ingest: unexpected ${res.status}: ${await res.text()}`);
    else {
      counts.folderRuns++;
      const job = await followJob(url, ((await res.json()) as { jobId: string }).jobId, { intervalMs: 100 });
      if (!job) return; // killed mid-job
      if (job.state !== 'succeeded' || job.progress.errors.length) throw new Error(`folder job ended ${job.state}: ${job.error ?? JSON.stringify(job.progress.errors.slice(0, 3))}`);
      counts.folderRunsAcknowledged++;
      folderFiles.forEach((f, i) => (f.acknowledged = reading[i]));
    }
    await pause(100);
  }
}

// ---- The graph of the folder workspace, built again and again ------------------------------

/** Between builds: extraction and community detection share the server's main thread with the writers. */
const GRAPH_PAUSE_MS = 1000;
let graphAcknowledgedAt: string | undefined;
const graphProblems: string[] = [];

async function graphLoop(url: string, stop: AbortSignal): Promise<void> {
  while (!stop.aborted) {
    let res: Response;
    try {
      res = await fetch(`${url}/v1/workspaces/${FOLDER_WORKSPACE}/graph`, { method: 'POST' });
    } catch {
      return;
    }
    if (res.status === 404 || res.status === 429 || res.status === 409) {
      await res.text();
      await pause(300); // no workspace yet, or its job slots are taken
    }
    else if (res.status !== 202) throw new Error(`graph build: unexpected ${res.status}: ${await res.text()}`);
    else {
      counts.graphBuilds++;
      const job = await followJob(url, ((await res.json()) as { jobId: string }).jobId, { intervalMs: 100 });
      if (!job) return;
      if (job.state !== 'succeeded') graphProblems.push(`a build ended ${job.state}: ${job.error}`);
      else {
        let summary;
        try {
          summary = await graphOverHttp(url, FOLDER_WORKSPACE);
        } catch {
          return;
        }
        if (summary.state !== 'readable') graphProblems.push(`right after a build: ${summary.problems.join('; ')}`);
        else if (graphAcknowledgedAt === undefined || summary.builtAt! > graphAcknowledgedAt) graphAcknowledgedAt = summary.builtAt;
        counts.graphBuildsAcknowledged++;
      }
    }
    await pause(GRAPH_PAUSE_MS);
  }
}

// ---- Kills ------------------------------------------------------------------------------------

const dataDir = mkdtempSync(join(tmpdir(), 'check-crash-data-'));
const env = { DATA_DIR: dataDir, CORPORA_DIR: corporaDir, SAMPLE_INGEST: 'false', GRAPH_AUTO_UPDATE_MS: '0' };
const killMoments: number[] = [];
for (let k = 0; k < KILLS; k++) {
  const server = await startServer(env);
  const stop = new AbortController();
  const workers = [...Array.from({ length: WRITERS }, () => writer(server.url, stop.signal)), folderLoop(server.url, stop.signal), graphLoop(server.url, stop.signal)];
  const failed = Promise.all(workers).then(() => undefined);
  // Long enough, after a start, for the folder job to write a group of 64 files now and then.
  const after = 500 + random() * 3500;
  killMoments.push(Math.round(after));
  await Promise.race([pause(after), failed]); // a worker that throws ends the run at once
  await server.kill('SIGKILL');
  stop.abort();
  await Promise.all(workers);
  process.stderr.write(`kill ${k + 1}/${KILLS} after ${Math.round(after)} ms: ${counts.acknowledgedWrites} writes, ${counts.deletesAcknowledged} deletes, ${counts.folderRunsAcknowledged}/${counts.folderRuns} folder jobs, ${counts.graphBuildsAcknowledged}/${counts.graphBuilds} graph builds acknowledged so far\n`);
}

// ---- Verification, on a restarted server -------------------------------------------------

const server: ServerProcess = await startServer(env);
const url = server.url;
const problems: string[] = [];
const note = (p: string) => problems.length < 40 && problems.push(p);

let lost = 0;
let partial = 0;
let resurrected = 0;
for (const [id, entry] of ledger) {
  const doc = await fetchDocument(url, WORKSPACE, id);
  const allowed = new Set([...(entry.acknowledged !== undefined ? [entry.acknowledged] : []), ...entry.inFlight]);
  if (!doc) {
    if (!allowed.has(null) && entry.acknowledged !== undefined) (lost++, note(`${id}: acknowledged but missing`));
    continue;
  }
  if (!allowed.has(doc.text)) {
    if (entry.acknowledged === null) (resurrected++, note(`${id}: deleted (204) but present again`));
    else if (entry.acknowledged !== undefined) (lost++, note(`${id}: stored text is neither the acknowledged version nor one in flight`));
    else (partial++, note(`${id}: stored text was never sent`));
    continue;
  }
  if (!isWhole(doc)) (partial++, note(`${id}: ${doc.chunks.length} of ${doc.document.chunkCount} chunks, or chunks that do not match the text`));
}

/** Per folder file, after the kills: whole-or-absent and acknowledged-present. */
async function checkFolder(rerun: boolean): Promise<{ partial: number; lost: number; absent: number }> {
  const present = new Set(await documentIds(url, FOLDER_WORKSPACE));
  const result = { partial: 0, lost: 0, absent: 0 };
  for (const file of folderFiles) {
    const since = rerun ? [file.versions.length - 1] : [...file.versions.keys()].slice(file.acknowledged ?? 0);
    const ids = [...documentsOf(file, file.versions[0]!).keys()]; // the record ids are the same in every version
    const here = ids.filter((id) => present.has(id));
    if (here.length === 0) {
      result.absent++;
      if (rerun || file.acknowledged !== undefined) (result.lost++, note(`${file.name}: ${rerun ? 'absent after the job ran again' : 'its ingest was acknowledged, but it is absent'}`));
      continue;
    }
    if (here.length !== ids.length) (result.partial++, note(`${file.name}: ${here.length} of ${ids.length} records`));
    const texts = new Map<string, string>();
    for (const id of here) {
      const doc = (await fetchDocument(url, FOLDER_WORKSPACE, id))!;
      if (!isWhole(doc)) (result.partial++, note(`${file.name}: ${id} is not whole`));
      texts.set(id, doc.text);
    }
    // All records from one version the job could have read since the acknowledged one.
    const fits = since.some((v) => [...documentsOf(file, file.versions[v]!)].every(([id, text]) => !texts.has(id) || texts.get(id) === text));
    if (!fits) (result.partial++, note(`${file.name}: its records are not one version written since the acknowledged ingest`));
  }
  return result;
}
const folder = await checkFolder(false);

// The graph as the kills left it: readable and sound, never older than the last acknowledged build.
const graph = await graphOverHttp(url, FOLDER_WORKSPACE);
const storeFile = (ws: string) => join(dataDir, 'workspaces', ws, 'store.sqlite');
const graphFile = graphOnDisk(storeFile(FOLDER_WORKSPACE));
const graphCorrupt = graph.state === 'corrupt' || graphFile.problems.length > 0 || (graph.state === 'readable') !== graphFile.snapshot;
const graphLost = graphAcknowledgedAt !== undefined && (graph.state !== 'readable' || graph.builtAt! < graphAcknowledgedAt);
for (const p of [...graphProblems, ...graph.problems, ...graphFile.problems]) note(`graph: ${p}`);
if (graphLost) note(`graph: last acknowledged build ${graphAcknowledgedAt}, found ${graph.state} ${graph.builtAt ?? ''}`);
const graphAfterKills = { state: graph.state, stale: graph.stale ?? null, builtAt: graph.builtAt ?? null, lastAcknowledged: graphAcknowledgedAt ?? null };

// Both jobs run again to completion.
const rerunRes = await fetch(`${url}/v1/workspaces/${FOLDER_WORKSPACE}/ingest`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ path: FOLDER }) });
const rerunJob = await followJob(url, ((await rerunRes.json()) as { jobId: string }).jobId);
const afterRerun = await checkFolder(true);
const folderRerunComplete = rerunJob?.state === 'succeeded' && rerunJob.progress.errors.length === 0 && afterRerun.lost + afterRerun.partial === 0;
if (!folderRerunComplete) note(`folder job run again: ${rerunJob?.state} ${JSON.stringify(rerunJob?.progress.errors.slice(0, 3))}`);
const rebuildJob = await followJob(url, ((await (await fetch(`${url}/v1/workspaces/${FOLDER_WORKSPACE}/graph`, { method: 'POST' })).json()) as { jobId: string }).jobId);
const rebuilt = await graphOverHttp(url, FOLDER_WORKSPACE);
const graphRebuildWorks = rebuildJob?.state === 'succeeded' && rebuilt.state === 'readable' && rebuilt.stale === false;
if (!graphRebuildWorks) note(`graph build after the kills: ${rebuildJob?.state} ${rebuildJob?.error ?? ''} ${rebuilt.problems.join('; ')}`);

const stats = (await (await fetch(`${url}/v1/workspaces/${WORKSPACE}`)).json()) as { documents: number };
const query = await fetch(`${url}/query`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ question: 'Who wrote about lighthouses?', workspace: WORKSPACE }) });
const queryBody = (await query.json()) as { citations?: unknown[] };
const search = await fetch(`${url}/v1/workspaces/${WORKSPACE}/search`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: 'glaciers 1850', k: 5 }) });
const queriesWork = query.status === 200 && (queryBody.citations?.length ?? 0) > 0 && search.status === 200;
await server.kill('SIGTERM'); // graceful: the vector index is saved

// What the indexes of both workspaces really hold, read from disk.
const indexes = new Map<string, WorkspaceConsistency>([WORKSPACE, FOLDER_WORKSPACE].map((ws) => [ws, checkWorkspaceIndexes(join(dataDir, 'workspaces', ws))]));
const total = (pick: (c: WorkspaceConsistency) => number) => [...indexes.values()].reduce((n, c) => n + pick(c), 0);
const ftsMissing = total((c) => c.fts.missing.length);
const ftsExtra = total((c) => c.fts.extra.length);
const ftsIntegrity = [...indexes].every(([, c]) => c.fts.integrity === 'ok') ? 'ok' : [...indexes].map(([ws, c]) => `${ws}: ${c.fts.integrity}`).join('; ');
const hnswMissing = total((c) => c.hnsw.missing.length);
const hnswExtra = total((c) => c.hnsw.extra.length);
const hnswWrongVector = total((c) => c.hnsw.wrongVector.length);

const acknowledged = [...ledger.values()].filter((e) => typeof e.acknowledged === 'string').length;
const result = {
  kills: KILLS,
  acknowledged,
  ...counts,
  lost,
  partial,
  resurrected,
  folderFiles: FOLDER_FILES,
  folderFilesAbsentAfterKills: folder.absent,
  folderFilesPartial: folder.partial,
  folderFilesLost: folder.lost,
  folderRerunComplete,
  graphAfterKills,
  graphCorrupt,
  graphLost,
  graphRebuildWorks,
  ftsMissing,
  ftsExtra,
  ftsIntegrity,
  hnswMissing,
  hnswExtra,
  hnswWrongVector,
  indexes: Object.fromEntries([...indexes].map(([ws, c]) => [ws, { chunks: c.fts.chunks, ftsIndexed: c.fts.indexed, ...summarize(c) }])),
  queriesWork,
  documents: stats.documents,
  killMomentsMs: killMoments,
  problems,
  machine: machine(),
};
console.log(
  table([
    {
      kills: KILLS,
      'acknowledged docs': acknowledged,
      'writes / deletes ack.': `${counts.acknowledgedWrites} / ${counts.deletesAcknowledged}`,
      'folder jobs ack.': `${counts.folderRunsAcknowledged}/${counts.folderRuns}`,
      'graph builds ack.': `${counts.graphBuildsAcknowledged}/${counts.graphBuilds}`,
      lost,
      partial,
      resurrected,
      'folder partial / lost': `${folder.partial} / ${folder.lost}`,
      'graph corrupt / lost': `${graphCorrupt} / ${graphLost}`,
      'fts missing / extra': `${ftsMissing} / ${ftsExtra}`,
      'hnsw missing / extra': `${hnswMissing} / ${hnswExtra}`,
      'reruns work': String(folderRerunComplete && graphRebuildWorks && queriesWork),
    },
  ]),
);
for (const p of problems.slice(0, 20)) console.log(`  ${p}`);
console.log(`wrote ${await writeResult('crash', result)}`);
const failures = lost + partial + resurrected + folder.partial + folder.lost + ftsMissing + ftsExtra + hnswMissing + hnswExtra + hnswWrongVector + graphProblems.length;
if (failures || graphCorrupt || graphLost || ftsIntegrity !== 'ok' || !folderRerunComplete || !graphRebuildWorks || !queriesWork) process.exitCode = 1;
