import { describe, expect, it } from 'vitest';
import { MAX_CONNECTION_RETRY_MS } from '../../src/audit/backoff.ts';
import { failuresAfterEnd, skipWatchedPoll, watchMayConnect, watchRetryDelayMs, WATCHED_POLL_MS } from '../../src/audit/idle-plan.ts';

const now = new Date('2026-03-02T08:00:00Z');
const ago = (ms: number) => new Date(now.getTime() - ms);
const watched = { trigger: 'schedule' as const, watchUp: true, consecutiveFailures: 0, pollIntervalMs: 60_000, now };

describe('skipWatchedPoll', () => {
  it('spaces the scheduled polls of a watched mailbox out to the safety net', () => {
    // ticks every minute after a poll: skipped while the last poll is recent, run once it is five minutes old
    const ticks = [1, 2, 3, 4, 5].map((minutes) => skipWatchedPoll({ ...watched, lastPolledAt: ago(minutes * 60_000) }));
    expect(ticks).toEqual([true, true, true, true, false]);
  });

  it('never polls less often than the mailbox interval when that is longer than the safety net', () => {
    const interval = 2 * WATCHED_POLL_MS;
    expect(skipWatchedPoll({ ...watched, pollIntervalMs: interval, lastPolledAt: ago(interval) })).toBe(false);
    expect(skipWatchedPoll({ ...watched, pollIntervalMs: interval, lastPolledAt: ago(interval / 4) })).toBe(true);
  });

  it('polls as before when the watch is down, the mailbox is failing, or it was never polled', () => {
    const recent = ago(60_000);
    expect(skipWatchedPoll({ ...watched, watchUp: false, lastPolledAt: recent })).toBe(false);
    expect(skipWatchedPoll({ ...watched, consecutiveFailures: 1, lastPolledAt: recent })).toBe(false);
    expect(skipWatchedPoll({ ...watched, lastPolledAt: null })).toBe(false);
  });

  it('always runs the polls asked for by the API or the watch', () => {
    expect(skipWatchedPoll({ ...watched, trigger: 'api', lastPolledAt: ago(1000) })).toBe(false);
    expect(skipWatchedPoll({ ...watched, trigger: 'idle', lastPolledAt: ago(1000) })).toBe(false);
  });
});

describe('watch backoff', () => {
  it('starts afresh after a connection that lived, counts on after one that dropped at once', () => {
    expect(failuresAfterEnd(5, ago(10 * 60_000), now)).toBe(1);
    expect(failuresAfterEnd(5, ago(2_000), now)).toBe(6);
    expect(failuresAfterEnd(0, null, now)).toBe(1);
  });

  it('retries a dropped connection within seconds at first, growing to five minutes, never at once', () => {
    const top = () => 0.999_999;
    expect(watchRetryDelayMs(1, top)).toBeLessThanOrEqual(2_000);
    expect(watchRetryDelayMs(4, top)).toBeGreaterThan(watchRetryDelayMs(2, top));
    expect(watchRetryDelayMs(50, top)).toBeLessThanOrEqual(MAX_CONNECTION_RETRY_MS);
    expect(watchRetryDelayMs(50, top)).toBeGreaterThan(MAX_CONNECTION_RETRY_MS / 2);
    expect(watchRetryDelayMs(1, () => 0)).toBeGreaterThanOrEqual(1_000);
  });
});

describe('watchMayConnect', () => {
  it('logs in while the polls succeed', () => {
    expect(watchMayConnect({ consecutiveFailures: 0, lastPolledAt: ago(60_000) }, null)).toBe(true);
    expect(watchMayConnect({ consecutiveFailures: 0, lastPolledAt: null }, null)).toBe(true);
  });

  it('leaves a failing mailbox to the poll and its backoff', () => {
    expect(watchMayConnect({ consecutiveFailures: 1, lastPolledAt: ago(1_000) }, null)).toBe(false);
  });

  it('after its own refused login, waits for a poll that succeeded since', () => {
    const refusedAt = ago(30_000);
    expect(watchMayConnect({ consecutiveFailures: 0, lastPolledAt: ago(60_000) }, refusedAt)).toBe(false);
    expect(watchMayConnect({ consecutiveFailures: 0, lastPolledAt: null }, refusedAt)).toBe(false);
    expect(watchMayConnect({ consecutiveFailures: 0, lastPolledAt: ago(10_000) }, refusedAt)).toBe(true);
  });
});
