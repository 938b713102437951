"""The public web form: GET/POST /contact, POST /api/v1/webform and its configuration at
/api/v1/settings/webform, against a real server.

Every test that submits uses its own client address (127.0.x.y), so the per-address limit of
10 submissions per 10 minutes never couples tests together.
"""
import itertools
import json
from html.parser import HTMLParser

import pytest

from sbtest import Api, assert_error, uemail, uniq, ucyr

CSP = ("default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
       "frame-ancestors 'none'; base-uri 'none'")
PER_IP = 10

_ips = itertools.count(1)


def new_ip():
    n = next(_ips)
    return f"127.0.{30 + n // 250}.{1 + n % 250}"


class Page(HTMLParser):
    """A flat view of a page: every element with its attributes, the text inside each element
    that has an id, label texts by their `for`, and what a strict CSP forbids."""

    VOID = {"input", "meta", "link", "br", "img", "hr"}

    def __init__(self, html):
        super().__init__(convert_charrefs=True)
        self.elements = []
        self.stack = []
        self.texts = {}
        self.scripts = 0
        self.inline_handlers = []
        self.style_attrs = 0
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        el = {"tag": tag, "attrs": a, "text": ""}
        self.elements.append(el)
        if tag == "script":
            self.scripts += 1
        if "style" in a:
            self.style_attrs += 1
        self.inline_handlers += [k for k in a if k.startswith("on")]
        if tag not in self.VOID:
            self.stack.append(el)

    def handle_endtag(self, tag):
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i]["tag"] == tag:
                del self.stack[i:]
                break

    def handle_data(self, data):
        for el in self.stack:
            el["text"] += data

    def find(self, tag=None, **attrs):
        return [e for e in self.elements if (tag is None or e["tag"] == tag)
                and all(e["attrs"].get(k) == v for k, v in attrs.items())]

    def one(self, tag=None, **attrs):
        found = self.find(tag, **attrs)
        assert len(found) == 1, f"{tag} {attrs}: {len(found)} elements"
        return found[0]

    def testid(self, tid):
        return self.one(**{"data-testid": tid})

    def label_for(self, element_id):
        labels = [e for e in self.elements if e["tag"] == "label" and e["attrs"].get("for") == element_id]
        assert len(labels) == 1, f"label for {element_id}: {len(labels)}"
        return labels[0]["text"].replace("*", "").strip()

    def by_id(self, element_id):
        return self.one(id=element_id)


def check_page_headers(r):
    assert r.headers["Content-Type"].startswith("text/html"), r.headers
    assert r.headers["Content-Security-Policy"] == CSP
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert r.headers["Referrer-Policy"] == "same-origin"


def strict(page):
    assert page.scripts == 0
    assert page.style_attrs == 0
    assert page.inline_handlers == []


@pytest.fixture(scope="module")
def anon(server):
    return Api(server.base_url)


@pytest.fixture
def client(server):
    """A client from an address of its own."""
    return Api(server.base_url, source_ip=new_ip())


@pytest.fixture
def configured(api):
    """Stores a form configuration for one test and restores the previous one afterwards."""
    before = api.get("/api/v1/settings/webform", expect=200).json()

    def put(config):
        return api.put("/api/v1/settings/webform", json=config, expect=200).json()

    yield put
    api.put("/api/v1/settings/webform", json=before, expect=200)


def form_data(**over):
    data = {
        "name": "Olena " + uniq("n"),
        "email": uemail("form"),
        "subject": "Cannot log in " + uniq("s"),
        "category": "Account and access",
        "product": "Switchboard Cloud",
        "link": "https://app.example.test/login?x=1&y=2",
        "description": "The login page says my password is wrong.\nI reset it twice.",
        "website": "",
    }
    data.update(over)
    return {k: v for k, v in data.items() if v is not None}


def conversation_ids(api):
    return {c["id"] for c in api.walk_conversations(limit=100)[0]}


# ---------------------------------------------------------------------------- rendering


def test_default_form_renders_accessible_and_strict(anon):
    r = anon.get("/contact", expect=200)
    check_page_headers(r)
    page = Page(r.text)
    strict(page)
    html = page.one(tag="html")
    assert html["attrs"].get("lang") == "en"
    assert page.find(tag="link", rel="stylesheet", href="/contact.css")
    assert page.find(tag="meta", name="viewport")
    form = page.testid("contact-form")
    assert form["attrs"]["method"] == "post" and form["attrs"]["action"] == "/contact"

    expected = {
        "contact-name": ("input", "Your name", False),
        "contact-email": ("input", "Email", True),
        "contact-subject": ("input", "Subject", True),
        "contact-field-category": ("select", "Category", True),
        "contact-field-product": ("input", "Product", False),
        "contact-field-link": ("input", "Link", False),
        "contact-field-description": ("textarea", "Description", True),
    }
    for tid, (tag, label, required) in expected.items():
        el = page.testid(tid)
        assert el["tag"] == tag, tid
        assert el["attrs"]["id"] == tid  # labels bind to it
        assert page.label_for(tid) == label
        assert ("required" in el["attrs"]) == required, tid
        if required:
            assert el["attrs"].get("aria-required") == "true"
    assert page.testid("contact-email")["attrs"]["type"] == "email"
    assert page.testid("contact-field-link")["attrs"]["type"] == "url"
    options = [e["text"] for e in page.elements if e["tag"] == "option"]
    assert options[1:] == ["Billing", "Technical problem", "Account and access", "Feature request", "Other"]
    # help texts are tied to their inputs
    product = page.testid("contact-field-product")
    assert page.by_id(product["attrs"]["aria-describedby"])["text"].startswith("The product")
    assert page.testid("contact-submit")["tag"] == "button"
    # the honeypot is hidden from people and assistive technology
    hp = page.one(name="website")
    assert hp["attrs"]["tabindex"] == "-1"
    assert any(e["attrs"].get("aria-hidden") == "true" and e["attrs"].get("class") == "hp" for e in page.elements)
    assert page.find(role="alert") == []

    css = anon.get("/contact.css", expect=200)
    assert css.headers["Content-Type"].startswith("text/css")
    assert ".hp{" in css.text and "@media" in css.text


def test_configured_fields_render_escaped(anon, configured):
    evil = '<script>alert("x")</script> & Co'
    configured({
        "title": "Write to <b>us</b>",
        "intro": "First line\nsecond line\n\nNew paragraph <i>",
        "lang": "uk",
        "strings": {"submit": "Надіслати", "email_label": "E-mail"},
        "fields": [
            {"name": "plan", "type": "select", "label": evil, "required": True,
             "options": ['Pro "Max"', "A&B", "<img src=x onerror=alert(1)>"]},
            {"name": "seats", "type": "number", "label": "Seats"},
            {"name": "billing_email", "type": "email", "label": "Billing email", "placeholder": "\"you\"@x"},
            {"name": "agree", "type": "checkbox", "label": "I agree", "required": True, "help": "Needed."},
            {"name": "details", "type": "textarea", "label": "Details", "max_length": 300},
        ],
    })
    r = anon.get("/contact", expect=200)
    check_page_headers(r)
    assert "<script>" not in r.text and "<img" not in r.text and "<b>" not in r.text and "<i>" not in r.text
    assert "&lt;script&gt;" in r.text
    page = Page(r.text)
    strict(page)
    assert page.one(tag="html")["attrs"]["lang"] == "uk"
    assert page.one(tag="h1")["text"] == "Write to <b>us</b>"
    intro = [e for e in page.elements if e["tag"] == "p" and e["attrs"].get("class") == "intro"]
    assert [p["text"] for p in intro] == ["First linesecond line", "New paragraph <i>"]
    assert page.label_for("contact-field-plan") == evil.replace("*", "").strip()
    opts = page.find(tag="option")
    assert [o["attrs"]["value"] for o in opts] == ["", 'Pro "Max"', "A&B", "<img src=x onerror=alert(1)>"]
    assert page.testid("contact-field-seats")["attrs"]["type"] == "number"
    be = page.testid("contact-field-billing_email")
    assert be["attrs"]["type"] == "email" and be["attrs"]["placeholder"] == '"you"@x'
    agree = page.testid("contact-field-agree")
    assert agree["attrs"]["type"] == "checkbox" and "required" in agree["attrs"]
    assert page.label_for("contact-field-agree") == "I agree"
    assert page.testid("contact-field-details")["attrs"]["maxlength"] == "300"
    assert page.label_for("contact-email") == "E-mail"
    assert page.testid("contact-submit")["text"] == "Надіслати"
    assert page.find(**{"data-testid": "contact-field-category"}) == []


# --------------------------------------------------------------------------- submissions


def test_submission_creates_conversation_with_fields(client, api):
    data = form_data()
    r = client.post("/contact", data=data, expect=200)
    check_page_headers(r)
    page = Page(r.text)
    strict(page)
    assert page.testid("contact-thanks")
    ref = page.testid("contact-reference")["text"]
    assert ref.startswith("#")
    cid = int(ref[1:])
    conv = api.get_conversation(cid)
    assert conv["channel"] == "webform"
    assert conv["subject"] == data["subject"]
    assert conv["status"] == "open"
    assert conv["contact"]["email"] == data["email"]
    assert conv["contact"]["name"] == data["name"]
    assert conv["fields"] == {
        "category": "Account and access",
        "product": "Switchboard Cloud",
        "link": "https://app.example.test/login?x=1&y=2",
        "description": "The login page says my password is wrong.\nI reset it twice.",
    }
    msgs = api.messages(cid)
    assert len(msgs) == 1 and msgs[0]["direction"] == "in" and not msgs[0]["internal"]
    body = msgs[0]["body_text"]
    assert body.startswith("The login page says my password is wrong.\nI reset it twice.\n\n")
    assert "Category: Account and access" in body
    assert "Product: Switchboard Cloud" in body
    assert "Link: https://app.example.test/login?x=1&y=2" in body
    # the list shows the conversation too
    assert cid in conversation_ids(api)


def test_multipart_submission_and_optional_fields(client, api):
    data = form_data(product="", link=None, description="  Ünïcödé ✓ текст  \r\nзакінчення  ")
    files = {k: (None, v) for k, v in data.items()}
    files["attachment"] = ("note.txt", b"ignored file", "text/plain")  # files are skipped
    r = client.post("/contact", files=files, expect=200)
    cid = int(Page(r.text).testid("contact-reference")["text"][1:])
    conv = api.get_conversation(cid)
    # surrounding white space goes, CRLF becomes LF
    assert conv["fields"] == {"category": "Account and access", "description": "Ünïcödé ✓ текст  \nзакінчення"}
    assert api.messages(cid)[0]["body_text"] == "Ünïcödé ✓ текст  \nзакінчення\n\nCategory: Account and access"


def test_validation_errors_keep_values_and_create_nothing(client, api):
    before = conversation_ids(api)
    data = form_data(email="not-an-address", subject="", category="Lunch", link="javascript:alert(1)",
                     description="Keep <this> & that\nplease")
    r = client.post("/contact", data=data, expect=422)
    check_page_headers(r)
    page = Page(r.text)
    strict(page)
    summary = page.testid("contact-errors")
    assert summary["attrs"]["role"] == "alert"
    for tid in ("contact-email", "contact-subject", "contact-field-category", "contact-field-link"):
        el = page.testid(tid)
        assert el["attrs"].get("aria-invalid") == "true", tid
        err_ids = [i for i in el["attrs"]["aria-describedby"].split() if i.endswith("-error")]
        assert len(err_ids) == 1
        assert page.by_id(err_ids[0])["text"].strip(), tid
        assert page.find(tag="a", href="#" + tid), tid  # the summary links to the field
    assert "aria-invalid" not in page.testid("contact-name")["attrs"]
    assert "aria-invalid" not in page.testid("contact-field-description")["attrs"]
    # values are kept, escaped
    assert page.testid("contact-name")["attrs"]["value"] == data["name"]
    assert page.testid("contact-email")["attrs"]["value"] == "not-an-address"
    assert page.testid("contact-field-product")["attrs"]["value"] == "Switchboard Cloud"
    assert page.testid("contact-field-link")["attrs"]["value"] == "javascript:alert(1)"
    assert page.testid("contact-field-description")["text"] == "Keep <this> & that\nplease"
    assert "Keep &lt;this&gt; &amp; that" in r.text
    assert not [o for o in page.find(tag="option") if "selected" in o["attrs"]]  # "Lunch" is no option
    assert "Subject is required." in summary["text"]
    assert conversation_ids(api) == before

    # a kept select value
    r = client.post("/contact", data=form_data(email="", category="Billing"), expect=422)
    selected = [o["text"] for o in Page(r.text).find(tag="option") if "selected" in o["attrs"]]
    assert selected == ["Billing"]
    assert conversation_ids(api) == before


def test_overlong_and_malformed_values_are_refused(client, api):
    before = conversation_ids(api)
    r = client.post("/contact", data=form_data(product="p" * 201), expect=422)
    assert "at most 200 characters" in Page(r.text).testid("contact-errors")["text"]
    # bytes that are not UTF-8
    body = "email=a%40example.test&subject=Hi&category=Billing&description=%FF%FEbad"
    r = client.post("/contact", data=body, headers={"Content-Type": "application/x-www-form-urlencoded"},
                    expect=422)
    assert "not UTF-8" in r.text
    r = client.post("/contact", data=b"{}", headers={"Content-Type": "application/json"})
    assert_error(r, 400, "bad_request")
    assert conversation_ids(api) == before


def test_honeypot_accepts_silently_and_creates_nothing(client, api):
    before = conversation_ids(api)
    r = client.post("/contact", data=form_data(website="http://spam.example/"), expect=200)
    page = Page(r.text)
    assert page.testid("contact-thanks")
    assert page.find(**{"data-testid": "contact-reference"}) == []
    assert conversation_ids(api) == before


def test_long_description_fits_the_body_limit(client, api, configured):
    cfg = api.get("/api/v1/settings/webform", expect=200).json()
    for f in cfg["fields"]:
        if f["name"] == "description":
            f["max_length"] = 10000
    configured(cfg)
    text = ucyr(9998)[:10000]
    r = client.post("/contact", data=form_data(description=text), expect=200)
    cid = int(Page(r.text).testid("contact-reference")["text"][1:])
    assert api.get_conversation(cid)["fields"]["description"] == text
    r = client.post("/contact", data=form_data(description=text + "ж"), expect=422)
    assert "at most 10000 characters" in r.text
    r = client.post("/contact", data=form_data(description="x" * (128 * 1024)))
    assert_error(r, 413, "payload_too_large")


def test_rate_limit_per_address(server, api):
    ip = new_ip()
    c = Api(server.base_url, source_ip=ip)
    before = conversation_ids(api)
    for i in range(PER_IP - 1):
        c.post("/contact", data=form_data(website="bot"), expect=200)  # honeypot hits count too
    c.post("/contact", data=form_data(), expect=200)
    assert len(conversation_ids(api) - before) == 1
    data = form_data()
    r = c.post("/contact", data=data, expect=429)
    check_page_headers(r)
    assert 0 < int(r.headers["Retry-After"]) <= 600
    page = Page(r.text)
    assert page.testid("contact-notice")["attrs"]["role"] == "alert"
    assert page.testid("contact-subject")["attrs"]["value"] == data["subject"]
    r = c.post("/api/v1/webform", json={"email": uemail(), "subject": "x",
                                        "fields": {"category": "Other", "description": "d"}})
    assert_error(r, 429, "rate_limited")
    assert r.headers.get("Retry-After")
    assert len(conversation_ids(api) - before) == 1
    # other addresses are not affected; a bearer token lifts the limit for the JSON endpoint
    Api(server.base_url, source_ip=new_ip()).post("/contact", data=form_data(), expect=200)
    trusted = Api(server.base_url, token=api.token, source_ip=ip)
    trusted.post("/api/v1/webform", json={"email": uemail(), "subject": "x",
                                          "fields": {"category": "Other", "description": "d"}}, expect=201)
    bad = Api(server.base_url, token="sbt_wrong", source_ip=new_ip())
    assert_error(bad.post("/api/v1/webform", json={}), 401, "unauthorized")


# ---------------------------------------------------------------------------- JSON API


def test_json_endpoint(client, api, configured):
    configured({
        "fields": [
            {"name": "category", "type": "select", "label": "Category", "required": True,
             "options": ["Billing", "Other"]},
            {"name": "seats", "type": "number", "label": "Seats"},
            {"name": "agree", "type": "checkbox", "label": "I agree", "required": True},
            {"name": "contact_me", "type": "checkbox", "label": "Call me"},
            {"name": "site", "type": "url", "label": "Site"},
            {"name": "message", "type": "textarea", "label": "Message", "required": True},
        ],
    })
    email = uemail("json")
    r = client.post("/api/v1/webform", json={
        "name": "Json Customer", "email": email, "subject": "Via JSON",
        "fields": {"category": "Billing", "seats": 12, "agree": True, "site": "https://a.example",
                   "message": "Please call.\r\nThanks"},
    }, expect=201)
    cid = r.json()["id"]
    conv = api.get_conversation(cid)
    assert conv["channel"] == "webform" and conv["subject"] == "Via JSON"
    assert conv["contact"]["email"] == email and conv["contact"]["name"] == "Json Customer"
    assert conv["fields"] == {"category": "Billing", "seats": 12, "agree": True, "contact_me": False,
                              "site": "https://a.example", "message": "Please call.\nThanks"}
    body = api.messages(cid)[0]["body_text"]
    assert body == "Please call.\nThanks\n\nCategory: Billing\nSeats: 12\nI agree: Yes\nCall me: No\nSite: https://a.example"

    # strings work as the HTML form sends them
    r = client.post("/api/v1/webform", json={
        "email": email, "subject": "Strings",
        "fields": {"category": "Other", "seats": "2.5", "agree": "on", "message": "m"}}, expect=201)
    assert api.get_conversation(r.json()["id"])["fields"]["seats"] == 2.5

    before = conversation_ids(api)
    r = client.post("/api/v1/webform", json={"email": email, "subject": "s",
                                             "fields": {"category": "Sales", "agree": False, "message": "m"}})
    err = assert_error(r, 422, "validation_failed")
    assert err["field"] == "fields.category"
    assert set(err["fields"]) == {"fields.category", "fields.agree"}
    r = client.post("/api/v1/webform", json={"subject": "s", "fields": {"category": "Other", "agree": True,
                                                                        "message": "m", "seats": "many"}})
    err = assert_error(r, 422, "validation_failed")
    assert set(err["fields"]) == {"email", "fields.seats"}
    err = assert_error(client.post("/api/v1/webform", json={"email": email, "subject": "s", "fields": {"nope": 1}}),
                       422, "validation_failed")
    assert "nope" in err["message"]
    assert_error(client.post("/api/v1/webform", json={"email": email, "subject": "s", "website": "x"}),
                 422, "validation_failed")
    assert_error(client.post("/api/v1/webform", json={"email": email, "subject": "s", "fields": []}),
                 400, "bad_request")
    assert_error(client.post("/api/v1/webform", json={"email": email, "subject": "s",
                                                      "fields": {"category": "Other", "agree": 3, "message": "m"}}),
                 422, "validation_failed")
    assert conversation_ids(api) == before


# ---------------------------------------------------------------------------- settings


def test_settings_default_and_roles(server, api, agent):
    cfg = api.get("/api/v1/settings/webform", expect=200).json()
    assert [f["name"] for f in cfg["fields"]] == ["category", "product", "link", "description"]
    assert cfg["fields"][0]["options"] == ["Billing", "Technical problem", "Account and access",
                                           "Feature request", "Other"]
    assert cfg["fields"][3]["required"] is True and cfg["fields"][3]["type"] == "textarea"
    assert cfg["strings"]["submit"] == "Send"
    assert_error(agent.api.get("/api/v1/settings/webform"), 403, "forbidden")
    assert_error(agent.api.put("/api/v1/settings/webform", json={"fields": []}), 403, "forbidden")
    assert_error(Api(server.base_url).get("/api/v1/settings/webform"), 401, "unauthorized")


def test_settings_round_trip(api, configured):
    saved = configured({"title": "Hi", "fields": [{"name": "q1", "type": "text", "label": "Q"}]})
    assert saved["fields"] == [{"name": "q1", "type": "text", "label": "Q", "required": False,
                                "placeholder": "", "help": "", "max_length": 200}]
    assert saved["title"] == "Hi" and saved["lang"] == "en"
    assert api.get("/api/v1/settings/webform", expect=200).json() == saved


BAD_CONFIGS = [
    ({"fields": [{"name": "Bad-Name", "type": "text", "label": "x"}]}, "fields[0].name"),
    ({"fields": [{"name": "a" * 33, "type": "text", "label": "x"}]}, "fields[0].name"),
    ({"fields": [{"name": "email", "type": "text", "label": "x"}]}, "fields[0].name"),
    ({"fields": [{"name": "a", "type": "text", "label": "x"},
                 {"name": "a", "type": "text", "label": "y"}]}, "fields[1].name"),
    ({"fields": [{"name": "a", "type": "date", "label": "x"}]}, "fields[0].type"),
    ({"fields": [{"name": "a", "type": "text", "label": ""}]}, "fields[0].label"),
    ({"fields": [{"name": "a", "type": "text"}]}, "fields[0].label"),
    ({"fields": [{"name": "a", "type": "select", "label": "x"}]}, "fields[0].options"),
    ({"fields": [{"name": "a", "type": "select", "label": "x", "options": []}]}, "fields[0].options"),
    ({"fields": [{"name": "a", "type": "select", "label": "x",
                  "options": [f"o{i}" for i in range(51)]}]}, "fields[0].options"),
    ({"fields": [{"name": "a", "type": "select", "label": "x", "options": ["x", "x"]}]}, "fields[0].options[1]"),
    ({"fields": [{"name": "a", "type": "text", "label": "x", "options": ["x"]}]}, "fields[0].options"),
    ({"fields": [{"name": "a", "type": "text", "label": "x", "max_length": 10001}]}, "fields[0].max_length"),
    ({"fields": [{"name": "a", "type": "text", "label": "x", "max_length": 0}]}, "fields[0].max_length"),
    ({"fields": [{"name": "a", "type": "text", "label": "x", "required": "yes"}]}, "fields[0].required"),
    ({"fields": [{"name": "a", "type": "text", "label": "x", "colour": "red"}]}, "fields[0].colour"),
    ({"fields": [{"name": f"f{i}", "type": "text", "label": "x"} for i in range(21)]}, "fields"),
    ({"fields": "category"}, "fields"),
    ({}, "fields"),
    ({"fields": [], "title": ""}, "title"),
    ({"fields": [], "lang": "en us"}, "lang"),
    ({"fields": [], "strings": {"submit": ""}}, "strings.submit"),
    ({"fields": [], "strings": {"shout": "x"}}, "strings.shout"),
    ({"fields": [], "theme": "dark"}, "theme"),
]


@pytest.mark.parametrize("config,field", BAD_CONFIGS, ids=[f for _, f in BAD_CONFIGS])
def test_settings_validation(api, config, field):
    before = api.get("/api/v1/settings/webform", expect=200).json()
    err = assert_error(api.put("/api/v1/settings/webform", json=config), 422, "validation_failed")
    assert err["field"] == field, err
    assert field in err["message"]
    assert api.get("/api/v1/settings/webform", expect=200).json() == before


def test_fields_visible_only_on_the_conversation(api):
    conv = api.create_conversation(channel="webform")
    assert conv["channel"] == "webform" and conv["fields"] is None
