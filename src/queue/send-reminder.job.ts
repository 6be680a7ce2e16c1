/**
 * The send-reminder job: the reminder's send lock, retries and reports around
 * `flow/send-reminder.ts`, then the next reminder queued; and the queuing of reminders.
 */
import { queueEventSink } from './webhooks.job.ts';
import type { Processor } from 'bullmq';
import { SYSTEM_TIMING, delayUntil, hoursAfter, type Timing } from '../clock.ts';
import { withAdvisoryLock } from '../db/advisory-lock.ts';
import type { Campaign } from '../db/campaigns.repo.ts';
import type { Pool } from '../db/pool.ts';
import { failReminder, type Reminder } from '../db/reminders.repo.ts';
import type { MailTransport } from '../flow/deliver-once.ts';
import { sendReminder, type ReminderJobResult } from '../flow/send-reminder.ts';
import type { Logger } from '../logger.ts';
import type { SecretBox } from '../secrets.ts';
import { jobIds, requestSync, type Queues, type SendReminderJob } from './queues.ts';
import { reportFailure, waitUntil, waitWhileBusy, type JobRun } from './send-job.ts';

export type { ReminderJobResult };

/** What the send-reminder job reads. */
export interface SendReminderJobDeps {
  pool: Pool;
  /** Where the send lock takes its connection, held through the whole SMTP and IMAP exchange; `pool` when absent. */
  lockPool?: Pool | undefined;
  queues: Queues;
  secretBox: SecretBox;
  logger: Logger;
  /** The SMTP and IMAP servers; tests put fakes in their place. */
  transport?: MailTransport | undefined;
}

/**
 * Queues reminder `seq` of a probe for `dueAt`. Idempotent: one job per (probe, seq). The
 * worker owns the clock: a job that runs early works out the due time itself and waits.
 */
export async function scheduleReminder(queues: Queues, reminder: SendReminderJob & { dueAt: Date }, timing: Timing = SYSTEM_TIMING): Promise<void> {
  await queues['send-reminder'].add('remind', { probeId: reminder.probeId, seq: reminder.seq } satisfies SendReminderJob, {
    jobId: jobIds.sendReminder(reminder.probeId, reminder.seq),
    delay: delayUntil(reminder.dueAt, timing),
  });
}

/** Queues a probe's first reminder, `afterHours` after its `sentAt`, once the service has sent it. */
export async function scheduleFirstReminder(
  queues: Queues,
  campaign: Pick<Campaign, 'reminder'>,
  probe: { id: string; sentAt: Date },
  timing: Timing = SYSTEM_TIMING,
): Promise<void> {
  if (campaign.reminder.max < 1) return;
  await scheduleReminder(queues, { probeId: probe.id, seq: 1, dueAt: hoursAfter(probe.sentAt, campaign.reminder.afterHours, timing) }, timing);
}

/**
 * Queues reminder `seq` to run now, for a caller that does not keep the worker's clock (the
 * API, when a web-form probe is declared or a reminder confirmed): the job works out when
 * the reminder is due and waits until then.
 */
export async function requestReminder(queues: Queues, probeId: string, seq: number): Promise<void> {
  await queues['send-reminder'].add('remind', { probeId, seq } satisfies SendReminderJob, { jobId: jobIds.sendReminder(probeId, seq) });
}

export function sendReminderProcessor(deps: SendReminderJobDeps, timing: Timing = SYSTEM_TIMING): Processor<SendReminderJob, ReminderJobResult> {
  return async (job, token) => {
    const { probeId, seq } = job.data;
    const log = deps.logger.child({ queue: 'send-reminder', probeId, seq });
    const run: JobRun = { job, token };
    try {
      const done = await withAdvisoryLock(deps.lockPool ?? deps.pool, `reminder:${probeId}:${seq}`, (db) =>
        sendReminder(db, probeId, seq, { secretBox: deps.secretBox, timing, log, transport: deps.transport, events: queueEventSink(deps.queues.webhooks) }),
      );
      // Another worker is sending it: look again in a minute, without spending an attempt.
      if (!done.locked) return await waitWhileBusy(run, timing, `reminder ${seq} of probe ${probeId} is being sent by another worker`);
      const send = done.value;
      if (send.kind === 'wait') return await waitUntil(run, send.until, timing, send.reason);
      if (send.kind === 'read-first') {
        // a failed request (Redis blip) costs no attempt: the next look asks again
        if (send.askSync) await requestSync(deps.queues, send.mailboxId, 'reminder').catch((err: unknown) => log.warn({ err: { message: (err as Error).message } }, 'could not ask for a sync of the mailbox; looking again later'));
        return await waitUntil(run, send.until, timing, send.reason);
      }
      if (send.kind === 'sent') await scheduleNext(deps.queues, send.campaign, send.reminder, timing);
      log.info({ result: send.result }, 'reminder job done');
      return send.result;
    } catch (err) {
      throw await reportFailure(err, job, (reason) => failReminder(deps.pool, probeId, seq, reason), log);
    }
  };
}

/** The next reminder, `afterHours` after this one, while the campaign allows more. */
export async function scheduleNext(
  queues: Queues,
  campaign: Pick<Campaign, 'reminder'>,
  reminder: Pick<Reminder, 'probeId' | 'seq' | 'sentAt'>,
  timing: Timing = SYSTEM_TIMING,
): Promise<void> {
  if (!reminder.sentAt || reminder.seq >= campaign.reminder.max) return;
  const dueAt = hoursAfter(reminder.sentAt, campaign.reminder.afterHours, timing);
  await scheduleReminder(queues, { probeId: reminder.probeId, seq: reminder.seq + 1, dueAt }, timing);
}
