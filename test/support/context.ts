/**
 * What an integration test file needs: its own database (cloned from the run's
 * template), a fresh app to `inject` into, and an admin key.
 */
import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import { buildApp, type App, type AppDeps } from '../../src/api/app.ts';
import { createLogger } from '../../src/logger.ts';
import { createSecretBox, type SecretBox } from '../../src/secrets.ts';
import { createTestDatabase, type TestDatabase } from './database.ts';

export interface TestContext {
  db: TestDatabase;
  app: App;
  adminKey: string;
  secretKey: Buffer;
  secretBox: SecretBox;
  /** Authorization header for the admin key, or for another key. */
  auth(key?: string): { authorization: string };
  close(): Promise<void>;
}

export async function createTestContext(overrides: Partial<AppDeps> = {}): Promise<TestContext> {
  const db = await createTestDatabase(inject('databaseTemplate'));
  const adminKey = `test-admin-${randomBytes(16).toString('hex')}`;
  const secretKey = randomBytes(32);
  const secretBox = createSecretBox(secretKey);
  const app = await buildApp({
    pool: db.pool,
    redis: null,
    secretBox,
    logger: createLogger(process.env.TEST_LOG_LEVEL as 'info' | undefined ?? 'silent'),
    adminKey,
    ...overrides,
  });
  await app.ready();
  return {
    db,
    app,
    adminKey,
    secretKey,
    secretBox,
    auth: (key = adminKey) => ({ authorization: `Bearer ${key}` }),
    async close() {
      await app.close();
      await db.drop();
    },
  };
}
