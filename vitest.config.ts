import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/unit/**/*.test.ts', 'test/integration/**/*.test.ts'],
    environment: 'node',
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Two cores: real sshd/agents per file; keep the machine responsive.
    maxWorkers: 2,
    setupFiles: ['test/support/vitest-setup.ts'],
  },
});
