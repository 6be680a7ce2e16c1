-- Up Migration
-- Schema v1: every word of DESIGN.md. Times are timestamptz, ids are uuid,
-- SQL names are snake_case (the repositories map them to camelCase).

create table sectors (
  id          uuid primary key default gen_random_uuid(),
  name        text not null,
  created_at  timestamptz not null default now(),
  updated_at  timestamptz not null default now(),
  constraint sectors_name_key unique (name)
);

create table brands (
  id                 uuid primary key default gen_random_uuid(),
  sector_id          uuid not null references sectors (id) on delete restrict,
  name               text not null,
  contact_addresses  text[] not null default '{}',
  -- domains the brand answers from, helpdesk providers included (zendesk.com subdomains...)
  sender_domains     text[] not null default '{}',
  -- words the speller must accept (product names, the brand's own jargon)
  vocabulary         text[] not null default '{}',
  -- { "logoHints": [...], "colors": ["#e30613"] }
  charter            jsonb not null default '{"logoHints": [], "colors": []}',
  created_at         timestamptz not null default now(),
  updated_at         timestamptz not null default now(),
  constraint brands_name_key unique (name)
);
create index brands_sector_id_idx on brands (sector_id);
-- the matching cascade looks brands up by sender domain
create index brands_sender_domains_idx on brands using gin (sender_domains);

-- The fictitious customer who owns one or more test mailboxes.
create table personas (
  id          uuid primary key default gen_random_uuid(),
  first_name  text not null,
  last_name   text not null,
  gender      text check (gender in ('female', 'male', 'other')),
  postal_address text,
  created_at  timestamptz not null default now(),
  updated_at  timestamptz not null default now()
);

create table mailboxes (
  id                     uuid primary key default gen_random_uuid(),
  label                  text not null,
  address                text not null,
  persona_id             uuid not null references personas (id) on delete restrict,
  imap_host              text not null,
  imap_port              integer not null check (imap_port between 1 and 65535),
  imap_secure            boolean not null default true,
  imap_user              text not null,
  -- AES-256-GCM, versioned envelope (see src/secrets.ts); never returned by the API
  imap_password_enc      text not null,
  smtp_host              text,
  smtp_port              integer check (smtp_port between 1 and 65535),
  smtp_secure            boolean not null default true,
  smtp_user              text,
  smtp_password_enc      text,
  poll_interval_seconds  integer not null default 60 check (poll_interval_seconds >= 5),
  -- folders synced besides INBOX and the special-use \Junk folder
  extra_folders          text[] not null default '{}',
  -- where the mailbox receives a whole domain: pattern of each probe's own address
  probe_address_pattern  text,
  enabled                boolean not null default true,
  last_polled_at         timestamptz,
  last_error             text,
  last_error_at          timestamptz,
  consecutive_failures   integer not null default 0,
  created_at             timestamptz not null default now(),
  updated_at             timestamptz not null default now(),
  constraint mailboxes_address_key unique (address)
);
create index mailboxes_persona_id_idx on mailboxes (persona_id);

-- Incremental sync checkpoint, one row per synced folder of a mailbox.
create table mailbox_folders (
  mailbox_id      uuid not null references mailboxes (id) on delete cascade,
  path            text not null,
  special_use     text,
  uid_validity    bigint,
  last_uid        bigint not null default 0,
  highest_modseq  numeric(20, 0),
  synced_at       timestamptz,
  primary key (mailbox_id, path)
);

create table scenarios (
  id               uuid primary key default gen_random_uuid(),
  name             text not null,
  language         text not null default 'fr',
  subject          text not null,
  body             text not null,
  -- [{ "label": "...", "keywords": ["..."] }]
  expected_points  jsonb not null default '[]',
  -- text of the "relance"; a default in the scenario's language when null
  reminder_body    text,
  created_at       timestamptz not null default now(),
  updated_at       timestamptz not null default now()
);

create table campaigns (
  id                    uuid primary key default gen_random_uuid(),
  name                  text not null,
  status                text not null default 'draft'
                          check (status in ('draft', 'scheduled', 'running', 'closed')),
  starts_at             timestamptz,
  ends_at               timestamptz,
  timezone              text not null default 'Europe/Paris',
  business_hours        jsonb not null default '{"days": [1, 2, 3, 4, 5], "from": "09:00", "to": "18:00"}',
  send_window           jsonb not null default '{"days": [1, 2, 3, 4, 5], "from": "09:00", "to": "18:00"}',
  norms                 double precision[] not null default '{4, 24}',
  reminder_after_hours  double precision not null default 24 check (reminder_after_hours > 0),
  reminder_max          integer not null default 1 check (reminder_max >= 0),
  probes_per_brand      integer not null default 1 check (probes_per_brand >= 0),
  seed                  integer not null default 1,
  closed_at             timestamptz,
  created_at            timestamptz not null default now(),
  updated_at            timestamptz not null default now(),
  constraint campaigns_period_check check (ends_at is null or starts_at is null or ends_at > starts_at)
);

create table campaign_brands (
  campaign_id  uuid not null references campaigns (id) on delete cascade,
  brand_id     uuid not null references brands (id) on delete restrict,
  primary key (campaign_id, brand_id)
);
create index campaign_brands_brand_id_idx on campaign_brands (brand_id);

create table campaign_scenarios (
  campaign_id  uuid not null references campaigns (id) on delete cascade,
  scenario_id  uuid not null references scenarios (id) on delete restrict,
  primary key (campaign_id, scenario_id)
);

create table campaign_mailboxes (
  campaign_id  uuid not null references campaigns (id) on delete cascade,
  mailbox_id   uuid not null references mailboxes (id) on delete restrict,
  primary key (campaign_id, mailbox_id)
);

create table probes (
  id                   uuid primary key default gen_random_uuid(),
  campaign_id          uuid not null references campaigns (id) on delete restrict,
  brand_id             uuid not null references brands (id) on delete restrict,
  scenario_id          uuid references scenarios (id) on delete restrict,
  mailbox_id           uuid not null references mailboxes (id) on delete restrict,
  channel              text not null default 'email' check (channel in ('email', 'webform')),
  -- the brand's address the probe goes to (or the web form's URL)
  recipient            text,
  -- the persona's address the probe is sent from, where the brand's answer is expected
  persona_address      text,
  subject              text,
  body                 text,
  internet_message_id  text,
  scheduled_at         timestamptz,
  -- the moment the SMTP server accepted the probe, or the declared time of a web-form probe
  sent_at              timestamptz,
  status               text not null default 'planned'
                         check (status in ('planned', 'sending', 'sent', 'failed', 'cancelled')),
  smtp_response        text,
  error                text,
  created_at           timestamptz not null default now(),
  updated_at           timestamptz not null default now()
);
create unique index probes_internet_message_id_key on probes (internet_message_id) where internet_message_id is not null;
create index probes_campaign_brand_idx on probes (campaign_id, brand_id);
create index probes_brand_id_idx on probes (brand_id);
create index probes_scenario_id_idx on probes (scenario_id);
-- open probes of a mailbox, newest first: the candidates of the matching cascade
create index probes_mailbox_sent_idx on probes (mailbox_id, sent_at desc);
create index probes_persona_address_idx on probes (lower(persona_address)) where persona_address is not null;
create index probes_due_idx on probes (scheduled_at) where status = 'planned';

-- The service's own "relance" in a probe's thread.
create table reminders (
  id                   uuid primary key default gen_random_uuid(),
  probe_id             uuid not null references probes (id) on delete cascade,
  seq                  integer not null check (seq >= 1),
  due_at               timestamptz not null,
  sent_at              timestamptz,
  internet_message_id  text,
  status               text not null default 'due'
                         check (status in ('due', 'sending', 'sent', 'cancelled', 'failed')),
  error                text,
  created_at           timestamptz not null default now(),
  constraint reminders_probe_seq_key unique (probe_id, seq)
);
create unique index reminders_internet_message_id_key on reminders (internet_message_id) where internet_message_id is not null;

-- Anything found in a test mailbox. Raw source kept gzip-compressed so every
-- analysis can be run again.
create table messages (
  id                   uuid primary key default gen_random_uuid(),
  mailbox_id           uuid not null references mailboxes (id) on delete cascade,
  folder               text not null,
  uid_validity         bigint not null,
  uid                  bigint not null,
  internet_message_id  text,
  source_sha256        bytea not null,
  source_gz            bytea,
  size                 integer not null,
  from_address         text,
  from_name            text,
  to_addresses         text[] not null default '{}',
  cc_addresses         text[] not null default '{}',
  subject              text,
  -- IMAP INTERNALDATE: the reply's time
  received_at          timestamptz not null,
  date_header          timestamptz,
  in_reply_to          text[] not null default '{}',
  "references"         text[] not null default '{}',
  kind                 text not null default 'unknown'
                         check (kind in ('answer', 'acknowledgement', 'follow_up', 'bounce', 'unknown')),
  signals              text[] not null default '{}',
  language             text,
  probe_id             uuid references probes (id) on delete set null,
  match_rule           text,
  match_confidence     real,
  match_evidence       jsonb,
  parse_error          text,
  oversize             boolean not null default false,
  created_at           timestamptz not null default now(),
  constraint messages_folder_uid_key unique (mailbox_id, folder, uid_validity, uid)
);
create index messages_probe_id_idx on messages (probe_id, received_at);
-- review queue: unmatched messages of a mailbox, newest first
create index messages_unmatched_idx on messages (mailbox_id, received_at desc) where probe_id is null;
-- a UIDVALIDITY change re-syncs: known messages are recognised by Message-ID and source hash
create index messages_dedup_idx on messages (mailbox_id, source_sha256);
create index messages_internet_message_id_idx on messages (internet_message_id);
create index messages_references_idx on messages using gin ("references");

-- A message matched to a probe, with its own figures. Shares its id with the message.
create table replies (
  id                    uuid primary key references messages (id) on delete cascade,
  probe_id              uuid not null references probes (id) on delete cascade,
  kind                  text not null check (kind in ('answer', 'acknowledgement', 'follow_up', 'bounce', 'unknown')),
  received_at           timestamptz not null,
  delay_hours           double precision,
  business_delay_hours  double precision,
  -- received after the campaign closed: shown, never counted in the frozen figures
  late                  boolean not null default false,
  created_at            timestamptz not null default now(),
  updated_at            timestamptz not null default now()
);
create index replies_probe_id_idx on replies (probe_id, received_at);

-- Each analysis records the analyser version that produced it.
create table analyses (
  id                uuid primary key default gen_random_uuid(),
  reply_id          uuid not null references replies (id) on delete cascade,
  analyser_version  text not null,
  result            jsonb not null,
  created_at        timestamptz not null default now(),
  constraint analyses_reply_version_key unique (reply_id, analyser_version)
);

-- Auditor overrides, criterion by criterion; the automatic value stays in the analysis.
create table evaluations (
  reply_id    uuid not null references replies (id) on delete cascade,
  criterion   text not null,
  value       double precision not null,
  comment     text,
  author      text,
  created_at  timestamptz not null default now(),
  updated_at  timestamptz not null default now(),
  primary key (reply_id, criterion)
);

-- Per probe: recomputed whenever a reply arrives or is reassigned. Carries the
-- probe's grouping keys so that statistics read one table.
create table outcomes (
  probe_id                 uuid primary key references probes (id) on delete cascade,
  campaign_id              uuid not null references campaigns (id) on delete cascade,
  brand_id                 uuid not null references brands (id) on delete cascade,
  sector_id                uuid not null references sectors (id) on delete cascade,
  mailbox_id               uuid not null references mailboxes (id) on delete cascade,
  sent_at                  timestamptz,
  acknowledged_at          timestamptz,
  ack_delay_hours          double precision,
  answered_at              timestamptz,
  answer_reply_id          uuid references replies (id) on delete set null,
  delay_hours              double precision,
  business_delay_hours     double precision,
  within_norms             jsonb not null default '{}',
  reminders_sent           integer not null default 0,
  answered_after_reminder  boolean not null default false,
  follow_ups               integer not null default 0,
  bounced                  boolean not null default false,
  score                    double precision,
  frozen                   boolean not null default false,
  updated_at               timestamptz not null default now()
);
create index outcomes_campaign_brand_idx on outcomes (campaign_id, brand_id) include (delay_hours, answered_at, acknowledged_at);
create index outcomes_sector_idx on outcomes (sector_id);
create index outcomes_brand_idx on outcomes (brand_id);
create index outcomes_sent_at_idx on outcomes (sent_at);

create table api_keys (
  id            uuid primary key default gen_random_uuid(),
  label         text not null,
  role          text not null check (role in ('admin', 'auditor', 'reader')),
  -- sha256 of the key; the key itself is shown once at creation
  key_hash      bytea not null,
  key_prefix    text not null,
  created_at    timestamptz not null default now(),
  last_used_at  timestamptz,
  revoked_at    timestamptz,
  constraint api_keys_key_hash_key unique (key_hash)
);
