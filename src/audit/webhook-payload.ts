/**
 * Webhook events as receivers see them: the event shapes, their stable ids, the body
 * of a delivery (`json`, or `slack`: a `{ "text": ... }` that Slack and Teams incoming
 * webhooks accept), its signature, and the retry schedule. Pure: no clock, no I/O.
 *
 * Signature scheme (documented in the README): with `t` the Unix time in seconds of the
 * attempt, sent as `X-Sonde-Timestamp: t`, the header `X-Sonde-Signature` is
 * `sha256=` + hex(HMAC-SHA256(secret, t + "." + raw body)). A receiver recomputes it
 * over the raw bytes it received, compares in constant time, and rejects a timestamp
 * older than a few minutes (a replay).
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

export const WEBHOOK_EVENT_TYPES = [
  'answer.received',
  'acknowledgement.received',
  'probe.overdue',
  'reminder.sent',
  'mailbox.failing',
  'mailbox.recovered',
  'campaign.closed',
] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

export const WEBHOOK_FORMATS = ['json', 'slack'] as const;
export type WebhookFormat = (typeof WEBHOOK_FORMATS)[number];

export interface ProbeSubject {
  probeId: string;
  brandId: string;
  campaignId: string;
  mailboxId: string;
  /** The probe's sending time (ISO 8601), null for a probe not sent yet. */
  sentAt: string | null;
  /** Hours from the sending to what the event is about: the answer, the receipt, the reminder, now (overdue). */
  delayHours: number | null;
  businessDelayHours?: number | null;
  /** The reply the event is about (answer, acknowledgement). */
  replyId?: string;
  /** The norm passed without an answer (probe.overdue). */
  normHours?: number;
  /** The reminder's number in the thread (reminder.sent). */
  reminderSeq?: number;
  brandName?: string;
  campaignName?: string;
}

export interface MailboxSubject {
  mailboxId: string;
  label?: string;
  address?: string;
  /** `imap` for the sync (and the OAuth2 token refresh of its login), `smtp` for sending. */
  channel: 'imap' | 'smtp';
  /** What went wrong, in plain words; null on recovery. Never a password or a token. */
  error: string | null;
}

export interface CampaignSubject {
  campaignId: string;
  name?: string;
  status: string;
}

interface EventBase {
  /** Unique per event and the same on every retry of its deliveries. */
  id: string;
  occurredAt: string;
}
export type ProbeEvent = EventBase & { type: 'answer.received' | 'acknowledgement.received' | 'probe.overdue' | 'reminder.sent'; probe: ProbeSubject };
export type MailboxEvent = EventBase & { type: 'mailbox.failing' | 'mailbox.recovered'; mailbox: MailboxSubject };
export type CampaignEvent = EventBase & { type: 'campaign.closed'; campaign: CampaignSubject };
export type WebhookEvent = ProbeEvent | MailboxEvent | CampaignEvent;

/**
 * A stable event id from what identifies the event (its type and subject): the same
 * fact found twice (a recompute run again) gives the same id, which the queue absorbs.
 * Shaped as a UUID (version 8, name-based).
 */
export function eventId(...parts: Array<string | number>): string {
  const hex = createHash('sha256').update(parts.join('\u0000')).digest('hex').slice(0, 32).split('');
  hex[12] = '8';
  hex[16] = ((parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16);
  const h = hex.join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** The raw body of a delivery: signed as is, sent as is. */
export function renderBody(event: WebhookEvent, format: WebhookFormat): string {
  return format === 'slack' ? JSON.stringify({ text: slackText(event) }) : JSON.stringify(event);
}

/** One line for a chat channel (Slack mrkdwn; Teams shows it as plain text). */
export function slackText(event: WebhookEvent): string {
  const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  const hours = (h: number | null | undefined) => (h === null || h === undefined ? 'an unknown time' : `${h.toFixed(1)} h`);
  switch (event.type) {
    case 'answer.received':
    case 'acknowledgement.received':
    case 'probe.overdue':
    case 'reminder.sent': {
      const p = event.probe;
      const brand = esc(p.brandName ?? `brand ${p.brandId}`);
      const where = ` (campaign ${esc(p.campaignName ?? p.campaignId)}, probe ${p.probeId})`;
      if (event.type === 'answer.received') return `Sonde: ${brand} answered after ${hours(p.delayHours)}${where}`;
      if (event.type === 'acknowledgement.received') return `Sonde: ${brand} sent an acknowledgement after ${hours(p.delayHours)}${where}`;
      if (event.type === 'probe.overdue') return `Sonde: no answer from ${brand} ${p.normHours ?? '?'} h after the probe was sent${where}`;
      return `Sonde: reminder${p.reminderSeq ? ` ${p.reminderSeq}` : ''} sent to ${brand}, ${hours(p.delayHours)} after the probe${where}`;
    }
    case 'mailbox.failing':
    case 'mailbox.recovered': {
      const m = event.mailbox;
      const name = esc(m.label ? `${m.label}${m.address ? ` <${m.address}>` : ''}` : `mailbox ${m.mailboxId}`);
      const what = m.channel === 'smtp' ? 'sending' : 'sync';
      return event.type === 'mailbox.failing'
        ? `Sonde: ${name}: ${what} is failing: ${esc(m.error ?? 'unknown error')}`
        : `Sonde: ${name}: ${what} works again`;
    }
    case 'campaign.closed':
      return `Sonde: campaign ${esc(event.campaign.name ?? event.campaign.campaignId)} is closed`;
  }
}

export const SIGNATURE_HEADER = 'x-sonde-signature';
export const TIMESTAMP_HEADER = 'x-sonde-timestamp';

/** `sha256=<hex HMAC-SHA256 of "<timestamp>.<raw body>" with the secret>`. */
export function signBody(secret: string, timestamp: number, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/** What a receiver does; exported for receivers written in TypeScript. */
export function verifySignature(input: {
  secret: string;
  body: string;
  timestamp: string | undefined;
  signature: string | undefined;
  nowSeconds: number;
  toleranceSeconds?: number;
}): boolean {
  const t = Number(input.timestamp);
  if (!Number.isInteger(t) || !input.signature) return false;
  if (Math.abs(input.nowSeconds - t) > (input.toleranceSeconds ?? 300)) return false;
  const expected = Buffer.from(signBody(input.secret, t, input.body));
  const given = Buffer.from(input.signature);
  return expected.length === given.length && timingSafeEqual(expected, given);
}

/**
 * Attempts of one delivery before it is given up: with the default base of one minute,
 * waits of 1, 2, 4 … 256 minutes, then 6 hours four times: 32.5 hours in all.
 */
export const WEBHOOK_MAX_ATTEMPTS = 14;
/** The longest wait between two attempts, in units of the base (6 h for a one-minute base). */
const MAX_WAIT_IN_BASES = 360;

/** Wait before attempt `attempt + 1` after attempt `attempt` (from 1) failed; null when none is left. */
export function webhookRetryDelayMs(attempt: number, baseMs: number): number | null {
  if (attempt >= WEBHOOK_MAX_ATTEMPTS) return null;
  return baseMs * Math.min(2 ** (Math.max(1, attempt) - 1), MAX_WAIT_IN_BASES);
}
