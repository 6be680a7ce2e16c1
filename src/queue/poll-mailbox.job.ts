/**
 * One poll of one mailbox: for each synced folder, STATUS, then nothing, a fetch of the
 * new UIDs, or a full re-read after a UIDVALIDITY change (see `planSync`). Each batch
 * of messages is stored with its checkpoint in one transaction.
 *
 * Failures (refused login, dropped connection, timeout) are recorded on the mailbox's
 * sync state; the next scheduled polls are skipped until a backoff delay has passed,
 * so a wrong password never loops hot. A poll asked through the API always tries.
 */
import type { Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { isPermanentImapError, nextPollDelayMs } from '../audit/backoff.ts';
import { advanceCheckpoint, planSync, type SyncCheckpoint } from '../audit/sync-plan.ts';
import { findMailboxCredentials } from '../db/mailboxes.repo.ts';
import { findPollState, forgetFolders, listFolderCheckpoints, recordPoll, type FolderCheckpoint } from '../db/folders.repo.ts';
import type { Pool } from '../db/pool.ts';
import { loadMatchState, prepareMessage, storeBatch, type FetchedMessage, type MailboxMatchState, type PreparedMessage } from '../flow/ingest.ts';
import type { PreparePool } from '../mail/prepare-pool.ts';
import { ImapConnectionCache, type ImapConnection } from '../mail/imap-client.ts';
import { discoverFolders, fetchNewMessages, folderStatus, type FetchedBatch, type SyncFolder } from '../mail/imap-sync.ts';
import type { Logger } from '../logger.ts';
import type { SecretBox } from '../secrets.ts';
import { acquireLock } from './mailbox-lock.ts';
import type { PollMailboxJob } from './queues.ts';

/**
 * Messages per transaction: enough that what a batch costs once (its transaction, the
 * outcome of each probe it touches) spreads thin, few enough that a crash re-reads little.
 */
const DEFAULT_BATCH_SIZE = 500;

export interface PollDeps {
  pool: Pool;
  redis: Redis;
  secretBox: SecretBox;
  logger: Logger;
  connections: ImapConnectionCache;
  lockPrefix: string;
  maxMessageBytes: number;
  batchSize?: number;
  /** Parses on a worker thread when given (the worker role gives one); in this thread otherwise. */
  preparer?: PreparePool;
  now?: () => Date;
  /** Called after each stored batch with the ids of the new replies (the analysis queue listens). */
  onReplies?: (replyIds: string[]) => Promise<void>;
  /** Test hook: runs after each batch is committed. */
  afterBatch?: (info: { folder: string; stored: number }) => Promise<void>;
}

export interface FolderReport {
  path: string;
  action: 'none' | 'fetch' | 'reset';
  reason: string;
  fetched: number;
  inserted: number;
  duplicates: number;
  matched: number;
}

export type PollReport =
  | { status: 'done'; mailboxId: string; folders: FolderReport[] }
  | { status: 'skipped'; mailboxId: string; reason: 'locked' | 'backoff' | 'disabled' | 'missing' };

export class MailboxSyncError extends Error {
  override name = 'MailboxSyncError';
  constructor(
    message: string,
    readonly permanent: boolean,
  ) {
    super(message);
  }
}

export async function pollMailbox(deps: PollDeps, job: PollMailboxJob): Promise<PollReport> {
  const { mailboxId } = job;
  const now = deps.now ?? (() => new Date());
  const state = await findPollState(deps.pool, mailboxId);
  if (!state) return { status: 'skipped', mailboxId, reason: 'missing' };
  if (!state.enabled && job.trigger === 'schedule') return { status: 'skipped', mailboxId, reason: 'disabled' };
  if (job.trigger === 'schedule' && state.consecutiveFailures > 0 && state.lastErrorAt) {
    const wait = nextPollDelayMs(state.consecutiveFailures, state.pollIntervalSeconds * 1000);
    if (now().getTime() < state.lastErrorAt.getTime() + wait) return { status: 'skipped', mailboxId, reason: 'backoff' };
  }

  const lock = await acquireLock(deps.redis, `${deps.lockPrefix}:lock:poll-mailbox:${mailboxId}`);
  if (!lock) return { status: 'skipped', mailboxId, reason: 'locked' };
  const log = deps.logger.child({ mailboxId });
  try {
    const folders = await syncFolders(deps, mailboxId, () => lock.held);
    await recordPoll(deps.pool, mailboxId, null);
    const changed = folders.filter((f) => f.fetched > 0);
    if (changed.length > 0) log.info({ folders: changed }, 'mailbox synced');
    return { status: 'done', mailboxId, folders };
  } catch (err) {
    await deps.connections.drop(mailboxId);
    const permanent = isPermanentImapError(err);
    const message = describeFailure(err);
    await recordPoll(deps.pool, mailboxId, message).catch(() => {});
    log.warn({ err: { message, permanent } }, 'mailbox sync failed');
    throw new MailboxSyncError(message, permanent);
  } finally {
    await lock.release();
  }
}

async function syncFolders(deps: PollDeps, mailboxId: string, stillHeld: () => boolean): Promise<FolderReport[]> {
  const [credentials, checkpoints] = await Promise.all([findMailboxCredentials(deps.pool, mailboxId), listFolderCheckpoints(deps.pool, mailboxId)]);
  if (!credentials) throw new Error('the mailbox was deleted during the poll');
  const { mailbox } = credentials;
  const settings = { ...credentials.imap, password: deps.secretBox.open(credentials.imap.sealedPassword) };
  let connection = await deps.connections.acquire(mailboxId, settings);
  const folders = await foldersToSync(connection, mailbox.extraFolders);
  if (folders.discovered) await forgetFolders(deps.pool, mailboxId, folders.list.map((f) => f.path));

  let matchState: MailboxMatchState | null = null;
  const reports: FolderReport[] = [];
  for (const folder of folders.list) {
    const stored = checkpoints.find((c) => c.path === folder.path) ?? null;
    let status = await folderStatus(connection.client, folder.path);
    if (planSync(stored, status).reason === 'uidvalidity_changed') {
      // A session opened before the change keeps a stale view of the folder (Dovecot shows
      // it empty): ask again through a fresh one.
      await deps.connections.drop(mailboxId);
      connection = await deps.connections.acquire(mailboxId, settings);
      status = await folderStatus(connection.client, folder.path);
    }
    const plan = planSync(stored, status);
    const report: FolderReport = { path: folder.path, action: plan.action, reason: plan.reason, fetched: 0, inserted: 0, duplicates: 0, matched: 0 };
    reports.push(report);
    if (plan.action === 'none') continue;
    matchState ??= await loadMatchState(deps.pool, { id: mailboxId, address: mailbox.address });
    const base: SyncCheckpoint | null = plan.action === 'reset' ? null : stored;
    const uidValidity = Number(status.uidValidity);
    let lastUid = base?.lastUid ?? 0;
    const seen: number[] = [];
    const batches = fetchNewMessages(connection.client, folder.path, { fromUid: plan.fromUid, lastUid }, { maxBytes: deps.maxMessageBytes, batchSize: deps.batchSize ?? DEFAULT_BATCH_SIZE });
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
        deps.connections.touch(mailboxId);
        for (const m of batch.fetched) {
          seen.push(m.uid);
          lastUid = Math.max(lastUid, m.uid);
        }
        // Until the last batch the checkpoint stops at the highest UID stored, with the old
        // modseq; the last batch may move it to UIDNEXT - 1 (see `advanceCheckpoint`).
        const checkpoint: FolderCheckpoint = batch.last
          ? { path: folder.path, specialUse: folder.specialUse, ...toNumbers(advanceCheckpoint(base, status, plan, seen)) }
          : { path: folder.path, specialUse: folder.specialUse, uidValidity, lastUid, highestModseq: base?.highestModseq ?? null };
        if (!stillHeld()) throw new Error('the poll lost its mailbox lock (it ran too long); the next poll resumes from the last checkpoint');
        const result = await storeBatch(deps.pool, matchState, folder.path, uidValidity, batch.prepared, checkpoint);
        report.fetched += batch.fetched.length;
        report.inserted += result.inserted;
        report.duplicates += result.duplicates;
        report.matched += result.matched;
        if (result.replyIds.length > 0) await deps.onReplies?.(result.replyIds);
        await deps.afterBatch?.({ folder: folder.path, stored: result.inserted });
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
  }
  return reports;
}

/**
 * The next batch from the server, parsed; null after the last. Parsing is CPU work on
 * this thread: started while the previous batch is stored, it fills the database's waits.
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

/**
 * The folders to sync, listed again only when the connection is new, the mailbox's
 * extra folders changed, or the last LIST is older than `RELIST_MS` (a junk folder
 * may have appeared): otherwise an unchanged mailbox costs one STATUS per folder.
 */
const RELIST_MS = 10 * 60_000;
const listings = new WeakMap<ImapConnection, { extraFolders: string; at: number; list: SyncFolder[] }>();
async function foldersToSync(
  connection: ImapConnection,
  extraFolders: string[],
): Promise<{ list: SyncFolder[]; discovered: boolean }> {
  const key = JSON.stringify(extraFolders);
  const known = listings.get(connection);
  if (known && known.extraFolders === key && Date.now() - known.at < RELIST_MS) return { list: known.list, discovered: false };
  const list = await discoverFolders(connection.client, extraFolders);
  listings.set(connection, { extraFolders: key, at: Date.now(), list });
  return { list, discovered: true };
}

function toNumbers(c: SyncCheckpoint): Pick<FolderCheckpoint, 'uidValidity' | 'lastUid' | 'highestModseq'> {
  return { uidValidity: c.uidValidity === null ? null : Number(c.uidValidity), lastUid: c.lastUid, highestModseq: c.highestModseq };
}

/** A failure as the API shows it: what happened, never a secret. */
function describeFailure(err: unknown): string {
  const e = err as { authenticationFailed?: boolean; responseText?: string; code?: string; message?: string };
  if (e.authenticationFailed) return `login refused by the IMAP server${e.responseText ? `: ${e.responseText}` : ''}; check the user and password`;
  if (e.code === 'ECONNREFUSED') return `the IMAP server refused the connection (${e.message ?? 'ECONNREFUSED'})`;
  if (e.code === 'ETIMEDOUT' || e.code === 'CONNECT_TIMEOUT' || e.code === 'GREETING_TIMEOUT') return `the IMAP server did not answer in time (${e.code})`;
  if (e.code === 'ENOTFOUND') return `the IMAP host was not found (${e.message ?? 'ENOTFOUND'})`;
  return e.responseText ?? e.message ?? String(err);
}

export function pollMailboxProcessor(deps: PollDeps) {
  return async (job: Job<PollMailboxJob>): Promise<PollReport> => pollMailbox(deps, job.data);
}
