-- Puts one transaction record back into a loaded member's hot copy (it was pruned after a week idle), unless
-- it is there already. KEYS: 1-7 the member (see member.lua), 8 transaction index.
-- ARGV: 1 transaction id, 2 record. Returns {'OK'} | {'LOAD'} (the member itself is not loaded).
if redis.call('EXISTS', KEYS[1]) == 0 then return { 'LOAD' } end
if redis.call('HSETNX', KEYS[5], ARGV[1], ARGV[2]) == 1 then
  redis.call('ZADD', KEYS[7], wall_ms(), ARGV[1])
  redis.call('SET', KEYS[8], redis.call('HGET', KEYS[1], 'id'), 'PX', TX_HOT_MS)
end
return { 'OK' }
