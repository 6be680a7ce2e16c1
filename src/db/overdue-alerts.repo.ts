/**
 * probe.overdue, once per probe and norm: the probes sent that passed a norm of their
 * campaign with no answer, claimed in `probe_overdue_alerts` so that no later scan
 * reports them again. Only norms passed within the last week: a scheduler down for a
 * while catches up, a first start does not flood the receivers with old campaigns.
 */
import type { Queryable } from './pool.ts';

export interface OverdueProbe {
  probeId: string;
  brandId: string;
  campaignId: string;
  mailboxId: string;
  sentAt: Date;
  normHours: number;
}

/** Claims up to `limit` overdue (probe, norm) pairs; call in a transaction that commits once they are queued. */
export async function claimOverdueProbes(db: Queryable, now: Date, limit: number): Promise<OverdueProbe[]> {
  const { rows } = await db.query<{ probe_id: string; brand_id: string; campaign_id: string; mailbox_id: string; sent_at: Date; norm: number }>(
    `with due as (
       select p.id as probe_id, p.brand_id, p.campaign_id, p.mailbox_id, p.sent_at, n.norm
         from probes p
         join campaigns c on c.id = p.campaign_id and c.status <> 'closed'
         cross join lateral unnest(c.norms) as n(norm)
         left join outcomes o on o.probe_id = p.id
        where p.status = 'sent' and p.sent_at is not null
          and o.answered_at is null and coalesce(o.bounced, false) = false
          and p.sent_at + n.norm * interval '1 hour' <= $1
          and p.sent_at + n.norm * interval '1 hour' > $1::timestamptz - interval '7 days'
          and not exists (select 1 from probe_overdue_alerts a where a.probe_id = p.id and a.norm_hours = n.norm)
        order by p.sent_at + n.norm * interval '1 hour'
        limit $2
     ), claimed as (
       insert into probe_overdue_alerts (probe_id, norm_hours)
       select probe_id, norm from due
       on conflict do nothing
       returning probe_id, norm_hours
     )
     select d.* from due d join claimed c on c.probe_id = d.probe_id and c.norm_hours = d.norm`,
    [now, limit],
  );
  return rows.map((r) => ({ probeId: r.probe_id, brandId: r.brand_id, campaignId: r.campaign_id, mailboxId: r.mailbox_id, sentAt: r.sent_at, normHours: r.norm }));
}
