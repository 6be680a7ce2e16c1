/**
 * API budgets counted per address before authentication, shared through Redis by every
 * API process, and failing open (with a log line) when Redis is away.
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { redisConnection } from '../../src/queue/queues.ts';
import { createTestContext, type TestContext } from '../support/context.ts';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
let redis: Redis;
const opened: TestContext[] = [];

beforeAll(() => {
  redis = redisConnection(REDIS_URL, 'producer');
});

afterAll(async () => {
  for (const t of opened) await t.close();
  redis.disconnect();
});

async function context(overrides: Parameters<typeof createTestContext>[0]): Promise<TestContext> {
  const t = await createTestContext(overrides);
  opened.push(t);
  return t;
}

describe('failed authentications', () => {
  it('have their own budget per address: once used up, even a good key is refused, without a key lookup', async () => {
    const t = await context({ authFailuresPerMinute: 3, rateLimitPerMinute: 1000 });
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) statuses.push((await t.app.inject({ url: '/v1/sectors', headers: t.auth(`sonde_guess-${i}`) })).statusCode);
    expect(statuses).toEqual([401, 401, 401]);
    const lookups = vi.spyOn(t.db.pool, 'query');
    const refused = await t.app.inject({ url: '/v1/sectors', headers: t.auth(`sonde_guess-4`) });
    expect(refused.statusCode).toBe(429);
    expect(refused.json().detail).toMatch(/too many failed authentications from this address/u);
    expect((await t.app.inject({ url: '/v1/sectors', headers: t.auth() })).statusCode).toBe(429);
    expect(lookups.mock.calls.filter(([sql]) => String(typeof sql === 'string' ? sql : (sql as { text?: string }).text).includes('api_keys'))).toHaveLength(0);
    lookups.mockRestore();
    // another address is not concerned
    expect((await t.app.inject({ url: '/v1/sectors', headers: t.auth(), remoteAddress: '203.0.113.9' })).statusCode).toBe(200);
  });
});

describe('behind a trusted proxy (SONDE_TRUST_PROXY)', () => {
  it('count per client address as the proxy saw it, not per proxy, and ignore what the client wrote', async () => {
    const t = await context({ authFailuresPerMinute: 2, rateLimitPerMinute: 1000, dashboard: { trustProxy: true } });
    const from = (chain: string) => ({ ...t.auth('sonde_guess'), 'x-forwarded-for': chain });
    // one client guesses twice, writing another address in front each time: the proxy appended the real one
    for (const spoofed of ['198.51.100.1', '198.51.100.2']) expect((await t.app.inject({ url: '/v1/sectors', headers: from(`${spoofed}, 203.0.113.7`) })).statusCode).toBe(401);
    expect((await t.app.inject({ url: '/v1/sectors', headers: { ...t.auth(), 'x-forwarded-for': '203.0.113.7' } })).statusCode).toBe(429);
    // another client behind the same proxy is not concerned
    expect((await t.app.inject({ url: '/v1/sectors', headers: { ...t.auth(), 'x-forwarded-for': '203.0.113.8' } })).statusCode).toBe(200);
  });
});

describe('counters in Redis', () => {
  it('are shared by two API processes', async () => {
    const prefix = `sonde-test-${randomBytes(4).toString('hex')}`;
    const first = await context({ redis, rateLimitPrefix: prefix, rateLimitPerMinute: 4 });
    const second = await context({ redis, rateLimitPrefix: prefix, rateLimitPerMinute: 4, adminKey: first.adminKey });
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) {
      statuses.push((await first.app.inject({ url: '/v1/sectors', headers: first.auth() })).statusCode);
      statuses.push((await second.app.inject({ url: '/v1/sectors', headers: first.auth() })).statusCode);
    }
    expect(statuses).toEqual([200, 200, 200, 200, 429, 429]);
    expect(await redis.keys(`${prefix}:rate-limit:*`)).not.toHaveLength(0);
  });

  it('fail open when Redis is unreachable: requests go through', async () => {
    const gone = redisConnection('redis://127.0.0.1:1', 'producer', { retryStrategy: () => null });
    gone.on('error', () => {});
    const t = await context({ redis: gone, rateLimitPerMinute: 1, authFailuresPerMinute: 1 });
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) statuses.push((await t.app.inject({ url: '/v1/sectors', headers: t.auth() })).statusCode);
    expect(statuses).toEqual([200, 200, 200]);
    gone.disconnect();
  });
});
