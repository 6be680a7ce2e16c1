-- Up Migration
-- A mailbox's sending faults (a refused SMTP login, no SMTP settings) apart from its
-- sync errors: a successful IMAP poll must not wipe them.
alter table mailboxes add column send_error text;
alter table mailboxes add column send_error_at timestamptz;
