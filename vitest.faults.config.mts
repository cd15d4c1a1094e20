import { defineConfig } from 'vitest/config';

/** The fault-injection suite (`npm run test:faults`): slow, starts its own services, so apart from `npm test`. */
export default defineConfig({
  test: {
    include: ['test/faults/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 240_000,
    pool: 'forks',
  },
});
