/**
 * The "relance": `reminder.afterHours` after a probe (or after the previous reminder), if the
 * brand has still not answered, a short polite message in the same thread, up to
 * `reminder.max`. An answer that arrives first cancels it, and so does a bounce. A reminder
 * the service cannot write (web form, or an e-mail probe declared without its recipient or
 * subject) is only recorded `due`: an auditor sends it by hand and confirms it through the API.
 */
import { UnrecoverableError, type Processor } from 'bullmq';
import { PlanError } from '../audit/plan-error.ts';
import { defaultReminderBody, reminderSubject } from '../audit/reminder-text.ts';
import { renderTemplate } from '../audit/probe-template.ts';
import { withQuote } from '../audit/quote-format.ts';
import { findBrand } from '../db/brands.repo.ts';
import { cancelReminder, claimReminder, ensureReminder, failReminder, listSentReminders, reminderObstacle, updateReminderStatus, type Reminder } from '../db/reminders.repo.ts';
import { withAdvisoryLock } from '../db/advisory-lock.ts';
import { findCampaign, type Campaign } from '../db/campaigns.repo.ts';
import type { Queryable } from '../db/pool.ts';
import { findProbe, type Probe } from '../db/probes.repo.ts';
import { findScenario } from '../db/scenarios.repo.ts';
import { recomputeOutcome } from '../flow/recompute-outcome.ts';
import type { Logger } from '../logger.ts';
import type { OutgoingMessage } from '../mail/smtp.ts';
import {
  BUSY_WAIT_HOURS,
  SYSTEM_TIMING,
  delayUntil,
  deliverOnce,
  hoursAfter,
  recordFinalFailure,
  waitThenRetry,
  type JobRun,
  type SendingMailbox,
  type Timing,
} from './delivery.ts';
import type { ProcessorDeps } from './processors.ts';
import { jobIds, type Queues, type SendReminderJob } from './queues.ts';

/** How a reminder job ended, for the job's return value and the logs. */
export type ReminderJobResult = 'sent' | 'recovered' | 'due' | 'answered' | 'bounced' | 'cancelled' | 'not-needed' | Reminder['status'];

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
    const run: JobRun = { job, token };
    try {
      const done = await withAdvisoryLock(deps.pool, `reminder:${probeId}:${seq}`, (db) => remind(db, run, probeId, seq, deps, timing, log));
      // Another worker is sending it: look again in a minute, without spending an attempt.
      if (!done.locked) return await waitThenRetry(run, delayUntil(hoursAfter(timing.now(), BUSY_WAIT_HOURS, timing), timing), `reminder ${seq} of probe ${probeId} is being sent by another worker`);
      log.info({ result: done.value }, 'reminder job done');
      return done.value;
    } catch (err) {
      await recordFinalFailure(err, job, (reason) => failReminder(deps.pool, probeId, seq, reason), log);
      throw err;
    }
  };
}

async function remind(db: Queryable, run: JobRun, probeId: string, seq: number, deps: ProcessorDeps, timing: Timing, log: Logger): Promise<ReminderJobResult> {
  const probe = await findProbe(db, probeId);
  if (!probe || probe.status !== 'sent' || !probe.sentAt) return 'not-needed';
  const campaign = (await findCampaign(db, probe.campaignId))!;
  if (seq > campaign.reminder.max) return 'not-needed';
  const earlier = await listSentReminders(db, probeId);
  const anchor = seq === 1 ? probe.sentAt : earlier.find((r) => r.seq === seq - 1)?.sentAt;
  if (!anchor) return 'not-needed';

  const dueAt = hoursAfter(anchor, campaign.reminder.afterHours, timing);
  const early = delayUntil(dueAt, timing);
  if (early > 0) return waitThenRetry(run, early, `reminder ${seq} of probe ${probeId} is due at ${dueAt.toISOString()}`);
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
    // an answer came first, or the address does not exist: nothing to remind anyone of
    const obstacle = await reminderObstacle(db, probeId);
    if (obstacle) {
      await cancelReminder(db, reminder.id);
      return obstacle;
    }
    // The auditor sends it by hand and confirms it; the next one is queued then.
    if (remindedByHand(probe)) return 'due';
  }

  const sent = await deliverOnce<Reminder>(
    db,
    deps.secretBox,
    {
      mailboxId: probe.mailboxId,
      personaAddress: probe.personaAddress,
      resumed: reminder.status === 'sending' ? reminder : null,
      claim: (messageId) => claimReminder(db, reminder.id, messageId),
      compose: (claimed, mailbox) => reminderMessage(db, probe, claimed, earlier, mailbox, campaign, timing),
      record: async (accepted) => {
        await updateReminderStatus(db, reminder.id, { status: 'sent', sentAt: accepted.sentAt });
        await recomputeOutcome(db, probeId);
      },
      setback: (to, failure) =>
        updateReminderStatus(db, reminder.id, { status: to === 'waiting' ? 'due' : to, error: to === 'waiting' && failure.mailboxFault ? null : failure.reason }),
    },
    run,
    timing,
    log,
  );
  if (!sent) return 'not-needed';
  await scheduleNext(deps.queues, campaign, { ...reminder, sentAt: sent.sentAt }, timing);
  return sent.recovered ? 'recovered' : 'sent';
}

/**
 * The reminders an auditor sends by hand and confirms: those of a web-form probe, and those
 * of an e-mail probe declared without the recipient or subject its thread needs.
 */
export function remindedByHand(probe: Pick<Probe, 'channel' | 'recipient' | 'subject'>): boolean {
  return probe.channel === 'webform' || !probe.recipient || !probe.subject;
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
    // a probe declared without its text (sent outside the service) is not quoted
    text: probe.body ? withQuote(text, { text: probe.body, sentAt: probe.sentAt!, from }, language, campaign.timezone) : text,
    messageId: reminder.messageId!,
    inReplyTo: thread[thread.length - 1],
    references: thread,
    date: timing.now(),
    envelopeFrom: mailbox.address,
  };
}
