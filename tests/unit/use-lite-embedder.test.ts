import { afterAll } from 'vitest';
import { UseLiteEmbedder } from '../../src/embedding/use-lite/use-lite-embedder.js';
import { sharedModelCache, testRuntime } from '../support/runtime.js';
import { embedderContract } from './embedder-contract.js';

const runtime = testRuntime();
afterAll(() => runtime.close());

embedderContract('use-lite', () => UseLiteEmbedder.create(runtime, sharedModelCache(), { batchSize: 8 }), {
  related: ['Who was Scrooge’s business partner?', 'Jacob Marley had been Scrooge’s partner for many years.'],
  unrelated: 'The recipe needs two cups of flour and an egg.',
});
