import { randomInt } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { errors } from '../schemas.js';
import { clientGone } from '../sse.js';

const GenerateBody = z.object({
  model: z.string().min(1).describe('a model name from GET /v1/sequence/models, e.g. char-lstm or char-gru'),
  prompt: z.string().min(1).max(4000),
  maxTokens: z.number().int().min(1).max(2000).default(200).describe('characters to generate'),
  temperature: z.number().min(0).max(2).default(0.8).describe('0 is greedy'),
  topK: z.number().int().min(0).max(1000).default(0).describe('sample among the k most likely characters; 0 for all'),
  seed: z.number().int().min(0).max(2 ** 31 - 1).optional().describe('the same seed, prompt and settings give the same text; a random one is chosen (and returned) when absent'),
});

const ModelInfo = z.object({ name: z.string(), cell: z.string(), hidden: z.number(), vocabularySize: z.number(), trainedOn: z.array(z.string()), metrics: z.record(z.string(), z.unknown()).optional() });

export async function sequenceRoutes(app: FastifyInstance): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const { sequence } = app.services;

  r.get(
    '/v1/sequence/models',
    { schema: { tags: ['sequence'], summary: 'The character-level LSTM / GRU language models trained here', response: { 200: z.object({ models: z.array(ModelInfo) }) } } },
    async () => ({ models: sequence.models().map((m) => ({ name: m.name, cell: m.cell, hidden: m.hidden, vocabularySize: m.vocab.length, trainedOn: m.trainedOn, metrics: m.metrics })) }),
  );

  r.post(
    '/v1/sequence/generate',
    {
      schema: {
        tags: ['sequence'],
        summary: 'Continue a prompt, character by character, with a trained LSTM or GRU',
        body: GenerateBody,
        response: { 200: z.object({ model: z.string(), text: z.string(), tokens: z.number(), seed: z.number(), unknownPromptChars: z.number() }), ...errors },
      },
    },
    async (request, reply) => {
      const body = request.body;
      return sequence.generate({ ...body, seed: body.seed ?? randomInt(2 ** 31 - 1) }, { signal: clientGone(reply), priority: 'interactive' });
    },
  );
}
