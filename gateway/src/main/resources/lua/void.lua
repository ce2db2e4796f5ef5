-- Voids an authorisation: its whole hold goes back to the lots it came from.
-- KEYS: 1-7 the member (see member.lua), 8 idempotency record, 9 write-behind stream
-- ARGV: 1 now_ms, 2 fingerprint, 3 idempotency_ttl_s, 4 program_id, 5 idempotency_key, 6 authorization_id,
--       7 till_ref
-- Returns {'OK', outcome} | {'REPLAY', outcome} | {'REUSE'} | {'LOAD'} | {'TXLOAD'} | {'NOT_FOUND'}
--       | {'EXPIRED'} | {'STATE', status}
-- outcome: "authorization_id|member_id|released|available|pending|held"
local now = tonumber(ARGV[1])
local m, reply = begin(KEYS, now, KEYS[8], ARGV[2], ARGV[4])
if not m then return reply end
local tx, refusal = authorized_tx(m, ARGV[6])
if refusal then return refuse(m, KEYS[9], refusal) end
local released = tx.held
give_back(m, tx.hlots, released, 'void', true, 'Authorisation of receipt ' .. tx.rn .. ' voided', now, tx, nil)
if released == 0 then
  entry(m, 'void', 0, 0, 0, 0, nil, 'Voided authorisation of receipt ' .. tx.rn .. ' (no points held)', now, tx)
end
redis.call('ZREM', KEYS[6], tx.id)
mature(m) -- released points whose lot expired during the hold expire now
tx.st, tx.held = 'voided', 0
tx_put(m, tx)
local outcome = table.concat({ tx.id, m.id, fmt(released), fmt(m.a), fmt(m.pe), fmt(m.h) }, '|')
remember(KEYS[8], ARGV[2], outcome, tonumber(ARGV[3]))
commit(m, KEYS[9], { idem = { k = ARGV[5], fp = ARGV[2], o = outcome, till = ARGV[7] } })
return { 'OK', outcome }
