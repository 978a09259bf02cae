import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import { jsonSchemaTransform } from 'fastify-type-provider-zod';

/** The OpenAPI document (from the routes' zod schemas) and its UI at /docs. */
export async function registerOpenApi(app: FastifyInstance): Promise<void> {
  await app.register(swagger, {
    openapi: {
      info: { title: 'RAG service', description: 'RAG, Self-RAG and Graph-RAG over your documents, on ONNX models that run offline', version: '0.1.0' },
      tags: [
        { name: 'query', description: 'Ask questions' },
        { name: 'workspaces', description: 'Workspaces, documents and ingestion' },
        { name: 'jobs', description: 'Background jobs' },
        { name: 'operations', description: 'Health, readiness, metrics' },
        { name: 'audio', description: 'Voice activity and speech-to-text on uploaded recordings' },
        { name: 'sequence', description: 'Character-level LSTM and GRU language models trained here' },
      ],
    },
    transform: jsonSchemaTransform,
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
}
