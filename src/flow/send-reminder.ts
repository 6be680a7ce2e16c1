/**
 * Sending one reminder ("relance"), at most once (see `deliver-once.ts`): `reminder.afterHours`
 * after the probe (or after the previous reminder), if the brand has still not answered, a
 * short polite message in the same thread, up to `reminder.max`. An answer that arrives first
 * cancels it, and so does a bounce. A reminder the service cannot write (web form, or an
 * e-mail probe declared without its recipient or subject) is only recorded `due`: an auditor
 * sends it by hand and confirms it through the API. The caller (the send-reminder job) holds
 * the reminder's send lock, queues the next one and retries what failed.
 */
import { delayUntil, hoursAfter, type Timing } from '../clock.ts';
import { PlanError } from '../audit/plan-error.ts';
import { renderTemplate } from '../audit/probe-template.ts';
import { withQuote } from '../audit/quote-format.ts';
import { defaultReminderBody, reminderSubject } from '../audit/reminder-text.ts';
import { findBrand } from '../db/brands.repo.ts';
import { findCampaign, type Campaign } from '../db/campaigns.repo.ts';
import { findPollState } from '../db/folders.repo.ts';
import type { Queryable } from '../db/pool.ts';
import { findProbe, type Probe } from '../db/probes.repo.ts';
import {
  cancelReminder,
  claimReminder,
  ensureReminder,
  listSentReminders,
  reminderObstacle,
  holdReminder,
  updateReminderStatus,
  type Reminder,
} from '../db/reminders.repo.ts';
import { findScenario } from '../db/scenarios.repo.ts';
import type { OutgoingMessage } from '../mail/smtp.ts';
import { deliverOnce, type DeliveryDeps, type SendingMailbox } from './deliver-once.ts';
import { recomputeOutcome } from './recompute-outcome.ts';
import { reminderSentEvent } from '../audit/webhook-events.ts';
import { emitEvents } from './events.ts';
import { PermanentSendError } from './send-failure.ts';

/** How a reminder job ended, for the job's return value and the logs. */
export type ReminderJobResult = 'sent' | 'recovered' | 'due' | 'answered' | 'bounced' | 'cancelled' | 'not-needed' | Reminder['status'];

/**
 * What became of the reminder: done; sent now or by an earlier attempt (the next one is to
 * be queued after `reminder`); or to be tried again at `until`.
 */
export type ReminderSend =
  | { kind: 'done'; result: ReminderJobResult }
  | { kind: 'sent'; result: ReminderJobResult; campaign: Campaign; reminder: Pick<Reminder, 'probeId' | 'seq' | 'sentAt'> }
  | { kind: 'wait'; until: Date; reason: string }
  /** Due, but its mailbox is not read since: the caller asks for a sync of `mailboxId` (when `askSync`) and looks again at `until`. */
  | { kind: 'read-first'; mailboxId: string; askSync: boolean; until: Date; reason: string };

/**
 * How long a reminder waits for its mailbox to be read before it goes out anyway, with a
 * warning: an hour while the mailbox is failing (it shows as failing on the dashboard), six
 * while it works (its sync was asked for and comes in seconds; this only bounds a sync that
 * never ends). Real time, counted from the moment the worker first found the reminder due.
 */
export const READ_WAIT_MS = { failing: 60 * 60_000, working: 6 * 60 * 60_000 } as const;

export async function sendReminder(db: Queryable, probeId: string, seq: number, deps: DeliveryDeps): Promise<ReminderSend> {
  const { timing } = deps;
  const done = (result: ReminderJobResult): ReminderSend => ({ kind: 'done', result });
  const probe = await findProbe(db, probeId);
  if (!probe || probe.status !== 'sent' || !probe.sentAt) return done('not-needed');
  const campaign = (await findCampaign(db, probe.campaignId))!;
  if (seq > campaign.reminder.max) return done('not-needed');
  const earlier = await listSentReminders(db, probeId);
  const anchor = seq === 1 ? probe.sentAt : earlier.find((r) => r.seq === seq - 1)?.sentAt;
  if (!anchor) return done('not-needed');

  const dueAt = hoursAfter(anchor, campaign.reminder.afterHours, timing);
  if (delayUntil(dueAt, timing) > 0) return { kind: 'wait', until: dueAt, reason: `reminder ${seq} of probe ${probeId} is due at ${dueAt.toISOString()}` };
  const reminder = await ensureReminder(db, probeId, seq, dueAt);
  // A retry after the reminder went out finishes what that attempt left undone.
  if (reminder.status === 'sent' && reminder.sentAt) return { kind: 'sent', result: 'sent', campaign, reminder };
  if (reminder.status !== 'due' && reminder.status !== 'sending') return done(reminder.status);
  if (reminder.status === 'due') {
    if (campaign.status === 'closed') {
      await cancelReminder(db, reminder.id);
      return done('cancelled');
    }
    // an answer came first, or the address does not exist: nothing to remind anyone of
    const obstacle = await reminderObstacle(db, probeId);
    if (obstacle) {
      await cancelReminder(db, reminder.id);
      return done(obstacle);
    }
    // The auditor sends it by hand and confirms it; the next one is queued then.
    if (remindedByHand(probe)) return done('due');
    // an answer that came before the due time but is not read yet must cancel it too
    const unread = await waitForRead(db, probe.mailboxId, reminder, deps);
    if (unread) return { ...unread, reason: `reminder ${seq} of probe ${probeId}: ${unread.reason}` };
  }

  const delivery = await deliverOnce<Reminder>(
    db,
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
      hold: (reason) => holdReminder(db, reminder.id, reason),
      setback: (to, failure) =>
        updateReminderStatus(db, reminder.id, { status: to === 'waiting' ? 'due' : to, error: to === 'waiting' && failure.mailboxFault ? null : failure.reason }),
    },
    deps,
  );
  if (delivery.kind === 'taken') return done('not-needed');
  if (delivery.kind === 'mailbox-fault') return { kind: 'wait', until: delivery.retryAt, reason: `mailbox fault: ${delivery.reason}` };
  const { sent } = delivery;
  await emitEvents(deps.events, [reminderSentEvent({ ...probe, probeId: probe.id }, seq, sent.sentAt)], deps.log);
  return { kind: 'sent', result: sent.recovered ? 'recovered' : 'sent', campaign, reminder: { ...reminder, sentAt: sent.sentAt } };
}

/**
 * Whether the reminder must wait for its mailbox to be read, lest an answer not yet read
 * lets it reach a brand that answered: until a sync that started after the worker first
 * found it due (`reminder.createdAt`; both on the real clock, whatever the `Timing`) has
 * succeeded. Not for a disabled mailbox (nothing reads it), nor past `READ_WAIT_MS`.
 */
async function waitForRead(
  db: Queryable,
  mailboxId: string,
  reminder: Pick<Reminder, 'createdAt'>,
  deps: Pick<DeliveryDeps, 'timing' | 'log'>,
): Promise<Extract<ReminderSend, { kind: 'read-first' }> | null> {
  const read = await findPollState(db, mailboxId);
  const since = reminder.createdAt;
  if (!read || (read.readThrough && read.readThrough >= since)) return null;
  const readThrough = read.readThrough?.toISOString() ?? null;
  if (!read.enabled) {
    deps.log.warn({ mailboxId, readThrough }, 'reminder sent without reading its mailbox first: the mailbox is disabled, nothing reads it');
    return null;
  }
  const now = Date.now();
  const waited = now - since.getTime();
  const failing = read.consecutiveFailures > 0;
  if (waited >= (failing ? READ_WAIT_MS.failing : READ_WAIT_MS.working)) {
    deps.log.warn({ mailboxId, readThrough, waitedMinutes: Math.round(waited / 60_000), failing }, 'reminder sent although its mailbox could not be read since it came due: an unread answer would not have cancelled it');
    return null;
  }
  // quick at first (a sync takes seconds), then sparser while the mailbox stays unread; with
  // hours shortened (`sonde demo`), quicker still, so the wait stays a small part of an hour
  const recheckMs = Math.min(30_000, Math.max(Math.min(2_000, deps.timing.msPerHour / 10), waited / 4));
  return {
    kind: 'read-first',
    mailboxId,
    // a mailbox in backoff would skip the sync: asking again would only pile up jobs
    askSync: !(read.nextPollAt && read.nextPollAt.getTime() > now),
    until: new Date(deps.timing.now().getTime() + recheckMs),
    reason: `waits for its mailbox to be read (read through ${readThrough ?? 'never'}, due since ${since.toISOString()})`,
  };
}

/**
 * The reminders an auditor sends by hand and confirms: those of a web-form probe, and those
 * of an e-mail probe declared without the recipient or subject its thread needs.
 */
export function remindedByHand(probe: Pick<Probe, 'channel' | 'recipient' | 'subject'>): boolean {
  return probe.channel === 'webform' || !probe.recipient || !probe.subject;
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
    if (err instanceof PlanError) throw new PermanentSendError(`the scenario's reminder text cannot be used: ${err.message}`);
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
