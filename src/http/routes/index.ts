import type { FastifyInstance } from 'fastify';
import { audioRoutes } from './audio.js';
import { sequenceRoutes } from './sequence.js';
import { documentRoutes } from './documents.js';
import { graphRoutes } from './graph.js';
import { ingestRoutes } from './ingest.js';
import { keyRoutes } from './keys.js';
import { operationRoutes } from './operations.js';
import { queryRoutes } from './query.js';
import { visionRoutes } from './vision.js';
import { workspaceRoutes } from './workspaces.js';

export async function registerRoutes(app: FastifyInstance): Promise<void> {
  await app.register(operationRoutes);
  await app.register(workspaceRoutes);
  await app.register(documentRoutes);
  await app.register(ingestRoutes);
  await app.register(queryRoutes);
  await app.register(graphRoutes);
  await app.register(keyRoutes);
  await app.register(visionRoutes);
  await app.register(audioRoutes);
  await app.register(sequenceRoutes);
}
