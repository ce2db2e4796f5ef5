-- Member rows that PostgreSQL can update in place. The write-behind rewrites a member's row on every batch that
-- touches it; PostgreSQL can keep such an update on the row's page without touching any index (a "HOT" update)
-- only when no indexed column changed and the page has room. Before this migration every one of those updates
-- added an entry to every index of member_balances:
--   * member_balances_redeemed held `available` (INCLUDE and predicate), which changes on every purchase, and the
--     exact time of the last redemption, which changes on a third of them. The liability only asks whether a
--     member redeemed since a UTC day, so the row now keeps the UTC day of its last redemption, and the index
--     neither the balance nor the time of day (the sum of balances reads the few recent redeemers' rows).
--   * due_at and next_expiry_at are written rounded up to the whole second (the scheduler looks one second
--     ahead), so a member's purchases within one second leave them as they were.
-- And pages keep a fifth free for the new versions of their rows.
ALTER TABLE member_balances ADD COLUMN last_redeem_on date;
UPDATE member_balances SET last_redeem_on = (last_redeem_at AT TIME ZONE 'UTC')::date
 WHERE last_redeem_at IS NOT NULL;
DROP INDEX member_balances_redeemed;
ALTER TABLE member_balances DROP COLUMN last_redeem_at;
CREATE INDEX member_balances_redeemed ON member_balances (program_id, last_redeem_on)
    WHERE last_redeem_on IS NOT NULL;
UPDATE member_balances SET due_at = date_trunc('second', due_at) + interval '1 second'
 WHERE due_at IS NOT NULL AND due_at <> date_trunc('second', due_at);
UPDATE member_balances SET next_expiry_at = date_trunc('second', next_expiry_at) + interval '1 second'
 WHERE next_expiry_at IS NOT NULL AND next_expiry_at <> date_trunc('second', next_expiry_at);
ALTER TABLE member_balances SET (fillfactor = 80);
