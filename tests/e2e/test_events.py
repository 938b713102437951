"""Server-Sent Events: live events with ids, and Last-Event-ID replay."""
import pytest

from sbtest import SSEStream, assert_ts, is_event, uemail, uniq


def stream(server, user, **kw):
    s = SSEStream(server, user.token, **kw)
    if s.status != 200:
        body = s.read_body()
        s.close()
        raise AssertionError(f"event stream answered {s.status}: {body}")
    ctype = s.headers.get("content-type", "")
    assert ctype.startswith("text/event-stream"), ctype
    return s


def check_wellformed(events):
    """Every event has a numeric id: ids increase; data is the documented JSON."""
    last = None
    for ev in events:
        assert ev.id is not None and ev.id.isdigit(), f"event without a numeric id: {ev}"
        if last is not None:
            assert ev.id_int > last, f"ids not increasing: {last} then {ev.id}"
        last = ev.id_int
        d = ev.json()
        for f in ("id", "type", "conversation_id", "actor", "data", "created_at"):
            assert f in d, f"{f} missing from event data {d}"
        assert d["id"] == ev.id_int
        assert d["type"] == ev.event
        assert isinstance(d["data"], dict)
        assert_ts(d["created_at"])


def test_conversation_created_event(server, admin):
    with stream(server, admin) as s:
        c = admin.api.create_conversation()
        evs = s.read_until(is_event("conversation.created", c["id"]))
        check_wellformed(evs)
        d = evs[-1].json()
        assert d["conversation_id"] == c["id"]
        assert d["actor"]["type"] == "agent" and d["actor"]["id"] == admin.id


def test_update_and_message_events(server, admin, agent):
    c = admin.api.create_conversation()
    with stream(server, agent) as s:
        admin.api.patch_conversation(c["id"], status="pending")
        evs = s.read_until(is_event("conversation.updated", c["id"]))
        admin.api.post_message(c["id"], "reply " + uniq("r"))
        evs += s.read_until(is_event("message.created", c["id"]))
        check_wellformed(evs)


@pytest.mark.parametrize("kind", ["tag", "team", "contact", "agent", "organization"])
def test_other_resource_events(server, admin, kind):
    with stream(server, admin) as s:
        if kind == "tag":
            admin.api.post("/api/v1/tags", json={"name": uniq("t")}, expect=201)
        elif kind == "team":
            t = admin.api.post("/api/v1/teams", json={"name": uniq("T"), "tier": "L1"}, expect=201).json()
            s.read_until(is_event("team.created"))
            admin.api.delete(f"/api/v1/teams/{t['id']}", expect=(200, 204))
        elif kind == "contact":
            admin.api.post("/api/v1/contacts", json={"name": "N", "email": uemail()}, expect=201)
        elif kind == "agent":
            admin.api.post("/api/v1/agents", json={"email": uemail(), "name": "N", "role": "agent"},
                           expect=201)
        elif kind == "organization":
            admin.api.post("/api/v1/organizations", json={"name": uniq("O")}, expect=201)
        want = "team.deleted" if kind == "team" else f"{kind}.created"
        evs = s.read_until(is_event(want))
        check_wellformed(evs)


def test_events_fan_out_to_every_subscriber(server, admin, agent):
    with stream(server, admin) as s1, stream(server, agent) as s2:
        c = admin.api.create_conversation()
        e1 = s1.read_until(is_event("conversation.created", c["id"]))[-1]
        e2 = s2.read_until(is_event("conversation.created", c["id"]))[-1]
        assert e1.id == e2.id and e1.data == e2.data


def _replay_setup(server, admin):
    """A live stream sees A, B, C and a marker. Returns (id of A's event, the live events after
    it up to and including the marker, marker predicate)."""
    with stream(server, admin) as live:
        a = admin.api.create_conversation()
        before_a = live.read_until(is_event("conversation.created", a["id"]))
        n_a = before_a[-1].id_int
        b = admin.api.create_conversation()
        c = admin.api.create_conversation()
        admin.api.post_message(b["id"], "while you were away")
        admin.api.post("/api/v1/tags", json={"name": uniq("while-away")}, expect=201)
        marker = admin.api.create_conversation()
        is_marker = is_event("conversation.created", marker["id"])
        after = live.read_until(is_marker)
        check_wellformed(after)
        missed = [e for e in after if e.id_int > n_a]
        types = [(e.event, e.json()["conversation_id"]) for e in missed]
        assert ("conversation.created", b["id"]) in types and ("conversation.created", c["id"]) in types
        assert ("message.created", b["id"]) in types
        assert "tag.created" in [e.event for e in missed]
    return n_a, missed, is_marker


def test_replay_with_last_event_id(server, admin):
    n_a, missed, is_marker = _replay_setup(server, admin)
    with stream(server, admin, headers={"Last-Event-ID": str(n_a)}) as again:
        replayed = again.read_until(is_marker)
        check_wellformed(replayed)
        assert all(e.id_int > n_a for e in replayed), "replayed an event the client already had"
        assert [e.id for e in replayed] == [e.id for e in missed], "replay is not exactly the missed events"
        assert [e.data for e in replayed] == [e.data for e in missed]
        # after the replay the stream goes on live, without a gap
        d = admin.api.create_conversation()
        tail = again.read_until(is_event("conversation.created", d["id"]))
        check_wellformed(replayed + tail)


def test_replay_with_query_parameter(server, admin):
    n_a, missed, is_marker = _replay_setup(server, admin)
    with stream(server, admin, path=f"/api/v1/events?last_event_id={n_a}") as again:
        replayed = again.read_until(is_marker)
        assert [e.id for e in replayed] == [e.id for e in missed]


def test_replay_of_latest_id_sends_nothing_old(server, admin):
    with stream(server, admin) as live:
        c = admin.api.create_conversation()
        last = live.read_until(is_event("conversation.created", c["id"]))[-1]
        rest = live.drain(quiet=0.5)
        newest = (rest[-1] if rest else last).id_int
    with stream(server, admin, headers={"Last-Event-ID": str(newest)}) as again:
        assert again.drain(quiet=1.0) == [], "replayed events at or before Last-Event-ID"
        d = admin.api.create_conversation()
        evs = again.read_until(is_event("conversation.created", d["id"]))
        assert all(e.id_int > newest for e in evs)


def test_new_stream_without_last_event_id_starts_live(server, admin):
    """A fresh stream replays nothing; its first event, stream.open, carries the id of the
    newest event so that a client that drops at once can resume from there."""
    c = admin.api.create_conversation()
    with stream(server, admin) as s:
        evs = s.drain(quiet=1.0)
        assert [e.event for e in evs] == ["stream.open"], "a fresh stream replayed old events"
        check_wellformed(evs)
        head = evs[0].id_int
        c2 = admin.api.create_conversation()
        new = s.read_until(is_event("conversation.created", c2["id"]))
        assert all(e.id_int > head for e in new)
    with stream(server, admin, headers={"Last-Event-ID": str(head)}) as s:
        got = s.read_until(is_event("conversation.created", c2["id"]))
        assert not [e for e in got if e.event == "stream.open"]
        assert not [e for e in got if (e.json().get("data", {}).get("conversation") or {}).get("id") == c["id"]]


def test_heartbeat_comments_keep_idle_streams_alive(make_server):
    """An idle stream gets a comment heartbeat (here every second), so proxies keep it open
    and the server notices vanished clients; the stream stays usable afterwards."""
    import time
    from sbtest import SLOW, SSEStream
    srv = make_server("heartbeat", extra_args=("--heartbeat", "1"))
    user = srv.new_user("agent")
    with SSEStream(srv, user.token) as s:
        deadline = time.monotonic() + 6 * SLOW
        while time.monotonic() < deadline and sum("ping" in c for c in s.comments) < 2:
            s.next_event(timeout=0.5)
        assert sum("ping" in c for c in s.comments) >= 2, s.comments
        c = user.api.create_conversation()
        s.read_until(is_event("conversation.created", c["id"]))


def test_events_committed_by_the_cli_reach_open_streams(make_server):
    """`switchboard user add` writes to the database from another process; its event still
    reaches streams that are open, in order, at the latest with the next heartbeat."""
    from sbtest import SSEStream, uemail
    srv = make_server("cli-events", extra_args=("--heartbeat", "1"))
    watcher = srv.new_user("admin")
    with SSEStream(srv, watcher.token) as s:
        email = uemail("cli")
        srv.user_add(email, "From CLI", "agent")
        evs = s.read_until(lambda ev: ev.event == "agent.created" and email in ev.data)
        ids = [e.id_int for e in evs if e.id]
        assert ids == sorted(ids)


def _wait_eof(stream, seconds=10):
    import time
    deadline = time.monotonic() + seconds
    while not stream.eof and time.monotonic() < deadline:
        stream.next_event(timeout=0.5)
    return stream.eof


def test_streams_end_when_access_is_withdrawn(server, admin):
    """A deactivated agent's open stream, a stream whose session logged out, and one whose
    token was revoked stop receiving events at once."""
    from sbtest import Api, SSEStream
    password = "stream-Passw0rd-1"
    u = server.new_user("agent", password=password)
    with SSEStream(server, u.token) as s:
        admin.api.delete(f"/api/v1/agents/{u.id}", expect=(200, 204))
        assert _wait_eof(s), "the deactivated agent's stream is still open"

    v = server.new_user("agent", password=password)
    r = Api(server.base_url).post("/api/v1/auth/login", json={"email": v.email, "password": password}, expect=200)
    cookie, csrf = r.cookies.get("sb_session"), r.json()["csrf_token"]
    with SSEStream(server, None, headers={"Cookie": f"sb_session={cookie}"}) as s:
        assert s.status == 200
        Api(server.base_url).post("/api/v1/auth/logout", headers={"Cookie": f"sb_session={cookie}",
                                                                    "X-CSRF-Token": csrf}, expect=204)
        assert _wait_eof(s), "the logged-out session's stream is still open"

    t = v.api.post("/api/v1/tokens", json={}, expect=201).json()
    with SSEStream(server, t["token"]) as s:
        v.api.delete(f"/api/v1/tokens/{t['id']}", expect=204)
        assert _wait_eof(s), "the revoked token's stream is still open"
