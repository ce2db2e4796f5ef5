-- Loads a member's state from the system of record unless Redis already has one: an existing state is never
-- touched (it is at least as new as PostgreSQL and may have writes still in its stream). The member's recent
-- idempotency records come along, so a retry after Redis lost its data is still answered as a replay.
-- KEYS: 1 member state, 2.. idempotency records
-- ARGV: 1 state, then per idempotency record: record, ttl_seconds
-- Returns {the member's state as Redis now has it}.
local current = redis.call('GET', KEYS[1])
if current then return { current } end
redis.call('SET', KEYS[1], ARGV[1])
for i = 2, #KEYS do
  redis.call('SET', KEYS[i], ARGV[i * 2 - 2], 'EX', ARGV[i * 2 - 1], 'NX')
end
return { ARGV[1] }
