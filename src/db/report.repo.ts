/**
 * What a campaign report reads besides the statistics: the campaign's brands, scenarios and
 * mailboxes, every probe with its outcome, every reply with its message, the reminders and
 * the latest analyses. Each query takes the whole campaign (or one brand of it) at once.
 */
import type { Outcome } from '../audit/outcome.ts';
import type { Queryable } from './pool.ts';
import type { MessageKind } from './messages.repo.ts';
import type { ReplyView } from './reply-views.repo.ts';

export interface ReportBrand {
  id: string;
  name: string;
  sectorId: string;
  sectorName: string;
}

export async function listReportBrands(db: Queryable, campaignId: string): Promise<ReportBrand[]> {
  const { rows } = await db.query<{ id: string; name: string; sector_id: string; sector_name: string }>(
    `select b.id, b.name, s.id as sector_id, s.name as sector_name
       from campaign_brands cb join brands b on b.id = cb.brand_id join sectors s on s.id = b.sector_id
      where cb.campaign_id = $1
      order by s.name, b.name`,
    [campaignId],
  );
  return rows.map((r) => ({ id: r.id, name: r.name, sectorId: r.sector_id, sectorName: r.sector_name }));
}

export interface ReportScenario {
  id: string;
  name: string;
  language: string;
  subject: string;
  expectedPoints: number;
}

export async function listReportScenarios(db: Queryable, campaignId: string): Promise<ReportScenario[]> {
  const { rows } = await db.query<{ id: string; name: string; language: string; subject: string; expected_points: number }>(
    `select s.id, s.name, s.language, s.subject, jsonb_array_length(s.expected_points) as expected_points
       from campaign_scenarios cs join scenarios s on s.id = cs.scenario_id
      where cs.campaign_id = $1 order by s.name`,
    [campaignId],
  );
  return rows.map((r) => ({ id: r.id, name: r.name, language: r.language, subject: r.subject, expectedPoints: r.expected_points }));
}

export interface ReportMailbox {
  id: string;
  address: string;
  persona: string;
}

export async function listReportMailboxes(db: Queryable, campaignId: string): Promise<ReportMailbox[]> {
  const { rows } = await db.query<{ id: string; address: string; persona: string }>(
    `select m.id, m.address, pe.first_name || ' ' || pe.last_name as persona
       from campaign_mailboxes cm join mailboxes m on m.id = cm.mailbox_id join personas pe on pe.id = m.persona_id
      where cm.campaign_id = $1 order by m.address`,
    [campaignId],
  );
  return rows;
}

export interface ReportProbe {
  id: string;
  brandId: string;
  channel: string;
  status: string;
  recipient: string | null;
  personaAddress: string | null;
  subject: string | null;
  scheduledAt: Date | null;
  sentAt: Date | null;
  smtpResponse: string | null;
  /** Held for an auditor since then (an interrupted send with no evidence), with why; null otherwise. */
  heldAt: Date | null;
  heldReason: string | null;
  scenarioName: string | null;
  persona: string;
  mailboxAddress: string;
  /** The probe's outcome as stored (audit/outcome.ts's shape, without the late replies), with its score. */
  outcome: (Omit<Outcome, 'lateReplyIds'> & { score: number | null }) | null;
}

interface ProbeRow {
  id: string;
  brand_id: string;
  channel: string;
  status: string;
  recipient: string | null;
  persona_address: string | null;
  subject: string | null;
  scheduled_at: Date | null;
  sent_at: Date | null;
  smtp_response: string | null;
  held_at: Date | null;
  error: string | null;
  scenario_name: string | null;
  persona: string;
  mailbox_address: string;
  has_outcome: boolean;
  acknowledged_at: Date | null;
  ack_delay_hours: number | null;
  answered_at: Date | null;
  answer_reply_id: string | null;
  delay_hours: number | null;
  business_delay_hours: number | null;
  within_norms: Record<string, boolean> | null;
  reminders_sent: number | null;
  answered_after_reminder: boolean | null;
  follow_ups: number | null;
  bounced: boolean | null;
  score: number | null;
}

/** The campaign's probes (of one brand when `brandId` is given), each brand's in the order they were sent. */
export async function listReportProbes(db: Queryable, campaignId: string, brandId: string | null): Promise<ReportProbe[]> {
  const { rows } = await db.query<ProbeRow>(
    `select p.id, p.brand_id, p.channel, p.status, p.recipient, p.persona_address, p.subject, p.scheduled_at, p.sent_at,
            p.smtp_response, p.held_at, p.error, s.name as scenario_name, pe.first_name || ' ' || pe.last_name as persona, m.address as mailbox_address,
            o.probe_id is not null as has_outcome, o.acknowledged_at, o.ack_delay_hours, o.answered_at, o.answer_reply_id,
            o.delay_hours, o.business_delay_hours, o.within_norms, o.reminders_sent, o.answered_after_reminder,
            o.follow_ups, o.bounced, o.score
       from probes p
       join mailboxes m on m.id = p.mailbox_id
       join personas pe on pe.id = m.persona_id
       left join scenarios s on s.id = p.scenario_id
       left join outcomes o on o.probe_id = p.id
      where p.campaign_id = $1 and ($2::uuid is null or p.brand_id = $2) and p.status <> 'cancelled'
      order by p.brand_id, coalesce(p.sent_at, p.scheduled_at) nulls last, p.created_at, p.id`,
    [campaignId, brandId],
  );
  return rows.map((r) => ({
    id: r.id,
    brandId: r.brand_id,
    channel: r.channel,
    status: r.status,
    recipient: r.recipient,
    personaAddress: r.persona_address,
    subject: r.subject,
    scheduledAt: r.scheduled_at,
    sentAt: r.sent_at,
    smtpResponse: r.smtp_response,
    heldAt: r.held_at,
    heldReason: r.held_at ? r.error : null,
    scenarioName: r.scenario_name,
    persona: r.persona,
    mailboxAddress: r.mailbox_address,
    outcome: r.has_outcome
      ? {
          acknowledgedAt: r.acknowledged_at,
          ackDelayHours: r.ack_delay_hours,
          answeredAt: r.answered_at,
          answerReplyId: r.answer_reply_id,
          delayHours: r.delay_hours,
          businessDelayHours: r.business_delay_hours,
          withinNorms: r.within_norms ?? {},
          remindersSent: r.reminders_sent ?? 0,
          answeredAfterReminder: r.answered_after_reminder ?? false,
          followUps: r.follow_ups ?? 0,
          bounced: r.bounced ?? false,
          score: r.score,
        }
      : null,
  }));
}

/** A reply's figures (as `/v1/replies/:id` has them) with what the report shows of its message. */
export interface ReportReply extends ReplyView {
  fromAddress: string | null;
  fromName: string | null;
  subject: string | null;
  dateHeader: Date | null;
  replyText: string | null;
  signature: string | null;
  language: string | null;
  sourceSha256: string;
  size: number;
  sourceGz: Buffer | null;
}

/** Replies of these probes in the order they arrived, with their messages and raw sources. */
export async function listReportReplies(db: Queryable, probeIds: readonly string[]): Promise<ReportReply[]> {
  if (probeIds.length === 0) return [];
  const { rows } = await db.query<{
    id: string;
    probe_id: string;
    kind: MessageKind;
    received_at: Date;
    delay_hours: number | null;
    business_delay_hours: number | null;
    late: boolean;
    from_address: string | null;
    from_name: string | null;
    subject: string | null;
    date_header: Date | null;
    reply_text: string | null;
    signature: string | null;
    language: string | null;
    source_sha256: string;
    size: number;
    source_gz: Buffer | null;
  }>(
    `select r.id, r.probe_id, r.kind, r.received_at, r.delay_hours, r.business_delay_hours, r.late,
            m.from_address, m.from_name, m.subject, m.date_header, m.reply_text, m.signature, m.language,
            encode(m.source_sha256, 'hex') as source_sha256, m.size, m.source_gz
       from replies r join messages m on m.id = r.id
      where r.probe_id = any ($1::uuid[])
      order by r.probe_id, r.received_at, r.id`,
    [probeIds],
  );
  return rows.map((r) => ({
    id: r.id,
    probeId: r.probe_id,
    kind: r.kind,
    receivedAt: r.received_at,
    delayHours: r.delay_hours,
    businessDelayHours: r.business_delay_hours,
    late: r.late,
    fromAddress: r.from_address,
    fromName: r.from_name,
    subject: r.subject,
    dateHeader: r.date_header,
    replyText: r.reply_text,
    signature: r.signature,
    language: r.language,
    sourceSha256: r.source_sha256,
    size: r.size,
    sourceGz: r.source_gz,
  }));
}

export interface ReportReminder {
  probeId: string;
  seq: number;
  status: string;
  dueAt: Date;
  sentAt: Date | null;
}

export async function listReportReminders(db: Queryable, probeIds: readonly string[]): Promise<ReportReminder[]> {
  if (probeIds.length === 0) return [];
  const { rows } = await db.query<{ probe_id: string; seq: number; status: string; due_at: Date; sent_at: Date | null }>(
    'select probe_id, seq, status, due_at, sent_at from reminders where probe_id = any ($1::uuid[]) order by probe_id, seq',
    [probeIds],
  );
  return rows.map((r) => ({ probeId: r.probe_id, seq: r.seq, status: r.status, dueAt: r.due_at, sentAt: r.sent_at }));
}

/** The latest analysis of each of these replies, with the analyser version that made it. */
export async function listLatestAnalyses(db: Queryable, replyIds: readonly string[]): Promise<Map<string, { version: string; result: unknown }>> {
  if (replyIds.length === 0) return new Map();
  const { rows } = await db.query<{ reply_id: string; analyser_version: string; result: unknown }>(
    `select distinct on (reply_id) reply_id, analyser_version, result from analyses
      where reply_id = any ($1::uuid[]) order by reply_id, created_at desc`,
    [replyIds],
  );
  return new Map(rows.map((r) => [r.reply_id, { version: r.analyser_version, result: r.result }]));
}

/** The raw source of a message, compressed as stored, with its SHA-256 and its subject (for a file name). */
export async function findMessageSource(db: Queryable, id: string): Promise<{ sourceGz: Buffer | null; sha256: string; subject: string | null; receivedAt: Date } | null> {
  const { rows } = await db.query<{ source_gz: Buffer | null; sha256: string; subject: string | null; received_at: Date }>(
    `select source_gz, encode(source_sha256, 'hex') as sha256, subject, received_at from messages where id = $1`,
    [id],
  );
  const r = rows[0];
  return r ? { sourceGz: r.source_gz, sha256: r.sha256, subject: r.subject, receivedAt: r.received_at } : null;
}
