import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'test/**/*.test.tsx'],
    environment: 'node',
    // every file's own state directory (test/helpers/state-home.ts)
    setupFiles: ['test/helpers/state-home.ts'],
    pool: 'forks',
    // e2e suites start real sshd and tmux servers: give them room on a loaded 2-core machine
    testTimeout: 60_000,
    hookTimeout: 120_000,
    fileParallelism: true,
    // a test that asserts nothing fails: it cannot pass by returning early
    expect: { requireAssertions: true },
    maxWorkers: 2,
    minWorkers: 1,
  },
});
