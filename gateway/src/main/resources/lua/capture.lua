-- Captures an authorisation for its final receipt (never more than authorised): the points redeemed are the
-- smaller of the hold and what the rules allow on the final receipt; the rest of the hold goes back to its lots
-- (the latest-expiring first); accrual is granted on the captured receipt as a new lot.
-- KEYS: 1-7 the member (see member.lua), 8 idempotency record, 9 write-behind stream
-- ARGV: 1 now_ms, 2 fingerprint, 3 idempotency_ttl_s, 4 program_id, 5 idempotency_key, 6 authorization_id,
--       7 till_ref, 8 final total_minor, 9 final eligible_minor, 10 final cap_points, 11 final lines (cjson, or ''
--       to keep the authorised ones), 12 point_value_minor, 13 accrue_on_paid (1|0), 14 program_rate_bp,
--       15 pending_ms, 16 expiry_ms (-1: never), 17 tier count n, then n triples (see read_tiers)
-- Returns {'OK', outcome} (the purchase outcome, see purchase.lua) | {'REPLAY', outcome} | {'REUSE'} | {'LOAD'}
--       | {'TXLOAD'} | {'NOT_FOUND'} | {'EXPIRED'} | {'STATE', status} | {'EXCEEDS', authorised total_minor}
local now = tonumber(ARGV[1])
local m, reply = begin(KEYS, now, KEYS[8], ARGV[2], ARGV[4])
if not m then return reply end
local tx, refusal = authorized_tx(m, ARGV[6])
if refusal then return refuse(m, KEYS[9], refusal) end
local total, eligible, cap, pv = tonumber(ARGV[8]), tonumber(ARGV[9]), tonumber(ARGV[10]), tonumber(ARGV[12])
if total > tx.tot then return refuse(m, KEYS[9], { 'EXCEEDS', fmt(tx.tot) }) end
local tiers = read_tiers(17)
local receipt = tx.rn
local redeem = math.min(tx.held, cap)
if redeem > 0 then
  m.h = m.h - redeem
  entry(m, 'capture', -redeem, 0, 0, -redeem, nil, 'Captured on receipt ' .. receipt, now, tx)
end
give_back(m, tx.hlots, tx.held - redeem, 'release', true, 'Hold not needed by the capture of receipt ' .. receipt,
  now, tx, nil)
redis.call('ZREM', KEYS[6], tx.id)
local saved = redeem * pv
local tier = tier_at(tiers, m.sp)
local rate = tier > 0 and tiers[tier].rate or tonumber(ARGV[14])
local base = ARGV[13] == '1' and eligible - saved or eligible
local accrued = floordiv(base * rate, 10000 * pv)
local status = tonumber(ARGV[15]) > 0 and 'pending' or 'available'
if accrued > 0 then
  tx.alot, status = accrue(m, accrued, now, tonumber(ARGV[15]), tonumber(ARGV[16]), 'Accrued on receipt ' .. receipt, tx)
end
m.sp = m.sp + total
if redeem == 0 and accrued == 0 then
  entry(m, 'capture', 0, 0, 0, 0, nil, 'Captured receipt ' .. receipt .. ' (no points)', now, tx)
end
mature(m) -- released points whose lot expired during the hold expire now
tx.st, tx.red, tx.sav, tx.acc = 'captured', redeem, saved, accrued
tx.rlots, tx.hlots, tx.held = tx.hlots, nil, 0
tx.atot, tx.tot, tx.el = tx.tot, total, eligible
tx_put(m, tx, ARGV[11] ~= '' and ARGV[11] or nil)
local outcome = table.concat({ tx.id, m.id, fmt(accrued), status, fmt(redeem), fmt(total), fmt(total - saved),
  fmt(saved), fmt(m.a), fmt(m.pe), fmt(m.h), fmt(m.sp), tier_fields(tiers, m.sp) }, '|')
remember(KEYS[8], ARGV[2], outcome, tonumber(ARGV[3]))
commit(m, KEYS[9], { idem = { k = ARGV[5], fp = ARGV[2], o = outcome, till = ARGV[7] } })
return { 'OK', outcome }
