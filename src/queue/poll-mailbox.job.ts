/**
 * The poll-mailbox job: lock, backoff and report around one sync of a mailbox
 * (`syncMailbox` in `src/flow/sync-mailbox.ts`).
 *
 * Failures (refused login, dropped connection, timeout) are recorded on the mailbox's
 * sync state with the time the next poll is allowed (backoff with jitter, drawn once at the
 * failure): every poll until then, scheduled or asked through the API, is skipped, so a
 * wrong password never loops hot. New connection settings clear it.
 *
 * A mailbox whose IDLE watch is up (`idle-leases.ts`) is woken by it; its scheduled polls
 * then run only as a safety net, every `max(pollInterval, 5 min)` (`skipWatchedPoll`). A
 * wake-up that finds another sync running makes that sync run once more when it ends.
 */
import type { Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { nextAttemptAt } from '../audit/backoff.ts';
import { skipWatchedPoll } from '../audit/idle-plan.ts';
import { MailboxSyncError, SyncStoppedError, type FolderReport, type MailboxSync } from '../flow/sync-mailbox.ts';
import type { Logger } from '../logger.ts';
import { isWatchUp } from './idle-leases.ts';
import { acquireLock, type HeldLock } from './mailbox-lock.ts';
import type { PollMailboxJob } from './queues.ts';

export interface PollDeps {
  /** Holds the per-mailbox locks, under `lockPrefix`. */
  redis: Redis;
  lockPrefix: string;
  logger: Logger;
  /** The sync use case: the mailbox's poll state, the sync itself, and where its outcome is recorded. */
  sync: Pick<MailboxSync, 'pollState' | 'syncMailbox' | 'recordPoll'>;
  now?: () => Date;
  /** Whether the service is stopping: a sync then ends after its current batch. Never, when absent. */
  stopRequested?: () => boolean;
}

export type PollReport =
  | { status: 'done'; mailboxId: string; folders: FolderReport[] }
  /** `stopping`: the process stopped the sync between batches for a shutdown; what was stored is committed, the next poll resumes. */
  | { status: 'skipped'; mailboxId: string; reason: 'locked' | 'backoff' | 'disabled' | 'missing' | 'stopping' | 'watched' };

export async function pollMailbox(deps: PollDeps, job: PollMailboxJob): Promise<PollReport> {
  const { mailboxId } = job;
  const now = deps.now ?? (() => new Date());
  const state = await deps.sync.pollState(mailboxId);
  if (!state) return { status: 'skipped', mailboxId, reason: 'missing' };
  // only an auditor's own request syncs a disabled mailbox; a late IDLE wake-up does not
  if (!state.enabled && job.trigger !== 'api') return { status: 'skipped', mailboxId, reason: 'disabled' };
  if (state.nextPollAt && now() < state.nextPollAt) return { status: 'skipped', mailboxId, reason: 'backoff' };
  if (job.trigger === 'schedule' && state.lastPolledAt) {
    const facts = { ...state, trigger: job.trigger, pollIntervalMs: state.pollIntervalSeconds * 1000, now: now() };
    if (skipWatchedPoll({ ...facts, watchUp: await isWatchUp(deps.redis, deps.lockPrefix, mailboxId) })) return { status: 'skipped', mailboxId, reason: 'watched' };
  }

  const lockKey = `${deps.lockPrefix}:lock:poll-mailbox:${mailboxId}`;
  const againKey = `${lockKey}:again`;
  // A wake-up or an auditor's request that finds a sync running is not dropped: it leaves a
  // mark, and the holder syncs once more after it, so mail that arrived during it is read now,
  // not at the next safety-net poll (up to 5 min later for a watched mailbox). The mark is set
  // before the lock is tried and read after the holder releases it: one of the two sees the other.
  if (job.trigger !== 'schedule') await deps.redis.set(againKey, '1', 'PX', AGAIN_MARK_TTL_MS);
  let report: PollReport = { status: 'skipped', mailboxId, reason: 'locked' };
  for (let round = 1; round <= MAX_ROUNDS; round++) {
    // a later round reads the mailbox again: disabled or deleted meanwhile, it is left alone
    const current = round === 1 ? state : await deps.sync.pollState(mailboxId);
    if (!current || (round > 1 && !current.enabled)) return report;
    const lock = await acquireLock(deps.redis, lockKey);
    // another sync holds it: in the first round this request is left to it; in a later one it took the mark over
    if (!lock) return report;
    try {
      await deps.redis.del(againKey);
      report = await syncOnce(deps, mailboxId, current.pollIntervalSeconds, current.consecutiveFailures, lock);
    } finally {
      await lock.release();
    }
    if (report.status !== 'done' || deps.stopRequested?.() || (await deps.redis.exists(againKey)) === 0) return report;
    deps.logger.debug({ mailboxId, round }, 'mail was signalled during the sync: syncing once more');
  }
  return report;
}

/** A sync asked for during the sync in progress is run after it, up to this many in one job. */
const MAX_ROUNDS = 20;
/** A mark outlives a lock that its crashed holder left (60 s) and a long first sync (each request sets it anew). */
const AGAIN_MARK_TTL_MS = 60 * 60_000;

/** One sync under the lock; `failuresBefore` counts the failed polls before it, for the backoff of a new failure. */
async function syncOnce(deps: PollDeps, mailboxId: string, pollIntervalSeconds: number, failuresBefore: number, lock: HeldLock): Promise<PollReport> {
  const now = deps.now ?? (() => new Date());
  const log = deps.logger.child({ mailboxId });
  // the real clock, as the reminders that wait for this read compare it with theirs
  const startedAt = new Date();
  try {
    const folders = await deps.sync.syncMailbox(mailboxId, () => lock.held, deps.stopRequested);
    await deps.sync.recordPoll(mailboxId, null, startedAt);
    const changed = folders.filter((f) => f.fetched > 0);
    if (changed.length > 0) log.info({ folders: changed }, 'mailbox synced');
    return { status: 'done', mailboxId, folders };
  } catch (err) {
    if (err instanceof SyncStoppedError) {
      // not a failure: no backoff, no error shown; the job ends and the next poll picks the mailbox up
      log.info('mailbox sync stopped between batches for a shutdown; the next poll resumes from the checkpoint');
      return { status: 'skipped', mailboxId, reason: 'stopping' };
    }
    const failure = err instanceof MailboxSyncError ? err : new MailboxSyncError(err instanceof Error ? err.message : String(err), false, { cause: err });
    const nextPollAt = nextAttemptAt(now(), failuresBefore + 1, pollIntervalSeconds * 1000, failure.permanent);
    await deps.sync.recordPoll(mailboxId, { error: failure.message, nextPollAt }).catch(() => {});
    // the raw error (addresses, ports, system codes) goes to the log only; the mailbox shows the plain words
    const raw = failure.cause as { message?: string; code?: string } | undefined;
    log.warn({ err: { message: failure.message, permanent: failure.permanent, cause: raw?.message, code: raw?.code } }, 'mailbox sync failed');
    throw failure;
  }
}

export function pollMailboxProcessor(deps: PollDeps) {
  return async (job: Job<PollMailboxJob>): Promise<PollReport> => pollMailbox(deps, job.data);
}
