"""Full-text search over subjects and messages."""
import pytest

from sbtest import assert_error, ucyr, uword


def search(api, q, **params):
    r = api.get("/api/v1/search", params={"q": q, **params}, expect=200)
    body = r.json()
    assert isinstance(body.get("items"), list), body
    for it in body["items"]:
        for f in ("conversation_id", "message_id", "subject", "status", "snippet", "rank"):
            assert f in it, f"{f} missing from search item {it}"
    return body["items"]


def conv_ids(items):
    return {it["conversation_id"] for it in items}


def test_finds_subject_word(api):
    w = uword()
    c = api.create_conversation(subject=f"Invoice {w} is wrong", body="Please check the amount")
    items = search(api, w)
    assert conv_ids(items) == {c["id"]}
    it = items[0]
    assert it["message_id"] is None, "a subject hit has message_id null"
    assert it["subject"] == c["subject"]
    assert it["status"] == "open"
    assert isinstance(it["snippet"], str) and w in it["snippet"].lower()


def test_finds_body_word_in_reply(api):
    w = uword()
    c = api.create_conversation(subject="Shipping question", body="Where is my parcel?")
    m = api.post_message(c["id"], f"Your parcel left the {w} depot today")
    items = search(api, w)
    assert [(i["conversation_id"], i["message_id"]) for i in items] == [(c["id"], m["id"])]
    assert w in items[0]["snippet"].lower()
    assert isinstance(items[0]["rank"], (int, float))


def test_finds_first_message_body(api):
    w = uword()
    c = api.create_conversation(body=f"The {w} button does nothing")
    first = api.messages(c["id"])[0]
    items = search(api, w)
    assert [(i["conversation_id"], i["message_id"]) for i in items] == [(c["id"], first["id"])]


def test_words_are_anded(api):
    a, b = uword(), uword()
    both = api.create_conversation(body=f"{a} and also {b}")
    only_a = api.create_conversation(body=f"just {a} here")
    api.create_conversation(body=f"just {b} here")
    assert conv_ids(search(api, f"{a} {b}")) == {both["id"]}
    assert conv_ids(search(api, a)) == {both["id"], only_a["id"]}


def test_last_word_is_prefix(api):
    a, b = uword(), uword()
    c = api.create_conversation(body=f"{a} {b}")
    assert conv_ids(search(api, b[:6])) == {c["id"]}
    assert conv_ids(search(api, f"{a} {b[:6]}")) == {c["id"]}
    # only the last word is a prefix
    assert conv_ids(search(api, f"{a[:6]} {b}")) == set()


def test_case_and_diacritics_folded(api):
    w = uword()
    c = api.create_conversation(subject="Booking", body=f"Let us meet at the Café {w} on Monday")
    for q in (f"cafe {w}", f"CAFE {w}", f"café {w}", f"Café {w.upper()}"):
        assert conv_ids(search(api, q)) == {c["id"]}, q
    snippet = search(api, f"cafe {w}")[0]["snippet"]
    assert "café" in snippet.lower(), snippet
    w2 = uword()
    d = api.create_conversation(body=f"the resume {w2} is attached")
    assert conv_ids(search(api, f"résumé {w2}")) == {d["id"]}


def test_cyrillic(api):
    w = ucyr()
    c = api.create_conversation(subject="Доставка", body=f"Посилка до Києва затримується {w}. Дякую!")
    assert conv_ids(search(api, w)) == {c["id"]}
    assert conv_ids(search(api, w.upper())) == {c["id"]}, "Cyrillic case folding"
    assert conv_ids(search(api, w[:5])) == {c["id"]}, "Cyrillic prefix"
    assert conv_ids(search(api, f"києва {w}")) == {c["id"]}
    assert conv_ids(search(api, f"Києва {w}")) == {c["id"]}
    assert conv_ids(search(api, f"посилка {w}")) == {c["id"]}
    items = search(api, f"Києва {w}")
    assert "києва" in items[0]["snippet"].lower()


def test_kyiv_word(api):
    w = uword()
    c = api.create_conversation(subject=f"Офіс у Київ {w}", body="Коли відкриється офіс?")
    assert conv_ids(search(api, f"київ {w}")) == {c["id"]}
    assert conv_ids(search(api, f"Київ {w}")) == {c["id"]}


def test_status_filter(api):
    w = uword()
    open_c = api.create_conversation(body=f"alpha {w}")
    solved_c = api.create_conversation(body=f"beta {w}")
    api.patch_conversation(solved_c["id"], status="solved")
    assert conv_ids(search(api, w)) == {open_c["id"], solved_c["id"]}
    assert conv_ids(search(api, w, status="solved")) == {solved_c["id"]}
    assert conv_ids(search(api, w, status="open")) == {open_c["id"]}
    for it in search(api, w, status="solved"):
        assert it["status"] == "solved"


def test_limit(api):
    w = uword()
    for i in range(4):
        api.create_conversation(body=f"item {w} number")
    assert len(search(api, w)) == 4
    assert len(search(api, w, limit=2)) == 2


def test_best_match_first(api):
    w = uword()
    filler = " ".join(uword("fi", 6) for _ in range(150))
    weak = api.create_conversation(subject="Weak", body=f"{filler} {w} {filler}")
    strong = api.create_conversation(subject=f"Strong {w}", body=f"{w} {w} {w}")
    items = search(api, w)
    assert items[0]["conversation_id"] == strong["id"], items
    assert weak["id"] in conv_ids(items)


@pytest.mark.parametrize("q", ['"unterminated', "AND OR (", "NEAR(", "*", '"', ")", "a:b",
                               "-", "^", "OR", "NOT", "'", "\\", "col:", "()", "''",
                               "a AND", "{a b}", "x" * 3000, "%", "_"])
def test_garbage_query_is_not_a_server_error(api, q):
    r = api.get("/api/v1/search", params={"q": q})
    assert r.status_code in (200, 400), f"q={q!r}: {r.status_code} {r.text[:500]}"
    if r.status_code == 400:
        assert_error(r, 400, "bad_request")
    else:
        assert isinstance(r.json()["items"], list)
    api.get("/healthz", expect=200)


def test_garbage_query_does_not_hide_real_words(api):
    w = uword()
    c = api.create_conversation(body=f"quote {w} here")
    r = api.get("/api/v1/search", params={"q": f'"{w}'})
    assert r.status_code in (200, 400), r.text
    if r.status_code == 200:
        assert conv_ids(r.json()["items"]) == {c["id"]}


def test_empty_or_missing_query(api):
    for params in ({}, {"q": ""}, {"q": "   "}):
        r = api.get("/api/v1/search", params=params)
        assert r.status_code in (200, 400), r.text
        if r.status_code == 200:
            assert r.json()["items"] == []
        else:
            assert_error(r, 400, "bad_request")


def test_search_bad_status_400(api):
    assert_error(api.get("/api/v1/search", params={"q": "x", "status": "nonsense"}), 400, "bad_request")


def test_search_requires_auth(anon):
    assert_error(anon.get("/api/v1/search", params={"q": "x"}), 401, "unauthorized")
