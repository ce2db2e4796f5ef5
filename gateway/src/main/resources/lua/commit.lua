-- The one commit every change of a member goes through, whatever the command. It holds no business rule: the
-- gateway decided the change from the member state it read at the expected version; this script applies it only
-- if that is still the member's state, and only once per idempotency key. It reads first and writes last, so a
-- refusal never leaves a half-made change.
-- KEYS: 1 member state, 2 idempotency record (KEYS[1] again when the request has none), 3 the member's
--       write-behind stream, 4.. keys of the extra writes (same hash tag)
-- ARGV: 1 expected version: the first 8 bytes of the state (the member seq) the change was decided from
--       2 new state ('' when the decision changed nothing: then only the version is checked)
--       3 idempotency: 'none' | 'check' (answer a stored record, store nothing) | 'store'
--       4 the idempotency record to store (empty unless 3 is 'store'), 5 its time to live in seconds
--       6 write-behind event, all but its end: the script appends the new state and the record to it
--       7 most entries the stream may hold (past it new work waits; replays are answered)
--       then three per extra key: op, a, b: 'SET' value ttl_seconds | 'ZADD' score member | 'ZREM' '' member
-- Returns {'OK', the write-behind entry's id (none when nothing changed)} | {'REPLAY', stored record}
--       | {'CONFLICT', current state, or nil when not loaded} | {'BACKLOG'}
if ARGV[3] ~= 'none' then
  local stored = redis.call('GET', KEYS[2])
  if stored then return { 'REPLAY', stored } end
end
if ARGV[2] ~= '' and redis.call('XLEN', KEYS[3]) >= tonumber(ARGV[7]) then return { 'BACKLOG' } end
if redis.call('GETRANGE', KEYS[1], 0, 7) ~= ARGV[1] then
  return { 'CONFLICT', redis.call('GET', KEYS[1]) }
end
local id
if ARGV[2] ~= '' then
  redis.call('SET', KEYS[1], ARGV[2])
  id = redis.call('XADD', KEYS[3], '*', 'e', ARGV[6] .. ARGV[2] .. ARGV[4])
end
if ARGV[3] == 'store' then redis.call('SET', KEYS[2], ARGV[4], 'EX', ARGV[5]) end
for i = 4, #KEYS do
  local op, a, b = ARGV[5 + (i - 3) * 3], ARGV[6 + (i - 3) * 3], ARGV[7 + (i - 3) * 3]
  if op == 'SET' then
    redis.call('SET', KEYS[i], a, 'EX', b)
  elseif op == 'ZADD' then
    redis.call('ZADD', KEYS[i], a, b)
  else
    redis.call('ZREM', KEYS[i], b)
  end
end
return { 'OK', id }
