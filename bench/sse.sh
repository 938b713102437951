#!/bin/sh
# Idle SSE streams benchmark: N idle /api/v1/events connections against a fresh server.
# Usage: bench/sse.sh [N=5000] [IDLE_SECONDS=10]
set -eu
cd "$(dirname "$0")/.."
N="${1:-5000}"; IDLE="${2:-10}"; PORT="${PORT:-18081}"; BUILD="${BUILD:-build}"
cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$BUILD" -j"$(nproc)" --target switchboard >/dev/null
DATA="$(mktemp -d)"
SERVER_PID=""
cleanup() { [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null; wait 2>/dev/null; rm -rf "$DATA"; }
trap cleanup EXIT INT TERM
"$BUILD/switchboard" user add --data "$DATA" --email bench@example.com --name Bench --role admin >/dev/null
TOKEN="$("$BUILD/switchboard" token create --data "$DATA" --email bench@example.com)"
"$BUILD/switchboard" serve --data "$DATA" --listen "127.0.0.1:$PORT" --quiet --streams-per-agent "$N" 2>/dev/null &
SERVER_PID=$!
for i in $(seq 50); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.1; done
/usr/bin/python3 bench/sse_idle.py "http://127.0.0.1:$PORT" "$TOKEN" "$SERVER_PID" "$N" "$IDLE"
