#!/bin/sh
# Durable write benchmark: POST /api/v1/conversations (contact lookup or creation, conversation,
# first message, full-text index, two events) with synchronous=FULL and group commit.
# Usage: bench/write.sh [RUNS=3] [DURATION=10s] [CONNECTIONS=64]
set -eu
cd "$(dirname "$0")/.."
RUNS="${1:-3}"; DURATION="${2:-10s}"; CONNS="${3:-64}"; PORT="${PORT:-18082}"; BUILD="${BUILD:-build}"
cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$BUILD" -j"$(nproc)" --target switchboard >/dev/null
DATA="$(mktemp -d)"
SERVER_PID=""
cleanup() { [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null; wait 2>/dev/null; rm -rf "$DATA"; }
trap cleanup EXIT INT TERM
"$BUILD/switchboard" user add --data "$DATA" --email bench@example.com --name Bench --role admin >/dev/null
SB_TOKEN="$("$BUILD/switchboard" token create --data "$DATA" --email bench@example.com)"
export SB_TOKEN
"$BUILD/switchboard" serve --data "$DATA" --listen "127.0.0.1:$PORT" 2>/dev/null &
SERVER_PID=$!
for i in $(seq 50); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.1; done
for run in $(seq "$RUNS"); do
    wrk -t2 -c"$CONNS" -d"$DURATION" --latency -s bench/create.lua "http://127.0.0.1:$PORT" |
        awk '/Requests\/sec/ {rps=$2} /^ +50%/ {p50=$2} /^ +99%/ {p99=$2} /Non-2xx/ {bad=$NF}
             END {printf "create     %10s req/s  p50 %8s  p99 %8s  non2xx %s\n", rps, p50, p99, (bad==""?0:bad)}'
done
curl -s "http://127.0.0.1:$PORT/metrics" | grep -E '^switchboard_db_write_batch_size_(sum|count)'
