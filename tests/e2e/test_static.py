"""The front end's static files: pages with a strict CSP, ETags, nothing outside web/."""
import requests


def test_index_has_strict_csp(server):
    r = requests.get(server.base_url + "/")
    assert r.status_code == 200
    assert r.headers["Content-Type"].startswith("text/html")
    csp = r.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert '<script type="module" src="/assets/main.js">' in r.text


def test_etag_revalidation(server):
    r = requests.get(server.base_url + "/assets/main.js")
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/javascript")
    etag = r.headers["ETag"]
    r2 = requests.get(server.base_url + "/assets/main.js", headers={"If-None-Match": etag})
    assert r2.status_code == 304 and r2.content == b""
    r3 = requests.get(server.base_url + "/assets/main.js", headers={"If-None-Match": '"other"'})
    assert r3.status_code == 200 and r3.content == r.content


def test_only_known_files(server):
    for path in ("/assets/nope.js", "/assets/..%2F..%2FCMakeLists.txt", "/assets/.hidden",
                 "/assets/../src/main.c", "/assets/"):
        r = requests.get(server.base_url + path)
        assert r.status_code == 404, path


def test_widget_script_is_embeddable(server):
    r = requests.get(server.base_url + "/widget.js")
    assert r.status_code == 200
    assert r.headers["Content-Type"].startswith("text/javascript")
    assert r.headers["Access-Control-Allow-Origin"] == "*"


def test_favicon_for_every_page(server):
    r = requests.get(server.base_url + "/favicon.ico")
    assert r.status_code == 200 and r.headers["Content-Type"] == "image/svg+xml"
