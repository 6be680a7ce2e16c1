-- Up Migration
-- Double rating: each auditor's own grades of a reply's criteria, one rating per API key.
-- A key is revoked, never deleted, so a rating keeps its rater. The first grade of a
-- criterion by a rater (created_at) orders the raters when a criterion has more than two.
create table ratings (
  reply_id      uuid not null references replies (id) on delete cascade,
  rater_key_id  uuid not null references api_keys (id),
  criterion     text not null,
  value         double precision not null check (value >= 0 and value <= 20),
  comment       text,
  created_at    timestamptz not null default now(),
  updated_at    timestamptz not null default now(),
  primary key (reply_id, rater_key_id, criterion)
);
create index ratings_rater_key_id_idx on ratings (rater_key_id);
