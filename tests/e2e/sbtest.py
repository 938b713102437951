"""Helpers for the Switchboard end-to-end tests: server processes, the CLI, an HTTP client
wrapper, a small Server-Sent Events reader and assertion helpers.

Everything talks to a real `switchboard serve` process over TCP; nothing here knows how the
server is built inside.
"""
import itertools
import json
import os
import random
import re
import signal
import socket
import string
import subprocess
import time
from pathlib import Path

import requests
from requests.adapters import HTTPAdapter

REPO = Path(__file__).resolve().parents[2]
SB_BIN = os.environ.get("SWITCHBOARD_BIN") or str(REPO / "build" / "switchboard")

# Sanitizer builds are ~3x slower: every wait below is scaled by this factor.
SLOW = 3.0 if os.environ.get("SB_SANITIZE", "").strip().upper() in ("1", "ON", "TRUE", "YES") else 1.0
HTTP_TIMEOUT = 15 * SLOW
START_TIMEOUT = 10 * SLOW
STOP_TIMEOUT = 15 * SLOW
CLI_TIMEOUT = 30 * SLOW

RFC3339_UTC = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")

_counter = itertools.count(1)
_run_tag = "".join(random.choice(string.ascii_lowercase) for _ in range(4))


def uniq(prefix="x"):
    """A value unique in this test run, e.g. for emails and names."""
    return f"{prefix}-{_run_tag}{next(_counter)}"


def uemail(prefix="user"):
    return f"{uniq(prefix)}@example.test"


def uword(prefix="zq", n=10):
    """A unique all-letter word (search tokenizers split on punctuation and digits)."""
    return prefix + "".join(random.choice(string.ascii_lowercase) for _ in range(n))


CYRILLIC = "абвгдежзийклмнопрстуфхцчшщюя"


def ucyr(n=10):
    return "жщ" + "".join(random.choice(CYRILLIC) for _ in range(n))


def free_port(host="127.0.0.1"):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def binary_path():
    return SB_BIN


def require_binary():
    if not os.path.isfile(SB_BIN) or not os.access(SB_BIN, os.X_OK):
        raise RuntimeError(
            f"switchboard binary not found at {SB_BIN} (build it, or set SWITCHBOARD_BIN)")


# --------------------------------------------------------------------------- HTTP client


class SourceAddressAdapter(HTTPAdapter):
    """Connects from a given local address (any 127.x.y.z works on Linux loopback), so a test
    can look like a different client address to the server."""

    def __init__(self, source_ip, **kw):
        self._source_ip = source_ip
        super().__init__(**kw)

    def init_poolmanager(self, *args, **kw):
        kw["source_address"] = (self._source_ip, 0)
        super().init_poolmanager(*args, **kw)


class Api:
    """requests wrapper bound to a base URL and (optionally) a bearer token.

    Every call has a timeout. `expect=` asserts the status code and shows the body on a
    mismatch; the response is returned either way.
    """

    def __init__(self, base_url, token=None, source_ip=None):
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.s = requests.Session()
        self.s.trust_env = False  # never go through an HTTP proxy from the environment
        if source_ip:
            adapter = SourceAddressAdapter(source_ip)
            self.s.mount("http://", adapter)
        if token:
            self.s.headers["Authorization"] = f"Bearer {token}"

    def url(self, path):
        return path if path.startswith("http") else self.base_url + path

    def request(self, method, path, *, expect=None, **kw):
        kw.setdefault("timeout", HTTP_TIMEOUT)
        r = self.s.request(method, self.url(path), **kw)
        if expect is not None:
            expected = expect if isinstance(expect, (tuple, list, set)) else (expect,)
            assert r.status_code in expected, (
                f"{method} {path}: expected {expect}, got {r.status_code}: {r.text[:2000]}")
        return r

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, **kw):
        return self.request("POST", path, **kw)

    def patch(self, path, **kw):
        return self.request("PATCH", path, **kw)

    def put(self, path, **kw):
        return self.request("PUT", path, **kw)

    def delete(self, path, **kw):
        return self.request("DELETE", path, **kw)

    # ---- domain shortcuts (each asserts success and returns the JSON) ----

    def create_conversation(self, subject=None, body=None, email=None, name=None, **extra):
        payload = {
            "subject": subject if subject is not None else uniq("subject"),
            "body": body if body is not None else "Hello, I need help with " + uniq("thing"),
            "contact": extra.pop("contact", None) or {
                "email": email or uemail("customer"),
                "name": name or "Customer " + uniq("n"),
            },
            "channel": extra.pop("channel", "api"),
        }
        payload.update(extra)
        return self.post("/api/v1/conversations", json=payload, expect=201).json()

    def get_conversation(self, cid):
        return self.get(f"/api/v1/conversations/{cid}", expect=200).json()

    def patch_conversation(self, cid, expect=200, **fields):
        return self.patch(f"/api/v1/conversations/{cid}", json=fields, expect=expect).json()

    def messages(self, cid, **params):
        return self.get(f"/api/v1/conversations/{cid}/messages", params=params or None,
                        expect=200).json()["items"]

    def post_message(self, cid, body, expect=201, **extra):
        payload = {"body": body}
        payload.update(extra)
        return self.post(f"/api/v1/conversations/{cid}/messages", json=payload,
                         expect=expect).json()

    def list_conversations(self, **params):
        return self.get("/api/v1/conversations", params=params, expect=200).json()

    def walk_conversations(self, **params):
        """Follows next_cursor to the end; returns (items, pages)."""
        items, pages = [], 0
        params = dict(params)
        while True:
            page = self.list_conversations(**params)
            pages += 1
            items.extend(page["items"])
            if "limit" in params:
                assert len(page["items"]) <= int(params["limit"])
            nxt = page.get("next_cursor")
            if not nxt:
                return items, pages
            assert pages < 1000, "pagination does not end"
            params["cursor"] = nxt

    def me(self):
        return self.get("/api/v1/auth/me", expect=200).json()["agent"]


def assert_error(r, status, code):
    """The response is an error in the documented format with the given status and code."""
    assert r.status_code == status, (
        f"{r.request.method} {r.request.path_url}: expected {status} {code}, "
        f"got {r.status_code}: {r.text[:2000]}")
    ctype = r.headers.get("Content-Type", "")
    assert "application/json" in ctype, f"error without a JSON content type: {ctype!r} {r.text[:500]}"
    body = r.json()
    assert isinstance(body, dict) and isinstance(body.get("error"), dict), body
    assert body["error"].get("code") == code, f"expected code {code!r}, got {body}"
    msg = body["error"].get("message")
    assert isinstance(msg, str) and msg.strip(), f"error message missing: {body}"
    return body["error"]


def assert_ts(value):
    assert isinstance(value, str) and RFC3339_UTC.match(value), f"not an RFC 3339 UTC time: {value!r}"


# --------------------------------------------------------------------------- processes


class User:
    def __init__(self, server, email, name, role, password, token):
        self.server = server
        self.email = email
        self.name = name
        self.role = role
        self.password = password
        self.token = token
        self.api = Api(server.base_url, token)
        self._id = None

    @property
    def id(self):
        if self._id is None:
            me = self.api.me()
            assert me["email"].lower() == self.email.lower(), me
            self._id = me["id"]
        return self._id

    def __repr__(self):
        return f"<User {self.role} {self.email}>"


class Server:
    """One `switchboard serve` process on its own data directory."""

    all_servers = []

    def __init__(self, workdir, name="server", extra_args=()):
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.data_dir = self.workdir / "data"  # not created here: serve must create it
        self.name = name
        self.extra_args = list(extra_args)
        self.proc = None
        self.port = None
        self.log_path = self.workdir / f"{name}.log"
        self.stopped_at = None
        self.returncode = None
        self._log = None
        Server.all_servers.append(self)

    # -- lifecycle --

    @property
    def base_url(self):
        return f"http://127.0.0.1:{self.port}"

    @property
    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def start(self, port=None):
        require_binary()
        last_err = None
        for _attempt in range(3):
            self.port = port or free_port()
            self._log = open(self.log_path, "ab")
            self._log.write(f"==== starting {self.name} on port {self.port}\n".encode())
            self._log.flush()
            cmd = [SB_BIN, "serve", "--data", str(self.data_dir),
                   "--listen", f"127.0.0.1:{self.port}"] + self.extra_args
            self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=self._log,
                                         stderr=self._log, cwd=str(self.workdir))
            self.stopped_at = None
            self.returncode = None
            try:
                self.wait_ready()
                return self
            except RuntimeError as e:  # e.g. the port was taken in between
                last_err = e
                if self.proc.poll() is None:
                    self.proc.kill()
                    self.proc.wait()
                self._closed()
                if port:
                    break
        raise RuntimeError(f"{self.name} did not start: {last_err}\n{self.log_tail()}")

    def wait_ready(self):
        deadline = time.monotonic() + START_TIMEOUT
        s = requests.Session()
        s.trust_env = False
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"exited with {self.proc.returncode} during start-up")
            try:
                r = s.get(self.base_url + "/healthz", timeout=1 * SLOW)
                if r.status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.05)
        raise RuntimeError(f"/healthz not 200 within {START_TIMEOUT:.0f} s")

    def _closed(self):
        self.returncode = self.proc.returncode
        self.stopped_at = time.time()
        if self._log:
            self._log.close()
            self._log = None

    def stop(self, timeout=STOP_TIMEOUT):
        """SIGTERM and wait; returns the exit code (kills and raises on a hang)."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                self._closed()
                raise AssertionError(
                    f"{self.name} did not exit within {timeout:.0f} s of SIGTERM\n{self.log_tail()}")
        self._closed()
        return self.returncode

    def kill9(self):
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait()
        self._closed()

    def log_text(self):
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def log_tail(self, n=40):
        lines = self.log_text().splitlines()
        return f"---- last {min(n, len(lines))} lines of {self.log_path}\n" + "\n".join(lines[-n:])

    # -- CLI --

    def cli(self, *args, stdin=None, check=True):
        require_binary()
        cmd = [SB_BIN] + [str(a) for a in args]
        r = subprocess.run(cmd, input=stdin, capture_output=True, text=True,
                           timeout=CLI_TIMEOUT, cwd=str(self.workdir))
        if check and r.returncode != 0:
            raise AssertionError(
                f"{' '.join(cmd)} exited {r.returncode}\nstdout: {r.stdout}\nstderr: {r.stderr}")
        return r

    def user_add(self, email, name, role, password=None, check=True):
        args = ["user", "add", "--data", self.data_dir, "--email", email, "--name", name,
                "--role", role]
        stdin = None
        if password is not None:
            args.append("--password-stdin")
            stdin = password + "\n"
        return self.cli(*args, stdin=stdin, check=check)

    def token_create(self, email, scope=None):
        args = ["token", "create", "--data", self.data_dir, "--email", email]
        if scope:
            args += ["--scope", scope]
        r = self.cli(*args)
        lines = [l for l in r.stdout.splitlines() if l.strip()]
        assert len(lines) == 1, f"token create printed {r.stdout!r}"
        return lines[0].strip()

    def new_user(self, role="agent", password=None, scope=None, email=None, name=None):
        email = email or uemail(role)
        name = name or f"{role.title()} {uniq('n')}"
        self.user_add(email, name, role, password)
        token = self.token_create(email, scope)
        return User(self, email, name, role, password, token)

    def api(self, token=None, **kw):
        return Api(self.base_url, token, **kw)


def start_server(tmp_path_factory, name="server", extra_args=()):
    workdir = tmp_path_factory.mktemp(name)
    return Server(workdir, name=name, extra_args=extra_args).start()


SANITIZER_MARKERS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:",
                     "WARNING: ThreadSanitizer", "SUMMARY: UndefinedBehaviorSanitizer")


def sanitizer_reports(srv):
    """Lines of the server's log where a sanitizer reported a defect."""
    return [line for line in srv.log_text().splitlines()
            if any(marker in line for marker in SANITIZER_MARKERS)]


def stop_server_checked(srv):
    """SIGTERM, then the exit code must be 0 (graceful shutdown) and no sanitizer report."""
    rc = srv.stop()
    assert rc == 0, f"{srv.name} exited with {rc} after SIGTERM\n{srv.log_tail()}"
    reports = sanitizer_reports(srv)
    assert not reports, f"{srv.name}: sanitizer reports:\n" + "\n".join(reports) + "\n" + srv.log_tail()


# --------------------------------------------------------------------------- SSE


class SSEEvent:
    def __init__(self, id, event, data):
        self.id = id
        self.event = event
        self.data = data

    @property
    def id_int(self):
        return int(self.id)

    def json(self):
        return json.loads(self.data)

    def __repr__(self):
        return f"<SSE id={self.id} event={self.event} data={self.data[:120]}>"


class SSEStream:
    """A minimal Server-Sent Events client on a raw socket, so every read has a timeout and
    the stream can be closed at any moment. Handles chunked and identity bodies."""

    def __init__(self, server, token=None, path="/api/v1/events", headers=None,
                 connect_timeout=HTTP_TIMEOUT):
        self.sock = socket.create_connection(("127.0.0.1", server.port), timeout=connect_timeout)
        lines = [f"GET {path} HTTP/1.1", f"Host: 127.0.0.1:{server.port}",
                 "Accept: text/event-stream", "Cache-Control: no-cache"]
        if token:
            lines.append(f"Authorization: Bearer {token}")
        for k, v in (headers or {}).items():
            lines.append(f"{k}: {v}")
        self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        self.raw = b""
        self.eof = False
        self._read_head(time.monotonic() + connect_timeout)
        self.chunked = "chunked" in self.headers.get("transfer-encoding", "").lower()
        self._chunk_need = None  # None: expecting a size line
        self._chunk_state = "size"
        self.text = ""
        self.body = ""
        self._decoder_bytes = b""
        self._fields = {}
        self._data = []
        self.pending = []
        self.comments = []
        if self.chunked:
            buf, self.raw = self.raw, b""
            self._feed(buf)
        else:
            self._feed_decoded(self.raw)
            self.raw = b""

    def _recv(self, deadline):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return None
        self.sock.settimeout(min(remaining, 0.5))
        try:
            data = self.sock.recv(65536)
        except socket.timeout:
            return None
        except OSError:
            self.eof = True
            return b""
        if not data:
            self.eof = True
        return data

    def _read_head(self, deadline):
        while b"\r\n\r\n" not in self.raw:
            data = self._recv(deadline)
            if data is None:
                if time.monotonic() >= deadline:
                    raise TimeoutError("no response head on the event stream")
                continue
            if not data:
                raise ConnectionError(f"event stream closed before the head: {self.raw!r}")
            self.raw += data
        head, self.raw = self.raw.split(b"\r\n\r\n", 1)
        head_lines = head.decode("latin-1").split("\r\n")
        parts = head_lines[0].split(" ", 2)
        self.status = int(parts[1])
        self.headers = {}
        for l in head_lines[1:]:
            k, _, v = l.partition(":")
            self.headers[k.strip().lower()] = v.strip()

    def read_body(self, timeout=HTTP_TIMEOUT):
        """For a non-200 answer: the complete (small) body as text."""
        deadline = time.monotonic() + timeout
        n = self.headers.get("content-length")
        while not self.eof and time.monotonic() < deadline:
            if n is not None and len(self.body.encode()) >= int(n):
                break
            data = self._recv(deadline)
            if data:
                self._feed(data) if self.chunked else self._feed_decoded(data)
        return self.body

    def _feed(self, data):
        self.raw += data
        out = b""
        while True:
            if self._chunk_state == "size":
                i = self.raw.find(b"\r\n")
                if i < 0:
                    break
                size = int(self.raw[:i].split(b";")[0].strip() or b"0", 16)
                self.raw = self.raw[i + 2:]
                if size == 0:
                    self.eof = True
                    break
                self._chunk_need = size
                self._chunk_state = "data"
            if self._chunk_state == "data":
                take = min(self._chunk_need, len(self.raw))
                out += self.raw[:take]
                self.raw = self.raw[take:]
                self._chunk_need -= take
                if self._chunk_need:
                    break
                self._chunk_state = "crlf"
            if self._chunk_state == "crlf":
                if len(self.raw) < 2:
                    break
                self.raw = self.raw[2:]
                self._chunk_state = "size"
        self._feed_decoded(out)

    def _feed_decoded(self, data):
        buf = self._decoder_bytes + data
        try:
            s = buf.decode("utf-8")
            self._decoder_bytes = b""
        except UnicodeDecodeError as e:
            s = buf[:e.start].decode("utf-8")
            self._decoder_bytes = buf[e.start:]
        self.text += s
        self.body += s
        self._parse()

    def _parse(self):
        while True:
            m = re.search(r"\r\n|\n|\r", self.text)
            if not m:
                return
            if m.group() == "\r" and m.end() == len(self.text):
                return  # maybe the first half of \r\n
            line, self.text = self.text[:m.start()], self.text[m.end():]
            if line == "":
                # as in the EventSource spec: a block without data lines (e.g. only
                # "retry:") dispatches nothing
                if self._data:
                    self.pending.append(SSEEvent(self._fields.get("id"), self._fields.get("event"),
                                                 "\n".join(self._data)))
                self._fields, self._data = {}, []
            elif line.startswith(":"):
                self.comments.append(line)
            else:
                k, _, v = line.partition(":")
                if v.startswith(" "):
                    v = v[1:]
                if k == "data":
                    self._data.append(v)
                else:
                    self._fields[k] = v

    def next_event(self, timeout=5 * SLOW):
        deadline = time.monotonic() + timeout
        while not self.pending:
            if self.eof or time.monotonic() >= deadline:
                return None
            data = self._recv(deadline)
            if data:
                self._feed(data) if self.chunked else self._feed_decoded(data)
        return self.pending.pop(0)

    def read_until(self, pred, timeout=10 * SLOW):
        """Events up to and including the first one matching pred; raises on timeout."""
        deadline = time.monotonic() + timeout
        got = []
        while True:
            ev = self.next_event(max(0.0, deadline - time.monotonic()))
            if ev is None:
                raise AssertionError(
                    f"event not seen within {timeout:.0f} s (eof={self.eof}); got {got}")
            got.append(ev)
            if pred(ev):
                return got

    def drain(self, quiet=0.5):
        """Events that arrive until the stream has been quiet for `quiet` seconds."""
        got = []
        while True:
            ev = self.next_event(quiet)
            if ev is None:
                return got
            got.append(ev)

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def is_event(type_, conversation_id=None):
    def pred(ev):
        if ev.event != type_:
            return False
        if conversation_id is None:
            return True
        return ev.json().get("conversation_id") == conversation_id
    return pred


# --------------------------------------------------------------------------- metrics

_SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)(\s+-?\d+)?$')


def parse_metrics(text):
    """Prometheus text format -> (list of (name, labels_str, value), {name: type})."""
    samples, types = [], {}
    for line in text.splitlines():
        if not line.strip():
            continue
        if line.startswith("#"):
            parts = line.split()
            if len(parts) >= 4 and parts[1] == "TYPE":
                types[parts[2]] = parts[3]
            continue
        m = _SAMPLE.match(line)
        assert m, f"not a Prometheus sample line: {line!r}"
        v = m.group(3)
        value = float(v.replace("+Inf", "inf").replace("-Inf", "-inf"))
        samples.append((m.group(1), m.group(2) or "", value))
    return samples, types


def metric_sum(samples, name, label_filter=None):
    total = 0.0
    found = False
    for n, labels, v in samples:
        if n == name and (label_filter is None or label_filter in labels):
            total += v
            found = True
    return total if found else None
