-- Drops a member's hot copy so its next touch reloads it from PostgreSQL, but only if nothing changed it since
-- it was checked (its seq is still the one given): writes still in the stream are never thrown away.
-- KEYS: 1-7 the member (see member.lua). ARGV: 1 the seq seen when it was checked; 2 'idle' when the member is
-- dropped for being idle, which also requires that it holds no points (its holds stay where the sweeper sees them).
-- Returns {1} when dropped, {0} when it changed meanwhile (or was not there, or holds points).
if redis.call('HGET', KEYS[1], 'seq') ~= ARGV[1] then return { 0 } end
if ARGV[2] == 'idle' and redis.call('HGET', KEYS[1], 'h') ~= '0' then return { 0 } end
redis.call('DEL', KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7])
return { 1 }
