"""The agent workspace in headless Chromium: login, live list, reply and note, collision
detection, resuming a dropped event stream, and hostile email HTML that must run nothing."""
import pytest
import requests

from browser import (PASSWORD, By, list_item, login, new_browser, open_conversation, timeline,
                     unexpected_errors, wait_for)
from sbtest import uemail, uniq


@pytest.fixture(scope="module")
def agent_user(server):
    return server.new_user("agent", password=PASSWORD)


@pytest.fixture
def browser():
    b = new_browser()
    yield b
    b.quit()


def test_login_live_list_reply_and_note(server, admin, agent_user, browser):
    b = browser
    login(b, server, agent_user)
    subject = uniq("Printer on fire")
    conv = admin.api.create_conversation(subject=subject, body="It smokes.", email=uemail("carla"), name="Carla")
    cid = conv["id"]
    wait_for(lambda: list_item(b, cid), message="the new conversation to appear live")
    assert subject in list_item(b, cid)[0].text
    open_conversation(b, cid)
    wait_for(lambda: ("in", ) == tuple(k for k, _ in timeline(b))[:1], message="the customer message")

    composer = b.find_element(By.CSS_SELECTOR, "[data-testid=composer]")
    composer.send_keys("Please unplug it, we are on our way.")
    b.find_element(By.CSS_SELECTOR, "[data-testid=send]").click()
    wait_for(lambda: any(k == "out" and "unplug" in t for k, t in timeline(b)), message="the reply in the timeline")

    b.find_element(By.CSS_SELECTOR, "[data-testid=note-toggle]").click()
    b.find_element(By.CSS_SELECTOR, "[data-testid=composer]").send_keys("Second fire this month: check the batch.")
    b.find_element(By.CSS_SELECTOR, "[data-testid=send]").click()
    wait_for(lambda: any(k == "note" and "Second fire" in t for k, t in timeline(b)), message="the note")

    msgs = admin.api.messages(cid)
    reply = [m for m in msgs if "unplug" in m["body_text"]]
    note = [m for m in msgs if "Second fire" in m["body_text"]]
    assert len(reply) == 1 and reply[0]["internal"] is False and reply[0]["direction"] == "out"
    assert reply[0]["author"]["id"] == agent_user.id
    assert len(note) == 1 and note[0]["internal"] is True

    # a customer message arrives live in the open conversation
    admin.api.post_message(cid, "It stopped smoking, thanks!", direction="in")
    wait_for(lambda: any(k == "in" and "stopped smoking" in t for k, t in timeline(b)), message="the live customer message")
    assert unexpected_errors(b) == []


def test_keyboard_solve_and_views(server, admin, agent_user, browser):
    b = browser
    login(b, server, agent_user)
    conv = admin.api.create_conversation(subject=uniq("keyboard"))
    cid = conv["id"]
    open_conversation(b, cid)
    b.find_element(By.CSS_SELECTOR, "body").send_keys("e")  # e: solve
    wait_for(lambda: admin.api.get_conversation(cid)["status"] == "solved", message="solved by the shortcut")
    b.find_element(By.CSS_SELECTOR, "body").send_keys("r")  # r: reply
    assert b.switch_to.active_element.get_attribute("data-testid") == "composer"


def test_collision_detection_shows_the_other_agent(server, admin, agent_user):
    other = server.new_user("agent", password=PASSWORD)
    conv = admin.api.create_conversation(subject=uniq("collision"))
    cid = conv["id"]
    a, b2 = new_browser(), new_browser()
    try:
        login(a, server, agent_user)
        open_conversation(a, cid)
        login(b2, server, other)
        open_conversation(b2, cid)
        seen = wait_for(lambda: [e for e in a.find_elements(By.CSS_SELECTOR, "[data-testid=collision-agent]")
                                 if e.get_attribute("data-agent-id") == str(other.id)], message="the other agent viewing")
        assert other.name in seen[0].text and "viewing" in seen[0].text
        b2.find_element(By.CSS_SELECTOR, "[data-testid=note-toggle]").click()
        b2.find_element(By.CSS_SELECTOR, "[data-testid=composer]").send_keys("thinking")
        wait_for(lambda: any("typing a note" in e.text for e in a.find_elements(By.CSS_SELECTOR, "[data-testid=collision-agent]")),
                 message="the other agent typing")
    finally:
        a.quit()
        b2.quit()


def test_dropped_stream_resumes_without_missing_a_message(make_server, browser):
    srv = make_server("resume")
    admin = srv.new_user("admin")
    user = srv.new_user("agent", password=PASSWORD)
    conv = admin.api.create_conversation(subject=uniq("resume"))
    cid = conv["id"]
    b = browser
    login(b, srv, user)
    open_conversation(b, cid)
    port = srv.port
    # the stream drops; meanwhile a message is written (by the same data on another port)
    srv.stop()
    wait_for(lambda: b.find_elements(By.CSS_SELECTOR, "[data-testid=live-state]:not([data-state=live])"),
             message="the page to notice the dropped stream")
    srv.start()
    srv.api(admin.token).post_message(cid, "Written while you were away", direction="in")
    other = srv.api(admin.token).create_conversation(subject=uniq("while away"))
    srv.stop()
    srv.start(port=port)
    wait_for(lambda: any("while you were away" in t for _, t in timeline(b)), timeout=30,
             message="the missed message after the reconnect")
    texts = [t for k, t in timeline(b) if "while you were away" in t]
    assert len(texts) == 1  # once, not twice
    wait_for(lambda: list_item(b, other["id"]), timeout=10, message="the missed conversation in the list")


HOSTILE = """From: Mallory <mallory@example.org>
To: support@example.com
Subject: {subject}
Message-ID: <{mid}@example.org>
MIME-Version: 1.0
Content-Type: text/html; charset=utf-8

<html><body>
<p id="hello">Hello, please click <a id="js" href="javascript:parent.document.body.dataset.pwned='link'">here</a>.</p>
<script>parent.document.body.dataset.pwned='script'</script>
<img src="x" onerror="parent.document.body.dataset.pwned='onerror'">
<svg onload="parent.document.body.dataset.pwned='svg'"></svg>
<iframe src="javascript:parent.document.body.dataset.pwned='iframe'"></iframe>
<form action="javascript:parent.document.body.dataset.pwned='form'"><button id="btn">Go</button></form>
<img src="https://tracker.example.net/pixel.gif" alt="tracker">
</body></html>
"""


def test_hostile_email_html_runs_nothing(server, admin, agent_user, browser):
    subject = uniq("hostile")
    raw = HOSTILE.format(subject=subject, mid=uniq("m")).replace("\n", "\r\n").encode()
    r = requests.post(server.base_url + "/api/v1/inbound/email", data=raw,
                      headers={"Authorization": f"Bearer {admin.token}", "Content-Type": "message/rfc822"})
    assert r.status_code in (200, 201), r.text
    cid = r.json()["conversation_id"]
    b = browser
    login(b, server, agent_user)
    open_conversation(b, cid)
    frame = wait_for(lambda: b.find_elements(By.CSS_SELECTOR, "iframe.email-html"), message="the email frame")[0]
    assert "allow-scripts" not in (frame.get_attribute("sandbox") or "")
    b.switch_to.frame(frame)
    wait_for(lambda: "Hello, please click" in b.find_element(By.TAG_NAME, "body").text, message="the email content")
    assert not b.find_elements(By.ID, "hello")  # ids from mail could clobber the page's DOM
    assert not b.find_elements(By.TAG_NAME, "script")
    for link in b.find_elements(By.TAG_NAME, "a"):
        assert not (link.get_attribute("href") or "").lower().startswith("javascript:")
        link.click()
    for btn in b.find_elements(By.TAG_NAME, "button"):
        btn.click()
    b.switch_to.default_content()
    assert b.find_element(By.TAG_NAME, "body").get_attribute("data-pwned") is None
    assert b.execute_script("return document.body.dataset.pwned || null") is None
    # the remote image waits until the agent loads it
    assert b.find_elements(By.CSS_SELECTOR, "button.images")


def test_status_and_escalation_from_the_workspace(server, admin, agent_user, browser):
    from selenium.webdriver.support.ui import Select
    l1 = admin.api.post("/api/v1/teams", json={"name": uniq("L1 desk"), "tier": "L1"}).json()
    l2 = admin.api.post("/api/v1/teams", json={"name": uniq("L2 tech"), "tier": "L2"}).json()
    admin.api.patch(f"/api/v1/teams/{l1['id']}", json={"escalation_team_id": l2["id"]}, expect=200)
    conv = admin.api.create_conversation(subject=uniq("escalate me"), team_id=l1["id"])
    b = browser
    login(b, server, agent_user)
    Select(b.find_element(By.CSS_SELECTOR, "[data-testid=my-status]")).select_by_value("online")
    wait_for(lambda: admin.api.get(f"/api/v1/agents/{agent_user.id}").json()["status"] == "online",
             message="the agent online")
    open_conversation(b, conv["id"])
    b.find_element(By.CSS_SELECTOR, "[data-testid=escalate]").click()
    b.find_element(By.CSS_SELECTOR, "[data-testid=escalate-reason]").send_keys("Needs a log analysis")
    b.find_element(By.CSS_SELECTOR, "[data-testid=escalate-reason]").submit()
    wait_for(lambda: admin.api.get_conversation(conv["id"])["team_id"] == l2["id"], message="moved to the L2 team")
    wait_for(lambda: any("Needs a log analysis" in t for _, t in timeline(b)), message="the escalation note")
