/**
 * The API's pool exhausted (every connection held, as by long holders) or PostgreSQL refusing
 * connections: a request answers 503 with `Retry-After` and a plain message within about the
 * acquire timeout, instead of waiting for a connection for ever.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { buildApp, type App } from '../../src/api/app.ts';
import { createPool, type Pool, type PoolClient } from '../../src/db/pool.ts';
import { createLogger } from '../../src/logger.ts';
import { createSecretBox } from '../../src/secrets.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';

const ACQUIRE_TIMEOUT_MS = 400;
const adminKey = `test-admin-${randomBytes(16).toString('hex')}`;
const auth = { authorization: `Bearer ${adminKey}` };
let db: TestDatabase;
let pool: Pool;
let app: App;

const appOn = (p: Pool) => buildApp({ pool: p, redis: null, secretBox: createSecretBox(randomBytes(32)), logger: createLogger('silent'), adminKey });

beforeAll(async () => {
  db = await createTestDatabase(inject('databaseTemplate'));
  pool = createPool(db.url, 2, undefined, ACQUIRE_TIMEOUT_MS);
  app = await appOn(pool);
  await app.ready();
});

afterAll(async () => {
  await app.close();
  await pool.end();
  await db.drop();
});

describe('the API with no connection to be had', () => {
  it('answers 503 with Retry-After within about the acquire timeout while its pool is exhausted, then serves again', async () => {
    const held: PoolClient[] = [await pool.connect(), await pool.connect()];
    try {
      const startedAt = Date.now();
      const res = await app.inject({ method: 'GET', url: '/v1/brands', headers: auth });
      const elapsed = Date.now() - startedAt;
      expect(res.statusCode).toBe(503);
      expect(res.headers['retry-after']).toBe('5');
      expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
      expect(res.json()).toMatchObject({ status: 503, title: 'Service Unavailable', detail: expect.stringMatching(/database is busy or out of reach.*try again/) });
      expect(elapsed).toBeGreaterThanOrEqual(ACQUIRE_TIMEOUT_MS - 50);
      expect(elapsed).toBeLessThan(ACQUIRE_TIMEOUT_MS + 1500);
      const health = await app.inject({ method: 'GET', url: '/health' });
      expect(health.statusCode).toBe(503);
      expect(health.json()).toMatchObject({ postgres: 'down' });
    } finally {
      for (const client of held) client.release();
    }
    const after = await app.inject({ method: 'GET', url: '/v1/brands', headers: auth });
    expect(after.statusCode).toBe(200);
  });

  it('answers 503 when PostgreSQL refuses the connection', async () => {
    const refused = createPool('postgres://postgres@127.0.0.1:1/nowhere', 2, undefined, ACQUIRE_TIMEOUT_MS);
    const other = await appOn(refused);
    try {
      const res = await other.inject({ method: 'GET', url: '/v1/brands', headers: auth });
      expect(res.statusCode).toBe(503);
      expect(res.headers['retry-after']).toBe('5');
      expect(res.json().detail).toMatch(/try again/);
    } finally {
      await other.close();
      await refused.end();
    }
  });
});
