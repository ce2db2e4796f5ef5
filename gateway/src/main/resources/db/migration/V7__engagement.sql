-- Engagement: background expiry, reminders, digests, second life, service-notice consent, an outbox of events
-- and their signed webhook deliveries, and the scheduler's leases.

-- When time next changes a member by itself (a pending lot activates or an available lot expires), and when its
-- next available lot expires: written by the write-behind from the member's state, so the scheduler finds the
-- members nobody touches without reading them all. A Java migration (7.1) fills them for existing members.
ALTER TABLE member_balances
    ADD COLUMN due_at         timestamptz,
    ADD COLUMN next_expiry_at timestamptz;
CREATE INDEX member_balances_due ON member_balances (due_at, member_id) WHERE due_at IS NOT NULL;
CREATE INDEX member_balances_expiring ON member_balances (program_id, next_expiry_at, member_id)
    WHERE next_expiry_at IS NOT NULL;

-- Service notices (reminders, expiry notices, digests) have their own consent, apart from marketing.
ALTER TABLE members ADD COLUMN consent_service_notices boolean NOT NULL DEFAULT false;
UPDATE members SET consent_service_notices = consent_personal_data;

-- Every change of a member's consents: the values after it, when, and who made it (a till, or a manager).
CREATE TABLE member_consents (
    member_id        uuid        NOT NULL REFERENCES members (id),
    seq              bigint      NOT NULL,   -- the member seq of the change; 0 for the enrolment
    changed_at       timestamptz NOT NULL,
    personal_data    boolean     NOT NULL,
    marketing        boolean     NOT NULL,
    service_notices  boolean     NOT NULL,
    source           text        NOT NULL CHECK (source IN ('till', 'admin')),
    till_ref         uuid,
    PRIMARY KEY (member_id, seq)
);
INSERT INTO member_consents (member_id, seq, changed_at, personal_data, marketing, service_notices, source, till_ref)
SELECT id, 0, created_at, consent_personal_data, consent_marketing, consent_service_notices, 'till', NULL
  FROM members;

-- One row per scheduled job: who holds it until when, and where an unfinished pass stopped.
CREATE TABLE scheduler_leases (
    job          text PRIMARY KEY,
    owner        text        NOT NULL,
    lease_until  timestamptz NOT NULL,
    cursor       text
);

-- Where a program's events go: a URL, the secret its deliveries are signed with, and the event types it takes.
CREATE TABLE webhooks (
    program_id  text        NOT NULL REFERENCES programs (id),
    name        text        NOT NULL,
    url         text        NOT NULL,
    secret      text        NOT NULL,
    events      text[]      NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (program_id, name)
);

-- Exactly one event per fact: the fact's key is unique, and the event is written in the transaction that
-- records the fact (the ledger rows of an expiry, a revival or a tier change; a reminder's or digest's scan).
CREATE TABLE outbox (
    id           uuid PRIMARY KEY,
    fact_key     text        NOT NULL UNIQUE,
    program_id   text        NOT NULL,
    type         text        NOT NULL,
    member_id    uuid        NOT NULL,
    occurred_at  timestamptz NOT NULL,
    body         text        NOT NULL    -- the JSON delivered, byte for byte (the signature covers it)
);

-- One delivery per event and webhook that took its type when the event was written.
CREATE TABLE webhook_deliveries (
    id               bigserial PRIMARY KEY,
    event_id         uuid        NOT NULL REFERENCES outbox (id),
    program_id       text        NOT NULL,
    webhook          text        NOT NULL,
    status           text        NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts         int         NOT NULL DEFAULT 0,
    window_start     timestamptz NOT NULL,   -- retries stop 24 h after this (reset by a manual retry)
    next_attempt_at  timestamptz NOT NULL,
    last_attempt_at  timestamptz,
    last_status      int,                    -- the receiver's HTTP status, null when it gave none
    last_error       text,
    delivered_at     timestamptz,
    UNIQUE (event_id, webhook),
    FOREIGN KEY (program_id, webhook) REFERENCES webhooks (program_id, name) ON DELETE CASCADE
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_program ON webhook_deliveries (program_id, status, id);
