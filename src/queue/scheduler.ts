/**
 * The scheduler role: keeps one BullMQ job scheduler per enabled mailbox (its poll
 * interval), and removes those of mailboxes that are gone or disabled. It re-reads
 * the mailbox list periodically, so a mailbox created through the API is polled
 * without a restart; and at each refresh it re-enqueues send jobs that were lost
 * (`reconcile.job.ts`). Several scheduler processes are harmless: upserts are idempotent.
 */
import type { Pool } from '../db/pool.ts';
import { listEnabledMailboxes } from '../db/mailboxes.repo.ts';
import type { Logger } from '../logger.ts';
import { enqueueMissingAnalyses } from './analyse-reply.job.ts';
import { reconcileSends, type ReconcileDeps } from './reconcile.job.ts';
import { jobIds, type PollMailboxJob, type Queues } from './queues.ts';
import { reportOverdueProbes } from '../flow/overdue-probes.ts';
import { queueEventSink } from './webhooks.job.ts';

export interface Scheduler {
  refresh(): Promise<void>;
  close(): Promise<void>;
}

export function startScheduler(deps: {
  pool: Pool;
  queues: Queues;
  logger: Logger;
  refreshMs?: number;
  redis?: ReconcileDeps['redis'];
  /** When campaigns close after their end: the reconciler rebuilds their close jobs with it. */
  closeAfterDays?: number;
}): Scheduler {
  const queue = deps.queues['poll-mailbox'];
  const log = deps.logger.child({ role: 'scheduler' });

  async function refresh(): Promise<void> {
    const mailboxes = await listEnabledMailboxes(deps.pool);
    const wanted = new Set(mailboxes.map((m) => jobIds.pollSchedule(m.id)));
    for (const mailbox of mailboxes) {
      await queue.upsertJobScheduler(
        jobIds.pollSchedule(mailbox.id),
        { every: mailbox.pollIntervalSeconds * 1000 },
        { name: 'poll', data: { mailboxId: mailbox.id, trigger: 'schedule' } satisfies PollMailboxJob },
      );
    }
    for (const scheduler of await queue.getJobSchedulers(0, -1)) {
      if (scheduler.key.startsWith('poll-schedule-') && !wanted.has(scheduler.key)) await queue.removeJobScheduler(scheduler.key);
    }
    // answers the current analyser version has not seen yet (all of them after an upgrade)
    const queued = await enqueueMissingAnalyses(deps.pool, deps.queues);
    if (queued > 0) log.info({ queued }, 're-analysis queued');
    // probes and reminders whose send job was lost
    await reconcileSends({ pool: deps.pool, queues: deps.queues, logger: log, redis: deps.redis, closeAfterDays: deps.closeAfterDays });
    // probes past a norm with no answer: probe.overdue, once per probe and norm
    await reportOverdueProbes({ pool: deps.pool, events: queueEventSink(deps.queues.webhooks) }).catch((err: unknown) =>
      log.warn({ err: { message: (err as Error).message } }, 'overdue probes not reported this time'),
    );
  }

  let running: Promise<void> = refresh().catch((err: unknown) => log.error({ err }, 'scheduler refresh failed'));
  const timer = setInterval(() => {
    running = running.then(refresh).catch((err: unknown) => log.error({ err }, 'scheduler refresh failed'));
  }, deps.refreshMs ?? 30_000);
  timer.unref();
  log.info('scheduler started');

  return {
    refresh: () => (running = running.then(refresh)),
    async close() {
      clearInterval(timer);
      await running;
    },
  };
}
