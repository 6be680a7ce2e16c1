-- Up Migration
-- The next time a failing mailbox may be polled, drawn once when its poll failed (backoff
-- with jitter): every later check reads this time instead of drawing a new one. Null while
-- the mailbox works.
alter table mailboxes add column next_poll_at timestamptz;
