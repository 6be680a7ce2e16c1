/**
 * Which rollups a statistics request reads. A stored rollup (`outcome_rollups`) holds one
 * week of one campaign, from Monday 00:00 to the next on the campaign's clock (`week`,
 * `week_end`). A period reads the stored rollups lying wholly inside it, and computes the
 * rollups it cuts through from the outcomes (`outcome_rollups_between`, the same definition)
 * over its first and last eight days, which hold every such week whatever the timezone.
 *
 * Weekly rows and series are cut on one clock, `weeks.timeZone`; campaigns of another
 * timezone (`weeks.regroupCampaignIds`) have their rollups computed again from their outcomes
 * on that clock, for the whole period. Every probe of the scope is counted once either way.
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

/** The clock weekly figures are cut on. */
export interface WeekCut {
  /** IANA name. */
  timeZone: string;
  /** Campaigns of the scope in another timezone, whose weeks are cut again on `timeZone`. */
  regroupCampaignIds: readonly string[];
}

/** SQL that yields rollup rows as `r`, with its parameters. */
export interface RollupSource {
  /** A `from` item aliased `r`, with the columns of `outcome_rollups`. */
  from: string;
  /** Conditions on `r`, ANDed. */
  where: string;
  values: unknown[];
}

/** Longer than any local week (169 h across a clock change), so that a week cut by a bound lies within it. */
const EDGE_MS = 8 * 24 * 3600 * 1000;

/**
 * The spans of `[from, to)` whose weeks may be cut by a bound: its first and last eight days,
 * merged into the whole period when they meet. Outcomes of whole weeks in them are left to
 * the stored rollups by the caller's condition on the computed rollups' weeks.
 */
export function periodEdges(from: Date | undefined, to: Date | undefined): { from: Date | null; to: Date | null }[] {
  const head = from ? { from, to: to && to.getTime() - from.getTime() <= EDGE_MS ? to : new Date(from.getTime() + EDGE_MS) } : null;
  const tail = to ? { from: from && to.getTime() - from.getTime() <= EDGE_MS ? from : new Date(to.getTime() - EDGE_MS), to } : null;
  if (head && tail && head.to.getTime() >= tail.from.getTime()) return [{ from: head.from, to: tail.to }];
  return [head, tail].filter((edge) => edge !== null);
}

export function rollupSource(filter: StatsFilter, weeks: WeekCut | null = null): RollupSource {
  const values: unknown[] = [];
  const param = (value: unknown, type: 'uuid' | 'uuid[]' | 'timestamptz' | 'text') => {
    values.push(value);
    return `$${values.length}::${type}`;
  };
  const keys = [
    filter.campaignId && `r.campaign_id = ${param(filter.campaignId, 'uuid')}`,
    filter.brandId && `r.brand_id = ${param(filter.brandId, 'uuid')}`,
    filter.sectorId && `r.sector_id = ${param(filter.sectorId, 'uuid')}`,
  ].filter((condition) => typeof condition === 'string');
  const from = filter.from && param(filter.from, 'timestamptz');
  const to = filter.to && param(filter.to, 'timestamptz');
  const regroup = weeks && weeks.regroupCampaignIds.length > 0 ? param(weeks.regroupCampaignIds, 'uuid[]') : null;
  const ownWeeks = regroup ? [`r.campaign_id <> all (${regroup})`] : [];

  const stored = ['r.probes > 0', from && `r.week >= ${from}`, to && `r.week_end <= ${to}`, ...ownWeeks].filter((c) => typeof c === 'string');
  // the computed rollups of the edges that stored ones do not cover: weeks a bound cuts through
  const cut = [from && `r.week < ${from}`, to && `r.week_end > ${to}`].filter((c) => typeof c === 'string').join(' or ');
  const between = (edge: { from: Date | null; to: Date | null }, zone?: string) =>
    `outcome_rollups_between(${edge.from ? param(edge.from, 'timestamptz') : `'-infinity'`}, ${edge.to ? param(edge.to, 'timestamptz') : `'infinity'`}${zone ? `, ${param(zone, 'text')}` : ''})`;
  const computed = [
    ...periodEdges(filter.from, filter.to).map((edge) => `select r.* from ${between(edge)} r where (${cut})${ownWeeks.map((c) => ` and ${c}`).join('')}`),
    ...(weeks && regroup
      ? [`select r.* from ${between({ from: filter.from ?? null, to: filter.to ?? null }, weeks.timeZone)} r where r.campaign_id = any (${regroup})`]
      : []),
  ];
  if (computed.length === 0) return { from: 'outcome_rollups r', where: [...stored, ...keys].join(' and '), values };
  return {
    from: `(select r.* from outcome_rollups r where ${stored.join(' and ')}
            ${computed.map((source) => `union all ${source}`).join(' ')}) r`,
    where: keys.join(' and ') || 'true',
    values,
  };
}
