"""Answer bot (public endpoint, offers on conversations, hand-off rules, Yes/No), suggested
articles, macros (every placeholder and action) and the deflection report (issue 6)."""
import pytest
import requests

from sbtest import assert_error, uemail, uniq, uword

W = uword("bq", 9)  # a word only this module's articles use


@pytest.fixture(scope="module")
def articles(api):
    api.put("/api/v1/help-center/settings", json={"locales": ["en", "ru"], "default_locale": "en",
                                                  "bot_enabled": True, "bot_channels": ["widget", "webform", "email"],
                                                  "bot_threshold": 0.6, "base_url": "https://help.example.test"}, expect=200)
    def make(title, body, **kw):
        b = {"title": title, "body_markdown": body, "locale": "en", "visibility": "public", "category": "Bot",
             "status": "published"}
        b.update(kw)
        return api.post("/api/v1/articles", json=b, expect=201).json()
    return {
        "password": make(f"Reset your {W} password",
                         f"Forgot your {W} password? Open the sign-in page, choose Forgot password and follow the "
                         "link we email you to reset the password."),
        "refund": make("Refund policy", "Refunds are paid back to the original card within 14 days of the return."),
        "internal": make(f"Escalating {W} password resets", f"Internal runbook: forgot {W} password escalations.",
                         visibility="internal"),
    }


def widget_conv(api, text, **extra):
    return api.create_conversation(subject=extra.pop("subject", "password"), body=text, channel="widget", **extra)


def test_public_bot_answer(anon, articles):
    b = anon.post("/api/v1/bot/answer", json={"question": f"I forgot my {W} password, how do I reset it?",
                                              "locale": "en"}, expect=200).json()
    assert b["confident"] is True
    assert b["articles"][0]["id"] == articles["password"]["id"]
    assert set(b["articles"][0]) >= {"id", "title", "score"} and 0 < b["articles"][0]["score"] <= 1
    assert articles["internal"]["id"] not in [a["id"] for a in b["articles"]]
    b = anon.post("/api/v1/bot/answer", json={"question": "what do geese eat in winter"}, expect=200).json()
    assert b["confident"] is False
    assert_error(anon.post("/api/v1/bot/answer", json={"locale": "en"}), 422, "validation_failed")
    assert_error(anon.post("/api/v1/bot/answer", json={"question": "x", "extra": 1}), 422, "validation_failed")
    assert_error(anon.post("/api/v1/bot/answer", json={"question": "x" * 2001}), 422, "validation_failed")


def offer(api, cid, expect=200, **body):
    return api.post(f"/api/v1/conversations/{cid}/bot-offer", json=body or None, expect=expect).json()


def test_offer_yes_solves_and_marks(api, anon, articles):
    c = widget_conv(api, f"Hello! I forgot my {W} password, how do I reset it?")
    o = offer(api, c["id"])
    assert o["offered"] is True, o
    token, attempt = o["token"], o["attempt"]
    assert attempt["articles"][0]["id"] == articles["password"]["id"]
    conv = api.get_conversation(c["id"])
    assert conv["status"] == "pending"  # waiting on the customer's Yes/No
    msgs = api.messages(c["id"])
    bot = [m for m in msgs if m["direction"] == "out" and not m["internal"]]
    assert len(bot) == 1 and "Did this solve it?" in bot[0]["body_text"]
    assert f"/help/en/articles/{articles['password']['id']}" in bot[0]["body_text"]
    assert f"/help/bot/{attempt['id']}?t={token}" in bot[0]["body_text"]
    assert_error(anon.post(f"/api/v1/bot/attempts/{attempt['id']}/feedback",
                           json={"token": "0" * 64, "helpful": True}), 404, "not_found")
    r = anon.post(f"/api/v1/bot/attempts/{attempt['id']}/feedback", json={"token": token, "helpful": True},
                  expect=200).json()
    assert r["outcome"] == "accepted"
    conv = api.get_conversation(c["id"])
    assert conv["status"] == "solved" and "bot-resolved" in conv["tags"]
    assert_error(anon.post(f"/api/v1/bot/attempts/{attempt['id']}/feedback", json={"token": token, "helpful": False}),
                 409, "conflict")
    # Offered once per conversation.
    assert offer(api, c["id"])["reason"] == "already_offered"


def test_late_yes_does_not_close_what_an_agent_took_over(api, anon, agent, articles):
    """The customer's Yes arrives after an agent made the conversation urgent and replied: the
    answer is recorded, the conversation stays the agent's."""
    c = widget_conv(api, f"Hello! I forgot my {W} password, how do I reset it?")
    o = offer(api, c["id"])
    assert o["offered"] is True, o
    api.patch_conversation(c["id"], status="open", priority="urgent", priority_reason="VIP locked out")
    agent.api.post_message(c["id"], "I am on it, resetting it for you now.")
    r = anon.post(f"/api/v1/bot/attempts/{o['attempt']['id']}/feedback", json={"token": o["token"], "helpful": True},
                  expect=200).json()
    assert r["outcome"] == "accepted"
    conv = api.get_conversation(c["id"])
    assert conv["status"] == "open" and conv["priority"] == "urgent" and "bot-resolved" not in conv["tags"]


def test_offer_no_hands_to_queue_via_help_page(server, api, agent, articles):
    c = widget_conv(api, f"forgot {W} password reset", assignee_id=agent.id)
    o = offer(api, c["id"])
    assert o["offered"] is True
    s = requests.Session()
    s.trust_env = False
    page = s.get(f"{server.base_url}/help/bot/{o['attempt']['id']}", params={"t": o["token"]})
    assert page.status_code == 200 and "talk to a person" in page.text
    assert s.get(f"{server.base_url}/help/bot/{o['attempt']['id']}", params={"t": "f" * 64}).status_code == 404
    r = s.post(f"{server.base_url}/help/bot/{o['attempt']['id']}", data={"t": o["token"], "helpful": "no"},
               allow_redirects=False)
    assert r.status_code == 303
    conv = api.get_conversation(c["id"])
    assert conv["status"] == "open" and "bot-handoff" in conv["tags"]
    notes = [m for m in api.messages(c["id"]) if m["internal"]]
    assert any("did not solve it" in m["body_text"] for m in notes)
    # The bot's attempt stays in the timeline for the agent.
    assert any("Did this solve it?" in m["body_text"] for m in api.messages(c["id"]))
    page = s.get(f"{server.base_url}/help/bot/{o['attempt']['id']}", params={"t": o["token"]})
    assert "passed your question" in page.text
    notes = agent.api.get("/api/v1/notifications", expect=200).json()["items"]
    assert any(n["kind"] == "bot_handoff" and n["conversation_id"] == c["id"] for n in notes), notes


def test_handoff_rules(api, agent, articles):
    q = f"I forgot my {W} password"
    urgent = widget_conv(api, q, priority="urgent", priority_reason="outage")
    assert offer(api, urgent["id"]) == {"offered": False, "reason": "urgent", "attempt": None, "token": None}
    replied = widget_conv(api, q)
    api.post_message(replied["id"], "An agent is looking at it")
    assert offer(api, replied["id"])["reason"] == "agent_involved"
    # An internal note is not a reply to the customer.
    noted = widget_conv(api, q)
    api.post_message(noted["id"], "note to self", internal=True)
    assert offer(api, noted["id"])["offered"] is True
    by_api = api.create_conversation(subject="Q", body=q, channel="api")
    assert offer(api, by_api["id"])["reason"] == "channel_not_enabled"
    unsure = widget_conv(api, "can ducks swim backwards in cold lakes", subject="ducks")
    o = offer(api, unsure["id"])
    assert o["offered"] is False and o["reason"] == "not_confident"
    assert api.get_conversation(unsure["id"])["status"] == "open"
    assert all(m["direction"] == "in" or m["internal"] for m in api.messages(unsure["id"]))
    api.put("/api/v1/help-center/settings", json={"bot_enabled": False}, expect=200)
    try:
        assert offer(api, widget_conv(api, q)["id"])["reason"] == "disabled"
    finally:
        api.put("/api/v1/help-center/settings", json={"bot_enabled": True}, expect=200)
    assert_error(api.post("/api/v1/conversations/999999/bot-offer"), 404, "not_found")


def eml(subject, body, headers=()):
    lines = [f"From: Customer <{uemail('bot')}>", "To: bot@kb.test", f"Subject: {subject}",
             f"Message-ID: <{uniq('m')}@customer.test>", "Date: Mon, 23 Nov 2026 10:00:00 +0000",
             "MIME-Version: 1.0", "Content-Type: text/plain; charset=utf-8", *headers]
    return ("\r\n".join(lines) + "\r\n\r\n" + body).encode()


def bot_reply(api, cid, timeout=10):
    import time
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:  # the bot runs as a job right after the commit
        got = [m for m in api.messages(cid) if "Did this solve it?" in m["body_text"]]
        if got:
            return got[0]
        time.sleep(0.05)
    return None


def test_new_email_question_gets_a_bot_answer(api, articles):
    api.post("/api/v1/mailboxes", json={"address": "bot@kb.test", "name": "KB"}, expect=201)
    def mail(raw):
        return api.post("/api/v1/inbound/email", data=raw, headers={"Content-Type": "message/rfc822"},
                        expect=201).json()["conversation_id"]
    auto = mail(eml(f"{W} password", f"I forgot my {W} password", headers=["Auto-Submitted: auto-replied"]))
    human = mail(eml(f"{W} password", f"Hello, I forgot my {W} password, how do I reset it?"))
    m = bot_reply(api, human)
    assert m is not None and m["direction"] == "out" and not m["internal"]
    assert f"https://help.example.test/help/en/articles/{articles['password']['id']}" in m["body_text"]
    assert "https://help.example.test/help/bot/" in m["body_text"]
    assert api.get_conversation(human)["status"] == "pending"
    # Automatic mail never gets the bot (it was queued before, so it would have run by now).
    assert bot_reply(api, auto, timeout=0.5) is None


def test_suggested_articles_for_agents(api, trainee, articles):
    c = api.create_conversation(subject="Password", body=f"forgot {W} password escalations", channel="api")
    items = trainee.api.get(f"/api/v1/conversations/{c['id']}/suggested-articles", expect=200).json()["items"]
    ids = [i["id"] for i in items]
    assert articles["password"]["id"] in ids and articles["internal"]["id"] in ids  # agents see internal ones
    assert_error(trainee.api.get("/api/v1/conversations/999999/suggested-articles"), 404, "not_found")


# ---------------------------------------------------------------- macros


@pytest.fixture(scope="module")
def ctx(api, server):
    org = api.post("/api/v1/organizations", json={"name": "Org " + uniq()}, expect=201).json()
    team = api.post("/api/v1/teams", json={"name": "Team " + uniq()}, expect=201).json()
    email = uemail("mc")
    conv = api.create_conversation(subject="Login <broken>", body="help", email=email, name="Ann *Lee*")
    api.patch(f"/api/v1/contacts/{conv['contact_id']}", json={"organization_id": org["id"], "phone": "+1 555"},
              expect=200)
    return {"org": org, "team": team, "conv": conv, "email": email}


ALL = ("{{contact.name}}|{{contact.first_name}}|{{contact.email}}|{{contact.phone}}|{{organization.name}}|"
       "{{agent.name}}|{{agent.first_name}}|{{agent.email}}|{{conversation.id}}|{{conversation.subject}}|"
       "{{conversation.status}}|{{conversation.priority}}|{{conversation.channel}}|{{article:%d}}")


def test_macro_every_placeholder_and_action(api, admin, agent, ctx, articles):
    aid = articles["refund"]["id"]
    m = api.post("/api/v1/macros", json={
        "name": "All " + uniq(), "body": ALL % aid,
        "actions": {"status": "pending", "priority": "urgent", "priority_reason": "VIP", "add_tags": ["vip", "billing"],
                    "remove_tags": ["stale"], "team_id": ctx["team"]["id"], "assignee_id": agent.id}}, expect=201).json()
    assert m["scope"] == "personal" and m["usage_count"] == 0
    cid = ctx["conv"]["id"]
    api.patch_conversation(cid, tags=["stale", "keep"])
    pv = api.post(f"/api/v1/conversations/{cid}/macros/{m['id']}/apply", json={"preview": True}, expect=200).json()
    assert pv["preview"] is True and pv["conversation"]["status"] == "open"
    me = admin.api.me()
    parts = pv["body"].split("|")
    assert parts[0] == "Ann \\*Lee\\*" and parts[1] == "Ann" and parts[2] == ctx["email"] and parts[3] == "+1 555"
    assert parts[4] == ctx["org"]["name"] and parts[5] == me["name"] and parts[7] == me["email"]
    assert parts[8] == str(cid) and parts[9] == "Login \\<broken\\>" and parts[10] == "open"
    assert parts[11] == "normal" and parts[12] == "api"
    assert parts[13] == f"[Refund policy](https://help.example.test/help/en/articles/{aid})"
    assert api.get(f"/api/v1/macros/{m['id']}", expect=200).json()["usage_count"] == 0
    out = api.post(f"/api/v1/conversations/{cid}/macros/{m['id']}/apply", expect=200).json()
    conv = api.get_conversation(cid)
    assert conv["status"] == "pending" and conv["priority"] == "urgent" and conv["priority_reason"] == "VIP"
    assert sorted(conv["tags"]) == ["billing", "keep", "vip"]
    assert conv["team_id"] == ctx["team"]["id"] and conv["assignee_id"] == agent.id
    assert out["conversation"]["status"] == "pending"
    assert api.get(f"/api/v1/macros/{m['id']}", expect=200).json()["usage_count"] == 1


def test_macro_scopes_and_validation(api, agent, supervisor, trainee, ctx):
    mine = agent.api.post("/api/v1/macros", json={"name": "Mine " + uniq(), "body": "Hi {{contact.first_name}}"},
                          expect=201).json()
    assert_error(api.get(f"/api/v1/macros/{mine['id']}"), 404, "not_found")  # personal: owner only
    assert_error(api.patch(f"/api/v1/macros/{mine['id']}", json={"name": "x"}), 404, "not_found")
    assert mine["id"] not in [m["id"] for m in api.get("/api/v1/macros", expect=200).json()["items"]]
    assert_error(agent.api.post("/api/v1/macros", json={"name": "S " + uniq(), "scope": "shared"}), 403, "forbidden")
    shared = supervisor.api.post("/api/v1/macros", json={"name": "Shared " + uniq(), "body": "Thanks!",
                                                         "scope": "shared"}, expect=201).json()
    assert shared["scope"] == "shared" and shared["owner_id"] is None
    assert shared["id"] in [m["id"] for m in agent.api.get("/api/v1/macros", expect=200).json()["items"]]
    assert_error(agent.api.patch(f"/api/v1/macros/{shared['id']}", json={"body": "x"}), 403, "forbidden")
    agent.api.post(f"/api/v1/conversations/{ctx['conv']['id']}/macros/{shared['id']}/apply", expect=200)
    agent.api.post(f"/api/v1/conversations/{ctx['conv']['id']}/macros/{shared['id']}/apply", expect=200)
    items = agent.api.get("/api/v1/macros", expect=200).json()["items"]
    assert items[0]["usage_count"] >= items[-1]["usage_count"]  # most used first
    for bad in ({"name": "B", "body": "{{contact.nam}}"}, {"name": "B", "actions": {"priority": "urgent"}},
                {"name": "B", "actions": {"explode": True}}, {"name": "B", "actions": {"status": "gone"}},
                {"name": "B", "actions": {"team_id": 999999}}, {"name": ""}):
        assert_error(agent.api.post("/api/v1/macros", json=bad), 422, "validation_failed")
    # Trainees may preview macros with actions but not apply the actions.
    act = agent.api.post("/api/v1/macros", json={"name": "Act " + uniq(), "actions": {"status": "pending"}},
                         expect=201)
    t = trainee.api.post("/api/v1/macros", json={"name": "T " + uniq(), "actions": {"add_tags": ["t"]}},
                         expect=201).json()
    trainee.api.post(f"/api/v1/conversations/{ctx['conv']['id']}/macros/{t['id']}/apply", json={"preview": True},
                     expect=200)
    assert_error(trainee.api.post(f"/api/v1/conversations/{ctx['conv']['id']}/macros/{t['id']}/apply"), 403,
                 "forbidden")
    agent.api.delete(f"/api/v1/macros/{mine['id']}", expect=204)
    assert_error(agent.api.get(f"/api/v1/macros/{mine['id']}"), 404, "not_found")
    assert act.status_code == 201


# ---------------------------------------------------------------- deflection report


def test_deflection_report(server, api, anon, supervisor, agent, articles):
    gap = uword("gap", 10)
    for _ in range(2):
        anon.get("/api/v1/articles/search", params={"q": gap}, expect=200)
    s = requests.Session()
    s.trust_env = False
    s.get(f"{server.base_url}/help/en/articles/{articles['refund']['id']}")
    visitor = s.cookies["sb_visitor"]
    c = widget_conv(api, "refund question", subject="refund")
    api.post(f"/api/v1/conversations/{c['id']}/visitor", json={"visitor": visitor}, expect=204)
    import time
    deadline = time.monotonic() + 5
    while True:  # searches and views are logged asynchronously
        rep = supervisor.api.get("/api/v1/reports/deflection", expect=200).json()
        gaps = {g["query"]: g["searches"] for g in rep["content_gaps"]}
        vb = rep["viewed_before_conversation"]
        if (gaps.get(gap) == 2 and vb["after_viewing"] >= 1) or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert gaps.get(gap) == 2
    assert vb["conversations"] >= 1 and vb["after_viewing"] >= 1
    assert articles["refund"]["id"] in [a["article_id"] for a in vb["top_articles"]]
    bot = rep["bot"]
    assert bot["offered"] >= 3 and bot["accepted"] >= 1 and bot["rejected"] >= 1 and bot["questions"] >= bot["offered"]
    assert rep["article_views"]["help"] >= 1
    assert_error(agent.api.get("/api/v1/reports/deflection"), 403, "forbidden")
    assert_error(supervisor.api.get("/api/v1/reports/deflection", params={"from": "yesterday"}), 400, "bad_request")
    empty = supervisor.api.get("/api/v1/reports/deflection", params={"from": "2001-01-01", "to": "2001-01-02"},
                               expect=200).json()
    assert empty["bot"]["questions"] == 0 and empty["content_gaps"] == []
