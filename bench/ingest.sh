#!/bin/sh
# Inbound email benchmark (issue 3): the realistic mix of bench/make_ingest_mix.py through
# POST /api/v1/inbound/email (wrk) and through `switchboard mailgate` (one process per
# message, as an MTA's pipe transport runs it). Durable: synchronous=FULL, raw and attachments
# fsync'd into the blob store before the commit.
# Usage: bench/ingest.sh [RUNS=3] [DURATION=10s] [CONNECTIONS=32] [MAILGATE_MESSAGES=400]
set -eu
cd "$(dirname "$0")/.."
RUNS="${1:-3}"; DURATION="${2:-10s}"; CONNS="${3:-32}"; GATE_N="${4:-400}"
PORT="${PORT:-18083}"; BUILD="${BUILD:-build}"
cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$BUILD" -j"$(nproc)" --target switchboard >/dev/null
DATA="$(mktemp -d)"; MIX="$(mktemp -d)"
SERVER_PID=""
cleanup() { [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null; wait 2>/dev/null; rm -rf "$DATA" "$MIX"; }
trap cleanup EXIT INT TERM
/usr/bin/python3 bench/make_ingest_mix.py "$MIX" >/dev/null
"$BUILD/switchboard" user add --data "$DATA" --email bench@example.com --name Bench --role admin >/dev/null
"$BUILD/switchboard" mailbox add --data "$DATA" --address support@support.test >/dev/null
SB_TOKEN="$("$BUILD/switchboard" token create --data "$DATA" --email bench@example.com)"
export SB_TOKEN SB_MIX="$MIX"
"$BUILD/switchboard" serve --data "$DATA" --listen "127.0.0.1:$PORT" 2>/dev/null &
SERVER_PID=$!
for i in $(seq 50); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.1; done
for run in $(seq "$RUNS"); do
    wrk -t2 -c"$CONNS" -d"$DURATION" --latency -s bench/ingest.lua "http://127.0.0.1:$PORT" |
        awk '/Requests\/sec/ {rps=$2} /^ +50%/ {p50=$2} /^ +99%/ {p99=$2} /Non-2xx/ {bad=$NF}
             END {printf "http       %10s msg/s  p50 %8s  p99 %8s  non2xx %s\n", rps, p50, p99, (bad==""?0:bad)}'
done
# mailgate: GATE_N messages, 4 at a time, each a new process
i=0
mkdir -p "$MIX/gate"
while [ "$i" -lt "$GATE_N" ]; do
    f="$MIX/gate/$i.eml"
    sed "s/MSGID/gate$i.$$/; s/SENDER/g$((i % 300))/" "$MIX/$(ls "$MIX" | grep eml | sed -n "$((i % 4 + 1))p")" > "$f"
    i=$((i + 1))
done
start=$(date +%s.%N)
ls "$MIX/gate" | xargs -P 4 -I{} sh -c "\"$BUILD/switchboard\" mailgate --url http://127.0.0.1:$PORT --token $SB_TOKEN --mailbox support@support.test < \"$MIX/gate/{}\""
end=$(date +%s.%N)
echo "mailgate   $(/usr/bin/python3 -c "print(round($GATE_N / ($end - $start), 1))") msg/s  ($GATE_N messages, 4 concurrent pipe deliveries)"
curl -s "http://127.0.0.1:$PORT/metrics" | grep -E '^switchboard_db_write_batch_size_(sum|count)'
