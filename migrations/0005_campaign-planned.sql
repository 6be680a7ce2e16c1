-- Up Migration
-- When the worker planned the campaign's probes, set in the plan's own transaction: a
-- campaign is planned once, whatever probes were declared by hand before or since.
alter table campaigns add column planned_at timestamptz;

-- Campaigns planned before this column: those with a probe the service was to send.
update campaigns c set planned_at = c.updated_at
 where c.status <> 'draft'
   and exists (select 1 from probes p where p.campaign_id = c.id and p.channel = 'email' and p.scheduled_at is not null);
