-- Up Migration
-- Lists page on (created_at, id). Cursors carry milliseconds (JavaScript dates), so
-- creation times are kept to the millisecond: a cursor then names its row exactly,
-- and pages walk an index on the raw column instead of sorting the whole table.
do $$
declare t text;
begin
  foreach t in array array['sectors', 'brands', 'mailboxes', 'scenarios', 'campaigns', 'probes', 'reminders', 'messages', 'api_keys'] loop
    execute format('alter table %I alter column created_at set default date_trunc(''milliseconds'', now())', t);
    execute format('update %I set created_at = date_trunc(''milliseconds'', created_at) where created_at <> date_trunc(''milliseconds'', created_at)', t);
  end loop;
end $$;

create index sectors_page_idx on sectors (created_at, id);
create index brands_page_idx on brands (created_at, id);
create index campaigns_page_idx on campaigns (created_at, id);
create index probes_page_idx on probes (created_at, id);
create index messages_page_idx on messages (created_at, id);
create index messages_mailbox_page_idx on messages (mailbox_id, created_at, id);
