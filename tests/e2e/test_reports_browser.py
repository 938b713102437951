"""The reports page in headless Chromium: a supervisor opens it from the sidebar and sees its
charts (inline SVG), tables and CSV links; filters reload the figures; an agent has no link."""
import pytest

from browser import PASSWORD, By, login, new_browser, unexpected_errors, wait_for
from sbtest import uemail, uniq


@pytest.fixture
def browser():
    b = new_browser()
    yield b
    b.quit()


def seed(api, agent):
    team = api.post("/api/v1/teams", json={"name": uniq("Support")}, expect=201).json()["id"]
    ids = []
    for i in range(6):
        c = api.create_conversation(subject=uniq("report"), tags=["billing" if i % 2 else "login"])
        api.patch_conversation(c["id"], assignee_id=agent.id, team_id=team)
        agent.api.post_message(c["id"], "Looking into it")
        if i % 3 == 0:
            api.patch_conversation(c["id"], status="solved")
        ids.append(c["id"])
    return ids


def text_of(b, css):
    # textContent: sections below the fold are not "displayed" to WebDriver's .text
    return b.find_element(By.CSS_SELECTOR, css).get_attribute("textContent")


def svg_count(b, section, selector):
    return len(b.find_elements(By.CSS_SELECTOR, f"[data-testid=report-{section}] svg[data-testid=chart] {selector}"))


def test_supervisor_sees_charts(server, admin, browser):
    sup = server.new_user("supervisor", password=PASSWORD)
    agent = server.new_user("agent", password=PASSWORD)
    seed(admin.api, agent)
    b = browser
    login(b, server, sup)
    b.find_element(By.CSS_SELECTOR, "[data-testid=reports-link]").click()
    wait_for(lambda: b.find_elements(By.CSS_SELECTOR, "[data-testid=report-agents] table"), message="the reports")
    assert svg_count(b, "volume", "rect.bar") >= 28  # one bar per day of the last 30 days
    assert svg_count(b, "volume", "polyline") == 1
    assert svg_count(b, "heatmap", "rect.cell") == 168
    assert svg_count(b, "sla", "rect.bar") == 3
    assert svg_count(b, "backlog", "rect.bar") == 6
    bars = b.find_elements(By.CSS_SELECTOR, "[data-testid=report-volume] rect.bar")
    assert sum(float(r.get_attribute("height")) > 0 for r in bars) >= 1
    tags = text_of(b, "[data-testid=report-tags] table")
    assert "billing" in tags and "login" in tags
    assert agent.name in text_of(b, "[data-testid=report-agents] table")
    href = b.find_element(By.CSS_SELECTOR, "[data-testid=csv-volume]").get_attribute("href")
    assert "/api/v1/reports/volume?" in href and "format=csv" in href
    # a tag filter reloads the figures
    tag = b.find_element(By.CSS_SELECTOR, "[data-testid=report-filters] input[aria-label=Tag]")
    tag.send_keys("billing")
    b.find_element(By.CSS_SELECTOR, "[data-testid=report-filters] button[type=submit]").click()
    wait_for(lambda: "login" not in text_of(b, "[data-testid=report-tags] table"),
             message="the tag filter")
    assert unexpected_errors(b) == []


def test_agent_has_no_reports_link(server, browser):
    agent = server.new_user("agent", password=PASSWORD)
    b = browser
    login(b, server, agent)
    assert not b.find_elements(By.CSS_SELECTOR, "[data-testid=reports-link]")
    b.get(server.base_url + "/#/reports")
    wait_for(lambda: b.find_elements(By.CSS_SELECTOR, "[data-testid=report-volume]"), message="own figures")
    assert not b.find_elements(By.CSS_SELECTOR, "[data-testid=report-agents]")
    assert unexpected_errors(b) == []
