-- Up Migration
-- The time up to which every folder of the mailbox is known to have been read: the start of
-- its last successful sync (a sync lists each folder after it starts, so whatever had
-- arrived by then was seen). A reminder waits until its mailbox is read since it came due,
-- so that an answer sitting unread (in a junk folder that IDLE does not watch, or behind a
-- failing login) does not let a reminder reach a brand that already answered. Null before
-- the first successful sync, and again when the IMAP settings change.
alter table mailboxes add column read_through timestamptz;
