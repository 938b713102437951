"""The Postfix/Dovecot harness (mailservers.py) itself, with a stand-in for `mailgate`.

The stand-in pipe command is a small Python script that appends each message it gets on
stdin to a file (with its exit code, argv, uid and environment) and exits with the code
given by `--exit=N` or, without it, read from a control file.
"""
import imaplib
import json
import os
import pwd
import re
import sys
import time

import pytest

from mailservers import (EX_DATAERR, EX_TEMPFAIL, Dovecot, Postfix, _alive, _descendants,
                         skip_reason, wait_for)
from sbtest import SLOW, uniq

_reason = skip_reason()
pytestmark = pytest.mark.skipif(_reason is not None, reason=_reason or "")

PY = "/usr/bin/python3" if os.access("/usr/bin/python3", os.X_OK) else sys.executable

STANDIN = r'''#!/usr/bin/python3
"""Stand-in for `switchboard mailgate`: record the message, exit with the chosen code."""
import fcntl, json, os, sys
here = os.path.dirname(os.path.abspath(__file__))
data = sys.stdin.buffer.read()
code = None
for arg in sys.argv[1:]:
    if arg.startswith("--exit="):
        code = int(arg[len("--exit="):])
if code is None:
    with open(os.path.join(here, "exit-code")) as f:
        code = int(f.read().strip() or "0")
head = {"code": code, "argv": sys.argv[1:], "uid": os.getuid(), "cwd": os.getcwd(),
        "len": len(data), "env": dict(os.environ)}
with open(os.path.join(here, "deliveries"), "ab") as f:
    fcntl.flock(f, fcntl.LOCK_EX)
    f.write(json.dumps(head).encode() + b"\n" + data + b"\n")
sys.exit(code)
'''


class Standin:
    """The stand-in's files inside the Postfix instance's pipe_dir."""

    def __init__(self, postfix):
        self.dir = postfix.pipe_dir
        self.script = self.dir / "standin.py"
        self.script.write_text(STANDIN)
        os.chmod(self.script, 0o755)
        self.control = self.dir / "exit-code"
        self.set_exit(0)
        self.out = self.dir / "deliveries"

    def argv(self, *extra):
        # ${recipient} and ${sender} are expanded by pipe(8)
        return [PY, str(self.script), "--rcpt=${recipient}", "--sender=${sender}"] + list(extra)

    def set_exit(self, code):
        tmp = self.dir / "exit-code.tmp"
        tmp.write_text(f"{code}\n")
        os.chmod(tmp, 0o644)
        os.replace(tmp, self.control)

    def records(self):
        """[(head dict, message bytes)] in the order the stand-in ran."""
        try:
            blob = self.out.read_bytes()
        except FileNotFoundError:
            return []
        out, pos = [], 0
        while pos < len(blob):
            nl = blob.index(b"\n", pos)
            head = json.loads(blob[pos:nl])
            data = blob[nl + 1:nl + 1 + head["len"]]
            out.append((head, data))
            pos = nl + 1 + head["len"] + 1
        return out

    def records_with(self, token):
        return [(h, d) for h, d in self.records() if token.encode() in d]


def make_message(token, to="someone@support.test", sender="alice@customer.test", body=None):
    body = body if body is not None else f"Hello, this is {token}.\n"
    return (f"From: Alice <{sender}>\nTo: {to}\nSubject: {token}\n"
            f"Message-ID: <{token}@customer.test>\nDate: Mon, 2 Jan 2023 10:00:00 +0000\n"
            f"MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n"
            f"Content-Transfer-Encoding: 8bit\n\n").encode() + (
                body.encode() if isinstance(body, str) else body)


def _gone(inst):
    """The instance's master and every process it had started have exited."""
    assert inst.stopped_pids, f"{inst.kind} {inst.name} was never stopped"
    alive = [p for p in inst.stopped_pids if _alive(p)]
    assert not alive, f"{inst.kind} {inst.name}: still running after stop: {alive}"


@pytest.fixture(scope="module")
def dovecot(tmp_path_factory):
    d = Dovecot(tmp_path_factory.mktemp("dovecot"))
    d.add_user("bob@customer.test", "bob-secret")
    d.start()
    yield d
    d.close()
    _gone(d)


@pytest.fixture(scope="module")
def postfix(tmp_path_factory, dovecot):
    p = Postfix(tmp_path_factory.mktemp("postfix"), dovecot=dovecot)
    standin = Standin(p)
    p.set_pipe(argv=standin.argv(), env={"SB_TEST_VAR": "a b, $HOME x", "ASAN_OPTIONS": "x=1"})
    p.start()
    p.standin = standin
    yield p
    p.close()
    _gone(p)


@pytest.fixture
def standin(postfix):
    postfix.standin.set_exit(0)
    postfix.set_pipe(argv=postfix.standin.argv())
    return postfix.standin


def test_instances_start_quickly(tmp_path):
    t0 = time.monotonic()
    d = Dovecot(tmp_path / "d")
    p = Postfix(tmp_path / "p", dovecot=d)
    try:
        d.start()
        p.start()
        elapsed = time.monotonic() - t0
        assert elapsed < 3 * SLOW, f"Dovecot + Postfix took {elapsed:.2f} s to start"
        assert p.smtp_port and d.imap_port and d.lmtp_port
    finally:
        p.close()
        d.close()


# (a) ------------------------------------------------------------------------------------


def test_support_mail_reaches_pipe_command_intact(postfix, standin):
    token = uniq("intact")
    body = (f"Body of {token}\n"
            ".a line starting with a dot\n"
            "..two dots\n"
            ".\n"
            "From the start of a line (no > quoting)\n"
            "trailing blanks   \n"
            "\ttab first\n"
            "UTF-8: Grüße, привет, 日本語 ✓\n"
            + "x" * 5000 + "\n"
            "\n"
            "last line\n")
    raw = make_message(token, body=body)
    qid = postfix.send(raw, "alice@customer.test", "someone@support.test")
    assert qid
    st = postfix.wait_status(qid, "sent")[0]
    assert st["relay"] == "sbpipe" and st["dsn"] == "2.0.0", st

    recs = standin.records_with(token)
    assert len(recs) == 1, recs
    head, data = recs[0]
    assert head["code"] == 0
    assert data.endswith(raw), ("message not delivered byte for byte:\n"
                                + data.decode(errors="replace")[:3000])
    added = data[:-len(raw)]
    lines = added.decode().splitlines()
    assert lines[0] == "Return-Path: <alice@customer.test>", lines
    assert lines[1] == "Delivered-To: someone@support.test", lines
    assert lines[2].startswith("Received: from client.test"), lines
    assert re.search(rf"by mx\.test \(Postfix\) with ESMTP id {qid}\b", added.decode()), added
    assert b"\r\n" not in data, "the pipe gets LF line ends"

    # who and where the command ran: the unprivileged pipe user, pipe(8)'s clean environment
    # plus the variables given to the harness
    assert head["uid"] == pwd.getpwnam(postfix.pipe_user).pw_uid != 0
    assert head["argv"][:2] == ["--rcpt=someone@support.test", "--sender=alice@customer.test"]
    env = head["env"]
    assert env.get("SB_TEST_VAR") == "a b, $HOME x"
    assert env.get("ASAN_OPTIONS") == "x=1"
    assert "HOME" not in env and "USER" not in env, env
    assert head["cwd"] == str(postfix.queue_dir)


def test_one_pipe_run_per_recipient(postfix, standin):
    token = uniq("multi")
    qid = postfix.send(make_message(token, to="support@support.test, billing@support.test"),
                       "alice@customer.test", ["support@support.test", "billing@support.test"])
    postfix.wait_status(qid, "sent", count=2)
    recs = standin.records_with(token)
    assert sorted(h["argv"][0] for h, _ in recs) == [
        "--rcpt=billing@support.test", "--rcpt=support@support.test"]


# (b) ------------------------------------------------------------------------------------


def test_tempfail_defers_then_flush_delivers_exactly_once(postfix, standin):
    postfix.set_pipe(argv=standin.argv(f"--exit={EX_TEMPFAIL}"))
    token = uniq("defer")
    raw = make_message(token)
    qid = postfix.send(raw, "alice@customer.test", "someone@support.test")
    st = postfix.wait_status(qid, "deferred")[0]
    assert st["dsn"].startswith("4."), st
    wait_for(lambda: qid in postfix.queue_ids("deferred"), message=lambda: postfix.queue())
    entry = [m for m in postfix.queue() if m["queue_id"] == qid][0]
    assert entry["recipients"][0]["address"] == "someone@support.test"
    tries = standin.records_with(token)
    assert tries and all(h["code"] == EX_TEMPFAIL for h, _ in tries)

    # the command now succeeds: the new argv takes effect at once (reload), flush retries now
    postfix.set_pipe(argv=standin.argv("--exit=0"))
    t0 = time.monotonic()
    postfix.flush()
    postfix.wait_status(qid, "sent", timeout=10 * SLOW)
    postfix.wait_queue_empty()
    elapsed = time.monotonic() - t0
    ok = [(h, d) for h, d in standin.records_with(token) if h["code"] == 0]
    assert len(ok) == 1, f"delivered {len(ok)} times"
    assert ok[0][0]["argv"][-1] == "--exit=0"
    assert ok[0][1].endswith(raw)
    assert len([s for s in postfix.statuses(qid) if s["status"] == "sent"]) == 1
    assert elapsed < 5 * SLOW, f"flush took {elapsed:.1f} s"


def test_control_file_switch_without_reload(postfix, standin):
    """The control file is read per run: the queue retries on its own (2 s backoff)."""
    standin.set_exit(EX_TEMPFAIL)
    token = uniq("ctl")
    qid = postfix.send(make_message(token), "alice@customer.test", "someone@support.test")
    postfix.wait_status(qid, "deferred")
    standin.set_exit(0)
    postfix.wait_status(qid, "sent", timeout=10 * SLOW)  # no flush: the retry timer does it
    assert [h["code"] for h, _ in standin.records_with(token)][-1] == 0


def test_dataerr_bounces_to_the_sender(postfix, dovecot, standin):
    standin.set_exit(EX_DATAERR)
    token = uniq("bounce")
    before = len(dovecot.messages("bob@customer.test"))
    qid = postfix.send(make_message(token, sender="bob@customer.test"), "bob@customer.test",
                       "someone@support.test")
    st = postfix.wait_status(qid, "bounced")[0]
    assert st["dsn"].startswith("5."), st
    msgs = dovecot.wait_messages("bob@customer.test", before + 1)
    dsn = [m for m in msgs if token.encode() in m and b"MAILER-DAEMON" in m]
    assert dsn, "no delivery status notification in the sender's mailbox"
    assert b"multipart/report" in dsn[0] and b"report-type=delivery-status" in dsn[0]


# (c) ------------------------------------------------------------------------------------


def test_customer_mail_lands_in_dovecot_inbox(postfix, dovecot):
    token = uniq("lmtp")
    raw = make_message(token, to="bob@customer.test", sender="agent@support.test",
                       body=f"Reply {token}\nUTF-8: Grüße ✓\n")
    qid = postfix.send(raw, "agent@support.test", "bob@customer.test")
    st = postfix.wait_status(qid, "sent")[0]
    assert st["agent"] == "lmtp" and f":{dovecot.lmtp_port}" in st["relay"], st

    # fetched with plain imaplib
    imap = imaplib.IMAP4("127.0.0.1", dovecot.imap_port, timeout=10 * SLOW)
    try:
        imap.login("bob@customer.test", "bob-secret")
        typ, _ = imap.select("INBOX", readonly=True)
        assert typ == "OK"
        typ, data = imap.search(None, "HEADER", "Message-ID", f"<{token}@customer.test>")
        nums = data[0].split()
        assert typ == "OK" and len(nums) == 1, data
        typ, data = imap.fetch(nums[0], "(BODY.PEEK[])")
        fetched = data[0][1]
    finally:
        imap.logout()
    crlf = raw.replace(b"\n", b"\r\n")
    assert fetched.endswith(crlf), fetched
    assert b"Delivered-To: bob@customer.test\r\n" in fetched
    assert b"Return-Path: <agent@support.test>\r\n" in fetched
    assert any(m.endswith(crlf) for m in dovecot.messages("bob@customer.test"))


def test_unknown_customer_mailbox_bounces(postfix):
    qid = postfix.send(make_message(uniq("nouser"), to="nobody-here@customer.test"),
                       "", "nobody-here@customer.test")
    st = postfix.wait_status(qid, "bounced")[0]
    assert st["dsn"] == "5.1.1", st


def test_other_domains_are_refused(postfix):
    import smtplib
    with pytest.raises(smtplib.SMTPRecipientsRefused):
        postfix.send(make_message(uniq("out")), "alice@customer.test", "someone@example.com")


def test_users_added_while_running(dovecot, postfix):
    dovecot.add_user("carol@customer.test", "carol-pw")
    token = uniq("carol")
    qid = postfix.send(make_message(token, to="carol@customer.test"), "alice@customer.test",
                       "carol@customer.test")
    postfix.wait_status(qid, "sent")
    msgs = dovecot.wait_messages("carol@customer.test", 1)
    assert token.encode() in msgs[0]
    with pytest.raises(imaplib.IMAP4.error):
        dovecot.imap_login("carol@customer.test", "wrong")


# (d) ------------------------------------------------------------------------------------


def test_imap_append_then_fetch_round_trips(dovecot):
    user = "dave@customer.test"
    dovecot.add_user(user, "dave-pw")
    token = uniq("append")
    raw = make_message(token, to=user, body=f"Appended {token}\r\nline two\r\n")
    uid = dovecot.append(user, raw)
    assert uid is not None
    crlf = raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    assert dovecot.messages(user) == [crlf]

    uid2 = dovecot.append(user, raw.replace(b"Appended", b"Archived"), folder="Archive/2023",
                          flags="\\Seen")
    assert uid2 is not None
    archived = dovecot.messages(user, "Archive/2023")
    assert len(archived) == 1 and b"Archived " + token.encode() in archived[0]
    assert dovecot.messages(user) == [crlf]
    assert dovecot.messages(user, "No/Such/Folder") == []

    imap = dovecot.imap_login(user)
    try:
        imap.select("INBOX", readonly=True)
        typ, data = imap.uid("FETCH", str(uid), "(FLAGS BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
        assert typ == "OK"
        assert f"Subject: {token}".encode() in data[0][1]
    finally:
        imap.logout()


# delivery to Dovecot without the LMTP package ------------------------------------------


def test_lda_fallback_without_lmtp(tmp_path):
    d = Dovecot(tmp_path / "d", name="dovecot-lda", lmtp=False)
    d.add_user("erin@customer.test", "erin-pw")
    p = Postfix(tmp_path / "p", name="postfix-lda", dovecot=d)
    try:
        d.start()
        p.start()
        token = uniq("lda")
        qid = p.send(make_message(token, to="erin@customer.test"), "alice@customer.test",
                     "erin@customer.test")
        st = p.wait_status(qid, "sent")[0]
        assert st["relay"] == "dovelda", st
        assert token.encode() in d.wait_messages("erin@customer.test", 1)[0]
    finally:
        p.close()
        d.close()


# the pipe user's view ----------------------------------------------------------------


def test_pipe_user_access_and_expose(postfix, tmp_path):
    private = tmp_path / "tool"
    private.write_text("#!/bin/sh\nexit 0\n")
    os.chmod(private, 0o755)
    # pytest's tmp dirs are 0700: the pipe user cannot run what is in them
    assert not postfix.pipe_can(private)
    exposed = postfix.expose(private)
    assert exposed != str(private) and postfix.pipe_can(exposed)
    assert postfix.pipe_can(postfix.standin.script)
    assert postfix.expose(postfix.standin.script) == str(postfix.standin.script)


# (e) ------------------------------------------------------------------------------------


def test_stop_leaves_no_processes(tmp_path):
    d = Dovecot(tmp_path / "d")
    d.add_user("fay@customer.test", "pw")
    p = Postfix(tmp_path / "p", dovecot=d)
    standin = Standin(p)
    p.set_pipe(argv=standin.argv())
    d.start()
    p.start()
    qid = p.send(make_message(uniq("stop")), "alice@customer.test", "x@support.test")
    p.wait_status(qid, "sent")
    qid = p.send(make_message(uniq("stop"), to="fay@customer.test"), "alice@customer.test",
                 "fay@customer.test")
    p.wait_status(qid, "sent")
    d.messages("fay@customer.test")
    # daemons are running under both masters now (smtpd, qmgr, pipe, lmtp, imap, auth, ...)
    pf_pids = [p.pid] + _descendants(p.pid)
    dc_pids = [d.pid] + _descendants(d.pid)
    assert len(pf_pids) > 3 and len(dc_pids) > 3, (pf_pids, dc_pids)
    roots = (p.root, d.root)

    p.close()
    d.close()
    for pid in pf_pids + dc_pids:
        assert not _alive(pid), f"process {pid} survived stop()"
    assert not p.running and not d.running
    for root in roots:
        assert not root.exists(), f"{root} not removed"
    # the logs are kept in the workdir
    assert "status=sent" in (tmp_path / "p" / "postfix" / "maillog").read_text()
    assert "saved mail to INBOX" in (tmp_path / "d" / "dovecot" / "dovecot.log").read_text()
    assert "status=sent" in p.log_text()


def test_queue_survives_postfix_restart(tmp_path):
    p = Postfix(tmp_path / "p", name="postfix-restart", customer_domains=())
    standin = Standin(p)
    standin.set_exit(EX_TEMPFAIL)
    p.set_pipe(argv=standin.argv())
    try:
        p.start()
        token = uniq("restart")
        qid = p.send(make_message(token), "alice@customer.test", "x@support.test")
        p.wait_status(qid, "deferred")
        first_pid = p.pid
        p.stop()
        assert not _alive(first_pid)
        assert qid in p.queue_ids(), "the queue is kept across stop()/start()"
        standin.set_exit(0)
        p.start()
        assert p.pid != first_pid
        p.flush()
        p.wait_status(qid, "sent")
        assert [h["code"] for h, _ in standin.records_with(token)][-1] == 0
    finally:
        p.close()
    _gone(p)
