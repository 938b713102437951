"""SLA mail through a real MTA: a customer writing on a Saturday gets the after-hours reply with
the right promised time in their mailbox, and a breach alert reaches the on-call address - both
through Postfix (SMTP) into Dovecot, with the server's test clock."""
import email
import email.policy

import pytest

from mailservers import Dovecot, Postfix, skip_reason, wait_for
from sbtest import SB_BIN, SLOW, Server, stop_server_checked, uniq

pytestmark = pytest.mark.skipif(bool(skip_reason()), reason=skip_reason() or "")

SUPPORT = "support@support.test"
CUSTOMER = "dana@customer.test"
ONCALL = "oncall@customer.test"
KYIV = {"timezone": "Europe/Kyiv",
        "hours": {d: [["09:00", "18:00"]] for d in ("mon", "tue", "wed", "thu", "fri")}}


@pytest.fixture(scope="module")
def mail(tmp_path_factory):
    work = tmp_path_factory.mktemp("slamta")
    srv = Server(work / "sb", name="sb-sla-mta", extra_args=("--test-clock", "--job-backoff-ms", "200")).start()
    admin = srv.new_user("admin")
    dovecot = Dovecot(work / "dovecot")
    dovecot.add_user(CUSTOMER, "danapass")
    dovecot.add_user(ONCALL, "oncallpass")
    dovecot.start()
    postfix = Postfix(work / "postfix", dovecot=dovecot, pipe_time_limit=int(30 * SLOW))
    gate = postfix.expose(SB_BIN)
    postfix.set_pipe(argv=[gate, "mailgate", "--url", srv.base_url, "--token", admin.token, "--mailbox", SUPPORT])
    postfix.start()
    mb = admin.api.post("/api/v1/mailboxes", json={
        "address": SUPPORT, "name": "Acme Support", "smtp_url": f"smtp://127.0.0.1:{postfix.smtp_port}"},
        expect=201).json()
    env = type("Env", (), {})()
    env.srv, env.admin, env.dovecot, env.postfix, env.mb = srv, admin, dovecot, postfix, mb
    yield env
    postfix.close()
    dovecot.close()
    if srv.running:
        stop_server_checked(srv)


def test_after_hours_reply_and_breach_alert_by_mail(mail):
    api = mail.admin.api
    api.put("/api/v1/_test/clock", json={"now": "2026-11-28T10:00:00Z"}, expect=200)  # Saturday, 12:00 in Kyiv
    cal = api.post("/api/v1/calendars", json={"name": "Kyiv office", **KYIV}, expect=201).json()
    api.put(f"/api/v1/after-hours/mailbox-{mail.mb['id']}", json={
        "calendar_id": cal["id"],
        "templates": {"en": "Thanks for writing. Our team is off now and will answer {{next_open}}."}}, expect=200)
    api.post("/api/v1/sla-policies", json={
        "name": "Mail", "is_default": True, "calendar_id": cal["id"],
        "targets": {"normal": {"first_response": 30}}, "alert_emails": [ONCALL]}, expect=201)
    api.patch("/api/v1/sla-settings", json={"alert_mailbox_id": mail.mb["id"]}, expect=200)

    word = uniq("weekend").replace("-", "")
    raw = ("\r\n".join([f"From: Dana <{CUSTOMER}>", f"To: Acme Support <{SUPPORT}>",
                        f"Subject: Weekend outage {word}", f"Message-ID: <{uniq('d')}@customer.test>",
                        "MIME-Version: 1.0", "Content-Type: text/plain; charset=utf-8"])
           + "\r\n\r\nNothing works.\r\n").encode()
    before = len(mail.dovecot.messages(CUSTOMER))
    qid = mail.postfix.send(raw, CUSTOMER, [SUPPORT])
    mail.postfix.wait_status(qid, "sent")
    got = mail.dovecot.wait_messages(CUSTOMER, before + 1)
    reply = email.message_from_bytes(got[-1], policy=email.policy.default)
    text = reply.get_body(("plain",)).get_content()
    assert "will answer on Monday at 09:00 (Europe/Kyiv time)." in text
    assert reply["Auto-Submitted"] == "auto-replied"
    cid = int(reply["X-Switchboard-Conversation"])
    sla = api.get(f"/api/v1/conversations/{cid}", expect=200).json()["sla"]
    # business time starts Monday 09:00 Kyiv (07:00Z): 30 minutes later
    assert sla["first_response_due"] == "2026-11-30T07:30:00Z"

    # Monday 09:31 in Kyiv: breached, and the on-call address gets the alert by mail
    api.put("/api/v1/_test/clock", json={"now": "2026-11-30T07:31:00Z"}, expect=200)
    wait_for(lambda: api.get(f"/api/v1/conversations/{cid}", expect=200).json()["sla"]["state"] == "breached",
             message="breach")
    alert = email.message_from_bytes(mail.dovecot.wait_messages(ONCALL, 1)[-1], policy=email.policy.default)
    assert alert["Subject"] == f"[SLA breached] conversation #{cid}: first_response"
    assert SUPPORT in alert["From"]
    assert f"#{cid}" in alert.get_body(("plain",)).get_content()
