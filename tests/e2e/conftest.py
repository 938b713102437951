"""Fixtures for the end-to-end suite.

Each test module gets its own `switchboard serve` on a fresh data directory (module scope),
with users of every role made through the CLI. Tests inside a module share that server and
keep out of each other's way with unique emails, names, tags and teams.

Run:  /usr/bin/python3 -m pytest -q tests/e2e
Env:  SWITCHBOARD_BIN (default <repo>/build/switchboard), SB_SANITIZE=ON to scale timeouts.
"""
import time

import pytest

from sbtest import Server, sanitizer_reports, start_server, stop_server_checked


@pytest.fixture(scope="session", autouse=True)
def no_sanitizer_reports():
    """Every server of the run, including the ones killed with SIGKILL, must have a log free
    of sanitizer reports."""
    yield
    bad = {srv.name: sanitizer_reports(srv) for srv in Server.all_servers}
    bad = {name: lines for name, lines in bad.items() if lines}
    assert not bad, f"sanitizer reports: {bad}"


@pytest.fixture(scope="module")
def server(tmp_path_factory, request):
    mod = request.module.__name__.rsplit(".", 1)[-1]
    srv = start_server(tmp_path_factory, name=f"sb-{mod}")
    yield srv
    stop_server_checked(srv)


@pytest.fixture
def make_server(tmp_path_factory):
    """Factory for extra servers inside one test; all still running are stopped (SIGTERM,
    exit 0) afterwards."""
    started = []

    def make(name="extra", extra_args=(), start=True):
        srv = Server(tmp_path_factory.mktemp(name), name=name, extra_args=extra_args)
        started.append(srv)
        if start:
            srv.start()
        return srv

    yield make
    for srv in started:
        if srv.running:
            stop_server_checked(srv)


@pytest.fixture(scope="module")
def admin(server):
    return server.new_user("admin")


@pytest.fixture(scope="module")
def supervisor(server):
    return server.new_user("supervisor")


@pytest.fixture(scope="module")
def agent(server):
    return server.new_user("agent")


@pytest.fixture(scope="module")
def trainee(server):
    return server.new_user("trainee")


@pytest.fixture(scope="module")
def api(admin):
    """An admin-token client for the module's server."""
    return admin.api


@pytest.fixture(scope="module")
def anon(server):
    """A client without credentials."""
    return server.api()


# ---------------------------------------------------------------- log tails on failure


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    item._sb_started = time.time()
    yield


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    if not rep.failed:
        return
    since = getattr(item, "_sb_started", 0)
    for srv in Server.all_servers:
        if srv.proc is None:
            continue
        if srv.running or (srv.stopped_at and srv.stopped_at >= since):
            rep.sections.append((f"switchboard log ({srv.name})", srv.log_tail(40)))
