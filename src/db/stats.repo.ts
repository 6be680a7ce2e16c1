/**
 * Response statistics, read from the outcomes' rollups (see migration 0003): one query sums
 * the rollups per group and campaign, with the groups' delays, and `stats-metrics.ts` turns
 * the sums into rates, exact percentiles and means. Across a million probes this reads a few
 * thousand rows; the figures are those the outcomes themselves give.
 */
import { brandPanel, DEFAULT_MIN_BRANDS_PER_SECTOR, DEFAULT_MIN_PROBES_PER_BRAND, noPanelRule, sectorPanel, type PanelCheck } from '../audit/panel.ts';
import { withTransaction, type Pool, type Queryable } from './pool.ts';
import { rollupSource, type StatsFilter, type WeekCut } from './stats-filters.ts';
import {
  DEFAULT_WEEK_TIME_ZONE,
  GROUP_COLUMN,
  keyText,
  listGroups,
  listScopeCampaignZones,
  weekGroups,
  type GroupBy,
  type StatsGroup,
} from './stats-groups.ts';
import { metricsOf, type RollupPart, type StatsMetrics } from './stats-metrics.ts';

export { GROUP_BYS, type GroupBy, type StatsGroup } from './stats-groups.ts';
export type { StatsFilter } from './stats-filters.ts';
export type { DelayHistogram, StatsMetrics } from './stats-metrics.ts';
export type { PanelCheck, StatsWarning } from '../audit/panel.ts';

export const SERIES = ['week'] as const;
export type Series = (typeof SERIES)[number];

export interface StatsQuery {
  filter: StatsFilter;
  /** Null: one row for the whole scope. */
  groupBy: GroupBy | null;
  /** `week`: each row also carries its weekly series, over the same weeks for every row. */
  series: Series | null;
}

export interface WeekPoint extends StatsMetrics {
  /** ISO week, `2026-W10`. */
  week: string;
  /** Its Monday, `YYYY-MM-DD` (weeks run from Monday 00:00 in the report's `weekTimeZone`). */
  weekStart: string;
}

/** `panelSufficient` and `warnings`: see `panelOf`. */
export interface StatsRow extends StatsMetrics, PanelCheck {
  group: StatsGroup;
  series?: WeekPoint[];
}

export interface StatsReport {
  /** The norms reported in `withinNorm`, in hours: those of the campaigns in the rows. */
  norms: number[];
  /** The clock weekly rows and series are cut on (the scope's first campaign's timezone); null without weeks. */
  weekTimeZone: string | null;
  rows: StatsRow[];
}

interface PartRow {
  group_key: string | null;
  /** The week's Monday, `YYYY-MM-DD`, in a series. */
  week: string | null;
  campaign_id: string;
  norms: number[];
  min_probes_per_brand: number;
  min_brands_per_sector: number;
  probes: number;
  answered: number;
  answered_before_reminder: number;
  acknowledged: number;
  followed_up: number;
  analysed: number;
  spelling_checked: number;
  spelling_with_errors: number;
  spelling_errors: number;
  spelling_words: number;
  with_logo: number;
  with_charter: number;
  with_named_signature: number;
  personalised: number;
  scored: number;
  score_sum: string;
  score_square_sum: string;
  delays: Buffer;
  business_delays: Buffer;
}

/**
 * Hash aggregation keeps every group's delays in memory (16 bytes a probe); this is room for
 * a few million probes in one response before PostgreSQL spills to disk, still correct.
 */
const STATS_WORK_MEM = '64MB';

/** The rollups of the filter's scope, summed per group (and week, for a series) and campaign. */
async function sumRollups(pool: Pool, query: StatsQuery, weeks: WeekCut | null): Promise<PartRow[]> {
  const source = rollupSource(query.filter, weeks);
  const zone = weeks ? `$${source.values.push(weeks.timeZone)}::text` : `'UTC'`;
  const group = query.groupBy ? `r.${GROUP_COLUMN[query.groupBy]}` : 'null::text';
  const week = query.series ? 'r.week' : 'null::timestamptz';
  const sql = `
    select ${query.groupBy ? keyText('p.group_id', query.groupBy, zone) : 'null::text'} as group_key,
           ${query.series ? keyText('p.week_start', 'week', zone) : 'null::text'} as week, p.*,
           c.norms, c.min_probes_per_brand, c.min_brands_per_sector
      from (select ${group} as group_id, ${week} as week_start, r.campaign_id,
                   sum(r.probes) as probes, sum(r.answered) as answered,
                   sum(r.answered_before_reminder) as answered_before_reminder, sum(r.acknowledged) as acknowledged,
                   sum(r.followed_up) as followed_up, sum(r.analysed) as analysed,
                   sum(r.spelling_checked) as spelling_checked, sum(r.spelling_with_errors) as spelling_with_errors,
                   sum(r.spelling_errors)::bigint as spelling_errors, sum(r.spelling_words)::bigint as spelling_words,
                   sum(r.with_logo) as with_logo, sum(r.with_charter) as with_charter,
                   sum(r.with_named_signature) as with_named_signature, sum(r.personalised) as personalised,
                   sum(r.scored) as scored, sum(r.score_sum)::text as score_sum, sum(r.score_square_sum)::text as score_square_sum,
                   string_agg(r.delays, ''::bytea) as delays, string_agg(r.business_delays, ''::bytea) as business_delays
              from ${source.from}
             where ${source.where}
             group by 1, 2, r.campaign_id) p
      join campaigns c on c.id = p.campaign_id`;
  return withTransaction(pool, async (tx) => {
    await tx.query(`set local work_mem = '${STATS_WORK_MEM}'`);
    return (await tx.query<PartRow>(sql, source.values)).rows;
  });
}

const toPart = (r: PartRow): RollupPart => ({
  norms: r.norms,
  probes: r.probes,
  answered: r.answered,
  answeredBeforeReminder: r.answered_before_reminder,
  acknowledged: r.acknowledged,
  followedUp: r.followed_up,
  analysed: r.analysed,
  spellingChecked: r.spelling_checked,
  spellingWithErrors: r.spelling_with_errors,
  spellingErrors: r.spelling_errors,
  spellingWords: r.spelling_words,
  withLogo: r.with_logo,
  withCharter: r.with_charter,
  withNamedSignature: r.with_named_signature,
  personalised: r.personalised,
  scored: r.scored,
  scoreSum: Number(r.score_sum),
  scoreSquareSum: Number(r.score_square_sum),
  delays: r.delays,
  businessDelays: r.business_delays,
});

export async function computeStats(db: Pool, query: StatsQuery): Promise<StatsReport> {
  if (query.series === 'week' && query.groupBy === 'week') throw new RangeError('a weekly series needs rows that are not weeks');
  const weekCut = query.groupBy === 'week' || query.series === 'week' ? await weekCutOf(db, query.filter) : null;
  // a sector's brands with probes come from a query of their own, run beside the sums: a
  // distinct aggregate among the sums would sort every rollup, an array of the brands weighs more
  const [sums, brandCounts] = await Promise.all([
    sumRollups(db, query, weekCut),
    query.groupBy === 'sector' ? countBrandsWithProbes(db, query.filter, weekCut) : null,
  ]);
  const own = query.filter.campaignId ? await findCampaignSettings(db, query.filter.campaignId) : null;
  const norms = reportedNorms(sums, own);

  const parts = new Map<string | null, PartRow[]>();
  const weekParts = new Map<string, RollupPart[]>();
  for (const row of sums) {
    push(parts, row.group_key, row);
    if (row.week !== null) push(weekParts, seriesKey(row.group_key, row.week), toPart(row));
  }

  const groups = await groupsOf(db, query, [...parts.keys()]);
  const weeks = query.series ? weekGroups(sums.map((r) => r.week as string)) : [];
  return {
    norms,
    weekTimeZone: weekCut?.timeZone ?? null,
    rows: groups.map((group) => ({
      group,
      ...metricsOf((parts.get(group.key) ?? []).map(toPart), norms),
      ...panelOf(query.groupBy, parts.get(group.key) ?? [], own, brandCounts?.get(group.key as string) ?? 0),
      ...(query.series && {
        series: weeks.map((week) => ({
          week: week.label as string,
          weekStart: week.key as string,
          ...metricsOf(weekParts.get(seriesKey(group.key, week.key as string)) ?? [], norms),
        })),
      }),
    })),
  };
}

async function groupsOf(db: Queryable, query: StatsQuery, withData: (string | null)[]): Promise<StatsGroup[]> {
  if (query.groupBy === null) return [{ key: null, label: 'all' }];
  const keys = withData.filter((key): key is string => key !== null);
  if (query.groupBy === 'week') return weekGroups(keys);
  return listGroups(db, query.groupBy, query.filter, keys);
}

interface CampaignSettings {
  norms: number[];
  min_probes_per_brand: number;
  min_brands_per_sector: number;
}

async function findCampaignSettings(db: Queryable, campaignId: string): Promise<CampaignSettings | null> {
  const { rows } = await db.query<CampaignSettings>('select norms, min_probes_per_brand, min_brands_per_sector from campaigns where id = $1', [campaignId]);
  return rows[0] ?? null;
}

/** The norms of the campaigns the sums come from, and of the filter's campaign even when it has no probe yet. */
function reportedNorms(sums: readonly PartRow[], own: CampaignSettings | null): number[] {
  const norms = new Set([...sums.flatMap((row) => row.norms), ...(own?.norms ?? [])]);
  return [...norms].sort((a, b) => a - b);
}

/**
 * Weekly figures are cut on the clock of the scope's first campaign; the scope's campaigns in
 * another timezone are regrouped on it.
 */
async function weekCutOf(db: Queryable, filter: StatsFilter): Promise<WeekCut> {
  const campaigns = await listScopeCampaignZones(db, filter);
  const timeZone = campaigns[0]?.timezone ?? DEFAULT_WEEK_TIME_ZONE;
  return { timeZone, regroupCampaignIds: campaigns.filter((c) => c.timezone !== timeZone).map((c) => c.id) };
}

/**
 * Panel sufficiency of a row. A brand row holds its probes against the highest
 * minProbesPerBrand among the campaigns it has probes in and the filter's campaign (the
 * default, 30, when there is none); a sector row its brands with probes against the highest
 * minBrandsPerSector likewise. Rows of weeks, campaigns, mailboxes or the whole scope rank no
 * brands: no rule applies (`panelSufficient: null`).
 */
function panelOf(groupBy: GroupBy | null, parts: readonly PartRow[], own: CampaignSettings | null, brands: number): PanelCheck {
  const strictest = (field: 'min_probes_per_brand' | 'min_brands_per_sector', fallback: number) => {
    const minimums = [...parts.map((p) => p[field]), ...(own ? [own[field]] : [])];
    return minimums.length > 0 ? Math.max(...minimums) : fallback;
  };
  if (groupBy === 'brand') return brandPanel(parts.reduce((total, p) => total + p.probes, 0), strictest('min_probes_per_brand', DEFAULT_MIN_PROBES_PER_BRAND));
  if (groupBy === 'sector') return sectorPanel(brands, strictest('min_brands_per_sector', DEFAULT_MIN_BRANDS_PER_SECTOR));
  return noPanelRule();
}

/** Per sector, its brands with probes in the filter's scope. */
async function countBrandsWithProbes(db: Queryable, filter: StatsFilter, weeks: WeekCut | null): Promise<Map<string, number>> {
  const source = rollupSource(filter, weeks);
  const { rows } = await db.query<{ sector_id: string; brands: number }>(
    `select b.sector_id, count(*)::int as brands
       from (select r.sector_id, r.brand_id from ${source.from} where ${source.where} group by 1, 2) b
      group by 1`,
    source.values,
  );
  return new Map(rows.map((r) => [r.sector_id, r.brands]));
}

const seriesKey = (group: string | null, week: string) => `${group ?? ''}/${week}`;

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}
