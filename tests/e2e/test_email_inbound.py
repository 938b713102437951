"""Inbound email through POST /api/v1/inbound/email: conversations, threading, safe HTML,
attachments, loop protection, bounces, duplicates, and mailboxes."""
import base64
import re

import pytest

from sbtest import assert_error, uemail, uniq, uword

MAILBOX = "support@support.test"


@pytest.fixture(scope="module")
def mailbox(admin):
    r = admin.api.post("/api/v1/mailboxes", json={"address": MAILBOX, "name": "Acme Support"})
    assert r.status_code in (201, 409), r.text
    return MAILBOX


def eml(subject, body, sender=None, to=MAILBOX, headers=(), content_type="text/plain; charset=utf-8",
        message_id=None, extra_body_headers=()):
    sender = sender or uemail("cust")
    message_id = message_id or f"{uniq('m')}@customer.test"
    lines = [f"From: Customer <{sender}>", f"To: {to}", f"Subject: {subject}",
             f"Message-ID: <{message_id}>", "Date: Mon, 23 Nov 2026 10:00:00 +0000",
             "MIME-Version: 1.0", f"Content-Type: {content_type}"]
    lines += list(headers)
    lines += list(extra_body_headers)
    text = "\r\n".join(lines) + "\r\n\r\n" + body
    return text.encode("utf-8"), sender, message_id


def inbound(api, raw, expect=(200, 201), mailbox=None):
    r = api.post("/api/v1/inbound/email", data=raw, params={"mailbox": mailbox} if mailbox else None,
                 headers={"Content-Type": "message/rfc822"}, expect=expect)
    return r.json()


def test_new_email_becomes_conversation(server, admin, mailbox):
    word = uword()
    raw, sender, mid = eml(f"Printer {word}", f"My printer {word} is broken.\r\n")
    res = inbound(admin.api, raw, expect=201)
    assert res["created"] is True and res["duplicate"] is False
    conv = admin.api.get_conversation(res["conversation_id"])
    assert conv["channel"] == "email"
    assert conv["subject"] == f"Printer {word}"
    assert conv["contact"]["email"].lower() == sender.lower()
    msgs = admin.api.messages(conv["id"])
    assert len(msgs) == 1
    m = msgs[0]
    assert m["direction"] == "in" and m["internal"] is False
    assert word in m["body_text"]
    assert m["email"]["message_id"] == mid
    assert m["raw_url"] == f"/api/v1/messages/{m['id']}/raw"
    raw_back = admin.api.get(m["raw_url"], expect=200)
    assert raw_back.content == raw
    # searchable
    hits = admin.api.get("/api/v1/search", params={"q": word}, expect=200).json()["items"]
    assert any(h["conversation_id"] == conv["id"] for h in hits)


def test_same_message_twice_is_stored_once(server, admin, mailbox):
    raw, _, _ = eml("Dup " + uniq("s"), "once\r\n")
    first = inbound(admin.api, raw, expect=201)
    again = inbound(admin.api, raw, expect=200)
    assert again["duplicate"] is True
    assert again["conversation_id"] == first["conversation_id"]
    assert again["message_id"] == first["message_id"]
    assert len(admin.api.messages(first["conversation_id"])) == 1


def test_reply_threads_by_references_to_a_known_message(server, admin, mailbox):
    raw, sender, mid = eml("Thread " + uniq("s"), "first\r\n")
    first = inbound(admin.api, raw, expect=201)
    raw2, _, _ = eml("Re: something else entirely", "second\r\n", sender=sender,
                     headers=[f"In-Reply-To: <{mid}>", f"References: <{mid}>"])
    second = inbound(admin.api, raw2, expect=201)
    assert second["conversation_id"] == first["conversation_id"]
    assert second["created"] is False


def test_subject_marker_threads_only_for_participants(server, admin, mailbox):
    raw, sender, _ = eml("Marker " + uniq("s"), "first\r\n")
    first = inbound(admin.api, raw, expect=201)
    cid = first["conversation_id"]
    raw2, _, _ = eml(f"Re: hello [#{cid}]", "from the same customer\r\n", sender=sender)
    assert inbound(admin.api, raw2)["conversation_id"] == cid
    # a stranger quoting the marker does not get into someone else's conversation
    raw3, _, _ = eml(f"Re: hello [#{cid}]", "from a stranger\r\n", sender=uemail("stranger"))
    other = inbound(admin.api, raw3)
    assert other["conversation_id"] != cid
    assert other["created"] is True


def test_forged_reply_token_is_ignored(server, admin, mailbox):
    raw, _, _ = eml("Token " + uniq("s"), "first\r\n")
    cid = inbound(admin.api, raw)["conversation_id"]
    forged = f"support+c{cid}-0000000000@support.test"
    raw2, _, _ = eml("no marker here", "trying to join\r\n", to=forged, sender=uemail("attacker"))
    res = inbound(admin.api, raw2)
    assert res["conversation_id"] != cid and res["created"] is True


def test_reply_on_solved_reopens_and_on_closed_opens_follow_up(server, admin, mailbox):
    raw, sender, mid = eml("Lifecycle " + uniq("s"), "first\r\n")
    cid = inbound(admin.api, raw)["conversation_id"]
    admin.api.patch_conversation(cid, status="solved")
    raw2, _, mid2 = eml("Re: Lifecycle", "still broken\r\n", sender=sender, headers=[f"In-Reply-To: <{mid}>"])
    assert inbound(admin.api, raw2)["conversation_id"] == cid
    assert admin.api.get_conversation(cid)["status"] == "open"
    admin.api.patch_conversation(cid, status="solved")
    admin.api.patch_conversation(cid, status="closed")
    raw3, _, _ = eml("Re: Lifecycle", "new problem\r\n", sender=sender, headers=[f"In-Reply-To: <{mid2}>"])
    res = inbound(admin.api, raw3)
    assert res["conversation_id"] != cid and res["created"] is True
    assert admin.api.get_conversation(res["conversation_id"])["follow_up_of"] == cid


def test_cc_addresses_are_kept(server, admin, mailbox):
    cc1, cc2 = uemail("cc"), uemail("cc")
    raw, _, _ = eml("Cc " + uniq("s"), "hi\r\n", headers=[f"Cc: Boss <{cc1}>, {cc2}"])
    cid = inbound(admin.api, raw)["conversation_id"]
    conv = admin.api.get_conversation(cid)
    kept = {c["address"].lower() for c in conv["cc"]}
    assert {cc1.lower(), cc2.lower()} <= kept
    assert MAILBOX not in kept


HOSTILE_HTML = """<html><head><script>alert(1)</script><style>body{background:url(javascript:alert(2))}</style></head>
<body onload="alert(3)"><p onclick="alert(4)">Hello <b>there</b></p>
<a href="javascript:alert(5)">click</a> <a href="https://example.com/ok">ok link</a>
<img src="https://tracker.example/pixel.png" onerror="alert(6)">
<iframe src="https://evil.example"></iframe><svg onload="alert(7)"></svg>
<blockquote type="cite">old quoted text</blockquote></body></html>"""


def test_html_is_sanitised_and_remote_images_blocked(server, admin, mailbox):
    raw, _, _ = eml("Html " + uniq("s"), HOSTILE_HTML, content_type="text/html; charset=utf-8")
    cid = inbound(admin.api, raw)["conversation_id"]
    m = admin.api.messages(cid)[0]
    html = (m["body_html"] or "").lower()
    assert "hello" in html and "<b>there</b>" in html
    for bad in ("<script", "javascript:", "onload", "onclick", "onerror", "<iframe", "<svg", "alert("):
        assert bad not in html, f"{bad} survived: {m['body_html']}"
    assert not re.search(r'(?<![-\w])src="https://tracker\.example', html), "a remote image loads by itself"
    assert "data-sb-remote-src" in html
    assert m["email"]["remote_images"] >= 1
    assert 'rel="noopener noreferrer"' in html
    assert "Hello" in m["body_text"]  # plain text extracted from the HTML


def test_quoted_history_is_split_from_the_new_text(server, admin, mailbox):
    body = ("Thanks, that fixed it.\r\n\r\nOn Mon, 23 Nov 2026 at 10:00, Support <support@support.test> wrote:\r\n"
            "> Please restart the router.\r\n> Regards\r\n")
    raw, _, _ = eml("Quote " + uniq("s"), body)
    m = admin.api.messages(inbound(admin.api, raw)["conversation_id"])[0]
    assert m["body_text"].strip() == "Thanks, that fixed it."
    assert "Please restart the router." in m["body_full"]


def test_attachments_and_inline_images(server, admin, mailbox):
    png = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==")
    b64 = base64.b64encode(png).decode()
    pdf = b"%PDF-1.4\n% fake but harmless\n"
    body = ("--outer\r\nContent-Type: multipart/related; boundary=rel\r\n\r\n"
            "--rel\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
            "<p>See <img src=\"cid:logo@x\"></p>\r\n"
            "--rel\r\nContent-Type: image/png\r\nContent-ID: <logo@x>\r\nContent-Transfer-Encoding: base64\r\n"
            f"Content-Disposition: inline; filename=logo.png\r\n\r\n{b64}\r\n--rel--\r\n"
            "--outer\r\nContent-Type: application/pdf; name=\"report.pdf\"\r\n"
            "Content-Disposition: attachment; filename=\"report.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\n"
            f"{base64.b64encode(pdf).decode()}\r\n--outer--\r\n")
    raw, _, _ = eml("Attach " + uniq("s"), body, content_type='multipart/mixed; boundary="outer"')
    m = admin.api.messages(inbound(admin.api, raw)["conversation_id"])[0]
    names = {a["filename"]: a for a in m["attachments"]}
    assert "report.pdf" in names and "logo.png" in names
    assert names["logo.png"]["inline"] is True
    got = admin.api.get(names["report.pdf"]["url"], expect=200)
    assert got.content == pdf
    assert got.headers["Content-Disposition"].startswith("attachment")
    img = re.search(r'src="(/api/v1/blobs/[0-9a-f]{64})"', m["body_html"])
    assert img, m["body_html"]
    assert admin.api.get(img.group(1), expect=200).content == png


def test_dangerous_attachment_types_are_served_as_bytes(server, admin, mailbox):
    body = ("--b\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n"
            "--b\r\nContent-Type: text/html; name=x.html\r\nContent-Disposition: attachment; filename=x.html\r\n\r\n"
            "<script>alert(1)</script>\r\n--b--\r\n")
    raw, _, _ = eml("Danger " + uniq("s"), body, content_type='multipart/mixed; boundary="b"')
    m = admin.api.messages(inbound(admin.api, raw)["conversation_id"])[0]
    a = [a for a in m["attachments"] if a["filename"] == "x.html"][0]
    r = admin.api.get(a["url"], expect=200)
    assert r.headers["Content-Type"] == "application/octet-stream"
    assert r.headers["Content-Disposition"].startswith("attachment")
    assert "sandbox" in r.headers.get("Content-Security-Policy", "")


def test_encoded_subject_and_charsets(server, admin, mailbox):
    subject = "=?koi8-r?B?8NLJ18XU?= =?UTF-8?Q?_caf=C3=A9?="
    raw, _, _ = eml(subject, "Ce=E7a va\r\n", content_type="text/plain; charset=iso-8859-1",
                    extra_body_headers=["Content-Transfer-Encoding: quoted-printable"])
    conv = admin.api.get_conversation(inbound(admin.api, raw)["conversation_id"])
    assert conv["subject"] == "Привет café"
    assert admin.api.messages(conv["id"])[0]["body_text"].startswith("Ceça va")


def test_not_an_email_is_rejected(server, admin, mailbox):
    r = admin.api.post("/api/v1/inbound/email", data=b"\x00\x01\x02 this is not mail",
                       headers={"Content-Type": "message/rfc822"})
    assert r.status_code in (400, 422), r.text
    r = admin.api.post("/api/v1/inbound/email", data=b"", headers={"Content-Type": "message/rfc822"})
    assert r.status_code in (400, 422), r.text


def test_inbound_needs_an_agent_token(server, admin, trainee, mailbox):
    raw, _, _ = eml("Auth " + uniq("s"), "x\r\n")
    r = trainee.api.post("/api/v1/inbound/email", data=raw, headers={"Content-Type": "message/rfc822"})
    assert_error(r, 403, "forbidden")
    from sbtest import Api
    r = Api(server.base_url).post("/api/v1/inbound/email", data=raw, headers={"Content-Type": "message/rfc822"})
    assert_error(r, 401, "unauthorized")


def test_mailbox_crud_and_secrets_are_write_only(server, admin, agent):
    addr = uniq("box") + "@support.test"
    mb = admin.api.post("/api/v1/mailboxes", json={"address": addr, "name": "Billing",
                                                    "smtp_url": "smtp://127.0.0.1:2525",
                                                    "smtp_user": "u", "smtp_password": "s3cret"},
                        expect=201).json()
    assert mb["smtp_password_set"] is True and "smtp_password" not in mb
    assert "s3cret" not in admin.api.get("/api/v1/mailboxes", expect=200).text
    assert_error(admin.api.post("/api/v1/mailboxes", json={"address": addr}), 409, "conflict")
    assert_error(admin.api.post("/api/v1/mailboxes", json={"address": "bad"}), 422, "validation_failed")
    assert_error(admin.api.post("/api/v1/mailboxes", json={"address": uniq("b") + "@x.test", "smtp_url": "http://x"}),
                 422, "validation_failed")
    assert_error(agent.api.post("/api/v1/mailboxes", json={"address": uniq("b") + "@x.test"}), 403, "forbidden")
    upd = admin.api.patch(f"/api/v1/mailboxes/{mb['id']}", json={"name": "Billing team", "ack_enabled": True},
                          expect=200).json()
    assert upd["name"] == "Billing team" and upd["ack_enabled"] is True
    admin.api.delete(f"/api/v1/mailboxes/{mb['id']}", expect=204)
    admin.api.get(f"/api/v1/mailboxes/{mb['id']}", expect=404)


def test_acknowledgement_obeys_loop_protection(server, admin):
    addr = uniq("ack") + "@support.test"
    admin.api.post("/api/v1/mailboxes", json={"address": addr, "ack_enabled": True}, expect=201)
    raw, _, _ = eml("Ack " + uniq("s"), "hello\r\n", to=addr)
    res = inbound(admin.api, raw)
    assert res["acknowledged"] is True
    msgs = admin.api.messages(res["conversation_id"])
    ack = [m for m in msgs if m["direction"] == "out" and m["kind"] == "message"]  # not the failure note
    assert len(ack) == 1 and ack[0]["delivery"]["status"] in ("pending", "failed")
    robots = [
        ["Auto-Submitted: auto-replied"],
        ["Precedence: bulk"],
        ["Precedence: junk"],
        ["List-Id: <news.example.com>"],
        ["X-Autoreply: yes"],
    ]
    for hdrs in robots:
        raw, _, _ = eml("Robot " + uniq("s"), "auto\r\n", to=addr, headers=hdrs)
        assert inbound(admin.api, raw)["acknowledged"] is False, hdrs
    raw, _, _ = eml("Daemon " + uniq("s"), "auto\r\n", to=addr, sender="MAILER-DAEMON@mx.example.com")
    assert inbound(admin.api, raw)["acknowledged"] is False
    raw, _, _ = eml("NoReply " + uniq("s"), "auto\r\n", to=addr, sender="no-reply@shop.example.com")
    assert inbound(admin.api, raw)["acknowledged"] is False
    # per-sender rate limit: a flood from one address gets at most a few acknowledgements
    sender = uemail("flood")
    acks = 0
    for i in range(8):
        raw, _, _ = eml(f"Flood {i} " + uniq("s"), "again\r\n", to=addr, sender=sender)
        acks += inbound(admin.api, raw)["acknowledged"]
    assert 1 <= acks <= 5


def test_bounce_of_a_reply_is_attached_to_its_conversation(server, admin, mailbox):
    raw, sender, _ = eml("Bounce " + uniq("s"), "hello\r\n")
    cid = inbound(admin.api, raw)["conversation_id"]
    reply = admin.api.post_message(cid, "We are on it.")
    ours = reply["email"]["message_id"]
    assert ours and "@support.test" in ours
    dsn = (
        "From: Mail Delivery System <MAILER-DAEMON@mx.customer.test>\r\n"
        f"To: {MAILBOX}\r\nSubject: Undelivered Mail Returned to Sender\r\n"
        f"Message-ID: <{uniq('dsn')}@mx.customer.test>\r\nAuto-Submitted: auto-replied\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="b"\r\n\r\n'
        "--b\r\nContent-Type: text/plain\r\n\r\nYour message could not be delivered.\r\n"
        "--b\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.customer.test\r\n\r\n"
        f"Final-Recipient: rfc822; {sender}\r\nAction: failed\r\nStatus: 5.1.1\r\n\r\n"
        "--b\r\nContent-Type: text/rfc822-headers\r\n\r\n"
        f"From: {MAILBOX}\r\nTo: {sender}\r\nSubject: Re: Bounce\r\nMessage-ID: <{ours}>\r\n\r\n--b--\r\n")
    res = inbound(admin.api, dsn.encode())
    assert res["conversation_id"] == cid and res["created"] is False and res["acknowledged"] is False
    msgs = admin.api.messages(cid)
    note = [m for m in msgs if m["id"] == res["message_id"]][0]
    assert note["internal"] is True
    out = [m for m in msgs if m["id"] == reply["id"]][0]
    assert out["delivery"]["status"] == "bounced"
    assert "5.1.1" in (out["delivery"]["error"] or "")


def test_forged_sender_cannot_add_itself_to_a_thread(server, admin, mailbox):
    """The [#id] marker with a forged From may land a message in the conversation (From can be
    forged), but it can never add recipients: replies keep going to the real customer only."""
    raw, victim, _ = eml("Payout " + uniq("s"), "please pay me\r\n")
    cid = inbound(admin.api, raw)["conversation_id"]
    attacker = uemail("attacker")
    forged, _, _ = eml(f"Re: anything [#{cid}]", "change the IBAN\r\n", sender=victim,
                       headers=[f"Cc: {attacker}"])
    res = inbound(admin.api, forged)
    assert res["conversation_id"] == cid
    cc = {c["address"].lower() for c in admin.api.get_conversation(cid)["cc"]}
    assert attacker.lower() not in cc
    # an inbound Message-ID of the thread is no key for strangers either
    first_id = admin.api.messages(cid)[0]["email"]["message_id"]
    raw3, _, _ = eml("Re: Payout", "let me in\r\n", sender=attacker, headers=[f"In-Reply-To: <{first_id}>"])
    assert inbound(admin.api, raw3)["conversation_id"] != cid


def test_message_id_reuse_by_another_sender_is_not_a_duplicate(server, admin, mailbox):
    raw, _, mid = eml("Original " + uniq("s"), "first\r\n")
    first = inbound(admin.api, raw)
    raw2, _, _ = eml("Squatter " + uniq("s"), "same id, other sender\r\n", sender=uemail("other"), message_id=mid)
    second = inbound(admin.api, raw2)
    assert second["duplicate"] is False and second["message_id"] != first["message_id"]


def test_our_own_mail_coming_back_changes_nothing(server, admin, mailbox):
    raw, sender, _ = eml("Echo " + uniq("s"), "hello\r\n")
    cid = inbound(admin.api, raw)["conversation_id"]
    reply = admin.api.post_message(cid, "Answer from us")
    ours = reply["email"]["message_id"]
    echo = (f"From: Acme Support <{MAILBOX}>\r\nTo: {sender}\r\nSubject: Re: Echo [#{cid}]\r\n"
            f"Message-ID: <{ours}>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain\r\n\r\nAnswer from us\r\n").encode()
    res = inbound(admin.api, echo)
    assert res["duplicate"] is True and res["message_id"] == reply["id"]
    assert len([m for m in admin.api.messages(cid) if m["kind"] != "system"]) == 2


def test_attachment_names_cannot_inject_mime_headers(server, admin, mailbox):
    raw, _, _ = eml("Inject " + uniq("s"), "x\r\n")
    cid = inbound(admin.api, raw)["conversation_id"]
    r = admin.api.post("/api/v1/uploads", params={"filename": "x.txt\r\nContent-Type: text/html"}, data=b"x",
                       headers={"Content-Type": "text/plain"})
    assert_error(r, 422, "validation_failed")
    up = admin.api.post("/api/v1/uploads", params={"filename": "x.txt"}, data=b"x",
                        headers={"Content-Type": "text/plain; charset=utf-8"}, expect=201).json()
    assert up["content_type"] == "text/plain"
    for bad in ({"filename": "a\r\n\r\n--b"}, {"filename": "ok.txt", "content_type": "text/html\r\nX: y"}):
        att = {"sha256": up["sha256"], "filename": "ok.txt", "content_type": "text/plain"}
        att.update(bad)
        r = admin.api.post(f"/api/v1/conversations/{cid}/messages", json={"body": "see file", "attachments": [att]})
        assert_error(r, 422, "validation_failed")


def test_failed_deliveries_show_in_metrics(server, admin, mailbox):
    """A reply that cannot be delivered (this mailbox has no SMTP server) fails for good at
    once, is marked on the message, and is counted for monitoring."""
    import time
    from sbtest import SLOW
    raw, _, _ = eml("Metrics " + uniq("s"), "hello\r\n")
    cid = inbound(admin.api, raw)["conversation_id"]
    reply = admin.api.post_message(cid, "cannot go out")
    deadline = time.monotonic() + 10 * SLOW
    status = None
    while time.monotonic() < deadline:
        status = next(m for m in admin.api.messages(cid) if m["id"] == reply["id"])["delivery"]["status"]
        if status == "failed":
            break
        time.sleep(0.1)
    assert status == "failed"
    notes = [m for m in admin.api.messages(cid) if m["kind"] == "system"]
    assert any("no SMTP server" in m["body_text"] for m in notes)
    text = admin.api.get("/metrics", expect=200).text
    assert 'switchboard_jobs{kind="email.send",state="failed"}' in text
