-- Acknowledges write-behind entries once PostgreSQL has committed them, and deletes them (so the stream's length
-- is the backlog still to write). A crash between the two leaves a pending id without a body, read as done.
-- KEYS: 1 the stream. ARGV: 1 consumer group, 2.. entry ids. Returns the number of entries deleted.
redis.call('XACK', KEYS[1], ARGV[1], unpack(ARGV, 2))
return redis.call('XDEL', KEYS[1], unpack(ARGV, 2))
