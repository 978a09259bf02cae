import { z } from 'zod';
import { ConfigError } from '../core/errors.js';
import { DEVICES } from '../runtime/devices.js';
import { POOLINGS } from '../embedding/hf-onnx/pooling.js';
import { FUSIONS } from '../rag/retriever.js';

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const bool = z.enum(['true', 'false', '1', '0', 'yes', 'no']).transform((v) => v === 'true' || v === '1' || v === 'yes');

/**
 * Every setting the service reads, from environment variables, with its default. The README's
 * configuration table lists the same names; `describeConfig()` prints it.
 */
const ConfigSchema = z.object({
  PORT: int(0, 65535).default(8080),
  HOST: z.string().min(1).default('127.0.0.1'),
  DATA_DIR: z.string().min(1).default('./data'),
  CORPORA_DIR: z.string().min(1).default('./corpora'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),

  DEVICE: z.enum(DEVICES).default('cpu'),
  ORT_INTRA_OP_THREADS: int(0, 256).default(0),
  ORT_INTER_OP_THREADS: int(0, 256).default(1),
  MODEL_CONCURRENCY: int(1, 64).default(2),
  INTERACTIVE_RESERVE_MS: int(0, 600_000).default(1000),
  MODEL_CACHE_DIR: z.string().min(1).default('./.cache/models'),
  /** Worker threads for parsing, chunking, entity extraction and community detection (0: on the event loop). */
  CPU_WORKERS: int(0, 64).default(2),

  EMBEDDER: z.enum(['use-lite', 'hf-onnx']).default('use-lite'),
  EMBEDDER_MODEL: z.string().default(''),
  EMBEDDER_POOLING: z.enum(POOLINGS).optional(),
  EMBED_BATCH_SIZE: int(1, 256).default(8),
  ALLOW_REMOTE_MODELS: bool.default(false),
  HF_ENDPOINT: z.string().url().default('https://huggingface.co'),
  HF_REVISION: z.string().min(1).default('main'),

  CHUNK_TOKENS: int(16, 4096).default(100),
  CHUNK_OVERLAP_TOKENS: int(0, 1024).default(20),
  HNSW_M: int(4, 128).default(16),
  HNSW_EF_CONSTRUCTION: int(16, 2000).default(100),
  HNSW_EF_SEARCH: int(8, 2000).default(192),
  DENSE_CANDIDATE_FACTOR: int(1, 50).default(4),
  HYBRID_FUSION: z.enum(FUSIONS).default('relative-score'),
  HYBRID_DENSE_WEIGHT: z.coerce.number().min(0).max(1).default(0.2),

  GENERATOR: z.enum(['extractive', 'openai']).default('extractive'),
  CRITIC: z.enum(['offline', 'lm']).default('offline'),
  GRAPH_EXTRACTOR: z.enum(['nlp', 'llm']).default('nlp'),
  GRAPH_MAX_COMMUNITY_SIZE: int(2, 100_000).default(25),
  GRAPH_MAX_LEVELS: int(1, 8).default(3),
  GRAPH_SEED: int(0, 2 ** 31 - 1).default(42),
  GRAPH_AUTO_UPDATE_MS: int(0, 3_600_000).default(5000),
  CRITIC_HEADS_DIR: z.string().min(1).default('./models/critic-heads'),
  CRITIC_MODEL: z.string().default(''),
  LLM_BASE_URL: z.string().url().optional(),
  LLM_MODEL: z.string().default(''),
  LLM_API_KEY: z.string().default(''),
  LLM_TIMEOUT_MS: int(100, 600_000).default(60_000),
  LLM_MAX_TOKENS: int(1, 32_768).default(512),
  LLM_TEMPERATURE: z.coerce.number().min(0).max(2).default(0),
  PROMPTS_DIR: z.string().min(1).default('./prompts'),

  SAMPLE_INGEST: bool.default(true),
  MAX_BODY_BYTES: int(1024, 1024 ** 3).default(25 * 1024 * 1024),
  MAX_FILE_BYTES: int(1024, 1024 ** 3).default(20 * 1024 * 1024),
  MAX_PDF_PAGES: int(1, 100_000).default(500),
  MAX_QUESTION_CHARS: int(16, 100_000).default(2000),
  MAX_K: int(1, 1000).default(50),
  MAX_UPLOAD_DOCUMENTS: int(1, 1_000_000).default(1000),
  JSON_TEXT_FIELD: z.string().min(1).default('text'),
  MODEL_TIMEOUT_MS: int(0, 3_600_000).default(60_000),

  // Access control and limits (see README "Security")
  AUTH: z.enum(['auto', 'on', 'off']).default('auto'),
  ADMIN_API_KEY: z.string().min(24, 'must be at least 24 characters').optional(),
  RATE_LIMIT_PER_MINUTE: int(0, 10_000_000).default(600),
  RATE_LIMIT_BURST: int(1, 1_000_000).default(60),
  MAX_JOBS_PER_WORKSPACE: int(1, 1000).default(2),

  // HTTP server timeouts and connections (see README "Limits and timeouts").
  // Headers must arrive within HEADERS_TIMEOUT_MS of a request's first byte, the whole request
  // (headers and body) within REQUEST_TIMEOUT_MS (0 = no limit), else 408 and the socket closes.
  HEADERS_TIMEOUT_MS: int(100, 600_000).default(30_000),
  REQUEST_TIMEOUT_MS: int(0, 3_600_000).default(120_000),
  // An idle keep-alive connection is closed after this long (above the 60 s of common load balancers).
  KEEP_ALIVE_TIMEOUT_MS: int(100, 600_000).default(72_000),
  // Open connections one client address may hold; more are closed at once (0 = no cap).
  MAX_CONNECTIONS_PER_CLIENT: int(0, 1_000_000).default(256),

  // Vision endpoints (/v1/vision/*, GET /v1/models)
  MAX_IMAGE_BYTES: int(1024, 1024 ** 3).default(10 * 1024 * 1024),
  MAX_IMAGE_PIXELS: int(1024, 1_000_000_000).default(25_000_000),
  VISION_MODELS_DIR: z.string().min(1).default('./models/vision'),
  OCR_MIN_CONFIDENCE: z.coerce.number().min(0).max(1).default(0.5),
  UPSCALE_MAX_PIXELS: int(1, 100_000_000).default(512 * 512),

  // Storage backend: embedded (SQLite + hnswlib under DATA_DIR) or postgres (PostgreSQL + pgvector at DATABASE_URL).
  STORE: z.enum(['embedded', 'postgres']).default('embedded'),
  DATABASE_URL: z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// URL').optional(),
  PG_POOL_MAX: int(1, 1000).default(10),

  // Audio and sequence models (VAD, Whisper speech-to-text, character-level LSTM/GRU)
  MAX_AUDIO_BYTES: int(1024, 1024 ** 3).default(20 * 1024 * 1024),
  MAX_AUDIO_SECONDS: int(1, 24 * 3600).default(600),
  VAD_MODEL: z.string().default(''),
  WHISPER_MODEL: z.string().default(''),
  WHISPER_MAX_TOKENS: int(1, 448).default(224),
  SEQUENCE_MODELS_DIR: z.string().min(1).default('./models/char-rnn'),
});

export type Config = Readonly<z.infer<typeof ConfigSchema>>;

const LOOPBACK = /^(localhost|127(?:\.\d{1,3}){3}|::1|::ffff:127(?:\.\d{1,3}){3})$/i;

/** AUTH=auto turns authentication on whenever the service listens beyond the loopback interface. */
export function authEnabled(config: Pick<Config, 'AUTH' | 'HOST'>): boolean {
  return config.AUTH === 'on' || (config.AUTH === 'auto' && !LOOPBACK.test(config.HOST));
}

/** Parses the environment once; every other module receives the frozen result. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const known = Object.fromEntries(Object.keys(ConfigSchema.shape).map((k) => [k, env[k] === '' ? undefined : env[k]]));
  const parsed = ConfigSchema.safeParse(known);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new ConfigError(`Invalid configuration: ${problems}`);
  }
  const config = parsed.data;
  if (config.EMBEDDER === 'hf-onnx' && !config.EMBEDDER_MODEL) {
    throw new ConfigError('EMBEDDER=hf-onnx needs EMBEDDER_MODEL: a local folder in Hugging Face layout, or a hub repository id with ALLOW_REMOTE_MODELS=true');
  }
  if (config.CRITIC === 'lm' && (!config.LLM_BASE_URL || !(config.CRITIC_MODEL || config.LLM_MODEL))) {
    throw new ConfigError('CRITIC=lm needs LLM_BASE_URL and CRITIC_MODEL (or LLM_MODEL): a server whose /completions returns log-probabilities of Self-RAG reflection tokens');
  }
  if (config.GRAPH_EXTRACTOR === 'llm' && (!config.LLM_BASE_URL || !config.LLM_MODEL)) {
    throw new ConfigError('GRAPH_EXTRACTOR=llm needs LLM_BASE_URL and LLM_MODEL (an OpenAI-compatible chat/completions server)');
  }
  if (config.GENERATOR === 'openai' && (!config.LLM_BASE_URL || !config.LLM_MODEL)) {
    throw new ConfigError('GENERATOR=openai needs LLM_BASE_URL (e.g. http://localhost:8000/v1) and LLM_MODEL');
  }
  if (config.STORE === 'postgres' && !config.DATABASE_URL) throw new ConfigError('STORE=postgres needs DATABASE_URL (e.g. postgres://rag:rag@localhost:5432/rag), a database with the pgvector extension available');
  if (config.REQUEST_TIMEOUT_MS > 0 && config.HEADERS_TIMEOUT_MS > config.REQUEST_TIMEOUT_MS) {
    throw new ConfigError(`HEADERS_TIMEOUT_MS (${config.HEADERS_TIMEOUT_MS}) must not exceed REQUEST_TIMEOUT_MS (${config.REQUEST_TIMEOUT_MS}): the headers are part of the request; raise REQUEST_TIMEOUT_MS or set it to 0 for no limit`);
  }
  if (config.CHUNK_OVERLAP_TOKENS >= config.CHUNK_TOKENS) throw new ConfigError('CHUNK_OVERLAP_TOKENS must be smaller than CHUNK_TOKENS');
  return Object.freeze(config);
}
