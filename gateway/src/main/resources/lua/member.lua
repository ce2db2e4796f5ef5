-- Shared prelude, prepended to every member script when it is loaded; it defines locals only.
-- A member's hot copy lives in seven keys that share one hash tag (one Redis Cluster slot):
--   KEYS[1] member hash: id prog seq a (available) pe (pending) h (held) d (debt behind a negative balance)
--           sp (lifetime spend) due (nothing matures before this time) ph cd ext cpd cmk cr
--   KEYS[2] lots hash: lot id -> "points|remaining|activate_at|expire_at" (expire_at -1: never)
--   KEYS[3] pending lots zset, score activate_at
--   KEYS[4] available lots zset, score expire_at (+inf: never); ties break on the zero-padded id, i.e. age
--   KEYS[5] transactions hash: transaction id -> cjson record (purchases and authorisations, see below)
--   KEYS[6] holds zset: authorisation id, score: when its hold expires
--   KEYS[7] transaction ages zset: transaction id, score: last change in Redis server (wall) time; records idle
--           for TX_HOT_MS are dropped from Redis (PostgreSQL has them long since; they are reloaded on demand).
--           Wall time, not the business clock: a record may only go once it has certainly been written behind.
-- Invariants: a + d = sum of remaining points of available lots; pe = that of pending lots; h = sum of held
-- points of authorised transactions; d >= 0 and d > 0 only when a < 0.
-- Times are epoch milliseconds. Every change appends a ledger entry with the next member seq, and commit()
-- writes the whole change to the shard's write-behind stream in one XADD.
--
-- A transaction record: { id, kind ('purchase'|'authorization'), st (status), p (program), till, rn (receipt),
--   tot, el (eligible), lines ({sku: [amount, eligible_amount]}), red (points redeemed), sav, acc (accrued),
--   alot (accrual lot id), rlots (lots redeemed from: [[lot id, points still restorable, expire_at, lot points,
--   activate_at]]), held, hlots (same shape, for the hold), eacc (expected accrual), xat (hold expiry),
--   rf ({n (refunds), tot, el, rev (accrual reversed), rst (points restored), sku: {sku: minor refunded}}),
--   at (occurred), s (member seq of its last change) }

local TX_HOT_MS = 7 * 86400000
-- Lots read per step when taking points (a regular customer may have thousands of lots).
local TAKE_CHUNK = 8
-- One commit in this many also drops the member's idle transaction records.
local PRUNE_EVERY = 32

local function wall_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

local function fmt(n)
  return string.format('%d', n)
end

-- floor(a / b) exactly for 0 <= a < 2^53 and b > 0 (Lua numbers are doubles).
local function floordiv(a, b)
  local q = math.floor(a / b)
  while q * b > a do q = q - 1 end
  while (q + 1) * b <= a do q = q + 1 end
  return q
end

local function lot_key(seq)
  return string.format('%012d', seq)
end

local function lot_get(m, id)
  local p, r, a, e = string.match(redis.call('HGET', m.K[2], id), '^(%d+)|(%d+)|(%d+)|(%-?%d+)$')
  return { id = id, points = tonumber(p), remaining = tonumber(r), act = tonumber(a), exp = tonumber(e) }
end

local function lot_put(m, lot)
  redis.call('HSET', m.K[2], lot.id,
    fmt(lot.points) .. '|' .. fmt(lot.remaining) .. '|' .. fmt(lot.act) .. '|' .. fmt(lot.exp))
end

local function score(exp)
  return exp < 0 and '+inf' or exp
end

-- The member's next maturing time may move earlier: a lot was added or returned, a hold placed.
local function due_by(m, at)
  if at >= 0 and at < m.due then m.due = at end
end

local function first_score(key)
  local first = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
  return first[2] and first[2] ~= 'inf' and tonumber(first[2]) or nil
end

-- The member's state, or nil when it is not loaded into Redis.
local function open(K, now)
  local v = redis.call('HMGET', K[1], 'id', 'prog', 'seq', 'a', 'pe', 'h', 'sp', 'd', 'due')
  if not v[1] then return nil end
  return { K = K, now = now, id = v[1], prog = v[2], seq = tonumber(v[3]), a = tonumber(v[4]),
           pe = tonumber(v[5]), h = tonumber(v[6]), sp = tonumber(v[7]), d = tonumber(v[8] or '0'),
           due = tonumber(v[9] or '0'), ledger = {}, touched = {}, txs = {} }
end

-- Appends a ledger entry. tx: the transaction it belongs to (nil for lot maturing).
local function entry(m, kind, points, da, dpe, dh, lot, reason, at, tx)
  m.seq = m.seq + 1
  m.ledger[#m.ledger + 1] = { s = m.seq, k = kind, p = points, da = da, dpe = dpe, dh = dh,
                               lot = lot and tonumber(lot.id) or nil, r = reason, at = at,
                               tx = tx and tx.id or nil, rn = tx and tx.rn or nil, till = tx and tx.till or nil }
end

local function touch(m, lot, state)
  m.touched[lot.id] = { id = tonumber(lot.id), p = lot.points, r = lot.remaining, st = state,
                        act = lot.act, exp = lot.exp, s = m.seq }
end

local function tx_get(m, id)
  local raw = redis.call('HGET', m.K[5], id)
  return raw and cjson.decode(raw) or nil
end

-- Marks a transaction record changed; commit() saves it and writes it behind. raw_lines: the receipt lines as
-- the JSON they arrived in, spliced into the record as they are (decoding and re-encoding them costs more than
-- the rest of a purchase); nil to keep tx.lines.
local function tx_put(m, tx, raw_lines)
  m.txs[tx.id] = { tx = tx, lines = raw_lines }
end

-- cjson's encoding of a table, with a raw JSON value spliced in as one more member.
local function encode_with(t, name, raw)
  local encoded = cjson.encode(t)
  if raw == nil then return encoded end
  local rest = string.sub(encoded, 2)
  return '{"' .. name .. '":' .. raw .. (rest == '}' and '' or ',') .. rest
end

-- Points that became available pay the debt of a negative balance first; returns what is left for the lot.
local function pay_debt(m, points)
  local pay = math.min(m.d, points)
  m.d = m.d - pay
  return points - pay
end

local function make_available(m, lot)
  lot.remaining = pay_debt(m, lot.remaining)
  if lot.remaining > 0 then
    lot_put(m, lot)
    redis.call('ZADD', m.K[4], score(lot.exp), lot.id)
    due_by(m, lot.exp)
    touch(m, lot, 'available')
  else
    redis.call('HDEL', m.K[2], lot.id)
    touch(m, lot, 'spent')
  end
end

-- Returns points held by an authorisation to its lots (see give_back); defined below.
local give_back

-- Lazy activation, expiry of holds, then expiry of lots, for everything whose time has come. Skipped (no Redis
-- call at all) until the member's due time, which is then recomputed exactly.
local function mature(m)
  if m.due > m.now then return end
  for _, id in ipairs(redis.call('ZRANGEBYSCORE', m.K[3], '-inf', m.now)) do
    local lot = lot_get(m, id)
    redis.call('ZREM', m.K[3], id)
    m.pe = m.pe - lot.remaining
    m.a = m.a + lot.remaining
    entry(m, 'activate', lot.remaining, lot.remaining, -lot.remaining, 0, lot,
      'Return window over: points became available', lot.act, nil)
    make_available(m, lot)
  end
  for _, id in ipairs(redis.call('ZRANGEBYSCORE', m.K[6], '-inf', m.now)) do
    local tx = tx_get(m, id)
    redis.call('ZREM', m.K[6], id)
    give_back(m, tx.hlots, tx.held, 'expire_hold', true, 'Authorisation expired uncaptured: hold released',
      tx.xat, tx, nil)
    tx.held = 0
    tx.st = 'expired'
    tx_put(m, tx)
  end
  for _, id in ipairs(redis.call('ZRANGEBYSCORE', m.K[4], '-inf', m.now)) do
    local lot = lot_get(m, id)
    redis.call('ZREM', m.K[4], id)
    redis.call('HDEL', m.K[2], id)
    m.a = m.a - lot.remaining
    entry(m, 'expire', -lot.remaining, -lot.remaining, 0, 0, lot, 'Points expired', lot.exp, nil)
    lot.remaining = 0
    touch(m, lot, 'expired')
  end
  m.due = math.huge
  for _, key in ipairs({ m.K[3], m.K[4], m.K[6] }) do
    local at = first_score(key)
    if at then due_by(m, at) end
  end
  m.dirty = true
end

-- Takes n points (n <= available lots) from available lots, earliest expiry first, each with a ledger entry of
-- this kind; to_held moves them into held instead of spending them. Returns what it took, lot by lot, in the
-- record shape [lot id, points, expire_at, lot points, activate_at].
local function take(m, n, kind, to_held, reason, at, tx)
  local taken = {}
  while n > 0 do
    -- lots used up are removed, so the next ones are always at the front: read a few at a time, not all
    local ids = redis.call('ZRANGE', m.K[4], 0, TAKE_CHUNK - 1)
    if #ids == 0 then break end
    for _, id in ipairs(ids) do
      local lot = lot_get(m, id)
      local amount = math.min(n, lot.remaining)
      lot.remaining = lot.remaining - amount
      n = n - amount
      m.a = m.a - amount
      if to_held then m.h = m.h + amount end
      entry(m, kind, -amount, -amount, 0, to_held and amount or 0, lot, reason, at, tx)
      if lot.remaining == 0 then
        redis.call('ZREM', m.K[4], id)
        redis.call('HDEL', m.K[2], id)
        touch(m, lot, 'spent')
      else
        lot_put(m, lot)
        touch(m, lot, 'available')
      end
      taken[#taken + 1] = { tonumber(id), amount, lot.exp, lot.points, lot.act }
      if n == 0 then break end
    end
  end
  return taken
end

-- Returns n points to the lots they were taken from, the latest taken first. A lot whose expiry has passed gets
-- them back in a new lot expiring grace_ms from now when grace_ms is given; otherwise they go back with their
-- original expiry (and a later mature() expires them). from_held: they leave held rather than appear anew.
give_back = function(m, taken, n, kind, from_held, reason, at, tx, grace_ms)
  local given = 0
  for i = #taken, 1, -1 do
    if n == 0 then break end
    local t = taken[i]
    local amount = math.min(n, t[2])
    if amount > 0 then
      t[2] = t[2] - amount
      n = n - amount
      given = given + amount
      local lot
      if grace_ms and t[3] >= 0 and t[3] <= m.now then
        lot = { id = lot_key(m.seq + 1), points = amount, remaining = amount, act = m.now, exp = m.now + grace_ms }
      else
        local id = lot_key(t[1])
        if redis.call('HEXISTS', m.K[2], id) == 1 then
          lot = lot_get(m, id)
          lot.remaining = lot.remaining + amount
        else
          lot = { id = id, points = t[4], remaining = amount, act = t[5], exp = t[3] }
        end
      end
      m.a = m.a + amount
      if from_held then m.h = m.h - amount end
      entry(m, kind, amount, amount, 0, from_held and -amount or 0, lot, reason, at, tx)
      make_available(m, lot)
    end
  end
  return given
end

-- Grants points as a new lot: pending until at + pending_ms (if that is still ahead), then available until
-- expiry_ms after activation (-1: never). Returns the lot id and 'pending' or 'available'.
local function accrue(m, points, at, pending_ms, expiry_ms, reason, tx)
  local lot = { id = lot_key(m.seq + 1), points = points, remaining = points, act = at + pending_ms }
  lot.exp = expiry_ms < 0 and -1 or lot.act + expiry_ms
  if lot.act > m.now then
    m.pe = m.pe + points
    lot_put(m, lot)
    redis.call('ZADD', m.K[3], lot.act, lot.id)
    due_by(m, lot.act)
    entry(m, 'accrue', points, 0, points, 0, lot, reason .. ' (pending)', at, tx)
    touch(m, lot, 'pending')
    return tonumber(lot.id), 'pending'
  end
  m.a = m.a + points
  entry(m, 'accrue', points, points, 0, 0, lot, reason, at, tx)
  make_available(m, lot)
  return tonumber(lot.id), 'available'
end

-- Tiers from ARGV starting at index i: count, then (name, min_spend_minor, rate_bp) triples, ascending.
local function read_tiers(i)
  local tiers = {}
  for t = 1, tonumber(ARGV[i]) do
    local b = i + (t - 1) * 3
    tiers[t] = { name = ARGV[b + 1], min = tonumber(ARGV[b + 2]), rate = tonumber(ARGV[b + 3]) }
  end
  return tiers
end

-- Index of the highest tier the spend reaches, or 0.
local function tier_at(tiers, spend)
  local idx = 0
  for i, t in ipairs(tiers) do if t.min <= spend then idx = i end end
  return idx
end

-- "name|next|spend_to_next" after a change of spend (empty names and -1 when there is none).
local function tier_fields(tiers, spend)
  local at = tier_at(tiers, spend)
  local name, next_name, to_next = '', '', -1
  if at > 0 then name = tiers[at].name end
  if at < #tiers then
    next_name = tiers[at + 1].name
    to_next = tiers[at + 1].min - spend
  end
  return name .. '|' .. next_name .. '|' .. fmt(to_next)
end

-- Idempotency: nil when the key is new; otherwise the reply to give ({'REPLAY', outcome} or {'REUSE'}).
local function remembered(key, fingerprint)
  local record = redis.call('GET', key)
  if not record then return nil end
  local nl = string.find(record, '\n', 1, true)
  if string.sub(record, 1, nl - 1) ~= fingerprint then return { 'REUSE' } end
  return { 'REPLAY', string.sub(record, nl + 1) }
end

local function remember(key, fingerprint, outcome, ttl_seconds)
  redis.call('SET', key, fingerprint .. '\n' .. outcome, 'EX', ttl_seconds)
end

-- The authorisation a capture or void acts on, or the reply to give instead: TXLOAD (record not in Redis),
-- NOT_FOUND (not an authorisation), EXPIRED, or STATE with the current state.
local function authorized_tx(m, id)
  local tx = tx_get(m, id)
  if not tx then return nil, { 'TXLOAD' } end
  if tx.kind ~= 'authorization' then return nil, { 'NOT_FOUND' } end
  if tx.st == 'expired' then return nil, { 'EXPIRED' } end
  if tx.st ~= 'authorized' then return nil, { 'STATE', tx.st } end
  return tx, nil
end

-- The opening every money-moving script shares: answer a known idempotency key from its record, find the member
-- (LOAD when it is not in Redis), refuse another program's member, mature lots and holds. Returns the member, or
-- nil and the reply to give.
local function begin(K, now, idempotency_key, fingerprint, program)
  local replay = remembered(idempotency_key, fingerprint)
  if replay then return nil, replay end
  local m = open(K, now)
  if not m then return nil, { 'LOAD' } end
  if m.prog ~= program then return nil, { 'NOT_FOUND' } end
  mature(m)
  return m, nil
end

-- Saves the member and the changed transactions and, when anything changed, appends one event to the
-- write-behind stream.
local function commit(m, stream, extra)
  if #m.ledger == 0 and next(m.txs) == nil then
    if m.dirty then redis.call('HSET', m.K[1], 'due', m.due == math.huge and '9e15' or fmt(m.due)) end
    return
  end
  redis.call('HSET', m.K[1], 'seq', fmt(m.seq), 'a', fmt(m.a), 'pe', fmt(m.pe), 'h', fmt(m.h), 'sp', fmt(m.sp),
    'd', fmt(m.d), 'due', m.due == math.huge and '9e15' or fmt(m.due))
  local lots = {}
  for _, lot in pairs(m.touched) do lots[#lots + 1] = lot end
  local txs = {}
  local wall = next(m.txs) and wall_ms()
  for id, changed in pairs(m.txs) do
    local tx = changed.tx
    tx.s = m.seq
    if changed.lines then tx.lines = nil end
    local encoded = encode_with(tx, 'lines', changed.lines)
    redis.call('HSET', m.K[5], id, encoded)
    redis.call('ZADD', m.K[7], wall, id)
    txs[#txs + 1] = encoded
  end
  if m.seq % PRUNE_EVERY == 0 then
    for _, id in ipairs(redis.call('ZRANGEBYSCORE', m.K[7], '-inf', (wall or wall_ms()) - TX_HOT_MS)) do
      if not redis.call('ZSCORE', m.K[6], id) then
        redis.call('HDEL', m.K[5], id)
        redis.call('ZREM', m.K[7], id)
      end
    end
  end
  local event = { m = m.id, p = m.prog, s = m.seq, a = m.a, pe = m.pe, h = m.h, sp = m.sp, d = m.d, t = m.now,
                  l = m.ledger, lots = lots }
  for k, v in pairs(extra) do event[k] = v end
  -- the records go in as the JSON already made above, not escaped into strings
  redis.call('XADD', stream, '*', 'e', encode_with(event, 'txs', '[' .. table.concat(txs, ',') .. ']'))
end

-- Refuses a request after begin(): nothing the request asked for happens, but the maturing that begin() did is
-- real and is saved and written behind like any change.
local function refuse(m, stream, reply)
  commit(m, stream, {})
  return reply
end
