-- A full or partial refund of a captured purchase or authorisation, as planned by Refunds.plan (Java, pure):
-- redeemed points are restored first (into their original lots, or a new lot with a grace period when that lot
-- has expired), then the accrual is reversed from the purchase's own lot, then from the available balance; what
-- the member has already spent goes negative (if the program allows it) or is recorded as a shortfall.
-- KEYS: 1-7 the member (see member.lua), 8 idempotency record, 9 write-behind stream
-- ARGV: 1 now_ms, 2 fingerprint, 3 idempotency_ttl_s, 4 program_id, 5 idempotency_key, 6 transaction_id,
--       7 till_ref, 8 refund_id, 9 refunds seen by the plan (rf.n), 10 refunded_minor, 11 refunded eligible_minor,
--       12 accrual points to reverse, 13 points to restore, 14 per-SKU refunded totals after this refund (cjson),
--       15 allow_negative_balance (1|0), 16 restore_grace_ms
-- Returns {'OK', outcome} | {'REPLAY', outcome} | {'REUSE'} | {'LOAD'} | {'TXLOAD'} | {'NOT_FOUND'}
--       | {'STATE', status} | {'STALE'} (another refund came first: plan again)
-- outcome: "refund_id|transaction_id|reversed|restored|shortfall|refunded_minor|available|pending|held"
local now = tonumber(ARGV[1])
local m, reply = begin(KEYS, now, KEYS[8], ARGV[2], ARGV[4])
if not m then return reply end
local tx = tx_get(m, ARGV[6])
if not tx then return refuse(m, KEYS[9], { 'TXLOAD' }) end
if tx.st ~= 'captured' then return refuse(m, KEYS[9], { 'STATE', tx.st }) end
if tx.rf.n ~= tonumber(ARGV[9]) then return refuse(m, KEYS[9], { 'STALE' }) end

local refund_id, refunded = ARGV[8], tonumber(ARGV[10])
local reverse, restore = tonumber(ARGV[12]), tonumber(ARGV[13])
local reason = 'Refund ' .. refund_id .. ' of receipt ' .. tx.rn

local restored = give_back(m, tx.rlots, restore, 'refund_restore', false, reason .. ': redeemed points restored',
  now, tx, tonumber(ARGV[16]))

-- the accrual: first the purchase's own lot, pending or available
local clawed, shortfall, left = 0, 0, reverse
local own = tx.alot and lot_key(tx.alot)
if left > 0 and own and redis.call('HEXISTS', KEYS[2], own) == 1 then
  local lot = lot_get(m, own)
  local pending = redis.call('ZSCORE', KEYS[3], own)
  local amount = math.min(left, lot.remaining)
  lot.remaining = lot.remaining - amount
  left, clawed = left - amount, clawed + amount
  if pending then
    m.pe = m.pe - amount
    entry(m, 'refund_reverse', -amount, 0, -amount, 0, lot, reason .. ': accrual reversed', now, tx)
  else
    m.a = m.a - amount
    entry(m, 'refund_reverse', -amount, -amount, 0, 0, lot, reason .. ': accrual reversed', now, tx)
  end
  if lot.remaining == 0 then
    redis.call('ZREM', pending and KEYS[3] or KEYS[4], own)
    redis.call('HDEL', KEYS[2], own)
    touch(m, lot, 'spent')
  else
    lot_put(m, lot)
    touch(m, lot, pending and 'pending' or 'available')
  end
end
-- then the available balance
local from_balance = math.min(left, math.max(0, m.a))
if from_balance > 0 then
  take(m, from_balance, 'refund_reverse', false, reason .. ': accrual reversed from the balance', now, tx)
  left, clawed = left - from_balance, clawed + from_balance
end
-- what the member already spent
if left > 0 then
  if ARGV[15] == '1' then
    m.a, m.d, clawed = m.a - left, m.d + left, clawed + left
    entry(m, 'refund_reverse', -left, -left, 0, 0, nil, reason .. ': accrual reversed into a negative balance', now, tx)
  else
    shortfall = left
    entry(m, 'clawback_shortfall', -left, 0, 0, 0, nil,
      reason .. ': ' .. fmt(left) .. ' accrued points were already spent and are not clawed back', now, tx)
  end
end
if restored == 0 and reverse == 0 then
  entry(m, 'refund', 0, 0, 0, 0, nil, reason .. ' (no points to move)', now, tx)
end
m.sp = math.max(0, m.sp - refunded)
tx.rf.n = tx.rf.n + 1
tx.rf.tot = tx.rf.tot + refunded
tx.rf.el = tx.rf.el + tonumber(ARGV[11])
tx.rf.rev = tx.rf.rev + reverse
tx.rf.rst = tx.rf.rst + restored
tx.rf.sku = cjson.decode(ARGV[14])
tx_put(m, tx)
local outcome = table.concat({ refund_id, tx.id, fmt(clawed), fmt(restored), fmt(shortfall), fmt(refunded),
  fmt(m.a), fmt(m.pe), fmt(m.h) }, '|')
remember(KEYS[8], ARGV[2], outcome, tonumber(ARGV[3]))
commit(m, KEYS[9], { idem = { k = ARGV[5], fp = ARGV[2], o = outcome, till = ARGV[7] } })
return { 'OK', outcome }
