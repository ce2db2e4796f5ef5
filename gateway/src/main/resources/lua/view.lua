-- A member as the API shows it. Lots and holds whose time has come are matured first, and that is written behind.
-- KEYS: 1-7 the member (see member.lua), 8 write-behind stream
-- ARGV: 1 now_ms, 2 program_id of the caller
-- Returns {'LOAD'} | {'NOT_FOUND'} | {'OK', available, pending, held, lifetime_spend, next_expiry_at (-1: none),
--          next_expiry_points, phone, card, external_id, consent_personal_data, consent_marketing, created_at}
local m = open(KEYS, tonumber(ARGV[1]))
if not m then return { 'LOAD' } end
if m.prog ~= ARGV[2] then return { 'NOT_FOUND' } end
mature(m)
commit(m, KEYS[8], {})
local next_at, next_points = -1, 0
local first = redis.call('ZRANGE', KEYS[4], 0, 0, 'WITHSCORES')
if first[1] and first[2] ~= 'inf' then
  next_at = tonumber(first[2])
  next_points = lot_get(m, first[1]).remaining
end
local f = redis.call('HMGET', KEYS[1], 'ph', 'cd', 'ext', 'cpd', 'cmk', 'cr')
return { 'OK', fmt(m.a), fmt(m.pe), fmt(m.h), fmt(m.sp), fmt(next_at), fmt(next_points),
         f[1] or '', f[2] or '', f[3] or '', f[4] or '0', f[5] or '0', f[6] or '0' }
