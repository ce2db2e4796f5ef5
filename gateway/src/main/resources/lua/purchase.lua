-- A purchase at a till, or the authorisation of one: idempotency check, lazy maturing, the rules that need the
-- balance, then redemption (purchase) or a hold (authorisation) taken from lots earliest expiry first, the
-- accrual as a new lot (purchase only), the transaction record, the stored answer, the write-behind event.
-- KEYS: 1-7 the member (see member.lua), 8 idempotency record, 9 write-behind stream, 10 transaction index,
--       11 the shard's holds-due zset (members by their earliest hold expiry, for the sweeper)
-- ARGV: 1 now_ms, 2 fingerprint, 3 idempotency_ttl_s, 4 max_backlog_entries, 5 program_id, 6 idempotency_key,
--       7 transaction_id, 8 till_ref, 9 receipt_number, 10 total_minor, 11 eligible_minor, 12 cap_points,
--       13 redeem (-1: "max"), 14 point_value_minor, 15 accrue_on_paid (1|0), 16 program_rate_bp,
--       17 pending_ms, 18 expiry_ms (-1: never), 19 occurred_at_ms, 20 lines (cjson {sku: [amount, eligible]}),
--       21 mode ('purchase'|'authorize'), 22 hold_ttl_ms, 23 tier count n, then n triples (see read_tiers)
-- Returns {'OK', outcome} | {'REPLAY', outcome} | {'REUSE'} | {'LOAD'} | {'NOT_FOUND'} | {'BACKLOG'}
--       | {'CAP', max_redeemable} | {'INSUFFICIENT', max_redeemable}
-- outcome of a purchase: "transaction_id|member_id|accrued|accrued_status|redeemed|total|due|saved|available|
--   pending|held|spend|tier|next_tier|spend_to_next"; of an authorisation: "authorization_id|member_id|held|
--   expected_accrual|expires_at|available|pending|held_total"

local now = tonumber(ARGV[1])
-- past the backlog limit new work waits (503), but a retry of work already done is still answered
if redis.call('XLEN', KEYS[9]) >= tonumber(ARGV[4]) and redis.call('EXISTS', KEYS[8]) == 0 then
  return { 'BACKLOG' }
end
local m, reply = begin(KEYS, now, KEYS[8], ARGV[2], ARGV[5])
if not m then return reply end

local total, eligible, cap = tonumber(ARGV[10]), tonumber(ARGV[11]), tonumber(ARGV[12])
local request, pv, at = tonumber(ARGV[13]), tonumber(ARGV[14]), tonumber(ARGV[19])
local authorize = ARGV[21] == 'authorize'
local tiers = read_tiers(23)

local max_redeemable = math.max(0, math.min(cap, m.a))
local redeem = request
if request < 0 then
  redeem = max_redeemable
elseif request > cap then
  return refuse(m, KEYS[9], { 'CAP', fmt(max_redeemable) })
elseif request > math.max(0, m.a) then
  return refuse(m, KEYS[9], { 'INSUFFICIENT', fmt(max_redeemable) })
end

local saved = redeem * pv
local tier = tier_at(tiers, m.sp)
local rate = tier > 0 and tiers[tier].rate or tonumber(ARGV[16])
local base = ARGV[15] == '1' and eligible - saved or eligible
local accrued = floordiv(base * rate, 10000 * pv)
local receipt = ARGV[9]
local tx = { id = ARGV[7], kind = authorize and 'authorization' or 'purchase', p = m.prog, till = ARGV[8],
             rn = receipt, tot = total, el = eligible, at = at,
             rf = { n = 0, tot = 0, el = 0, rev = 0, rst = 0, sku = {} } }
redis.call('SET', KEYS[10], m.id, 'PX', TX_HOT_MS)

local outcome
if authorize then
  tx.st = 'authorized'
  tx.held = redeem
  tx.hlots = take(m, redeem, 'hold', true, 'Held for authorisation of receipt ' .. receipt, at, tx)
  tx.eacc = accrued
  tx.xat = now + tonumber(ARGV[22])
  redis.call('ZADD', KEYS[6], tx.xat, tx.id)
  due_by(m, tx.xat)
  redis.call('ZADD', KEYS[11], 'LT', tx.xat, m.id)
  if redeem == 0 then
    entry(m, 'authorize', 0, 0, 0, 0, nil, 'Authorised receipt ' .. receipt .. ' (no points held)', at, tx)
  end
  outcome = table.concat({ tx.id, m.id, fmt(redeem), fmt(accrued), fmt(tx.xat), fmt(m.a), fmt(m.pe), fmt(m.h) }, '|')
else
  tx.st = 'captured'
  tx.red = redeem
  tx.sav = saved
  tx.rlots = take(m, redeem, 'redeem', false, 'Redeemed on receipt ' .. receipt, at, tx)
  local status = tonumber(ARGV[17]) > 0 and 'pending' or 'available'
  tx.acc = accrued
  if accrued > 0 then
    tx.alot, status = accrue(m, accrued, at, tonumber(ARGV[17]), tonumber(ARGV[18]), 'Accrued on receipt ' .. receipt, tx)
  end
  m.sp = m.sp + total
  if redeem == 0 and accrued == 0 then
    -- nothing accrued or redeemed: still a purchase (it moves lifetime spend), so it gets a ledger entry
    entry(m, 'purchase', 0, 0, 0, 0, nil, 'Purchase on receipt ' .. receipt .. ' (no points)', at, tx)
  end
  outcome = table.concat({ tx.id, m.id, fmt(accrued), status, fmt(redeem), fmt(total), fmt(total - saved),
    fmt(saved), fmt(m.a), fmt(m.pe), fmt(m.h), fmt(m.sp), tier_fields(tiers, m.sp) }, '|')
end
tx_put(m, tx, ARGV[20])
remember(KEYS[8], ARGV[2], outcome, tonumber(ARGV[3]))
commit(m, KEYS[9], { idem = { k = ARGV[6], fp = ARGV[2], o = outcome, till = ARGV[8] } })
return { 'OK', outcome }
