"""Both sides in Chromium: a customer chats in the widget on the demo page, an agent answers
in the workspace. The customer sees the reply live, sees the agent typing, never the note;
the agent sees the customer's messages live."""
from browser import PASSWORD, By, list_item, login, new_browser, open_conversation, timeline, wait_for
from sbtest import uniq
from test_widget_browser import find_conversation, messages, open_widget, q, say


def test_widget_customer_and_workspace_agent(server, admin):
    agent = server.new_user("agent", password=PASSWORD, name="Maria Lopez")
    desk, customer = new_browser(), new_browser()
    try:
        login(desk, server, agent)
        customer.get(server.base_url + "/widget-demo")
        open_widget(customer)
        question = uniq("My parcel never arrived ")
        say(customer, question)

        # the new widget conversation appears live in the agent's list
        cid = find_conversation(admin.api, question.split()[-1])
        wait_for(lambda: list_item(desk, cid), timeout=15, message="the widget conversation in the workspace")
        assert admin.api.get_conversation(cid)["channel"] == "widget"
        open_conversation(desk, cid)
        wait_for(lambda: any(k == "in" and question in t for k, t in timeline(desk)), message="the question")

        # a note first: the customer must never see it
        secret = uniq("NOTE-only-for-agents-")
        desk.find_element(By.CSS_SELECTOR, "[data-testid=note-toggle]").click()
        desk.find_element(By.CSS_SELECTOR, "[data-testid=composer]").send_keys(secret)
        desk.find_element(By.CSS_SELECTOR, "[data-testid=send]").click()
        wait_for(lambda: any(k == "note" and secret in t for k, t in timeline(desk)), message="the note")

        # then the reply, typed in the composer: the customer sees the agent typing, then the reply
        desk.find_element(By.CSS_SELECTOR, "[data-testid=note-toggle]").click()
        composer = desk.find_element(By.CSS_SELECTOR, "[data-testid=composer]")
        reply = uniq("Sorry about that, a new one ships today ")
        composer.send_keys(reply[:10])
        wait_for(lambda: "Maria Lopez is typing" in q(customer, "widget-typing")[0].text, message="agent typing in the widget")
        composer.send_keys(reply[10:])
        desk.find_element(By.CSS_SELECTOR, "[data-testid=send]").click()
        wait_for(lambda: any(d == "out" and reply in t for d, t in messages(customer)), message="the reply in the widget")
        assert all(secret not in t for _, t in messages(customer))
        assert secret not in customer.page_source  # not even hidden in the light DOM
        shadow_text = customer.execute_script(
            "return document.querySelector('#switchboard-widget').shadowRoot.textContent")
        assert secret not in shadow_text

        # the customer answers; the agent sees it live
        thanks = uniq("Great, thank you ")
        say(customer, thanks)
        wait_for(lambda: any(k == "in" and thanks in t for k, t in timeline(desk)), message="the customer's answer live")
    finally:
        desk.quit()
        customer.quit()
