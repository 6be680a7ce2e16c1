/**
 * Response statistics, read from the outcomes' rollups (see migration 0003): one query sums
 * the rollups per group and campaign, with the groups' delays, and `stats-metrics.ts` turns
 * the sums into rates, exact percentiles and means. Across a million probes this reads a few
 * thousand rows; the figures are those the outcomes themselves give.
 */
import { withTransaction, type Pool, type Queryable } from './pool.ts';
import { rollupSource, type StatsFilter } from './stats-filters.ts';
import { GROUP_COLUMN, keyText, listGroups, weekGroups, type GroupBy, type StatsGroup } from './stats-groups.ts';
import { metricsOf, type RollupPart, type StatsMetrics } from './stats-metrics.ts';

export { GROUP_BYS, type GroupBy, type StatsGroup } from './stats-groups.ts';
export type { StatsFilter } from './stats-filters.ts';
export type { DelayHistogram, StatsMetrics } from './stats-metrics.ts';

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
  /** Its Monday, `YYYY-MM-DD` (weeks run from Monday 00:00 UTC). */
  weekStart: string;
}

export interface StatsRow extends StatsMetrics {
  group: StatsGroup;
  series?: WeekPoint[];
}

export interface StatsReport {
  /** The norms reported in `withinNorm`, in hours: those of the campaigns in the rows. */
  norms: number[];
  rows: StatsRow[];
}

interface PartRow {
  group_key: string | null;
  /** The week's Monday, `YYYY-MM-DD`, in a series. */
  week: string | null;
  norms: number[];
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
  delays: Buffer;
  business_delays: Buffer;
}

/**
 * Hash aggregation keeps every group's delays in memory (16 bytes a probe); this is room for
 * a few million probes in one response before PostgreSQL spills to disk, still correct.
 */
const STATS_WORK_MEM = '64MB';

/** The rollups of the filter's scope, summed per group (and week, for a series) and campaign. */
async function sumRollups(pool: Pool, query: StatsQuery): Promise<PartRow[]> {
  const source = rollupSource(query.filter);
  const group = query.groupBy ? `r.${GROUP_COLUMN[query.groupBy]}` : 'null::text';
  const week = query.series ? 'r.week' : 'null::timestamptz';
  const sql = `
    select ${query.groupBy ? keyText('p.group_id', query.groupBy) : 'null::text'} as group_key,
           ${query.series ? keyText('p.week_start', 'week') : 'null::text'} as week, p.*, c.norms
      from (select ${group} as group_id, ${week} as week_start, r.campaign_id,
                   sum(r.probes) as probes, sum(r.answered) as answered,
                   sum(r.answered_before_reminder) as answered_before_reminder, sum(r.acknowledged) as acknowledged,
                   sum(r.followed_up) as followed_up, sum(r.analysed) as analysed,
                   sum(r.spelling_checked) as spelling_checked, sum(r.spelling_with_errors) as spelling_with_errors,
                   sum(r.spelling_errors)::bigint as spelling_errors, sum(r.spelling_words)::bigint as spelling_words,
                   sum(r.with_logo) as with_logo, sum(r.with_charter) as with_charter,
                   sum(r.with_named_signature) as with_named_signature, sum(r.personalised) as personalised,
                   sum(r.scored) as scored, sum(r.score_sum)::text as score_sum,
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
  delays: r.delays,
  businessDelays: r.business_delays,
});

export async function computeStats(db: Pool, query: StatsQuery): Promise<StatsReport> {
  if (query.series === 'week' && query.groupBy === 'week') throw new RangeError('a weekly series needs rows that are not weeks');
  const sums = await sumRollups(db, query);
  const norms = await reportedNorms(db, sums, query.filter);

  const parts = new Map<string | null, RollupPart[]>();
  const weekParts = new Map<string, RollupPart[]>();
  for (const row of sums) {
    const part = toPart(row);
    push(parts, row.group_key, part);
    if (row.week !== null) push(weekParts, seriesKey(row.group_key, row.week), part);
  }

  const groups = await groupsOf(db, query, [...parts.keys()]);
  const weeks = query.series ? weekGroups(sums.map((r) => r.week as string)) : [];
  return {
    norms,
    rows: groups.map((group) => ({
      group,
      ...metricsOf(parts.get(group.key) ?? [], norms),
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

/** The norms of the campaigns the sums come from, and of the filter's campaign even when it has no probe yet. */
async function reportedNorms(db: Queryable, sums: readonly PartRow[], filter: StatsFilter): Promise<number[]> {
  const norms = new Set(sums.flatMap((row) => row.norms));
  if (filter.campaignId && sums.length === 0) {
    const { rows } = await db.query<{ norms: number[] }>('select norms from campaigns where id = $1', [filter.campaignId]);
    for (const norm of rows[0]?.norms ?? []) norms.add(norm);
  }
  return [...norms].sort((a, b) => a - b);
}

const seriesKey = (group: string | null, week: string) => `${group ?? ''}/${week}`;

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}
