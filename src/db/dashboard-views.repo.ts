/**
 * Reads the dashboard's pages need beyond the API's: a brand's probes in a campaign with
 * their threads and reminders, and the probes an unmatched message most likely answers.
 */
import type { ProbeStatus } from './probes.repo.ts';
import type { MessageKind } from './messages.repo.ts';
import type { Queryable } from './pool.ts';

export interface ProbeLine {
  id: string;
  status: ProbeStatus;
  channel: 'email' | 'webform';
  recipient: string | null;
  subject: string | null;
  scheduledAt: Date | null;
  sentAt: Date | null;
  scenarioName: string | null;
  mailboxLabel: string;
  error: string | null;
}

/** A brand's probes in a campaign, in sending order (the planned ones last, by schedule). */
export async function listBrandProbes(db: Queryable, campaignId: string, brandId: string, limit = 500): Promise<ProbeLine[]> {
  const { rows } = await db.query<{
    id: string;
    status: ProbeStatus;
    channel: 'email' | 'webform';
    recipient: string | null;
    subject: string | null;
    scheduled_at: Date | null;
    sent_at: Date | null;
    scenario_name: string | null;
    mailbox_label: string;
    error: string | null;
  }>(
    `select p.id, p.status, p.channel, p.recipient, p.subject, p.scheduled_at, p.sent_at, p.error,
            s.name as scenario_name, mb.label as mailbox_label
       from probes p
       join mailboxes mb on mb.id = p.mailbox_id
       left join scenarios s on s.id = p.scenario_id
      where p.campaign_id = $1 and p.brand_id = $2
      order by p.sent_at nulls last, p.scheduled_at nulls last, p.id
      limit $3`,
    [campaignId, brandId, limit],
  );
  return rows.map((r) => ({
    id: r.id,
    status: r.status,
    channel: r.channel,
    recipient: r.recipient,
    subject: r.subject,
    scheduledAt: r.scheduled_at,
    sentAt: r.sent_at,
    scenarioName: r.scenario_name,
    mailboxLabel: r.mailbox_label,
    error: r.error,
  }));
}

export interface ThreadReply {
  id: string;
  probeId: string;
  kind: MessageKind;
  receivedAt: Date;
  delayHours: number | null;
  late: boolean;
  subject: string | null;
  from: string | null;
}

/** The replies of several probes, in arrival order. */
export async function listProbeReplies(db: Queryable, probeIds: readonly string[]): Promise<ThreadReply[]> {
  if (probeIds.length === 0) return [];
  const { rows } = await db.query<{
    id: string;
    probe_id: string;
    kind: MessageKind;
    received_at: Date;
    delay_hours: number | null;
    late: boolean;
    subject: string | null;
    from_address: string | null;
  }>(
    `select r.id, r.probe_id, r.kind, r.received_at, r.delay_hours, r.late, m.subject, m.from_address
       from replies r join messages m on m.id = r.id
      where r.probe_id = any ($1::uuid[])
      order by r.received_at, r.id`,
    [probeIds],
  );
  return rows.map((r) => ({
    id: r.id,
    probeId: r.probe_id,
    kind: r.kind,
    receivedAt: r.received_at,
    delayHours: r.delay_hours,
    late: r.late,
    subject: r.subject,
    from: r.from_address,
  }));
}

export interface ReminderLine {
  probeId: string;
  seq: number;
  status: string;
  dueAt: Date;
  sentAt: Date | null;
}

export async function listProbeReminders(db: Queryable, probeIds: readonly string[]): Promise<ReminderLine[]> {
  if (probeIds.length === 0) return [];
  const { rows } = await db.query<{ probe_id: string; seq: number; status: string; due_at: Date; sent_at: Date | null }>(
    'select probe_id, seq, status, due_at, sent_at from reminders where probe_id = any ($1::uuid[]) order by probe_id, seq',
    [probeIds],
  );
  return rows.map((r) => ({ probeId: r.probe_id, seq: r.seq, status: r.status, dueAt: r.due_at, sentAt: r.sent_at }));
}

export interface LikelyProbe {
  messageId: string;
  probeId: string;
  brandName: string;
  campaignName: string;
  subject: string | null;
  sentAt: Date;
  /** The sender's domain is one the brand answers from. */
  domainMatch: boolean;
}

/**
 * For each unmatched message, the probes of its mailbox that it may answer, most likely
 * first: those whose brand answers from the sender's domain, then the latest sent before the
 * message arrived (five minutes of clock skew allowed).
 */
export async function listLikelyProbes(db: Queryable, messageIds: readonly string[], perMessage = 3): Promise<LikelyProbe[]> {
  if (messageIds.length === 0) return [];
  const { rows } = await db.query<{
    message_id: string;
    probe_id: string;
    brand_name: string;
    campaign_name: string;
    subject: string | null;
    sent_at: Date;
    domain_match: boolean;
  }>(
    `select m.id as message_id, c.probe_id, c.brand_name, c.campaign_name, c.subject, c.sent_at, c.domain_match
       from messages m
       cross join lateral (
         select p.id as probe_id, b.name as brand_name, ca.name as campaign_name, p.subject, p.sent_at,
                exists (select 1 from unnest(b.sender_domains) d
                         where lower(split_part(m.from_address, '@', 2)) = lower(d)
                            or lower(split_part(m.from_address, '@', 2)) like '%.' || lower(d)) as domain_match
           from probes p
           join brands b on b.id = p.brand_id
           join campaigns ca on ca.id = p.campaign_id
          where p.mailbox_id = m.mailbox_id and p.sent_at is not null and p.sent_at <= m.received_at + interval '5 minutes'
          order by domain_match desc, p.sent_at desc
          limit $2
       ) c
      where m.id = any ($1::uuid[])
      order by m.id, c.domain_match desc, c.sent_at desc`,
    [messageIds, perMessage],
  );
  return rows.map((r) => ({
    messageId: r.message_id,
    probeId: r.probe_id,
    brandName: r.brand_name,
    campaignName: r.campaign_name,
    subject: r.subject,
    sentAt: r.sent_at,
    domainMatch: r.domain_match,
  }));
}
