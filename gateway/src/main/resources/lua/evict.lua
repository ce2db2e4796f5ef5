-- Drops a member's state so its next touch reloads it from PostgreSQL, but only if nothing changed it since it
-- was checked: writes still in the stream are never thrown away.
-- KEYS: 1 member state. ARGV: 1 the version (first 8 bytes of the state) seen when it was checked.
-- Returns {1} when dropped, {0} when it changed meanwhile (or was not there).
if redis.call('GETRANGE', KEYS[1], 0, 7) ~= ARGV[1] then return { 0 } end
redis.call('DEL', KEYS[1])
return { 1 }
