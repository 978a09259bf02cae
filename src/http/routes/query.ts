import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AppError } from '../../core/errors.js';
import { RETRIEVERS } from '../../rag/retriever.js';
import { SelfRagOptionsSchema } from '../../rag/self-rag/options.js';
import { GraphOptionsSchema } from '../../rag/graph/options.js';
import { DEFAULT_WORKSPACE } from '../../store/workspaces.js';
import { errors, WorkspaceParams } from '../schemas.js';
import { clientGone, openSse } from '../sse.js';

const Usage = z.object({ llmCalls: z.number(), promptTokens: z.number(), completionTokens: z.number() });
const QueryResultSchema = z.object({
  answer: z.string(),
  citations: z.array(z.object({ docId: z.string(), chunkId: z.number(), title: z.string().nullable(), start: z.number(), end: z.number(), page: z.number().optional(), score: z.number() })),
  mode: z.string(),
  noAnswer: z.boolean(),
  retrieval: z.object({ retriever: z.enum(RETRIEVERS), k: z.number(), hits: z.array(z.object({ docId: z.string(), chunkId: z.number(), title: z.string().nullable(), score: z.number() })) }),
  timings: z.object({ retrieveMs: z.number(), generateMs: z.number() }),
  usage: Usage,
  selfRag: z
    .object({
      critic: z.string(),
      retrieve: z.object({ decision: z.boolean(), probability: z.number(), threshold: z.number(), distribution: z.record(z.string(), z.number()) }),
      abstained: z.boolean(),
      floors: z.object({ relevance: z.number(), support: z.number() }),
      likelihoodWeight: z.number(),
      candidates: z.array(
        z.object({
          depth: z.number(),
          citation: z.object({ docId: z.string(), chunkId: z.number(), title: z.string().nullable(), start: z.number(), end: z.number(), page: z.number().optional() }),
          segment: z.string(),
          isRel: z.record(z.string(), z.number()),
          isSup: z.record(z.string(), z.number()),
          isUse: z.record(z.string(), z.number()),
          scores: z.object({ rel: z.number(), sup: z.number(), use: z.number() }),
          score: z.number(),
          likelihood: z.number().nullable(),
          segmentScore: z.number(),
        }),
      ),
      path: z.array(z.number()),
      pathScore: z.number(),
    })
    .optional()
    .describe('mode self-rag: the retrieve decision, every judged candidate with its reflection-token distributions, critique total, likelihood and segment score, and the chosen path'),
  graph: z.record(z.string(), z.unknown()).optional().describe('graph modes: the community level, map calls and chosen points with their reports (global), or the matched entities and their reports (local)'),
});

export async function queryRoutes(app: FastifyInstance): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const { modes, workspaces, retriever, config, metrics } = app.services;
  const question = z.string().trim().min(1, 'must not be empty').max(config.MAX_QUESTION_CHARS, `must be at most ${config.MAX_QUESTION_CHARS} characters (MAX_QUESTION_CHARS)`);
  const k = z.number().int().min(1, 'must be at least 1').max(config.MAX_K, `must be at most ${config.MAX_K} (MAX_K)`);

  r.post(
    '/query',
    {
      config: { access: { kind: 'workspace', scope: 'read', from: { body: 'workspace' } } },
      schema: {
        tags: ['query'],
        summary: 'Answer a question from a workspace',
        description: `Modes: ${modes.names().join(', ')}. With stream=true the answer arrives as server-sent events: "delta" events with text, then one "result" event with the whole response (or an "error" event).`,
        body: z.object({
          question,
          workspace: z.string().default(DEFAULT_WORKSPACE),
          mode: z.string().default('rag'),
          k: k.default(5),
          retriever: z.enum(RETRIEVERS).default('hybrid'),
          stream: z.boolean().default(false),
          selfRag: SelfRagOptionsSchema.optional().describe('settings of mode self-rag'),
          graph: GraphOptionsSchema.optional().describe('settings of modes graph-global and graph-local'),
        }),
        response: { 200: QueryResultSchema, ...errors },
      },
    },
    async (request, reply) => {
      const { stream, ...query } = request.body;
      const mode = modes.get(query.mode); // unknown mode: 400 listing the modes, before anything starts
      await workspaces.get(query.workspace); // unknown workspace: 404
      const observe = (result: z.infer<typeof QueryResultSchema>) => {
        metrics.queryDuration.observe({ mode: result.mode, phase: 'retrieve' }, result.timings.retrieveMs / 1000);
        metrics.queryDuration.observe({ mode: result.mode, phase: 'generate' }, result.timings.generateMs / 1000);
        return result;
      };
      if (!stream) return observe(await mode.run(query, { signal: clientGone(reply) }));
      const sse = openSse(request, reply);
      try {
        sse.send('result', observe(await mode.run(query, { signal: sse.signal, onText: (text) => sse.send('delta', { text }) })));
      } catch (error) {
        const known = error instanceof AppError;
        if (!known) request.log.error({ err: error }, 'streamed query failed');
        sse.send('error', { error: known ? error.code : 'internal', message: known ? error.message : `internal error; quote request id ${request.id}` });
      } finally {
        sse.close();
      }
    },
  );

  r.post(
    '/v1/workspaces/:ws/search',
    {
      config: { access: { kind: 'workspace', scope: 'read', from: 'params' } },
      schema: {
        tags: ['query'],
        summary: 'Retrieve chunks without answering',
        params: WorkspaceParams,
        body: z.object({ query: question, k: k.default(10), retriever: z.enum(RETRIEVERS).default('hybrid') }),
        response: {
          200: z.object({
            hits: z.array(z.object({ docId: z.string(), chunkId: z.number(), title: z.string().nullable(), text: z.string(), start: z.number(), end: z.number(), page: z.number().nullable(), score: z.number() })),
            retriever: z.enum(RETRIEVERS),
            k: z.number(),
            tookMs: z.number(),
          }),
          ...errors,
        },
      },
    },
    async (request, reply) => {
      const ws = await workspaces.get(request.params.ws);
      const t0 = performance.now();
      const hits = await retriever.search(ws, request.body.query, request.body.k, request.body.retriever, clientGone(reply));
      return {
        hits: hits.map((h) => ({ docId: h.chunk.docId, chunkId: h.chunk.id, title: h.title, text: h.chunk.text, start: h.chunk.start, end: h.chunk.end, page: h.chunk.page, score: h.score })),
        retriever: request.body.retriever,
        k: request.body.k,
        tookMs: performance.now() - t0,
      };
    },
  );
}
