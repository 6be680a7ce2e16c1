/**
 * A probe's outcome from its replies: first acknowledgement, first answer, delays against
 * the campaign's norms, reminders, follow-ups. Recomputed from scratch whenever a reply
 * arrives or is reassigned, so it holds no state of its own.
 */
import { businessHours, calendarHours, withinNorms, type OpeningHours } from './timing.ts';

export type ReplyKind = 'answer' | 'acknowledgement' | 'bounce' | 'follow_up' | 'unknown';

export interface OutcomeProbe {
  /** SMTP acceptance or declared web-form time; null while unsent. */
  sentAt: Date | null;
  reminders: { sentAt: Date }[];
}

export interface OutcomeReply {
  id: string;
  kind: ReplyKind;
  /** IMAP INTERNALDATE. */
  receivedAt: Date;
}

export interface OutcomeCampaign {
  norms: readonly number[];
  businessHours: OpeningHours;
  timezone: string;
  /** Replies received after it are shown but never counted: the campaign's figures are frozen. */
  closedAt?: Date | null;
}

export interface Outcome {
  acknowledgedAt: Date | null;
  ackDelayHours: number | null;
  answeredAt: Date | null;
  answerReplyId: string | null;
  delayHours: number | null;
  businessDelayHours: number | null;
  withinNorms: Record<string, boolean>;
  remindersSent: number;
  /** The first answer came after the first reminder was sent. */
  answeredAfterReminder: boolean;
  /** Brand messages after the first answer (second answer, satisfaction survey, closing notice). */
  followUps: number;
  bounced: boolean;
  /** Replies received after the campaign closed, left out of every figure above. */
  lateReplyIds: string[];
}

/**
 * The final kind of each reply of one thread, given the classifier's kinds in arrival order.
 * Only the first answer is the answer: whatever the brand sends after it, another answer or an
 * automatic message (a satisfaction survey reads like a receipt), is a follow-up. Bounces and
 * unknown messages keep their kind; a `follow_up` before any answer stays one and counts nowhere.
 */
export function threadKinds(replies: readonly Pick<OutcomeReply, 'id' | 'kind'>[]): Map<string, ReplyKind> {
  const kinds = new Map<string, ReplyKind>();
  let answered = false;
  for (const { id, kind } of replies) {
    const afterAnswer = answered && (kind === 'answer' || kind === 'acknowledgement');
    kinds.set(id, afterAnswer ? 'follow_up' : kind);
    if (kind === 'answer') answered = true;
  }
  return kinds;
}

/**
 * Delays run from the probe's `sentAt` to the reply's `receivedAt`; a reply stamped a little
 * before the probe (two servers' clocks, a web-form time declared late) counts as immediate.
 * Norms are met on calendar time; business time is given beside it.
 */
export function computeOutcome(
  probe: OutcomeProbe,
  replies: readonly OutcomeReply[],
  campaign: OutcomeCampaign,
): Outcome {
  const closedAt = campaign.closedAt?.getTime() ?? Number.POSITIVE_INFINITY;
  const inTime = byArrival(replies.filter((r) => r.receivedAt.getTime() <= closedAt));
  const lateReplyIds = byArrival(replies.filter((r) => r.receivedAt.getTime() > closedAt)).map((r) => r.id);
  const kinds = threadKinds(inTime);
  const thread = inTime.map((reply) => ({ ...reply, kind: kinds.get(reply.id) ?? reply.kind }));

  const answerIndex = thread.findIndex((r) => r.kind === 'answer');
  const answer = thread[answerIndex] ?? null;
  const acknowledgement = thread.find((r) => r.kind === 'acknowledgement') ?? null;
  const reminders = probe.reminders
    .map((r) => r.sentAt.getTime())
    .filter((sentAt) => sentAt <= closedAt)
    .sort((a, b) => a - b);
  const firstReminder = reminders[0] ?? null;

  const answerDelay = answer ? replyDelay(probe.sentAt, answer.receivedAt, campaign) : null;
  const delayHours = answerDelay?.delayHours ?? null;
  return {
    acknowledgedAt: acknowledgement?.receivedAt ?? null,
    ackDelayHours: acknowledgement ? replyDelay(probe.sentAt, acknowledgement.receivedAt, campaign).delayHours : null,
    answeredAt: answer?.receivedAt ?? null,
    answerReplyId: answer?.id ?? null,
    delayHours,
    businessDelayHours: answerDelay?.businessDelayHours ?? null,
    withinNorms: withinNorms(delayHours, campaign.norms),
    remindersSent: reminders.length,
    answeredAfterReminder: answer !== null && firstReminder !== null && answer.receivedAt.getTime() > firstReminder,
    followUps: answer ? thread.slice(answerIndex + 1).filter((r) => r.kind === 'follow_up').length : 0,
    bounced: thread.some((r) => r.kind === 'bounce'),
    lateReplyIds,
  };
}

/** Replies by arrival; equal times keep their given order. */
function byArrival(replies: readonly OutcomeReply[]): OutcomeReply[] {
  return [...replies].sort((a, b) => a.receivedAt.getTime() - b.receivedAt.getTime());
}

/**
 * A reply's delay from the probe's `sentAt` (null while unsent): calendar hours, a reply
 * stamped before the probe counting as immediate, and business hours of the campaign.
 */
export function replyDelay(
  sentAt: Date | null,
  receivedAt: Date,
  campaign: Pick<OutcomeCampaign, 'businessHours' | 'timezone'>,
): { delayHours: number | null; businessDelayHours: number | null } {
  if (!sentAt) return { delayHours: null, businessDelayHours: null };
  return {
    delayHours: Math.max(0, calendarHours(sentAt, receivedAt)),
    businessDelayHours: businessHours(sentAt, receivedAt, { ...campaign.businessHours, timezone: campaign.timezone }),
  };
}
