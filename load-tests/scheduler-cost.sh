#!/usr/bin/env bash
# What one pass of the background jobs costs on a large program, and whether it stalls purchases: MEMBERS members
# (1 000 000) written into a fresh database on the local PostgreSQL as the write-behind leaves them (an encoded
# state each), of whom DUE_PERCENT (1%) have a lot that expired an hour ago and REMIND_PERCENT (2%) a lot expiring in
# 3 days (reminders at 7 and 1 days); the rest expire in 200 days. None is in Redis (all evicted), so the expiry job
# loads each due member first, exactly as it would after a quiet week.
#
# Then, on one gateway: paced purchases (wrk, CONNECTIONS connections each waiting GAP_MS between requests) for
# RUN_SECONDS without a pass, and again for RUN_SECONDS while the first pass runs (SCHEDULER_INTERVAL_MS after
# start). Prints the pass (duration, members expired, reminders written, the gateway's peak RSS and heap after a
# full GC) and purchase p50/p99 with and without it. Loopback only; bounded; stops what it started.
#
# Environment: PGHOST_URL (postgresql://postgres@127.0.0.1:5432), DB (scheduler_bench, dropped and recreated),
# MEMBERS, DUE_PERCENT, REMIND_PERCENT, BUYERS (2000 members purchases go to), CONNECTIONS (16), GAP_MS (20),
# RUN_SECONDS (5), GATEWAY_PORT (18091), REDIS_PORT (16397), KEEP=1 keeps the database.
set -euo pipefail
cd "$(dirname "$0")/.."

PGHOST_URL=${PGHOST_URL:-postgresql://postgres@127.0.0.1:5432}
DB=${DB:-scheduler_bench}
MEMBERS=${MEMBERS:-1000000}
DUE_PERCENT=${DUE_PERCENT:-1}
REMIND_PERCENT=${REMIND_PERCENT:-2}
BUYERS=${BUYERS:-2000}
CONNECTIONS=${CONNECTIONS:-16}
GAP_MS=${GAP_MS:-20}
RUN_SECONDS=${RUN_SECONDS:-5}
GATEWAY_PORT=${GATEWAY_PORT:-18091}
REDIS_PORT=${REDIS_PORT:-16397}
TOKEN=scheduler-admin-token-0123456789
BASE=http://127.0.0.1:$GATEWAY_PORT
DATABASE_URL=$PGHOST_URL/$DB
WORK=$(mktemp -d)
case "$PGHOST_URL" in *@127.*|*@localhost*) ;; *) echo "loopback only, not $PGHOST_URL" >&2; exit 1 ;; esac
command -v wrk >/dev/null || { echo "needs wrk (apt-get install wrk)" >&2; exit 1; }

stop_gateway() {
  [ -n "${GATEWAY_PID:-}" ] && kill "$GATEWAY_PID" 2>/dev/null && wait "$GATEWAY_PID" 2>/dev/null || true
  GATEWAY_PID=
}
cleanup() {
  [ "${OK:-0}" = 1 ] || { tail -20 "$WORK/gateway.log"; grep -m5 -A3 "WARN\|ERROR" "$WORK/gateway.log"; } 2>/dev/null || true
  stop_gateway
  [ -n "${REDIS_PID:-}" ] && kill "$REDIS_PID" 2>/dev/null || true
  [ "${KEEP:-0}" = 1 ] || psql -q "$PGHOST_URL/postgres" -c "DROP DATABASE IF EXISTS $DB" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

start_gateway() {  # scheduler interval in ms
  REDIS_URL=redis://127.0.0.1:$REDIS_PORT DATABASE_URL=$DATABASE_URL GATEWAY_ADMIN_TOKEN=$TOKEN \
    GATEWAY_PORT=$GATEWAY_PORT SCHEDULER_INTERVAL_MS=$1 TILL_RATE_LIMIT_PER_SECOND=1000000 \
    TILL_RATE_LIMIT_BURST=1000000 java @deploy/jvm.options -jar gateway/target/loyalty-gateway.jar \
    >> "$WORK/gateway.log" 2>&1 &
  GATEWAY_PID=$!
  STARTED=$(date +%s)
  for _ in $(seq 1 60); do curl -sf "$BASE/health/ready" >/dev/null && return; sleep 1; done
  echo "the gateway did not start" >&2; exit 1
}
metric() {  # the value of one series, or 0
  curl -sf "$BASE/metrics" | awk -v s="$1" '$1 == s { print $2; found = 1 } END { if (!found) print 0 }'
}

[ -f gateway/target/loyalty-gateway.jar ] || mvn -B -q package -DskipTests -pl gateway -am
psql -q "$PGHOST_URL/postgres" -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB"
redis-server --port "$REDIS_PORT" --save '' --appendonly no > "$WORK/redis.log" 2>&1 &
REDIS_PID=$!

# 1. The schema, the program and a till, from a gateway whose scheduler never runs; then it stops.
start_gateway 86400000
curl -sf -X PUT "$BASE/v1/admin/programs/bench" -H "Authorization: Bearer $TOKEN" -H 'content-type: application/json' \
  -d '{"currency":"EUR","expiry_days":365,"expiry_reminder_days":[7,1]}' >/dev/null
TILL_KEY=$(curl -sf -X POST "$BASE/v1/admin/programs/bench/tills" -H "Authorization: Bearer $TOKEN" \
  -H 'content-type: application/json' -d '{"store_id":"s1","till_id":"t1"}' | sed -E 's/.*"api_key" *: *"([^"]+)".*/\1/')
stop_gateway

# 2. Three member states (a due lot, a lot to remind of, a far one), encoded by the gateway's own codec; each member
#    gets one with its own id spliced in (the id sits at bytes 10-25 of an encoded state).
NOW_MS=$(( $(date +%s) * 1000 ))
jshell --class-path gateway/target/loyalty-gateway.jar -q > "$WORK/states" <<JSHELL
import io.loyalty.gateway.rules.*;
import io.loyalty.gateway.codec.StateCodec;
import java.util.*;
String state(long expireAt) { return HexFormat.of().formatHex(StateCodec.encode(new MemberState(new UUID(0, 0), "bench", 1, 50, 0, 0, 0, 10_000, List.of(), List.of(new Lot(1, 50, 50, expireAt - 365 * Rules.DAY_MILLIS, expireAt)), List.of(), new Profile("+4915000000000", null, null, true, false, true, ${NOW_MS}L - 400 * Rules.DAY_MILLIS), List.of()))); }
System.out.println("due " + state(${NOW_MS}L - 3_600_000L));
System.out.println("remind " + state(${NOW_MS}L + 3 * Rules.DAY_MILLIS));
System.out.println("far " + state(${NOW_MS}L + 200 * Rules.DAY_MILLIS));
/exit
JSHELL
hex() { awk -v k="$1" '{ for (i = 1; i < NF; i++) if ($i == k) print $(i + 1) }' "$WORK/states"; }
for kind in due remind far; do [ -n "$(hex $kind)" ] || { echo "no $kind state encoded:" >&2; cat "$WORK/states" >&2; exit 1; }; done
echo "generating $MEMBERS members ($DUE_PERCENT% due, $REMIND_PERCENT% to remind) ..."
GEN_START=$(date +%s)
psql -q -v ON_ERROR_STOP=1 "$DATABASE_URL" <<SQL
INSERT INTO members (id, program_id, phone, consent_personal_data, consent_marketing, consent_service_notices, created_at)
SELECT md5('m' || i)::uuid, 'bench', '+4915' || lpad(i::text, 9, '0'), true, false, true, now() - interval '400 days'
  FROM generate_series(1, $MEMBERS) i;
INSERT INTO member_balances (member_id, seq, available, pending, held, lifetime_spend_minor, debt, state, updated_at,
                             program_id, due_at, next_expiry_at)
SELECT id, 1, 50, 0, 0, 10000, 0, overlay(tpl PLACING uuid_send(id) FROM 10 FOR 16), now(), 'bench', at, at
  FROM (SELECT md5('m' || i)::uuid AS id,
               CASE WHEN i % 100 < $DUE_PERCENT THEN decode('$(hex due)', 'hex')
                    WHEN i % 100 < $DUE_PERCENT + $REMIND_PERCENT THEN decode('$(hex remind)', 'hex')
                    ELSE decode('$(hex far)', 'hex') END AS tpl,
               timestamptz 'epoch' + (CASE WHEN i % 100 < $DUE_PERCENT THEN ${NOW_MS}::bigint - 3600000
                    WHEN i % 100 < $DUE_PERCENT + $REMIND_PERCENT THEN ${NOW_MS}::bigint + 3 * 86400000::bigint
                    ELSE ${NOW_MS}::bigint + 200 * 86400000::bigint END) * interval '1 millisecond' AS at
          FROM generate_series(1, $MEMBERS) i) g;
VACUUM ANALYZE members;
VACUUM ANALYZE member_balances;
SQL
echo "   generated in $(( $(date +%s) - GEN_START )) s"
psql -At "$DATABASE_URL" -c "SELECT md5('m' || i)::uuid FROM generate_series(1, $MEMBERS) i
  WHERE i % 100 >= $DUE_PERCENT + $REMIND_PERCENT ORDER BY random() LIMIT $BUYERS" > "$WORK/buyers"

cat > "$WORK/paced.lua" <<LUA
local members, n, thread_id, threads = {}, 0, 0, 0
function setup(thread) threads = threads + 1; thread:set("id", threads) end
function init(args)
  for line in io.lines("$WORK/buyers") do members[#members + 1] = line end
  thread_id = id
  math.randomseed(id * 7919 + os.time())
end
function request()
  n = n + 1
  local amount = 1000 + math.random(0, 300000)
  local body = '{"member":{"id":"' .. members[math.random(#members)] .. '"},"receipt":{"number":"R-' .. n ..
    '","total_minor":' .. amount .. ',"lines":[{"sku":"sku-1","category":"food","amount_minor":' .. amount .. '}]}}'
  return wrk.format("POST", "/v1/purchases", {["Authorization"] = "Bearer $TILL_KEY",
    ["Content-Type"] = "application/json", ["Idempotency-Key"] = "k-" .. os.time() .. "-" .. thread_id .. "-" .. n}, body)
end
function delay() return $GAP_MS end
function done(summary, latency, requests)
  io.write(string.format("RESULT %d %d %.1f %.1f\n", summary.requests, summary.errors.status,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
LUA
paced() {  # seconds, output file
  wrk -t2 -c"$CONNECTIONS" -d"${1}s" --timeout 10s -s "$WORK/paced.lua" "$BASE" > "$2" 2>&1 || true
  grep RESULT "$2" || { echo "wrk gave no result:" >&2; cat "$2" >&2; return 1; }
}

# 3. The measured run: the first pass starts PASS_AT seconds after the gateway.
PASS_AT=$(( RUN_SECONDS * 2 + 25 ))
start_gateway $(( PASS_AT * 1000 ))
paced 10 "$WORK/warm.out" >/dev/null
read -r _ REQ_A KO_A P50_A P99_A <<<"$(paced "$RUN_SECONDS" "$WORK/without.out")"
[ "$(metric 'loyalty_scheduler_pass_duration_seconds_count{job="expiry"}')" = "0" ] || { echo "the pass began too soon" >&2; exit 1; }
while [ $(( $(date +%s) - STARTED )) -lt "$PASS_AT" ]; do sleep 0.2; done
read -r _ REQ_B KO_B P50_B P99_B <<<"$(paced "$RUN_SECONDS" "$WORK/with.out")"
for _ in $(seq 1 600); do
  [ "$(metric 'loyalty_scheduler_pass_duration_seconds_count{job="reminders"}')" != "0" ] && break
  [ "$(metric 'loyalty_scheduler_failures_total{job="reminders"}')" != "0" ] && { echo "the reminder pass failed" >&2; exit 1; }
  sleep 1
done
EXPIRY_S=$(metric 'loyalty_scheduler_pass_duration_seconds_sum{job="expiry"}')
REMIND_S=$(metric 'loyalty_scheduler_pass_duration_seconds_sum{job="reminders"}')
EXPIRED=$(metric 'loyalty_scheduler_items_total{job="expiry"}')
REMINDED=$(metric 'loyalty_scheduler_items_total{job="reminders"}')
FAILED=$(metric 'loyalty_scheduler_failures_total{job="expiry"}')
RSS_PEAK_MB=$(awk '/VmHWM/ { printf "%.0f", $2 / 1024 }' "/proc/$GATEWAY_PID/status")
jcmd "$GATEWAY_PID" GC.run >/dev/null 2>&1 || true
HEAP_MB=$(jcmd "$GATEWAY_PID" GC.heap_info 2>/dev/null | awk '/ParOldGen|PSOldGen/ { for (i = 1; i <= NF; i++) if ($i == "used") { v = $(i + 1); sub("K,?", "", v); printf "%.0f", v / 1024 } }')
sleep 3 # the write-behind of the pass
EXPIRE_ROWS=$(psql -At "$DATABASE_URL" -c "SELECT count(*) FROM ledger WHERE kind = 'expire'")
OUTBOX=$(psql -At "$DATABASE_URL" -c "SELECT type, count(*) FROM outbox GROUP BY 1 ORDER BY 1" | tr '\n' ' ')
OK=1
cat <<EOF

Scheduler pass on $MEMBERS members ($DUE_PERCENT% due, $REMIND_PERCENT% with a lot to remind of), none in Redis:
  expiry job:   $EXPIRY_S s for $EXPIRED members matured ($FAILED failed); expire ledger rows: $EXPIRE_ROWS
  reminder job: $REMIND_S s for $REMINDED members read; outbox: $OUTBOX
  gateway: peak RSS $RSS_PEAK_MB MB, old generation after a full GC ${HEAP_MB:-?} MB
Purchases, paced ($CONNECTIONS connections, ${GAP_MS} ms apart), $RUN_SECONDS s each:
  without a pass: $REQ_A requests ($KO_A non-2xx), p50 $P50_A ms, p99 $P99_A ms
  during the pass: $REQ_B requests ($KO_B non-2xx), p50 $P50_B ms, p99 $P99_B ms
EOF
