#!/usr/bin/python3
"""Front-end budgets in headless Chromium (Debian's chromium + chromium-driver):

  1. bytes of JS + CSS transferred by the first load of each page (/, /widget-demo, /contact)
     on an empty browser cache (budget: 300 KB per page);
  2. time to open a conversation of 200 messages in the workspace, from the click to the
     first paint after the timeline was built (budget: 200 ms), as measured by the page
     (performance.measure "conversation-render").

Usage: bench/ui.py [--runs N]   (starts its own server on loopback; build/switchboard)
"""
import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))
os.environ.setdefault("SWITCHBOARD_BIN", os.path.join(ROOT, "build", "switchboard"))

from browser import By, new_browser, wait_for  # noqa: E402
from sbtest import Server  # noqa: E402

PASSWORD = "bench password 1"


def page_weight(b, url):
    b.execute_cdp_cmd("Network.enable", {})
    b.execute_cdp_cmd("Network.setCacheDisabled", {"cacheDisabled": True})
    b.get(url)
    time.sleep(1.0)  # let module imports and the widget's late loads finish
    entries = b.execute_script(
        "return performance.getEntriesByType('resource').map(e => [e.name, e.initiatorType, e.transferSize, e.encodedBodySize])")
    total = 0
    files = []
    for name, kind, transfer, body in entries:
        if name.endswith(".js") or name.endswith(".css") or kind in ("script", "css", "link"):
            size = transfer or body
            total += size
            files.append((name.rsplit("/", 1)[-1], size))
    b.execute_cdp_cmd("Network.setCacheDisabled", {"cacheDisabled": False})
    return total, files


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=15)
    args = ap.parse_args()
    srv = Server(tempfile.mkdtemp(prefix="sb-bench-ui-"), name="bench-ui", extra_args=["--quiet"])
    srv.start()
    try:
        admin = srv.new_user("admin")
        agent = srv.new_user("agent", password=PASSWORD)
        conv = admin.api.create_conversation(subject="Two hundred messages", body="Message 1: " + "lorem ipsum " * 20)
        cid = conv["id"]
        for i in range(2, 201):
            kind = i % 4
            body = f"Message {i}: " + ("the printer says error 0x%04x; " % i) * (1 + i % 7)
            if kind == 0:
                admin.api.post_message(cid, body, internal=True)
            elif kind == 1:
                admin.api.post_message(cid, body, direction="in")
            else:
                admin.api.post_message(cid, body)
        other = admin.api.create_conversation(subject="Small one")["id"]
        assert len(admin.api.messages(cid, limit=500)) >= 200

        b = new_browser(1400, 900)
        try:
            print("first-load JS+CSS bytes (cache disabled):")
            for path in ("/", "/widget-demo", "/contact"):
                total, files = page_weight(b, srv.base_url + path)
                print(f"  {path:14s} {total / 1024:7.1f} KB  {files}")
            b.get(srv.base_url + "/")
            wait_for(lambda: b.find_elements(By.CSS_SELECTOR, "[data-testid=login-email]"))
            b.find_element(By.CSS_SELECTOR, "[data-testid=login-email]").send_keys(agent.email)
            b.find_element(By.CSS_SELECTOR, "[data-testid=login-password]").send_keys(PASSWORD)
            b.find_element(By.CSS_SELECTOR, "[data-testid=login-submit]").click()
            wait_for(lambda: b.find_elements(By.CSS_SELECTOR, "[data-testid=me]"))
            times = []
            for run in range(args.runs + 2):
                b.execute_script("location.hash = arguments[0]", f"#/c/{other}")
                wait_for(lambda: b.find_elements(By.CSS_SELECTOR, f".detail-pane[data-rendered-id='{other}']"))
                b.execute_script("performance.clearMeasures('conversation-render')")
                b.execute_script("location.hash = arguments[0]", f"#/c/{cid}")
                wait_for(lambda: b.find_elements(By.CSS_SELECTOR, f".detail-pane[data-rendered-id='{cid}']"))
                n = len(b.find_elements(By.CSS_SELECTOR, "[data-testid=timeline-message]"))
                ms = b.execute_script("const m = performance.getEntriesByName('conversation-render'); return m.length ? m[m.length-1].duration : null")
                if run >= 2:  # the first two warm the caches
                    times.append(ms)
            times.sort()
            print(f"open a conversation of {n} timeline items: median {statistics.median(times):.1f} ms, "
                  f"p90 {times[int(len(times) * 0.9) - 1]:.1f} ms, max {times[-1]:.1f} ms over {len(times)} runs")
        finally:
            b.quit()
    finally:
        srv.stop()


if __name__ == "__main__":
    main()
