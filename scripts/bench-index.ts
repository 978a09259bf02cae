/**
 * HNSW (hnswlib, inner product) against exact brute-force search, at 10k and 100k vectors of
 * 512 dimensions: recall@10 and queries per second, for several efSearch values.
 *   npm run bench:index [-- --sizes 10000,100000 --queries 200]
 * Headline data is low-rank, like sentence embeddings (a random 512×32 projection of Gaussian
 * codes, plus a little full-rank noise, unit length); uniformly random unit vectors, the
 * hardest case for any graph index, are run too.
 * Writes bench/results/index.json.
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { topByInnerProduct } from '../src/store/exact-vector-index.js';
import { HnswVectorIndex } from '../src/store/hnsw/hnsw-vector-index.js';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { machine, table, writeResult } from './lib/bench.js';

const { values } = parseArgs({ options: { sizes: { type: 'string', default: '10000,100000' }, queries: { type: 'string', default: '200' } } });
const DIM = 512;
type DataKind = 'low-rank' | 'uniform';
const K = 10;
const EF_VALUES = [32, 64, 96, 128, 256];
const BUILD = { m: 16, efConstruction: 200 };

function rng(seed: number) {
  let s = seed >>> 0;
  const next = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  return { next, gaussian: () => Math.sqrt(-2 * Math.log(next() + 1e-12)) * Math.cos(2 * Math.PI * next()) };
}

function unit(v: Float32Array): Float32Array {
  let n = 0;
  for (const x of v) n += x * x;
  n = Math.sqrt(n);
  return v.map((x) => x / n);
}

function dataset(kind: DataKind, count: number, seed: number): Float32Array[] {
  const r = rng(seed);
  const RANK = 32;
  const basis = Array.from({ length: RANK }, () => Float32Array.from({ length: DIM }, r.gaussian));
  return Array.from({ length: count }, () => {
    if (kind === 'uniform') return unit(Float32Array.from({ length: DIM }, r.gaussian));
    const v = Float32Array.from({ length: DIM }, () => 0.3 * r.gaussian());
    for (const b of basis) {
      const z = r.gaussian();
      for (let d = 0; d < DIM; d++) v[d] = v[d]! + z * b[d]!;
    }
    return unit(v);
  });
}

interface Row {
  data: string;
  vectors: number;
  efSearch: number;
  recallAt10: number;
  hnswQps: number;
  exactQps: number;
  speedupVsExact: number;
}

function run(kind: DataKind, size: number, queryCount: number): { rows: Row[]; buildSeconds: number } {
  const all = dataset(kind, size + queryCount, size);
  const vectors = all.slice(0, size);
  const queries = all.slice(size);
  const entries = vectors.map((v, i) => [i + 1, v] as [number, Float32Array]);

  let start = performance.now();
  const truth = queries.map((q) => topByInnerProduct(q, entries, K).map((h) => h.id));
  const exactSeconds = (performance.now() - start) / 1000;

  start = performance.now();
  const dir = mkdtempSync(join(tmpdir(), 'bench-index-'));
  const rows: Row[] = [];
  const index = HnswVectorIndex.open(join(dir, 'v.hnsw'), DIM, { ...BUILD, efSearch: EF_VALUES[0]! });
  index.add(vectors.map((vector, i) => ({ id: i + 1, vector })));
  const buildSeconds = (performance.now() - start) / 1000;
  for (const ef of EF_VALUES) {
    index.efSearch = ef;
    start = performance.now();
    const found = queries.map((q) => index.search(q, K).map((h) => h.id));
    const seconds = (performance.now() - start) / 1000;
    const hits = found.reduce((n, ids, i) => n + ids.filter((id) => truth[i]!.includes(id)).length, 0);
    rows.push({
      data: kind,
      vectors: size,
      efSearch: ef,
      recallAt10: hits / (queries.length * K),
      hnswQps: queries.length / seconds,
      exactQps: queries.length / exactSeconds,
      speedupVsExact: exactSeconds / seconds,
    });
  }
  return { rows, buildSeconds };
}

const sizes = values.sizes.split(',').map(Number);
const queryCount = Number(values.queries);
const rows: Row[] = [];
const builds: Record<string, number> = {};
for (const kind of ['low-rank', 'uniform'] as const) {
  for (const size of sizes) {
    console.error(`${kind} ${size}…`);
    const result = run(kind, size, queryCount);
    rows.push(...result.rows);
    builds[`${kind}-${size}`] = result.buildSeconds;
  }
}
console.log(table(rows.map((r) => ({ ...r, recallAt10: r.recallAt10.toFixed(3) }))));
console.log(`\nbuild seconds (M=${BUILD.m}, efConstruction=${BUILD.efConstruction}): ${JSON.stringify(builds)}`);

const largest = Math.max(...sizes);
const defaultEf = 96;
const headline = rows.find((r) => r.data === 'low-rank' && r.vectors === largest && r.efSearch === defaultEf)!;
const path = await writeResult('index', {
  machine: machine(),
  dim: DIM,
  k: K,
  queries: queryCount,
  build: BUILD,
  defaultEfSearch: defaultEf,
  vectors: largest,
  recallAt10: headline.recallAt10,
  speedupVsExact: headline.speedupVsExact,
  buildSeconds: builds,
  rows,
});
console.log(`at ${largest} low-rank vectors, efSearch ${defaultEf}: recall@10 ${headline.recallAt10.toFixed(3)}, ${headline.speedupVsExact.toFixed(1)}× brute force\nwrote ${path}`);
