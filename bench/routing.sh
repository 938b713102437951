#!/bin/sh
# Routing cost on the write path: POST /api/v1/conversations as in write.sh, but every new
# conversation is routed: 50 routing rules that do not match, then a catch-all rule to a
# round-robin team of 20 online agents, each with a weekday shift in Europe/Kyiv (so every
# create evaluates 51 rules, loads 20 members with their open counts and checks 20 shifts).
# Usage: bench/routing.sh [RUNS=3] [DURATION=10s] [CONNECTIONS=64]
set -eu
cd "$(dirname "$0")/.."
RUNS="${1:-3}"; DURATION="${2:-10s}"; CONNS="${3:-64}"; PORT="${PORT:-18083}"; BUILD="${BUILD:-build}"
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
BASE="http://127.0.0.1:$PORT" /usr/bin/python3 - <<'PY'
import json, os, urllib.request
base, tok = os.environ["BASE"], os.environ["SB_TOKEN"]
def call(method, path, body):
    req = urllib.request.Request(base + path, method=method, data=json.dumps(body).encode(),
                                 headers={"Authorization": "Bearer " + tok, "Content-Type": "application/json"})
    return json.load(urllib.request.urlopen(req))
shift = {"hours": {d: [["00:00", "24:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}}
ids = []
for i in range(20):
    a = call("POST", "/api/v1/agents", {"email": f"a{i}@example.com", "name": f"Agent {i}", "role": "agent",
                                        "timezone": "Europe/Kyiv", "shift": shift})
    call("PATCH", f"/api/v1/agents/{a['id']}", {"status": "online"})
    ids.append(a["id"])
team = call("POST", "/api/v1/teams", {"name": "Bench", "tier": "L1", "member_ids": ids})
for i in range(50):
    call("POST", "/api/v1/routing-rules", {"conditions": {"tag": f"never-{i}", "channel": "email"}, "team_id": team["id"]})
call("POST", "/api/v1/routing-rules", {"name": "all", "conditions": {}, "team_id": team["id"]})
PY
for run in $(seq "$RUNS"); do
    wrk -t2 -c"$CONNS" -d"$DURATION" --latency -s bench/create.lua "http://127.0.0.1:$PORT" |
        awk '/Requests\/sec/ {rps=$2} /^ +50%/ {p50=$2} /^ +99%/ {p99=$2} /Non-2xx/ {bad=$NF}
             END {printf "routed     %10s req/s  p50 %8s  p99 %8s  non2xx %s\n", rps, p50, p99, (bad==""?0:bad)}'
done
curl -s -H "Authorization: Bearer $SB_TOKEN" "http://127.0.0.1:$PORT/api/v1/agents" |
    /usr/bin/python3 -c 'import json,sys; c=[a["open_count"] for a in json.load(sys.stdin)["items"] if a["role"]=="agent"]; print("open per agent: min", min(c), "max", max(c))'
