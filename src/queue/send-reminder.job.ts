/**
 * The "relance": `reminder.afterHours` after a probe (or after the previous reminder), if the
 * brand has still not answered, a short polite message in the same thread, up to
 * `reminder.max`. An answer that arrives first cancels it. A web-form probe's reminder is
 * only recorded `due`: an auditor sends it by hand and confirms it through the API.
 */
import { DelayedError, UnrecoverableError, type Processor } from 'bullmq';
import { PlanError, defaultReminderBody, reminderSubject, renderTemplate, withQuote } from '../audit/schedule.ts';
import { findBrand } from '../db/brands.repo.ts';
import {
  cancelReminder,
  claimReminder,
  ensureReminder,
  hasAnswer,
  listSentReminders,
  updateReminderStatus,
  withAdvisoryLock,
  type Reminder,
} from '../db/campaign-schedule.repo.ts';
import { findCampaign, type Campaign } from '../db/campaigns.repo.ts';
import type { Queryable } from '../db/pool.ts';
import { findProbe, type Probe } from '../db/probes.repo.ts';
import { findScenario } from '../db/scenarios.repo.ts';
import { recomputeOutcome } from '../flow/recompute-outcome.ts';
import type { Logger } from '../logger.ts';
import type { OutgoingMessage } from '../mail/smtp.ts';
import {
  SYSTEM_TIMING,
  SendInProgressError,
  delayUntil,
  hoursAfter,
  inTransaction,
  judgeFailure,
  newMessageId,
  sendOnce,
  sendingMailbox,
  type SendingMailbox,
  type Sent,
  type Timing,
} from './delivery.ts';
import type { ProcessorDeps } from './processors.ts';
import { jobIds, type Queues, type SendReminderJob } from './queues.ts';

/** How a reminder job ended, for the job's return value and the logs. */
export type ReminderJobResult = 'sent' | 'recovered' | 'due' | 'answered' | 'cancelled' | 'not-needed' | Reminder['status'];

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

export function sendReminderProcessor(deps: ProcessorDeps, timing: Timing = SYSTEM_TIMING): Processor<SendReminderJob, ReminderJobResult> {
  return async (job, token) => {
    const { probeId, seq } = job.data;
    const log = deps.logger.child({ queue: 'send-reminder', probeId, seq });
    const run = await withAdvisoryLock(deps.pool, `reminder:${probeId}:${seq}`, (db) => remind(db, job, token, deps, timing, log));
    if (!run.locked) throw new SendInProgressError(`reminder ${seq} of probe ${probeId} is being sent by another worker`);
    log.info({ result: run.value }, 'reminder job done');
    return run.value;
  };
}

type ReminderJobContext = Parameters<Processor<SendReminderJob>>[0];

async function remind(
  db: Queryable,
  job: ReminderJobContext,
  token: string | undefined,
  deps: ProcessorDeps,
  timing: Timing,
  log: Logger,
): Promise<ReminderJobResult> {
  const { probeId, seq } = job.data;
  const probe = await findProbe(db, probeId);
  if (!probe || probe.status !== 'sent' || !probe.sentAt) return 'not-needed';
  const campaign = (await findCampaign(db, probe.campaignId))!;
  if (seq > campaign.reminder.max) return 'not-needed';
  const earlier = await listSentReminders(db, probeId);
  const anchor = seq === 1 ? probe.sentAt : earlier.find((r) => r.seq === seq - 1)?.sentAt;
  if (!anchor) return 'not-needed';

  const dueAt = hoursAfter(anchor, campaign.reminder.afterHours, timing);
  const early = delayUntil(dueAt, timing);
  if (early > 0) {
    await job.moveToDelayed(Date.now() + early, token);
    throw new DelayedError(`reminder ${seq} of probe ${probeId} is due at ${dueAt.toISOString()}`);
  }
  const reminder = await ensureReminder(db, probeId, seq, dueAt);
  if (reminder.status === 'sent' && reminder.sentAt) {
    // A retry after the reminder went out finishes what that attempt left undone.
    await scheduleNext(deps.queues, campaign, reminder, timing);
    return 'sent';
  }
  if (reminder.status !== 'due' && reminder.status !== 'sending') return reminder.status;
  if (reminder.status === 'due') {
    if (campaign.status === 'closed') {
      await cancelReminder(db, reminder.id);
      return 'cancelled';
    }
    if (await hasAnswer(db, probeId)) {
      await cancelReminder(db, reminder.id);
      return 'answered';
    }
    // The auditor sends it through the web form and confirms it; the next one is queued then.
    if (probe.channel === 'webform') return 'due';
  }

  let claimed: Reminder | null = null;
  let sent: Sent;
  try {
    const mailbox = await sendingMailbox(db, deps.secretBox, probe.mailboxId);
    const resumed = reminder.status === 'sending';
    claimed = resumed ? reminder : await claimReminder(db, reminder.id, newMessageId(probe.personaAddress ?? mailbox.address));
    if (!claimed) return 'not-needed';
    const message = await reminderMessage(db, probe, claimed, earlier, mailbox, campaign, timing);
    sent = await sendOnce({ message, mailbox, resumed }, timing, log);
  } catch (err) {
    const failure = judgeFailure(err, job);
    if (claimed || failure.final) {
      const status = failure.final ? 'failed' : failure.refused ? 'due' : 'sending';
      await updateReminderStatus(db, reminder.id, { status, error: failure.reason });
    }
    log.warn({ err, final: failure.final }, 'reminder not sent');
    throw failure.rethrow;
  }
  // Should this fail, the reminder stays `sending` and the next attempt finds the Sent copy.
  await inTransaction(db, async () => {
    await updateReminderStatus(db, reminder.id, { status: 'sent', sentAt: sent.sentAt });
    await recomputeOutcome(db, probeId);
  });
  await scheduleNext(deps.queues, campaign, { ...reminder, sentAt: sent.sentAt }, timing);
  return sent.recovered ? 'recovered' : 'sent';
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

/**
 * The reminder as the persona's mail client would write it: `Re:` subject, replying to the
 * last message of the thread (the probe or the previous reminder), with the probe quoted.
 */
async function reminderMessage(
  db: Queryable,
  probe: Probe,
  reminder: Reminder,
  earlier: readonly Reminder[],
  mailbox: SendingMailbox,
  campaign: Campaign,
  timing: Timing,
): Promise<OutgoingMessage> {
  const scenario = probe.scenarioId ? await findScenario(db, probe.scenarioId) : null;
  const brand = await findBrand(db, probe.brandId);
  const language = scenario?.language ?? 'fr';
  const persona = mailbox.persona;
  const from = { name: `${persona.firstName} ${persona.lastName}`, address: probe.personaAddress ?? mailbox.address };
  let text: string;
  try {
    text = scenario?.reminderBody
      ? renderTemplate(scenario.reminderBody, { persona, brand: { name: brand?.name ?? '' } })
      : defaultReminderBody(language, persona);
  } catch (err) {
    if (err instanceof PlanError) throw new UnrecoverableError(`the scenario's reminder text cannot be used: ${err.message}`);
    throw err;
  }
  const thread = [probe.messageId, ...earlier.filter((r) => r.seq < reminder.seq).map((r) => r.messageId)].filter((id): id is string => !!id);
  return {
    from,
    to: probe.recipient!,
    subject: reminderSubject(probe.subject ?? ''),
    text: withQuote(text, { text: probe.body ?? '', sentAt: probe.sentAt!, from }, language, campaign.timezone),
    messageId: reminder.messageId!,
    inReplyTo: thread[thread.length - 1],
    references: thread,
    date: timing.now(),
    envelopeFrom: mailbox.address,
  };
}
