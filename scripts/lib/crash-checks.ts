/**
 * What check:crash and the crash tests ask of a restarted server, over its HTTP API and (for
 * the graph) its store file: documents whole or absent, jobs followed until they end or the
 * server dies, and a graph that is either a complete snapshot or absent, never corrupt.
 */
import { existsSync } from 'node:fs';
import Database from 'better-sqlite3';

export interface StoredDocument {
  text: string;
  document: { chunkCount: number };
  chunks: Array<{ text: string; start: number; end: number }>;
}

/** A document as the API returns it; undefined on a 404. */
export async function fetchDocument(url: string, ws: string, id: string): Promise<StoredDocument | undefined> {
  const res = await fetch(`${url}/v1/workspaces/${ws}/documents/${encodeURIComponent(id)}`);
  if (res.status === 404) return undefined;
  if (res.status !== 200) throw new Error(`GET document ${id}: unexpected ${res.status}: ${await res.text()}`);
  return (await res.json()) as StoredDocument;
}

/** All its chunks are there, and each is the slice of the text its offsets name. */
export function isWhole(doc: StoredDocument): boolean {
  return doc.chunks.length > 0 && doc.chunks.length === doc.document.chunkCount && doc.chunks.every((c) => doc.text.slice(c.start, c.end) === c.text);
}

/** Every document id of a workspace (none when the workspace does not exist). */
export async function documentIds(url: string, ws: string): Promise<string[]> {
  const ids: string[] = [];
  for (let offset = 0; ; offset += 500) {
    const res = await fetch(`${url}/v1/workspaces/${ws}/documents?limit=500&offset=${offset}`);
    if (res.status === 404) return ids;
    const page = (await res.json()) as { items: Array<{ id: string }>; total: number };
    ids.push(...page.items.map((d) => d.id));
    if (page.items.length === 0 || ids.length >= page.total) return ids;
  }
}

export interface JobView {
  id: string;
  state: string;
  error: string | null;
  progress: { filesTotal: number; filesDone: number; documents: number; unchanged: number; errors: Array<{ file: string; error: string }> };
}

/**
 * Polls a job until it ends; undefined when the server went away first (or `stop` fired).
 * `seen` is told every state polled, so a caller can act on progress (e.g. kill the server).
 */
export async function followJob(url: string, id: string, options: { intervalMs?: number; stop?: AbortSignal; seen?: (job: JobView) => void } = {}): Promise<JobView | undefined> {
  for (;;) {
    if (options.stop?.aborted) return undefined;
    let job: JobView;
    try {
      job = (await (await fetch(`${url}/v1/jobs/${id}`)).json()) as JobView;
    } catch {
      return undefined; // the server is gone
    }
    options.seen?.(job);
    if (['succeeded', 'failed', 'cancelled'].includes(job.state)) return job;
    await new Promise((r) => setTimeout(r, options.intervalMs ?? 50));
  }
}

interface GraphShape {
  entities: Array<{ id: string }>;
  relations: Array<{ source: string; target: string }>;
  communities: Array<{ id: string; parent: string | null; members: string[] }>;
  reports: Array<{ communityId: string; vectorKey?: string }>;
  entityVectorKeys?: Record<string, string>;
}

/** What is inconsistent inside a graph snapshot: references to entities or communities it does not hold. */
export function graphShapeProblems(g: GraphShape): string[] {
  const problems: string[] = [];
  for (const key of ['entities', 'relations', 'communities', 'reports'] as const) if (!Array.isArray(g[key])) problems.push(`"${key}" is not a list`);
  if (problems.length) return problems;
  const entities = new Set(g.entities.map((e) => e.id));
  const communities = new Set(g.communities.map((c) => c.id));
  if (entities.size !== g.entities.length) problems.push('entity ids repeat');
  for (const r of g.relations) if (!entities.has(r.source) || !entities.has(r.target)) problems.push(`relation ${r.source} → ${r.target} names an entity the graph lacks`);
  for (const c of g.communities) {
    for (const m of c.members) if (!entities.has(m)) problems.push(`community ${c.id} lists ${m}, which is not an entity`);
    if (c.parent !== null && !communities.has(c.parent)) problems.push(`community ${c.id} has parent ${c.parent}, which is not a community`);
  }
  for (const r of g.reports) if (!communities.has(r.communityId)) problems.push(`report for ${r.communityId}, which is not a community`);
  return problems.slice(0, 20);
}

export interface GraphOverHttp {
  /** 'absent': a 404 (no graph yet); 'readable': 200s with a sound snapshot; 'corrupt': anything else. */
  state: 'absent' | 'readable' | 'corrupt';
  builtAt?: string;
  stale?: boolean;
  problems: string[];
}

/** The workspace's graph as the API serves it: summary, JSON export, entity search and communities. */
export async function graphOverHttp(url: string, ws: string): Promise<GraphOverHttp> {
  const summary = await fetch(`${url}/v1/workspaces/${ws}/graph`);
  if (summary.status === 404) return { state: 'absent', problems: [] };
  if (summary.status !== 200) return { state: 'corrupt', problems: [`GET graph: ${summary.status} ${(await summary.text()).slice(0, 200)}`] };
  const { builtAt, stale } = (await summary.json()) as { builtAt: string; stale: boolean };
  const problems: string[] = [];
  const exported = await fetch(`${url}/v1/workspaces/${ws}/graph/export?format=json`);
  if (exported.status !== 200) problems.push(`GET graph/export: ${exported.status}`);
  else {
    try {
      const g = (await exported.json()) as GraphShape & { builtAt: string };
      if (g.builtAt !== builtAt) problems.push(`the export was built at ${g.builtAt}, the summary at ${builtAt}`);
      problems.push(...graphShapeProblems(g));
    } catch (error) {
      problems.push(`the export is not JSON: ${(error as Error).message}`);
    }
  }
  for (const path of ['graph/entities?limit=5', 'graph/communities?level=0&limit=5']) {
    const res = await fetch(`${url}/v1/workspaces/${ws}/${path}`);
    if (res.status !== 200) problems.push(`GET ${path}: ${res.status}`);
  }
  return { state: problems.length ? 'corrupt' : 'readable', builtAt, stale, problems };
}

/**
 * The graph in a workspace's store file, read beside a running or stopped server (WAL mode
 * lets a reader in): the snapshot parses, is sound, and every text vector it names is stored
 * with the embedder's dimension.
 */
export function graphOnDisk(storeFile: string): { snapshot: boolean; builtAt?: string; problems: string[] } {
  if (!existsSync(storeFile)) return { snapshot: false, problems: [] };
  const db = new Database(storeFile, { readonly: true, fileMustExist: true });
  try {
    const hasTable = db.prepare("SELECT 1 FROM sqlite_master WHERE name = 'graph_snapshot'").get() !== undefined;
    const json = hasTable ? (db.prepare('SELECT json FROM graph_snapshot WHERE id = 1').pluck().get() as string | undefined) : undefined;
    if (json === undefined) return { snapshot: false, problems: [] };
    let g: GraphShape & { builtAt: string };
    try {
      g = JSON.parse(json) as GraphShape & { builtAt: string };
    } catch (error) {
      return { snapshot: true, problems: [`the snapshot is not JSON: ${(error as Error).message}`] };
    }
    const problems = graphShapeProblems(g);
    const keys = [...g.entities.map((e) => g.entityVectorKeys?.[e.id]), ...g.reports.map((r) => r.vectorKey)];
    const dimBytes = (db.prepare('SELECT length(vector) FROM chunks LIMIT 1').pluck().get() as number | undefined) ?? undefined;
    const vector = db.prepare('SELECT length(vector) FROM graph_vectors WHERE key = ?').pluck();
    let missing = 0;
    for (const key of keys) {
      const length = key === undefined ? undefined : (vector.get(key) as number | undefined);
      if (length === undefined || (dimBytes !== undefined && length !== dimBytes)) missing++;
    }
    if (missing) problems.push(`${missing} of ${keys.length} text vectors the snapshot names are missing or of the wrong size`);
    return { snapshot: true, builtAt: g.builtAt, problems };
  } finally {
    db.close();
  }
}
