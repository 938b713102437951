"""Messages: the timeline, replies, notes, system messages, inbound messages and the reopen /
follow-up rules."""
import pytest

from sbtest import assert_error, assert_ts, uniq

MSG_FIELDS = ("id", "conversation_id", "direction", "internal", "kind", "author", "body_text",
              "body_html", "created_at", "attachments")


def non_system(msgs):
    return [m for m in msgs if m["kind"] != "system"]


def system(msgs):
    return [m for m in msgs if m["kind"] == "system"]


def test_first_message_is_inbound_from_contact(api):
    body = "My order " + uniq("ord") + " never arrived"
    c = api.create_conversation(body=body)
    msgs = api.messages(c["id"])
    assert len(msgs) == 1
    m = msgs[0]
    for f in MSG_FIELDS:
        assert f in m, f"{f} missing from {m}"
    assert isinstance(m["id"], int)
    assert m["conversation_id"] == c["id"]
    assert m["direction"] == "in"
    assert m["internal"] is False
    assert m["kind"] == "message"
    assert m["author"]["type"] == "contact"
    assert m["author"]["id"] == c["contact_id"]
    assert m["body_text"] == body
    assert m["attachments"] == []
    assert_ts(m["created_at"])


def test_reply(api, admin):
    c = api.create_conversation()
    body = "Hello, we are looking into it. " + uniq("r")
    m = api.post_message(c["id"], body, internal=False)
    for f in MSG_FIELDS:
        assert f in m, f"{f} missing from {m}"
    assert m["conversation_id"] == c["id"]
    assert m["direction"] == "out"
    assert m["internal"] is False
    assert m["kind"] == "message"
    assert m["author"]["type"] == "agent"
    assert m["author"]["id"] == admin.id
    assert m["author"]["name"] == admin.name
    assert m["body_text"] == body
    assert_ts(m["created_at"])

    msgs = api.messages(c["id"])
    assert [x["id"] for x in msgs] == sorted(x["id"] for x in msgs), "not oldest first"
    assert msgs[-1]["id"] == m["id"] and msgs[-1]["body_text"] == body
    g = api.get_conversation(c["id"])
    assert g["message_count"] == 2
    assert_ts(g["last_message_at"])
    assert g["last_message_at"] >= c["created_at"]
    assert g["updated_at"] >= c["updated_at"]


def test_reply_default_is_not_internal(api):
    c = api.create_conversation()
    m = api.post_message(c["id"], "no internal flag given")
    assert m["internal"] is False and m["kind"] == "message"


def test_note(api, agent):
    c = api.create_conversation()
    m = agent.api.post_message(c["id"], "Customer seems upset; be gentle", internal=True)
    assert m["internal"] is True
    assert m["kind"] == "note"
    assert m["author"]["type"] == "agent" and m["author"]["id"] == agent.id
    msgs = api.messages(c["id"])
    notes = [x for x in msgs if x["kind"] == "note"]
    assert [n["id"] for n in notes] == [m["id"]]
    assert notes[0]["internal"] is True


def test_reply_body_html_is_safe(api):
    c = api.create_conversation()
    m = api.post_message(c["id"], '<script>alert(1)</script><img src=x onerror="alert(2)"> hi')
    for msg in (m, api.messages(c["id"])[-1]):
        html = msg["body_html"]
        assert html is None or isinstance(html, str)
        if html:
            low = html.lower()
            assert "<script" not in low and "<img" not in low, html


def test_system_message_for_status_change(api):
    c = api.create_conversation()
    api.patch_conversation(c["id"], status="pending")
    msgs = api.messages(c["id"])
    sysm = system(msgs)
    assert len(sysm) == 1, msgs
    s = sysm[0]
    assert s["internal"] is True
    assert "pending" in s["body_text"].lower()
    api.patch_conversation(c["id"], status="on_hold")
    sysm = system(api.messages(c["id"]))
    assert len(sysm) == 2
    assert "hold" in sysm[1]["body_text"].lower()
    assert sysm[1]["id"] > sysm[0]["id"]


def test_system_message_for_assignment(api, agent):
    c = api.create_conversation()
    api.patch_conversation(c["id"], assignee_id=agent.id)
    sysm = system(api.messages(c["id"]))
    assert len(sysm) == 1
    assert sysm[0]["internal"] is True
    api.patch_conversation(c["id"], assignee_id=None)
    sysm = system(api.messages(c["id"]))
    assert len(sysm) == 2 and all(m["internal"] is True for m in sysm)


def test_reply_with_status(api):
    c = api.create_conversation()
    m = api.post_message(c["id"], "Could you send a screenshot?", status="pending")
    assert m["kind"] == "message" and m["direction"] == "out"
    g = api.get_conversation(c["id"])
    assert g["status"] == "pending"
    msgs = api.messages(c["id"])
    assert any(x["kind"] == "system" and "pending" in x["body_text"].lower() for x in msgs)
    api.post_message(c["id"], "Fixed, closing", status="solved")
    assert api.get_conversation(c["id"])["status"] == "solved"


def test_reply_with_illegal_status_409(api):
    c = api.create_conversation()
    r = api.post(f"/api/v1/conversations/{c['id']}/messages", json={"body": "x", "status": "closed"})
    assert_error(r, 409, "invalid_transition")
    assert api.get_conversation(c["id"])["status"] == "open"


# ---------------------------------------------------------------- inbound


def inbound(api, cid, body):
    return api.post_message(cid, body, direction="in")


@pytest.mark.parametrize("start,expected", [("open", "open"), ("pending", "open"),
                                            ("solved", "open"), ("on_hold", "on_hold")])
def test_inbound_reopen_rules(api, start, expected):
    c = api.create_conversation()
    if start != "open":
        api.patch_conversation(c["id"], status=start)
    body = "Customer writes again " + uniq("in")
    m = inbound(api, c["id"], body)
    assert m["conversation_id"] == c["id"]
    assert m["direction"] == "in"
    assert m["kind"] == "message" and m["internal"] is False
    assert m["author"]["type"] == "contact" and m["author"]["id"] == c["contact_id"]
    g = api.get_conversation(c["id"])
    assert g["status"] == expected
    assert non_system(api.messages(c["id"]))[-1]["body_text"] == body


def test_inbound_on_closed_starts_follow_up(api):
    c = api.create_conversation(subject="Broken kettle")
    api.patch_conversation(c["id"], status="solved")
    api.patch_conversation(c["id"], status="closed")
    old_msgs = api.messages(c["id"])
    body = "It broke again " + uniq("fu")
    m = inbound(api, c["id"], body)
    assert m["direction"] == "in"
    new_id = m["conversation_id"]
    assert new_id != c["id"], "inbound on a closed conversation must start a new one"
    new = api.get_conversation(new_id)
    assert new["follow_up_of"] == c["id"]
    assert new["contact_id"] == c["contact_id"]
    assert new["status"] == "open"
    new_msgs = api.messages(new_id)
    assert [x["body_text"] for x in non_system(new_msgs)] == [body]
    assert non_system(new_msgs)[0]["id"] == m["id"]
    old = api.get_conversation(c["id"])
    assert old["status"] == "closed"
    assert old.get("follow_up_of") is None
    assert api.messages(c["id"]) == old_msgs, "the closed conversation must not change"


def test_reply_cannot_reopen_closed(api):
    """Agents cannot reopen a closed conversation by replying with a status."""
    c = api.create_conversation()
    api.patch_conversation(c["id"], status="solved")
    api.patch_conversation(c["id"], status="closed")
    r = api.post(f"/api/v1/conversations/{c['id']}/messages", json={"body": "x", "status": "open"})
    assert_error(r, 409, "invalid_transition")
    assert api.get_conversation(c["id"])["status"] == "closed"


# ---------------------------------------------------------------- paging and errors


def test_messages_pagination(api):
    c = api.create_conversation()
    for i in range(6):
        api.post_message(c["id"], f"note {i}", internal=True)
    everything = api.messages(c["id"])
    assert len(everything) == 7
    seen, cursor, pages = [], None, 0
    while True:
        params = {"limit": 3}
        if cursor:
            params["cursor"] = cursor
        page = api.get(f"/api/v1/conversations/{c['id']}/messages", params=params, expect=200).json()
        pages += 1
        assert len(page["items"]) <= 3
        seen.extend(page["items"])
        cursor = page.get("next_cursor")
        if not cursor:
            break
        assert pages < 10
    assert [m["id"] for m in seen] == [m["id"] for m in everything]
    assert pages == 3


def test_messages_limit_bounds(api):
    c = api.create_conversation()
    api.get(f"/api/v1/conversations/{c['id']}/messages?limit=500", expect=200)
    for bad in ("501", "0", "x"):
        assert_error(api.get(f"/api/v1/conversations/{c['id']}/messages?limit={bad}"),
                     400, "bad_request")
    assert_error(api.get(f"/api/v1/conversations/{c['id']}/messages?cursor=garbage"),
                 400, "bad_request")


def test_message_errors(api):
    c = api.create_conversation()
    path = f"/api/v1/conversations/{c['id']}/messages"
    assert_error(api.post("/api/v1/conversations/99999999/messages", json={"body": "x"}),
                 404, "not_found")
    assert_error(api.post(path, json={}), 422, "validation_failed")
    assert_error(api.post(path, json={"body": "x", "status": "done"}), 422, "validation_failed")
    assert_error(api.post(path, json={"body": "x", "direction": "sideways"}), 422, "validation_failed")
    assert_error(api.post(path, json={"body": 42}), 400, "bad_request")
    assert_error(api.post(path, json={"body": "x", "internal": "yes"}), 400, "bad_request")
    assert len(api.messages(c["id"])) == 1, "a rejected message was stored"


def test_messages_default_limit_is_100(api):
    c = api.create_conversation()
    for i in range(100):
        api.post_message(c["id"], f"bulk note {i}", internal=True)
    page = api.get(f"/api/v1/conversations/{c['id']}/messages", expect=200).json()
    assert len(page["items"]) == 100
    assert page["next_cursor"]
    rest = api.get(f"/api/v1/conversations/{c['id']}/messages",
                   params={"cursor": page["next_cursor"]}, expect=200).json()
    assert [m["body_text"] for m in rest["items"]] == ["bulk note 99"]
    assert rest["next_cursor"] is None
