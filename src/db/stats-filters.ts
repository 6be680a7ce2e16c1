/**
 * Which rollups a statistics request reads. The stored rollups (`outcome_rollups`) hold whole
 * weeks; a period that starts or ends inside a week reads the stored rollups of its whole
 * weeks, and computes those of its partial weeks from the outcomes (`outcome_rollups_between`,
 * the same definition), at the cost of reading at most two weeks of outcomes.
 */

export interface StatsFilter {
  campaignId?: string | undefined;
  brandId?: string | undefined;
  sectorId?: string | undefined;
  /** Probes sent at or after. */
  from?: Date | undefined;
  /** Probes sent before. */
  to?: Date | undefined;
}

/** SQL that yields rollup rows as `r`, with its parameters. */
export interface RollupSource {
  /** A `from` item aliased `r`, with the columns of `outcome_rollups`. */
  from: string;
  /** Conditions on `r`, ANDed. */
  where: string;
  values: unknown[];
}

const WEEK_MS = 7 * 24 * 3600 * 1000;
/** 1970-01-05, a Monday, at 00:00 UTC. */
const FIRST_MONDAY_MS = Date.UTC(1970, 0, 5);

/** Monday 00:00 UTC at or before `date`: where its week's rollups begin. */
export function weekStart(date: Date): Date {
  return new Date(date.getTime() - (((date.getTime() - FIRST_MONDAY_MS) % WEEK_MS) + WEEK_MS) % WEEK_MS);
}

/** Monday 00:00 UTC at or after `date`. */
function nextWeekStart(date: Date): Date {
  const start = weekStart(date);
  return start.getTime() === date.getTime() ? start : new Date(start.getTime() + WEEK_MS);
}

export function rollupSource(filter: StatsFilter): RollupSource {
  const values: unknown[] = [];
  const param = (value: unknown, type: 'uuid' | 'timestamptz') => {
    values.push(value);
    return `$${values.length}::${type}`;
  };
  const keys = [
    filter.campaignId && `r.campaign_id = ${param(filter.campaignId, 'uuid')}`,
    filter.brandId && `r.brand_id = ${param(filter.brandId, 'uuid')}`,
    filter.sectorId && `r.sector_id = ${param(filter.sectorId, 'uuid')}`,
  ].filter((condition) => typeof condition === 'string');
  const between = (from: Date, to: Date) => `outcome_rollups_between(${param(from, 'timestamptz')}, ${param(to, 'timestamptz')})`;

  const { from, to } = filter;
  // the whole weeks of the period: [firstWeek, endWeek)
  const firstWeek = from && nextWeekStart(from);
  const endWeek = to && weekStart(to);
  if (from && to && firstWeek && endWeek && firstWeek >= endWeek) {
    return { from: `${between(from, to)} r`, where: keys.join(' and ') || 'true', values };
  }
  const stored = [
    'r.probes > 0',
    firstWeek && `r.week >= ${param(firstWeek, 'timestamptz')}`,
    endWeek && `r.week < ${param(endWeek, 'timestamptz')}`,
  ].filter((condition) => typeof condition === 'string');
  const partialWeeks = [
    from && firstWeek && firstWeek > from && between(from, firstWeek),
    to && endWeek && endWeek < to && between(endWeek, to),
  ].filter((source) => typeof source === 'string');
  if (partialWeeks.length === 0) return { from: 'outcome_rollups r', where: [...stored, ...keys].join(' and '), values };
  return {
    from: `(select r.* from outcome_rollups r where ${stored.join(' and ')}
            ${partialWeeks.map((source) => `union all select * from ${source}`).join(' ')}) r`,
    where: keys.join(' and ') || 'true',
    values,
  };
}
