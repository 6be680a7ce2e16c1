/**
 * At most one sync of a mailbox at a time, whatever the number of worker processes
 * and machines: a Redis lock (SET NX PX) held by a random token, renewed while the
 * sync runs, released only by its owner. A crashed holder's lock expires on its own.
 */
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';

const RELEASE = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;
const RENEW = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end`;

export interface HeldLock {
  release(): Promise<void>;
  /** False once the lock was lost (expired and taken by another): the holder must stop writing. */
  readonly held: boolean;
}

export async function acquireLock(redis: Redis, key: string, ttlMs = 60_000): Promise<HeldLock | null> {
  const token = randomBytes(16).toString('hex');
  const ok = await redis.set(key, token, 'PX', ttlMs, 'NX');
  if (ok !== 'OK') return null;
  let lost = false;
  // Only a renewal that Redis confirmed extends the lease: while Redis cannot be reached
  // the lock is counted as lost once its last confirmed lease runs out (with a margin).
  let leaseUntil = Date.now() + ttlMs;
  const timer = setInterval(() => {
    const askedAt = Date.now();
    redis
      .eval(RENEW, 1, key, token, String(ttlMs))
      .then((renewed) => {
        if (renewed === 1) leaseUntil = askedAt + ttlMs;
        else lost = true;
      })
      .catch(() => {});
  }, Math.floor(ttlMs / 3));
  timer.unref();
  return {
    get held() {
      return !lost && Date.now() < leaseUntil - Math.floor(ttlMs / 6);
    },
    async release() {
      clearInterval(timer);
      lost = true;
      await redis.eval(RELEASE, 1, key, token).catch(() => {});
    },
  };
}
