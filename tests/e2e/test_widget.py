"""The chat widget's API: settings, visitor sessions and identity verification, isolation
between visitors, internal notes never reaching a visitor (API, event stream, replay),
uploads, typing, CORS."""
import hashlib
import hmac

import pytest
import requests

from sbtest import SSEStream, assert_error, uemail, uniq

W = "/api/v1/widget"


class Visitor:
    def __init__(self, server, **session):
        self.server = server
        self.s = requests.Session()
        self.s.trust_env = False
        r = self.s.post(server.base_url + W + "/session", json=session, timeout=10)
        assert r.status_code == 201, r.text
        self.session = r.json()
        self.token = self.session["visitor_token"]
        self.s.headers["X-Visitor-Token"] = self.token

    def req(self, method, path, expect=None, **kw):
        r = self.s.request(method, self.server.base_url + W + path, timeout=10, **kw)
        if expect is not None:
            assert r.status_code == expect, f"{method} {path}: {r.status_code} {r.text}"
        return r

    def start(self, body=None):
        return self.req("POST", "/conversations", json={"body": body or uniq("hello")}, expect=201).json()

    def messages(self, cid):
        return self.req("GET", f"/conversations/{cid}/messages", expect=200).json()["items"]

    def events(self, last_event_id=None):
        headers = {"Last-Event-ID": str(last_event_id)} if last_event_id is not None else None
        return SSEStream(self.server, path=f"{W}/events?visitor_token={self.token}", headers=headers)


def sign(secret, user_id):
    return hmac.new(secret.encode(), user_id.encode(), hashlib.sha256).hexdigest()


@pytest.fixture(scope="module")
def settings(api):
    return api.get("/api/v1/settings/widget", expect=200).json()


# ---------------------------------------------------------------- settings


def test_settings_admin_only_and_secret_hidden_from_sites(server, api, agent, settings):
    assert len(settings["secret"]) == 64 and int(settings["secret"], 16) >= 0
    assert settings["enabled"] is True and settings["allowed_origins"] == []
    assert_error(agent.api.get("/api/v1/settings/widget"), 403, "forbidden")
    pub = requests.get(server.base_url + W + "/config").json()
    assert set(pub) == {"enabled", "title", "greeting", "accent_color"}
    assert api.get("/api/v1/settings/widget", expect=200).json()["secret"] == settings["secret"]


def test_settings_validation(api):
    for bad in ({"accent_color": "red"}, {"accent_color": "#12345g"}, {"title": ""}, {"enabled": "yes"},
                {"allowed_origins": ["https://x.example/path"]}, {"allowed_origins": "https://x.example"},
                {"secret": "mine"}, {"colour": "#000000"}, {"greeting": "x" * 501}):
        assert_error(api.put("/api/v1/settings/widget", json=bad), 422, "validation_failed")
    r = api.put("/api/v1/settings/widget", json={"title": "Talk to Acme", "accent_color": "#0F766E"}, expect=200)
    assert r.json()["title"] == "Talk to Acme" and r.json()["accent_color"] == "#0F766E"


def test_rotate_secret(server, api):
    before = api.get("/api/v1/settings/widget", expect=200).json()["secret"]
    after = api.post("/api/v1/settings/widget/rotate-secret", expect=200).json()["secret"]
    assert after != before and len(after) == 64
    uid = uniq("user")
    r = requests.post(server.base_url + W + "/session", json={"user_id": uid, "user_hash": sign(before, uid)})
    assert_error(r, 403, "forbidden")
    r = requests.post(server.base_url + W + "/session", json={"user_id": uid, "user_hash": sign(after, uid)})
    assert r.status_code == 201 and r.json()["verified"] is True


# ---------------------------------------------------------------- sessions


def test_anonymous_session_and_reuse(server, api):
    v = Visitor(server)
    assert v.token.startswith("sbv_") and len(v.token) >= 40
    assert v.session["verified"] is False and v.session["contact"]["name"].startswith("Visitor ")
    r = requests.post(server.base_url + W + "/session", json={"visitor_token": v.token})
    assert r.status_code == 200 and r.json()["visitor_token"] == v.token
    r = requests.post(server.base_url + W + "/session", json={"visitor_token": "sbv_" + "x" * 43})
    assert r.status_code == 201 and r.json()["visitor_token"] != v.token
    assert_error(requests.get(server.base_url + W + "/conversations"), 401, "unauthorized")
    assert_error(requests.get(server.base_url + W + "/conversations", headers={"X-Visitor-Token": "nope"}),
                 401, "unauthorized")


def test_verified_identity(server, api):
    secret = api.get("/api/v1/settings/widget", expect=200).json()["secret"]
    uid, email = uniq("customer-"), uemail("verified")
    a = Visitor(server, user_id=uid, user_hash=sign(secret, uid), name="Vera Fied", email=email)
    assert a.session["verified"] is True and a.session["contact"]["name"] == "Vera Fied"
    conv = a.start("verified question")
    contact_id = api.get_conversation(conv["id"])["contact_id"]
    contact = api.get(f"/api/v1/contacts/{contact_id}", expect=200).json()
    assert {"kind": "widget", "value": uid} in contact["identities"]
    # the same user on another device reaches the same contact and conversations
    b = Visitor(server, user_id=uid, user_hash=sign(secret, uid).upper())
    assert [c["id"] for c in b.req("GET", "/conversations", expect=200).json()["items"]] == [conv["id"]]
    # an anonymous token of this browser does not carry over into the verified contact
    anon = Visitor(server)
    anon.start("anonymous question")
    r = requests.post(server.base_url + W + "/session",
                      json={"visitor_token": anon.token, "user_id": uid, "user_hash": sign(secret, uid)})
    assert r.status_code == 201 and r.json()["visitor_token"] != anon.token and r.json()["verified"]


def test_bad_hash_is_refused_not_anonymous(server, api):
    secret = api.get("/api/v1/settings/widget", expect=200).json()["secret"]
    uid = uniq("victim-")
    Visitor(server, user_id=uid, user_hash=sign(secret, uid)).start("private")
    for body in ({"user_id": uid, "user_hash": sign(secret, uid + "x")},
                 {"user_id": uid, "user_hash": "0" * 64}, {"user_id": uid, "user_hash": "short"},
                 {"user_id": uid, "user_hash": sign("wrong", uid)}):
        assert_error(requests.post(server.base_url + W + "/session", json=body), 403, "forbidden")
    assert_error(requests.post(server.base_url + W + "/session", json={"user_id": uid}), 422, "validation_failed")
    assert_error(requests.post(server.base_url + W + "/session", json={"email": "not-an-email"}), 422,
                 "validation_failed")


def test_lead_email_never_merges(server, api):
    email = uemail("existing")
    victim = api.create_conversation(subject="my secret order", body="secret details", email=email)
    v = Visitor(server)
    r = v.req("PATCH", "/me", json={"email": email, "name": "Lead Person"}, expect=200).json()
    assert r == {"name": "Lead Person", "email": email, "verified": False}
    assert v.req("GET", "/conversations", expect=200).json()["items"] == []
    assert_error(v.req("GET", f"/conversations/{victim['id']}"), 404, "not_found")
    # a fresh session that types the same email is a new lead, not the existing contact
    w = Visitor(server, email=email, name="Someone")
    conv = w.start("hi")
    assert api.get_conversation(conv["id"])["contact_id"] != victim["contact_id"]
    lead = api.get(f"/api/v1/contacts/{api.get_conversation(conv['id'])['contact_id']}", expect=200).json()
    assert lead["email"] == email and lead["identities"] == []


# ---------------------------------------------------------------- conversations


def test_conversation_flow_and_customer_view(server, api, agent):
    v = Visitor(server)
    conv = v.start("  My printer is on fire\nplease help")
    assert conv["subject"] == "My printer is on fire" and conv["status"] == "open"
    full = api.get_conversation(conv["id"])
    assert full["channel"] == "widget" and full["contact"]["name"].startswith("Visitor ")
    agent.api.post_message(conv["id"], "Internal: customer sounds angry", internal=True)
    reply = agent.api.post_message(conv["id"], "Pull the plug, then we talk.")
    items = v.messages(conv["id"])
    assert [m["body"] for m in items] == ["  My printer is on fire\nplease help", "Pull the plug, then we talk."]
    for m in items:
        assert set(m) == {"id", "direction", "author", "body", "created_at", "attachments"}
    assert items[1]["author"] == agent.name and items[1]["direction"] == "out" and items[1]["id"] == reply["id"]
    assert items[0]["author"] is None and items[0]["direction"] == "in"
    after = v.req("GET", f"/conversations/{conv['id']}/messages?after={items[0]['id']}", expect=200).json()
    assert [m["id"] for m in after["items"]] == [reply["id"]]
    # the customer answers a solved conversation: it reopens
    api.patch_conversation(conv["id"], status="solved")
    m = v.req("POST", f"/conversations/{conv['id']}/messages", json={"body": "still smoking"}, expect=201).json()
    assert m["conversation_id"] == conv["id"] and m["direction"] == "in"
    assert api.get_conversation(conv["id"])["status"] == "open"
    agent_view = api.messages(conv["id"])
    assert any(x["body_text"] == "still smoking" and x["direction"] == "in" for x in agent_view)
    assert_error(v.req("POST", "/conversations", json={"body": ""}), 422, "validation_failed")
    assert_error(v.req("POST", "/conversations", json={"body": "x", "channel": "email"}), 422, "validation_failed")


def test_isolation_between_visitors(server, api):
    a, b = Visitor(server), Visitor(server)
    ca = a.start("alice's problem")
    att = a.req("POST", "/uploads?filename=a.txt", data=b"alice", headers={"Content-Type": "text/plain"},
                expect=201).json()
    a.req("POST", f"/conversations/{ca['id']}/messages", json={"body": "", "attachments": [att]}, expect=201)
    att_id = [m for m in a.messages(ca["id"]) if m["attachments"]][0]["attachments"][0]["id"]
    missing = ca["id"] + 100000
    for cid in (ca["id"], missing):
        assert_error(b.req("GET", f"/conversations/{cid}"), 404, "not_found")
        assert_error(b.req("GET", f"/conversations/{cid}/messages"), 404, "not_found")
        assert_error(b.req("POST", f"/conversations/{cid}/messages", json={"body": "mine now"}), 404, "not_found")
        assert_error(b.req("POST", "/typing", json={"conversation_id": cid, "typing": True}), 404, "not_found")
    assert_error(b.req("GET", f"/attachments/{att_id}"), 404, "not_found")
    assert b.req("GET", "/conversations", expect=200).json()["items"] == []
    # an agent's conversation with another contact is not reachable either
    other = api.create_conversation(body="not yours")
    assert_error(a.req("GET", f"/conversations/{other['id']}/messages"), 404, "not_found")
    assert [m["body"] for m in a.messages(ca["id"])] == ["alice's problem", ""]
    r = a.req("GET", f"/attachments/{att_id}", expect=200)
    assert r.content == b"alice" and r.headers["Content-Type"] == "application/octet-stream"
    assert "attachment" in r.headers["Content-Disposition"]


def test_notes_never_reach_the_event_stream_or_its_replay(server, api, agent):
    v, other = Visitor(server), Visitor(server)
    conv = v.start("stream me")
    other_conv = other.start("someone else")
    with v.events() as es:
        assert es.status == 200 and es.headers["content-type"].startswith("text/event-stream")
        note = agent.api.post_message(conv["id"], "NOTE: secret internal text", internal=True)
        agent.api.post_message(other_conv["id"], "reply to the other visitor")
        reply = agent.api.post_message(conv["id"], "public reply")
        got = es.read_until(lambda e: e.event == "message.created" and e.json().get("message_id") == reply["id"])
    assert got[0].event == "stream.open" and got[0].json() == {"type": "stream.open",
                                                                "last_event_id": got[0].id_int}
    got = got[1:]
    for e in got:
        data = e.json()
        assert set(data) <= {"type", "conversation_id", "message_id"}, data
        assert data["conversation_id"] == conv["id"]
        assert data.get("message_id") != note["id"]
        assert "secret" not in e.data and e.id is not None
    first_id = got[0].id_int
    # a reconnect replays the same filtered view
    with v.events(last_event_id=first_id - 1) as es:
        replayed = es.read_until(lambda e: e.json().get("message_id") == reply["id"])
        replayed += es.drain(0.3)
    assert [e.id for e in replayed if e.id][:len(got)] == [e.id for e in got]
    assert all(e.json()["conversation_id"] == conv["id"] for e in replayed)
    assert not any(e.json().get("message_id") == note["id"] for e in replayed)
    # no other path shows the note
    assert "NOTE" not in str(v.messages(conv["id"])) and "NOTE" not in str(v.req("GET", "/conversations").json())
    # a status change arrives as a bare conversation.updated
    with v.events() as es:
        api.patch_conversation(conv["id"], status="pending")
        ev = es.read_until(lambda e: e.event == "conversation.updated")[-1]
    assert ev.json() == {"type": "conversation.updated", "conversation_id": conv["id"]}
    assert_error(requests.get(server.base_url + W + "/events"), 401, "unauthorized")


def test_typing_both_ways(server, api, agent):
    v = Visitor(server)
    conv = v.start("typing test")
    from sbtest import SSEStream as S
    with S(server, token=agent.token) as agents, v.events() as ves:
        v.req("POST", "/typing", json={"conversation_id": conv["id"], "typing": True}, expect=204)
        got = agents.read_until(lambda e: e.event == "typing")
        t = got[-1]
        assert t.id is None and t.json() == {"conversation_id": conv["id"], "who": "customer", "typing": True}
        agent.api.post(f"/api/v1/conversations/{conv['id']}/presence", json={"state": "typing", "mode": "note"},
                       expect=200)
        agent.api.post(f"/api/v1/conversations/{conv['id']}/presence", json={"state": "typing", "mode": "reply"},
                       expect=200)
        got = [e for e in ves.read_until(lambda e: e.event == "typing") if e.event != "stream.open"]
        assert len(got) == 1, got  # the note typing never reached the visitor
        assert got[0].id is None and got[0].json() == {"conversation_id": conv["id"], "who": "agent",
                                                        "name": agent.name}


def test_uploads_limits(server):
    v = Visitor(server)
    conv = v.start("files")
    ok = v.req("POST", "/uploads?filename=report.pdf", data=b"%PDF-1.4 x",
               headers={"Content-Type": "application/pdf; charset=binary"}, expect=201).json()
    assert ok["content_type"] == "application/pdf" and ok["size"] == 10 and len(ok["sha256"]) == 64
    assert_error(v.req("POST", "/uploads?filename=a/b.txt", data=b"x"), 422, "validation_failed")
    assert_error(v.req("POST", "/uploads", data=b"x"), 422, "validation_failed")
    assert_error(v.req("POST", "/uploads?filename=e.txt", data=b""), 422, "validation_failed")
    assert_error(v.req("POST", "/uploads?filename=big.bin", data=b"\0" * (10 * 1024 * 1024 + 1)), 413,
                 "payload_too_large")
    assert v.req("POST", "/uploads?filename=max.bin", data=b"\1" * (10 * 1024 * 1024), expect=201).json()["size"] \
        == 10 * 1024 * 1024
    assert_error(requests.post(server.base_url + W + "/uploads?filename=x.txt", data=b"x"), 401, "unauthorized")
    bad = dict(ok, sha256="0" * 64)
    assert_error(v.req("POST", f"/conversations/{conv['id']}/messages", json={"body": "x", "attachments": [bad]}),
                 422, "validation_failed")
    assert_error(v.req("POST", f"/conversations/{conv['id']}/messages",
                       json={"body": "x", "attachments": [ok] * 6}), 422, "validation_failed")
    assert_error(v.req("POST", f"/conversations/{conv['id']}/messages", json={"body": "x" * 16385}), 422,
                 "validation_failed")
    m = v.req("POST", f"/conversations/{conv['id']}/messages", json={"body": "see file", "attachments": [ok]},
              expect=201).json()
    assert [(a["filename"], a["size"]) for a in m["attachments"]] == [("report.pdf", 10)]


# ---------------------------------------------------------------- CORS and settings effects


def test_cors_preflight_and_origins(server, api):
    base = server.base_url + W
    r = requests.options(base + "/conversations/1/messages", headers={
        "Origin": "https://shop.example", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type,x-visitor-token"})
    assert r.status_code == 204, r.text
    assert r.headers["Access-Control-Allow-Origin"] == "*"
    assert "POST" in r.headers["Access-Control-Allow-Methods"]
    assert "x-visitor-token" in r.headers["Access-Control-Allow-Headers"].lower()
    assert "Access-Control-Allow-Credentials" not in r.headers
    assert requests.options(base + "/me").status_code == 204
    assert requests.options(server.base_url + "/api/v1/conversations").status_code == 405
    r = requests.get(base + "/config", headers={"Origin": "https://shop.example"})
    assert r.headers["Access-Control-Allow-Origin"] == "*"
    err = requests.get(base + "/conversations", headers={"Origin": "https://shop.example"})
    assert err.status_code == 401 and err.headers["Access-Control-Allow-Origin"] == "*"
    try:
        api.put("/api/v1/settings/widget", json={"allowed_origins": ["https://shop.example"]}, expect=200)
        r = requests.post(base + "/session", json={}, headers={"Origin": "https://evil.example"})
        assert_error(r, 403, "forbidden")
        assert "Access-Control-Allow-Origin" not in r.headers
        r = requests.post(base + "/session", json={}, headers={"Origin": "https://shop.example"})
        assert r.status_code == 201
        assert r.headers["Access-Control-Allow-Origin"] == "https://shop.example" and "Origin" in r.headers["Vary"]
        # the server's own pages (the demo) always may
        assert requests.get(base + "/config", headers={"Origin": server.base_url}).status_code == 200
    finally:
        api.put("/api/v1/settings/widget", json={"allowed_origins": []}, expect=200)


def test_disabled_widget_refuses_new_chats(server, api):
    v = Visitor(server)
    try:
        api.put("/api/v1/settings/widget", json={"enabled": False}, expect=200)
        assert requests.get(server.base_url + W + "/config").json()["enabled"] is False
        assert_error(requests.post(server.base_url + W + "/session", json={}), 403, "forbidden")
        assert_error(v.req("POST", "/conversations", json={"body": "hi"}), 403, "forbidden")
    finally:
        api.put("/api/v1/settings/widget", json={"enabled": True}, expect=200)
    v.start("back on")


def test_public_body_limit(server):
    v = Visitor(server)
    r = v.req("POST", "/conversations", data=b'{"body":"' + b"x" * (70 * 1024) + b'"}',
              headers={"Content-Type": "application/json"})
    assert_error(r, 413, "payload_too_large")


def test_new_sessions_are_rate_limited_per_address(server):
    """Each new session names a new contact: minting them in bulk stops at 60 per address per
    10 minutes (429 with Retry-After); a returning visitor's token keeps working."""
    from sbtest import Api
    ip = "127.0.77.7"
    client = Api(server.base_url, source_ip=ip)
    first = client.post("/api/v1/widget/session", json={}, expect=201).json()["visitor_token"]
    for _ in range(59):
        client.post("/api/v1/widget/session", json={}, expect=201)
    r = client.post("/api/v1/widget/session", json={})
    assert_error(r, 429, "rate_limited")
    assert int(r.headers["Retry-After"]) > 0
    again = client.post("/api/v1/widget/session", json={"visitor_token": first})
    assert again.status_code == 200 and again.json()["visitor_token"] == first
    # another address is not affected
    Api(server.base_url, source_ip="127.0.77.8").post("/api/v1/widget/session", json={}, expect=201)
