import { AuthenticationFailure, createImapError } from 'imapflow/lib/errors.js';
import { describe, expect, it } from 'vitest';
import {
  MAX_CONNECTION_RETRY_MS,
  MAX_POLL_DELAY_MS,
  nextAttemptAt,
  backoffDelayMs,
  connectionHealthy,
  isPermanentImapError,
  nextPollDelayMs,
} from '../../src/audit/backoff.ts';

const half = () => 0.5;
const almostOne = () => 0.999_999;
const zero = () => 0;

describe('backoffDelayMs', () => {
  it('doubles the window with each failure', () => {
    const delays = [1, 2, 3, 4].map((attempt) => backoffDelayMs(attempt, { baseMs: 1000, maxMs: 60_000, random: half }));
    expect(delays).toEqual([500, 1000, 2000, 4000]);
  });

  it('spreads delays over the whole window (full jitter)', () => {
    expect(backoffDelayMs(3, { baseMs: 1000, maxMs: 60_000, random: zero })).toBe(0);
    expect(backoffDelayMs(3, { baseMs: 1000, maxMs: 60_000, random: almostOne })).toBe(3999);
  });

  it('never exceeds the cap, however many failures', () => {
    for (const attempt of [10, 100, 10_000, Number.POSITIVE_INFINITY]) {
      const delay = backoffDelayMs(attempt, { baseMs: 1000, maxMs: 60_000, random: almostOne });
      expect(delay, String(attempt)).toBeLessThan(60_000);
      expect(delay, String(attempt)).toBeGreaterThan(59_000);
    }
  });

  it('treats a missing or nonsensical attempt as the first', () => {
    for (const attempt of [0, -3, Number.NaN]) {
      expect(backoffDelayMs(attempt, { baseMs: 1000, random: half }), String(attempt)).toBe(500);
    }
  });

  it('has defaults: up to 1 s at first, never more than 5 min', () => {
    expect(backoffDelayMs(1, { random: almostOne })).toBe(999);
    expect(backoffDelayMs(50, { random: almostOne })).toBe(299_999);
  });
});

describe('nextPollDelayMs', () => {
  const interval = 60_000;

  it('is the poll interval while the mailbox works', () => {
    expect(nextPollDelayMs(0, interval, { random: almostOne })).toBe(interval);
  });

  it('is never shorter than the poll interval after a failure', () => {
    expect(nextPollDelayMs(1, interval, { random: zero })).toBe(interval);
    expect(nextPollDelayMs(5, interval, { random: zero })).toBe(interval);
  });

  it('grows with consecutive failures', () => {
    const delays = [1, 2, 3, 4].map((failures) => nextPollDelayMs(failures, interval, { random: half }));
    expect(delays).toEqual([90_000, 120_000, 180_000, 300_000]);
  });

  it('backs a failing mailbox off to an hour at most', () => {
    expect(MAX_POLL_DELAY_MS).toBe(3_600_000);
    expect(nextPollDelayMs(40, interval, { random: almostOne })).toBe(MAX_POLL_DELAY_MS);
    expect(nextPollDelayMs(40, interval, { random: almostOne, maxMs: 600_000 })).toBe(600_000);
  });

  it('keeps a poll interval longer than the cap', () => {
    expect(nextPollDelayMs(3, 2 * MAX_POLL_DELAY_MS, { random: almostOne })).toBe(2 * MAX_POLL_DELAY_MS);
  });
});

describe('nextAttemptAt', () => {
  const failedAt = new Date('2026-03-02T10:00:00Z');
  const interval = 60_000;
  const after = (at: Date) => at.getTime() - failedAt.getTime();

  it('is drawn once: the same failure always gives the same time, within [interval, interval + ceiling)', () => {
    let draws = 0;
    const random = () => (draws++, 0.25);
    const at = nextAttemptAt(failedAt, 3, interval, false, { random });
    expect(draws).toBe(1);
    // third failure: ceiling min(5 min, 60 s × 2²) = 240 s, a quarter of it
    expect(after(at)).toBe(interval + 60_000);
  });

  it('backs a connection fault off to five minutes at most', () => {
    expect(MAX_CONNECTION_RETRY_MS).toBe(300_000);
    expect(after(nextAttemptAt(failedAt, 40, interval, false, { random: almostOne }))).toBe(MAX_CONNECTION_RETRY_MS);
  });

  it('lets a refused login wait up to an hour', () => {
    expect(after(nextAttemptAt(failedAt, 40, interval, true, { random: almostOne }))).toBe(MAX_POLL_DELAY_MS);
    expect(after(nextAttemptAt(failedAt, 40, interval, false, { random: almostOne }))).toBeLessThan(after(nextAttemptAt(failedAt, 40, interval, true, { random: almostOne })));
  });

  it('never comes sooner than the poll interval', () => {
    expect(after(nextAttemptAt(failedAt, 1, interval, false, { random: zero }))).toBe(interval);
  });
});

describe('connectionHealthy', () => {
  const connectedAt = new Date('2025-03-24T10:00:00Z');

  it('is healthy once the connection has lived long enough', () => {
    expect(connectionHealthy(connectedAt, new Date('2025-03-24T10:01:00Z'), 60_000)).toBe(true);
  });

  it('is not healthy when dropped soon after the login, nor when never connected', () => {
    expect(connectionHealthy(connectedAt, new Date('2025-03-24T10:00:05Z'), 60_000)).toBe(false);
    expect(connectionHealthy(null, new Date('2025-03-24T10:01:00Z'), 60_000)).toBe(false);
  });
});

describe('isPermanentImapError', () => {
  /** What imapflow's LOGIN throws when the server answers `NO [CODE] text`. */
  const refusedLogin = (code: string | undefined, text: string) => {
    const err = new AuthenticationFailure('Command failed');
    err.serverResponseCode = code;
    err.response = `NO ${code ? `[${code}] ` : ''}${text}`;
    return err;
  };

  it('is permanent when the server refuses the credential', () => {
    expect(isPermanentImapError(refusedLogin('AUTHENTICATIONFAILED', 'Authentication failed.'))).toBe(true);
    expect(isPermanentImapError(refusedLogin(undefined, 'LOGIN failed.'))).toBe(true);
  });

  it('is permanent for other verdicts on the account or the settings', () => {
    for (const code of ['AUTHORIZATIONFAILED', 'EXPIRED', 'PRIVACYREQUIRED']) {
      expect(isPermanentImapError({ serverResponseCode: code }), code).toBe(true);
    }
  });

  it('reads the code from the response text when no field carries it', () => {
    expect(isPermanentImapError({ responseText: '[AUTHENTICATIONFAILED] Invalid credentials' })).toBe(true);
  });

  it('stays retryable when the server could not judge the login', () => {
    expect(isPermanentImapError(refusedLogin('UNAVAILABLE', 'Temporary authentication failure.'))).toBe(false);
    expect(isPermanentImapError(refusedLogin('SERVERBUG', 'Internal error occurred.'))).toBe(false);
  });

  it('stays retryable for connection failures and timeouts', () => {
    expect(isPermanentImapError(createImapError('Connection not available', 'NoConnection'))).toBe(false);
    expect(isPermanentImapError(createImapError('Socket timeout', 'ETIMEOUT'))).toBe(false);
    expect(isPermanentImapError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }))).toBe(false);
  });

  it('is not fooled by things that are not errors', () => {
    for (const value of [null, undefined, 'AUTHENTICATIONFAILED', 42]) {
      expect(isPermanentImapError(value), String(value)).toBe(false);
    }
  });
});
