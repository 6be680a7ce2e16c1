-- Up Migration
-- A message's DKIM verdict, verified once when the reply is analysed and kept: signing keys
-- rotate, and a key withdrawn later must not undo the proof. A temporary error may be
-- replaced by a later verification; a definite verdict stays.
create table message_dkim (
  message_id   uuid primary key references messages (id) on delete cascade,
  -- pass, fail, neutral, none, temperror, permerror, policy
  status       text not null,
  -- d= of the signature the verdict comes from; null when unsigned
  domain       text,
  -- every signature: domain, selector, status, aligned, comment
  signatures   jsonb not null default '[]',
  verified_at  timestamptz not null default now()
);
