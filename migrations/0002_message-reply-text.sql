-- Up Migration
-- The new text of each message (without quoted history and signature): the review
-- queue shows it, and the matching cascade reads ticket references from it.
alter table messages add column reply_text text;
alter table messages add column signature text;
