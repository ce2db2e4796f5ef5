-- One purchase at a till: idempotency check, lazy lot maturing, rules that need the balance, redemption
-- (earliest expiry first, then oldest), accrual as a new lot, stored response, write-behind event.
-- KEYS: 1-4 the member (see member.lua), 5 idempotency record, 6 write-behind stream
-- ARGV: 1 now_ms, 2 fingerprint, 3 idempotency_ttl_s, 4 max_backlog_entries, 5 program_id, 6 idempotency_key,
--       7 transaction_id, 8 till_ref, 9 receipt_number, 10 total_minor, 11 eligible_minor, 12 cap_points,
--       13 redeem (-1: "max"), 14 point_value_minor, 15 accrue_on_paid (1|0), 16 program_rate_bp,
--       17 pending_ms, 18 expiry_ms (-1: never), 19 tier count n, then n triples (name, min_spend_minor, rate_bp)
--       in ascending min_spend_minor
-- Returns {'OK', outcome} | {'REPLAY', outcome} | {'REUSE'} | {'LOAD'} | {'NOT_FOUND'} | {'BACKLOG'}
--       | {'CAP', max_redeemable} | {'INSUFFICIENT', max_redeemable}
-- outcome: "transaction_id|member_id|accrued|accrued_status|redeemed|total|due|saved|available|pending|held|spend|
--           tier|next_tier|spend_to_next" (tier names empty and spend_to_next -1 when there is none)

local now = tonumber(ARGV[1])
local record = redis.call('GET', KEYS[5])
if record then
  local nl = string.find(record, '\n', 1, true)
  if string.sub(record, 1, nl - 1) ~= ARGV[2] then return { 'REUSE' } end
  return { 'REPLAY', string.sub(record, nl + 1) }
end
local m = open(KEYS, now)
if not m then return { 'LOAD' } end
if m.prog ~= ARGV[5] then return { 'NOT_FOUND' } end
if redis.call('XLEN', KEYS[6]) >= tonumber(ARGV[4]) then return { 'BACKLOG' } end

mature(m)

local total, eligible, cap = tonumber(ARGV[10]), tonumber(ARGV[11]), tonumber(ARGV[12])
local request, pv = tonumber(ARGV[13]), tonumber(ARGV[14])
local tiers = {}
for i = 1, tonumber(ARGV[19]) do
  local b = 19 + (i - 1) * 3
  tiers[i] = { name = ARGV[b + 1], min = tonumber(ARGV[b + 2]), rate = tonumber(ARGV[b + 3]) }
end
local function tier_at(spend)
  local idx = 0
  for i, t in ipairs(tiers) do if t.min <= spend then idx = i end end
  return idx
end

local max_redeemable = math.min(cap, m.a)
local redeem = request
if request < 0 then
  redeem = max_redeemable
elseif request > cap then
  return { 'CAP', fmt(max_redeemable) }
elseif request > m.a then
  return { 'INSUFFICIENT', fmt(max_redeemable) }
end

local saved = redeem * pv
local tier_before = tier_at(m.sp)
local rate = tier_before > 0 and tiers[tier_before].rate or tonumber(ARGV[16])
local base = ARGV[15] == '1' and eligible - saved or eligible
local accrued = floordiv(base * rate, 10000 * pv)
local receipt = ARGV[9]

local left = redeem
if left > 0 then
  for _, id in ipairs(redis.call('ZRANGE', KEYS[4], 0, -1)) do
    local lot = lot_get(m, id)
    local take = math.min(left, lot.remaining)
    lot.remaining = lot.remaining - take
    left = left - take
    m.a = m.a - take
    entry(m, 'redeem', -take, -take, 0, 0, lot, 'Redeemed on receipt ' .. receipt, now, true)
    if lot.remaining == 0 then
      redis.call('ZREM', KEYS[4], id)
      redis.call('HDEL', KEYS[2], id)
      touch(m, lot, 'spent')
    else
      lot_put(m, lot)
      touch(m, lot, 'available')
    end
    if left == 0 then break end
  end
end

local pending_ms, expiry_ms = tonumber(ARGV[17]), tonumber(ARGV[18])
local status = pending_ms > 0 and 'pending' or 'available'
if accrued > 0 then
  local lot = { id = lot_key(m.seq + 1), points = accrued, remaining = accrued, act = now + pending_ms }
  lot.exp = expiry_ms < 0 and -1 or lot.act + expiry_ms
  lot_put(m, lot)
  if pending_ms > 0 then
    m.pe = m.pe + accrued
    redis.call('ZADD', KEYS[3], lot.act, lot.id)
    entry(m, 'accrue', accrued, 0, accrued, 0, lot, 'Accrued on receipt ' .. receipt .. ' (pending)', now, true)
  else
    m.a = m.a + accrued
    redis.call('ZADD', KEYS[4], lot.exp < 0 and '+inf' or lot.exp, lot.id)
    entry(m, 'accrue', accrued, accrued, 0, 0, lot, 'Accrued on receipt ' .. receipt, now, true)
  end
  touch(m, lot, status)
end

m.sp = m.sp + total
local tier_after = tier_at(m.sp)
local tier_name, next_name, to_next = '', '', -1
if tier_after > 0 then tier_name = tiers[tier_after].name end
if tier_after < #tiers then
  next_name = tiers[tier_after + 1].name
  to_next = tiers[tier_after + 1].min - m.sp
end
if redeem == 0 and accrued == 0 then
  -- nothing accrued or redeemed: still a purchase (it moves lifetime spend), so it gets a ledger entry
  entry(m, 'purchase', 0, 0, 0, 0, nil, 'Purchase on receipt ' .. receipt .. ' (no points)', now, true)
end

local outcome = table.concat({ ARGV[7], m.id, fmt(accrued), status, fmt(redeem), fmt(total), fmt(total - saved),
  fmt(saved), fmt(m.a), fmt(m.pe), fmt(m.h), fmt(m.sp), tier_name, next_name, fmt(to_next) }, '|')
redis.call('SET', KEYS[5], ARGV[2] .. '\n' .. outcome, 'EX', tonumber(ARGV[3]))
commit(m, KEYS[6], {
  tx = ARGV[7], till = ARGV[8], rn = receipt,
  pur = { tot = total, el = eligible, acc = accrued, red = redeem, sav = saved },
  idem = { k = ARGV[6], fp = ARGV[2], o = outcome } })
return { 'OK', outcome }
