#!/usr/bin/env bash
# Where the machine's CPU goes per purchase: starts a gateway on the given jar, warms it up, runs the Gatling
# purchases mix at a fixed rate, and over a steady window reads the CPU time of the gateway JVM, redis-server and
# PostgreSQL from /proc, plus the gateway's own latency histogram for the same window.
#
#   load-tests/cpu-split.sh [rate] [seconds]          (defaults 1000 and 30)
#
# Environment: WARMUP_SECONDS (default 60, at the same rate: the JIT is still compiling for a minute or more),
# JAR (default gateway/target/loyalty-gateway.jar, so two builds can be compared in one session),
# REDIS_URL / DATABASE_URL (defaults: the machine's own), GATEWAY_PORT (18090). Loopback only; bounded in time.
set -euo pipefail
cd "$(dirname "$0")/.."
RATE=${1:-1000}; SECONDS_=${2:-30}
JAR=${JAR:-gateway/target/loyalty-gateway.jar}
PORT=${GATEWAY_PORT:-18090}
TOKEN=cpu-split-admin-token-0123456789
[ -f "$JAR" ] || mvn -q -B install -DskipTests

REDIS_URL=${REDIS_URL:-redis://127.0.0.1:6379} DATABASE_URL=${DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/test} \
  GATEWAY_ADMIN_TOKEN=$TOKEN GATEWAY_PORT=$PORT java -jar "$JAR" > /dev/null 2>&1 &
GW=$!
trap 'kill $GW 2>/dev/null || true' EXIT
for _ in $(seq 1 60); do curl -sf "http://127.0.0.1:$PORT/health/ready" >/dev/null && break; sleep 1; done

gatling() { mvn -q -B -Dstyle.color=never -pl load-tests gatling:test -Dmix=purchases -Dgateway="http://127.0.0.1:$PORT" \
  -DadminToken=$TOKEN -Drate="$1" -Dseconds="$2" -Dtills=100 -Dmembers=500 2>&1; }
ticks() { local t=0 p; for p in "$@"; do [ -r "/proc/$p/stat" ] && t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat"))); done; echo $t; }
snap() { echo "$(ticks $GW) $(ticks $(pgrep -x redis-server)) $(ticks $(pgrep postgres)) \
  $(awk '/^cpu /{print $2+$3+$4+$5+$6+$7+$8, $5+$6}' /proc/stat)"; }
hist() { curl -s "http://127.0.0.1:$PORT/metrics" \
  | grep '^loyalty_http_requests_seconds_bucket.*route="/v1/purchases".*status="201"' \
  | sed -E 's/.*le="([^"]*)"} ([0-9.E]+).*/\1 \2/'; }

gatling "$RATE" "${WARMUP_SECONDS:-60}" > /dev/null   # JIT warm-up
OUT=$(mktemp); H1=$(mktemp); H2=$(mktemp)
gatling "$RATE" $((SECONDS_ + 10)) > "$OUT" &    # the window starts once the Gatling JVM is past its own start
LOAD=$!
sleep 8
read -r g1 r1 p1 t1 i1 <<<"$(snap)"; hist > "$H1"
sleep "$SECONDS_"
read -r g2 r2 p2 t2 i2 <<<"$(snap)"; hist > "$H2"
wait $LOAD || true

awk -v g=$((g2 - g1)) -v r=$((r2 - r1)) -v p=$((p2 - p1)) -v t=$((t2 - t1)) -v i=$((i2 - i1)) -v hz="$(getconf CLK_TCK)" \
    -v s="$SECONDS_" -v rate="$RATE" -v cores="$(nproc)" 'BEGIN {
  n = rate * s; busy = t - i
  printf "%d s at %d purchases/s: %.2f of %d cores busy\n", s, rate, busy / hz / s, cores
  printf "| gateway JVM | %.2f cores | %d us per purchase |\n", g / hz / s, g / hz / n * 1e6
  printf "| redis-server | %.2f cores | %d us per purchase |\n", r / hz / s, r / hz / n * 1e6
  printf "| PostgreSQL | %.2f cores | %d us per purchase |\n", p / hz / s, p / hz / n * 1e6
  printf "| everything else (Gatling, kernel) | %.2f cores | %d us per purchase |\n", (busy - g - r - p) / hz / s, (busy - g - r - p) / hz / n * 1e6 }'
grep -E 'request count|99th percentile|mean throughput' "$OUT" | head -3
echo "gateway-side purchase latency in the window (share at or under each bucket):"
paste "$H1" "$H2" | awk '{ le[NR] = $1; d[NR] = $4 - $2 } END { for (k = 1; k <= NR; k++) if (le[k] + 0 <= 0.1 || le[k] == "+Inf") printf " <=%ss %.4f", le[k], d[k] / d[NR]; print "" }'
rm -f "$OUT" "$H1" "$H2"
