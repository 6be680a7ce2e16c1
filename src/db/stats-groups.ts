/**
 * The groups of a statistics response. Every member of the grouping dimension within the
 * filter's scope gets a row, with or without probes (a group with no data shows nulls rather
 * than being left out): the campaign's brands or mailboxes, the sector's brands, the brand's
 * sector and campaigns... Weeks run without a gap from the first week holding a probe to the
 * last. `from` and `to` select probes, not groups.
 */
import type { Queryable } from './pool.ts';
import type { StatsFilter } from './stats-filters.ts';

export const GROUP_BYS = ['brand', 'sector', 'campaign', 'mailbox', 'week'] as const;
export type GroupBy = (typeof GROUP_BYS)[number];

export interface StatsGroup {
  /** The member's id, or the week's Monday (`YYYY-MM-DD`); null for the whole scope. */
  key: string | null;
  /** Its name, or the ISO week (`2026-W10`). */
  label: string | null;
}

/** The rollup column each grouping reads. */
export const GROUP_COLUMN: Record<GroupBy, string> = {
  brand: 'brand_id',
  sector: 'sector_id',
  campaign: 'campaign_id',
  mailbox: 'mailbox_id',
  week: 'week',
};

/** A group key as the API shows it: the id, or the week's Monday as `YYYY-MM-DD` on the clock of `zone` (SQL text). */
export const keyText = (column: string, groupBy: GroupBy, zone: string) =>
  groupBy === 'week' ? `to_char(${column} at time zone ${zone}, 'YYYY-MM-DD')` : `${column}::text`;

/** Weekly figures of a scope holding no campaign are cut on this clock. */
export const DEFAULT_WEEK_TIME_ZONE = 'UTC';

/**
 * The campaigns of the filter's scope with their timezones, the first first: the filter's
 * campaign, or those with probes sent to the filter's brand or sector (the period aside), by
 * start (campaigns without a start last), then creation. Weekly figures are cut on the first's clock.
 */
export async function listScopeCampaignZones(db: Queryable, filter: StatsFilter): Promise<{ id: string; timezone: string }[]> {
  const { rows } = await db.query<{ id: string; timezone: string }>(
    `select c.id::text as id, c.timezone from campaigns c
      where ($1::uuid is null or c.id = $1)
        and (c.id = $1 or exists (select 1 from outcome_rollups r
                                   where r.campaign_id = c.id and r.probes > 0
                                     and ($2::uuid is null or r.brand_id = $2) and ($3::uuid is null or r.sector_id = $3)))
      order by c.starts_at nulls last, c.created_at, c.id`,
    [filter.campaignId ?? null, filter.brandId ?? null, filter.sectorId ?? null],
  );
  return rows;
}

type Dimension = Exclude<GroupBy, 'week'>;

/** $1 the keys that hold data (always listed), then the filter's campaignId, brandId and sectorId. */
const MEMBERS_SQL: Record<Dimension, string> = {
  brand: `
    select b.id::text as key, b.name as label from brands b
     where b.id = any ($1::uuid[])
        or (($2::uuid is null or exists (select 1 from campaign_brands cb where cb.campaign_id = $2 and cb.brand_id = b.id))
            and ($3::uuid is null or b.id = $3) and ($4::uuid is null or b.sector_id = $4))`,
  sector: `
    select s.id::text as key, s.name as label from sectors s
     where s.id = any ($1::uuid[])
        or (($2::uuid is null or exists (select 1 from campaign_brands cb join brands b on b.id = cb.brand_id
                                          where cb.campaign_id = $2 and b.sector_id = s.id))
            and ($3::uuid is null or exists (select 1 from brands b where b.id = $3 and b.sector_id = s.id))
            and ($4::uuid is null or s.id = $4))`,
  campaign: `
    select c.id::text as key, c.name as label from campaigns c
     where c.id = any ($1::uuid[])
        or (($2::uuid is null or c.id = $2)
            and ($3::uuid is null or exists (select 1 from campaign_brands cb where cb.campaign_id = c.id and cb.brand_id = $3))
            and ($4::uuid is null or exists (select 1 from campaign_brands cb join brands b on b.id = cb.brand_id
                                              where cb.campaign_id = c.id and b.sector_id = $4)))`,
  // a campaign's mailboxes; brands and sectors do not narrow mailboxes
  mailbox: `
    select m.id::text as key, m.label as label from mailboxes m
     where m.id = any ($1::uuid[])
        or $2::uuid is null or exists (select 1 from campaign_mailboxes cm where cm.campaign_id = $2 and cm.mailbox_id = m.id)`,
};

/** Names sort as people read them: accents folded, "Marque 2" before "Marque 10". */
const byLabel = new Intl.Collator('fr', { numeric: true, sensitivity: 'base' });

/** The members of `dimension` in the filter's scope, and those in `withData`, by name. */
export async function listGroups(db: Queryable, dimension: Dimension, filter: StatsFilter, withData: readonly string[]): Promise<StatsGroup[]> {
  const filters = dimension === 'mailbox' ? [filter.campaignId] : [filter.campaignId, filter.brandId, filter.sectorId];
  const { rows } = await db.query<{ key: string; label: string }>(MEMBERS_SQL[dimension], [withData, ...filters.map((id) => id ?? null)]);
  return rows.sort((a, b) => byLabel.compare(a.label, b.label) || (a.key < b.key ? -1 : 1));
}

/** Every week from the earliest to the latest of `weekStarts` (Mondays, `YYYY-MM-DD`), in order. */
export function weekGroups(weekStarts: Iterable<string>): StatsGroup[] {
  const sorted = [...new Set(weekStarts)].sort();
  const first = sorted[0];
  const last = sorted[sorted.length - 1];
  if (first === undefined || last === undefined) return [];
  const weeks: StatsGroup[] = [];
  for (let day = new Date(`${first}T00:00:00Z`); day.toISOString().slice(0, 10) <= last; day.setUTCDate(day.getUTCDate() + 7)) {
    const key = day.toISOString().slice(0, 10);
    weeks.push({ key, label: isoWeekLabel(key) });
  }
  return weeks;
}

/** `2026-W10` for the week starting Monday 2026-03-02: the ISO year is the year of its Thursday. */
export function isoWeekLabel(monday: string): string {
  const thursday = new Date(`${monday}T00:00:00Z`);
  thursday.setUTCDate(thursday.getUTCDate() + 3);
  const year = thursday.getUTCFullYear();
  const week = Math.floor((thursday.getTime() - Date.UTC(year, 0, 1)) / (7 * 24 * 3600 * 1000)) + 1;
  return `${year}-W${String(week).padStart(2, '0')}`;
}
