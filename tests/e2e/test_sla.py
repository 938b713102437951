"""SLA clocks, alerts, webhooks, the inbox's SLA filter and order, after-hours replies,
resolution confirmation, auto-close and CSAT - with `serve --test-clock`, never a sleep.

A local webhook receiver (a tiny HTTP server on 127.0.0.1) records every delivery and checks
its HMAC signature. Mail delivery through a real MTA is in test_sla_mail.py."""
import hashlib
import hmac
import http.server
import json
import re
import threading
from datetime import datetime, timedelta, timezone

import pytest

from mailservers import wait_for
from sbtest import assert_error, uemail, uniq

OFFICE = {"timezone": "UTC",
          "hours": {d: [["09:00", "17:00"]] for d in ("mon", "tue", "wed", "thu", "fri")},
          "holidays": ["2026-11-26"]}
KYIV = {"timezone": "Europe/Kyiv",
        "hours": {d: [["09:00", "18:00"]] for d in ("mon", "tue", "wed", "thu", "fri")}}
SECRET = "s3cret-for-the-receiver-0123456789"


def ts(s):
    return datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)


def iso(d):
    return d.strftime("%Y-%m-%dT%H:%M:%SZ")


class Receiver:
    """Records POSTs; answers 500 to the first `fail_first` of them."""

    def __init__(self):
        self.requests, self.fail_first, self.fail_status = [], 0, 500
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                outer.requests.append((dict(self.headers), body))
                code = (outer.fail_status if len(outer.requests) <= outer.fail_first else 204)
                self.send_response(code)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *a):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/hook"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def events(self, type_=None):
        out = []
        for headers, body in list(self.requests):
            want = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
            assert hmac.compare_digest(headers.get("X-Switchboard-Signature", ""), want), "bad signature"
            ev = json.loads(body)
            if type_ is None or ev["type"] == type_:
                out.append(ev)
        return out

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    from sbtest import Server, stop_server_checked
    srv = Server(tmp_path_factory.mktemp("sla"), name="sla",
                 extra_args=("--test-clock", "--job-backoff-ms", "100")).start()
    e = type("Env", (), {})()
    e.srv = srv
    e.admin = srv.new_user("admin")
    e.agent = srv.new_user("agent")
    e.sup = srv.new_user("supervisor")
    e.api = e.admin.api
    e.hook = Receiver()
    e.set_clock = lambda t: e.api.put("/api/v1/_test/clock", json={"now": t}, expect=200)
    e.set_clock("2026-11-23T10:00:00Z")  # a Monday
    cal = e.api.post("/api/v1/calendars", json={"name": "Office", **OFFICE}, expect=201).json()
    e.cal = cal
    e.policy = e.api.post("/api/v1/sla-policies", json={
        "name": "Standard", "is_default": True, "calendar_id": cal["id"], "warn_percent": 80,
        "targets": {"normal": {"first_response": 60, "next_response": 30, "resolution": 480},
                    "urgent": {"first_response": 15, "next_response": 15, "resolution": 120}},
        "alert_agent_ids": [e.sup.id], "alert_emails": ["oncall@ops.test"]}, expect=201).json()
    e.webhook = e.api.post("/api/v1/webhooks", json={
        "url": e.hook.url, "secret": SECRET, "events": ["sla.warning", "sla.breached"]}, expect=201).json()
    yield e
    if srv.running:
        stop_server_checked(srv)
    e.hook.close()


def sla_of(api, cid):
    return api.get_conversation(cid)["sla"]


def wait_state(api, cid, state):
    return wait_for(lambda: sla_of(api, cid)["state"] == state and sla_of(api, cid),
                    message=f"sla state {state}")


def test_config_validation(env):
    api = env.api
    assert_error(api.post("/api/v1/calendars", json={"name": "Bad", "timezone": "Mars/Olympus",
                                                     "hours": {"mon": [["09:00", "17:00"]]}}), 422, "validation_failed")
    assert_error(api.post("/api/v1/calendars", json={"name": "Never", "hours": {}}), 422, "validation_failed")
    assert_error(api.post("/api/v1/sla-policies", json={"name": "x", "targets": {"normal": {"first_response": 0}}}),
                 422, "validation_failed")
    assert_error(api.post("/api/v1/sla-policies", json={"name": "x", "targets": {"vip": {}}}), 422, "validation_failed")
    assert_error(api.post("/api/v1/sla-policies", json={"name": "x", "targets": {}, "calendar_id": 999999}),
                 422, "validation_failed")
    assert_error(api.post("/api/v1/sla-policies", json={"name": "x", "targets": {}, "alert_emails": ["nope"]}),
                 422, "validation_failed")
    assert_error(api.post("/api/v1/webhooks", json={"url": "ftp://127.0.0.1/x"}), 422, "validation_failed")
    assert_error(api.post("/api/v1/webhooks", json={"url": "http://x/" + "a" * 2100}), 422, "validation_failed")
    assert_error(api.delete(f"/api/v1/calendars/{env.cal['id']}"), 409, "conflict")  # in use by the policy
    assert_error(env.agent.api.post("/api/v1/sla-policies", json={"name": "y", "targets": {}}), 403, "forbidden")
    # a calendar reads back as the calendar file plus a name; the webhook never shows its secret again
    got = api.get(f"/api/v1/calendars/{env.cal['id']}", expect=200).json()
    assert got["timezone"] == "UTC" and got["hours"]["mon"] == [["09:00", "17:00"]] and got["name"] == "Office"
    assert "secret" not in api.get(f"/api/v1/webhooks/{env.webhook['id']}", expect=200).json()


def test_warning_breach_and_alerts(env):
    api = env.api
    env.set_clock("2026-11-23T10:00:00Z")
    conv = api.create_conversation(subject="VPN down " + uniq(), assignee_id=env.agent.id)
    cid = conv["id"]
    sla = conv["sla"]
    created = ts(conv["created_at"])
    assert sla["state"] == "ok" and sla["policy_id"] == env.policy["id"]
    assert sla["first_response_due"] == iso(created + timedelta(hours=1))
    # 480 business minutes: the rest of Monday (7h) and one hour of Tuesday
    assert sla["resolution_due"] == iso(created + timedelta(hours=24))
    assert sla["next_response_due"] is None and sla["breached"] == [] and sla["paused"] is False
    item = next(i for i in api.list_conversations(limit=100)["items"] if i["id"] == cid)
    assert item["sla"]["first_response_due"] == sla["first_response_due"]

    # 48 of 60 minutes: warning for the assignee (in-app) and the webhook
    env.set_clock(iso(created + timedelta(minutes=48, seconds=5)))
    wait_state(api, cid, "warning")
    notes = wait_for(lambda: [n for n in env.agent.api.get("/api/v1/notifications", expect=200).json()["items"]
                              if n["kind"] == "sla.warning" and n["conversation_id"] == cid], message="warning note")
    assert "first_response" in notes[0]["text"]
    wait_for(lambda: [e for e in env.hook.events("sla.warning") if e["data"]["conversation_id"] == cid],
             message="sla.warning webhook")
    assert cid in [i["id"] for i in api.list_conversations(sla="warning", limit=100)["items"]]

    # due: breached; the supervisor (alert list) hears of it, the webhook too, signed
    env.set_clock(iso(created + timedelta(minutes=60, seconds=5)))
    got = wait_state(api, cid, "breached")
    assert got["breached"] == ["first_response"]
    ev = wait_for(lambda: [e for e in env.hook.events("sla.breached") if e["data"]["conversation_id"] == cid],
                  message="sla.breached webhook")
    assert ev[0]["data"]["target"] == "first_response" and ev[0]["data"]["due"] == sla["first_response_due"]
    wait_for(lambda: [n for n in env.sup.api.get("/api/v1/notifications", expect=200).json()["items"]
                      if n["kind"] == "sla.breached" and n["conversation_id"] == cid], message="breach note")
    breached = [i["id"] for i in api.list_conversations(sla="breached", limit=100)["items"]]
    assert cid in breached and cid not in [i["id"] for i in api.list_conversations(sla="ok", limit=100)["items"]]
    # alert mail is a durable job even though no alert mailbox is configured yet
    counts = api.get("/metrics").text  # the server still answers; the job waits for a mailbox
    assert counts
    # one alert per breach: later checks do not repeat it
    env.set_clock(iso(created + timedelta(minutes=90)))
    api.post_message(cid, "Looking into it")  # met late: stays listed as breached
    after = sla_of(api, cid)
    assert after["first_response_due"] is None and after["breached"] == ["first_response"]
    assert after["state"] == "ok"
    assert len([e for e in env.hook.events("sla.breached") if e["data"]["conversation_id"] == cid]) == 1


def test_pause_resume_next_response(env):
    api = env.api
    env.set_clock("2026-11-23T13:00:00Z")
    conv = api.create_conversation(subject="Printer " + uniq())
    cid = conv["id"]
    t0 = ts(conv["created_at"])
    env.set_clock(iso(t0 + timedelta(minutes=10)))
    api.post_message(cid, "Which model?", status="pending")
    s = sla_of(api, cid)
    assert s["state"] == "paused" and s["paused"] and s["resolution_due"] is None and s["first_response_due"] is None
    # two days later (Wednesday) nothing was breached while waiting on the customer
    env.set_clock("2026-11-25T16:00:00Z")
    assert sla_of(api, cid)["state"] == "paused"
    api.post(f"/api/v1/conversations/{cid}/messages", json={"body": "HP 1020", "direction": "in"})
    conv2 = api.get_conversation(cid)
    if conv2["status"] == "pending":  # the API may not accept inbound messages: reopen as the agent would
        api.patch_conversation(cid, status="open")
    s = sla_of(api, cid)
    assert s["state"] in ("ok", "warning") and not s["paused"]
    # resolution resumes with 10 minutes used: 470 left from Wed 16:00 -> Wed 17:00 (60), Thu holiday,
    # Fri 09:00 + 410 min = 15:50
    assert s["resolution_due"].startswith("2026-11-27T15:5")


def test_sla_order_and_pagination(env):
    api = env.api
    env.set_clock("2026-11-30T09:00:00Z")
    tag = uniq("ord")
    normal = api.create_conversation(subject="normal " + tag, tags=[tag])
    urgent = api.create_conversation(subject="urgent " + tag, tags=[tag], priority="urgent", priority_reason="down")
    paused = api.create_conversation(subject="paused " + tag, tags=[tag])
    api.patch_conversation(paused["id"], status="pending")
    items, pages = api.walk_conversations(sort="sla", tag=tag, limit=1)
    assert [i["id"] for i in items] == [urgent["id"], normal["id"], paused["id"]] and pages == 3
    assert items[0]["sla"]["first_response_due"] < items[1]["sla"]["first_response_due"]
    assert_error(api.get("/api/v1/conversations", params={"sla": "late"}), 400, "bad_request")
    assert_error(api.get("/api/v1/conversations", params={"sort": "sla", "cursor": "x"}), 400, "bad_request")
    # changing the priority re-plans the clock
    api.patch_conversation(normal["id"], priority="urgent", priority_reason="vip")
    s = sla_of(api, normal["id"])
    assert ts(s["first_response_due"]) - ts(normal["created_at"]) == timedelta(minutes=15)


def test_webhook_retries_with_backoff(env):
    api = env.api
    before = len(env.hook.requests)
    env.hook.fail_first = before + 2  # the next two POSTs get HTTP 500
    env.set_clock("2026-12-01T09:00:00Z")
    conv = api.create_conversation(subject="retry " + uniq(), priority="urgent", priority_reason="now")
    env.set_clock("2026-12-01T09:20:00Z")
    wait_state(api, conv["id"], "breached")
    wait_for(lambda: [1 for h, b in env.hook.requests[before:]
                      if json.loads(b)["type"] == "sla.breached" and
                      json.loads(b)["data"]["conversation_id"] == conv["id"]], message="breach delivered")
    # a delivery that failed came again (same delivery id) and then succeeded
    ids = [h["X-Switchboard-Delivery"] for h, b in env.hook.requests[before:]]
    wait_for(lambda: len(set(h["X-Switchboard-Delivery"] for h, b in env.hook.requests[before:])) <
             len(env.hook.requests[before:]), message="a retried delivery")
    assert ids


def test_webhook_refused_for_good_is_not_retried(env):
    """A 4xx (other than 408/429) is a permanent refusal: one attempt, then the job fails."""
    api = env.api
    before = len(env.hook.requests)
    env.hook.fail_first, env.hook.fail_status = before + 1, 410
    try:
        env.set_clock("2026-12-02T09:00:00Z")
        conv = api.create_conversation(subject="gone " + uniq(), priority="urgent", priority_reason="now")
        env.set_clock("2026-12-02T09:20:00Z")
        wait_state(api, conv["id"], "breached")
        mine = lambda: [h for h, b in env.hook.requests[before:]  # noqa: E731
                        if json.loads(b)["type"] == "sla.breached" and json.loads(b)["data"]["conversation_id"] == conv["id"]]
        wait_for(mine, message="the breach delivery")
        env.set_clock("2026-12-02T11:00:00Z")  # well past any backoff: nothing comes again
        env.api.create_conversation(subject="flush " + uniq())  # a commit wakes the job runner
        def failed_jobs():
            for line in env.api.get("/metrics").text.splitlines():
                if line.startswith('switchboard_jobs{kind="webhook.deliver",state="failed"}'):
                    return int(float(line.split()[-1]))
            return 0
        wait_for(lambda: failed_jobs() >= 1, message="the job failed for good")
        assert len(mine()) == 1
    finally:
        env.hook.fail_status = 500


def test_after_hours_reply(env):
    api = env.api
    kyiv = api.post("/api/v1/calendars", json={"name": "Kyiv " + uniq(), **KYIV}, expect=201).json()
    support = uemail("help").replace("@", "-ah@")
    mb = api.post("/api/v1/mailboxes", json={"address": support, "name": "Help"}, expect=201).json()
    api.put(f"/api/v1/after-hours/mailbox-{mb['id']}", json={
        "calendar_id": kyiv["id"], "templates": {
            "en": "We are closed now. We will answer {{next_open}}.",
            "ru": "Сейчас мы не работаем. Ответим {{next_open}}."}}, expect=200)
    assert_error(api.put(f"/api/v1/after-hours/mailbox-{mb['id']}", json={"templates": {"e n": "x"}}),
                 422, "validation_failed")
    # Saturday 2026-11-28 12:00 Kyiv (10:00Z): the promise is Monday 09:00 Kyiv time
    env.set_clock("2026-11-28T10:00:00Z")
    view = api.get(f"/api/v1/after-hours/mailbox-{mb['id']}", expect=200).json()
    assert view["reply_now"] == "We are closed now. We will answer on Monday at 09:00 (Europe/Kyiv time)."

    def inbound(sender, subject, body, extra=""):
        raw = (f"From: {sender}\r\nTo: {support}\r\nSubject: {subject}\r\nMessage-ID: <{uniq('m')}@c.test>\r\n"
               f"{extra}Content-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n").encode()
        return api.post("/api/v1/inbound/email", data=raw, headers={"Content-Type": "message/rfc822"},
                        expect=201).json()

    cust = uemail("night")
    r = inbound(cust, "Broken", "My router is broken")
    msgs = api.messages(r["conversation_id"])
    auto = [m for m in msgs if m["kind"] == "message" and m["author"]["type"] == "system"]
    assert len(auto) == 1 and auto[0]["body_text"] == \
        "We are closed now. We will answer on Monday at 09:00 (Europe/Kyiv time)."
    # Russian text gets the Russian template; Sunday 23:30 Kyiv -> "tomorrow"
    env.set_clock("2026-11-29T21:30:00Z")
    r2 = inbound(uemail("ru"), "Проблема", "Здравствуйте, не работает интернет")
    auto = [m for m in api.messages(r2["conversation_id"]) if m["author"]["type"] == "system" and m["kind"] == "message"]
    assert auto[-1]["body_text"] == "Сейчас мы не работаем. Ответим завтра в 09:00 (время Europe/Kyiv)."
    # loop protection: an auto-submitted message gets nothing
    r3 = inbound(uemail("robot"), "Out of office", "I am away", extra="Auto-Submitted: auto-replied\r\n")
    assert not [m for m in api.messages(r3["conversation_id"]) if m["author"]["type"] == "system" and m["kind"] == "message"]
    # a continuing message outside hours is answered too (same sender, threaded by subject marker)
    cid = r["conversation_id"]
    inbound(cust, f"Re: Broken [#{cid}]", "still broken")
    auto = [m for m in api.messages(cid) if m["author"]["type"] == "system" and m["kind"] == "message"]
    assert len(auto) == 2
    # open hours: no after-hours reply
    env.set_clock("2026-11-30T08:00:00Z")  # Monday 10:00 Kyiv
    r4 = inbound(uemail("day"), "Daytime", "hello")
    assert not [m for m in api.messages(r4["conversation_id"]) if m["author"]["type"] == "system" and m["kind"] == "message"]
    assert api.get(f"/api/v1/after-hours/mailbox-{mb['id']}", expect=200).json()["reply_now"] is None


def test_resolution_confirm_reopen_autoclose_and_csat(env):
    api = env.api
    srv = env.srv
    api.patch("/api/v1/sla-settings", json={"public_base_url": srv.base_url, "autoclose_days": 3}, expect=200)
    assert_error(api.patch("/api/v1/sla-settings", json={"public_base_url": "javascript:alert(1)"}), 422,
                 "validation_failed")
    support = uemail("res").replace("@", "-res@")
    api.post("/api/v1/mailboxes", json={"address": support, "name": "Res"}, expect=201)
    env.set_clock("2026-12-02T10:00:00Z")

    def inbound(sender, subject, body):
        raw = (f"From: {sender}\r\nTo: {support}\r\nSubject: {subject}\r\nMessage-ID: <{uniq('m')}@c.test>\r\n"
               f"Content-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n").encode()
        return api.post("/api/v1/inbound/email", data=raw, headers={"Content-Type": "message/rfc822"},
                        expect=201).json()["conversation_id"]

    def link(cid, kind):
        texts = [m["body_text"] for m in api.messages(cid) if m["author"]["type"] == "system" and m["kind"] == "message"]
        found = [re.search(rf"{re.escape(srv.base_url)}/{kind}/([0-9]+-[0-9a-f]+)", t) for t in texts]
        found = [f.group(1) for f in found if f]
        return found[-1] if found else None

    public = srv.api()  # no credentials
    cid = inbound(uemail("cust"), "Login fails " + uniq(), "cannot log in")
    api.patch_conversation(cid, assignee_id=env.agent.id)
    env.agent.api.post_message(cid, "Reset your password", status="solved")
    token = link(cid, "r")
    assert token and api.get_conversation(cid)["status"] == "solved"
    page = public.get(f"/r/{token}")
    assert page.status_code == 200 and "Yes, it is solved" in page.text and "No, I still need help" in page.text
    assert "default-src 'none'" in page.headers["Content-Security-Policy"]
    assert "Login fails" not in page.text  # a forwarded link shows nothing of the conversation
    # a forged token is refused
    bad = token[:-1] + ("0" if token[-1] != "0" else "1")
    assert public.get(f"/r/{bad}").status_code == 404
    assert public.post(f"/r/{str(cid + 1)}-{token.split('-')[1]}", data={"answer": "yes"}).status_code == 404
    # No -> reopened
    r = public.post(f"/r/{token}", data={"answer": "no"})
    assert r.status_code == 200 and "open again" in r.text
    assert api.get_conversation(cid)["status"] == "open"
    # solved again, Yes -> closed, and the survey goes out once
    env.agent.api.post_message(cid, "Try again now", status="solved")
    r = public.post("/api/v1/public/resolution", json={"token": token, "solved": True}, expect=200)
    assert r.json()["outcome"] == "closed"
    assert api.get_conversation(cid)["status"] == "closed"
    survey = link(cid, "csat")
    assert survey
    # rating by the mailed link, then a comment through the form
    r = public.get(f"/csat/{survey}", params={"rating": "good"})
    assert r.status_code == 200 and "Good" in r.text and "<textarea" in r.text
    r = public.post(f"/csat/{survey}", data={"comment": "<script>alert(1)</script> quick"})
    assert r.status_code == 200
    csat = api.get_conversation(cid)["csat"]
    assert csat["rating"] == "good" and csat["agent_id"] == env.agent.id and "<script>" in csat["comment"]
    assert public.get(f"/csat/{survey}", params={"rating": "superb"}).status_code == 422
    assert_error(public.post("/api/v1/public/csat", json={"token": survey, "rating": "meh"}), 422, "validation_failed")
    assert_error(public.post("/api/v1/public/csat", json={"token": token, "rating": "good"}), 404, "not_found")

    # no answer for 3 days -> closed automatically; a customer reply in between keeps it open
    quiet = inbound(uemail("quiet"), "Quiet " + uniq(), "help")
    chatty_sender = uemail("chatty")
    chatty = inbound(chatty_sender, "Chatty " + uniq(), "help")
    for c in (quiet, chatty):
        api.patch_conversation(c, assignee_id=env.agent.id)
        env.agent.api.post_message(c, "Done", status="solved")
    env.set_clock("2026-12-03T10:00:00Z")
    inbound(chatty_sender, f"Re: Chatty [#{chatty}]", "no, it is not")
    assert api.get_conversation(chatty)["status"] == "open"
    env.set_clock("2026-12-05T10:00:30Z")
    wait_for(lambda: api.get_conversation(quiet)["status"] == "closed", message="auto-close")
    assert api.get_conversation(chatty)["status"] == "open"
    assert any("Closed automatically" in m["body_text"] for m in api.messages(quiet))
    wait_for(lambda: link(quiet, "csat"), message="survey after auto-close")
    # a poor rating through JSON; the figures
    public.post("/api/v1/public/csat", json={"token": link(quiet, "csat"), "rating": "poor"}, expect=200)
    fig = api.get("/api/v1/csat", params={"from": "2026-12-01T00:00:00Z", "agent_id": env.agent.id},
                  expect=200).json()
    assert fig["count"] == 2 and fig["counts"]["good"] == 1 and fig["counts"]["poor"] == 1
    assert fig["score"] == pytest.approx(0.5)
    assert api.get("/api/v1/csat", params={"from": "2027-01-01T00:00:00Z"}, expect=200).json()["score"] is None


def test_policy_conditions_and_rematch(env):
    api = env.api
    env.set_clock("2026-12-07T12:00:00Z")
    tag = uniq("vip")
    vip = api.post("/api/v1/sla-policies", json={
        "name": "VIP " + tag, "position": -1, "conditions": {"tag": tag, "channel": "api"},
        "targets": {"default": {"first_response": 5}}}, expect=201).json()
    assert vip["calendar_id"] is None  # 24/7 UTC
    c1 = api.create_conversation(subject="vip " + tag, tags=[tag])
    c2 = api.create_conversation(subject="plain " + tag)
    assert c1["sla"]["policy_id"] == vip["id"] and c2["sla"]["policy_id"] == env.policy["id"]
    assert ts(c1["sla"]["first_response_due"]) - ts(c1["created_at"]) == timedelta(minutes=5)
    assert c1["sla"]["resolution_due"] is None  # no resolution target in this policy
    # the tag removed: the default policy applies again
    api.patch_conversation(c1["id"], tags=[])
    assert sla_of(api, c1["id"])["policy_id"] == env.policy["id"]
    api.patch_conversation(c1["id"], tags=[tag])
    assert sla_of(api, c1["id"])["policy_id"] == vip["id"]
    # deleting the policy re-evaluates the conversations it governed
    api.delete(f"/api/v1/sla-policies/{vip['id']}", expect=204)
    assert sla_of(api, c1["id"])["policy_id"] == env.policy["id"]
    assert_error(api.get(f"/api/v1/sla-policies/{vip['id']}"), 404, "not_found")


def test_sla_at_risk_view_counts_and_lists(env):
    """The workspace's "SLA at risk" view: its count and its list (nearest due first)."""
    env.set_clock("2026-11-30T10:00:00Z")  # a Monday, office open
    before = env.api.get("/api/v1/views").json()["sla_at_risk"]
    c = env.api.create_conversation(subject=uniq("at risk"))
    assert sla_of(env.api, c["id"])["state"] == "ok"
    env.set_clock("2026-11-30T11:30:00Z")  # 90 business minutes: first response (60) missed
    wait_state(env.api, c["id"], "breached")
    assert env.api.get("/api/v1/views").json()["sla_at_risk"] == before + 1
    items = env.api.list_conversations(status="open,pending,on_hold", sla="warning,breached", sort="sla")["items"]
    assert c["id"] in [i["id"] for i in items]
    assert all(i["sla"]["state"] in ("warning", "breached") for i in items)
    env.api.patch_conversation(c["id"], status="solved")
    assert env.api.get("/api/v1/views").json()["sla_at_risk"] == before


def test_breach_alerts_the_teams_oncall_agent_and_supervisor(env):
    """A breach alerts, besides the policy's list, whoever is on call for the conversation's
    team at that instant and the team's supervisor (in-app; their addresses get the mail)."""
    env.set_clock("2026-12-07T10:00:00Z")  # Monday
    oncall_a, oncall_b = env.srv.new_user("agent"), env.srv.new_user("agent")
    boss = env.srv.new_user("supervisor")
    team = env.api.post("/api/v1/teams", json={"name": uniq("ops"), "tier": "L3", "strategy": "manual"},
                        expect=201).json()
    env.api.patch(f"/api/v1/teams/{team['id']}", json={
        "supervisor_id": boss.id,
        "oncall": {"agent_ids": [oncall_a.id, oncall_b.id], "start": "2026-11-30T09:00:00Z", "length_days": 7}},
        expect=200)
    assert env.api.get(f"/api/v1/teams/{team['id']}/oncall?at=2026-12-07T11:00:00Z").json()["agent_id"] == oncall_b.id
    c = env.api.create_conversation(subject=uniq("night"), team_id=team["id"])
    env.set_clock("2026-12-07T11:30:00Z")
    wait_state(env.api, c["id"], "breached")

    def breach_note(user):
        return [n for n in user.api.get("/api/v1/notifications", expect=200).json()["items"]
                if n["kind"] == "sla.breached" and n["conversation_id"] == c["id"]]
    wait_for(lambda: breach_note(oncall_b), message="the on-call agent's alert")
    wait_for(lambda: breach_note(boss), message="the supervisor's alert")
    assert not breach_note(oncall_a)  # not on call this week
