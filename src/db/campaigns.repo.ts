import type { HolidaySetting } from '../audit/holidays.ts';
import { DEFAULT_MIN_BRANDS_PER_SECTOR, DEFAULT_MIN_PROBES_PER_BRAND } from '../audit/panel.ts';
import type { PlanBrand, PlanMailbox, PlanScenario } from '../audit/schedule.ts';
import type { Queryable } from './pool.ts';
import { pageClause, toPage, type Page, type PageRequest } from './page.ts';
import { deleteById, updateById } from './sql.ts';

export type CampaignStatus = 'draft' | 'scheduled' | 'running' | 'closed';

/** Days (ISO weekdays, Monday = 1) and hours, in the campaign's timezone. */
export interface WeeklyHours {
  days: number[];
  from: string;
  to: string;
}

/** Opening hours, and the holidays they skip (absent or null: the timezone's default, holidays.ts). */
export interface BusinessHours extends WeeklyHours {
  holidays?: HolidaySetting | null;
}

export interface Campaign {
  id: string;
  name: string;
  status: CampaignStatus;
  startsAt: Date | null;
  endsAt: Date | null;
  timezone: string;
  businessHours: BusinessHours;
  sendWindow: WeeklyHours;
  norms: number[];
  reminder: { afterHours: number; max: number };
  probesPerBrand: number;
  /** Below it, a brand's statistics warn `panel_too_small`. */
  minProbesPerBrand: number;
  /** Below it, a sector's statistics and ranking warn `panel_too_small`. */
  minBrandsPerSector: number;
  seed: number;
  brandIds: string[];
  scenarioIds: string[];
  mailboxIds: string[];
  closedAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

/** Panel minimums default to 30 probes per brand and 3 brands per sector (audit/panel.ts). */
export type CampaignInput = Omit<Campaign, 'id' | 'status' | 'closedAt' | 'createdAt' | 'updatedAt' | 'minProbesPerBrand' | 'minBrandsPerSector'> &
  Partial<Pick<Campaign, 'minProbesPerBrand' | 'minBrandsPerSector'>>;
export type CampaignPatch = Partial<CampaignInput>;

interface CampaignRow {
  id: string;
  name: string;
  status: CampaignStatus;
  starts_at: Date | null;
  ends_at: Date | null;
  timezone: string;
  business_hours: BusinessHours;
  send_window: WeeklyHours;
  norms: number[];
  reminder_after_hours: number;
  reminder_max: number;
  probes_per_brand: number;
  min_probes_per_brand: number;
  min_brands_per_sector: number;
  seed: number;
  brand_ids: string[];
  scenario_ids: string[];
  mailbox_ids: string[];
  closed_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

const SELECT = `
  select c.*,
         array(select brand_id from campaign_brands where campaign_id = c.id order by brand_id) as brand_ids,
         array(select scenario_id from campaign_scenarios where campaign_id = c.id order by scenario_id) as scenario_ids,
         array(select mailbox_id from campaign_mailboxes where campaign_id = c.id order by mailbox_id) as mailbox_ids
    from campaigns c`;

export const toCampaign = (row: CampaignRow): Campaign => ({
  id: row.id,
  name: row.name,
  status: row.status,
  startsAt: row.starts_at,
  endsAt: row.ends_at,
  timezone: row.timezone,
  businessHours: row.business_hours,
  sendWindow: row.send_window,
  norms: row.norms,
  reminder: { afterHours: row.reminder_after_hours, max: row.reminder_max },
  probesPerBrand: row.probes_per_brand,
  minProbesPerBrand: row.min_probes_per_brand,
  minBrandsPerSector: row.min_brands_per_sector,
  seed: row.seed,
  brandIds: row.brand_ids,
  scenarioIds: row.scenario_ids,
  mailboxIds: row.mailbox_ids,
  closedAt: row.closed_at,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
});

const COLUMNS = {
  name: 'name',
  startsAt: 'starts_at',
  endsAt: 'ends_at',
  timezone: 'timezone',
  businessHours: 'business_hours',
  sendWindow: 'send_window',
  norms: 'norms',
  reminderAfterHours: 'reminder_after_hours',
  reminderMax: 'reminder_max',
  probesPerBrand: 'probes_per_brand',
  minProbesPerBrand: 'min_probes_per_brand',
  minBrandsPerSector: 'min_brands_per_sector',
  seed: 'seed',
};

const LINKS = [
  { field: 'brandIds', table: 'campaign_brands', column: 'brand_id' },
  { field: 'scenarioIds', table: 'campaign_scenarios', column: 'scenario_id' },
  { field: 'mailboxIds', table: 'campaign_mailboxes', column: 'mailbox_id' },
] as const;

async function replaceLinks(db: Queryable, campaignId: string, patch: CampaignPatch): Promise<void> {
  for (const link of LINKS) {
    const ids = patch[link.field];
    if (ids === undefined) continue;
    await db.query(`delete from ${link.table} where campaign_id = $1`, [campaignId]);
    await db.query(
      `insert into ${link.table} (campaign_id, ${link.column}) select $1, unnest($2::uuid[]) on conflict do nothing`,
      [campaignId, ids],
    );
  }
}

function flatten(patch: CampaignPatch): Record<string, unknown> {
  return {
    ...patch,
    businessHours: patch.businessHours && JSON.stringify(patch.businessHours),
    sendWindow: patch.sendWindow && JSON.stringify(patch.sendWindow),
    reminderAfterHours: patch.reminder?.afterHours,
    reminderMax: patch.reminder?.max,
  };
}

/** Call inside a transaction: the campaign and its links land together. */
export async function insertCampaign(db: Queryable, input: CampaignInput): Promise<Campaign> {
  const { rows } = await db.query<{ id: string }>(
    `insert into campaigns (name, starts_at, ends_at, timezone, business_hours, send_window, norms,
                            reminder_after_hours, reminder_max, probes_per_brand, seed, min_probes_per_brand, min_brands_per_sector)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) returning id`,
    [
      input.name,
      input.startsAt,
      input.endsAt,
      input.timezone,
      JSON.stringify(input.businessHours),
      JSON.stringify(input.sendWindow),
      input.norms,
      input.reminder.afterHours,
      input.reminder.max,
      input.probesPerBrand,
      input.seed,
      input.minProbesPerBrand ?? DEFAULT_MIN_PROBES_PER_BRAND,
      input.minBrandsPerSector ?? DEFAULT_MIN_BRANDS_PER_SECTOR,
    ],
  );
  const id = rows[0]!.id;
  await replaceLinks(db, id, input);
  return (await findCampaign(db, id))!;
}

export async function findCampaign(db: Queryable, id: string): Promise<Campaign | null> {
  const { rows } = await db.query<CampaignRow>(`${SELECT} where c.id = $1`, [id]);
  return rows[0] ? toCampaign(rows[0]) : null;
}

export async function listCampaigns(
  db: Queryable,
  page: PageRequest,
  filter: { status?: CampaignStatus | undefined; brandId?: string | undefined },
): Promise<Page<Campaign>> {
  const clause = pageClause(page, 3, 'c');
  const { rows } = await db.query<CampaignRow>(
    `${SELECT}
      where ($1::text is null or c.status = $1)
        and ($2::uuid is null or exists (select 1 from campaign_brands cb where cb.campaign_id = c.id and cb.brand_id = $2))
        and ${clause.sql}`,
    [filter.status ?? null, filter.brandId ?? null, ...clause.values],
  );
  return toPage(rows, page.limit, toCampaign);
}

/** Call inside a transaction. */
export async function updateCampaign(db: Queryable, id: string, patch: CampaignPatch): Promise<Campaign | null> {
  const row = await updateById<{ id: string }>(db, 'campaigns', id, flatten(patch), COLUMNS);
  if (!row) return null;
  await replaceLinks(db, id, patch);
  return findCampaign(db, id);
}

export const deleteCampaign = (db: Queryable, id: string) => deleteById(db, 'campaigns', id);

// ---------------------------------------------------------------- planning

export interface PlanInputs {
  brands: PlanBrand[];
  scenarios: Array<PlanScenario & { name: string; reminderBody: string | null }>;
  mailboxes: Array<PlanMailbox & { label: string; smtpConfigured: boolean }>;
}

/** Everything `planCampaign` reads about a campaign's brands, scenarios and mailboxes, in three queries. */
export async function loadPlanInputs(db: Queryable, campaignId: string): Promise<PlanInputs> {
  const brands = await db.query<{ id: string; name: string; contact_addresses: string[] }>(
    `select b.id, b.name, b.contact_addresses from brands b join campaign_brands cb on cb.brand_id = b.id
      where cb.campaign_id = $1 order by b.id`,
    [campaignId],
  );
  const scenarios = await db.query<{ id: string; name: string; subject: string; body: string; reminder_body: string | null }>(
    `select s.id, s.name, s.subject, s.body, s.reminder_body from scenarios s join campaign_scenarios cs on cs.scenario_id = s.id
      where cs.campaign_id = $1 order by s.id`,
    [campaignId],
  );
  const mailboxes = await db.query<{
    id: string;
    label: string;
    address: string;
    persona_id: string;
    first_name: string;
    last_name: string;
    probe_address_pattern: string | null;
    smtp_configured: boolean;
  }>(
    `select m.id, m.label, m.address, m.persona_id, p.first_name, p.last_name, m.probe_address_pattern,
            (m.smtp_host is not null and m.smtp_port is not null) as smtp_configured
       from mailboxes m join personas p on p.id = m.persona_id join campaign_mailboxes cm on cm.mailbox_id = m.id
      where cm.campaign_id = $1 order by m.id`,
    [campaignId],
  );
  return {
    brands: brands.rows.map((r) => ({ id: r.id, name: r.name, contactAddresses: r.contact_addresses })),
    scenarios: scenarios.rows.map((r) => ({ id: r.id, name: r.name, subject: r.subject, body: r.body, reminderBody: r.reminder_body })),
    mailboxes: mailboxes.rows.map((r) => ({
      id: r.id,
      label: r.label,
      address: r.address,
      personaId: r.persona_id,
      persona: { firstName: r.first_name, lastName: r.last_name },
      probeAddressPattern: r.probe_address_pattern,
      smtpConfigured: r.smtp_configured,
    })),
  };
}

/**
 * The campaign's status and whether its probes were planned, its row locked until the
 * transaction ends; null when it does not exist.
 */
export async function lockCampaign(db: Queryable, campaignId: string): Promise<{ status: CampaignStatus; planned: boolean } | null> {
  const { rows } = await db.query<{ status: CampaignStatus; planned: boolean }>(
    'select status, planned_at is not null as planned from campaigns where id = $1 for update',
    [campaignId],
  );
  return rows[0] ?? null;
}

/**
 * Records that the plan was made, in the plan's own transaction: the campaign is planned
 * once, whatever probes were declared by hand before or since.
 */
export async function markCampaignPlanned(db: Queryable, campaignId: string, at: Date): Promise<void> {
  await db.query('update campaigns set planned_at = $2, updated_at = now() where id = $1 and planned_at is null', [campaignId, at]);
}

// ---------------------------------------------------------------- status

/** Compare-and-set: moves the campaign to `to` only from one of `from`; false when it was elsewhere. */
/** Whether the worker planned the campaign's probes already (a campaign is planned once), and whether it has a sent probe. */
export async function campaignPlanState(db: Queryable, campaignId: string): Promise<{ planned: boolean; sentProbes: boolean }> {
  const { rows } = await db.query<{ planned: boolean; sent_probes: boolean }>(
    `select c.planned_at is not null as planned,
            exists (select 1 from probes p where p.campaign_id = c.id and p.status = 'sent') as sent_probes
       from campaigns c where c.id = $1`,
    [campaignId],
  );
  return { planned: rows[0]?.planned ?? false, sentProbes: rows[0]?.sent_probes ?? false };
}

export async function transitionCampaign(db: Queryable, campaignId: string, from: readonly CampaignStatus[], to: CampaignStatus): Promise<boolean> {
  const result = await db.query(
    `update campaigns set status = $3, updated_at = now() where id = $1 and status = any($2::text[])`,
    [campaignId, from, to],
  );
  return (result.rowCount ?? 0) > 0;
}

/**
 * scheduled|running → closed. Call inside a transaction: the outcomes are frozen, and what
 * was still to be sent is cancelled with the status change: planned probes, reminders due,
 * and the reminders sent probes have still to come, recorded `cancelled` (their due time
 * counted from the probe) so that none of them goes out after a reopen.
 */
export async function closeCampaign(db: Queryable, campaignId: string, at: Date): Promise<boolean> {
  const result = await db.query(
    `update campaigns set status = 'closed', closed_at = $2, updated_at = now()
      where id = $1 and status in ('scheduled', 'running')`,
    [campaignId, at],
  );
  if ((result.rowCount ?? 0) === 0) return false;
  await db.query('update outcomes set frozen = true, updated_at = now() where campaign_id = $1', [campaignId]);
  await db.query(`update probes set status = 'cancelled', updated_at = now() where campaign_id = $1 and status = 'planned'`, [campaignId]);
  await db.query(
    `update reminders r set status = 'cancelled' from probes p
      where p.id = r.probe_id and p.campaign_id = $1 and r.status = 'due'`,
    [campaignId],
  );
  await db.query(
    `insert into reminders (probe_id, seq, due_at, status)
     select p.id, s.seq, p.sent_at + make_interval(secs => c.reminder_after_hours * 3600 * s.seq), 'cancelled'
       from probes p join campaigns c on c.id = p.campaign_id
            cross join lateral generate_series(1, c.reminder_max) as s(seq)
      where p.campaign_id = $1 and p.status = 'sent' and p.sent_at is not null
     on conflict (probe_id, seq) do nothing`,
    [campaignId],
  );
  return true;
}

/** closed → running, outcomes thawed. Call inside a transaction. Nothing cancelled at closing comes back. */
export async function reopenCampaign(db: Queryable, campaignId: string): Promise<boolean> {
  const result = await db.query(
    `update campaigns set status = 'running', closed_at = null, reopened_at = now(), updated_at = now() where id = $1 and status = 'closed'`,
    [campaignId],
  );
  if ((result.rowCount ?? 0) === 0) return false;
  await db.query('update outcomes set frozen = false, updated_at = now() where campaign_id = $1', [campaignId]);
  return true;
}

/**
 * What the campaign jobs must hold after Redis lost its data: the automatic close of every
 * planned campaign still open (`endsAt` given; not one an auditor reopened, which closes by
 * hand), and the planning of every scheduled campaign not planned yet.
 */
export async function listCampaignJobsToRebuild(db: Queryable): Promise<{ closing: Array<{ id: string; endsAt: Date }>; unplanned: string[] }> {
  const { rows } = await db.query<{ id: string; ends_at: Date | null; planned: boolean }>(
    `select id, ends_at, planned_at is not null as planned from campaigns
      where (status in ('scheduled', 'running') and planned_at is not null and ends_at is not null and reopened_at is null)
         or (status = 'scheduled' and planned_at is null)
      order by id`,
  );
  return {
    closing: rows.filter((r) => r.planned).map((r) => ({ id: r.id, endsAt: r.ends_at! })),
    unplanned: rows.filter((r) => !r.planned).map((r) => r.id),
  };
}
