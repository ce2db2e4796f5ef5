-- Loads a member's hot copy from the system of record unless one is already there. An existing copy is never
-- touched: it is at least as new as PostgreSQL and may hold writes still waiting in the stream.
-- KEYS: 1-7 the member (see member.lua), then one key per idempotency record of the member
-- ARGV: 1 cjson array of member hash fields and values (strings),
--       2 cjson array of lots, four strings each: lot id, lots-hash value, zset ('pending'|'available'), score,
--       3 cjson array of transactions, three strings each: id, record, hold expiry ('' unless authorised),
--       4 (unused), then per idempotency record: value, ttl_seconds
-- Returns 1 when loaded, 0 when a copy was already there.
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], unpack(cjson.decode(ARGV[1])))
local lots = cjson.decode(ARGV[2])
for i = 1, #lots, 4 do
  redis.call('HSET', KEYS[2], lots[i], lots[i + 1])
  redis.call('ZADD', lots[i + 2] == 'pending' and KEYS[3] or KEYS[4], lots[i + 3], lots[i])
end
local txs = cjson.decode(ARGV[3])
for i = 1, #txs, 3 do
  redis.call('HSET', KEYS[5], txs[i], txs[i + 1])
  redis.call('ZADD', KEYS[7], wall_ms(), txs[i])
  if txs[i + 2] ~= '' then redis.call('ZADD', KEYS[6], txs[i + 2], txs[i]) end
end
for i = 8, #KEYS do
  local value, ttl = ARGV[5 + (i - 8) * 2], tonumber(ARGV[6 + (i - 8) * 2])
  redis.call('SET', KEYS[i], value, 'EX', ttl, 'NX')
end
return 1
