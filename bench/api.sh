#!/bin/sh
# API read benchmark (issue 2): seeds CONVERSATIONS conversations with MESSAGES messages each,
# starts the server, and measures with wrk on loopback:
#   GET /api/v1/conversations?status=open&limit=25
#   GET /api/v1/conversations/{id}/messages   (random id)
# Usage: bench/api.sh [RUNS=3] [DURATION=15s] [CONNECTIONS=32]
# Env: CONVERSATIONS (100000), MESSAGES (5), PORT (18080), BUILD (build)
set -eu
cd "$(dirname "$0")/.."
RUNS="${1:-3}"; DURATION="${2:-15s}"; CONNS="${3:-32}"
CONVERSATIONS="${CONVERSATIONS:-100000}"; MESSAGES="${MESSAGES:-5}"; PORT="${PORT:-18080}"
BUILD="${BUILD:-build}"
./scripts/install-deps.sh --quiet
cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$BUILD" -j"$(nproc)" --target switchboard >/dev/null
BIN="$BUILD/switchboard"
DATA="$(mktemp -d)"
SERVER_PID=""
cleanup() { [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null; wait 2>/dev/null; rm -rf "$DATA"; }
trap cleanup EXIT INT TERM
start=$(date +%s)
"$BIN" dev seed --data "$DATA" --conversations "$CONVERSATIONS" --messages "$MESSAGES"
echo "seeded in $(( $(date +%s) - start )) s; database $(du -h "$DATA/switchboard.db" | cut -f1)"
"$BIN" user add --data "$DATA" --email bench@example.com --name Bench --role admin >/dev/null
SB_TOKEN="$("$BIN" token create --data "$DATA" --email bench@example.com)"
export SB_TOKEN SB_CONVERSATIONS="$CONVERSATIONS"
"$BIN" serve --data "$DATA" --listen "127.0.0.1:$PORT" 2>/dev/null &
SERVER_PID=$!
for i in $(seq 50); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.1; done
summarise() { # prints "name req/s p50 p99" from wrk --latency output
    awk -v name="$1" '/Requests\/sec/ {rps=$2} /^ +50%/ {p50=$2} /^ +99%/ {p99=$2} /Non-2xx/ {bad=$NF}
        END {printf "%-10s %10s req/s  p50 %8s  p99 %8s  non2xx %s\n", name, rps, p50, p99, (bad==""?0:bad)}'
}
for script in list messages; do
    wrk -t2 -c"$CONNS" -d2s -s "bench/$script.lua" "http://127.0.0.1:$PORT" >/dev/null # warm-up
    for run in $(seq "$RUNS"); do
        wrk -t2 -c"$CONNS" -d"$DURATION" --latency -s "bench/$script.lua" "http://127.0.0.1:$PORT" | summarise "$script"
    done
done
echo "server RSS: $(ps -o rss= -p "$SERVER_PID") KiB"
