import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testApp, waitForJob } from '../support/app.js';
import type { TestApp } from '../support/app.js';

const STAVE = `Marley was dead: to begin with. Mr. Scrooge signed the register of his burial with Bob Cratchit. Scrooge never painted out Old Marley's name. The firm was known as Scrooge and Marley.
Scrooge's nephew Fred came to the counting-house. Fred wished Scrooge a merry Christmas. Bob Cratchit warmed himself at the candle while Fred spoke.`;
const ALPS = `The Matterhorn stands above Zermatt in Switzerland. Edward Whymper first climbed the Matterhorn in 1865. Zermatt is reached by train from Visp.
Whymper wrote about the Matterhorn in his book. Visp lies in the Rhone valley of Switzerland.`;

describe('graph API and graph modes', () => {
  let t: TestApp;
  const post = (url: string, payload?: unknown) => t.app.inject({ method: 'POST', url, ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }) });
  const get = (url: string) => t.app.inject(url);
  async function build(ws: string) {
    const res = await post(`/v1/workspaces/${ws}/graph`);
    expect(res.statusCode).toBe(202);
    const job = await waitForJob(t.app, res.json().jobId);
    expect(job.state, JSON.stringify(job)).toBe('succeeded');
    return job as { progress: { graph: { chunksTotal: number; chunksExtracted: number; chunksNew: number; reportsWritten: number; reportsReused: number } } };
  }

  beforeAll(async () => {
    t = await testApp({ GRAPH_MAX_COMMUNITY_SIZE: '4', GRAPH_AUTO_UPDATE_MS: '0' });
    await post('/v1/workspaces/g/documents', { id: 'stave', title: 'Stave One', text: STAVE });
  });
  afterAll(() => t.app.close());

  it('says there is no graph yet with a 404 that tells how to build one', async () => {
    const res = await get('/v1/workspaces/g/graph');
    expect(res.statusCode).toBe(404);
    expect(res.json().message).toMatch(/POST \/v1\/workspaces\/g\/graph/);
    expect((await post('/query', { question: 'Who is Fred?', workspace: 'g', mode: 'graph-local' })).statusCode).toBe(404);
  });

  it('builds the graph as a job, merges surface forms, and serves entities, neighbours and communities', async () => {
    const job = await build('g');
    expect(job.progress.graph.chunksExtracted).toBe(job.progress.graph.chunksTotal);
    const summary = (await get('/v1/workspaces/g/graph')).json();
    expect(summary.entities).toBeGreaterThan(3);
    expect(summary.stale).toBe(false);
    const found = (await get('/v1/workspaces/g/graph/entities?q=scrooge')).json().entities;
    expect(found).toHaveLength(1); // "Mr. Scrooge", "Scrooge", "Scrooge's": one node
    const scrooge = (await get(`/v1/workspaces/g/graph/entities/${encodeURIComponent(found[0].id)}`)).json();
    expect(scrooge.entity.forms).toEqual(expect.arrayContaining(['Mr. Scrooge', 'Scrooge']));
    expect(scrooge.neighbours.map((n: { name: string }) => n.name)).toEqual(expect.arrayContaining(['Bob Cratchit', 'Fred']));
    const communities = (await get('/v1/workspaces/g/graph/communities?level=0')).json().communities;
    expect(communities.length).toBeGreaterThan(0);
    const reported = communities.find((c: { report: unknown }) => c.report);
    expect(reported.report.findings.length).toBeGreaterThanOrEqual(1);
    expect(reported.report.findings[0].chunkIds.length).toBeGreaterThan(0);
    expect((await get('/v1/workspaces/g/graph/entities/nobody')).statusCode).toBe(404);
  });

  it('exports GraphML and JSON, and draws a community as SVG', async () => {
    const graphml = await get('/v1/workspaces/g/graph/export?format=graphml');
    expect(graphml.headers['content-type']).toMatch(/graphml/);
    expect(graphml.body).toMatch(/<graphml[\s\S]*<node id="[^"]+"><data key="name">/);
    const json = (await get('/v1/workspaces/g/graph/export?format=json')).json();
    expect(json.entities.length).toBe((await get('/v1/workspaces/g/graph')).json().entities);
    expect((await get('/v1/workspaces/g/graph/export?format=svgz')).statusCode).toBe(400);
    const community = (await get('/v1/workspaces/g/graph/communities?level=0')).json().communities[0];
    const svg = await get(`/v1/workspaces/g/graph/communities/${community.id}/svg`);
    expect(svg.headers['content-type']).toMatch(/image\/svg\+xml/);
    expect((svg.body.match(/<circle /g) ?? []).length).toBe(community.size);
    expect((await get('/v1/workspaces/g/graph/communities/L9-9/svg')).statusCode).toBe(404);
  });

  it('updates incrementally: a new document is extracted alone, and a deleted one leaves the graph', async () => {
    const added = (await post('/v1/workspaces/g/documents', { id: 'alps', title: 'Alps', text: ALPS })).json();
    expect((await get('/v1/workspaces/g/graph')).json().stale).toBe(true);
    const before = (await get('/v1/workspaces/g/graph')).json();
    const job = await build('g');
    const { chunksTotal, chunksExtracted, chunksNew } = job.progress.graph;
    expect(chunksExtracted).toBe(chunksTotal);
    expect(chunksNew).toBe(added.chunks); // only the new document's chunks went through the extractor
    expect((await get('/v1/workspaces/g/graph/entities?q=matterhorn')).json().entities).toHaveLength(1);
    expect(job.progress.graph.reportsReused).toBeGreaterThan(0); // the Carol communities did not change
    expect((await get('/v1/workspaces/g/graph')).json().entities).toBeGreaterThan(before.entities);
    await t.app.inject({ method: 'DELETE', url: '/v1/workspaces/g/documents/alps' });
    await build('g');
    expect((await get('/v1/workspaces/g/graph/entities?q=matterhorn')).json().entities).toHaveLength(0);
  });

  it('answers graph-local from the chunks of the question’s entities and their neighbours, with citations', async () => {
    const res = await post('/query', { question: "Who is Scrooge's nephew?", workspace: 'g', mode: 'graph-local', k: 3 });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.mode).toBe('graph-local');
    expect(body.graph.entities[0].name).toMatch(/Scrooge/);
    expect(body.answer).toMatch(/Fred/);
    expect(body.citations.length).toBeGreaterThan(0);
  });

  it('answers graph-global by map-reduce over community reports, citing reports and chunks; says so when nothing helps', async () => {
    const body = (await post('/query', { question: 'What do Scrooge and Fred do?', workspace: 'g', mode: 'graph-global', graph: { level: 0, batchTokens: 200 } })).json();
    expect(body.mode).toBe('graph-global');
    expect(body.graph.level).toBe(0);
    expect(body.graph.mapCalls).toBeGreaterThanOrEqual(1);
    expect(body.graph.points.length).toBeGreaterThan(0);
    const scores = body.graph.points.map((p: { score: number }) => p.score);
    expect(scores).toEqual([...scores].sort((a, b) => b - a));
    expect(scores.every((s: number) => s > 0 && s <= 100)).toBe(true);
    expect(body.graph.points[0].report).toMatchObject({ kind: 'report', level: 0 });
    expect(body.citations.length).toBeGreaterThan(0);
    const none = (await post('/query', { question: 'quantum chromodynamics lattice', workspace: 'g', mode: 'graph-global' })).json();
    expect(none).toMatchObject({ noAnswer: true, answer: 'No relevant information was found in the community reports.' });
  });

  it('updates the graph by itself after documents change, once writes are quiet', async () => {
    const auto = await testApp({ GRAPH_AUTO_UPDATE_MS: '300' });
    try {
      const inject = (url: string, payload?: unknown) => auto.app.inject({ method: 'POST', url, ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }) });
      await inject('/v1/workspaces/a/documents', { id: 'stave', text: STAVE });
      await waitForJob(auto.app, (await inject('/v1/workspaces/a/graph')).json().jobId);
      await inject('/v1/workspaces/a/documents', { id: 'alps', text: ALPS });
      let found = 0;
      for (let i = 0; i < 100 && found === 0; i++) {
        await new Promise((r) => setTimeout(r, 100));
        found = (await auto.app.inject('/v1/workspaces/a/graph/entities?q=matterhorn')).json().entities?.length ?? 0;
      }
      expect(found).toBe(1);
      expect((await auto.app.inject('/v1/workspaces/a/graph')).json().stale).toBe(false);
    } finally {
      await auto.app.close();
    }
  });

  it('refuses bad graph settings and a second concurrent build', async () => {
    const bad = await post('/query', { question: 'Who?', workspace: 'g', mode: 'graph-global', graph: { batchTokens: 1 } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().message).toMatch(/batchTokens/);
    await post('/v1/workspaces/g/documents', { id: 'alps-again', title: 'Alps', text: ALPS }); // work for the first build
    const [first, second] = await Promise.all([post('/v1/workspaces/g/graph'), post('/v1/workspaces/g/graph')]);
    expect(second.statusCode).toBe(409);
    expect(second.json().message).toContain(first.json().jobId);
    await waitForJob(t.app, first.json().jobId);
  });
});
