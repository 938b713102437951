"""Private Postfix and Dovecot instances on loopback for the email end-to-end tests.

    from mailservers import Dovecot, Postfix, skip_reason, wait_for

    dovecot = Dovecot(tmp_path / "dovecot")           # nothing runs yet; ports are chosen
    dovecot.add_user("bob@customer.test", "secret")
    dovecot.start()                                   # first: Postfix needs its LMTP port
    postfix = Postfix(tmp_path / "postfix", dovecot=dovecot)
    sb = postfix.expose(SB_BIN)                       # SB_BIN, or a copy the pipe user can run
    postfix.set_pipe(argv=[sb, "mailgate", "--url", srv.base_url, "--token", token,
                           "--mailbox", "support@support.test"],
                     env={"ASAN_OPTIONS": os.environ.get("ASAN_OPTIONS", "")})
    postfix.start()
    qid = postfix.send(raw_bytes, "bob@customer.test", "support@support.test")
    postfix.wait_status(qid, "sent")                  # mailgate exited 0 ("deferred" for 75)
    postfix.send(reply_bytes, "support@support.test", "bob@customer.test")
    msgs = dovecot.wait_messages("bob@customer.test", 1)   # raw RFC 822 bytes, CRLF
    postfix.close(); dovecot.close()                  # stop by PID, remove the private tree

Routing. Mail for the *support domains* (default support.test) goes through a Postfix pipe(8)
service `sbpipe` that runs the pipe argv once per recipient, the message on stdin, as the
unprivileged `pipe_user` (default nobody). What its exit decides (pipe(8); tried here):
0 delivered; 75 (EX_TEMPFAIL) deferred and retried; killed by a signal: deferred; 65
(EX_DATAERR), 70 (EX_SOFTWARE) and ANY other non-zero code, 1 included: bounced to the
sender; still running after `pipe_time_limit`: killed and BOUNCED, not deferred. Mail for the
*customer domains* (default customer.test) goes to the Dovecot instance over LMTP
(`lmtp:inet:127.0.0.1:PORT`) or, where the dovecot-lmtpd package is missing, through a pipe
to dovecot-lda (same result in the mailbox). Other domains are refused at RCPT TO ("Relay
access denied"), so nothing leaves the machine.

How the instances are made (the non-obvious parts, found by trying):

* Everything an instance uses lives in a private directory /tmp/sb-NAME-XXXXXXXX (0755), not in
  the pytest `workdir`: pytest makes its temporary directories 0700 and resets
  /tmp/pytest-of-root to 0700 at the start of every run (anyone's), so the unprivileged
  processes (the pipe user, Dovecot's mail user and auth process) could not reach anything
  below it; and Dovecot's unix socket paths must stay under 108 bytes. `workdir/NAME` is a
  symlink to it while the instance lives; close() removes the private directory and leaves
  the logs in a real directory `workdir/NAME/` (maillog, dovecot.log, ...).
* Postfix: main.cf and master.cf are generated from scratch in ROOT/etc and every command
  gets `-c ROOT/etc` (postfix, postconf, postqueue, and the master daemon itself). As root, no
  `alternate_config_directories` entry in /etc/postfix/main.cf is needed (that file need not
  exist), nor MAIL_CONFIG: the master passes its -c directory on to its children. The queue
  and data directories get their owners from `postfix -c DIR check` (post-install
  create-missing; the harness must not create data_directory itself, it would stay
  root-owned). The master runs directly as a child process, `/usr/lib/postfix/sbin/master -c
  ROOT/etc` (without -w it does not fork, it only calls setsid), so the harness owns its PID:
  stop() = SIGTERM to it (= `postfix stop`), reload() = SIGHUP (= `postfix reload`) and waits
  for the master's "reload" log line; processes of the old configuration finish their job and
  exit. main.cf and master.cf are written with an mtime 10 s in the past: Postfix waits up to
  ~2 s in every process that reads a main.cf modified in the current second (postfix check
  took 2.2 s instead of 0.2 s). No chroot (Debian's stock master.cf chroots), no local(8).
  Logging: `maillog_file = ROOT/maillog` through the postlog service (required in master.cf);
  `maillog_file_prefixes` must allow that path. `local_header_rewrite_clients` is empty, so
  Postfix adds only trace headers (Received; Return-Path and Delivered-To from the pipe flags
  "DRX") and never rewrites or adds From/Date/Message-ID. `sbpipe_destination_recipient_limit
  = 1`: one pipe run per recipient (the D flag needs it). Queue timers for tests:
  queue_run_delay = 1s, minimal_backoff_time = maximal_backoff_time = 2s, so a deferred
  message is retried by itself every 2-3 s; flush() retries at once. (A 1s backoff is too
  short: qmgr dates a deferred file "now + backoff" on a whole-second clock and may pick it
  up again while the delivery agent still holds its lock; it then logs "skipped, still being
  delivered" and parks the message for 60 s. Seen here in about one run in five.)
* The pipe command's environment is pipe(8)'s, reset: LANG=C, PATH=/usr/bin:/bin and the
  `pipe_env` variables (passed as the service's export_environment, name=value entries), and
  nothing else: no HOME, USER, TMPDIR or ASAN_OPTIONS. Its working directory is the queue
  directory (not writable by it). pipe(8) expands ${recipient}, ${sender}, ${nexthop}, ... in
  the argv (write $$ for a literal $). The command and every directory above it must be
  reachable by the pipe user: pipe_can(path) checks, expose(path) copies if needed.
* Dovecot: `dovecot -F -c ROOT/dovecot.conf` as a child process (stop = SIGTERM to it, what
  `doveadm -c CONF stop` does); base_dir and state_dir under ROOT, its own instance_name;
  listeners only on 127.0.0.1 (IMAP, LMTP; no imaps); ssl = no with plaintext auth allowed;
  users in a passwd-file with the static uid/gid of `mail_user` (default the system user
  "mail"); maildir under ROOT/mail, "/" as hierarchy separator; unknown LMTP recipients are
  refused (550), so Postfix bounces them. Dovecot re-reads the passwd-file when its mtime
  (seconds) or size changes and checks at most once per second: add_user() bumps the mtime
  and, on a running instance, waits for the current second to pass (up to 1 s). Failed logins
  are answered at once (auth_failure_delay = 0, nodelay, anvil auth penalty off: otherwise one
  failed login slows every later login from 127.0.0.1 by 2 to 15 s). Stopping takes ~1.1 s:
  the Dovecot master always gives its log process a second.
"""
import atexit
import grp
import imaplib
import json
import os
import pwd
import re
import shutil
import signal
import smtplib
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from sbtest import SLOW, free_port

POSTFIX = shutil.which("postfix", path="/usr/sbin:/usr/bin:/sbin:/bin") or "/usr/sbin/postfix"
POSTCONF = shutil.which("postconf", path="/usr/sbin:/usr/bin:/sbin:/bin") or "/usr/sbin/postconf"
POSTQUEUE = shutil.which("postqueue", path="/usr/sbin:/usr/bin:/sbin:/bin") or "/usr/sbin/postqueue"
POSTFIX_DAEMON_DIR = "/usr/lib/postfix/sbin"
DOVECOT = shutil.which("dovecot", path="/usr/sbin:/usr/bin:/sbin:/bin") or "/usr/sbin/dovecot"
DOVECOT_LIB = "/usr/lib/dovecot"
DOVECOT_LMTP = DOVECOT_LIB + "/lmtp"
DOVECOT_LDA = DOVECOT_LIB + "/dovecot-lda"

START_TIMEOUT = 10 * SLOW    # an instance normally starts in well under a second
STOP_TIMEOUT = 10 * SLOW
DELIVERY_TIMEOUT = 15 * SLOW
CMD_TIMEOUT = 30 * SLOW
NET_TIMEOUT = 10 * SLOW

EX_DATAERR = 65
EX_TEMPFAIL = 75


# --------------------------------------------------------------------------- helpers


def wait_for(predicate, timeout=DELIVERY_TIMEOUT, interval=0.05, message=None):
    """Calls predicate() until it returns something truthy and returns that value; raises
    TimeoutError after `timeout` seconds (used as given: the defaults are already scaled by
    SLOW). Exceptions from the predicate propagate."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            what = message() if callable(message) else message
            raise TimeoutError(f"not true within {timeout:.1f} s: "
                               f"{what or getattr(predicate, '__name__', predicate)}")
        time.sleep(interval)


def skip_reason(need_lmtp=False):
    """Why the mail-server tests cannot run here (None when they can)."""
    if os.geteuid() != 0:
        return "the Postfix/Dovecot tests must run as root (the MTA and IMAP server need it)"
    missing = [p for p in (POSTFIX, POSTCONF, POSTQUEUE, POSTFIX_DAEMON_DIR + "/master",
                           POSTFIX_DAEMON_DIR + "/pipe", DOVECOT, DOVECOT_LIB + "/imap")
               if not os.access(p, os.X_OK)]
    if need_lmtp and not os.access(DOVECOT_LMTP, os.X_OK):
        missing.append(DOVECOT_LMTP)
    if missing:
        return ("mail servers not installed (Debian packages postfix, dovecot-imapd, "
                "dovecot-lmtpd): missing " + ", ".join(missing))
    for user in ("postfix", "dovenull", "dovecot"):
        try:
            pwd.getpwnam(user)
        except KeyError:
            return f"system user {user!r} missing (postfix/dovecot packages incomplete)"
    return None


def _run(cmd, timeout=CMD_TIMEOUT, check=True, **kw):
    r = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, timeout=timeout,
                       stdin=subprocess.DEVNULL, **kw)
    if check and r.returncode != 0:
        raise RuntimeError(f"{' '.join(map(str, cmd))} exited {r.returncode}\n"
                           f"stdout: {r.stdout}\nstderr: {r.stderr}")
    return r


def _alive(pid):
    """True while a process with this PID exists and is not a zombie."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            stat = f.read()
    except (FileNotFoundError, ProcessLookupError):
        return False
    state = stat.rsplit(b")", 1)[1].split()[0]
    return state not in (b"Z", b"X")


def _proc_table():
    """{pid: (ppid, session id)} of the live (non-zombie) processes, from /proc."""
    table = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat", "rb") as f:
                fields = f.read().rsplit(b")", 1)[1].split()
        except OSError:
            continue
        if fields[0] not in (b"Z", b"X"):
            table[int(d)] = (int(fields[1]), int(fields[3]))
    return table


def _descendants(pid):
    """PIDs of the live descendants of pid, plus every process of the session pid leads
    (the masters run in a session of their own: this also finds children that were
    reparented, or forked a moment after a scan)."""
    table = _proc_table()
    children = {}
    for p, (ppid, _sid) in table.items():
        children.setdefault(ppid, []).append(p)
    out, todo = set(), [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in out:
                out.add(child)
                todo.append(child)
    out |= {p for p, (_ppid, sid) in table.items() if sid == pid and p != pid}
    return sorted(out)


def _cmdline(pid):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def _port_open(port, banner=None, timeout=1.0):
    """True when 127.0.0.1:port accepts a connection (and greets with `banner`, if given)."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
            if banner is None:
                return True
            s.settimeout(timeout)
            data = b""
            while b"\n" not in data:
                chunk = s.recv(4096)
                if not chunk:
                    return False
                data += chunk
            return data.startswith(banner)
    except OSError:
        return False


def _user_ids(spec):
    """'user' or 'user:group' -> (name, uid, gid)."""
    name, _, group = spec.partition(":")
    pw = pwd.getpwnam(name)
    gid = grp.getgrnam(group).gr_gid if group else pw.pw_gid
    return name, pw.pw_uid, gid


def can_access(user, path, mode=os.X_OK):
    """Whether the (unprivileged) user can access path with mode, checked by really trying
    as that user (so every directory on the way counts)."""
    name, uid, gid = _user_ids(user)
    flag = {os.X_OK: "-x", os.R_OK: "-r", os.W_OK: "-w"}[mode]
    r = subprocess.run(["test", flag, str(path)], user=uid, group=gid, extra_groups=[],
                       stdin=subprocess.DEVNULL, capture_output=True, timeout=CMD_TIMEOUT)
    return r.returncode == 0


class _Instance:
    """Private directory, child process, logs and cleanup shared by both servers."""

    all_instances = []
    kind = "instance"

    def __init__(self, workdir, name):
        if os.geteuid() != 0:
            raise RuntimeError(skip_reason())
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.name = name
        base = "/tmp" if os.path.isdir("/tmp") else tempfile.gettempdir()
        self.root = Path(tempfile.mkdtemp(prefix=f"sb-{name}-", dir=base))
        os.chmod(self.root, 0o755)
        link = self.workdir / name
        try:
            if link.is_symlink():
                link.unlink()
            if not link.exists():
                link.symlink_to(self.root)
        except OSError:
            pass
        self.proc = None
        self.pid = None
        self.stopped_pids = []  # master + children seen at the last stop(), all gone since
        self.closed = False
        _Instance.all_instances.append(self)

    @property
    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def _log_paths(self):
        return []

    def log_text(self):
        parts = []
        for p in self._log_paths():
            if not p.exists():  # closed: the copy kept in workdir/NAME/
                p = self.workdir / self.name / p.name
            try:
                parts.append(p.read_text(errors="replace"))
            except FileNotFoundError:
                pass
        return "".join(parts)

    def log_tail(self, n=40):
        lines = self.log_text().splitlines()
        return f"---- last {min(n, len(lines))} log lines of {self.kind} {self.name}\n" + \
            "\n".join(lines[-n:])

    def _spawn(self, cmd, errlog):
        self._errlog = open(errlog, "ab")
        self.proc = subprocess.Popen([str(c) for c in cmd], stdin=subprocess.DEVNULL,
                                     stdout=self._errlog, stderr=self._errlog,
                                     cwd=str(self.root), start_new_session=True)
        self.pid = self.proc.pid

    def stop(self, timeout=STOP_TIMEOUT):
        """SIGTERM to the master PID this harness started; waits until the master and every
        process it had started are gone (SIGKILL and an error after `timeout`)."""
        if self.proc is None:
            return
        master = self.proc.pid
        pids = [master] + _descendants(master)
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        hung = None
        try:
            self.proc.wait(timeout=timeout)

            def all_gone():
                pids.extend(p for p in _descendants(master) if p not in pids)
                return not any(_alive(p) for p in pids)
            wait_for(all_gone, timeout=timeout, interval=0.02)
        except (subprocess.TimeoutExpired, TimeoutError):
            # only what is still provably ours: the master, its session, its descendants
            hung = ([master] if self.proc.poll() is None else []) + _descendants(master)
            for p in hung:
                try:
                    os.kill(p, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            self.proc.wait()
        self.stopped_pids = pids
        self.proc = None
        if getattr(self, "_errlog", None):
            self._errlog.close()
            self._errlog = None
        if hung:
            raise AssertionError(f"{self.kind} {self.name}: processes {hung} still alive "
                                 f"{timeout:.0f} s after SIGTERM (killed)\n{self.log_tail()}")

    def close(self):
        """stop(), remove the private directory; its logs are kept in workdir/NAME/."""
        if self.closed:
            return
        try:
            self.stop()
        finally:
            self.closed = True
            keep = self.workdir / self.name
            if keep.is_symlink():
                keep.unlink()
            keep.mkdir(exist_ok=True)
            for p in self._log_paths():
                if p.exists():
                    try:
                        shutil.copyfile(p, keep / p.name)
                    except OSError:
                        pass
            shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.close()


@atexit.register
def _close_leftovers():
    for inst in list(_Instance.all_instances):
        try:
            inst.close()
        except Exception:  # noqa: BLE001 - best effort at interpreter exit
            pass


# --------------------------------------------------------------------------- Dovecot


class Dovecot(_Instance):
    """A private Dovecot 2.3 (IMAP + LMTP) on 127.0.0.1 (see the module docstring).

    Attributes: imap_port, lmtp_port (chosen at construction, changed only if start() had to
    retry on a taken port), has_lmtp (False: no dovecot-lmtpd, or lmtp=False), users
    {email: password}, config_path, mail_dir, log_path, pid, root. imap_login() returns a
    logged-in imaplib.IMAP4; the caller logs out."""

    kind = "dovecot"

    def __init__(self, workdir, name="dovecot", mail_user="mail", hostname="imap.test",
                 lmtp=None):
        super().__init__(workdir, name)
        self.mail_user = mail_user
        _, self.uid, self.gid = _user_ids(mail_user)
        self.hostname = hostname
        self.has_lmtp = os.access(DOVECOT_LMTP, os.X_OK) if lmtp is None else lmtp
        self.users = {}
        self.config_path = self.root / "dovecot.conf"
        self.users_path = self.root / "users"
        self.mail_dir = self.root / "mail"
        self.log_path = self.root / "dovecot.log"
        self.lda_log_path = self.root / "lda.log"  # dovecot-lda runs as mail_user
        self.imap_port = None
        self.lmtp_port = None
        for d in ("run", "state"):
            (self.root / d).mkdir(mode=0o755)
        self.mail_dir.mkdir(mode=0o700)
        os.chown(self.mail_dir, self.uid, self.gid)
        self.users_path.write_text("")
        self.lda_log_path.write_text("")
        os.chown(self.lda_log_path, self.uid, self.gid)
        self._pick_ports()

    def _log_paths(self):
        return [self.log_path, self.lda_log_path, self.root / "dovecot.stderr"]

    def _pick_ports(self):
        self.imap_port = free_port()
        self.lmtp_port = free_port()
        while self.lmtp_port == self.imap_port:
            self.lmtp_port = free_port()

    def _config(self):
        r = self.root
        lmtp_service = f"""
service lmtp {{
  inet_listener lmtp {{
    address = 127.0.0.1
    port = {self.lmtp_port}
  }}
  unix_listener lmtp {{
    mode = 0600
  }}
}}
protocol lmtp {{
  postmaster_address = postmaster@{self.hostname}
}}
""" if self.has_lmtp else ""
        return f"""# generated by tests/e2e/mailservers.py
instance_name = sb-{self.name}-{r.name.rsplit('-', 1)[-1]}
base_dir = {r}/run
state_dir = {r}/state
log_path = {self.log_path}
protocols = imap{' lmtp' if self.has_lmtp else ''}
listen = 127.0.0.1
hostname = {self.hostname}
postmaster_address = postmaster@{self.hostname}
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
auth_username_format = %Lu
default_login_user = dovenull
default_internal_user = dovecot
first_valid_uid = {self.uid}
last_valid_uid = {self.uid}
first_valid_gid = {self.gid}
last_valid_gid = {self.gid}
mail_location = maildir:{self.mail_dir}/%d/%n/Maildir
lda_mailbox_autocreate = yes
shutdown_clients = yes
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%Lu {self.users_path}
}}
userdb {{
  driver = passwd-file
  args = username_format=%Lu {self.users_path}
  default_fields = uid={self.uid} gid={self.gid} home={self.mail_dir}/%d/%n
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {self.imap_port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service auth {{
  unix_listener auth-userdb {{
    mode = 0666
  }}
}}
service anvil {{
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
service stats {{
  unix_listener stats-writer {{
    mode = 0666
  }}
}}
protocol lda {{
  log_path = {self.lda_log_path}
  info_log_path = {self.lda_log_path}
}}
namespace inbox {{
  inbox = yes
  separator = /
}}
{lmtp_service}"""

    # -- users

    def add_user(self, email, password):
        """Adds (or changes) a mailbox user. While running, returns once Dovecot sees the
        change (its passwd-file is re-read at most once a second: up to ~1 s)."""
        return self.add_users({email: password})

    def add_users(self, users):
        """add_user for several {email: password} at once (one wait)."""
        for email, password in users.items():
            if any(c in email + password for c in ":\n"):
                raise ValueError("':' and newlines cannot appear in a passwd-file entry")
            self.users[email.lower()] = password
        # nodelay: a wrong password fails at once (no 2 s failure delay)
        text = "".join(f"{u}:{{PLAIN}}{p}::::::nodelay=y\n" for u, p in self.users.items())
        tmp = self.users_path.with_suffix(".tmp")
        tmp.write_text(text)
        os.chmod(tmp, 0o644)
        # Dovecot re-reads a passwd-file when its mtime (whole seconds) or size changed, and
        # checks at most once per second (not again in the second of its last check): give
        # the new file a later mtime than the old one, then let the current second pass, so
        # that the very next lookup sees the change.
        try:
            old = int(self.users_path.stat().st_mtime)
        except FileNotFoundError:
            old = 0
        written = time.time()
        stamp = max(int(written), old + 1)
        os.utime(tmp, (stamp, stamp))
        os.replace(tmp, self.users_path)
        if self.running:
            wait_for(lambda: time.time() >= int(written) + 1, 2, interval=0.01)
        return self

    # -- lifecycle

    def start(self):
        if self.running:
            return self
        if self.closed:
            raise RuntimeError("this Dovecot instance was closed")
        last = None
        for attempt in range(3):
            if attempt:
                self._pick_ports()
            self.config_path.write_text(self._config())
            os.chmod(self.config_path, 0o644)
            self._spawn([DOVECOT, "-F", "-c", self.config_path], self.root / "dovecot.stderr")
            try:
                wait_for(self._ready, START_TIMEOUT, interval=0.02,
                         message="dovecot IMAP/LMTP greeting")
                return self
            except (TimeoutError, RuntimeError) as e:
                last = e
                try:
                    self.stop()
                except AssertionError:
                    pass
        raise RuntimeError(f"dovecot {self.name} did not start: {last}\n{self.log_tail()}")

    def _ready(self):
        if self.proc.poll() is not None:
            raise RuntimeError(f"dovecot exited with {self.proc.returncode} during start-up")
        if not _port_open(self.imap_port, b"* OK"):
            return False
        return not self.has_lmtp or _port_open(self.lmtp_port, b"220")

    def doveadm(self, *args, check=True):
        return _run(["doveadm", "-c", self.config_path] + list(args), check=check)

    # -- IMAP

    def imap_login(self, user, password=None):
        """An imaplib.IMAP4 connected to this instance and logged in as user."""
        password = self.users[user.lower()] if password is None else password
        imap = imaplib.IMAP4("127.0.0.1", self.imap_port, timeout=NET_TIMEOUT)
        try:
            imap.login(user, password)
        except Exception:
            imap.shutdown()
            raise
        return imap

    @staticmethod
    def _quote(folder):
        return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'

    def messages(self, user, folder="INBOX"):
        """Raw RFC 822 bytes of every message in the folder, in UID order, as IMAP serves them
        (CRLF line ends). Does not set \\Seen. A missing folder gives []."""
        imap = self.imap_login(user)
        try:
            typ, _ = imap.select(self._quote(folder), readonly=True)
            if typ != "OK":
                return []
            typ, data = imap.uid("SEARCH", None, "ALL")
            assert typ == "OK", data
            uids = data[0].split()
            out = []
            for uid in uids:
                typ, data = imap.uid("FETCH", uid, "(BODY.PEEK[])")
                assert typ == "OK", data
                parts = [d for d in data if isinstance(d, tuple)]
                assert len(parts) == 1, data
                out.append(parts[0][1])
            return out
        finally:
            try:
                imap.logout()
            except Exception:  # noqa: BLE001
                pass

    def wait_messages(self, user, count=1, folder="INBOX", timeout=DELIVERY_TIMEOUT):
        """Waits until the folder holds at least `count` messages; returns them all."""
        got = []

        def enough():
            got[:] = self.messages(user, folder)
            return len(got) >= count
        wait_for(enough, timeout, interval=0.1,
                 message=lambda: f"{count} message(s) in {user}/{folder}, have {len(got)}")
        return got

    def append(self, user, raw, folder="INBOX", flags="", create=True):
        """IMAP APPEND of raw bytes (bare LF is sent as CRLF); creates the folder if needed.
        Returns the new message's UID (from UIDPLUS) or None."""
        if isinstance(raw, str):
            raw = raw.encode()
        raw = raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
        imap = self.imap_login(user)
        try:
            if create and folder.upper() != "INBOX":
                imap.create(self._quote(folder))  # NO when it exists: fine
            typ, data = imap.append(self._quote(folder), f"({flags})" if flags else None,
                                    None, raw)
            if typ != "OK":
                raise RuntimeError(f"APPEND to {folder} failed: {data}")
            m = re.search(rb"APPENDUID \d+ (\d+)", data[0] or b"")
            return int(m.group(1)) if m else None
        finally:
            try:
                imap.logout()
            except Exception:  # noqa: BLE001
                pass


# --------------------------------------------------------------------------- Postfix

_STATUS_RE = re.compile(
    r"postfix\S*/(?P<agent>[\w-]+)\[\d+\]: (?P<qid>[0-9A-Za-z]+): to=<(?P<rcpt>[^>]*)>,"
    r"(?: orig_to=<[^>]*>,)? relay=(?P<relay>[^,]*),.*? dsn=(?P<dsn>[\d.]+), "
    r"status=(?P<status>\w+) \((?P<text>.*)\)$")


def _pf_arg(value):
    """One word of a master.cf command line: Postfix >= 3.0 groups words with { }."""
    value = str(value)
    if "\n" in value or value.startswith("{"):
        raise ValueError(f"cannot pass {value!r} through master.cf")
    if value == "" or re.search(r"\s", value):
        if value != value.strip():
            raise ValueError(f"master.cf cannot keep leading/trailing blanks: {value!r}")
        return "{ " + value + " }"
    return value


class Postfix(_Instance):
    """A private Postfix 3.7 on 127.0.0.1 (see the module docstring).

    support_domains go to the pipe command (pipe_argv, pipe_env, run as pipe_user with the
    pipe(8) flags pipe_flags, killed and bounced after pipe_time_limit seconds, at most
    pipe_maxproc at a time); customer_domains go to `dovecot` (a Dovecot, started first) or
    to an LMTP server on 127.0.0.1:lmtp_port; main_cf: extra main.cf parameters, e.g.
    {"message_size_limit": "50000000"}. Attributes: smtp_port, config_dir, queue_dir,
    pipe_dir (owned by the pipe user), log_path, pid, root."""

    kind = "postfix"

    def __init__(self, workdir, name="postfix", *, support_domains=("support.test",),
                 customer_domains=("customer.test",), dovecot=None, lmtp_port=None,
                 pipe_argv=None, pipe_env=None, pipe_user="nobody", pipe_flags="DRX",
                 pipe_time_limit=int(120 * SLOW), pipe_maxproc=20, hostname="mx.test",
                 main_cf=None):
        super().__init__(workdir, name)
        self.support_domains = list(support_domains)
        self.customer_domains = list(customer_domains)
        self.dovecot = dovecot
        self.lmtp_port = lmtp_port
        self.hostname = hostname
        self.main_cf_extra = dict(main_cf or {})
        self.config_dir = self.root / "etc"
        self.queue_dir = self.root / "queue"
        self.data_dir = self.root / "data"
        self.log_path = self.root / "maillog"
        self.pipe_dir = self.root / "pipe"
        for d in (self.config_dir, self.queue_dir):  # data_dir: made by `postfix check`
            d.mkdir(mode=0o755)
        self.pipe_argv = None
        self.pipe_env = {}
        self.pipe_user = pipe_user
        self.pipe_flags = pipe_flags
        self.pipe_time_limit = pipe_time_limit
        self.pipe_maxproc = pipe_maxproc
        self.set_pipe(argv=pipe_argv or ["/bin/false"], env=pipe_env or {}, user=pipe_user)
        self.smtp_port = free_port()
        self._checked = False

    def _log_paths(self):
        return [self.log_path, self.root / "master.stderr"]

    # -- configuration

    def set_pipe(self, argv=None, env=None, user=None, flags=None, time_limit=None):
        """Changes the support-domain pipe command (argv list; pipe(8) expands ${recipient},
        ${sender}, ... in it, write $$ for a literal $), its extra environment (dict), user or
        flags; reloads a running instance (when something changed) and returns once the
        master has re-read the configuration and the old processes are gone, so the next
        delivery attempt uses the new command."""
        if argv is not None:
            self.pipe_argv = [str(a) for a in argv]
        if env is not None:
            self.pipe_env = {str(k): str(v) for k, v in env.items()}
        if user is not None:
            self.pipe_user = user
        if flags is not None:
            self.pipe_flags = flags
        if time_limit is not None:
            self.pipe_time_limit = time_limit
        name, uid, gid = _user_ids(self.pipe_user)
        if uid == 0 or name == "postfix":
            raise ValueError("pipe(8) refuses to run commands as root or as the mail owner")
        if not self.pipe_dir.exists():
            self.pipe_dir.mkdir(mode=0o755)
        os.chown(self.pipe_dir, uid, gid)
        if self.running and self._config_changed():
            self.reload()
        return self

    def _config_changed(self):
        for fname, text in (("main.cf", self.main_cf()), ("master.cf", self.master_cf())):
            try:
                if (self.config_dir / fname).read_text() != text:
                    return True
            except FileNotFoundError:
                return True
        return False

    def _transport_map(self):
        entries = [f"{d}=sbpipe:" for d in self.support_domains]
        if self.customer_domains:
            if self.dovecot is not None and not self.dovecot.has_lmtp:
                target = "dovelda:"
            else:
                port = self.lmtp_port or (self.dovecot.lmtp_port if self.dovecot else None)
                target = f"lmtp:inet:127.0.0.1:{port}" if port else "error:5.3.0 no LMTP server"
            entries += [f"{d}={target}" for d in self.customer_domains]
        return "inline:{ " + ", ".join(entries) + " }"

    def _export_env(self):
        words = ["TZ", "LANG"]
        for k, v in self.pipe_env.items():
            if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", k) or re.search(r"[\n{}]", v):
                raise ValueError(f"cannot pass environment {k}={v!r} through Postfix")
            item = f"{k}={v.replace('$', '$$')}"
            words.append("{ " + item + " }" if re.search(r"[\s,]", item) or item.endswith("=")
                         else item)
        return " ".join(words)

    def main_cf(self):
        r = self.root
        domains = self.support_domains + self.customer_domains
        params = {
            "compatibility_level": "3.6",
            "queue_directory": str(self.queue_dir),
            "data_directory": str(self.data_dir),
            "maillog_file": str(self.log_path),
            "maillog_file_prefixes": str(r),
            "myhostname": self.hostname,
            "myorigin": "$myhostname",
            "mydestination": "",
            "inet_interfaces": "127.0.0.1",
            "inet_protocols": "ipv4",
            "mynetworks": "127.0.0.0/8",
            "relay_domains": " ".join(domains),
            "transport_maps": self._transport_map(),
            "relay_recipient_maps": "",
            "local_recipient_maps": "",
            "alias_maps": "",
            "alias_database": "",
            "local_transport": "error:5.1.1 no local delivery on this test MTA",
            "default_transport": "error:5.1.2 no delivery outside the test domains",
            "relay_transport": "error:5.1.2 no relay route",
            "smtpd_relay_restrictions": "reject_unauth_destination",
            "smtpd_recipient_restrictions": "",
            "smtpd_peername_lookup": "no",
            "smtpd_error_sleep_time": "0",
            "smtpd_banner": "$myhostname ESMTP",
            "in_flow_delay": "0",
            "local_header_rewrite_clients": "",
            "append_dot_mydomain": "no",
            "biff": "no",
            "queue_run_delay": "1s",
            # not 1s: qmgr dates a deferred file "now + backoff" with a whole-second clock,
            # so with 1s it may rescan the file while the delivery agent still holds its
            # lock, and then parks it ("skipped, still being delivered") for 60 s
            "minimal_backoff_time": "2s",
            "maximal_backoff_time": "2s",
            "transport_retry_time": "1s",
            "sbpipe_destination_recipient_limit": "1",
            "sbpipe_time_limit": f"{int(self.pipe_time_limit)}s",
            "sbpipe_export_environment": self._export_env(),
            "dovelda_destination_recipient_limit": "1",
        }
        params.update(self.main_cf_extra)
        return "# generated by tests/e2e/mailservers.py\n" + "".join(
            f"{k} = {v}\n" for k, v in params.items())

    def master_cf(self):
        private = [  # service, type, private, unpriv, chroot, wakeup, maxproc, command
            ("pickup", "unix", "n", "-", "n", "60", "1", "pickup"),
            ("cleanup", "unix", "n", "-", "n", "-", "0", "cleanup"),
            ("qmgr", "unix", "n", "-", "n", "300", "1", "qmgr"),
            ("rewrite", "unix", "-", "-", "n", "-", "-", "trivial-rewrite"),
            ("bounce", "unix", "-", "-", "n", "-", "0", "bounce"),
            ("defer", "unix", "-", "-", "n", "-", "0", "bounce"),
            ("trace", "unix", "-", "-", "n", "-", "0", "bounce"),
            ("verify", "unix", "-", "-", "n", "-", "1", "verify"),
            ("flush", "unix", "n", "-", "n", "1000?", "0", "flush"),
            ("proxymap", "unix", "-", "-", "n", "-", "-", "proxymap"),
            ("proxywrite", "unix", "-", "-", "n", "-", "1", "proxymap"),
            ("smtp", "unix", "-", "-", "n", "-", "-", "smtp"),
            ("relay", "unix", "-", "-", "n", "-", "-", "smtp"),
            ("showq", "unix", "n", "-", "n", "-", "-", "showq"),
            ("error", "unix", "-", "-", "n", "-", "-", "error"),
            ("retry", "unix", "-", "-", "n", "-", "-", "error"),
            ("discard", "unix", "-", "-", "n", "-", "-", "discard"),
            ("lmtp", "unix", "-", "-", "n", "-", "-", "lmtp"),
            ("anvil", "unix", "-", "-", "n", "-", "1", "anvil"),
            ("scache", "unix", "-", "-", "n", "-", "1", "scache"),
            ("postlog", "unix-dgram", "n", "-", "n", "-", "1", "postlogd"),
        ]
        lines = ["# generated by tests/e2e/mailservers.py",
                 f"127.0.0.1:{self.smtp_port} inet n - n - - smtpd"]
        lines += ["  ".join(row) for row in private]
        lines.append(f"sbpipe unix - n n - {int(self.pipe_maxproc)} pipe")
        lines.append("  -o export_environment=$sbpipe_export_environment")
        lines.append(f"  flags={self.pipe_flags} user={self.pipe_user} argv="
                     + " ".join(_pf_arg(a) for a in self.pipe_argv))
        if self.dovecot is not None and not self.dovecot.has_lmtp:
            lines.append("dovelda unix - n n - - pipe")
            lines.append(f"  flags=DRXhu user={self.dovecot.mail_user} argv={DOVECOT_LDA} "
                         f"-c {self.dovecot.config_path} -f ${{sender}} -d ${{recipient}}")
        return "\n".join(lines) + "\n"

    def write_config(self):
        for fname, text in (("main.cf", self.main_cf()), ("master.cf", self.master_cf())):
            tmp = self.config_dir / (fname + ".tmp")
            tmp.write_text(text)
            os.chmod(tmp, 0o644)
            # Postfix waits (up to ~2 s, in 300 ms steps) while main.cf looks freshly modified
            # (mtime not in the past): every daemon start would pay for it. Backdate it.
            past = time.time() - 10
            os.utime(tmp, (past, past))
            os.replace(tmp, self.config_dir / fname)

    def postconf(self, *args):
        """postconf -c DIR ARGS...; returns stdout."""
        return _run([POSTCONF, "-c", self.config_dir] + list(args)).stdout

    # -- lifecycle

    def start(self):
        if self.running:
            return self
        if self.closed:
            raise RuntimeError("this Postfix instance was closed")
        last = None
        for attempt in range(3):
            if attempt:
                self.smtp_port = free_port()
            self.write_config()
            if not self._checked:
                # creates the queue directories with their owners (post-install create-missing)
                # and checks the configuration; `postfix start` would do the same each time.
                _run([POSTFIX, "-c", self.config_dir, "check"])
                self._checked = True
            self._spawn([POSTFIX_DAEMON_DIR + "/master", "-c", self.config_dir],
                        self.root / "master.stderr")
            try:
                wait_for(self._ready, START_TIMEOUT, interval=0.02,
                         message="postfix smtpd greeting")
                return self
            except (TimeoutError, RuntimeError) as e:
                last = e
                try:
                    self.stop()
                except AssertionError:
                    pass
        raise RuntimeError(f"postfix {self.name} did not start: {last}\n{self.log_tail()}")

    def _ready(self):
        if self.proc.poll() is not None:
            raise RuntimeError(f"master exited with {self.proc.returncode} during start-up")
        return _port_open(self.smtp_port, b"220")

    def _log_size(self):
        try:
            return self.log_path.stat().st_size
        except FileNotFoundError:
            return 0

    def reload(self, timeout=START_TIMEOUT):
        """Re-reads main.cf/master.cf (SIGHUP to the master, as `postfix reload` does), waits
        for the master's "reload" log line, then for the processes of the old configuration
        to exit (they finish their current job first). Waiting matters: an old qmgr still
        scanning the queue next to the new one can take a deferred message into its active
        queue and exit, and the message then stays stuck until the next restart."""
        self.write_config()
        if not self.running:
            return self
        mark = self._log_size()
        old = _descendants(self.proc.pid)
        os.kill(self.proc.pid, signal.SIGHUP)

        def reloaded():
            try:  # postlogd creates the log file with the first line it gets
                with open(self.log_path, "rb") as f:
                    f.seek(mark)
                    return re.search(rb"postfix\S*/master\[\d+\]: reload -- ", f.read())
            except FileNotFoundError:
                return None
        wait_for(reloaded, timeout, interval=0.02, message="master 'reload' log line")
        try:
            wait_for(lambda: not any(_alive(p) for p in old), timeout, interval=0.02)
        except TimeoutError:
            # a delivery of the old configuration still running (a slow pipe command) may
            # finish in its own time; an old queue manager must not stay
            qmgr = [p for p in old if _alive(p) and _cmdline(p).startswith("qmgr")]
            if qmgr:
                raise AssertionError(f"postfix {self.name}: old qmgr {qmgr} still running "
                                     f"{timeout:.0f} s after reload\n{self.log_tail()}")
        return self

    # -- mail

    def send(self, raw, mail_from, rcpt_to, mail_options=()):
        """Submits raw bytes over SMTP (line ends normalised to CRLF; dot-stuffing by smtplib)
        and returns the Postfix queue id. rcpt_to: an address or a list. Raises
        smtplib.SMTPException when Postfix refuses."""
        if isinstance(raw, str):
            raw = raw.encode()
        raw = raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
        rcpts = [rcpt_to] if isinstance(rcpt_to, str) else list(rcpt_to)
        with smtplib.SMTP("127.0.0.1", self.smtp_port, local_hostname="client.test",
                          timeout=NET_TIMEOUT) as smtp:
            smtp.ehlo()
            code, resp = smtp.mail(mail_from, list(mail_options))
            if code != 250:
                raise smtplib.SMTPSenderRefused(code, resp, mail_from)
            for rcpt in rcpts:
                code, resp = smtp.rcpt(rcpt)
                if code not in (250, 251):
                    raise smtplib.SMTPRecipientsRefused({rcpt: (code, resp)})
            code, resp = smtp.data(raw)
            if code != 250:
                raise smtplib.SMTPDataError(code, resp)
        m = re.search(rb"queued as ([0-9A-Za-z]+)", resp)
        return m.group(1).decode() if m else None

    def queue(self):
        """The mail queue as `postqueue -j` reports it: a list of dicts (queue_id,
        queue_name: incoming/active/deferred/hold, sender, recipients: [{address,
        delay_reason}], ...)."""
        out = _run([POSTQUEUE, "-c", self.config_dir, "-j"]).stdout
        return [json.loads(line) for line in out.splitlines() if line.strip()]

    def queue_ids(self, queue_name=None):
        """Queue ids of the mail still queued (optionally only in one queue, e.g. "deferred")."""
        return [m["queue_id"] for m in self.queue()
                if queue_name is None or m.get("queue_name") == queue_name]

    def flush(self):
        """postqueue -f: retry every queued message now."""
        _run([POSTQUEUE, "-c", self.config_dir, "-f"])

    def statuses(self, queue_id=None):
        """Delivery attempts from the log, oldest first: dicts with qid, rcpt, relay, dsn,
        status (sent/deferred/bounced/expired), text and agent (pipe, lmtp, error...)."""
        out = []
        for line in self.log_text().splitlines():
            m = _STATUS_RE.search(line)
            if m and (queue_id is None or m.group("qid") == queue_id):
                out.append(m.groupdict())
        return out

    def wait_status(self, queue_id, status="sent", count=1, timeout=DELIVERY_TIMEOUT):
        """Waits until the log shows `count` delivery attempts of queue_id with this status;
        returns them."""
        def seen():
            found = [s for s in self.statuses(queue_id) if s["status"] == status]
            return found if len(found) >= count else None
        return wait_for(seen, timeout, interval=0.05, message=lambda: (
            f"{count}x status={status} for {queue_id}; log has "
            f"{[(s['status'], s['text']) for s in self.statuses(queue_id)]}\n{self.log_tail(20)}"))

    def wait_log(self, pattern, timeout=DELIVERY_TIMEOUT):
        """Waits until a log line matches the regex; returns the re.Match."""
        rx = re.compile(pattern)

        def found():
            for line in self.log_text().splitlines():
                m = rx.search(line)
                if m:
                    return m
            return None
        return wait_for(found, timeout, interval=0.05,
                        message=lambda: f"log line /{pattern}/\n{self.log_tail(20)}")

    def wait_queue_empty(self, timeout=DELIVERY_TIMEOUT):
        wait_for(lambda: not self.queue(), timeout, interval=0.1,
                 message=lambda: f"empty queue; still queued: {self.queue()}")

    # -- the pipe user's view

    def pipe_can(self, path, mode=os.X_OK):
        """Whether the pipe command's user can access path (e.g. execute the switchboard
        binary: every directory above it must be searchable by that user)."""
        return can_access(self.pipe_user, path, mode)

    def expose(self, path):
        """path itself if the pipe user can execute it, otherwise a copy in pipe_dir that
        it can (for a build directory under a private home, e.g. /root)."""
        if self.pipe_can(path):
            return str(path)
        dest = self.pipe_dir / Path(path).name
        shutil.copy2(path, dest)
        os.chmod(dest, 0o755)
        return str(dest)
