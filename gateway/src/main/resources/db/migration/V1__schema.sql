-- System of record. Redis holds the hot copy of active members; the write-behind worker fills
-- member_balances, lots, ledger, purchases and idempotency_records from the Redis stream.

CREATE TABLE programs (
    id          text PRIMARY KEY,
    config      jsonb       NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE tills (
    id          uuid PRIMARY KEY,
    program_id  text        NOT NULL REFERENCES programs (id),
    store_id    text        NOT NULL,
    till_id     text        NOT NULL,
    key_hash    bytea       NOT NULL UNIQUE,   -- SHA-256 of the API key; the key itself is never stored
    created_at  timestamptz NOT NULL DEFAULT now(),
    revoked_at  timestamptz
);

CREATE TABLE members (
    id                     uuid PRIMARY KEY,
    program_id             text        NOT NULL REFERENCES programs (id),
    phone                  text        NOT NULL,   -- E.164
    card                   text,
    external_id            text,
    consent_personal_data  boolean     NOT NULL,
    consent_marketing      boolean     NOT NULL,
    created_at             timestamptz NOT NULL DEFAULT now(),
    UNIQUE (program_id, phone)
);
CREATE UNIQUE INDEX members_card ON members (program_id, card) WHERE card IS NOT NULL;
CREATE UNIQUE INDEX members_external_id ON members (program_id, external_id) WHERE external_id IS NOT NULL;

-- Snapshot of the hot copy; only ever moves forward in seq.
CREATE TABLE member_balances (
    member_id             uuid PRIMARY KEY REFERENCES members (id),
    seq                   bigint      NOT NULL,
    available             bigint      NOT NULL,
    pending               bigint      NOT NULL,
    held                  bigint      NOT NULL,
    lifetime_spend_minor  bigint      NOT NULL,
    updated_at            timestamptz NOT NULL
);

-- One row per accrual. lot_id is the member seq of the accruing entry, so lots order by age.
CREATE TABLE lots (
    member_id    uuid        NOT NULL REFERENCES members (id),
    lot_id       bigint      NOT NULL,
    points       bigint      NOT NULL CHECK (points > 0),
    remaining    bigint      NOT NULL CHECK (remaining >= 0),
    state        text        NOT NULL CHECK (state IN ('pending', 'available', 'spent', 'expired')),
    activate_at  timestamptz NOT NULL,
    expire_at    timestamptz,                  -- null: never expires
    seq          bigint      NOT NULL,         -- member seq of the last change to this lot
    PRIMARY KEY (member_id, lot_id)
);

-- Append-only: one row per balance movement. The deltas of a member's rows sum to its balance.
CREATE TABLE ledger (
    member_id        uuid        NOT NULL REFERENCES members (id),
    seq              bigint      NOT NULL,
    program_id       text        NOT NULL,
    kind             text        NOT NULL,
    points           bigint      NOT NULL,
    available_delta  bigint      NOT NULL,
    pending_delta    bigint      NOT NULL,
    held_delta       bigint      NOT NULL,
    lot_id           bigint,
    reason           text        NOT NULL,
    transaction_id   uuid,
    receipt_number   text,
    till_ref         uuid,
    occurred_at      timestamptz NOT NULL,
    recorded_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (member_id, seq)
);
CREATE INDEX ledger_program_time ON ledger (program_id, occurred_at);

CREATE TABLE purchases (
    id               uuid PRIMARY KEY,
    member_id        uuid        NOT NULL REFERENCES members (id),
    program_id       text        NOT NULL,
    till_ref         uuid        NOT NULL REFERENCES tills (id),
    receipt_number   text        NOT NULL,
    total_minor      bigint      NOT NULL,
    eligible_minor   bigint      NOT NULL,
    accrued_points   bigint      NOT NULL,
    redeemed_points  bigint      NOT NULL,
    saved_minor      bigint      NOT NULL,
    occurred_at      timestamptz NOT NULL
);
CREATE INDEX purchases_member ON purchases (member_id, occurred_at);

-- Reloaded into Redis with a member, so a retry after a Redis loss is still answered from the record.
CREATE TABLE idempotency_records (
    till_ref         uuid        NOT NULL,
    idempotency_key  text        NOT NULL,
    member_id        uuid        NOT NULL REFERENCES members (id),
    fingerprint      text        NOT NULL,
    outcome          text        NOT NULL,
    created_at       timestamptz NOT NULL,
    PRIMARY KEY (till_ref, idempotency_key)
);
CREATE INDEX idempotency_records_member ON idempotency_records (member_id, created_at);
