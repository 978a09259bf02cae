/**
 * Graph-RAG benchmarks:
 *  - graph indexing of A Christmas Carol and of the HotpotQA-100 corpus (offline NLP extractor):
 *    time, entities, relations, communities per level, reports;
 *  - Louvain on a synthetic clustered graph of 50,000 nodes and ~1,000,000 edges, against the
 *    0.94 s graphology-communities-louvain's README reports for a graph of that size;
 *  - graph-global and graph-local query latency on the HotpotQA graph, and map calls per query.
 *   npm run bench:graph
 * Writes bench/results/graph.json.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UndirectedGraph } from 'graphology';
import louvainModule from 'graphology-communities-louvain';
import type { LouvainOptions } from 'graphology-communities-louvain';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config/config.js';
import { seededRandom } from '../src/core/random.js';
import { hierarchicalCommunities } from '../src/graph/communities.js';
import { machine, percentile, table, writeResult } from './lib/bench.js';
import { HOTPOTQA_100, readCorpus, readQuestions } from './lib/datasets.js';

const louvain = louvainModule as unknown as (graph: UndirectedGraph, options?: LouvainOptions) => Record<string, number>;
const README_BIG_GRAPH_MS = 937.942; // graphology-communities-louvain README: 50,000 nodes, 994,713 edges

const app = await buildApp(loadConfig({ ...process.env, DATA_DIR: mkdtempSync(join(tmpdir(), 'bench-graph-')), SAMPLE_INGEST: 'false', LOG_LEVEL: 'warn' }));
await app.ready();
const { ingestor, workspaces, graph } = app.services;

async function indexCorpus(name: string, docs: Array<{ id: string; title: string; text: string }>) {
  const ws = await workspaces.get(name, { create: true });
  await ingestor.ingestMany(ws, docs.map((d) => ({ ...d, mime: 'text/plain' })));
  const start = performance.now();
  const job = graph.startBuild(ws);
  const phaseStarts: Record<string, number> = {};
  const unsubscribe = app.services.jobs.subscribe(job.id, (j) => {
    const phase = j.progress.graph?.phase;
    if (phase && !(phase in phaseStarts)) phaseStarts[phase] = (performance.now() - start) / 1000;
  });
  while (!['succeeded', 'failed'].includes(app.services.jobs.get(job.id).state)) await new Promise((r) => setTimeout(r, 50));
  unsubscribe();
  const seconds = (performance.now() - start) / 1000;
  const phases = Object.entries(phaseStarts).sort((a, b) => a[1] - b[1]);
  const phaseSeconds = Object.fromEntries(phases.map(([p, t], i) => [p, (phases[i + 1]?.[1] ?? seconds) - t]));
  const { snapshot } = await graph.load(ws);
  const perLevel: Record<string, number> = {};
  for (const c of snapshot.communities) perLevel[`level${c.level}`] = (perLevel[`level${c.level}`] ?? 0) + 1;
  return { corpus: name, chunks: snapshot.chunks, seconds, entities: snapshot.entities.length, relations: snapshot.relations.length, reports: snapshot.reports.length, communitiesPerLevel: perLevel, phaseSeconds };
}

console.error('indexing A Christmas Carol…');
const carol = await indexCorpus('carol', [{ id: 'carol', title: 'A Christmas Carol', text: readFileSync('corpora/a-christmas-carol.txt', 'utf8') }]);
console.error('indexing HotpotQA-100…');
const hotpot = await indexCorpus('hotpotqa', readCorpus(HOTPOTQA_100));

console.error('queries…');
const questions = readQuestions(HOTPOTQA_100).slice(0, 50);
const queryRows: Array<Record<string, string | number>> = [];
const queries: Record<string, unknown> = {};
for (const mode of ['graph-local', 'graph-global']) {
  const ms: number[] = [];
  const mapCalls: number[] = [];
  for (const q of questions) {
    const start = performance.now();
    const res = await app.inject({ method: 'POST', url: '/query', payload: { question: q.question, workspace: 'hotpotqa', mode } });
    ms.push(performance.now() - start);
    const body = res.json() as { graph?: { mapCalls?: number } };
    if (body.graph?.mapCalls !== undefined) mapCalls.push(body.graph.mapCalls);
  }
  ms.sort((a, b) => a - b);
  const row = { mode, queries: ms.length, p50Ms: percentile(ms, 50), p95Ms: percentile(ms, 95), mapCallsPerQuery: mapCalls.length ? mapCalls.reduce((a, b) => a + b, 0) / mapCalls.length : 0 };
  queryRows.push(row);
  queries[mode] = row;
}
await app.close();

console.error('synthetic graph for Louvain…');
// Clustered random graph: each edge picks a random source; with probability 0.5 its target is in
// the source's cluster, otherwise anywhere (graphology-generators' `clusters` recipe).
const random = seededRandom(2024);
const order = 50_000;
const wantedEdges = 1_000_000;
const clusters = 50;
const big = new UndirectedGraph();
for (let i = 0; i < order; i++) big.addNode(String(i));
while (big.size < wantedEdges) {
  const s = Math.floor(random() * order);
  const t = random() < 0.5 ? (s - (s % (order / clusters))) + Math.floor(random() * (order / clusters)) : Math.floor(random() * order);
  if (s !== t && !big.hasEdge(String(s), String(t))) big.addEdge(String(s), String(t), { weight: 1 });
}
const runs: number[] = [];
let count = 0;
for (let r = 0; r < 3; r++) {
  const start = performance.now();
  const mapping = louvain(big, { getEdgeWeight: 'weight', rng: seededRandom(r + 1) });
  runs.push(performance.now() - start);
  count = new Set(Object.values(mapping)).size;
}
runs.sort((a, b) => a - b);
const louvainMs = runs[1]!;
const hierStart = performance.now();
const hier = hierarchicalCommunities(big, { maxSize: 2000, maxLevels: 3, seed: 1 });
const hierarchicalMs = performance.now() - hierStart;

console.log(table([carol, hotpot].map((c) => ({ corpus: c.corpus, chunks: c.chunks, seconds: c.seconds, entities: c.entities, relations: c.relations, reports: c.reports, communities: JSON.stringify(c.communitiesPerLevel), phases: Object.entries(c.phaseSeconds).filter(([p]) => p !== 'done').map(([p, t]) => `${p} ${t.toFixed(1)}`).join(', ') }))));
console.log();
console.log(table(queryRows));
console.log();
console.log(`Louvain on ${order} nodes, ${big.size} edges: median of 3 ${louvainMs.toFixed(0)} ms (${count} communities); graphology README ${README_BIG_GRAPH_MS} ms → ratio ${(louvainMs / README_BIG_GRAPH_MS).toFixed(2)} (target ≤ 1.5)`);
console.log(`hierarchical (max size 2,000, 3 levels): ${hierarchicalMs.toFixed(0)} ms, ${hier.length} communities`);
const path = await writeResult('graph', {
  machine: machine(),
  indexing: [carol, hotpot],
  queries,
  louvain: { nodes: order, edges: big.size, runsMs: runs, medianMs: louvainMs, communities: count, readmeMs: README_BIG_GRAPH_MS, ratioToReadme: louvainMs / README_BIG_GRAPH_MS, hierarchicalMs, hierarchicalCommunities: hier.length },
});
console.log(`wrote ${path}`);
