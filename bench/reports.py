#!/usr/bin/python3
"""Report latency benchmark: seeds CONVERSATIONS conversations (default 1,000,000) over the last
365 days straight into a fresh SQLite database (conversations, their report fact rows, tags and
CSAT ratings, the way the service would have written them), starts the server, and times every
/api/v1/reports/* endpoint: the median of RUNS requests for the last 30 days, the whole year,
and the whole year with a team and a tag filter.

Usage: bench/reports.py [RUNS=7]
Env: CONVERSATIONS (1000000), PORT (18090), BUILD (build), KEEP=DIR (reuse/keep the data dir)
"""
import json
import os
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RUNS = int(sys.argv[1]) if len(sys.argv) > 1 else 7
N = int(os.environ.get("CONVERSATIONS", "1000000"))
PORT = int(os.environ.get("PORT", "18090"))
BIN = os.path.join(ROOT, os.environ.get("BUILD", "build"), "switchboard")
REPORTS = ["volume", "times", "sla", "csat", "backlog", "heatmap", "categories", "tags", "agents"]
CHANNELS = ["email", "widget", "webform", "api"]
CATEGORIES = ["Billing", "Technical problem", "Account and access", "Feature request", "Other", None, None, None]
DAY = 86400000


def seed(data, now_ms):
    subprocess.run([BIN, "user", "add", "--data", data, "--email", "bench@example.com", "--name", "Bench",
                    "--role", "supervisor"], check=True, stdout=subprocess.DEVNULL)
    db = sqlite3.connect(os.path.join(data, "switchboard.db"))
    rnd = random.Random(11)
    db.execute("BEGIN")
    agents = []
    for i in range(20):
        cur = db.execute("INSERT INTO agents(email, name, role, created_at, updated_at) VALUES (?, ?, 'agent', ?, ?)",
                         (f"agent{i}@example.com", f"Agent {i}", now_ms, now_ms))
        agents.append(cur.lastrowid)
    teams = [db.execute("INSERT INTO teams(name, created_at, updated_at) VALUES (?, ?, ?)",
                        (f"Team {i}", now_ms, now_ms)).lastrowid for i in range(4)]
    tags = [db.execute("INSERT INTO tags(name, created_at) VALUES (?, ?)", (f"tag{i}", now_ms)).lastrowid
            for i in range(30)]
    contact = db.execute("INSERT INTO contacts(name, email, created_at, updated_at) VALUES ('C', 'c@x.test', ?, ?)",
                         (now_ms, now_ms)).lastrowid
    start = now_ms - 365 * DAY
    convs, facts, ctags, csat = [], [], [], []
    for cid in range(1, N + 1):
        created = start + int((cid - 1) * (365 * DAY) / N) + rnd.randrange(0, 30000)
        channel = CHANNELS[rnd.randrange(4)]
        team = teams[rnd.randrange(4)]
        agent = agents[rnd.randrange(20)] if rnd.random() < 0.9 else None
        cat = CATEGORIES[rnd.randrange(len(CATEGORIES))]
        mine = sorted(rnd.sample(tags, rnd.randrange(0, 3)))
        tag_ids = "," + ",".join(map(str, mine)) + "," if mine else ""
        frt = int(rnd.lognormvariate(7.5, 1.2)) if rnd.random() < 0.85 else None
        age = now_ms - created
        resolved = created + int(rnd.lognormvariate(10.5, 1.3)) * 1000 if rnd.random() < 0.9 else None
        if resolved and resolved >= now_ms:
            resolved = None
        if resolved is None and age > 30 * DAY and rnd.random() < 0.9:
            resolved = created + 20 * DAY
        status = ("closed" if rnd.random() < 0.8 else "solved") if resolved else ["open", "pending", "on_hold"][rnd.randrange(3)]
        res_s = (resolved - created) // 1000 if resolved else None
        sla = [1 if frt is not None and frt < 3600 else (2 if frt is not None else 0), 0,
               1 if res_s is not None and res_s < 86400 else (2 if res_s is not None else 3)]
        convs.append((cid, status, team, agent, contact, channel, created, created, resolved,
                      json.dumps({"category": cat}) if cat else None))
        facts.append((created, cid, channel, team, agent, status, cat, tag_ids,
                      created + frt * 1000 if frt is not None else None, frt, int(frt * 0.6) if frt is not None else None,
                      resolved, res_s, int(res_s * 0.4) if res_s is not None else None, sla[0], sla[1], sla[2]))
        ctags.extend((cid, t) for t in mine)
        if status == "closed" and agent and rnd.random() < 0.2:
            csat.append((cid, agent, team, ["excellent", "good", "okay", "poor"][rnd.randrange(4)], resolved, resolved + 3600000))
        if len(convs) == 50000 or cid == N:
            db.executemany("INSERT INTO conversations(id, status, team_id, assignee_id, contact_id, channel, created_at,"
                           " updated_at, solved_at, fields_json) VALUES (?,?,?,?,?,?,?,?,?,?)", convs)
            db.executemany("INSERT INTO conv_facts(created_at, conversation_id, channel, team_id, assignee_id, status,"
                           " category, tag_ids, first_response_at, frt_wall_s, frt_bus_s, resolved_at, res_wall_s,"
                           " res_bus_s, sla_first, sla_next, sla_res) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", facts)
            db.executemany("INSERT INTO conversation_tags(conversation_id, tag_id) VALUES (?, ?)", ctags)
            db.executemany("INSERT INTO csat(conversation_id, agent_id, team_id, rating, sent_at, rated_at)"
                           " VALUES (?,?,?,?,?,?)", csat)
            convs, facts, ctags, csat = [], [], [], []
    db.execute("COMMIT")
    db.execute("ANALYZE")
    db.close()


def iso(ms):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ms / 1000))


def timed(url, token):
    req = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
    t = time.perf_counter()
    with urllib.request.urlopen(req, timeout=60) as r:
        r.read()
        assert r.status == 200
    return (time.perf_counter() - t) * 1000


def main():
    keep = os.environ.get("KEEP")
    data = keep or tempfile.mkdtemp(prefix="sb-bench-reports-")
    now_ms = int(time.time() * 1000)
    server = None
    try:
        if not os.path.exists(os.path.join(data, "switchboard.db")):
            t = time.time()
            seed(data, now_ms)
            size = os.path.getsize(os.path.join(data, "switchboard.db")) >> 20
            print(f"seeded {N:,} conversations in {time.time() - t:.0f} s; database {size} MiB")
        token = subprocess.run([BIN, "token", "create", "--data", data, "--email", "bench@example.com"], check=True,
                               capture_output=True, text=True).stdout.strip()
        server = subprocess.Popen([BIN, "serve", "--data", data, "--listen", f"127.0.0.1:{PORT}"],
                                  stderr=subprocess.DEVNULL)
        base = f"http://127.0.0.1:{PORT}"
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "/healthz", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        ranges = {
            "30 days": f"from={iso(now_ms - 30 * DAY)}&to={iso(now_ms)}",
            "365 days": f"from={iso(now_ms - 365 * DAY)}&to={iso(now_ms)}",
            "365 days, team+tag": f"from={iso(now_ms - 365 * DAY)}&to={iso(now_ms)}&team_id=2&tag=tag3",
        }
        print(f"| report | {' | '.join(ranges)} |")
        print("| --- |" + " --- |" * len(ranges))
        for name in REPORTS:
            cells = []
            for q in ranges.values():
                url = f"{base}/api/v1/reports/{name}?{q}&tz=Europe/Kyiv"
                timed(url, token)  # warm-up
                runs = [timed(url, token) for _ in range(RUNS)]
                cells.append(f"{statistics.median(runs):.0f} ms")
            print(f"| `{name}` | {' | '.join(cells)} |", flush=True)
    finally:
        if server:
            server.terminate()
            server.wait()
        if not keep:
            shutil.rmtree(data, ignore_errors=True)


if __name__ == "__main__":
    main()
