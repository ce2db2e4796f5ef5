-- Purchases and authorisations are one kind of row: a transaction, with the gateway's full record kept as is,
-- so a refund or capture can reload it into Redis. Refunds and captures change it; its seq only moves forward.
DROP TABLE purchases;

CREATE TABLE transactions (
    id               uuid PRIMARY KEY,
    member_id        uuid        NOT NULL REFERENCES members (id),
    program_id       text        NOT NULL,
    till_ref         uuid        NOT NULL REFERENCES tills (id),
    kind             text        NOT NULL CHECK (kind IN ('purchase', 'authorization')),
    status           text        NOT NULL,
    receipt_number   text        NOT NULL,
    total_minor      bigint      NOT NULL,
    eligible_minor   bigint      NOT NULL,
    redeemed_points  bigint      NOT NULL,
    held_points      bigint      NOT NULL,
    accrued_points   bigint      NOT NULL,
    refunded_minor   bigint      NOT NULL,
    record           jsonb       NOT NULL,
    seq              bigint      NOT NULL,
    occurred_at      timestamptz NOT NULL,
    updated_at       timestamptz NOT NULL
);
CREATE INDEX transactions_member ON transactions (member_id, updated_at);

-- Points owed after a refund clawed back more than the member had (only where the program allows it).
ALTER TABLE member_balances ADD COLUMN debt bigint NOT NULL DEFAULT 0;
