"""What the agent workspace relies on: view counts, @mentions and notifications, presence."""
from sbtest import SSEStream, assert_error, uniq


def test_view_counts_follow_changes(server, admin):
    agent = server.new_user("agent")
    team = admin.api.post("/api/v1/teams", json={"name": uniq("team"), "member_ids": [agent.id]}).json()
    before = agent.api.get("/api/v1/views").json()
    c1 = admin.api.create_conversation(subject="views one")
    c2 = admin.api.create_conversation(subject="views two")
    admin.api.patch_conversation(c1["id"], assignee_id=agent.id)
    admin.api.patch_conversation(c2["id"], team_id=team["id"], priority="urgent", priority_reason="down")
    after = agent.api.get("/api/v1/views").json()
    assert after["mine"] == before["mine"] + 1
    assert after["unassigned"] == before["unassigned"] + 1  # c2 only
    assert after["all_open"] == before["all_open"] + 2
    assert after["urgent"] == before["urgent"] + 1
    teams = {t["id"]: t for t in after["teams"]}
    assert teams[team["id"]]["open"] == 1 and teams[team["id"]]["name"] == team["name"]
    admin.api.patch_conversation(c1["id"], status="pending")
    again = agent.api.get("/api/v1/views").json()
    assert again["pending"] == after["pending"] + 1 and again["mine"] == after["mine"]
    admin.api.patch_conversation(c2["id"], status="solved")
    last = agent.api.get("/api/v1/views").json()
    assert last["solved"] == again["solved"] + 1 and last["urgent"] == again["urgent"] - 1


def test_mention_notifies_only_the_mentioned_agent(server, admin):
    author, mentioned, other = (server.new_user("agent") for _ in range(3))
    conv = author.api.create_conversation(subject=uniq("mention"))
    with SSEStream(server, mentioned.token) as sm, SSEStream(server, other.token) as so:
        note = author.api.post_message(conv["id"], "please look @someone", internal=True,
                                       mentions=[mentioned.id, mentioned.id, author.id])
        assert note["internal"] is True
        evs = sm.read_until(lambda e: e.event == "notification.created")
        n = evs[-1].json()["data"]["notification"]
        assert n["kind"] == "mention" and n["conversation_id"] == conv["id"]
        assert author.name in n["text"]
        seen = so.read_until(lambda e: e.event == "message.created")
        seen += so.drain(0.5)
        assert not [e for e in seen if e.event == "notification.created"]
    got = mentioned.api.get("/api/v1/notifications").json()
    assert got["unread"] >= 1 and got["items"][0]["kind"] == "mention"
    assert author.api.get("/api/v1/notifications").json()["items"] == []  # self-mention skipped
    r = mentioned.api.post("/api/v1/notifications/read", json={"id": got["items"][0]["id"]})
    assert r.status_code == 200 and r.json()["unread"] == got["unread"] - 1
    assert mentioned.api.post("/api/v1/notifications/read", json={}).json()["unread"] == 0


def test_mention_validation(server, admin):
    agent = server.new_user("agent")
    conv = agent.api.create_conversation(subject=uniq("mention"))
    cid = conv["id"]
    assert_error(agent.api.post(f"/api/v1/conversations/{cid}/messages",
                                json={"body": "hi", "mentions": [admin.id]}), 422, "validation_failed")
    assert_error(agent.api.post(f"/api/v1/conversations/{cid}/messages",
                                json={"body": "hi", "internal": True, "mentions": [999999]}), 422, "validation_failed")
    assert_error(agent.api.post(f"/api/v1/conversations/{cid}/messages",
                                json={"body": "hi", "internal": True, "mentions": "x"}), 400, "bad_request")
    # nothing was stored by the refused notes
    bodies = [m["body_text"] for m in agent.api.messages(cid)]
    assert "hi" not in bodies


def test_presence_reaches_other_agents(server, admin):
    a, b = server.new_user("agent"), server.new_user("agent")
    conv = a.api.create_conversation(subject=uniq("presence"))
    with SSEStream(server, b.token) as s:
        r = a.api.post(f"/api/v1/conversations/{conv['id']}/presence", json={"state": "typing", "mode": "note"})
        assert r.status_code == 200 and r.json() == {"others": []}
        ev = s.read_until(lambda e: e.event == "presence")[-1]
        assert ev.id is None  # ephemeral: never replayed
        d = ev.json()
        assert d["conversation_id"] == conv["id"] and d["agent"] == {"id": a.id, "name": a.name}
        assert d["state"] == "typing" and d["mode"] == "note"
    # a newcomer learns at once who is there
    r = b.api.post(f"/api/v1/conversations/{conv['id']}/presence", json={"state": "viewing"})
    assert r.json()["others"] == [{"agent": {"id": a.id, "name": a.name}, "state": "typing", "mode": "note"}]
    a.api.post(f"/api/v1/conversations/{conv['id']}/presence", json={"state": "left"})
    assert b.api.post(f"/api/v1/conversations/{conv['id']}/presence", json={"state": "viewing"}).json()["others"] == []
    assert_error(a.api.post(f"/api/v1/conversations/{conv['id']}/presence", json={"state": "dancing"}),
                 422, "validation_failed")
    assert_error(a.api.post("/api/v1/conversations/99999999/presence", json={"state": "viewing"}), 404, "not_found")


def test_email_html_document_is_sandboxed(server, admin):
    """The frame the workspace shows email HTML in: its own CSP forbids scripts and remote
    loads; remote images only when the agent asks."""
    import requests
    raw = ("From: Eve <eve@example.org>\r\nTo: support@example.com\r\nSubject: pixels\r\n"
           "Message-ID: <" + uniq("px") + "@example.org>\r\nMIME-Version: 1.0\r\n"
           "Content-Type: text/html; charset=utf-8\r\n\r\n"
           "<p>Hi</p><img src=\"https://tracker.example.net/p.gif\"><script>alert(1)</script>\r\n").encode()
    r = requests.post(server.base_url + "/api/v1/inbound/email", data=raw,
                      headers={"Authorization": f"Bearer {admin.token}", "Content-Type": "message/rfc822"})
    mid = r.json()["message_id"]
    doc = admin.api.get(f"/api/v1/messages/{mid}/html")
    csp = doc.headers["Content-Security-Policy"]
    assert csp.startswith("sandbox ") and "allow-scripts" not in csp
    assert "script-src" not in csp and "default-src 'none'" in csp and "https:" not in csp
    assert "<script" not in doc.text.lower() and ' src="https://tracker' not in doc.text, doc.text
    assert 'data-sb-remote-src="https://tracker.example.net/p.gif"' in doc.text
    shown = admin.api.get(f"/api/v1/messages/{mid}/html?images=1")
    assert ' src="https://tracker.example.net/p.gif"' in shown.text
    assert "img-src 'self' data: https: http:" in shown.headers["Content-Security-Policy"]
    assert_error(admin.api.get("/api/v1/messages/99999999/html"), 404, "not_found")
