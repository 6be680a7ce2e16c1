/**
 * The decisions of the IDLE watch, as pure functions over plain facts: when a watch that
 * went down is tried again, whether it may log in at all, and whether a scheduled poll of
 * a watched mailbox is needed.
 * The watcher (`src/flow/idle-watch.ts`) and the poll job own the timers and the I/O.
 */
import { backoffDelayMs, connectionHealthy, MAX_CONNECTION_RETRY_MS } from './backoff.ts';

/**
 * While a mailbox's watch is up, the scheduled poll runs at most this often (or at the
 * mailbox's own interval, when that is longer): the safety net for what IDLE cannot see
 * (the junk and extra folders, a notification the server never sent).
 */
export const WATCHED_POLL_MS = 5 * 60_000;
/** A watch connection that lived this long was healthy: its end starts the backoff afresh. */
export const WATCH_HEALTHY_AFTER_MS = 60_000;
/** The first retry of a watch that dropped waits up to this (full jitter), then doubles. */
const WATCH_RETRY_BASE_MS = 2_000;
/** Never sooner than this, whatever the jitter drew: no hot loop against a server. */
const WATCH_RETRY_MIN_MS = 1_000;

/**
 * Whether a scheduled poll can be skipped because the mailbox is watched: the watch is up
 * (IDLE on INBOX), the mailbox is not failing, and its last poll is recent enough
 * (`max(pollInterval, WATCHED_POLL_MS)`). Polls asked for by the API or the watch itself
 * always run.
 */
export function skipWatchedPoll(facts: {
  trigger: 'schedule' | 'api' | 'idle' | 'reminder';
  watchUp: boolean;
  consecutiveFailures: number;
  lastPolledAt: Date | null;
  pollIntervalMs: number;
  now: Date;
}): boolean {
  if (facts.trigger !== 'schedule' || !facts.watchUp || facts.consecutiveFailures > 0 || facts.lastPolledAt === null) return false;
  const every = Math.max(facts.pollIntervalMs, WATCHED_POLL_MS);
  // a scheduled poll lands on its tick: a margin of one interval keeps a run from being skipped by a hair
  return facts.now.getTime() - facts.lastPolledAt.getTime() < every - facts.pollIntervalMs / 2;
}

/**
 * How many failures in a row a watch has after its connection ended: none when it had lived
 * long enough to count as healthy (a server restart, a normal cut), one more otherwise (a
 * server that accepts the login and drops the socket keeps backing off).
 */
export function failuresAfterEnd(failuresBefore: number, connectedAt: Date | null, endedAt: Date): number {
  return connectionHealthy(connectedAt, endedAt, WATCH_HEALTHY_AFTER_MS) ? 1 : failuresBefore + 1;
}

/**
 * The wait before a watch whose connection failed or ended is opened again, after its
 * `failures`-th failure in a row: within seconds at first, growing to five minutes, never
 * at once.
 */
export function watchRetryDelayMs(failures: number, random: () => number = Math.random): number {
  return Math.max(WATCH_RETRY_MIN_MS, backoffDelayMs(failures, { baseMs: WATCH_RETRY_BASE_MS, maxMs: MAX_CONNECTION_RETRY_MS, random }));
}

/**
 * Whether the watch may log in: it follows the health of the mailbox's polls, so that a
 * refused login or a server down is retried by the poll alone, at the poll's backoff, and
 * the account sees no extra attempts. Not while the polls fail; and after the watch's own
 * login was refused (`refusedAt`), not before a poll has succeeded since.
 */
export function watchMayConnect(poll: { consecutiveFailures: number; lastPolledAt: Date | null }, refusedAt: Date | null): boolean {
  if (poll.consecutiveFailures > 0) return false;
  return refusedAt === null || (poll.lastPolledAt !== null && poll.lastPolledAt.getTime() > refusedAt.getTime());
}
