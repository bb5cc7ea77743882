import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: {
    // Tests import workspace packages from their sources (the "source" export condition),
    // so a test never runs against a stale build. CLI end-to-end tests run the built binary.
    conditions: ['source'],
  },
  ssr: { resolve: { conditions: ['source'], externalConditions: ['source'] } },
  test: {
    // Workspace packages go through vite too, so the "source" condition applies to them as well.
    server: { deps: { inline: [/@guild\//, /packages\/(core|conflicts)\//] } },
    include: ['packages/*/src/**/*.test.ts', 'apps/*/src/**/*.test.ts', 'apps/*/test/**/*.test.ts', 'tools/*/src/**/*.test.ts'],
    // CI also writes a JSON report, from which .ci/run prints its "N passed, N failed" line.
    reporters: process.env.CI ? ['default', ['json', { outputFile: '.vitest-results.json' }]] : ['default'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
