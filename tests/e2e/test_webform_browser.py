"""The web form in Chromium: a customer fills /contact, the conversation arrives live in the
agent workspace with the form's answers in its sidebar."""
from selenium.webdriver.support.ui import Select

from browser import PASSWORD, By, console_errors, list_item, login, new_browser, open_conversation, wait_for
from sbtest import uemail, uniq


def test_form_creates_a_conversation_with_its_fields(server, admin):
    agent = server.new_user("agent", password=PASSWORD)
    customer, desk = new_browser(), new_browser()
    try:
        login(desk, server, agent)
        customer.get(server.base_url + "/contact")
        by = lambda tid: customer.find_element(By.CSS_SELECTOR, f"[data-testid={tid}]")  # noqa: E731
        wait_for(lambda: customer.find_elements(By.CSS_SELECTOR, "[data-testid=contact-form]"), message="the form")
        subject = uniq("Cannot export invoices")
        email = uemail("form")
        by("contact-name").send_keys("Olena Koval")
        by("contact-email").send_keys(email)
        by("contact-subject").send_keys(subject)
        Select(by("contact-field-category")).select_by_visible_text("Billing")
        by("contact-field-product").send_keys("Switchboard Cloud")
        by("contact-field-link").send_keys("https://app.example.com/invoices/2026-10")
        by("contact-field-description").send_keys("The export button does nothing since Monday.")
        by("contact-submit").click()
        ref = wait_for(lambda: customer.find_elements(By.CSS_SELECTOR, "[data-testid=contact-reference]"),
                       message="the thank-you page")[0].text
        cid = int(ref.lstrip("#"))
        assert [e for e in console_errors(customer) if "favicon" not in e["message"]] == []

        conv = admin.api.get_conversation(cid)
        assert conv["channel"] == "webform" and conv["subject"] == subject
        assert conv["contact"]["email"] == email and conv["contact"]["name"] == "Olena Koval"
        assert conv["fields"]["category"] == "Billing"
        assert conv["fields"]["product"] == "Switchboard Cloud"
        assert conv["fields"]["link"] == "https://app.example.com/invoices/2026-10"
        body = admin.api.messages(cid)[0]["body_text"]
        assert "The export button does nothing" in body

        # the agent sees it arrive live and reads the answers in the sidebar
        wait_for(lambda: list_item(desk, cid), message="the form conversation in the workspace")
        open_conversation(desk, cid)
        fields = wait_for(lambda: desk.find_elements(By.CSS_SELECTOR, "[data-testid=form-fields]"), message="the answers")
        assert "Billing" in fields[0].text and "Switchboard Cloud" in fields[0].text
    finally:
        customer.quit()
        desk.quit()
