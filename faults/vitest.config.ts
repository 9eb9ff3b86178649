import { defineConfig } from 'vitest/config';
import { QUIET_TEST_ENV } from '../vitest.shared.js';

/** `npm run test:faults`: the fault-injection suite, one file, run in sequence against real services. */
export default defineConfig({
  test: {
    name: 'faults',
    include: ['faults/**/*.test.ts'],
    testTimeout: 300_000,
    hookTimeout: 300_000,
    fileParallelism: false,
    sequence: { concurrent: false },
    env: QUIET_TEST_ENV,
  },
});
