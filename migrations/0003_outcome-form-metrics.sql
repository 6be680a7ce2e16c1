-- Up Migration
-- Statistics: the form figures of each probe's first answer on its outcome, and rollups of
-- the outcomes kept up to date in the same transaction as the outcomes themselves, so that
-- statistics across a million probes read a few thousand rows instead of a million.

-- 1. Form figures of the first answer, written with the score whenever the answer is
--    analysed or an auditor overrides one of its criteria (src/flow/score-reply.ts).
alter table outcomes
  -- The answer the score and the figures below come from. They count only while it is still
  -- the probe's answer (`answer_reply_id`): after a reassignment, or when a campaign's closing
  -- turns the answer into a late reply, they are stale and count as not yet known.
  add column scored_reply_id uuid references replies (id) on delete set null,
  -- Spelling errors, and the words checked, in the answer and its signature; both null when
  -- the answer's language has no dictionary.
  add column spelling_errors integer check (spelling_errors >= 0),
  add column spelling_words integer check (spelling_words >= 0),
  add column form_logo boolean,
  add column form_charter boolean,
  -- Signed with a person's name (a team's name does not count).
  add column form_named_signature boolean,
  add column form_personalised boolean,
  -- The start (Monday 00:00 UTC) of the ISO week the probe was sent in: statistics group by it.
  add column sent_week timestamptz generated always as (date_trunc('week', sent_at at time zone 'UTC') at time zone 'UTC') stored;

-- 2. Rollups: the outcomes of sent probes summed per (campaign, brand, sector, mailbox, week),
--    the finest grain any statistic groups or filters by (a period that cuts through a week
--    computes that week's rollups from the outcomes instead). Counts are integers and the delays are kept whole, so that every figure,
--    percentiles included, comes out exactly as from the outcomes themselves: a percentile is
--    taken over the union of the groups' delays (src/db/stats-metrics.ts). The mailbox is in
--    the key so that two mailboxes' syncs, the service's only concurrent writers of many
--    outcomes at once, never wait on the same rollup row.
create table outcome_rollups (
  campaign_id               uuid not null,
  brand_id                  uuid not null,
  sector_id                 uuid not null,
  mailbox_id                uuid not null,
  -- Monday 00:00 UTC
  week                      timestamptz not null,
  probes                    integer not null default 0,
  -- first answer received, before or after the reminder
  answered                  integer not null default 0,
  answered_before_reminder  integer not null default 0,
  acknowledged              integer not null default 0,
  -- answered, then followed up by the brand
  followed_up               integer not null default 0,
  -- answers whose score and form figures are current (see outcomes.scored_reply_id)
  analysed                  integer not null default 0,
  spelling_checked          integer not null default 0,
  spelling_with_errors      integer not null default 0,
  spelling_errors           bigint not null default 0,
  spelling_words            bigint not null default 0,
  with_logo                 integer not null default 0,
  with_charter              integer not null default 0,
  with_named_signature      integer not null default 0,
  personalised              integer not null default 0,
  -- probes with a known note: an unanswered probe scores 0, an answer not yet analysed is unknown
  scored                    integer not null default 0,
  score_sum                 numeric not null default 0,
  -- the answered probes' delays in hours, each as float8send writes it (8 bytes, big-endian), ascending
  delays                    bytea not null default '',
  business_delays           bytea not null default '',
  primary key (campaign_id, brand_id, sector_id, mailbox_id, week)
);

-- How many groups a statistics query makes: with it the planner sees that a few thousand
-- groups fit in memory and hashes them, rather than sorting every rollup first.
create statistics outcome_rollups_groups (ndistinct) on campaign_id, brand_id, sector_id, mailbox_id, week from outcome_rollups;

-- The rollups of the outcomes of probes sent in [sent_from, sent_to). The one definition of
-- what a rollup holds: triggers store its rows, and statistics over a period that does not
-- start and end on week boundaries read it directly. Inlined by the planner, so conditions on
-- its key columns filter the outcomes before they are grouped.
create function outcome_rollups_between(sent_from timestamptz, sent_to timestamptz)
returns setof outcome_rollups
language sql stable
as $$
  select o.campaign_id, o.brand_id, o.sector_id, o.mailbox_id, o.sent_week,
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
                    filter (where o.business_delay_hours is not null), ''::bytea)
    from (select o.*,
                 o.answered_at is not null and o.scored_reply_id = o.answer_reply_id as analysed,
                 case when o.answered_at is null then 0
                      when o.scored_reply_id = o.answer_reply_id then o.score end as note
            from outcomes o
           where o.sent_at >= sent_from and o.sent_at < sent_to) o
   group by o.campaign_id, o.brand_id, o.sector_id, o.mailbox_id, o.sent_week
$$;

-- Reads the outcomes of one rollup. Replaces schema v1's (campaign_id, brand_id) index, whose
-- uses it serves as well.
create index outcomes_rollup_key_idx on outcomes (campaign_id, brand_id, mailbox_id, sent_week);
drop index outcomes_campaign_brand_idx;

create type outcome_rollup_key as (campaign_id uuid, brand_id uuid, sector_id uuid, mailbox_id uuid, week timestamptz);

-- Recomputes the given rollups from the outcomes. Concurrent writers of the same rollup
-- queue on its row: each locks its rows (in key order, so that two statements never wait on
-- each other in a circle), then recomputes in a snapshot taken after the lock, which sees
-- every writer that held the row before. A rollup left without outcomes stays as a row of
-- zeros, which weighs nothing: deleting it would let a writer queued on it go unlocked.
create function refresh_outcome_rollups(keys outcome_rollup_key[])
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
         business_delays = coalesce(f.business_delays, ''::bytea)
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

-- Statement-level triggers: a statement that writes many outcomes (a campaign closing)
-- refreshes each rollup it touches once. An update counts only when it changes something
-- besides the outcome's bookkeeping (`updated_at`, `frozen`), so recomputing an unchanged
-- outcome costs one comparison.
create function outcomes_rollup_trigger()
returns trigger
language plpgsql
as $$
declare
  keys outcome_rollup_key[];
begin
  if tg_op = 'INSERT' then
    select array_agg(distinct row (n.campaign_id, n.brand_id, n.sector_id, n.mailbox_id, n.sent_week)::outcome_rollup_key)
      into keys
      from new_outcomes n
     where n.sent_at is not null;
  elsif tg_op = 'DELETE' then
    select array_agg(distinct row (o.campaign_id, o.brand_id, o.sector_id, o.mailbox_id, o.sent_week)::outcome_rollup_key)
      into keys
      from old_outcomes o
     where o.sent_at is not null;
  else
    select array_agg(distinct k.key)
      into keys
      from old_outcomes o
      join new_outcomes n using (probe_id)
     cross join lateral (values (row (o.campaign_id, o.brand_id, o.sector_id, o.mailbox_id, o.sent_week)::outcome_rollup_key, o.sent_at),
                               (row (n.campaign_id, n.brand_id, n.sector_id, n.mailbox_id, n.sent_week)::outcome_rollup_key, n.sent_at)) k (key, sent_at)
     where k.sent_at is not null
       and to_jsonb(o) - '{updated_at,frozen}'::text[] is distinct from to_jsonb(n) - '{updated_at,frozen}'::text[];
  end if;
  perform refresh_outcome_rollups(keys);
  return null;
end;
$$;

create trigger outcomes_rollup_insert after insert on outcomes
  referencing new table as new_outcomes for each statement execute function outcomes_rollup_trigger();
create trigger outcomes_rollup_update after update on outcomes
  referencing old table as old_outcomes new table as new_outcomes for each statement execute function outcomes_rollup_trigger();
create trigger outcomes_rollup_delete after delete on outcomes
  referencing old table as old_outcomes for each statement execute function outcomes_rollup_trigger();

create function outcomes_rollup_truncate()
returns trigger
language plpgsql
as $$
begin
  truncate outcome_rollups;
  return null;
end;
$$;

create trigger outcomes_rollup_truncate after truncate on outcomes
  for each statement execute function outcomes_rollup_truncate();

insert into outcome_rollups select * from outcome_rollups_between('-infinity', 'infinity');
