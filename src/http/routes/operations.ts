import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';

export async function operationRoutes(app: FastifyInstance): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const { services } = app;

  r.get('/health', { config: { access: { kind: 'public' } }, schema: { tags: ['operations'], summary: 'The process is up', response: { 200: z.object({ status: z.literal('ok') }) } } }, async () => ({ status: 'ok' as const }));

  const Ready = z.object({ ready: z.boolean(), embedder: z.string(), provider: z.array(z.string()), sampleIngest: z.string(), sampleJobId: z.string().nullable() });
  r.get('/ready', { schema: { tags: ['operations'], summary: 'Models are loaded and the start-up sample ingest has finished', response: { 200: Ready, 503: Ready } } }, async (_, reply) => {
    const { sampleIngest, sampleJobId } = services.readiness;
    const ready = sampleIngest === 'done' || sampleIngest === 'skipped' || sampleIngest === 'failed';
    return reply.status(ready ? 200 : 503).send({ ready, embedder: services.embedder.id, provider: services.runtime.providers, sampleIngest, sampleJobId });
  });

  r.get('/metrics', { config: { access: { kind: 'global-admin' } }, schema: { tags: ['operations'], summary: 'Prometheus metrics (text format)' } }, async (_, reply) => {
    reply.header('content-type', services.metrics.registry.contentType);
    return services.metrics.registry.metrics();
  });
}
