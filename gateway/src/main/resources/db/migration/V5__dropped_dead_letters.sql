-- What `dead-letters --drop` removed: a write-behind entry PostgreSQL would never accept, kept here as it was
-- (its encoded bytes, the error it met, a readable summary) so nobody has to wonder later where it went.
CREATE TABLE dropped_dead_letters (
  shard       int         NOT NULL,
  letter_id   text        NOT NULL,
  entry_id    text,
  error       text,
  summary     text        NOT NULL,
  body        bytea       NOT NULL,
  reason      text        NOT NULL,
  dropped_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (shard, letter_id)
);
