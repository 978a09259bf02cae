import type { ApiKeyStore } from './auth/api-key-store.js';
import type { AudioService } from './audio/audio-service.js';
import type { Config } from './config/config.js';
import type { CpuRunner } from './cpu/cpu-runner.js';
import type { Logger } from './core/logger.js';
import type { Embedder } from './embedding/embedder.js';
import type { Ingestor } from './ingestion/ingestor.js';
import type { JobRegistry } from './jobs/jobs.js';
import type { Generator } from './llm/generator.js';
import type { GraphService } from './graph/graph-service.js';
import type { Metrics } from './http/metrics.js';
import type { ModeRegistry } from './rag/mode.js';
import type { Retriever } from './rag/retriever.js';
import type { SequenceService } from './sequence/sequence-service.js';
import type { OnnxRuntime } from './runtime/onnx-runtime.js';
import type { Workspaces } from './store/workspaces.js';
import type { VisionService } from './vision/vision-service.js';

export type SampleIngestState = 'pending' | 'running' | 'done' | 'skipped' | 'failed';

/** Everything the routes use, built once by `buildApp` and hung on the fastify instance. */
export interface Services {
  config: Config;
  logger: Logger;
  runtime: OnnxRuntime;
  /** CPU-heavy ingestion and graph work, off the event loop. */
  cpu: CpuRunner;
  embedder: Embedder;
  workspaces: Workspaces;
  ingestor: Ingestor;
  retriever: Retriever;
  generator: Generator;
  modes: ModeRegistry;
  graph: GraphService;
  jobs: JobRegistry;
  metrics: Metrics;
  apiKeys: ApiKeyStore;
  /** Whether requests need an API key (AUTH, and for AUTH=auto the listening address). */
  authEnabled: boolean;
  vision: VisionService;
  readiness: { sampleIngest: SampleIngestState; sampleJobId: string | null };
  audio: AudioService;
  sequence: SequenceService;
}

declare module 'fastify' {
  interface FastifyInstance {
    services: Services;
  }
}
