-- Up Migration
-- How an auditor settled a send held for review (a probe or a reminder interrupted with no
-- copy in the Sent folder, see 0015): sent at a time the auditor established, not sent (so
-- sent again), or failed. Kept for good, with who decided and when: the evidence pack shows
-- it beside the probe's sending, since it bears on the delay.
create table held_resolutions (
  id                  uuid primary key default gen_random_uuid(),
  probe_id            uuid not null references probes (id) on delete cascade,
  -- null: the probe itself; otherwise the reminder of that seq
  reminder_seq        integer check (reminder_seq >= 1),
  resolution          text not null check (resolution in ('sent', 'not_sent', 'failed')),
  -- for `sent`: the time the auditor established (from the provider's sent log)
  sent_at             timestamptz check ((resolution = 'sent') = (sent_at is not null)),
  note                text,
  -- the hold as it was: since when, and why
  held_at             timestamptz not null,
  held_reason         text,
  resolved_by_key_id  uuid references api_keys (id) on delete set null,
  resolved_by         text not null,
  resolved_at         timestamptz not null default now()
);
create index held_resolutions_probe_idx on held_resolutions (probe_id, resolved_at);
-- the held sends of a campaign, counted for its page
create index probes_held_idx on probes (campaign_id) where held_at is not null;

-- A campaign an auditor reopened is closed by hand from then on: the reconciler, rebuilding
-- the automatic-close jobs after a Redis that lost its data, leaves it open.
alter table campaigns add column reopened_at timestamptz;
