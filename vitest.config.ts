import { defineConfig } from 'vitest/config';

// Files that load the JVM through java-bridge need their own process (one JVM per process, for life):
// every test file runs in a forked child, one at a time, which also keeps the 2-core machine calm
// while a Kafka broker and a Spark job run beside the tests.
export default defineConfig({
  test: {
    pool: 'forks',
    fileParallelism: false,
    include: ['src/**/*.test.ts', 'tests/**/*.test.ts'],
    globalSetup: ['tests/setup/global.ts'],
    testTimeout: 60_000,
    hookTimeout: 240_000,
    reporters: ['default'],
  },
});
