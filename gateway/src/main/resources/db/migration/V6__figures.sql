-- What loyalty managers read (liability, analytics, usage), kept up to date by the write-behind in the same
-- transaction as the ledger rows it counts, and only for rows it actually inserted, so a replayed batch counts
-- nothing twice. Every answer then reads a handful of rows through a primary key or an index, never a scan of
-- all members or of the ledger.

-- The program's balances, as the sum of every member's. Several rows per program (slot = a hash of the member),
-- so concurrent write-behind transactions rarely wait for each other; a read sums them.
-- positive_points and members_with_points count members with available > 0 only (a negative balance is a debt,
-- not points owed), so inactive points need only the few members who redeemed recently subtracted from them.
CREATE TABLE program_balances (
    program_id           text   NOT NULL,
    slot                 int    NOT NULL,
    available            bigint NOT NULL,
    pending              bigint NOT NULL,
    held                 bigint NOT NULL,
    positive_points      bigint NOT NULL,
    members_with_points  bigint NOT NULL,
    PRIMARY KEY (program_id, slot)
);
INSERT INTO program_balances (program_id, slot, available, pending, held, positive_points, members_with_points)
SELECT m.program_id, 0, sum(b.available), sum(b.pending), sum(b.held), sum(greatest(b.available, 0)),
       count(*) FILTER (WHERE b.available > 0)
  FROM member_balances b JOIN members m ON m.id = b.member_id
 GROUP BY m.program_id;

-- Members per program, counted as they are enrolled (members are never deleted).
CREATE TABLE program_members (
    program_id  text PRIMARY KEY,
    members     bigint NOT NULL
);
INSERT INTO program_members (program_id, members) SELECT program_id, count(*) FROM members GROUP BY program_id;
CREATE FUNCTION count_members() RETURNS trigger AS $$
BEGIN
  INSERT INTO program_members AS p (program_id, members)
  SELECT program_id, count(*) FROM enrolled GROUP BY program_id ORDER BY program_id
  ON CONFLICT (program_id) DO UPDATE SET members = p.members + excluded.members;
  RETURN NULL;
END $$ LANGUAGE plpgsql;
CREATE TRIGGER members_counted AFTER INSERT ON members REFERENCING NEW TABLE AS enrolled
  FOR EACH STATEMENT EXECUTE FUNCTION count_members();

-- Points in available lots, by the UTC day they expire (the lots live in member_balances.state; a Java
-- migration, V6_1, fills this from the states already there).
CREATE TABLE program_expiry (
    program_id  text   NOT NULL,
    expire_on   date   NOT NULL,
    points      bigint NOT NULL,
    PRIMARY KEY (program_id, expire_on)
);

-- Additive figures per UTC day ('d'), ISO week from Monday ('w') and month ('m') for the whole program
-- (store_id ''), and per month for each store. Receipts are purchases and captures, dated by the receipt.
CREATE TABLE period_figures (
    program_id                 text   NOT NULL,
    period                     text   NOT NULL CHECK (period IN ('d', 'w', 'm')),
    period_start               date   NOT NULL,
    store_id                   text   NOT NULL,
    receipts                   bigint NOT NULL DEFAULT 0,
    revenue_minor              bigint NOT NULL DEFAULT 0,
    receipts_with_points       bigint NOT NULL DEFAULT 0,
    revenue_with_points_minor  bigint NOT NULL DEFAULT 0,
    points_accrued             bigint NOT NULL DEFAULT 0,
    points_redeemed            bigint NOT NULL DEFAULT 0,
    points_expired             bigint NOT NULL DEFAULT 0,
    refunds_minor              bigint NOT NULL DEFAULT 0,
    members_active             bigint NOT NULL DEFAULT 0,  -- members with a receipt in the period
    members_redeeming          bigint NOT NULL DEFAULT 0,  -- ... with points redeemed on one
    repeat_members             bigint NOT NULL DEFAULT 0,  -- ... with two or more receipts
    PRIMARY KEY (program_id, period, period_start, store_id)
);

-- Receipts per member per period, what makes the distinct-member counts above exact: a member counts once, when
-- its first receipt (first redemption, second receipt) of the period is written.
CREATE TABLE period_members (
    program_id    text NOT NULL,
    period        text NOT NULL,
    period_start  date NOT NULL,
    store_id      text NOT NULL,
    member_id     uuid NOT NULL,
    receipts      int  NOT NULL,
    redemptions   int  NOT NULL,
    PRIMARY KEY (program_id, period, period_start, store_id, member_id)
);

-- Transactions per till per month (what a per-till invoice needs).
CREATE TABLE till_months (
    program_id    text   NOT NULL,
    month         date   NOT NULL,
    till_ref      uuid   NOT NULL,
    transactions  bigint NOT NULL,
    PRIMARY KEY (program_id, month, till_ref)
);

-- A till's last authenticated request, flushed from memory every few seconds (not from the hot path). Apart from
-- the tills table, so it does not bump the configuration version every gateway polls.
CREATE TABLE till_last_seen (
    till_ref      uuid PRIMARY KEY,
    last_seen_at  timestamptz NOT NULL
);

-- Per member: which program, and when it last bought and last redeemed (inactive points, dormant members).
ALTER TABLE member_balances
    ADD COLUMN program_id        text,
    ADD COLUMN last_purchase_at  timestamptz,
    ADD COLUMN last_redeem_at    timestamptz;
UPDATE member_balances b SET program_id = m.program_id FROM members m WHERE m.id = b.member_id;
UPDATE member_balances b
   SET last_purchase_at = l.purchased, last_redeem_at = l.redeemed
  FROM (SELECT member_id,
               max(occurred_at) FILTER (WHERE kind IN ('purchase', 'accrue', 'redeem', 'capture')
                                        AND transaction_id IS NOT NULL) AS purchased,
               max(occurred_at) FILTER (WHERE kind IN ('redeem', 'capture') AND points < 0) AS redeemed
          FROM ledger GROUP BY member_id) l
 WHERE l.member_id = b.member_id;
ALTER TABLE member_balances ALTER COLUMN program_id SET NOT NULL;
-- What an update of last_purchase_at replaced, so the write-behind knows which day a member left.
ALTER TABLE member_balances ADD COLUMN previous_purchase_at timestamptz;

-- Members per program by the UTC day of their last purchase: dormant members are the members less those whose
-- day is recent (a few rows, however many members).
CREATE TABLE program_purchase_days (
    program_id  text   NOT NULL,
    day         date   NOT NULL,
    members     bigint NOT NULL,
    PRIMARY KEY (program_id, day)
);
INSERT INTO program_purchase_days (program_id, day, members)
SELECT program_id, (last_purchase_at AT TIME ZONE 'UTC')::date, count(*) FROM member_balances
 WHERE last_purchase_at IS NOT NULL GROUP BY 1, 2;
CREATE INDEX member_balances_redeemed ON member_balances (program_id, last_redeem_at)
    INCLUDE (available) WHERE available > 0;
