-- Up Migration
-- A probe or reminder found `sending` after an interrupted attempt, with no copy in the
-- Sent folder to say whether it went out: held for an auditor rather than sent again, and
-- never re-queued by the reconciler.
alter table probes add column held_at timestamptz;
alter table reminders add column held_at timestamptz;
