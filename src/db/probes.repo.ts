/** Probes: one mystery e-mail to one brand, sent by the service or declared after a web form. */
import type { Queryable } from './pool.ts';
import { pageClause, toPage, type Page, type PageRequest } from './page.ts';

export type ProbeChannel = 'email' | 'webform';
export type ProbeStatus = 'planned' | 'sending' | 'sent' | 'failed' | 'cancelled';

export interface Probe {
  id: string;
  campaignId: string;
  brandId: string;
  scenarioId: string | null;
  mailboxId: string;
  channel: ProbeChannel;
  recipient: string | null;
  personaAddress: string | null;
  subject: string | null;
  body: string | null;
  messageId: string | null;
  scheduledAt: Date | null;
  sentAt: Date | null;
  status: ProbeStatus;
  smtpResponse: string | null;
  error: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface ProbeInput {
  campaignId: string;
  brandId: string;
  scenarioId?: string | null | undefined;
  mailboxId: string;
  channel: ProbeChannel;
  recipient?: string | null | undefined;
  personaAddress?: string | null | undefined;
  subject?: string | null | undefined;
  body?: string | null | undefined;
  messageId?: string | null | undefined;
  scheduledAt?: Date | null | undefined;
  sentAt?: Date | null | undefined;
  status: ProbeStatus;
}

export interface ProbeRow {
  id: string;
  campaign_id: string;
  brand_id: string;
  scenario_id: string | null;
  mailbox_id: string;
  channel: ProbeChannel;
  recipient: string | null;
  persona_address: string | null;
  subject: string | null;
  body: string | null;
  internet_message_id: string | null;
  scheduled_at: Date | null;
  sent_at: Date | null;
  status: ProbeStatus;
  smtp_response: string | null;
  error: string | null;
  created_at: Date;
  updated_at: Date;
}

export const toProbe = (row: ProbeRow): Probe => ({
  id: row.id,
  campaignId: row.campaign_id,
  brandId: row.brand_id,
  scenarioId: row.scenario_id,
  mailboxId: row.mailbox_id,
  channel: row.channel,
  recipient: row.recipient,
  personaAddress: row.persona_address,
  subject: row.subject,
  body: row.body,
  messageId: row.internet_message_id,
  scheduledAt: row.scheduled_at,
  sentAt: row.sent_at,
  status: row.status,
  smtpResponse: row.smtp_response,
  error: row.error,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
});

export async function insertProbe(db: Queryable, input: ProbeInput): Promise<Probe> {
  const { rows } = await db.query<ProbeRow>(
    `insert into probes (campaign_id, brand_id, scenario_id, mailbox_id, channel, recipient, persona_address,
                         subject, body, internet_message_id, scheduled_at, sent_at, status)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) returning *`,
    [
      input.campaignId,
      input.brandId,
      input.scenarioId ?? null,
      input.mailboxId,
      input.channel,
      input.recipient?.toLowerCase() ?? null,
      input.personaAddress?.toLowerCase() ?? null,
      input.subject ?? null,
      input.body ?? null,
      input.messageId ?? null,
      input.scheduledAt ?? null,
      input.sentAt ?? null,
      input.status,
    ],
  );
  return toProbe(rows[0]!);
}

export async function findProbe(db: Queryable, id: string): Promise<Probe | null> {
  const { rows } = await db.query<ProbeRow>('select * from probes where id = $1', [id]);
  return rows[0] ? toProbe(rows[0]) : null;
}

export interface ProbeFilter {
  campaignId?: string | undefined;
  brandId?: string | undefined;
  mailboxId?: string | undefined;
  status?: ProbeStatus | undefined;
}

export async function listProbes(db: Queryable, page: PageRequest, filter: ProbeFilter): Promise<Page<Probe>> {
  const clause = pageClause(page, 5);
  const { rows } = await db.query<ProbeRow>(
    `select * from probes
      where ($1::uuid is null or campaign_id = $1) and ($2::uuid is null or brand_id = $2)
        and ($3::uuid is null or mailbox_id = $3) and ($4::text is null or status = $4)
        and ${clause.sql}`,
    [filter.campaignId ?? null, filter.brandId ?? null, filter.mailboxId ?? null, filter.status ?? null, ...clause.values],
  );
  return toPage(rows, page.limit, toProbe);
}

export async function updateProbeStatus(
  db: Queryable,
  id: string,
  change: { status: ProbeStatus; sentAt?: Date | null; messageId?: string | null; smtpResponse?: string | null; error?: string | null },
): Promise<void> {
  await db.query(
    `update probes set status = $2,
            sent_at = coalesce($3, sent_at),
            internet_message_id = coalesce($4, internet_message_id),
            smtp_response = coalesce($5, smtp_response),
            error = $6,
            updated_at = now()
      where id = $1`,
    [id, change.status, change.sentAt ?? null, change.messageId ?? null, change.smtpResponse ?? null, change.error ?? null],
  );
}
