/**
 * The poll-mailbox job: lock, backoff and report around one sync of a mailbox
 * (`syncMailbox` in `src/flow/sync-mailbox.ts`).
 *
 * Failures (refused login, dropped connection, timeout) are recorded on the mailbox's
 * sync state; the next scheduled polls are skipped until a backoff delay has passed,
 * so a wrong password never loops hot. A poll asked through the API always tries.
 */
import type { Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { nextPollDelayMs } from '../audit/backoff.ts';
import { MailboxSyncError, type FolderReport, type MailboxSync } from '../flow/sync-mailbox.ts';
import type { Logger } from '../logger.ts';
import { acquireLock } from './mailbox-lock.ts';
import type { PollMailboxJob } from './queues.ts';

export interface PollDeps {
  /** Holds the per-mailbox locks, under `lockPrefix`. */
  redis: Redis;
  lockPrefix: string;
  logger: Logger;
  /** The sync use case: the mailbox's poll state, the sync itself, and where its outcome is recorded. */
  sync: Pick<MailboxSync, 'pollState' | 'syncMailbox' | 'recordPoll'>;
  now?: () => Date;
}

export type PollReport =
  | { status: 'done'; mailboxId: string; folders: FolderReport[] }
  | { status: 'skipped'; mailboxId: string; reason: 'locked' | 'backoff' | 'disabled' | 'missing' };

export async function pollMailbox(deps: PollDeps, job: PollMailboxJob): Promise<PollReport> {
  const { mailboxId } = job;
  const now = deps.now ?? (() => new Date());
  const state = await deps.sync.pollState(mailboxId);
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
    const folders = await deps.sync.syncMailbox(mailboxId, () => lock.held);
    await deps.sync.recordPoll(mailboxId, null);
    const changed = folders.filter((f) => f.fetched > 0);
    if (changed.length > 0) log.info({ folders: changed }, 'mailbox synced');
    return { status: 'done', mailboxId, folders };
  } catch (err) {
    const failure = err instanceof MailboxSyncError ? err : new MailboxSyncError(err instanceof Error ? err.message : String(err), false, { cause: err });
    await deps.sync.recordPoll(mailboxId, failure.message).catch(() => {});
    log.warn({ err: { message: failure.message, permanent: failure.permanent } }, 'mailbox sync failed');
    throw failure;
  } finally {
    await lock.release();
  }
}

export function pollMailboxProcessor(deps: PollDeps) {
  return async (job: Job<PollMailboxJob>): Promise<PollReport> => pollMailbox(deps, job.data);
}
