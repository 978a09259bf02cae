import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { EVERY_WORKSPACE, SCOPES, mayGrant } from '../../auth/access.js';
import { ForbiddenError, NotFoundError } from '../../core/errors.js';
import { validateWorkspaceName } from '../../store/workspaces.js';
import { errors } from '../schemas.js';

const ScopesSchema = z
  .record(z.string(), z.enum(SCOPES))
  .refine((scopes) => Object.keys(scopes).length > 0, 'must grant at least one workspace')
  .refine((scopes) => Object.keys(scopes).every((ws) => ws === EVERY_WORKSPACE || safeName(ws)), 'keys must be workspace names (a–z, 0–9, "-", "_") or "*" for every workspace')
  .describe('workspace name (or "*") → "read" | "write" | "admin"');
const KeyRecord = z.object({ id: z.string(), name: z.string(), scopes: z.record(z.string(), z.enum(SCOPES)), createdAt: z.string(), revokedAt: z.string().nullable() });

function safeName(name: string): boolean {
  try {
    validateWorkspaceName(name);
    return true;
  } catch {
    return false;
  }
}

/** API keys: an admin of every workspace a key touches may create, list and revoke it. */
export async function keyRoutes(app: FastifyInstance): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const { apiKeys } = app.services;

  r.post(
    '/v1/keys',
    {
      schema: {
        tags: ['keys'],
        summary: 'Create an API key (its secret is shown only in this response)',
        body: z.object({ name: z.string().trim().min(1).max(200), scopes: ScopesSchema }),
        response: { 201: KeyRecord.extend({ key: z.string() }), ...errors },
      },
    },
    async (request, reply) => {
      if (!mayGrant(request.principal, request.body.scopes)) throw new ForbiddenError('a key can only be created by a key with admin scope on every workspace it grants');
      const { key, record } = apiKeys.create(request.body.name, request.body.scopes);
      return reply.status(201).send({ ...record, key });
    },
  );

  r.get('/v1/keys', { schema: { tags: ['keys'], summary: 'The keys this key administers (never their secrets)', response: { 200: z.object({ keys: z.array(KeyRecord) }) } } }, async (request) => ({
    keys: apiKeys.list().filter((k) => mayGrant(request.principal, k.scopes)),
  }));

  r.delete(
    '/v1/keys/:id',
    { schema: { tags: ['keys'], summary: 'Revoke an API key (at once)', params: z.object({ id: z.string() }), response: { 200: KeyRecord, ...errors } } },
    async (request) => {
      const record = apiKeys.get(request.params.id);
      if (!record || !mayGrant(request.principal, record.scopes)) throw new NotFoundError(`API key "${request.params.id}" does not exist or is not administered by this key`);
      apiKeys.revoke(record.id);
      return apiKeys.get(record.id)!;
    },
  );
}
