-- Up Migration
-- Issue 15: STARTTLS required by default; a per-server opt-out for a trusted local server.
-- SMTP logins become optional (a relay that trusts its network sends without one).
alter table mailboxes
  add column imap_allow_plaintext boolean not null default false,
  add column smtp_allow_plaintext boolean not null default false;
