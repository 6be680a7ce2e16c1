import type { HolidaySetting } from '../audit/holidays.ts';
import { DEFAULT_MIN_BRANDS_PER_SECTOR, DEFAULT_MIN_PROBES_PER_BRAND } from '../audit/panel.ts';
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
