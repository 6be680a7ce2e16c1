/**
 * One sync of one mailbox: for each synced folder, STATUS, then nothing, a fetch of the
 * new UIDs, or a full re-read after a UIDVALIDITY change (see `planSync`). Each batch of
 * messages is stored with its checkpoint in one transaction (`storeBatch`), so a sync
 * stopped anywhere resumes from the last checkpoint and never skips or doubles.
 *
 * The job around it (`queue/poll-mailbox.job.ts`) holds the mailbox's lock, decides on
 * backoff and records the outcome; this module does the sync itself.
 */
import { isPermanentImapError } from '../audit/backoff.ts';
import { advanceCheckpoint, planSync, type FolderStatus, type SyncCheckpoint, type SyncPlan } from '../audit/sync-plan.ts';
import { findPollState, forgetFolders, listFolderCheckpoints, recordPoll, type FolderCheckpoint, type PollState } from '../db/folders.repo.ts';
import type { Pool } from '../db/pool.ts';
import { describeImapFailure, type ImapConnection, type ImapConnectionCache } from '../mail/imap-client.ts';
import { discoverFolders, fetchNewMessages, folderStatus, type FetchedBatch, type FetchedMessage, type SyncFolder } from '../mail/imap-sync.ts';
import type { ServerLogin } from '../mail/server-login.ts';
import type { SecretBox } from '../secrets.ts';
import { mailboxTransitionEvent } from '../audit/webhook-events.ts';
import { AccessTokenCache, OAuth2TokenError } from '../http/oauth2-token.ts';
import type { Logger } from '../logger.ts';
import { emitEvents, type EventSink } from './events.ts';
import { accessTokenFor, withLoginRetry } from './oauth2-logins.ts';
import { loadMatchState, storeBatch, type MailboxMatchState } from './ingest.ts';
import { prepareMessage, type PreparedMessage } from './prepare-message.ts';
import type { PreparePool } from './prepare-pool.ts';
import { openMailboxLogins, type MailboxLogins } from './mailbox-logins.ts';

/**
 * Messages per transaction: enough that what a batch costs once (its transaction, the
 * outcome of each probe it touches) spreads thin, few enough that a crash re-reads little.
 */
const DEFAULT_BATCH_SIZE = 500;
/**
 * Bytes per batch, about: a batch is held whole (sources, parses, compressed copies) with
 * the next one read ahead, so the worker's memory stays within a few times this whatever
 * the mail, where 500 messages of up to 25 MB each could reach gigabytes.
 */
const DEFAULT_BATCH_BYTES = 32 * 1024 * 1024;

/**
 * The folders to sync are listed again only when the connection is new, the mailbox's
 * extra folders changed, or the last LIST is older than this (a junk folder may have
 * appeared): otherwise an unchanged mailbox costs one STATUS per folder.
 */
const RELIST_MS = 10 * 60_000;

export interface SyncMailboxDeps {
  pool: Pool;
  secretBox: SecretBox;
  connections: ImapConnectionCache;
  maxMessageBytes: number;
  batchSize?: number;
  batchBytes?: number;
  /** Parses on a worker thread when given (the worker role gives one); in this thread otherwise. */
  preparer?: PreparePool;
  /** Called after each stored batch with the ids of the new replies (the analysis queue listens). */
  onReplies?: (replyIds: string[]) => Promise<void>;
  /** Test hook: runs after each batch is committed. */
  afterBatch?: (info: { folder: string; stored: number }) => Promise<void>;
  /** Access tokens of OAuth2 logins; one of its own when absent. */
  tokens?: AccessTokenCache;
  /** Where the webhook events of the sync go (new answers, a mailbox failing or recovering); none when absent. */
  events?: EventSink;
  logger?: Logger;
}

export interface FolderReport {
  path: string;
  action: SyncPlan['action'];
  reason: string;
  fetched: number;
  inserted: number;
  duplicates: number;
  matched: number;
}

/** A sync that failed, in words fit for the API (never a secret), and whether retrying can help before the settings change. */
export class MailboxSyncError extends Error {
  override name = 'MailboxSyncError';
  constructor(
    message: string,
    readonly permanent: boolean,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** One IMAP session of a sync: the connection may be replaced midway (see `statusAndPlan`). */
interface Session {
  mailboxId: string;
  login: ServerLogin;
  connection: ImapConnection;
  matchState: MailboxMatchState | null;
  mailbox: MailboxLogins['mailbox'];
  stillHeld: () => boolean;
  stopRequested: () => boolean;
}

/**
 * The sync stopped between two batches because the process is stopping: every batch stored is
 * committed with its checkpoint, and the next poll resumes from there. Not a failure.
 */
export class SyncStoppedError extends Error {
  override name = 'SyncStoppedError';
  constructor() {
    super('the sync stopped between batches for a shutdown; the next poll resumes from the last checkpoint');
  }
}

interface FolderListing {
  extraFolders: string;
  at: number;
  list: SyncFolder[];
}

/** The sync engine of a worker: its dependencies, and the folder listing of each live connection. */
export class MailboxSync {
  private readonly listings = new WeakMap<ImapConnection, FolderListing>();

  private readonly tokens: AccessTokenCache;

  constructor(private readonly deps: SyncMailboxDeps) {
    this.tokens = deps.tokens ?? new AccessTokenCache();
  }

  /** What a poll is decided on: whether the mailbox exists and is enabled, its failure streak; null when it is gone. */
  pollState(mailboxId: string): Promise<PollState | null> {
    return findPollState(this.deps.pool, mailboxId);
  }

  /** Records a poll on the mailbox's sync state: null for a success; for a failure, its words and when the next poll is allowed. */
  /** Records a poll's end: its failure, or (null) its success, the mailbox then read through `startedAt`. */
  async recordPoll(mailboxId: string, failure: { error: string; nextPollAt: Date } | null, startedAt: Date | null = null): Promise<void> {
    const before = await recordPoll(this.deps.pool, mailboxId, failure, startedAt);
    const event = before && mailboxTransitionEvent(mailboxId, 'imap', { wasFailing: before.wasFailing, error: failure?.error ?? null }, new Date());
    if (event && this.deps.logger) await emitEvents(this.deps.events, [event], this.deps.logger);
  }

  /**
   * Syncs every folder of the mailbox. `stillHeld` says whether the caller still holds the
   * mailbox's lock: no batch is stored once it is lost. Any failure drops the mailbox's
   * connection and is thrown as a `MailboxSyncError`. Once `stopRequested` says so, the sync
   * ends after the batch it is storing, with a `SyncStoppedError`.
   */
  async syncMailbox(mailboxId: string, stillHeld: () => boolean, stopRequested: () => boolean = () => false): Promise<FolderReport[]> {
    try {
      return await this.syncFolders(mailboxId, stillHeld, stopRequested);
    } catch (err) {
      if (err instanceof SyncStoppedError) throw err;
      await this.deps.connections.drop(mailboxId);
      const permanent = err instanceof OAuth2TokenError ? err.permanent : isPermanentImapError(err);
      throw new MailboxSyncError(describeImapFailure(err), permanent, { cause: err });
    }
  }

  private async syncFolders(mailboxId: string, stillHeld: () => boolean, stopRequested: () => boolean): Promise<FolderReport[]> {
    const { pool, connections } = this.deps;
    const checkpoints = await listFolderCheckpoints(pool, mailboxId);
    // an OAuth2 login the server refuses is tried once more with a fresh access token
    const { login, mailbox, connection } = await withLoginRetry(
      async (fresh) => {
        const logins = await openMailboxLogins(pool, this.deps.secretBox, mailboxId, { tokens: this.tokens, fresh, imapOnly: true });
        if (!logins) throw new Error('the mailbox was deleted during the poll');
        return { login: logins, oauth2: logins.oauth2.imap };
      },
      async (logins) => ({ login: logins.imap, mailbox: logins.mailbox, connection: await connections.acquire(mailboxId, logins.imap) }),
    );
    const folders = await this.foldersToSync(connection, mailbox.extraFolders);
    if (folders.discovered) await forgetFolders(pool, mailboxId, folders.list.map((f) => f.path));

    const session: Session = { mailboxId, login, connection, matchState: null, mailbox, stillHeld, stopRequested };
    const reports: FolderReport[] = [];
    for (const folder of folders.list) {
      if (stopRequested()) throw new SyncStoppedError();
      reports.push(await this.syncFolder(session, folder, checkpoints.find((c) => c.path === folder.path) ?? null));
    }
    return reports;
  }

  private async syncFolder(session: Session, folder: SyncFolder, stored: FolderCheckpoint | null): Promise<FolderReport> {
    const { deps } = this;
    const { status, plan } = await this.statusAndPlan(session, folder, stored);
    const report: FolderReport = { path: folder.path, action: plan.action, reason: plan.reason, fetched: 0, inserted: 0, duplicates: 0, matched: 0 };
    if (plan.action === 'none') return report;
    const matchState = (session.matchState ??= await loadMatchState(deps.pool, { id: session.mailboxId, address: session.mailbox.address }));
    const base: SyncCheckpoint | null = plan.action === 'reset' ? null : stored;
    const uidValidity = Number(status.uidValidity);
    let lastUid = base?.lastUid ?? 0;
    const seen: number[] = [];
    const batches = fetchNewMessages(
      session.connection.client,
      folder.path,
      { fromUid: plan.fromUid, lastUid },
      { maxBytes: deps.maxMessageBytes, batchSize: deps.batchSize ?? DEFAULT_BATCH_SIZE, batchBytes: deps.batchBytes ?? DEFAULT_BATCH_BYTES },
    );
    const readAhead = () => {
      const next = prepareBatch(batches, deps.maxMessageBytes, deps.preparer);
      // a failure there (a dropped connection) is met where it is awaited, never unhandled
      next.catch(() => {});
      return next;
    };
    let next = status.messages > 0 ? readAhead() : null;
    try {
      while (next) {
        const batch = await next;
        if (batch === null) break;
        // fetch and parse the next batch while this one is stored: this thread's work and
        // the database's overlap
        next = batch.last ? null : readAhead();
        deps.connections.touch(session.mailboxId);
        for (const m of batch.fetched) {
          seen.push(m.uid);
          lastUid = Math.max(lastUid, m.uid);
        }
        // Until the last batch the checkpoint stops at the highest UID stored, with the old
        // modseq; the last batch may move it to UIDNEXT - 1 (see `advanceCheckpoint`).
        const checkpoint: FolderCheckpoint = batch.last
          ? { path: folder.path, specialUse: folder.specialUse, ...toNumbers(advanceCheckpoint(base, status, plan, seen)) }
          : { path: folder.path, specialUse: folder.specialUse, uidValidity, lastUid, highestModseq: base?.highestModseq ?? null };
        if (!session.stillHeld()) throw new Error('the poll lost its mailbox lock (it ran too long); the next poll resumes from the last checkpoint');
        const result = await storeBatch(deps.pool, matchState, folder.path, uidValidity, batch.prepared, checkpoint);
        report.fetched += batch.fetched.length;
        report.inserted += result.inserted;
        report.duplicates += result.duplicates;
        report.matched += result.matched;
        if (result.replyIds.length > 0) await deps.onReplies?.(result.replyIds);
        // enqueue only, after the commit: a queue outage is logged, never thrown into the sync
        if (result.events.length > 0 && deps.logger) await emitEvents(deps.events, result.events, deps.logger);
        await deps.afterBatch?.({ folder: folder.path, stored: result.inserted });
        // a stopping process: this batch and its checkpoint are committed, the rest waits for the next poll
        if (next && session.stopRequested()) throw new SyncStoppedError();
      }
    } finally {
      // a poll that stops early lets its read-ahead finish, then unlocks the folder
      await next?.catch(() => null);
      await batches.return(undefined);
    }
    if (report.fetched === 0) {
      // nothing new after all (expunged meanwhile, or a modseq change only): move the checkpoint on
      await storeBatch(deps.pool, matchState, folder.path, uidValidity, [], {
        path: folder.path,
        specialUse: folder.specialUse,
        ...toNumbers(advanceCheckpoint(base, status, plan, [])),
      });
    }
    return report;
  }

  /**
   * The folder's STATUS and what to do about it. A session opened before a UIDVALIDITY
   * change keeps a stale view of the folder (Dovecot shows it empty): the status is asked
   * again through a fresh connection, and that new state is planned for.
   */
  private async statusAndPlan(session: Session, folder: SyncFolder, stored: FolderCheckpoint | null): Promise<{ status: FolderStatus; plan: SyncPlan }> {
    const status = await folderStatus(session.connection.client, folder.path);
    const plan = planSync(stored, status);
    if (plan.reason !== 'uidvalidity_changed') return { status, plan };
    await this.deps.connections.drop(session.mailboxId);
    session.connection = await this.deps.connections.acquire(session.mailboxId, session.login);
    const fresh = await folderStatus(session.connection.client, folder.path);
    return { status: fresh, plan: planSync(stored, fresh) };
  }

  /** The folders to sync: this connection's last listing while it is recent and asked for the same extra folders (`RELIST_MS`). */
  private async foldersToSync(connection: ImapConnection, extraFolders: string[]): Promise<{ list: SyncFolder[]; discovered: boolean }> {
    const key = JSON.stringify(extraFolders);
    const known = this.listings.get(connection);
    if (known && known.extraFolders === key && Date.now() - known.at < RELIST_MS) return { list: known.list, discovered: false };
    const list = await discoverFolders(connection.client, extraFolders);
    this.listings.set(connection, { extraFolders: key, at: Date.now(), list });
    return { list, discovered: true };
  }
}

/**
 * The next batch from the server, parsed; null after the last. Parsing is CPU work (on the
 * worker thread when there is one): started while the previous batch is stored, it fills
 * the database's waits.
 */
async function prepareBatch(
  batches: AsyncGenerator<FetchedBatch>,
  maxBytes: number,
  preparer: PreparePool | undefined,
): Promise<{ fetched: FetchedMessage[]; prepared: PreparedMessage[]; last: boolean } | null> {
  const next = await batches.next();
  if (next.done) return null;
  const { messages, last } = next.value;
  const prepared = preparer ? await preparer.prepare(messages, maxBytes) : await Promise.all(messages.map((m) => prepareMessage(m, maxBytes)));
  return { fetched: messages, prepared, last };
}

function toNumbers(c: SyncCheckpoint): Pick<FolderCheckpoint, 'uidValidity' | 'lastUid' | 'highestModseq'> {
  return { uidValidity: c.uidValidity === null ? null : Number(c.uidValidity), lastUid: c.lastUid, highestModseq: c.highestModseq };
}
