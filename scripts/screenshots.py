#!/usr/bin/python3
"""Takes the screenshots in docs/screenshots/ from a freshly seeded server in headless
Chromium: the agent workspace and the web form. (The widget's, mid-conversation, comes from
`SB_SCREENSHOTS=1 python3 -m pytest tests/e2e/test_widget_browser.py`.)
Usage: scripts/screenshots.py   (needs build/switchboard)"""
import os
import sys
import tempfile

import requests

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))
os.environ.setdefault("SWITCHBOARD_BIN", os.path.join(ROOT, "build", "switchboard"))

from browser import By, new_browser, wait_for  # noqa: E402
from sbtest import Server  # noqa: E402

OUT = os.path.join(ROOT, "docs", "screenshots")
PASSWORD = "screenshot pass 1"


def seed(srv):
    admin = srv.new_user("admin", name="Ada Admin")
    agent = srv.new_user("agent", password=PASSWORD, name="Sam Support")
    peer = srv.new_user("agent", password=PASSWORD, name="Tess Technical")
    team = admin.api.post("/api/v1/teams", json={"name": "Client support", "tier": "L1",
                                                 "member_ids": [agent.id, peer.id]}).json()
    org = admin.api.post("/api/v1/organizations", json={"name": "Acme Printing", "account_manager_id": agent.id}).json()
    convs = [
        ("The invoice for October is missing", "Hi, I cannot find the October invoice in my account.", "maria@acme.example", "Maria Lopez"),
        ("Printer driver crashes on macOS 15", "Since the update, the driver crashes whenever I print a PDF.", "kenji@acme.example", "Kenji Sato"),
        ("How do I add a colleague?", "We hired someone: how do they get access?", "olena@shop.example", "Olena Koval"),
        ("Refund for a double charge", "I was charged twice for order 55120.", "lee@mail.example", "Lee Wong"),
    ]
    ids = []
    for subject, body, email, name in convs:
        c = admin.api.create_conversation(subject=subject, body=body, email=email, name=name)
        ids.append(c["id"])
    contact_id = admin.api.get_conversation(ids[1])["contact_id"]
    admin.api.patch(f"/api/v1/contacts/{contact_id}", json={"organization_id": org["id"]})
    admin.api.patch_conversation(ids[3], priority="urgent", priority_reason="Charged twice, customer is upset")
    admin.api.patch_conversation(ids[1], team_id=team["id"], assignee_id=agent.id, tags=["macos", "driver"])
    agent.api.post_message(ids[1], "Thanks Kenji! Which driver version do you have? You find it under *Settings → About*.")
    admin.api.post_message(ids[1], "Version 4.2.1, installed yesterday.", direction="in")
    peer.api.post_message(ids[1], "Known crash in 4.2.1 with PDF/A files; 4.2.2 fixes it. @Sam Support", internal=True,
                          mentions=[agent.id])
    return agent, peer, ids


def login(b, srv, user):
    b.get(srv.base_url + "/")
    wait_for(lambda: b.find_elements(By.CSS_SELECTOR, "[data-testid=login-email]"))
    b.find_element(By.CSS_SELECTOR, "[data-testid=login-email]").send_keys(user.email)
    b.find_element(By.CSS_SELECTOR, "[data-testid=login-password]").send_keys(PASSWORD)
    b.find_element(By.CSS_SELECTOR, "[data-testid=login-submit]").click()
    wait_for(lambda: b.find_elements(By.CSS_SELECTOR, "[data-testid=me]"))


def main():
    os.makedirs(OUT, exist_ok=True)
    srv = Server(tempfile.mkdtemp(prefix="sb-shots-"), name="shots", extra_args=["--quiet"])
    srv.start()
    try:
        agent, peer, ids = seed(srv)
        b, b2 = new_browser(1440, 860), new_browser()
        try:
            login(b2, srv, peer)
            b2.get(srv.base_url + f"/#/c/{ids[1]}")
            login(b, srv, agent)
            b.get(srv.base_url + f"/#/view/all/c/{ids[1]}")
            wait_for(lambda: b.find_elements(By.CSS_SELECTOR, "[data-testid=collision-agent]"))
            b.save_screenshot(os.path.join(OUT, "workspace.png"))
            for name, path, ready in (("contact", "/contact", "form"),):
                if requests.get(srv.base_url + path).status_code != 200:
                    print("skipped", path, "(not served)")
                    continue
                b.get(srv.base_url + path)
                wait_for(lambda: b.find_elements(By.CSS_SELECTOR, ready))
                b.save_screenshot(os.path.join(OUT, f"{name}.png"))
        finally:
            b.quit()
            b2.quit()
    finally:
        srv.stop()
    print("screenshots written to", OUT)


if __name__ == "__main__":
    main()
