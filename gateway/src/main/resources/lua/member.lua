-- Shared prelude, prepended to every member script when it is loaded; it defines locals only.
-- A member's hot copy lives in four keys that share one hash tag (one Redis Cluster slot):
--   KEYS[1] member hash: id prog seq a (available) pe (pending) h (held) sp (lifetime spend) ph cd ext cpd cmk cr
--   KEYS[2] lots hash: lot id -> "points|remaining|activate_at|expire_at" (expire_at -1: never)
--   KEYS[3] pending lots zset, score activate_at
--   KEYS[4] available lots zset, score expire_at (+inf: never); ties break on the zero-padded id, i.e. age
-- Times are epoch milliseconds. Every change appends a ledger entry with the next member seq, and commit()
-- writes the whole change to the shard's write-behind stream in one XADD.

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

-- The member's state, or nil when it is not loaded into Redis.
local function open(K, now)
  local v = redis.call('HMGET', K[1], 'id', 'prog', 'seq', 'a', 'pe', 'h', 'sp')
  if not v[1] then return nil end
  return { K = K, now = now, id = v[1], prog = v[2], seq = tonumber(v[3]), a = tonumber(v[4]),
           pe = tonumber(v[5]), h = tonumber(v[6]), sp = tonumber(v[7]), ledger = {}, touched = {} }
end

-- Appends a ledger entry. own: true when it belongs to this call's transaction (the event names it).
local function entry(m, kind, points, da, dpe, dh, lot, reason, at, own)
  m.seq = m.seq + 1
  m.ledger[#m.ledger + 1] = { s = m.seq, k = kind, p = points, da = da, dpe = dpe, dh = dh,
                               lot = lot and tonumber(lot.id) or nil, r = reason, at = at, x = own }
end

local function touch(m, lot, state)
  m.touched[lot.id] = { id = tonumber(lot.id), p = lot.points, r = lot.remaining, st = state,
                        act = lot.act, exp = lot.exp, s = m.seq }
end

-- Lazy activation, then lazy expiry, of every lot whose time has come.
local function mature(m)
  for _, id in ipairs(redis.call('ZRANGEBYSCORE', m.K[3], '-inf', m.now)) do
    local lot = lot_get(m, id)
    redis.call('ZREM', m.K[3], id)
    redis.call('ZADD', m.K[4], lot.exp < 0 and '+inf' or lot.exp, id)
    m.pe = m.pe - lot.remaining
    m.a = m.a + lot.remaining
    entry(m, 'activate', lot.remaining, lot.remaining, -lot.remaining, 0, lot,
      'Return window over: points became available', lot.act, false)
    touch(m, lot, 'available')
  end
  for _, id in ipairs(redis.call('ZRANGEBYSCORE', m.K[4], '-inf', m.now)) do
    local lot = lot_get(m, id)
    redis.call('ZREM', m.K[4], id)
    redis.call('HDEL', m.K[2], id)
    m.a = m.a - lot.remaining
    entry(m, 'expire', -lot.remaining, -lot.remaining, 0, 0, lot, 'Points expired', lot.exp, false)
    lot.remaining = 0
    touch(m, lot, 'expired')
  end
end

-- Saves the member and, when anything changed, appends one event to the write-behind stream.
local function commit(m, stream, extra)
  if #m.ledger == 0 then return end
  redis.call('HSET', m.K[1], 'seq', fmt(m.seq), 'a', fmt(m.a), 'pe', fmt(m.pe), 'h', fmt(m.h), 'sp', fmt(m.sp))
  local lots = {}
  for _, lot in pairs(m.touched) do lots[#lots + 1] = lot end
  local event = { m = m.id, p = m.prog, s = m.seq, a = m.a, pe = m.pe, h = m.h, sp = m.sp, t = m.now,
                  l = m.ledger, lots = lots }
  for k, v in pairs(extra) do event[k] = v end
  redis.call('XADD', stream, '*', 'e', cjson.encode(event))
end
