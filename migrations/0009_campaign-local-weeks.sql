-- Up Migration
-- Weeks in the campaign's own timezone: a probe's week starts on Monday 00:00 on its campaign's
-- clock (a probe sent on Sunday 23:30 UTC in a Europe/Paris campaign is Monday 00:30 there, in
-- the new week), so a week lasts 167, 168 or 169 hours. Rollups keep their grain and their key;
-- each also records where its week ends, so that a period cut can tell the rollups lying wholly
-- inside it from those it cuts through (src/db/stats-filters.ts), and the sum of the squared
-- notes, for the notes' spread (confidence intervals and significance in the ranking).

-- 1. Outcomes: the week of a probe, on its campaign's clock, set by a trigger (a generated column
--    cannot read the campaign's timezone).
alter table outcomes alter column sent_week drop expression;
alter table outcomes add column sent_week_end timestamptz;

-- the rollups are made again below, from scratch: no need to refresh them row by row here
alter table outcomes disable trigger outcomes_rollup_update;
update outcomes o
   set sent_week = date_trunc('week', o.sent_at at time zone c.timezone) at time zone c.timezone,
       sent_week_end = (date_trunc('week', o.sent_at at time zone c.timezone) + interval '7 days') at time zone c.timezone
  from campaigns c
 where c.id = o.campaign_id and o.sent_at is not null;
alter table outcomes enable trigger outcomes_rollup_update;

create function outcomes_local_week()
returns trigger
language plpgsql
as $$
declare
  zone text;
  monday timestamp;
begin
  if new.sent_at is null then
    new.sent_week := null;
    new.sent_week_end := null;
    return new;
  end if;
  select c.timezone into zone from campaigns c where c.id = new.campaign_id;
  monday := date_trunc('week', new.sent_at at time zone zone);
  new.sent_week := monday at time zone zone;
  new.sent_week_end := (monday + interval '7 days') at time zone zone;
  return new;
end;
$$;

create trigger outcomes_local_week before insert or update of sent_at, campaign_id, sent_week, sent_week_end on outcomes
  for each row execute function outcomes_local_week();

-- A campaign whose timezone changes (a draft with probes declared by hand) moves its probes to
-- the weeks of its new clock; the rollup trigger follows.
create function campaigns_timezone_weeks()
returns trigger
language plpgsql
as $$
begin
  update outcomes set sent_at = sent_at where campaign_id = new.id and sent_at is not null;
  return null;
end;
$$;

create trigger campaigns_timezone_weeks after update of timezone on campaigns
  for each row when (old.timezone is distinct from new.timezone) execute function campaigns_timezone_weeks();

-- 2. Rollups: where the week ends, and the squared notes.
alter table outcome_rollups
  -- the next Monday 00:00 on the campaign's clock; null only on a rollup left without outcomes
  add column week_end timestamptz,
  add column score_square_sum numeric not null default 0;

-- The rollups of the outcomes of probes sent in [sent_from, sent_to), as before; with
-- `week_zone`, weeks are cut on that timezone's clock instead of each campaign's own (a
-- response spanning campaigns of several timezones reads those of the other timezones so).
drop function outcome_rollups_between(timestamptz, timestamptz);
create function outcome_rollups_between(sent_from timestamptz, sent_to timestamptz, week_zone text default null)
returns setof outcome_rollups
language sql stable
as $$
  select o.campaign_id, o.brand_id, o.sector_id, o.mailbox_id, o.week,
         count(*)::integer,
         count(o.answered_at)::integer,
         (count(*) filter (where o.answered_at is not null and not o.answered_after_reminder))::integer,
         count(o.acknowledged_at)::integer,
         (count(*) filter (where o.answered_at is not null and o.follow_ups > 0))::integer,
         (count(*) filter (where o.analysed))::integer,
         (count(*) filter (where o.analysed and o.spelling_errors is not null))::integer,
         (count(*) filter (where o.analysed and o.spelling_errors > 0))::integer,
         coalesce(sum(o.spelling_errors) filter (where o.analysed), 0)::bigint,
         coalesce(sum(o.spelling_words) filter (where o.analysed and o.spelling_errors is not null), 0)::bigint,
         (count(*) filter (where o.analysed and o.form_logo))::integer,
         (count(*) filter (where o.analysed and o.form_charter))::integer,
         (count(*) filter (where o.analysed and o.form_named_signature))::integer,
         (count(*) filter (where o.analysed and o.form_personalised))::integer,
         count(o.note)::integer,
         coalesce(sum(o.note::numeric), 0),
         coalesce(string_agg(float8send(o.delay_hours), ''::bytea order by o.delay_hours)
                    filter (where o.delay_hours is not null), ''::bytea),
         coalesce(string_agg(float8send(o.business_delay_hours), ''::bytea order by o.business_delay_hours)
                    filter (where o.business_delay_hours is not null), ''::bytea),
         o.week_end,
         coalesce(sum(o.note::numeric * o.note::numeric), 0)
    from (select o.*,
                 case when week_zone is null then o.sent_week
                      else date_trunc('week', o.sent_at at time zone week_zone) at time zone week_zone end as week,
                 case when week_zone is null then o.sent_week_end
                      else (date_trunc('week', o.sent_at at time zone week_zone) + interval '7 days') at time zone week_zone end as week_end,
                 o.answered_at is not null and o.scored_reply_id = o.answer_reply_id as analysed,
                 case when o.answered_at is null then 0
                      when o.scored_reply_id = o.answer_reply_id then o.score end as note
            from outcomes o
           where o.sent_at >= sent_from and o.sent_at < sent_to) o
   group by o.campaign_id, o.brand_id, o.sector_id, o.mailbox_id, o.week, o.week_end
$$;

create or replace function refresh_outcome_rollups(keys outcome_rollup_key[])
returns void
language plpgsql
as $$
begin
  if coalesce(cardinality(keys), 0) = 0 then
    return;
  end if;
  insert into outcome_rollups (campaign_id, brand_id, sector_id, mailbox_id, week)
  select k.campaign_id, k.brand_id, k.sector_id, k.mailbox_id, k.week
    from unnest(keys) k
   order by 1, 2, 3, 4, 5
  on conflict do nothing;

  perform 1
     from outcome_rollups r
     join unnest(keys) k using (campaign_id, brand_id, sector_id, mailbox_id, week)
    order by r.campaign_id, r.brand_id, r.sector_id, r.mailbox_id, r.week
      for update of r;

  update outcome_rollups r
     set probes = coalesce(f.probes, 0),
         answered = coalesce(f.answered, 0),
         answered_before_reminder = coalesce(f.answered_before_reminder, 0),
         acknowledged = coalesce(f.acknowledged, 0),
         followed_up = coalesce(f.followed_up, 0),
         analysed = coalesce(f.analysed, 0),
         spelling_checked = coalesce(f.spelling_checked, 0),
         spelling_with_errors = coalesce(f.spelling_with_errors, 0),
         spelling_errors = coalesce(f.spelling_errors, 0),
         spelling_words = coalesce(f.spelling_words, 0),
         with_logo = coalesce(f.with_logo, 0),
         with_charter = coalesce(f.with_charter, 0),
         with_named_signature = coalesce(f.with_named_signature, 0),
         personalised = coalesce(f.personalised, 0),
         scored = coalesce(f.scored, 0),
         score_sum = coalesce(f.score_sum, 0),
         delays = coalesce(f.delays, ''::bytea),
         business_delays = coalesce(f.business_delays, ''::bytea),
         week_end = coalesce(f.week_end, r.week_end),
         score_square_sum = coalesce(f.score_square_sum, 0)
    from unnest(keys) k
    -- OFFSET 0 keeps the subquery apart, evaluated for each rollup through the index on its key,
    -- however many rollups the statement touches
    left join lateral (
      select f.*
        from outcome_rollups_between('-infinity', 'infinity') f
       where (f.campaign_id, f.brand_id, f.sector_id, f.mailbox_id, f.week) = (k.campaign_id, k.brand_id, k.sector_id, k.mailbox_id, k.week)
      offset 0
    ) f on true
   where (r.campaign_id, r.brand_id, r.sector_id, r.mailbox_id, r.week)
       = (k.campaign_id, k.brand_id, k.sector_id, k.mailbox_id, k.week);
end;
$$;

-- 3. The rollups again, on the new weeks.
truncate outcome_rollups;
insert into outcome_rollups select * from outcome_rollups_between('-infinity', 'infinity');
