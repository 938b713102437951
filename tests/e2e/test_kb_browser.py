"""The knowledge base in the agent workspace (Chromium): a supervisor writes and publishes an
article that the help center then shows; an agent inserts a macro from the composer by
keyboard (its actions apply) and sees suggested articles."""
import requests
from selenium.webdriver.common.keys import Keys

from browser import PASSWORD, By, login, new_browser, open_conversation, wait_for
from sbtest import uniq


def test_article_editor_publishes_to_the_help_center(server):
    sup = server.new_user("supervisor", password=PASSWORD)
    b = new_browser()
    try:
        login(b, server, sup, hash_path="#/kb/new")
        title = uniq("Export invoices as CSV")
        wait_for(lambda: b.find_elements(By.CSS_SELECTOR, "[data-testid=kb-title]"), message="the editor")
        b.find_element(By.CSS_SELECTOR, "[data-testid=kb-title]").send_keys(title)
        b.find_element(By.CSS_SELECTOR, "[data-testid=kb-body]").send_keys(
            "Open **Billing**, then *Invoices*, and press Export.\n\n<script>alert(1)</script>")
        b.find_element(By.CSS_SELECTOR, "[data-testid=kb-publish]").click()
        wait_for(lambda: "#/kb/" in b.current_url and b.current_url.rstrip("/").split("/")[-2].isdigit(),
                 message="the saved article's page")
        aid = int(b.current_url.rstrip("/").split("/")[-2])
        art = sup.api.get(f"/api/v1/articles/{aid}").json()
        assert art["title"] == title and art["status"] == "published" and art["visibility"] == "public"
        page = requests.get(server.base_url + f"/help/en/articles/{aid}")
        assert page.status_code == 200 and title in page.text
        assert "<strong>Billing</strong>" in page.text and "<script>alert(1)" not in page.text
        # the list shows it
        b.get(server.base_url + "/#/kb")
        wait_for(lambda: [r for r in b.find_elements(By.CSS_SELECTOR, "[data-testid=kb-article-row]")
                          if r.get_attribute("data-article-id") == str(aid)], message="the article in the list")
    finally:
        b.quit()


def test_macro_by_keyboard_and_suggested_articles(server, admin):
    agent = server.new_user("agent", password=PASSWORD, name="Sam Support")
    sup = server.new_user("supervisor")
    sup.api.post("/api/v1/articles", json={
        "title": "Refund a double charge", "locale": "en", "visibility": "public", "status": "published",
        "body_markdown": "When a card was charged twice for one order, we refund the double charge within 5 days."},
        expect=201)
    name = uniq("Refund promised")
    sup.api.post("/api/v1/macros", json={
        "name": name, "scope": "shared", "body": "Hi {{contact.first_name}}, {{agent.first_name}} here: the refund is on its way.",
        "actions": {"status": "pending", "add_tags": ["refund"]}}, expect=201)
    conv = admin.api.create_conversation(subject="I was charged twice", body="My card was charged twice for order 55120.",
                                         email=uniq("lee") + "@example.com", name="Lee Wong")
    b = new_browser()
    try:
        login(b, server, agent)
        open_conversation(b, conv["id"])
        sugg = wait_for(lambda: b.find_elements(By.CSS_SELECTOR, "[data-testid=suggested-article]"), message="suggestions")
        assert "Refund a double charge" in sugg[0].text
        box = b.find_element(By.CSS_SELECTOR, "[data-testid=composer]")
        box.send_keys(";;" + name[:8])
        wait_for(lambda: [o for o in b.find_elements(By.CSS_SELECTOR, "[data-testid=macro-option]") if name in o.text],
                 message="the macro in the picker")
        box.send_keys(Keys.ENTER)
        wait_for(lambda: "Hi Lee, Sam here: the refund is on its way." in box.get_attribute("value"),
                 message="the expanded macro in the composer")
        c = admin.api.get_conversation(conv["id"])
        assert c["status"] == "pending" and "refund" in c["tags"]
        used = [m for m in sup.api.get("/api/v1/macros").json()["items"] if m["name"] == name][0]
        assert used["usage_count"] == 1
    finally:
        b.quit()
