/**
 * Sends held for an auditor (a probe or reminder interrupted with no copy in the Sent folder:
 * `held_at` set, the reason in `error`) and how auditors resolved them. Resolving is one
 * compare-and-set per row (it must still be held) plus a `held_resolutions` row, kept for good.
 */
import type { HeldResolutionKind } from '../audit/held-resolution.ts';
import type { Queryable } from './pool.ts';

export type { HeldResolutionKind };

export interface HeldResolution {
  id: string;
  probeId: string;
  /** Null: the probe itself. */
  reminderSeq: number | null;
  resolution: HeldResolutionKind;
  sentAt: Date | null;
  note: string | null;
  heldAt: Date;
  heldReason: string | null;
  resolvedBy: { keyId: string | null; label: string };
  resolvedAt: Date;
}

interface HeldResolutionRow {
  id: string;
  probe_id: string;
  reminder_seq: number | null;
  resolution: HeldResolutionKind;
  sent_at: Date | null;
  note: string | null;
  held_at: Date;
  held_reason: string | null;
  resolved_by_key_id: string | null;
  resolved_by: string;
  resolved_at: Date;
}

const toResolution = (r: HeldResolutionRow): HeldResolution => ({
  id: r.id,
  probeId: r.probe_id,
  reminderSeq: r.reminder_seq,
  resolution: r.resolution,
  sentAt: r.sent_at,
  note: r.note,
  heldAt: r.held_at,
  heldReason: r.held_reason,
  resolvedBy: { keyId: r.resolved_by_key_id, label: r.resolved_by },
  resolvedAt: r.resolved_at,
});

/** What an auditor decided, and who. */
export interface ResolutionInput {
  resolution: HeldResolutionKind;
  sentAt: Date | null;
  note: string | null;
  by: { keyId: string | null; label: string };
  at: Date;
}

/** The resolutions of these probes and their reminders, oldest first. */
export async function listHeldResolutions(db: Queryable, probeIds: readonly string[]): Promise<HeldResolution[]> {
  if (probeIds.length === 0) return [];
  const { rows } = await db.query<HeldResolutionRow>(
    'select * from held_resolutions where probe_id = any($1::uuid[]) order by probe_id, resolved_at, id',
    [probeIds],
  );
  return rows.map(toResolution);
}

/** The latest resolution of each probe (`reminderSeq` null) or reminder (`probeId:seq`), keyed so. */
export function latestResolutions(resolutions: readonly HeldResolution[]): Map<string, HeldResolution> {
  const latest = new Map<string, HeldResolution>();
  for (const r of resolutions) latest.set(resolutionKey(r.probeId, r.reminderSeq), r);
  return latest;
}

export const resolutionKey = (probeId: string, seq: number | null) => (seq === null ? probeId : `${probeId}:${seq}`);

/**
 * Settles a held probe: `sent` at the auditor's time, `not_sent` back to `planned` for now
 * (its Message-ID kept, so the new attempt carries it), `failed` with the note. Null when
 * the probe is no longer held (another auditor was first). Call inside a transaction.
 */
export async function resolveHeldProbe(db: Queryable, probeId: string, input: ResolutionInput): Promise<HeldResolution | null> {
  const { rows } = await db.query<{ held_at: Date; error: string | null }>(
    `update probes p set held_at = null, updated_at = now(),
            status = case $2::text when 'sent' then 'sent' when 'not_sent' then 'planned' else 'failed' end,
            sent_at = case when $2::text = 'sent' then $3::timestamptz else p.sent_at end,
            scheduled_at = case when $2::text = 'not_sent' then $5::timestamptz else p.scheduled_at end,
            error = case when $2::text = 'failed' then coalesce($4::text, p.error) else null end
       from (select id, held_at, error from probes where id = $1 and held_at is not null and status = 'sending' for update) old
      where p.id = old.id
      returning old.held_at, old.error`,
    [probeId, input.resolution, input.sentAt, input.note, input.at],
  );
  const held = rows[0];
  if (!held) return null;
  return insertResolution(db, probeId, null, input, held);
}

/** As `resolveHeldProbe`, for reminder `seq` of a probe: `not_sent` puts it back `due`. */
export async function resolveHeldReminder(db: Queryable, probeId: string, seq: number, input: ResolutionInput): Promise<HeldResolution | null> {
  const { rows } = await db.query<{ held_at: Date; error: string | null }>(
    `update reminders r set held_at = null,
            status = case $3::text when 'sent' then 'sent' when 'not_sent' then 'due' else 'failed' end,
            sent_at = case when $3::text = 'sent' then $4::timestamptz else r.sent_at end,
            error = case when $3::text = 'failed' then coalesce($5::text, r.error) else null end
       from (select id, held_at, error from reminders where probe_id = $1 and seq = $2 and held_at is not null and status = 'sending' for update) old
      where r.id = old.id
      returning old.held_at, old.error`,
    [probeId, seq, input.resolution, input.sentAt, input.note],
  );
  const held = rows[0];
  if (!held) return null;
  return insertResolution(db, probeId, seq, input, held);
}

async function insertResolution(
  db: Queryable,
  probeId: string,
  seq: number | null,
  input: ResolutionInput,
  held: { held_at: Date; error: string | null },
): Promise<HeldResolution> {
  const { rows } = await db.query<HeldResolutionRow>(
    `insert into held_resolutions (probe_id, reminder_seq, resolution, sent_at, note, held_at, held_reason, resolved_by_key_id, resolved_by, resolved_at)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) returning *`,
    [probeId, seq, input.resolution, input.sentAt, input.note, held.held_at, held.error, input.by.keyId, input.by.label, input.at],
  );
  return toResolution(rows[0]!);
}

export interface HeldSend {
  probeId: string;
  /** Null: the probe itself. */
  reminderSeq: number | null;
  brandId: string;
  brandName: string;
  subject: string | null;
  heldAt: Date;
  reason: string | null;
}

/** The sends of a campaign held for an auditor, oldest hold first. */
export async function listHeldSends(db: Queryable, campaignId: string): Promise<HeldSend[]> {
  const { rows } = await db.query<{ probe_id: string; reminder_seq: number | null; brand_id: string; brand_name: string; subject: string | null; held_at: Date; reason: string | null }>(
    `select p.id as probe_id, null::integer as reminder_seq, p.brand_id, b.name as brand_name, p.subject, p.held_at, p.error as reason
       from probes p join brands b on b.id = p.brand_id
      where p.campaign_id = $1 and p.held_at is not null
     union all
     select p.id, r.seq, p.brand_id, b.name, p.subject, r.held_at, r.error
       from reminders r join probes p on p.id = r.probe_id join brands b on b.id = p.brand_id
      where p.campaign_id = $1 and r.held_at is not null
     order by held_at, probe_id, reminder_seq nulls first`,
    [campaignId],
  );
  return rows.map((r) => ({
    probeId: r.probe_id,
    reminderSeq: r.reminder_seq,
    brandId: r.brand_id,
    brandName: r.brand_name,
    subject: r.subject,
    heldAt: r.held_at,
    reason: r.reason,
  }));
}

/** How many probes and reminders of each of these campaigns are held for an auditor (zeros included). */
export async function countHeldSends(db: Queryable, campaignIds: readonly string[]): Promise<Map<string, { probes: number; reminders: number }>> {
  const counts = new Map(campaignIds.map((id) => [id, { probes: 0, reminders: 0 }]));
  if (campaignIds.length === 0) return counts;
  const { rows } = await db.query<{ campaign_id: string; probes: number; reminders: number }>(
    `select campaign_id, count(*) filter (where seq is null)::int as probes, count(*) filter (where seq is not null)::int as reminders
       from (select campaign_id, null::integer as seq from probes where campaign_id = any($1::uuid[]) and held_at is not null
             union all
             select p.campaign_id, r.seq from reminders r join probes p on p.id = r.probe_id
              where p.campaign_id = any($1::uuid[]) and r.held_at is not null) held
      group by campaign_id`,
    [campaignIds],
  );
  for (const r of rows) counts.set(r.campaign_id, { probes: r.probes, reminders: r.reminders });
  return counts;
}
