"""The chat widget in a real browser (headless Chromium): a customer on the demo page chats
with an agent who answers through the API; replies, typing and files arrive live, internal
notes never do, the conversation survives a reload, and the strict CSP is never violated.

SB_SCREENSHOTS=1 writes docs/screenshots/widget.png (the widget mid-conversation)."""
import hashlib
import hmac
import os

import pytest

from browser import By, console_errors, new_browser, wait_for
from sbtest import uniq

SCREENSHOT = os.path.join(os.path.dirname(__file__), "..", "..", "docs", "screenshots", "widget.png")


@pytest.fixture(scope="module")
def driver():
    d = new_browser(1280, 860)
    yield d
    d.quit()


def shadow(driver):
    host = wait_for(lambda: driver.find_elements(By.CSS_SELECTOR, "#switchboard-widget"), message="widget host")[0]
    return host.shadow_root


def q(driver, testid):
    return shadow(driver).find_elements(By.CSS_SELECTOR, f"[data-testid={testid}]")


def messages(driver):
    return [(m.get_attribute("data-direction"), m.text) for m in q(driver, "widget-message")]


def panel_text(driver):
    return shadow(driver).find_element(By.CSS_SELECTOR, ".panel").get_attribute("textContent")


def open_widget(driver):
    launcher = wait_for(lambda: [b for b in q(driver, "widget-launcher") if b.is_displayed()], message="launcher")[0]
    if launcher.get_attribute("aria-expanded") != "true":
        launcher.click()
    wait_for(lambda: q(driver, "widget-input")[0].is_displayed(), message="open panel")


def say(driver, text):
    box = q(driver, "widget-input")[0]
    box.send_keys(text)
    q(driver, "widget-send")[0].click()
    wait_for(lambda: any(d == "in" and text in t for d, t in messages(driver)), message=f"own message {text!r}")


def find_conversation(api, text):
    def look():
        items = api.get("/api/v1/search", params={"q": text}, expect=200).json()["items"]
        return items and items[0]["conversation_id"]
    return wait_for(look, message="the conversation on the agent side")


def test_customer_chats_with_an_agent(server, driver, api, tmp_path):
    agent = server.new_user("agent", name="Maria Lopez")
    driver.get(server.base_url + "/widget-demo")
    open_widget(driver)
    first = uniq("Where is my spade ")
    say(driver, first)
    cid = find_conversation(api, first.split()[-1])
    conv = api.get_conversation(cid)
    assert conv["channel"] == "widget" and conv["contact"]["name"].startswith("Visitor ")

    # an internal note is posted first, then typing, then the reply: only the reply shows
    secret = uniq("NOTE-never-shown-")
    agent.api.post_message(cid, secret, internal=True)
    agent.api.post(f"/api/v1/conversations/{cid}/presence", json={"state": "typing", "mode": "reply"}, expect=200)
    wait_for(lambda: f"{agent.name} is typing" in q(driver, "widget-typing")[0].text, message="agent typing")
    reply = uniq("It ships tomorrow ")
    agent.api.post_message(cid, reply)
    wait_for(lambda: any(d == "out" and reply in t and agent.name in t for d, t in messages(driver)),
             message="the agent's reply, live")
    assert secret not in panel_text(driver) and secret not in driver.page_source
    assert q(driver, "widget-typing")[0].text == ""  # the reply ends the typing indicator

    # the customer types: agents see it; the customer attaches a file: agents get it
    from sbtest import SSEStream
    with SSEStream(server, token=agent.token) as es:
        q(driver, "widget-input")[0].send_keys("typing now")
        got = es.read_until(lambda e: e.event == "typing" and e.json().get("conversation_id") == cid)
        assert got[-1].json()["who"] == "customer"
    q(driver, "widget-input")[0].clear()
    path = tmp_path / "receipt.txt"
    path.write_bytes(b"order 4711")
    q(driver, "widget-file")[0].send_keys(str(path))
    wait_for(lambda: any("receipt.txt" in b.text for b in q(driver, "widget-attachment")), message="own attachment")
    atts = wait_for(lambda: [a for m in api.messages(cid) for a in m["attachments"]], message="attachment for agents")
    assert atts[0]["filename"] == "receipt.txt"

    # an agent's file arrives live too
    up = agent.api.post("/api/v1/uploads?filename=manual.pdf", data=b"%PDF-1.4 manual",
                        headers={"Content-Type": "application/pdf"}, expect=201).json()
    agent.api.post(f"/api/v1/conversations/{cid}/messages", json={"body": "Here is the manual", "attachments": [up]},
                   expect=201)
    wait_for(lambda: any("manual.pdf" in b.text for b in q(driver, "widget-attachment")), message="agent attachment")

    # docs/screenshots/widget.png is rewritten only on request, so test runs leave the tree clean
    shot = SCREENSHOT if os.environ.get("SB_SCREENSHOTS") else str(tmp_path / "widget.png")
    os.makedirs(os.path.dirname(shot), exist_ok=True)
    assert driver.save_screenshot(shot)

    # after a reload the conversation is still there (token in localStorage)
    before = messages(driver)
    driver.refresh()
    open_widget(driver)
    wait_for(lambda: messages(driver) == before, message="the same conversation after a reload")
    assert secret not in panel_text(driver)
    # and live updates still work
    again = uniq("Anything else? ")
    agent.api.post_message(cid, again)
    wait_for(lambda: any(again in t for d, t in messages(driver)), message="a reply after the reload")
    assert console_errors(driver) == []


def test_escape_closes_and_lead_email(server, driver, api):
    driver.execute_script("localStorage.clear()")
    driver.get(server.base_url + "/widget-demo")
    open_widget(driver)
    assert messages(driver) == []  # a new visitor after the storage was cleared
    say(driver, uniq("hello from a lead "))
    email_box = wait_for(lambda: [e for e in q(driver, "widget-email") if e.is_displayed()], message="lead form")[0]
    email = uniq("lead") + "@example.org"
    email_box.send_keys(email)
    email_box.submit()
    wait_for(lambda: not q(driver, "widget-email")[0].is_displayed(), message="lead form done")
    token = driver.execute_script("return localStorage.getItem('switchboard:' + location.origin + ':token')")
    import requests
    me = requests.get(server.base_url + "/api/v1/widget/me", headers={"X-Visitor-Token": token}).json()
    assert me == {"name": me["name"], "email": email, "verified": False}
    q(driver, "widget-input")[0].send_keys("\ue00c")  # Escape
    wait_for(lambda: not q(driver, "widget-input")[0].is_displayed(), message="Escape closes")
    launcher = q(driver, "widget-launcher")[0]
    assert launcher.get_attribute("aria-expanded") == "false"
    assert driver.execute_script("return document.activeElement.shadowRoot.activeElement.dataset.testid") \
        == "widget-launcher"
    assert console_errors(driver) == []


def test_identify_ties_the_chat_to_the_contact(server, driver, api):
    secret = api.get("/api/v1/settings/widget", expect=200).json()["secret"]
    uid = uniq("shop-user-")
    sig = hmac.new(secret.encode(), uid.encode(), hashlib.sha256).hexdigest()
    driver.execute_script("localStorage.clear()")
    driver.get(server.base_url + "/widget-demo")
    wait_for(lambda: driver.execute_script("return !!(window.Switchboard && window.Switchboard.identify)"))
    driver.execute_script("return window.Switchboard.identify({user_id: arguments[0], user_hash: arguments[1],"
                          " name: 'Ida Known'})", uid, sig)
    open_widget(driver)
    text = uniq("verified hello ")
    say(driver, text)
    cid = find_conversation(api, text.split()[-1])
    contact = api.get_conversation(cid)["contact"]
    assert contact["name"] == "Ida Known"
    assert {"kind": "widget", "value": uid} in api.get(f"/api/v1/contacts/{contact['id']}").json()["identities"]
    assert console_errors(driver) == []


def test_phone_layout_is_full_screen(server):
    d = new_browser(390, 800)
    try:
        # a desktop window cannot be this narrow: emulate the phone's viewport
        d.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                          {"width": 390, "height": 800, "deviceScaleFactor": 2, "mobile": True})
        d.get(server.base_url + "/widget-demo")
        assert d.execute_script("return window.innerWidth") == 390
        open_widget(d)
        panel = shadow(d).find_element(By.CSS_SELECTOR, ".panel")
        assert panel.size["width"] >= 385 and panel.size["height"] >= 700
        assert console_errors(d) == []
    finally:
        d.quit()


def test_reply_sent_while_the_stream_was_down_arrives(make_server, driver):
    """The server restarts under an open widget: EventSource reconnects (retry 2 s) with
    Last-Event-ID, and a reply committed before the reconnect is not lost."""
    srv = make_server("widget-restart")
    agent = srv.new_user("agent")
    driver.execute_script("localStorage.clear()")
    driver.get(srv.base_url + "/widget-demo")
    open_widget(driver)
    text = uniq("before the restart ")
    say(driver, text)
    cid = find_conversation(agent.api, text.split()[-1])
    port = srv.port
    srv.stop()
    srv.start(port=port)
    reply = uniq("while you were away ")
    agent.api.post_message(cid, reply)
    wait_for(lambda: any(reply in t for d, t in messages(driver)), timeout=15, message="the missed reply")
    errors = [e for e in console_errors(driver) if "/api/v1/widget/events" not in e["message"]]
    assert errors == []  # the dropped stream itself may be logged; nothing else


def test_polling_when_eventsource_is_missing(server, agent):
    """A browser (or proxy) where EventSource cannot work still gets the replies, by polling."""
    d = new_browser()
    try:
        d.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": "delete window.EventSource;"})
        d.get(server.base_url + "/widget-demo")
        assert d.execute_script("return typeof EventSource") == "undefined"
        open_widget(d)
        text = uniq("no sse here ")
        say(d, text)
        cid = find_conversation(agent.api, text.split()[-1])
        reply = uniq("polled reply ")
        agent.api.post_message(cid, reply)
        wait_for(lambda: any(reply in t for _, t in messages(d)), timeout=15, message="the reply, by polling")
        assert console_errors(d) == []
    finally:
        d.quit()
