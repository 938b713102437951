"""The widget outside business hours and at the end of a conversation, in Chromium: the customer
is told when the team will answer, confirms the solution with a button and rates the help."""
from browser import By, new_browser, wait_for
from sbtest import uniq
from test_widget_browser import messages, open_widget, q, say

OFFICE = {"timezone": "Europe/Kyiv", "hours": {d: [["09:00", "18:00"]] for d in ("mon", "tue", "wed", "thu", "fri")}}


def test_after_hours_promise_solve_confirmation_and_rating(make_server):
    srv = make_server("widgetfb", extra_args=("--test-clock",))
    admin = srv.new_user("admin")
    api = admin.api
    api.put("/api/v1/_test/clock", json={"now": "2026-11-28T10:00:00Z"}, expect=200)  # Saturday noon in Kyiv
    cal = api.post("/api/v1/calendars", json={"name": "Kyiv office", **OFFICE}, expect=201).json()
    api.put("/api/v1/after-hours/widget", json={
        "calendar_id": cal["id"], "templates": {"en": "We are away for the weekend and answer {{next_open}}."}},
        expect=200)
    b = new_browser()
    try:
        b.get(srv.base_url + "/widget-demo")
        open_widget(b)
        away = wait_for(lambda: [e for e in q(b, "widget-away") if e.is_displayed()], message="the away notice")[0]
        assert "on Monday at 09:00 (Europe/Kyiv time)" in away.text
        question = uniq("Weekend question ")
        say(b, question)
        # the chat itself holds the promise, as an automatic message
        wait_for(lambda: any(d == "out" and "on Monday at 09:00" in t for d, t in messages(b)),
                 message="the automatic after-hours reply")
        cid = api.get("/api/v1/conversations", params={"status": "open"}).json()["items"][0]["id"]
        assert api.get_conversation(cid)["channel"] == "widget"

        # Monday: an agent answers and solves; the customer confirms in the widget
        api.put("/api/v1/_test/clock", json={"now": "2026-11-30T08:00:00Z"}, expect=200)
        api.post_message(cid, "Here is the fix.", status="solved")
        wait_for(lambda: [e for e in q(b, "widget-resolved-yes") if e.is_displayed()], message="the solved question")[0].click()
        wait_for(lambda: api.get_conversation(cid)["status"] == "closed", message="closed by the customer")
        # closing sends the survey: the customer rates in the widget
        wait_for(lambda: [e for e in q(b, "widget-csat-good") if e.is_displayed()], message="the rating buttons")[0].click()
        wait_for(lambda: q(b, "widget-csat-thanks"), message="thanks for the rating")
        assert api.get_conversation(cid)["csat"]["rating"] == "good"
        assert api.get("/api/v1/csat").json()["items"][0]["rating"] == "good"
    finally:
        b.quit()


def test_answer_bot_in_the_widget_hands_off_on_no(make_server):
    srv = make_server("widgetbot")
    sup = srv.new_user("supervisor")
    sup.api.post("/api/v1/articles", json={
        "title": "Reset your password", "locale": "en", "visibility": "public", "status": "published",
        "body_markdown": "To reset your password, open Settings, choose Security and press Reset password. "
                         "We email you a link to set a new password."}, expect=201)
    b = new_browser()
    try:
        b.get(srv.base_url + "/widget-demo")
        open_widget(b)
        say(b, "How do I reset my password?")
        no = wait_for(lambda: [e for e in q(b, "widget-bot-no") if e.is_displayed()], timeout=15,
                      message="the bot's answer with its buttons")[0]
        assert any(d == "out" and "Reset your password" in t for d, t in messages(b))
        no.click()
        wait_for(lambda: q(b, "widget-bot-done"), message="the hand-off notice")
        cid = sup.api.get("/api/v1/conversations", params={"status": "open"}).json()["items"][0]["id"]
        conv = sup.api.get_conversation(cid)
        assert conv["channel"] == "widget" and conv["status"] == "open" and "bot-handoff" in conv["tags"]
    finally:
        b.quit()
