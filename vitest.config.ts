import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    testTimeout: 180_000,
    hookTimeout: 180_000,
    pool: 'forks',
    // Two cores: model-heavy files run one at a time so their timings and memory stay sane.
    maxWorkers: 2,
  },
});
