#!/usr/bin/env bash
# Builds the gateway if its jar is missing or older than the sources, then runs it.
# With REDIS_URL / DATABASE_URL unset it starts embedded Redis and PostgreSQL with data under ./data.
set -euo pipefail
cd "$(dirname "$0")"
JAR=gateway/target/loyalty-gateway.jar
if [ ! -f "$JAR" ] || [ -n "$(find pom.xml gateway/pom.xml gateway/src -newer "$JAR" -print -quit)" ]; then
  echo "building the gateway (first run, or sources changed)..."
  # quiet unless it fails (some Maven versions print stray colour escapes even in batch mode)
  if ! build_log=$(mvn -q -B -Dstyle.color=never -pl gateway -am package -DskipTests 2>&1); then
    echo "$build_log" >&2
    exit 1
  fi
fi
# the collector and its sizes: deploy/jvm.options
exec java @deploy/jvm.options -jar "$JAR" "$@"
