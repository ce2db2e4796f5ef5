#!/usr/bin/env bash
# How fast the managers' figures answer on a large program: 1 000 000 members and 10 000 000 ledger rows (MEMBERS,
# LEDGER_ROWS), with a year of rollups, generated in SQL into a fresh database on the local PostgreSQL. Then times
# every admin read through a running gateway (curl, RUNS times each, after one warm-up) and prints the table, with
# the plan of the one read that is an index range. The generated rows stand for what the write-behind would have written: members
# with balances and last purchase/redemption times, ledger rows, per-day/week/month/store figures, points by expiry
# day, transactions per till and month. One member is enrolled and buys through the API, so member search and
# ledger read a real one.
#
# Environment: PGHOST_URL (postgresql://postgres@127.0.0.1:5432), DB (figures_bench, dropped and recreated),
# MEMBERS, LEDGER_ROWS, RUNS (5), GATEWAY_PORT (18090), REDIS_PORT (16398), KEEP=1 keeps the database.
# Loopback only; bounded; stops what it started.
set -euo pipefail
cd "$(dirname "$0")/.."

PGHOST_URL=${PGHOST_URL:-postgresql://postgres@127.0.0.1:5432}
DB=${DB:-figures_bench}
MEMBERS=${MEMBERS:-1000000}
LEDGER_ROWS=${LEDGER_ROWS:-10000000}
RUNS=${RUNS:-5}
GATEWAY_PORT=${GATEWAY_PORT:-18090}
REDIS_PORT=${REDIS_PORT:-16398}
TOKEN=figures-admin-token-0123456789
BASE=http://127.0.0.1:$GATEWAY_PORT
WORK=$(mktemp -d)
case "$PGHOST_URL" in *@127.*|*@localhost*) ;; *) echo "loopback only, not $PGHOST_URL" >&2; exit 1 ;; esac

cleanup() {
  [ "${OK:-0}" = 1 ] || tail -5 "$WORK/gateway.log" 2>/dev/null || true
  [ -n "${GATEWAY_PID:-}" ] && kill "$GATEWAY_PID" 2>/dev/null && wait "$GATEWAY_PID" 2>/dev/null || true
  [ -n "${REDIS_PID:-}" ] && kill "$REDIS_PID" 2>/dev/null || true
  [ "${KEEP:-0}" = 1 ] || psql -q "$PGHOST_URL/postgres" -c "DROP DATABASE IF EXISTS $DB" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

[ -f gateway/target/loyalty-gateway.jar ] || mvn -B -q package -DskipTests -pl gateway -am
psql -q "$PGHOST_URL/postgres" -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB"
redis-server --port "$REDIS_PORT" --save '' --appendonly no > "$WORK/redis.log" 2>&1 &
REDIS_PID=$!
REDIS_URL=redis://127.0.0.1:$REDIS_PORT DATABASE_URL=$PGHOST_URL/$DB GATEWAY_ADMIN_TOKEN=$TOKEN \
  GATEWAY_PORT=$GATEWAY_PORT CONFIG_REFRESH_MS=500 java @deploy/jvm.options -jar gateway/target/loyalty-gateway.jar \
  > "$WORK/gateway.log" 2>&1 &
GATEWAY_PID=$!
for _ in $(seq 1 60); do curl -sf "$BASE/health/ready" >/dev/null && break; sleep 1; done
curl -sf -X PUT "$BASE/v1/admin/programs/bench" -H "Authorization: Bearer $TOKEN" -H 'content-type: application/json' \
  -d '{"currency":"EUR","expiry_days":365}' >/dev/null

echo "generating $MEMBERS members and $LEDGER_ROWS ledger rows ..."
START=$(date +%s)
psql -q -v ON_ERROR_STOP=1 "$PGHOST_URL/$DB" <<SQL
SELECT setseed(0.42);
INSERT INTO tills (id, program_id, store_id, till_id, key_hash, created_at)
SELECT md5('till' || i)::uuid, 'bench', 'store-' || (i % 40), 'till-' || i, decode(md5('key' || i), 'hex'),
       now() - interval '400 days'
  FROM generate_series(1, 200) i;
INSERT INTO members (id, program_id, phone, card, consent_personal_data, consent_marketing, created_at)
SELECT md5('m' || i)::uuid, 'bench', '+4915' || lpad(i::text, 9, '0'), 'CARD-' || i, true, false,
       now() - (i % 700) * interval '1 day'
  FROM generate_series(1, $MEMBERS) i;
INSERT INTO member_balances (member_id, seq, available, pending, held, lifetime_spend_minor, debt, updated_at,
                             program_id, last_purchase_at, last_redeem_on)
SELECT md5('m' || i)::uuid, 200, (random() * 3000)::int, 0, 0, (random() * 5000000)::bigint, 0, now(), 'bench',
       now() - random() * interval '400 days',
       CASE WHEN random() < 0.4 THEN (now() - random() * interval '400 days')::date END
  FROM generate_series(1, $MEMBERS) i;
INSERT INTO ledger (member_id, seq, program_id, kind, points, available_delta, pending_delta, held_delta, reason,
                    transaction_id, receipt_number, till_ref, occurred_at)
SELECT md5('m' || (i % $MEMBERS + 1))::uuid, i / $MEMBERS, 'bench', k, p, p, 0, 0, 'generated',
       md5('tx' || i)::uuid, 'R-' || i, md5('till' || (i % 200 + 1))::uuid, now() - random() * interval '365 days'
  FROM (SELECT i, (ARRAY['accrue', 'accrue', 'accrue', 'redeem', 'expire'])[1 + i % 5] AS k,
               CASE WHEN i % 5 < 3 THEN 1 + i % 97 ELSE -(1 + i % 53) END AS p
          FROM generate_series(0, $LEDGER_ROWS - 1) i) g;
INSERT INTO program_balances (program_id, slot, available, pending, held, positive_points, members_with_points)
SELECT 'bench', 0, sum(available), sum(pending), sum(held), sum(greatest(available, 0)),
       count(*) FILTER (WHERE available > 0)
  FROM member_balances WHERE program_id = 'bench';
INSERT INTO program_purchase_days (program_id, day, members)
SELECT 'bench', (last_purchase_at AT TIME ZONE 'UTC')::date, count(*) FROM member_balances GROUP BY 1, 2;
INSERT INTO program_expiry (program_id, expire_on, points)
SELECT 'bench', current_date + d, (random() * 50000)::int FROM generate_series(-30, 400) d;
INSERT INTO period_figures (program_id, period, period_start, store_id, receipts, revenue_minor, receipts_with_points,
                            revenue_with_points_minor, points_accrued, points_redeemed, points_expired, refunds_minor,
                            members_active, members_redeeming, repeat_members)
SELECT 'bench', p.period, p.start, p.store, sum(n), sum(n) * 4200, sum(n) / 5, sum(n) / 5 * 6100, sum(n) * 48,
       sum(n) * 9, sum(n) * 3, sum(n) * 30, sum(n) * 9 / 10, sum(n) / 6, sum(n) / 8
  FROM (SELECT date_trunc('day', occurred_at)::date AS day, count(*) AS n FROM ledger GROUP BY 1) l
  CROSS JOIN LATERAL (VALUES ('d', l.day, ''), ('w', date_trunc('week', l.day)::date, ''),
                             ('m', date_trunc('month', l.day)::date, '')) AS p(period, start, store)
 GROUP BY 1, 2, 3, 4;
INSERT INTO period_figures (program_id, period, period_start, store_id, receipts, revenue_minor, members_active)
SELECT 'bench', 'm', date_trunc('month', current_date - m * interval '1 month')::date, 'store-' || s, 5000 + s,
       (5000 + s) * 4200, 4000 + s
  FROM generate_series(0, 12) m, generate_series(0, 39) s;
INSERT INTO till_months (program_id, month, till_ref, transactions)
SELECT 'bench', date_trunc('month', current_date - m * interval '1 month')::date, md5('till' || t)::uuid, 1000 + t
  FROM generate_series(0, 12) m, generate_series(1, 200) t;
ANALYZE;
SQL
echo "generated in $(( $(date +%s) - START )) s"

# one real member, through the API
sleep 1
TILL_KEY=$(curl -s --fail-with-body -X POST "$BASE/v1/admin/programs/bench/tills" -H "Authorization: Bearer $TOKEN" \
  -H 'content-type: application/json' -d '{"store_id":"store-0","till_id":"api-till"}' | sed -E 's/.*"api_key":"([^"]+)".*/\1/')
MEMBER=$(curl -s --fail-with-body -X POST "$BASE/v1/members" -H "Authorization: Bearer $TILL_KEY" -H 'content-type: application/json' \
  -d '{"phone":"+491701234567","card":"REAL-0001","consents":{"personal_data":true,"marketing":false}}' \
  | sed -E 's/.*"member_id":"([^"]+)".*/\1/')
for i in 1 2 3; do
  curl -s --fail-with-body -X POST "$BASE/v1/purchases" -H "Authorization: Bearer $TILL_KEY" -H "Idempotency-Key: real-$i" \
    -H 'content-type: application/json' -d "{\"member\":{\"id\":\"$MEMBER\"},\"receipt\":{\"number\":\"R-real-$i\",\"total_minor\":25000,\"lines\":[{\"sku\":\"s\",\"category\":\"food\",\"amount_minor\":25000}]}}" >/dev/null
done
sleep 1

TODAY=$(date -u +%F)
YEAR_AGO=$(date -u -d '365 days ago' +%F)
P=/v1/admin/programs/bench
printf '\n%s\n' "| request | median ms | max ms | answer bytes |"
printf '%s\n' "|---|---:|---:|---:|"
for path in "$P/liability" "$P/liability.csv" "$P/analytics" "$P/analytics?from=$YEAR_AGO&to=$TODAY" \
    "$P/analytics?group_by=week&from=$YEAR_AGO&to=$TODAY" "$P/analytics?group_by=month&from=$YEAR_AGO&to=$TODAY" \
    "$P/analytics?group_by=store&from=$(date -u -d '11 months ago' +%Y-%m-01)&to=$TODAY" \
    "$P/analytics.csv?from=$YEAR_AGO&to=$TODAY" "$P/usage" "$P/tills?limit=1000" "$P/members?card=REAL-0001" \
    "$P/members/$MEMBER/ledger" "/v1/admin/programs"; do
  curl -sf -o /dev/null -H "Authorization: Bearer $TOKEN" "$BASE$path"
  times=()
  for _ in $(seq 1 "$RUNS"); do
    times+=("$(curl -sf -o "$WORK/answer" -w '%{time_total}' -H "Authorization: Bearer $TOKEN" "$BASE$path")")
  done
  sorted=$(printf '%s\n' "${times[@]}" | sort -n)
  median=$(echo "$sorted" | sed -n "$(( (RUNS + 1) / 2 ))p")
  max=$(echo "$sorted" | tail -1)
  printf '| `GET %s` | %.1f | %.1f | %s |\n' "${path//$YEAR_AGO/<year ago>}" "$(echo "$median * 1000" | bc)" \
    "$(echo "$max * 1000" | bc)" "$(wc -c < "$WORK/answer")"
done

OK=1
echo
psql -q "$PGHOST_URL/$DB" -c "SELECT (SELECT count(*) FROM members) AS members, (SELECT count(*) FROM ledger) AS ledger_rows,
  (SELECT count(*) FROM period_figures) AS period_figure_rows, pg_size_pretty(pg_database_size('$DB')) AS size"
# the one liability read that is an index range rather than rows by key
psql -q "$PGHOST_URL/$DB" -c "EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) SELECT coalesce(sum(available), 0), count(*)
  FROM member_balances WHERE program_id = 'bench' AND available > 0 AND last_redeem_on >= current_date - 90"
