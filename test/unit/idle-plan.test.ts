import { describe, expect, it } from 'vitest';
import { MAX_CONNECTION_RETRY_MS, MAX_POLL_DELAY_MS } from '../../src/audit/backoff.ts';
import { failuresAfterEnd, skipWatchedPoll, watchRetryDelayMs, WATCHED_POLL_MS } from '../../src/audit/idle-plan.ts';

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
    expect(watchRetryDelayMs(1, false, 60_000, top)).toBeLessThanOrEqual(2_000);
    expect(watchRetryDelayMs(4, false, 60_000, top)).toBeGreaterThan(watchRetryDelayMs(2, false, 60_000, top));
    expect(watchRetryDelayMs(50, false, 60_000, top)).toBeLessThanOrEqual(MAX_CONNECTION_RETRY_MS);
    expect(watchRetryDelayMs(1, false, 60_000, () => 0)).toBeGreaterThanOrEqual(1_000);
  });

  it('waits for a refused login as the poll would: at least the interval, up to an hour', () => {
    expect(watchRetryDelayMs(1, true, 60_000, () => 0)).toBeGreaterThanOrEqual(60_000);
    expect(watchRetryDelayMs(30, true, 60_000, () => 0.999_999)).toBeLessThanOrEqual(MAX_POLL_DELAY_MS);
    expect(watchRetryDelayMs(30, true, 60_000, () => 0.999_999)).toBeGreaterThan(MAX_CONNECTION_RETRY_MS);
  });
});
