import { z } from 'zod';

/** Per-request Self-RAG settings (the `selfRag` object of POST /query); every field has a default. */
export const SelfRagOptionsSchema = z
  .object({
    retrieveThreshold: z.number().min(0).max(1).default(0.2).describe('δ: retrieve when p(Retrieval)/(p(Retrieval)+p(No Retrieval)) exceeds it'),
    weights: z
      .object({ rel: z.number().min(0).max(10).default(1), sup: z.number().min(0).max(10).default(1), use: z.number().min(0).max(10).default(0.5) })
      .default({ rel: 1, sup: 1, use: 0.5 })
      .describe('w_rel, w_sup, w_use of the critique total'),
    likelihoodWeight: z
      .number()
      .min(0)
      .max(10)
      .optional()
      .describe("w_gen: a segment's score is w_gen·(the generator's likelihood of it) + its critique total (default: the critic's, else 1)"),
    beamWidth: z.number().int().min(1).max(8).default(2),
    maxDepth: z.number().int().min(1).max(6).default(3).describe('segments at most in the answer'),
    dropNoSupport: z.boolean().default(false).describe('leave out segments whose most probable IsSUP token is [No support / Contradictory]'),
    relevanceFloor: z.number().min(0).max(1).optional().describe("abstain unless some candidate has s_rel at least this… (default: the critic's floors, else 0.5)"),
    supportFloor: z.number().min(0).max(1).optional().describe("…and s_sup at least this (default: the critic's floors, else 0.4)"),
  })
  .strict();

export type SelfRagOptions = z.infer<typeof SelfRagOptionsSchema>;

/** w_gen for a critic that carries none: the paper adds the generator's probability unweighted. */
export const FALLBACK_LIKELIHOOD_WEIGHT = 1;

/** Floors for a critic that carries none (the LM critic): relevant more likely than not, and support at least partial on average. */
export const FALLBACK_FLOORS = { relevance: 0.5, support: 0.4 } as const;
