-- Loads a member's hot copy from the system of record unless one is already there. An existing copy is never
-- touched: it is at least as new as PostgreSQL and may hold writes still waiting in the stream.
-- KEYS: 1-4 the member (see member.lua), then one key per idempotency record of the member
-- ARGV: 1 cjson array of member hash fields and values (strings),
--       2 cjson array of lots, four strings each: lot id, lots-hash value, zset ('pending'|'available'), score,
--       then per idempotency record: value, ttl_seconds
-- Returns 1 when loaded, 0 when a copy was already there.
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], unpack(cjson.decode(ARGV[1])))
local lots = cjson.decode(ARGV[2])
for i = 1, #lots, 4 do
  redis.call('HSET', KEYS[2], lots[i], lots[i + 1])
  redis.call('ZADD', lots[i + 2] == 'pending' and KEYS[3] or KEYS[4], lots[i + 3], lots[i])
end
for i = 5, #KEYS do
  local value, ttl = ARGV[3 + (i - 5) * 2], tonumber(ARGV[4 + (i - 5) * 2])
  redis.call('SET', KEYS[i], value, 'EX', ttl, 'NX')
end
return 1
