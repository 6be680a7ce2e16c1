-- Up Migration
-- Issue 15: a campaign with a sent probe, of any channel, is running. Campaigns made of
-- web-form probes only were left as drafts, which could not be closed.
update campaigns c set status = 'running', updated_at = now()
 where c.status in ('draft', 'scheduled')
   and exists (select 1 from probes p where p.campaign_id = c.id and p.status = 'sent');

-- The matched messages of a mailbox, newest first: what the matching cascade reads, bounded.
create index messages_matched_idx on messages (mailbox_id, received_at desc) where probe_id is not null;
