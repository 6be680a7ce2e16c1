/**
 * The decisions of the IDLE watch, as pure functions over plain facts: when a watch that
 * went down is tried again, and whether a scheduled poll of a watched mailbox is needed.
 * The watcher (`src/flow/idle-watch.ts`) and the poll job own the timers and the I/O.
 */
import { backoffDelayMs, connectionHealthy, MAX_CONNECTION_RETRY_MS, nextPollDelayMs, MAX_POLL_DELAY_MS } from './backoff.ts';

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
  trigger: 'schedule' | 'api' | 'idle';
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
 * The wait before a watch is tried again after its `failures`-th failure in a row. A refused
 * login (`permanent`) waits as the poll would (the poll interval, growing to an hour), so
 * the account is never hammered; any other fault retries within seconds at first, growing
 * to five minutes.
 */
export function watchRetryDelayMs(failures: number, permanent: boolean, pollIntervalMs: number, random: () => number = Math.random): number {
  if (permanent) return nextPollDelayMs(Math.max(1, failures), pollIntervalMs, { maxMs: MAX_POLL_DELAY_MS, random });
  return Math.max(WATCH_RETRY_MIN_MS, backoffDelayMs(failures, { baseMs: WATCH_RETRY_BASE_MS, maxMs: MAX_CONNECTION_RETRY_MS, random }));
}
