/**
 * A Redis blip (a private redis-server stopped for 2.5 s): an enqueue of the worker and
 * scheduler roles (`enqueuer` connection) waits and completes once Redis is back; the API's
 * producer fails fast and `/health` answers 503 at once meanwhile; the outage is logged through
 * pino, once when it goes down and once when it is back, and nothing reaches stderr.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { inject } from 'vitest';
import type { Redis } from 'ioredis';
import { buildApp, type App } from '../../src/api/app.ts';
import { createLogger } from '../../src/logger.ts';
import { closeQueues, createQueues, redisConnection, requestSync, type Queues } from '../../src/queue/queues.ts';
import { createSecretBox } from '../../src/secrets.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { startRedis, type RedisServer } from '../support/drill-servers.ts';

const lines: Array<Record<string, unknown>> = [];
const logger = createLogger(
  'info',
  new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  }),
);
const stderr: string[] = [];
let redis: RedisServer;
let db: TestDatabase;
let enqueuer: Redis;
let producer: Redis;
let jobQueues: Queues;
let apiQueues: Queues;
let app: App;
const prefix = `sonde-test-${randomBytes(5).toString('hex')}`;

beforeAll(async () => {
  redis = await startRedis();
  db = await createTestDatabase(inject('databaseTemplate'));
  enqueuer = redisConnection(redis.url, 'enqueuer', {}, logger);
  producer = redisConnection(redis.url, 'producer', {}, logger);
  jobQueues = createQueues(enqueuer, prefix);
  apiQueues = createQueues(producer, prefix);
  await Promise.all([jobQueues['poll-mailbox'].waitUntilReady(), apiQueues['poll-mailbox'].waitUntilReady()]);
  app = await buildApp({ pool: db.pool, redis: producer, secretBox: createSecretBox(randomBytes(32)), logger: createLogger('silent'), adminKey: null });
  await app.ready();
  // what ioredis prints for an error nobody listens to ("[ioredis] Unhandled error event")
  const capture = (text: unknown) => void stderr.push(String(text));
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => (capture(chunk), true));
  vi.spyOn(console, 'error').mockImplementation(capture);
});

afterAll(async () => {
  vi.restoreAllMocks();
  await app?.close();
  await Promise.all([jobQueues && closeQueues(jobQueues), apiQueues && closeQueues(apiQueues)]);
  enqueuer?.disconnect();
  producer?.disconnect();
  await redis?.destroy();
  await db?.drop();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('Redis stopped for 2.5 s', () => {
  it('delays a worker-side enqueue until Redis is back, while the API fails fast and the log says it once', async () => {
    await redis.kill();
    await sleep(300);
    const mailboxId = randomUUID();
    const askedAt = Date.now();
    let settledAt = 0;
    const enqueue = requestSync(jobQueues, mailboxId, 'schedule').finally(() => (settledAt = Date.now()));

    // the API's side: a refusal, fast
    const apiStartedAt = Date.now();
    await expect(requestSync(apiQueues, randomUUID())).rejects.toThrow();
    expect(Date.now() - apiStartedAt).toBeLessThan(2000);
    const healthStartedAt = Date.now();
    const health = await app.inject({ method: 'GET', url: '/health' });
    expect(health.statusCode).toBe(503);
    expect(health.json()).toMatchObject({ redis: 'down', postgres: 'up' });
    expect(Date.now() - healthStartedAt).toBeLessThan(3000);

    await sleep(Math.max(0, 2500 - (Date.now() - askedAt)));
    expect(settledAt).toBe(0);
    await redis.start();
    const { jobId } = await enqueue;
    expect(settledAt - askedAt).toBeGreaterThanOrEqual(2500);
    const job = await jobQueues['poll-mailbox'].getJob(jobId);
    expect(job?.data).toEqual({ mailboxId, trigger: 'schedule' });

    // the producer reconnects too; then each connection has said it went down, and came back, once
    await expect.poll(() => lines.filter((l) => l.msg === 'Redis is reachable again').length, { timeout: 10_000 }).toBe(2);
    const down = lines.filter((l) => l.msg === 'Redis is unreachable: work that needs it waits or fails until it is back');
    expect(down.map((l) => l.redis).sort()).toEqual(['enqueuer', 'producer']);
    expect(down[0]).toMatchObject({ level: 40, err: { code: expect.any(String) } });
    expect(stderr.join('')).not.toMatch(/ioredis|ECONNREFUSED/);
    console.log(`[redis-blip] enqueue delayed ${settledAt - askedAt} ms by a ${Date.now() - askedAt} ms test; API refusal in ${healthStartedAt - apiStartedAt} ms`);
  });
});
