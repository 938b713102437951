"""Acknowledged writes survive kill -9; SIGTERM shuts down gracefully with exit code 0."""
import threading
import time

import requests

import sbtest
from sbtest import SSEStream, uemail, uniq


def test_kill9_right_after_201_keeps_conversation(make_server):
    srv = make_server("durable-one")
    admin = srv.new_user("admin")
    subject = "Durable " + uniq("s")
    body = "Please do not lose this " + uniq("b")
    email = uemail("durable")
    r = admin.api.post("/api/v1/conversations",
                       json={"subject": subject, "body": body, "channel": "api",
                             "contact": {"email": email, "name": "Dee"}})
    assert r.status_code == 201, r.text
    srv.kill9()
    cid = r.json()["id"]

    srv.start()
    api = srv.api(admin.token)
    g = api.get_conversation(cid)
    assert g["subject"] == subject
    assert g["contact"]["email"].lower() == email
    msgs = api.messages(cid)
    assert [m["body_text"] for m in msgs] == [body]


def test_kill9_keeps_acknowledged_reply_and_status(make_server):
    srv = make_server("durable-two")
    admin = srv.new_user("admin")
    c = admin.api.create_conversation()
    admin.api.patch_conversation(c["id"], status="pending")
    reply = "Acknowledged reply " + uniq("r")
    r = admin.api.post(f"/api/v1/conversations/{c['id']}/messages",
                       json={"body": reply, "internal": False})
    assert r.status_code == 201, r.text
    srv.kill9()

    srv.start()
    api = srv.api(admin.token)
    assert api.get_conversation(c["id"])["status"] == "pending"
    assert reply in [m["body_text"] for m in api.messages(c["id"])]


def test_kill9_under_concurrent_writes_loses_nothing_acknowledged(make_server):
    srv = make_server("durable-many")
    admin = srv.new_user("admin")
    acked, errors = [], []
    lock = threading.Lock()
    stop = threading.Event()

    def worker(n):
        api = srv.api(admin.token)
        i = 0
        while not stop.is_set():
            i += 1
            subject = f"burst {n}-{i} {uniq('s')}"
            try:
                r = api.post("/api/v1/conversations", timeout=10 * sbtest.SLOW,
                             json={"subject": subject, "body": "body of " + subject,
                                   "channel": "api", "contact": {"email": uemail(f"w{n}")}})
            except requests.RequestException:
                return  # the server is gone
            with lock:
                if r.status_code == 201:
                    acked.append((r.json()["id"], subject))
                else:
                    errors.append((r.status_code, r.text[:200]))

    threads = [threading.Thread(target=worker, args=(n,), daemon=True) for n in range(6)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 30 * sbtest.SLOW
    while time.monotonic() < deadline:
        with lock:
            if len(acked) >= 60:
                break
        time.sleep(0.01)
    srv.kill9()  # with requests in flight
    stop.set()
    for t in threads:
        t.join(timeout=15 * sbtest.SLOW)
    assert not errors, errors[:5]
    with lock:
        acked = list(acked)
    assert len(acked) >= 60, f"only {len(acked)} writes acknowledged before the deadline"

    srv.start()
    api = srv.api(admin.token)
    for cid, subject in acked:
        r = api.get(f"/api/v1/conversations/{cid}")
        assert r.status_code == 200, f"acknowledged conversation {cid} lost after kill -9: {r.text}"
        assert r.json()["subject"] == subject
    items, _ = api.walk_conversations(limit=100)
    assert {c["id"] for c in items} >= {cid for cid, _ in acked}
    assert len({c["id"] for c in items}) == len(items)


def test_sigterm_graceful_exit_with_open_connections(make_server):
    srv = make_server("graceful")
    admin = srv.new_user("admin")
    c = admin.api.create_conversation()
    idle = srv.api(admin.token)
    idle.get("/healthz", expect=200)  # leaves an idle keep-alive connection
    with SSEStream(srv, admin.token) as s:
        assert s.status == 200
        t0 = time.monotonic()
        rc = srv.stop()
        took = time.monotonic() - t0
    assert rc == 0, f"exit code {rc} after SIGTERM\n{srv.log_tail()}"
    assert took < 10 * sbtest.SLOW, f"shutdown took {took:.1f} s"

    srv.start()
    api = srv.api(admin.token)
    assert api.get_conversation(c["id"])["subject"] == c["subject"]
    assert srv.stop() == 0


def test_restart_after_kill9_accepts_writes(make_server):
    srv = make_server("restart")
    admin = srv.new_user("admin")
    admin.api.create_conversation()
    srv.kill9()
    srv.start()
    api = srv.api(admin.token)
    c = api.create_conversation()
    assert api.get_conversation(c["id"])["id"] == c["id"]
    # ids keep growing after recovery
    assert c["id"] > 1


def test_event_replay_survives_restart(make_server):
    srv = make_server("events-restart")
    admin = srv.new_user("admin")
    with SSEStream(srv, admin.token) as s:
        assert s.status == 200
        a = admin.api.create_conversation()
        n_a = s.read_until(sbtest.is_event("conversation.created", a["id"]))[-1].id_int
    b = admin.api.create_conversation()  # missed by the client
    assert srv.stop() == 0
    srv.start()
    api = srv.api(admin.token)
    with SSEStream(srv, admin.token, headers={"Last-Event-ID": str(n_a)}) as s:
        assert s.status == 200
        replayed = s.read_until(sbtest.is_event("conversation.created", b["id"]))
        assert all(e.id_int > n_a for e in replayed)
        c = api.create_conversation()
        live = s.read_until(sbtest.is_event("conversation.created", c["id"]))
        ids = [e.id_int for e in replayed + live]
        assert ids == sorted(ids) and len(set(ids)) == len(ids), "event ids must keep growing after a restart"
