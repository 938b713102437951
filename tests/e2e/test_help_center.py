"""The help center at /help: server-rendered HTML per locale, escaped and valid, strict CSP,
votes, and internal/draft articles never reachable (issue 6)."""
from html.parser import HTMLParser

import pytest
import requests

from sbtest import assert_error, uniq, uword

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class Checker(HTMLParser):
    """Parses a page and records what a test must forbid: unbalanced tags, inline script or
    style, event-handler attributes, javascript: URLs."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack, self.errors, self.scripts, self.links, self.forms, self.text = [], [], [], [], [], []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        for k, v in attrs:
            if k.startswith("on") or k == "style":
                self.errors.append(f"attribute {k} on <{tag}>")
            if v and v.strip().lower().startswith("javascript:"):
                self.errors.append(f"javascript: URL in <{tag} {k}>")
        if tag == "script":
            self.scripts.append(a.get("src"))
        if tag == "style":
            self.errors.append("inline <style>")
        if tag == "a" and "href" in a:
            self.links.append(a["href"])
        if tag == "form":
            self.forms.append(a)
        if tag not in VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"unexpected </{tag}>, open: {self.stack[-3:]}")
            return
        self.stack.pop()

    def handle_data(self, data):
        if self.stack and self.stack[-1] == "script" and data.strip():
            self.errors.append("inline script text")
        self.text.append(data)


def page(client, path, status=200, **kw):
    r = client.get(path, **kw)
    assert r.status_code == status, (path, r.status_code, r.text[:500])
    assert r.headers["Content-Type"].startswith("text/html")
    csp = r.headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "script-src 'self'" in csp and "unsafe-inline" not in csp
    c = Checker()
    c.feed(r.text)
    c.close()
    assert r.text.startswith("<!DOCTYPE html>")
    assert c.errors == [], c.errors
    assert c.stack == [], f"unclosed: {c.stack}"
    assert set(c.scripts) <= {"/widget.js"}, c.scripts
    c.body = r.text
    c.all_text = "".join(c.text)
    return c


def publish(api, **kw):
    body = {"title": kw.pop("title", "Article " + uniq()), "body_markdown": kw.pop("body_markdown", "Text " + uniq()),
            "locale": kw.pop("locale", "en"), "visibility": kw.pop("visibility", "public"),
            "category": kw.pop("category", "Help " + uniq()), "status": kw.pop("status", "published")}
    body.update(kw)
    return api.post("/api/v1/articles", json=body, expect=201).json()


@pytest.fixture(scope="module", autouse=True)
def locales(api):
    api.put("/api/v1/help-center/settings", json={"locales": ["en", "ru", "es"], "default_locale": "en"}, expect=200)


def test_home_locale_negotiation_and_links(anon, api):
    a = publish(api, title="Where is my parcel " + uword(), category="Shipping " + uniq())
    c = page(anon, "/help")
    assert '<html lang="en">' in c.body
    assert f"/help/en/articles/{a['id']}" in c.links and "/contact" in c.links
    assert f"/help/en/categories/{a['category_id']}" in c.links
    c = page(anon, "/help", headers={"Accept-Language": "fr-FR, ru;q=0.8, en;q=0.5"})
    assert '<html lang="ru">' in c.body and "Центр помощи" in c.all_text
    c = page(anon, "/help", headers={"Accept-Language": "es-MX"})
    assert '<html lang="es">' in c.body
    page(anon, "/help/ru")
    page(anon, "/help/fr", status=404)  # not a help-center locale
    page(anon, "/help/%3Cscript%3E", status=404)
    r = anon.get("/help/help.css", expect=200)
    assert r.headers["Content-Type"].startswith("text/css")


def test_article_page_escapes_everything(anon, api):
    nasty = '<script>alert("t")</script> & "q" \'s'
    a = publish(api, title=nasty, body_markdown="Hello <script>alert(1)</script>\n\n<iframe src=x></iframe>\n\n"
                                                 "[click](javascript:alert(1)) <img src=x onerror=alert(2)>\n\n"
                                                 "**bold** and `code`", tags=["t-" + uniq()],
                category=nasty)
    c = page(anon, f"/help/en/articles/{a['id']}")
    assert nasty in c.all_text                      # shown as text ...
    assert "<script>alert" not in c.body           # ... never as markup
    assert "<iframe" not in c.body and "onerror" not in c.body
    assert "<strong>bold</strong>" in c.body and "<code>code</code>" in c.body
    assert any(f.get("action") == f"/help/en/articles/{a['id']}/vote" and f.get("method") == "post" for f in c.forms)
    # The category page escapes the category name.
    c = page(anon, f"/help/en/categories/{a['category_id']}")
    assert nasty in c.all_text and "<script>alert" not in c.body
    # The search page escapes the query.
    c = page(anon, "/help/en/search", params={"q": '"><script>alert(9)</script>'})
    assert '"><script>alert(9)</script>' in c.all_text and "<script>alert(9)" not in c.body


def test_internal_and_drafts_never_on_help(anon, api):
    w = uword()
    cat = "Mixed " + uniq()
    pub = publish(api, title=f"Public {w}", category=cat, tags=[w])
    internal = publish(api, title=f"Internal {w}", visibility="internal", category=cat, tags=[w])
    draft = publish(api, title=f"Draft {w}", status="draft", category=cat, tags=[w])
    for aid in (internal["id"], draft["id"]):
        page(anon, f"/help/en/articles/{aid}", status=404)
        page(anon, f"/help/ru/articles/{aid}", status=404)
    c = page(anon, f"/help/en/articles/{pub['id']}")  # related: same category and tag
    assert f"/help/en/articles/{internal['id']}" not in c.links and f"/help/en/articles/{draft['id']}" not in c.links
    assert "Internal " + w not in c.body and "Draft " + w not in c.body
    for path in ("/help", f"/help/en/categories/{pub['category_id']}"):
        c = page(anon, path)
        assert f"Internal {w}" not in c.body and f"Draft {w}" not in c.body
    c = page(anon, "/help/en/search", params={"q": w})
    assert f"/help/en/articles/{pub['id']}" in c.links
    assert f"Internal {w}" not in c.body and f"Draft {w}" not in c.body
    sm = anon.get("/help/sitemap.xml", expect=200).text
    assert f"/help/en/articles/{pub['id']}<" in sm
    assert f"/articles/{internal['id']}<" not in sm and f"/articles/{draft['id']}<" not in sm
    # Votes on hidden articles are refused.
    r = anon.post(f"/help/en/articles/{internal['id']}/vote", data={"helpful": "yes"}, allow_redirects=False)
    assert r.status_code == 404
    # A logged-in agent's session does not reveal internal articles on /help either.
    page(api, f"/help/en/articles/{internal['id']}", status=404)


def test_related_and_translation_fallback(anon, api):
    cat = "Related " + uniq()
    a = publish(api, title="First " + uniq(), category=cat)
    b = publish(api, title="Second " + uniq(), category=cat)
    c = page(anon, f"/help/en/articles/{a['id']}")
    assert f"/help/en/articles/{b['id']}" in c.links
    # No Spanish translation: the English one, with a notice.
    c = page(anon, f"/help/es/articles/{a['id']}")
    assert a["title"] in c.all_text and 'lang="en"' in c.body and "notice" in c.body
    api.patch(f"/api/v1/articles/{a['id']}", json={"locale": "es", "title": "Primero", "body_markdown": "Hola",
                                                   "status": "published"}, expect=200)
    c = page(anon, f"/help/es/articles/{a['id']}")
    assert "Primero" in c.all_text and "notice" not in c.body


def test_votes_one_per_visitor(server, api):
    a = publish(api)
    s = requests.Session()
    s.trust_env = False
    r = s.get(f"{server.base_url}/help/en/articles/{a['id']}")
    assert "sb_visitor" in s.cookies
    r = s.post(f"{server.base_url}/help/en/articles/{a['id']}/vote", data={"helpful": "yes"}, allow_redirects=False)
    assert r.status_code == 303 and r.headers["Location"] == f"/help/en/articles/{a['id']}?voted=1"
    # Voting again replaces the visitor's vote.
    s.post(f"{server.base_url}/help/en/articles/{a['id']}/vote", data={"helpful": "no"}, allow_redirects=False)
    s.post(f"{server.base_url}/help/en/articles/{a['id']}/vote", data={"helpful": "no"}, allow_redirects=False)
    got = api.get(f"/api/v1/articles/{a['id']}", expect=200).json()
    assert (got["helpful_yes"], got["helpful_no"]) == (0, 1)
    other = requests.Session()
    other.trust_env = False
    other.get(f"{server.base_url}/help/en/articles/{a['id']}")
    other.post(f"{server.base_url}/help/en/articles/{a['id']}/vote", data={"helpful": "yes"}, allow_redirects=False)
    got = api.get(f"/api/v1/articles/{a['id']}", expect=200).json()
    assert (got["helpful_yes"], got["helpful_no"]) == (1, 1)
    r = s.get(f"{server.base_url}/help/en/articles/{a['id']}?voted=1")
    assert "Thank you" in r.text and "1 / 2" in r.text
    r = s.post(f"{server.base_url}/help/en/articles/{a['id']}/vote", data={"helpful": "maybe"}, allow_redirects=False)
    assert r.status_code == 422
    r = s.post(f"{server.base_url}/help/en/articles/999999/vote", data={"helpful": "yes"}, allow_redirects=False)
    assert r.status_code == 404


def test_views_are_counted(anon, api):
    a = publish(api)
    for _ in range(3):
        page(anon, f"/help/en/articles/{a['id']}")
    import time
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:  # views are written asynchronously
        if api.get(f"/api/v1/articles/{a['id']}", expect=200).json()["views"] == 3:
            break
        time.sleep(0.05)
    assert api.get(f"/api/v1/articles/{a['id']}", expect=200).json()["views"] == 3
