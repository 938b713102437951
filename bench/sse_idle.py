#!/usr/bin/python3
"""Idle event streams: opens N SSE connections to a running server, holds them idle, and
reports the server's memory and CPU for them, then the time to fan one event out to all.

usage: sse_idle.py URL TOKEN SERVER_PID [N=5000] [IDLE_SECONDS=10]
"""
import json
import resource
import selectors
import socket
import sys
import time
import urllib.parse
import urllib.request


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    ticks = int(fields[11]) + int(fields[12])  # utime + stime
    return ticks / 100.0


def main():
    url, token, pid = sys.argv[1], sys.argv[2], int(sys.argv[3])
    n = int(sys.argv[4]) if len(sys.argv) > 4 else 5000
    idle = float(sys.argv[5]) if len(sys.argv) > 5 else 10.0
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    u = urllib.parse.urlparse(url)
    request = (f"GET /api/v1/events HTTP/1.1\r\nHost: {u.netloc}\r\n"
               f"Authorization: Bearer {token}\r\nAccept: text/event-stream\r\n\r\n").encode()
    base_rss = rss_kib(pid)
    sel = selectors.DefaultSelector()
    socks = []
    t0 = time.time()
    for _ in range(n):
        s = socket.create_connection((u.hostname, u.port))
        s.sendall(request)
        s.setblocking(False)
        sel.register(s, selectors.EVENT_READ)
        socks.append(s)
    # Wait until every stream has its response head.
    pending = set(socks)
    deadline = time.time() + 60
    while pending and time.time() < deadline:
        for key, _ in sel.select(timeout=1):
            try:
                data = key.fileobj.recv(65536)
            except BlockingIOError:
                continue
            if b"connected" in data:
                pending.discard(key.fileobj)
    opened = time.time() - t0
    if pending:
        print(f"{len(pending)} streams never answered", file=sys.stderr)
        sys.exit(1)
    rss_open = rss_kib(pid)
    cpu0 = cpu_seconds(pid)
    time.sleep(idle)
    cpu1 = cpu_seconds(pid)
    # Fan-out: one conversation created; time until every stream saw it.
    body = json.dumps({"subject": "fan-out probe", "body": "hello",
                       "contact": {"email": "probe@example.com"}}).encode()
    req = urllib.request.Request(url + "/api/v1/conversations", data=body, method="POST",
                                 headers={"Authorization": f"Bearer {token}",
                                          "Content-Type": "application/json"})
    t1 = time.time()
    urllib.request.urlopen(req).read()
    waiting = set(socks)
    deadline = time.time() + 60
    while waiting and time.time() < deadline:
        for key, _ in sel.select(timeout=1):
            try:
                data = key.fileobj.recv(65536)
            except BlockingIOError:
                continue
            if b"fan-out probe" in data:
                waiting.discard(key.fileobj)
    fanout = time.time() - t1
    print(f"streams {n}: opened in {opened:.2f} s; server RSS {base_rss} KiB -> {rss_open} KiB "
          f"({(rss_open - base_rss) * 1024 / n:.0f} bytes per stream); "
          f"CPU while idle {cpu1 - cpu0:.2f} s over {idle:.0f} s; "
          f"one event to all streams in {fanout * 1000:.0f} ms ({len(waiting)} missed)")
    for s in socks:
        s.close()


if __name__ == "__main__":
    main()
