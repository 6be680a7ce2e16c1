/**
 * Redis keys of the IDLE watch, shared by every worker process:
 * - a lease per mailbox (`acquireLock`: SET NX PX, renewed, released by its owner), so a
 *   mailbox is watched by one process at a time however many workers run;
 * - an "up" mark per mailbox, set with a short expiry while its watch is in IDLE and renewed,
 *   which the poll job reads to space out the scheduled polls of watched mailboxes. A watcher
 *   that dies leaves a mark that expires on its own: the polls resume at their interval.
 */
import type { Redis } from 'ioredis';
import type { WatchLeases } from '../flow/idle-watch.ts';
import { acquireLock } from './mailbox-lock.ts';

/** How long a lease or an up mark lives without renewal. */
const LEASE_MS = 60_000;
export const WATCH_UP_MS = 60_000;

const leaseKey = (prefix: string, mailboxId: string) => `${prefix}:lease:idle-watch:${mailboxId}`;
const upKey = (prefix: string, mailboxId: string) => `${prefix}:idle-watch:up:${mailboxId}`;

export function redisWatchLeases(redis: Redis, prefix: string): WatchLeases {
  return {
    acquire: (mailboxId) => acquireLock(redis, leaseKey(prefix, mailboxId), LEASE_MS),
    async markUp(mailboxId) {
      await redis.set(upKey(prefix, mailboxId), '1', 'PX', WATCH_UP_MS);
    },
    async markDown(mailboxId) {
      await redis.del(upKey(prefix, mailboxId));
    },
  };
}

/** Whether some worker holds the mailbox's watch in IDLE right now. */
export async function isWatchUp(redis: Redis, prefix: string, mailboxId: string): Promise<boolean> {
  return (await redis.exists(upKey(prefix, mailboxId))) === 1;
}
