/**
 * The webhook events each flow reports, built from what the flow knows: pure, so the
 * decision (is this a new first answer? a transition of the mailbox's state?) is tested
 * without a queue. Ids are name-based (`eventId`): the same fact always gets the same id.
 */
import { eventId, type CampaignEvent, type MailboxEvent, type ProbeEvent, type ProbeSubject } from './webhook-payload.ts';

export interface ProbeKeys {
  probeId: string;
  brandId: string;
  campaignId: string;
  mailboxId: string;
  sentAt: Date | null;
}

/** What the outcome said before a recompute, and what it says now. */
export interface OutcomeChange {
  before: { answerReplyId: string | null; acknowledgedAt: Date | null } | null;
  after: {
    answerReplyId: string | null;
    answeredAt: Date | null;
    delayHours: number | null;
    businessDelayHours: number | null;
    acknowledgedAt: Date | null;
    ackDelayHours: number | null;
  };
}

const hoursBetween = (from: Date | null, to: Date) => (from ? Math.round(((to.getTime() - from.getTime()) / 3_600_000) * 100) / 100 : null);
const round2 = (h: number | null) => (h === null ? null : Math.round(h * 100) / 100);

function subject(keys: ProbeKeys, extra: Partial<ProbeSubject> & { delayHours: number | null }): ProbeSubject {
  return { probeId: keys.probeId, brandId: keys.brandId, campaignId: keys.campaignId, mailboxId: keys.mailboxId, sentAt: keys.sentAt?.toISOString() ?? null, ...extra };
}

/** `answer.received` when the first answer is new (or another reply became it), `acknowledgement.received` for a first receipt. */
export function outcomeEvents(keys: ProbeKeys, change: OutcomeChange): ProbeEvent[] {
  const { before, after } = change;
  const events: ProbeEvent[] = [];
  if (after.answerReplyId && after.answeredAt && after.answerReplyId !== before?.answerReplyId) {
    events.push({
      id: eventId('answer.received', keys.probeId, after.answerReplyId),
      type: 'answer.received',
      occurredAt: after.answeredAt.toISOString(),
      probe: subject(keys, { replyId: after.answerReplyId, delayHours: round2(after.delayHours), businessDelayHours: round2(after.businessDelayHours) }),
    });
  }
  if (after.acknowledgedAt && !before?.acknowledgedAt) {
    events.push({
      id: eventId('acknowledgement.received', keys.probeId, after.acknowledgedAt.toISOString()),
      type: 'acknowledgement.received',
      occurredAt: after.acknowledgedAt.toISOString(),
      probe: subject(keys, { delayHours: round2(after.ackDelayHours) }),
    });
  }
  return events;
}

export function reminderSentEvent(keys: ProbeKeys, seq: number, sentAt: Date): ProbeEvent {
  return {
    id: eventId('reminder.sent', keys.probeId, seq),
    type: 'reminder.sent',
    occurredAt: sentAt.toISOString(),
    probe: subject(keys, { reminderSeq: seq, delayHours: hoursBetween(keys.sentAt, sentAt) }),
  };
}

/** `probe.overdue`: the norm passed with no answer; `now` gives the hours elapsed so far. */
export function probeOverdueEvent(keys: ProbeKeys & { sentAt: Date }, normHours: number, now: Date): ProbeEvent {
  return {
    id: eventId('probe.overdue', keys.probeId, normHours),
    type: 'probe.overdue',
    occurredAt: new Date(keys.sentAt.getTime() + normHours * 3_600_000).toISOString(),
    probe: subject(keys, { normHours, delayHours: hoursBetween(keys.sentAt, now) }),
  };
}

/**
 * `mailbox.failing` when a mailbox that worked fails, `mailbox.recovered` when one that
 * failed works again; nothing while its state stays the same (every failed poll of a
 * failing mailbox is not news).
 */
export function mailboxTransitionEvent(
  mailboxId: string,
  channel: 'imap' | 'smtp',
  state: { wasFailing: boolean; error: string | null },
  at: Date,
): MailboxEvent | null {
  const failing = state.error !== null;
  if (failing === state.wasFailing) return null;
  const type = failing ? 'mailbox.failing' : 'mailbox.recovered';
  return { id: eventId(type, mailboxId, channel, at.toISOString()), type, occurredAt: at.toISOString(), mailbox: { mailboxId, channel, error: state.error } };
}

export function campaignClosedEvent(campaign: { id: string; status: string; closedAt: Date }): CampaignEvent {
  return {
    id: eventId('campaign.closed', campaign.id, campaign.closedAt.toISOString()),
    type: 'campaign.closed',
    occurredAt: campaign.closedAt.toISOString(),
    campaign: { campaignId: campaign.id, status: campaign.status },
  };
}
