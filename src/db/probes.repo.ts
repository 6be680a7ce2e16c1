/** Probes: one mystery e-mail to one brand, sent by the service or declared after a web form. */
import type { PlannedProbe } from '../audit/schedule.ts';
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
  /** Held for an auditor since then (an interrupted send with no copy in the Sent folder; `error` says why); null otherwise. */
  heldAt: Date | null;
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
  held_at: Date | null;
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
  heldAt: row.held_at,
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
  /** true: only the probes held for an auditor; false: none of them. */
  held?: boolean | undefined;
}

export async function listProbes(db: Queryable, page: PageRequest, filter: ProbeFilter): Promise<Page<Probe>> {
  const clause = pageClause(page, 6);
  const { rows } = await db.query<ProbeRow>(
    `select * from probes
      where ($1::uuid is null or campaign_id = $1) and ($2::uuid is null or brand_id = $2)
        and ($3::uuid is null or mailbox_id = $3) and ($4::text is null or status = $4)
        and ($5::boolean is null or (held_at is not null) = $5)
        and ${clause.sql}`,
    [filter.campaignId ?? null, filter.brandId ?? null, filter.mailboxId ?? null, filter.status ?? null, filter.held ?? null, ...clause.values],
  );
  return toPage(rows, page.limit, toProbe);
}

/**
 * Every e-mail probe of a scheduled or running campaign still waiting to be sent, with its
 * time: what the send queue must hold after Redis lost its data.
 */
export async function listOpenPlannedProbes(db: Queryable, limit: number): Promise<Array<{ id: string; scheduledAt: Date | null }>> {
  const { rows } = await db.query<{ id: string; scheduled_at: Date | null }>(
    `select p.id, p.scheduled_at from probes p join campaigns c on c.id = p.campaign_id
      where p.channel = 'email' and p.status = 'planned' and c.status in ('scheduled', 'running')
      order by p.scheduled_at nulls first, p.id
      limit $1`,
    [limit],
  );
  return rows.map((r) => ({ id: r.id, scheduledAt: r.scheduled_at }));
}

/**
 * An interrupted send with no evidence of its fate: the probe stays `sending`, held for an
 * auditor (`held_at`, the reason in `error`), and is never sent again nor re-queued.
 */
export async function holdProbe(db: Queryable, id: string, reason: string): Promise<void> {
  await db.query(`update probes set held_at = now(), error = $2, updated_at = now() where id = $1 and status = 'sending'`, [id, reason]);
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

// ---------------------------------------------------------------- planning

/** Persona addresses already given to probes of these mailboxes: a new probe must not reuse one. */
export async function takenPersonaAddresses(db: Queryable, mailboxIds: readonly string[]): Promise<Set<string>> {
  const { rows } = await db.query<{ address: string }>(
    `select distinct lower(persona_address) as address from probes
      where mailbox_id = any($1::uuid[]) and persona_address is not null`,
    [mailboxIds],
  );
  return new Set(rows.map((r) => r.address));
}

/** Inserts a whole plan in one statement. */
export async function insertPlannedProbes(db: Queryable, campaignId: string, plan: readonly PlannedProbe[]): Promise<number> {
  if (plan.length === 0) return 0;
  const column = <K extends keyof PlannedProbe>(key: K) => plan.map((p) => p[key]);
  const result = await db.query(
    `insert into probes (campaign_id, brand_id, scenario_id, mailbox_id, channel, recipient, persona_address,
                         subject, body, scheduled_at, status)
     select $1, brand_id, scenario_id, mailbox_id, 'email', lower(recipient), lower(persona_address), subject, body, scheduled_at, 'planned'
       from unnest($2::uuid[], $3::uuid[], $4::uuid[], $5::text[], $6::text[], $7::text[], $8::text[], $9::timestamptz[])
         as t(brand_id, scenario_id, mailbox_id, recipient, persona_address, subject, body, scheduled_at)`,
    [
      campaignId,
      column('brandId'),
      column('scenarioId'),
      column('mailboxId'),
      column('recipient'),
      column('personaAddress'),
      column('subject'),
      column('body'),
      column('scheduledAt'),
    ],
  );
  return result.rowCount ?? 0;
}

/** Probes of the campaign still waiting for their send job. */
export async function listPlannedProbes(db: Queryable, campaignId: string): Promise<Array<{ id: string; scheduledAt: Date }>> {
  const { rows } = await db.query<{ id: string; scheduled_at: Date }>(
    `select id, scheduled_at from probes where campaign_id = $1 and status = 'planned' and channel = 'email' order by scheduled_at, id`,
    [campaignId],
  );
  return rows.map((r) => ({ id: r.id, scheduledAt: r.scheduled_at }));
}

/** Probes of the campaign that went out: those with an outcome to recompute. */
export async function listSentProbeIds(db: Queryable, campaignId: string): Promise<string[]> {
  const { rows } = await db.query<{ id: string }>('select id from probes where campaign_id = $1 and sent_at is not null order by id', [campaignId]);
  return rows.map((r) => r.id);
}

// ---------------------------------------------------------------- sending: claimed at most once

/**
 * planned → sending, storing the Message-ID the message will carry (kept when one is stored
 * already). The row lock makes two claimers of one probe see one winner. Null when the
 * probe is not `planned` (any more).
 */
export async function claimProbe(db: Queryable, probeId: string, messageId: string): Promise<Probe | null> {
  const { rows } = await db.query<ProbeRow>(
    `with due as (select id from probes where id = $1 and status = 'planned' for update skip locked)
     update probes p set status = 'sending', internet_message_id = coalesce(p.internet_message_id, $2), error = null, updated_at = now()
       from due where p.id = due.id
     returning p.*`,
    [probeId, messageId],
  );
  return rows[0] ? toProbe(rows[0]) : null;
}

/** A planned probe of a closed campaign will never go out. */
export async function cancelPlannedProbe(db: Queryable, probeId: string): Promise<void> {
  await db.query(`update probes set status = 'cancelled', updated_at = now() where id = $1 and status = 'planned'`, [probeId]);
}

/**
 * A send job gave up for good (whatever the cause): the probe says why. One still `planned`
 * failed; one left `sending` may have gone out, so it stays so and the reconciler has its
 * Sent folder checked later. A probe sent or cancelled is left as it is.
 */
export async function failProbe(db: Queryable, probeId: string, error: string): Promise<void> {
  await db.query(
    `update probes set status = case when status = 'planned' then 'failed' else status end, error = $2, updated_at = now()
      where id = $1 and status in ('planned', 'sending')`,
    [probeId, error],
  );
}

// ---------------------------------------------------------------- recovery

/**
 * Probes whose send job should have run and may be lost: e-mail probes of a running (or
 * scheduled) campaign still `planned` past `plannedBefore`, and probes of any campaign left
 * `sending` since before `sendingBefore` (a worker that died mid-send).
 */
export async function listStalledProbes(db: Queryable, plannedBefore: Date, sendingBefore: Date, limit: number): Promise<string[]> {
  const { rows } = await db.query<{ id: string }>(
    `select p.id from probes p join campaigns c on c.id = p.campaign_id
      where p.channel = 'email'
        and ((p.status = 'planned' and c.status in ('scheduled', 'running') and coalesce(p.scheduled_at, p.created_at) < $1)
          or (p.status = 'sending' and p.held_at is null and c.status <> 'closed' and p.updated_at < $2))
      order by coalesce(p.scheduled_at, p.created_at), p.id
      limit $3`,
    [plannedBefore, sendingBefore, limit],
  );
  return rows.map((r) => r.id);
}
