import { defineConfig } from 'vitest/config';

// Three projects: pure unit tests need nothing; integration tests get real PostgreSQL,
// Redis and a Dovecot of their own from the global setup; fault drills (`npm run drill`)
// start the service in child processes against servers of their own, and break them.
export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 120_000,
    pool: 'forks',
    projects: [
      { extends: true, test: { name: 'unit', include: ['test/unit/**/*.test.ts'] } },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          globalSetup: ['test/support/database-setup.ts', 'test/support/global-setup.ts'],
          setupFiles: ['test/support/allow-private-hosts.ts'],
        },
      },
      { extends: true, test: { name: 'drills', include: ['test/drills/**/*.test.ts'], testTimeout: 300_000, hookTimeout: 180_000 } },
    ],
  },
});
