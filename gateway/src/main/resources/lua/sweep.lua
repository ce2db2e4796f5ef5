-- Matures a member whose earliest hold is due, so an uncaptured authorisation is voided (and written behind)
-- even if nobody touches the member; then files the member under its next hold's expiry, or removes it.
-- KEYS: 1-7 the member (see member.lua), 8 write-behind stream, 9 the shard's holds-due zset
-- ARGV: 1 now_ms, 2 member id
local m = open(KEYS, tonumber(ARGV[1]))
if m then
  mature(m)
  commit(m, KEYS[8], {})
end
local next_hold = redis.call('ZRANGE', KEYS[6], 0, 0, 'WITHSCORES')
if next_hold[1] then
  redis.call('ZADD', KEYS[9], next_hold[2], ARGV[2])
else
  redis.call('ZREM', KEYS[9], ARGV[2])
end
return 1
