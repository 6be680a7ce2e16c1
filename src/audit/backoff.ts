/**
 * How long to wait after an IMAP failure, and which failures are not worth retrying.
 * Pure delay math: callers own the timers and the failure counters.
 */

export interface BackoffOptions {
  /** Ceiling of the first delay. */
  baseMs?: number;
  /** No delay exceeds this. */
  maxMs?: number;
  /** Uniform in [0, 1); injectable so tests need no luck. */
  random?: () => number;
}

const DEFAULT_BASE_MS = 1_000;
const DEFAULT_MAX_MS = 5 * 60_000;
/** A mailbox whose login is refused is still tried at least this often, so fixed settings elsewhere are noticed. */
export const MAX_POLL_DELAY_MS = 60 * 60_000;
/**
 * A connection fault (server down, timeout, dropped socket) is retried at least this often:
 * a server that comes back is noticed within five minutes. A refused login may wait longer
 * (`MAX_POLL_DELAY_MS`), to spare the account.
 */
export const MAX_CONNECTION_RETRY_MS = 5 * 60_000;
/** Beyond 2^30 any sane base is past any sane cap: stop growing before the float overflows. */
const MAX_EXPONENT = 30;

/**
 * Exponential backoff with full jitter: uniform in [0, min(maxMs, baseMs × 2^(attempt−1))).
 * Full jitter spreads mailboxes that failed together (one server restarting) over the whole
 * window instead of bringing them back in step. `attempt` counts failures so far, from 1.
 */
export function backoffDelayMs(attempt: number, opts: BackoffOptions = {}): number {
  const { baseMs = DEFAULT_BASE_MS, maxMs = DEFAULT_MAX_MS, random = Math.random } = opts;
  const failures = Math.max(1, Math.floor(attempt) || 1);
  const exponent = Math.min(failures - 1, MAX_EXPONENT);
  const ceiling = Math.min(maxMs, baseMs * 2 ** exponent);
  return Math.floor(random() * ceiling);
}

/**
 * Delay before the next poll of a mailbox: the poll interval while it works, then growing
 * with each consecutive failure up to `maxMs` (an hour by default). Never shorter than the
 * poll interval, so failing never makes a mailbox polled more often.
 */
export function nextPollDelayMs(
  consecutiveFailures: number,
  pollIntervalMs: number,
  opts: Pick<BackoffOptions, 'maxMs' | 'random'> = {},
): number {
  const maxMs = Math.max(opts.maxMs ?? MAX_POLL_DELAY_MS, pollIntervalMs);
  if (!(consecutiveFailures > 0)) return pollIntervalMs;
  const extra = backoffDelayMs(consecutiveFailures, { ...opts, baseMs: pollIntervalMs, maxMs });
  return Math.min(maxMs, pollIntervalMs + extra);
}

/**
 * When a mailbox that has just failed for the `consecutiveFailures`-th time in a row may be
 * polled again: the delay is drawn once, at the failure, and kept (on the mailbox's sync
 * state), so that every later check, scheduled or asked through the API, reads the same
 * time. A delay drawn again at each check would let a failing mailbox through far sooner
 * than its backoff says. `permanent` (a refused login) backs off to an hour, any other
 * fault to five minutes.
 */
export function nextAttemptAt(
  failedAt: Date,
  consecutiveFailures: number,
  pollIntervalMs: number,
  permanent: boolean,
  opts: Pick<BackoffOptions, 'random'> = {},
): Date {
  const maxMs = permanent ? MAX_POLL_DELAY_MS : MAX_CONNECTION_RETRY_MS;
  return new Date(failedAt.getTime() + nextPollDelayMs(consecutiveFailures, pollIntervalMs, { ...opts, maxMs }));
}

/**
 * A connection counts as healthy, and resets the failure count, only once it has lived
 * `minLifeMs`: a server that accepts the login and drops the socket straight away must
 * keep backing off instead of causing a login storm.
 */
export function connectionHealthy(connectedAt: Date | null, now: Date, minLifeMs: number): boolean {
  return connectedAt !== null && now.getTime() - connectedAt.getTime() >= minLifeMs;
}

/**
 * RFC 5530 codes a server puts on a failed login when the fault is its own and passing
 * (a backend down, a limit hit): the credential was not judged, so a retry may succeed.
 */
const TRANSIENT_LOGIN_CODES = new Set(['UNAVAILABLE', 'SERVERBUG', 'INUSE', 'LIMIT']);

/** RFC 5530 codes that judge the credential or the settings: retrying cannot help. */
const PERMANENT_CODES = new Set(['AUTHENTICATIONFAILED', 'AUTHORIZATIONFAILED', 'EXPIRED', 'PRIVACYREQUIRED']);

const PERMANENT_CODE_IN_TEXT = /\[(AUTHENTICATIONFAILED|AUTHORIZATIONFAILED|EXPIRED|PRIVACYREQUIRED)\]/i;

/**
 * Whether an IMAP error is permanent until the mailbox settings change: a refused password
 * must stop the polling of that mailbox, never loop hot against the server (which may lock
 * the account). imapflow marks a refused LOGIN/AUTHENTICATE with `authenticationFailed`
 * and the response code in `serverResponseCode`; a login refused with a transient code
 * (`UNAVAILABLE`…) stays retryable. Network errors, timeouts and the rest are transient.
 */
export function isPermanentImapError(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const { authenticationFailed, serverResponseCode, response, responseText } = err as Record<string, unknown>;
  const code = typeof serverResponseCode === 'string' ? serverResponseCode.toUpperCase() : null;
  if (code !== null && TRANSIENT_LOGIN_CODES.has(code)) return false;
  if (authenticationFailed === true) return true;
  if (code !== null && PERMANENT_CODES.has(code)) return true;
  return [response, responseText].some((text) => typeof text === 'string' && PERMANENT_CODE_IN_TEXT.test(text));
}
