-- Up Migration
-- Alerts: webhooks that receive signed event deliveries, and the record of every
-- delivery attempt. Mailbox logins by OAuth2 (XOAUTH2) besides passwords.

create table webhooks (
  id                     uuid primary key default gen_random_uuid(),
  url                    text not null,
  events                 text[] not null,
  -- AES-256-GCM, versioned envelope (see src/secrets.ts); never returned by the API
  secret_enc             text not null,
  enabled                boolean not null default true,
  format                 text not null default 'json' check (format in ('json', 'slack')),
  last_delivery_at       timestamptz,
  last_delivery_status   text check (last_delivery_status in ('delivered', 'failed')),
  last_status_code       integer,
  last_error             text,
  consecutive_failures   integer not null default 0,
  created_at             timestamptz not null default date_trunc('milliseconds', now()),
  updated_at             timestamptz not null default now()
);
create index webhooks_page_idx on webhooks (created_at, id);

-- One row per HTTP attempt: what the receiver answered (or why there was no answer).
create table webhook_deliveries (
  id               uuid primary key default gen_random_uuid(),
  webhook_id       uuid not null references webhooks (id) on delete cascade,
  event_id         uuid not null,
  event_type       text not null,
  attempt          integer not null check (attempt >= 1),
  status           text not null check (status in ('delivered', 'failed')),
  status_code      integer,
  error            text,
  duration_ms      integer not null,
  -- when the next attempt is due; null once delivered or given up
  next_attempt_at  timestamptz,
  created_at       timestamptz not null default date_trunc('milliseconds', now())
);
create index webhook_deliveries_page_idx on webhook_deliveries (webhook_id, created_at, id);

-- probe.overdue is sent once per probe and norm: the scheduler's scan records it here.
create table probe_overdue_alerts (
  probe_id    uuid not null references probes (id) on delete cascade,
  norm_hours  double precision not null,
  alerted_at  timestamptz not null default now(),
  primary key (probe_id, norm_hours)
);

-- OAuth2 logins: client id, client secret and refresh token sealed together as one
-- JSON document (write-only); the token endpoint is not a secret.
alter table mailboxes alter column imap_password_enc drop not null;
alter table mailboxes add column imap_auth_type text not null default 'password' check (imap_auth_type in ('password', 'oauth2'));
alter table mailboxes add column imap_oauth2_enc text;
alter table mailboxes add column imap_oauth2_provider text check (imap_oauth2_provider in ('google', 'microsoft', 'custom'));
alter table mailboxes add column imap_oauth2_token_url text;
alter table mailboxes add column imap_oauth2_scope text;
alter table mailboxes add column smtp_auth_type text not null default 'password' check (smtp_auth_type in ('password', 'oauth2'));
alter table mailboxes add column smtp_oauth2_enc text;
alter table mailboxes add column smtp_oauth2_provider text check (smtp_oauth2_provider in ('google', 'microsoft', 'custom'));
alter table mailboxes add column smtp_oauth2_token_url text;
alter table mailboxes add column smtp_oauth2_scope text;
alter table mailboxes add constraint mailboxes_imap_login_check check (
  (imap_auth_type = 'password' and imap_password_enc is not null)
  or (imap_auth_type = 'oauth2' and imap_oauth2_enc is not null and imap_oauth2_token_url is not null)
);
