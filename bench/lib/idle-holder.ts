/**
 * A worker that holds IDLE watches and nothing else, started by `bench:ingest` as a process
 * of its own so that its resident memory is the watches' cost and nobody else's. It watches
 * every enabled mailbox of the database (`IdleWatcher`, as the worker role runs it); the
 * syncs it asks for are only counted (other workers would run them), so each IMAP
 * connection it opens is a watch.
 *
 * Environment: DATABASE_URL, REDIS_URL, IDLE_PREFIX (Redis keys), IDLE_SECRET_KEY (base64),
 * IDLE_EXPECT (watches to wait for). Prints one JSON line once they are all up, then waits
 * for `stop` on stdin, closes the watches and exits.
 */
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { createPool } from '../../src/db/pool.ts';
import { IdleWatcher } from '../../src/flow/idle-watch.ts';
import { createLogger } from '../../src/logger.ts';
import { setHostPolicy } from '../../src/mail/host-guard.ts';
import { redisWatchLeases } from '../../src/queue/idle-leases.ts';
import { createSecretBox } from '../../src/secrets.ts';

const env = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
};
const MB = 2 ** 20;
const expected = Number(env('IDLE_EXPECT'));

setHostPolicy({ allowPrivateHosts: true });
const pool = createPool(env('DATABASE_URL'), 4);
const redis = new Redis(env('REDIS_URL'), { maxRetriesPerRequest: null });
await pool.query('select 1');
await redis.ping();
// everything loaded and connected, no watch yet: the worker's floor
await sleep(1_000);
const rssNone = process.memoryUsage.rss();

let wakes = 0;
const watcher = new IdleWatcher({
  pool,
  secretBox: createSecretBox(Buffer.from(env('IDLE_SECRET_KEY'), 'base64')),
  leases: redisWatchLeases(redis, env('IDLE_PREFIX')),
  requestSync: async () => void (wakes += 1),
  logger: createLogger('silent'),
});
const startedAt = performance.now();
await watcher.refresh();
const watching = () => Object.values(watcher.status()).filter((s) => s.state === 'watching').length;
while (watching() < expected && performance.now() - startedAt < 120_000) await sleep(50);
const upMs = performance.now() - startedAt;
// the connections settle (IDLE sent, buffers grown) before memory is read
await sleep(3_000);
console.log(JSON.stringify({ watching: watching(), wakes, upMs: Math.round(upMs), rssNoneMb: rssNone / MB, rssMb: process.memoryUsage.rss() / MB }));

const lines = createInterface({ input: process.stdin });
for await (const line of lines) if (line.trim() === 'stop') break;
await watcher.close();
await pool.end();
redis.disconnect();
