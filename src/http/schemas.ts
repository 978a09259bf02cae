import { z } from 'zod';

/** Schemas shared by several routes (and the OpenAPI document). */
export const ErrorResponse = z.object({
  error: z.string().describe('machine-readable code'),
  message: z.string().describe('what was wrong and what is accepted'),
  requestId: z.string(),
  details: z.unknown().optional(),
});

export const WorkspaceParams = z.object({ ws: z.string().describe('workspace name') });

export const DocumentRecordSchema = z.object({
  id: z.string(),
  title: z.string().nullable(),
  source: z.string().nullable(),
  mime: z.string(),
  contentHash: z.string(),
  metadata: z.record(z.string(), z.unknown()),
  charCount: z.number(),
  chunkCount: z.number(),
  createdAt: z.string(),
  updatedAt: z.string(),
});

export const ChunkSchema = z.object({
  id: z.number(),
  docId: z.string(),
  ordinal: z.number(),
  text: z.string(),
  start: z.number(),
  end: z.number(),
  page: z.number().nullable(),
  tokenCount: z.number(),
});

export const IngestResultSchema = z.object({
  id: z.string(),
  status: z.enum(['created', 'replaced', 'unchanged']),
  chunks: z.number(),
  truncatedChunks: z.number(),
});

export const JobSchema = z.object({
  id: z.string(),
  kind: z.string(),
  workspace: z.string(),
  state: z.enum(['queued', 'running', 'succeeded', 'failed', 'cancelled']),
  progress: z.object({
    filesTotal: z.number(),
    filesDone: z.number(),
    documents: z.number(),
    unchanged: z.number(),
    chunks: z.number(),
    errors: z.array(z.object({ file: z.string(), error: z.string() })),
    graph: z.object({ phase: z.string(), chunksTotal: z.number(), chunksExtracted: z.number(), chunksNew: z.number(), reportsWritten: z.number(), reportsReused: z.number() }).optional(),
  }),
  error: z.string().nullable(),
  createdAt: z.string(),
  startedAt: z.string().nullable(),
  finishedAt: z.string().nullable(),
});

export const errors = { 400: ErrorResponse, 404: ErrorResponse, 409: ErrorResponse, 413: ErrorResponse, 415: ErrorResponse, 429: ErrorResponse, 500: ErrorResponse, 503: ErrorResponse };
