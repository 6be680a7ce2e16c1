import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { migrate } from '../../src/db/migrate.ts';
import { createTestContext, type TestContext } from '../support/context.ts';
import { createTestDatabase } from '../support/database.ts';

describe('migrations', () => {
  it('apply on an empty database, then a second time without error or change', async () => {
    const db = await createTestDatabase('template0');
    try {
      const applied = await migrate(db.url);
      expect(applied[0]).toBe('0001_schema-v1');
      expect(await migrate(db.url)).toEqual([]);
      const { rows } = await db.pool.query<{ name: string }>('select name from pgmigrations order by id');
      expect(rows.map((r) => r.name)).toContain('0001_schema-v1');
    } finally {
      await db.drop();
    }
  });

  it('keep every time as timestamptz', async () => {
    const db = await createTestDatabase(inject('databaseTemplate'));
    try {
      const { rows } = await db.pool.query(
        `select table_name, column_name from information_schema.columns
          where table_schema = 'public' and table_name <> 'pgmigrations' and data_type in ('timestamp without time zone', 'date', 'time without time zone')`,
      );
      expect(rows).toEqual([]);
    } finally {
      await db.drop();
    }
  });
});

describe('health', () => {
  let t: TestContext;
  let redis: Redis;
  let deadRedis: Redis;
  beforeAll(async () => {
    redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', { maxRetriesPerRequest: 1 });
    deadRedis = new Redis('redis://127.0.0.1:1', { maxRetriesPerRequest: 0, lazyConnect: true, retryStrategy: () => null, enableOfflineQueue: false });
    deadRedis.on('error', () => {});
    t = await createTestContext({ redis });
  });
  afterAll(async () => {
    await t?.close();
    redis.disconnect();
    deadRedis.disconnect();
  });

  it('reports PostgreSQL and Redis reachable, without a key', async () => {
    const res = await t.app.inject({ url: '/health' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'ok', postgres: 'up', redis: 'up' });
  });

  it('answers 503 and names the part that is down', async () => {
    const down = await createTestContext({ redis: deadRedis });
    try {
      const res = await down.app.inject({ url: '/health' });
      expect(res.statusCode).toBe(503);
      expect(res.json()).toEqual({ status: 'degraded', postgres: 'up', redis: 'down' });
    } finally {
      await down.close();
    }
  });

  it('serves the OpenAPI document with the resources of API.md', async () => {
    const res = await t.app.inject({ url: '/docs/json' });
    expect(res.statusCode).toBe(200);
    const paths = Object.keys(res.json().paths);
    for (const path of ['/v1/sectors', '/v1/brands/{id}', '/v1/mailboxes/{id}/sync', '/v1/scenarios', '/v1/campaigns/{id}', '/v1/keys']) {
      expect(paths).toContain(path);
    }
    const schemas = Object.values(res.json().components.schemas).map((schema) => JSON.stringify(schema));
    const mailboxResponse = schemas.find((schema) => schema.includes('syncState'));
    expect(mailboxResponse).toBeDefined();
    // no password property anywhere in the response (`auth.type` may be the word "password": the kind of login, not the secret)
    expect(mailboxResponse).not.toMatch(/"password"\s*:\s*\{|"(clientSecret|refreshToken|sealed\w*)"/i);
  });
});
