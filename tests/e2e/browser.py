"""Headless Chromium (Debian's chromium + chromium-driver) driven by Selenium, for browser tests.

    from browser import new_browser, wait_for
    b = new_browser()              # a fresh profile; b.quit() when done
    wait_for(lambda: b.find_elements(By.CSS_SELECTOR, "[data-testid=send]"))

Every browser's console is checked for CSP violations and uncaught errors by `console_errors`.
"""
import os
import shutil
import tempfile
import time

import pytest

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By  # noqa: F401  (re-exported for tests)

CHROMIUM = os.environ.get("SB_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("SB_CHROMEDRIVER", "/usr/bin/chromedriver")
SCALE = 3.0 if os.environ.get("SB_SANITIZE", "OFF").upper() in ("ON", "1", "TRUE") else 1.0


def browser_available():
    return os.path.exists(CHROMIUM) and os.path.exists(CHROMEDRIVER)


def new_browser(width=1280, height=900):
    if not browser_available():
        pytest.fail("chromium and chromium-driver are required (scripts/install-deps.sh installs them)")
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                "--no-first-run", "--disable-extensions", "--disable-background-networking",
                f"--window-size={width},{height}"):
        opts.add_argument(arg)
    profile = tempfile.mkdtemp(prefix="sb-chromium-")
    opts.add_argument(f"--user-data-dir={profile}")
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)
    driver.set_page_load_timeout(30 * SCALE)
    orig_quit = driver.quit

    def quit_and_clean():
        try:
            orig_quit()
        finally:
            shutil.rmtree(profile, ignore_errors=True)

    driver.quit = quit_and_clean
    return driver


def wait_for(fn, timeout=10.0, interval=0.05, message="condition"):
    """Polls fn until it returns a truthy value; returns it. No fixed sleeps in tests."""
    deadline = time.monotonic() + timeout * SCALE
    last_exc = None
    while time.monotonic() < deadline:
        try:
            v = fn()
            if v:
                return v
        except Exception as e:  # stale elements while the page re-renders
            last_exc = e
        time.sleep(interval)
    raise AssertionError(f"timed out waiting for {message}" + (f" (last error: {last_exc!r})" if last_exc else ""))


def console_errors(driver):
    """Severe console entries: CSP violations, uncaught exceptions, failed loads."""
    return [e for e in driver.get_log("browser") if e.get("level") == "SEVERE"]


# ---- the agent workspace ----

PASSWORD = "correct horse battery"


def login(b, server, user, hash_path="#/view/all"):
    b.get(server.base_url + "/")
    wait_for(lambda: b.find_elements(By.CSS_SELECTOR, "[data-testid=login-email]"), message="the login form")
    b.find_element(By.CSS_SELECTOR, "[data-testid=login-email]").send_keys(user.email)
    b.find_element(By.CSS_SELECTOR, "[data-testid=login-password]").send_keys(PASSWORD)
    b.find_element(By.CSS_SELECTOR, "[data-testid=login-submit]").click()
    wait_for(lambda: b.find_elements(By.CSS_SELECTOR, "[data-testid=me]"), message="the workspace")
    b.get(server.base_url + "/" + hash_path)
    wait_for(lambda: b.find_elements(By.CSS_SELECTOR, "[data-testid=live-state][data-state=live]"),
             message="the live event stream")


def list_item(b, cid):
    return b.find_elements(By.CSS_SELECTOR, f"[data-testid=conversation-list-item][data-conversation-id='{cid}']")


def open_conversation(b, cid):
    wait_for(lambda: list_item(b, cid), message=f"conversation {cid} in the list")
    list_item(b, cid)[0].find_element(By.CSS_SELECTOR, "a").click()
    wait_for(lambda: b.find_elements(By.CSS_SELECTOR, f".detail-pane[data-rendered-id='{cid}']"),
             message="the conversation view")


def timeline(b):
    return [(e.get_attribute("data-kind"), e.text) for e in b.find_elements(By.CSS_SELECTOR, "[data-testid=timeline-message]")]


def unexpected_errors(b):
    # the login page asks who is signed in first: its 401 is expected
    return [e for e in console_errors(b) if "/api/v1/auth/me" not in e["message"]]


