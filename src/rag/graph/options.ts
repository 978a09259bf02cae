import { z } from 'zod';

/** Per-request settings of the graph modes (the `graph` object of POST /query); every field has a default. */
export const GraphOptionsSchema = z
  .object({
    level: z.number().int().min(0).max(10).optional().describe('graph-global: community level; default: the deepest level whose reports fit mapBudgetTokens'),
    batchTokens: z.number().int().min(100).max(100_000).default(2000).describe('graph-global: tokens of reports per map call'),
    mapBudgetTokens: z.number().int().min(100).max(1_000_000).default(16_000).describe('graph-global: tokens of reports the map stage may read in all'),
    reduceTokens: z.number().int().min(50).max(100_000).default(600).describe('graph-global: tokens of points the answer is made from'),
    seed: z.number().int().min(0).default(7).describe('graph-global: order in which reports are shuffled into batches'),
    entities: z.number().int().min(1).max(50).default(5).describe('graph-local: entities matched to the question'),
    neighbours: z.number().int().min(0).max(50).default(5).describe('graph-local: strongest neighbours added per matched entity'),
  })
  .strict();
