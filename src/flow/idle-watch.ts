/**
 * The IDLE watch of a worker: for each enabled mailbox whose lease this process holds, one
 * IMAP connection of its own sits in IDLE on INBOX (`watchInbox`), and new mail asks for a
 * sync through the queue (`requestSync`). The sync itself stays the poll job's, under its
 * per-mailbox lock: the watch only wakes it. A sync is also asked for after every
 * (re)connect, since mail may have arrived while the watch was down.
 *
 * - One process per mailbox: a lease per mailbox (`WatchLeases`), renewed; a lost lease
 *   closes the watch.
 * - Faults: a watch that ends is opened again after a backoff (`watchRetryDelayMs`), never
 *   in a hot loop. The watch follows the polls' health (`watchMayConnect`): while a
 *   mailbox's polls fail (a refused login, a server down), or after the watch's own login
 *   was refused, it stays down until a poll succeeds, so only the poll, at its backoff,
 *   tries the account.
 * - The mailbox list is read again every `refreshMs`: a mailbox disabled, deleted or with
 *   new settings (`updated_at`) has its watch closed, and opened again when still wanted.
 * - A server without IDLE is left to the polling; it is asked again every few hours.
 */
import { failuresAfterEnd, watchMayConnect, watchRetryDelayMs } from '../audit/idle-plan.ts';
import { isPermanentImapError } from '../audit/backoff.ts';
import { findPollState } from '../db/folders.repo.ts';
import { listEnabledMailboxes } from '../db/mailboxes.repo.ts';
import type { Pool } from '../db/pool.ts';
import { AccessTokenCache, OAuth2TokenError } from '../http/oauth2-token.ts';
import type { Logger } from '../logger.ts';
import { describeImapFailure } from '../mail/imap-client.ts';
import { watchInbox, type InboxWatch } from '../mail/imap-watch.ts';
import type { SecretBox } from '../secrets.ts';
import { openMailboxLogins } from './mailbox-logins.ts';
import { withLoginRetry } from './oauth2-logins.ts';

/** A lease on one mailbox's watch; `held` turns false once it is lost. */
export interface WatchLease {
  readonly held: boolean;
  release(): Promise<void>;
}

/** Where the watches of all processes meet (Redis in the worker: `queue/idle-leases.ts`). */
export interface WatchLeases {
  /** The mailbox's lease, or null when another process holds it. */
  acquire(mailboxId: string): Promise<WatchLease | null>;
  /** The watch is in IDLE (renewed while it stays so): scheduled polls may be spaced out. */
  markUp(mailboxId: string): Promise<void>;
  markDown(mailboxId: string): Promise<void>;
}

export interface IdleWatchDeps {
  pool: Pool;
  secretBox: SecretBox;
  leases: WatchLeases;
  /** Asks the queue for a sync of the mailbox (deduplicated there: a burst costs one sync). */
  requestSync(mailboxId: string): Promise<unknown>;
  logger: Logger;
  tokens?: AccessTokenCache;
  /** How often the mailbox list is read again. */
  refreshMs?: number;
  /** How often leases are checked and up marks renewed (below their expiry). */
  tickMs?: number;
  random?: () => number;
  /** Test hook: the IMAP side (`watchInbox` by default). */
  openWatch?: typeof watchInbox;
}

export type WatchState = 'connecting' | 'watching' | 'waiting' | 'unsupported';

export interface WatchStatus {
  state: WatchState;
  /** Connections opened with IDLE, this one included. */
  connects: number;
  failures: number;
}

interface Entry {
  mailboxId: string;
  updatedAt: number;
  pollIntervalMs: number;
  lease: WatchLease | null;
  state: WatchState;
  watch: InboxWatch | null;
  connectedAt: Date | null;
  connects: number;
  failures: number;
  timer: NodeJS.Timeout | null;
  /** For a server without IDLE: when to ask it again. */
  recheckAt: number;
  /** When the server last refused the watch's login; null once a poll succeeded since. */
  refusedAt: Date | null;
  /** The connect under way, awaited at close. */
  pending: Promise<void> | null;
  stopped: boolean;
}

const DEFAULT_REFRESH_MS = 60_000;
const DEFAULT_TICK_MS = 20_000;
/** A server without IDLE is asked again this often (it may have been upgraded). */
const UNSUPPORTED_RECHECK_MS = 6 * 60 * 60_000;
/** A watch kept down by failing polls looks at their state again this often (a query, no login). */
const POLL_HEALTH_CHECK_MS = 60_000;

export class IdleWatcher {
  private readonly entries = new Map<string, Entry>();
  private readonly tokens: AccessTokenCache;
  private readonly log: Logger;
  private readonly openWatch: typeof watchInbox;
  private refreshTimer: NodeJS.Timeout | null = null;
  private tickTimer: NodeJS.Timeout | null = null;
  private running: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(private readonly deps: IdleWatchDeps) {
    this.tokens = deps.tokens ?? new AccessTokenCache();
    this.log = deps.logger.child({ role: 'idle-watch' });
    this.openWatch = deps.openWatch ?? watchInbox;
  }

  /** Reads the mailboxes now and every `refreshMs`; renews the marks every `tickMs`. */
  start(): this {
    void this.refresh();
    // a pass still under way (Redis or PostgreSQL slow to answer) is not queued behind
    let refreshing: Promise<void> | null = null;
    let ticking: Promise<void> | null = null;
    this.refreshTimer = setInterval(() => {
      refreshing ??= this.refresh().finally(() => (refreshing = null));
    }, this.deps.refreshMs ?? DEFAULT_REFRESH_MS);
    this.refreshTimer.unref();
    this.tickTimer = setInterval(() => {
      ticking ??= this.tick()
        .catch((err: unknown) => this.log.warn({ err: { message: (err as Error).message } }, 'idle watch renewal failed'))
        .finally(() => (ticking = null));
    }, this.deps.tickMs ?? DEFAULT_TICK_MS);
    this.tickTimer.unref();
    return this;
  }

  /** One pass over the mailbox list (queued behind a pass still running); never throws. */
  refresh(): Promise<void> {
    this.running = this.running
      .then(() => this.refreshOnce())
      .catch((err: unknown) => this.log.warn({ err: { message: (err as Error).message } }, 'idle watch refresh failed'));
    return this.running;
  }

  /** Each watch of this process, by mailbox. */
  status(): Record<string, WatchStatus> {
    return Object.fromEntries([...this.entries.values()].map((e) => [e.mailboxId, { state: e.state, connects: e.connects, failures: e.failures }]));
  }

  /** Closes every watch and releases every lease. */
  async close(): Promise<void> {
    this.stopped = true;
    if (this.refreshTimer) clearInterval(this.refreshTimer);
    if (this.tickTimer) clearInterval(this.tickTimer);
    // a refresh waiting on Redis (down) must not hold the shutdown
    await bounded(this.running);
    const entries = [...this.entries.values()];
    await Promise.all(entries.map((entry) => this.stopEntry(entry)));
    // a connect under way sees its entry stopped and closes what it opened
    await bounded(Promise.all(entries.map((entry) => entry.pending)));
  }

  private async refreshOnce(): Promise<void> {
    if (this.stopped) return;
    const mailboxes = await listEnabledMailboxes(this.deps.pool);
    const wanted = new Map(mailboxes.map((m) => [m.id, m]));
    const now = Date.now();
    for (const entry of [...this.entries.values()]) {
      const mailbox = wanted.get(entry.mailboxId);
      const unsupportedExpired = entry.state === 'unsupported' && now >= entry.recheckAt;
      const leaseLost = entry.state !== 'unsupported' && !entry.lease?.held;
      if (!mailbox || mailbox.updatedAt.getTime() !== entry.updatedAt || unsupportedExpired || leaseLost) await this.stopEntry(entry);
    }
    for (const mailbox of mailboxes) {
      if (this.stopped) return;
      if (this.entries.has(mailbox.id)) continue;
      const lease = await this.deps.leases.acquire(mailbox.id);
      if (!lease) continue;
      const entry: Entry = {
        mailboxId: mailbox.id,
        updatedAt: mailbox.updatedAt.getTime(),
        pollIntervalMs: mailbox.pollIntervalSeconds * 1000,
        lease,
        state: 'connecting',
        watch: null,
        connectedAt: null,
        connects: 0,
        failures: 0,
        timer: null,
        recheckAt: 0,
        refusedAt: null,
        pending: null,
        stopped: false,
      };
      if (this.stopped) return void (await bounded(lease.release()));
      this.entries.set(mailbox.id, entry);
      this.connectNow(entry);
    }
  }

  private async tick(): Promise<void> {
    if (this.stopped) return;
    for (const entry of [...this.entries.values()]) {
      if (entry.stopped || entry.state === 'unsupported') continue;
      if (!entry.lease?.held) {
        this.log.warn({ mailboxId: entry.mailboxId }, 'idle watch lease lost; the watch is closed');
        await this.stopEntry(entry);
      } else if (entry.state === 'watching') {
        await this.deps.leases.markUp(entry.mailboxId).catch(() => {});
      }
    }
  }

  private connectNow(entry: Entry): void {
    const pending = this.connect(entry).finally(() => {
      if (entry.pending === pending) entry.pending = null;
    });
    entry.pending = pending;
  }

  private async connect(entry: Entry): Promise<void> {
    entry.timer = null;
    if (entry.stopped) return;
    const log = this.log.child({ mailboxId: entry.mailboxId });
    try {
      const state = await findPollState(this.deps.pool, entry.mailboxId);
      if (!state || !state.enabled) return void (await this.stopEntry(entry));
      // the polls are failing, or the watch's own login was refused: the poll alone tries the account
      if (!watchMayConnect(state, entry.refusedAt)) return this.retryIn(entry, Math.min(entry.pollIntervalMs, POLL_HEALTH_CHECK_MS));
      entry.refusedAt = null;
      entry.state = 'connecting';
      const opening = await withLoginRetry(
        async (fresh) => {
          const logins = await openMailboxLogins(this.deps.pool, this.deps.secretBox, entry.mailboxId, { tokens: this.tokens, fresh, imapOnly: true });
          if (!logins) throw new Error('the mailbox was deleted');
          return { login: logins.imap, oauth2: logins.oauth2.imap };
        },
        (login) => this.openWatch(login, () => this.newMail(entry), log),
      );
      if (opening.status === 'unsupported') {
        log.info('the IMAP server offers no IDLE: the mailbox is polled at its interval');
        entry.state = 'unsupported';
        entry.recheckAt = Date.now() + UNSUPPORTED_RECHECK_MS;
        await entry.lease?.release();
        entry.lease = null;
        return;
      }
      if (entry.stopped) return void (await opening.watch.close().catch(() => {}));
      entry.watch = opening.watch;
      entry.connectedAt = opening.watch.connectedAt;
      entry.connects += 1;
      entry.state = 'watching';
      void opening.watch.ended.then((err) => this.ended(entry, opening.watch, err)).catch((err: unknown) => this.log.error({ err }, 'idle watch reconnect failed'));
      await this.deps.leases.markUp(entry.mailboxId).catch(() => {});
      // mail that arrived while the watch was down is read now
      this.newMail(entry);
    } catch (err) {
      entry.failures += 1;
      const permanent = err instanceof OAuth2TokenError ? err.permanent : isPermanentImapError(err);
      if (permanent) entry.refusedAt = new Date();
      const delay = permanent ? Math.min(entry.pollIntervalMs, POLL_HEALTH_CHECK_MS) : watchRetryDelayMs(entry.failures, this.deps.random);
      const raw = err as { message?: string; code?: string };
      log.warn({ err: { message: describeImapFailure(err), cause: raw?.message, code: raw?.code, permanent }, retryInMs: delay }, 'idle watch could not connect');
      this.retryIn(entry, delay);
    }
  }

  private async ended(entry: Entry, watch: InboxWatch, err: Error | null): Promise<void> {
    if (entry.watch !== watch) return;
    entry.watch = null;
    // no longer 'watching' before the mark goes: a tick meanwhile must not mark it up again
    if (entry.state === 'watching') entry.state = 'waiting';
    await this.deps.leases.markDown(entry.mailboxId).catch(() => {});
    if (entry.stopped || this.stopped) return;
    entry.failures = failuresAfterEnd(entry.failures, entry.connectedAt, new Date());
    const delay = watchRetryDelayMs(entry.failures, this.deps.random);
    this.log.info({ mailboxId: entry.mailboxId, err: err ? { message: describeImapFailure(err) } : null, retryInMs: delay }, 'idle watch connection ended; reconnecting');
    this.retryIn(entry, delay);
  }

  private retryIn(entry: Entry, delayMs: number): void {
    if (entry.stopped) return;
    entry.state = 'waiting';
    if (entry.timer) clearTimeout(entry.timer);
    entry.timer = setTimeout(() => this.connectNow(entry), delayMs);
    entry.timer.unref();
  }

  private newMail(entry: Entry): void {
    this.deps.requestSync(entry.mailboxId).catch((err: unknown) =>
      this.log.warn({ mailboxId: entry.mailboxId, err: { message: (err as Error).message } }, 'idle watch could not ask for a sync'),
    );
  }

  private async stopEntry(entry: Entry): Promise<void> {
    entry.stopped = true;
    if (this.entries.get(entry.mailboxId) === entry) this.entries.delete(entry.mailboxId);
    if (entry.timer) clearTimeout(entry.timer);
    const watch = entry.watch;
    entry.watch = null;
    await bounded(watch?.close());
    // both expire on their own within a minute: a Redis outage must not hold the shutdown
    await bounded(Promise.all([this.deps.leases.markDown(entry.mailboxId), entry.lease?.release()]));
    entry.lease = null;
  }
}

/** Waits for `work` at most `ms`; its failure is ignored (the callers log nothing more useful). */
async function bounded(work: Promise<unknown> | undefined, ms = 5_000): Promise<void> {
  if (!work) return;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
    timer.unref();
  });
  await Promise.race([work.then(() => {}, () => {}), timeout]);
  clearTimeout(timer);
}
