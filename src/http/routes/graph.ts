import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { NotFoundError } from '../../core/errors.js';
import { communitySvg } from '../../graph/community-svg.js';
import { toGraphMl } from '../../graph/graph-service.js';
import { errors, JobSchema, WorkspaceParams } from '../schemas.js';

const EntitySummary = z.object({ id: z.string(), name: z.string(), type: z.string(), mentions: z.number(), degree: z.number() });
const Finding = z.object({ summary: z.string(), explanation: z.string(), chunkIds: z.array(z.number()) });
const Report = z.object({ title: z.string(), summary: z.string(), rating: z.number(), findings: z.array(Finding) });

export async function graphRoutes(app: FastifyInstance): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const { workspaces, graph } = app.services;

  r.post(
    '/v1/workspaces/:ws/graph',
    {
      schema: {
        tags: ['graph'],
        summary: 'Build or update the workspace entity graph, communities and reports, as a background job',
        description: 'Incremental: only chunks not yet extracted are extracted; communities are recomputed; unchanged communities keep their reports.',
        params: WorkspaceParams,
        response: { 202: z.object({ jobId: z.string(), job: JobSchema }), ...errors },
      },
    },
    async (request, reply) => {
      const job = graph.startBuild(await workspaces.get(request.params.ws));
      return reply.status(202).send({ jobId: job.id, job });
    },
  );

  r.get(
    '/v1/workspaces/:ws/graph',
    {
      schema: {
        tags: ['graph'],
        summary: 'The built graph: sizes, communities per level, and whether documents changed since',
        params: WorkspaceParams,
        response: {
          200: z.object({ builtAt: z.string(), extractor: z.string(), entities: z.number(), relations: z.number(), communitiesPerLevel: z.record(z.string(), z.number()), reports: z.number(), stale: z.boolean() }),
          ...errors,
        },
      },
    },
    async (request) => {
      const ws = await workspaces.get(request.params.ws);
      const { snapshot } = await graph.load(ws);
      const [{ chunks }, extracted] = await Promise.all([ws.docs.counts(), ws.graph.extractedChunkIds(snapshot.extractor)]);
      const perLevel: Record<string, number> = {};
      for (const c of snapshot.communities) perLevel[c.level] = (perLevel[c.level] ?? 0) + 1;
      return {
        builtAt: snapshot.builtAt,
        extractor: snapshot.extractor,
        entities: snapshot.entities.length,
        relations: snapshot.relations.length,
        communitiesPerLevel: perLevel,
        reports: snapshot.reports.length,
        stale: chunks !== snapshot.chunks || extracted.length !== chunks,
      };
    },
  );

  r.get(
    '/v1/workspaces/:ws/graph/entities',
    {
      schema: {
        tags: ['graph'],
        summary: 'Search entities by name (case-insensitive substring); most mentioned first',
        params: WorkspaceParams,
        querystring: z.object({ q: z.string().max(200).default(''), limit: z.coerce.number().int().min(1).max(500).default(50) }),
        response: { 200: z.object({ entities: z.array(EntitySummary) }), ...errors },
      },
    },
    async (request) => {
      const loaded = await graph.load(await workspaces.get(request.params.ws));
      const q = request.query.q.toLowerCase();
      const matches = loaded.snapshot.entities.filter((e) => !q || e.forms.some((f) => f.toLowerCase().includes(q)));
      return {
        entities: matches
          .sort((a, b) => b.mentions - a.mentions || a.id.localeCompare(b.id))
          .slice(0, request.query.limit)
          .map((e) => ({ id: e.id, name: e.name, type: e.type, mentions: e.mentions, degree: loaded.adjacency.get(e.id)?.length ?? 0 })),
      };
    },
  );

  r.get(
    '/v1/workspaces/:ws/graph/entities/:id',
    {
      schema: {
        tags: ['graph'],
        summary: 'One entity with its descriptions, neighbours and communities',
        params: WorkspaceParams.extend({ id: z.string() }),
        response: {
          200: z.object({
            entity: z.object({ id: z.string(), name: z.string(), type: z.string(), forms: z.array(z.string()), descriptions: z.array(z.string()), chunkIds: z.array(z.number()), mentions: z.number() }),
            neighbours: z.array(z.object({ id: z.string(), name: z.string(), type: z.string(), weight: z.number(), descriptions: z.array(z.string()), chunkIds: z.array(z.number()) })),
            communities: z.array(z.object({ id: z.string(), level: z.number() })),
          }),
          ...errors,
        },
      },
    },
    async (request) => {
      const loaded = await graph.load(await workspaces.get(request.params.ws));
      const entity = loaded.entities.get(request.params.id);
      if (!entity) throw new NotFoundError(`entity "${request.params.id}" is not in the graph; find ids with GET /v1/workspaces/${request.params.ws}/graph/entities?q=`);
      const neighbours = (loaded.adjacency.get(entity.id) ?? [])
        .map((rel) => {
          const other = loaded.entities.get(rel.source === entity.id ? rel.target : rel.source)!;
          return { id: other.id, name: other.name, type: other.type, weight: rel.weight, descriptions: rel.descriptions, chunkIds: rel.chunkIds };
        })
        .sort((a, b) => b.weight - a.weight);
      const communities = loaded.snapshot.communities.filter((c) => c.members.includes(entity.id)).map((c) => ({ id: c.id, level: c.level }));
      return { entity, neighbours, communities };
    },
  );

  r.get(
    '/v1/workspaces/:ws/graph/communities',
    {
      schema: {
        tags: ['graph'],
        summary: 'Communities of one level with their reports (those of at least two entities have one)',
        params: WorkspaceParams,
        querystring: z.object({ level: z.coerce.number().int().min(0).max(10).default(0), limit: z.coerce.number().int().min(1).max(1000).default(100) }),
        response: {
          200: z.object({ communities: z.array(z.object({ id: z.string(), level: z.number(), parent: z.string().nullable(), size: z.number(), members: z.array(z.string()), report: Report.nullable() })) }),
          ...errors,
        },
      },
    },
    async (request) => {
      const { snapshot } = await graph.load(await workspaces.get(request.params.ws));
      const reports = new Map(snapshot.reports.map((rep) => [rep.communityId, rep]));
      return {
        communities: snapshot.communities
          .filter((c) => c.level === request.query.level)
          .sort((a, b) => (reports.get(b.id)?.rating ?? -1) - (reports.get(a.id)?.rating ?? -1) || b.members.length - a.members.length)
          .slice(0, request.query.limit)
          .map((c) => {
            const rep = reports.get(c.id);
            return { id: c.id, level: c.level, parent: c.parent, size: c.members.length, members: c.members, report: rep ? { title: rep.title, summary: rep.summary, rating: rep.rating, findings: rep.findings } : null };
          }),
      };
    },
  );

  r.get(
    '/v1/workspaces/:ws/graph/communities/:id/svg',
    {
      schema: {
        tags: ['graph'],
        summary: 'A community drawn as SVG: its entities on a circle, its relations as lines',
        params: WorkspaceParams.extend({ id: z.string() }),
      },
    },
    async (request, reply) => {
      const loaded = await graph.load(await workspaces.get(request.params.ws));
      const community = loaded.snapshot.communities.find((c) => c.id === request.params.id);
      if (!community) throw new NotFoundError(`community "${request.params.id}" is not in the graph; list them with GET /v1/workspaces/${request.params.ws}/graph/communities?level=0`);
      const title = loaded.snapshot.reports.find((rep) => rep.communityId === community.id)?.title ?? '';
      return reply.type('image/svg+xml').send(communitySvg(community, loaded.entities, loaded.snapshot.relations, title));
    },
  );

  r.get(
    '/v1/workspaces/:ws/graph/export',
    {
      schema: {
        tags: ['graph'],
        summary: 'The whole graph as GraphML or as JSON (entities, relations, communities, reports)',
        params: WorkspaceParams,
        querystring: z.object({ format: z.enum(['graphml', 'json']).default('json') }),
      },
    },
    async (request, reply) => {
      const { snapshot } = await graph.load(await workspaces.get(request.params.ws));
      if (request.query.format === 'graphml') return reply.type('application/graphml+xml').send(toGraphMl(snapshot));
      const { entityVectorKeys: _keys, ...rest } = snapshot;
      return reply.type('application/json').send(JSON.stringify(rest));
    },
  );
}
