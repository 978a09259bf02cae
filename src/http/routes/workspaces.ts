import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { allows } from '../../auth/access.js';
import { validateWorkspaceName } from '../../store/workspaces.js';
import { errors, WorkspaceParams } from '../schemas.js';

const WorkspaceStats = z.object({ name: z.string(), documents: z.number(), chunks: z.number(), vectors: z.number() });

export async function workspaceRoutes(app: FastifyInstance): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const { workspaces } = app.services;
  const stats = async (name: string) => {
    const ws = await workspaces.get(name);
    const [counts, vectors] = await Promise.all([ws.docs.counts(), ws.vectors.count()]);
    return { name, ...counts, vectors };
  };

  r.post(
    '/v1/workspaces',
    { config: { access: { kind: 'workspace', scope: 'write', from: { body: 'name' } } }, schema: { tags: ['workspaces'], summary: 'Create a workspace (idempotent)', body: z.object({ name: z.string() }), response: { 200: WorkspaceStats, 201: WorkspaceStats, ...errors } } },
    async (request, reply) => {
      const name = validateWorkspaceName(request.body.name);
      const existed = await workspaces.exists(name);
      await workspaces.get(name, { create: true });
      return reply.status(existed ? 200 : 201).send(await stats(name));
    },
  );

  r.get('/v1/workspaces', { schema: { tags: ['workspaces'], summary: 'List the workspaces this key may read', response: { 200: z.object({ workspaces: z.array(WorkspaceStats) }) } } }, async (request) => ({
    workspaces: await Promise.all((await workspaces.list()).filter((name) => allows(request.principal, name, 'read')).map(stats)),
  }));

  r.get('/v1/workspaces/:ws', { schema: { tags: ['workspaces'], summary: 'One workspace and its sizes', params: WorkspaceParams, response: { 200: WorkspaceStats, ...errors } } }, async (request) =>
    await stats(request.params.ws),
  );
}
