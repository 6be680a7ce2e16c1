/**
 * Response statistics over outcomes (one row per sent probe, carrying its grouping
 * keys). Percentiles are continuous, as PostgreSQL's `percentile_cont`: the median of
 * 1, 2, 3, 10 hours is 2.5 h. Rates are shares of the probes of the group; a group
 * with no probe, or no answer for a delay, gives null, never 0 or NaN.
 */
import type { Queryable } from './pool.ts';

export const GROUP_BYS = ['brand', 'sector', 'campaign', 'mailbox', 'week'] as const;
export type GroupBy = (typeof GROUP_BYS)[number];

export interface StatsFilter {
  campaignId?: string | undefined;
  brandId?: string | undefined;
  sectorId?: string | undefined;
  /** Probes sent at or after. */
  from?: Date | undefined;
  /** Probes sent before. */
  to?: Date | undefined;
}

export interface StatsRow {
  group: { key: string | null; label: string | null };
  probes: number;
  answered: number;
  responseRate: number | null;
  responseRateAfterReminder: number | null;
  acknowledged: number;
  ackRate: number | null;
  withinNorm: Record<string, number>;
  delayP50Hours: number | null;
  delayP90Hours: number | null;
  delayMeanHours: number | null;
  businessDelayP50Hours: number | null;
  followUpRate: number | null;
}

const GROUP_KEY: Record<GroupBy | 'all', { key: string; label: string; join: string }> = {
  all: { key: `null::text`, label: `'all'`, join: '' },
  brand: { key: 'o.brand_id::text', label: 'g.name', join: 'join brands g on g.id = o.brand_id' },
  sector: { key: 'o.sector_id::text', label: 'g.name', join: 'join sectors g on g.id = o.sector_id' },
  campaign: { key: 'o.campaign_id::text', label: 'g.name', join: 'join campaigns g on g.id = o.campaign_id' },
  mailbox: { key: 'o.mailbox_id::text', label: 'g.label', join: 'join mailboxes g on g.id = o.mailbox_id' },
  // ISO weeks starting on Monday, in UTC
  week: { key: `to_char(date_trunc('week', o.sent_at at time zone 'UTC'), 'YYYY-MM-DD')`, label: `to_char(o.sent_at at time zone 'UTC', 'IYYY-"W"IW')`, join: '' },
};

export async function computeStats(db: Queryable, filter: StatsFilter, groupBy: GroupBy | null): Promise<StatsRow[]> {
  const g = GROUP_KEY[groupBy ?? 'all'];
  const values = [filter.campaignId ?? null, filter.brandId ?? null, filter.sectorId ?? null, filter.from ?? null, filter.to ?? null];
  const where = `o.sent_at is not null
      and ($1::uuid is null or o.campaign_id = $1) and ($2::uuid is null or o.brand_id = $2)
      and ($3::uuid is null or o.sector_id = $3)
      and ($4::timestamptz is null or o.sent_at >= $4) and ($5::timestamptz is null or o.sent_at < $5)`;
  const { rows } = await db.query<{
    key: string | null;
    label: string | null;
    probes: number;
    answered: number;
    answered_before_reminder: number;
    acknowledged: number;
    followed_up: number;
    p50: number | null;
    p90: number | null;
    mean: number | null;
    business_p50: number | null;
    norms: Record<string, number> | null;
  }>(
    `with base as (
       select ${g.key} as group_key, min(${g.label}) over (partition by ${g.key}) as group_label, o.*
         from outcomes o ${g.join}
        where ${where}
     ),
     norms as (
       select group_key, jsonb_object_agg(norm, rate) as norms
         from (select b.group_key, n.key as norm, avg(case when n.value = 'true' then 1.0 else 0.0 end)::float8 as rate
                 from base b, jsonb_each_text(b.within_norms) n group by 1, 2) per_norm
        group by group_key
     )
     select b.group_key as key, min(b.group_label) as label,
            count(*)::int as probes,
            count(*) filter (where b.answered_at is not null)::int as answered,
            count(*) filter (where b.answered_at is not null and not b.answered_after_reminder)::int as answered_before_reminder,
            count(*) filter (where b.acknowledged_at is not null)::int as acknowledged,
            count(*) filter (where b.answered_at is not null and b.follow_ups > 0)::int as followed_up,
            percentile_cont(0.5) within group (order by b.delay_hours) as p50,
            percentile_cont(0.9) within group (order by b.delay_hours) as p90,
            avg(b.delay_hours)::float8 as mean,
            percentile_cont(0.5) within group (order by b.business_delay_hours) as business_p50,
            (select n.norms from norms n where n.group_key is not distinct from b.group_key) as norms
       from base b
      group by b.group_key
      order by min(b.group_label), b.group_key`,
    values,
  );
  return rows.map((r) => {
    const share = (n: number, of: number) => (of > 0 ? n / of : null);
    return {
      group: { key: r.key, label: r.label },
      probes: r.probes,
      answered: r.answered,
      responseRate: share(r.answered_before_reminder, r.probes),
      responseRateAfterReminder: share(r.answered, r.probes),
      acknowledged: r.acknowledged,
      ackRate: share(r.acknowledged, r.probes),
      withinNorm: r.norms ?? {},
      delayP50Hours: r.p50,
      delayP90Hours: r.p90,
      delayMeanHours: r.mean,
      businessDelayP50Hours: r.business_p50,
      followUpRate: share(r.followed_up, r.answered),
    };
  });
}
