"""Email end to end with a real Postfix (piping to `switchboard mailgate`) and a real Dovecot
(the customer's mailbox over LMTP, and a support mailbox polled over IMAP), all on loopback.

Proves: a customer email becomes a conversation; an agent's reply reaches the customer's
mailbox with correct threading headers; the customer's reply to it joins the same
conversation; IMAP polling imports and does not import twice; a server stopped during
delivery makes the MTA retry and nothing is lost."""
import email
import email.policy
import re
import time

import pytest

from mailservers import Dovecot, Postfix, skip_reason, wait_for
from sbtest import SB_BIN, SLOW, Server, stop_server_checked, uniq

pytestmark = pytest.mark.skipif(bool(skip_reason()), reason=skip_reason() or "")

SUPPORT = "support@support.test"
CUSTOMER = "bob@customer.test"
COLLEAGUE = "carol@customer.test"
POLLED = "help@support.test"


@pytest.fixture(scope="module")
def mail(tmp_path_factory):
    work = tmp_path_factory.mktemp("mta")
    srv = Server(work / "sb", name="sb-mta", extra_args=("--job-backoff-ms", "200")).start()
    admin = srv.new_user("admin")
    dovecot = Dovecot(work / "dovecot")
    dovecot.add_user(CUSTOMER, "bobpass")
    dovecot.add_user(COLLEAGUE, "carolpass")
    dovecot.add_user(POLLED, "helppass")
    dovecot.start()
    postfix = Postfix(work / "postfix", dovecot=dovecot, pipe_time_limit=int(30 * SLOW))
    gate = postfix.expose(SB_BIN)

    def set_gate():
        postfix.set_pipe(argv=[gate, "mailgate", "--url", srv.base_url, "--token", admin.token,
                               "--mailbox", SUPPORT])

    set_gate()
    postfix.start()
    admin.api.post("/api/v1/mailboxes", json={
        "address": SUPPORT, "name": "Acme Support",
        "smtp_url": f"smtp://127.0.0.1:{postfix.smtp_port}"}, expect=201)

    class Env:
        pass
    env = Env()
    env.srv, env.admin, env.dovecot, env.postfix, env.set_gate = srv, admin, dovecot, postfix, set_gate
    yield env
    postfix.close()
    dovecot.close()
    if env.srv.running:
        stop_server_checked(env.srv)


def customer_mail(subject, body, message_id=None, headers=()):
    message_id = message_id or f"{uniq('bob')}@customer.test"
    lines = [f"From: Bob Customer <{CUSTOMER}>", f"To: Acme Support <{SUPPORT}>", f"Subject: {subject}",
             f"Message-ID: <{message_id}>", "Date: Mon, 23 Nov 2026 10:00:00 +0000", "MIME-Version: 1.0",
             "Content-Type: text/plain; charset=utf-8"] + list(headers)
    return ("\r\n".join(lines) + "\r\n\r\n" + body).encode(), message_id


def find_conversation(api, subject_word):
    hits = api.get("/api/v1/search", params={"q": subject_word}, expect=200).json()["items"]
    return hits[0]["conversation_id"] if hits else None


def test_full_round_trip(mail):
    api = mail.admin.api
    word = uniq("router").replace("-", "")
    raw, first_id = customer_mail(f"Router {word} keeps rebooting", "It reboots every hour.\r\n",
                                  headers=[f"Cc: Carol <{COLLEAGUE}>"])
    qid = mail.postfix.send(raw, CUSTOMER, [SUPPORT])
    mail.postfix.wait_status(qid, "sent")
    cid = wait_for(lambda: find_conversation(api, word), message="conversation for the customer's email")
    conv = api.get_conversation(cid)
    assert conv["channel"] == "email" and conv["contact"]["email"] == CUSTOMER
    assert api.messages(cid)[0]["email"]["message_id"] == first_id

    # the agent's reply, with a file, reaches the customer and the Cc'd colleague, threaded
    before = len(mail.dovecot.messages(CUSTOMER))
    before_cc = len(mail.dovecot.messages(COLLEAGUE))
    manual = b"%PDF-1.4\n% firmware update guide\n" + bytes(range(256)) * 40
    up = api.post("/api/v1/uploads", params={"filename": "Firmware guide \u00e9.pdf"}, data=manual,
                  headers={"Content-Type": "application/pdf"}, expect=201).json()
    reply = api.post_message(cid, "Please **update** the firmware.\n\nRegards", attachments=[
        {"sha256": up["sha256"], "filename": up["filename"], "content_type": "application/pdf"}])
    assert [a["filename"] for a in reply["attachments"]] == ["Firmware guide \u00e9.pdf"]
    assert reply["delivery"]["status"] == "pending"
    got = mail.dovecot.wait_messages(CUSTOMER, before + 1)
    msg = email.message_from_bytes(got[-1], policy=email.policy.default)
    ours = reply["email"]["message_id"]
    assert msg["Message-ID"].strip("<>") == ours
    assert msg["In-Reply-To"].strip() == f"<{first_id}>"
    assert f"<{first_id}>" in msg["References"]
    assert f"[#{cid}]" in msg["Subject"] and msg["Subject"].startswith("Re: Router")
    assert SUPPORT in msg["From"]
    assert re.fullmatch(rf".*support\+c{cid}-[0-9a-f]{{10}}@support\.test.*", msg["Reply-To"])
    assert msg.get_content_type() == "multipart/mixed"
    assert COLLEAGUE in msg["Cc"]
    files = [p for p in msg.iter_attachments()]
    assert len(files) == 1 and files[0].get_filename() == "Firmware guide \u00e9.pdf"
    assert files[0].get_content() == manual
    cc_copy = email.message_from_bytes(mail.dovecot.wait_messages(COLLEAGUE, before_cc + 1)[-1],
                                       policy=email.policy.default)
    assert cc_copy["Message-ID"] == msg["Message-ID"]
    plain = msg.get_body(("plain",)).get_content()
    html = msg.get_body(("html",)).get_content()
    assert "Please **update** the firmware." in plain
    assert "<strong>update</strong>" in html
    assert msg["Auto-Submitted"] is None
    wait_for(lambda: next(m for m in api.messages(cid) if m["id"] == reply["id"])["delivery"]["status"] == "sent",
             message="delivery status sent")

    # the customer's reply to it joins the same conversation and reopens it
    api.patch_conversation(cid, status="pending")
    answer, _ = customer_mail(f"Re: {msg['Subject']}", "Updated, still rebooting.\r\n",
                              headers=[f"In-Reply-To: <{ours}>", f"References: <{first_id}> <{ours}>"])
    qid = mail.postfix.send(answer, CUSTOMER, [SUPPORT])
    mail.postfix.wait_status(qid, "sent")
    wait_for(lambda: len(api.messages(cid)) >= 3 and
             any("still rebooting" in m["body_text"] for m in api.messages(cid)),
             message="the customer's reply in the same conversation")
    assert api.get_conversation(cid)["status"] == "open"

    # replying to the token address (a client that drops the headers) also threads
    token_addr = re.search(r"support\+c\d+-[0-9a-f]{10}@support\.test", msg["Reply-To"]).group(0)
    bare, _ = customer_mail("a new subject without marker", "one more thing\r\n")
    bare = bare.replace(f"To: Acme Support <{SUPPORT}>".encode(), f"To: {token_addr}".encode())
    qid = mail.postfix.send(bare, CUSTOMER, [SUPPORT])
    mail.postfix.wait_status(qid, "sent")
    wait_for(lambda: any("one more thing" in m["body_text"] for m in api.messages(cid)),
             message="token-addressed reply in the conversation")


def test_imap_polling_imports_once(mail):
    api = mail.admin.api
    word = uniq("imap").replace("-", "")
    raw, mid = customer_mail(f"Polled {word}", "sent to the polled mailbox\r\n")
    raw = raw.replace(SUPPORT.encode(), POLLED.encode())
    uid = mail.dovecot.append(POLLED, raw)
    api.post("/api/v1/mailboxes", json={
        "address": POLLED, "imap_url": f"imap://127.0.0.1:{mail.dovecot.imap_port}/INBOX",
        "imap_user": POLLED, "imap_password": "helppass", "imap_poll_seconds": 1}, expect=201)
    cid = wait_for(lambda: find_conversation(api, word), timeout=20 * SLOW, message="IMAP import")
    # flagged \Seen only after it was stored
    imap = mail.dovecot.imap_login(POLLED)
    try:
        imap.select("INBOX")
        typ, data = imap.uid("FETCH", str(uid), "(FLAGS)")
        assert b"\\Seen" in data[0]
        # the same message again (unseen, e.g. restored by a user) is recognised as a duplicate
        imap.uid("STORE", str(uid), "-FLAGS", "(\\Seen)")
    finally:
        imap.logout()
    time.sleep(3 * SLOW)  # several polls
    convs = [h["conversation_id"] for h in
             api.get("/api/v1/search", params={"q": word}, expect=200).json()["items"]]
    assert set(convs) == {cid}
    assert len(api.messages(cid)) == 1


def test_server_down_during_delivery_loses_nothing(mail):
    api = mail.admin.api
    port = mail.srv.port
    stop_server_checked(mail.srv)
    word = uniq("outage").replace("-", "")
    raw, _ = customer_mail(f"Outage {word}", "sent while the server was down\r\n")
    qid = mail.postfix.send(raw, CUSTOMER, [SUPPORT])
    mail.postfix.wait_status(qid, "deferred")          # mailgate exited 75: Postfix keeps it
    assert qid in mail.postfix.queue_ids()
    mail.srv.start(port=port)
    mail.postfix.flush()
    mail.postfix.wait_status(qid, "sent")
    mail.postfix.wait_queue_empty()
    cid = wait_for(lambda: find_conversation(api, word), message="the deferred message delivered")
    assert len(api.messages(cid)) == 1


def test_mailgate_exit_codes(mail, tmp_path):
    """0 delivered, 65 rejected (the MTA bounces), 75 temporary (the MTA retries)."""
    import subprocess
    from sbtest import free_port
    def gate(data, url=None, token=None):
        return subprocess.run([SB_BIN, "mailgate", "--url", url or mail.srv.base_url, "--token",
                               token or mail.admin.token, "--mailbox", SUPPORT],
                              input=data, capture_output=True, timeout=60 * SLOW)
    raw, _ = customer_mail("Gate " + uniq("g"), "hello\r\n")
    assert gate(raw).returncode == 0
    r = gate(b"")
    assert r.returncode == 65, r.stderr
    r = gate(b"\x00\x01\x02 binary junk without any header")
    assert r.returncode == 65, r.stderr
    r = gate(raw, url=f"http://127.0.0.1:{free_port()}")
    assert r.returncode == 75, r.stderr
    r = gate(raw, token="sbt_wrong")
    assert r.returncode == 75, r.stderr
