"""Authentication and authorisation: bearer tokens and scopes, password login, session cookie,
CSRF, logout, deactivation, role checks and the failed-login rate limit."""
import http.cookiejar
import re

import pytest

from sbtest import Api, SSEStream, assert_error, uemail, uniq

PASSWORD = "s3cret-Passw0rd!"


class _NoCookies(http.cookiejar.CookiePolicy):
    """Keeps requests' cookie jar out of the way: cookies are sent by hand."""
    netscape = True
    rfc2965 = False
    hide_cookie2 = False

    def set_ok(self, cookie, request):
        return False

    def return_ok(self, cookie, request):
        return False

    def domain_return_ok(self, domain, request):
        return False

    def path_return_ok(self, path, request):
        return False


def plain_client(server, source_ip=None):
    c = Api(server.base_url, source_ip=source_ip)
    c.s.cookies.set_policy(_NoCookies())
    return c


def set_cookies(r):
    return r.raw.headers.getlist("Set-Cookie")


def login(server, email, password, source_ip=None):
    return plain_client(server, source_ip).post("/api/v1/auth/login",
                                                json={"email": email, "password": password})


class Session:
    """A cookie-authenticated client made from a successful login."""

    def __init__(self, server, email, password):
        r = login(server, email, password)
        assert r.status_code == 200, r.text
        self.login_response = r
        cookies = [c for c in set_cookies(r) if c.strip().startswith("sb_session=")]
        assert len(cookies) == 1, f"expected one sb_session cookie, got {set_cookies(r)}"
        self.set_cookie = cookies[0]
        self.value = self.set_cookie.split(";", 1)[0].split("=", 1)[1].strip()
        assert self.value
        self.csrf = r.json()["csrf_token"]
        self.api = plain_client(server)
        self.api.s.headers["Cookie"] = f"sb_session={self.value}"


@pytest.fixture(scope="module")
def pw_admin(server):
    return server.new_user("admin", password=PASSWORD)


@pytest.fixture(scope="module")
def pw_agent(server):
    return server.new_user("agent", password=PASSWORD)


# ---------------------------------------------------------------- bearer tokens


@pytest.mark.parametrize("method,path", [("GET", "/api/v1/conversations"),
                                         ("POST", "/api/v1/conversations"),
                                         ("GET", "/api/v1/conversations/1"),
                                         ("GET", "/api/v1/search?q=x"),
                                         ("GET", "/api/v1/agents"),
                                         ("GET", "/api/v1/auth/me"),
                                         ("GET", "/api/v1/tags")])
def test_no_credentials_401(anon, method, path):
    r = anon.request(method, path, json={"subject": "s", "body": "b",
                                         "contact": {"email": "x@example.test"}} if method == "POST" else None)
    assert_error(r, 401, "unauthorized")


@pytest.mark.parametrize("header", ["Bearer " + "0" * 64, "Bearer ", "Bearer",
                                    "Bearer not-a-token", "Basic YWRtaW46YWRtaW4=", "Token abc"])
def test_bad_credentials_401(server, header):
    c = plain_client(server)
    c.s.headers["Authorization"] = header
    assert_error(c.get("/api/v1/conversations"), 401, "unauthorized")


def test_token_prefix_or_suffix_is_not_accepted(server, admin):
    c = plain_client(server)
    for bad in (admin.token[:-1], admin.token + "0", admin.token[1:]):
        c.s.headers["Authorization"] = f"Bearer {bad}"
        assert_error(c.get("/api/v1/auth/me"), 401, "unauthorized")


def test_bad_session_cookie_401(server):
    c = plain_client(server)
    c.s.headers["Cookie"] = "sb_session=forged-session-value"
    assert_error(c.get("/api/v1/auth/me"), 401, "unauthorized")


def test_events_require_auth(server):
    with SSEStream(server, None) as s:
        assert s.status == 401
    with SSEStream(server, "f" * 64) as s:
        assert s.status == 401


def test_me_with_bearer_has_null_csrf(admin):
    r = admin.api.get("/api/v1/auth/me", expect=200).json()
    assert r["agent"]["email"] == admin.email
    assert r["agent"]["role"] == "admin"
    assert r["csrf_token"] is None


def test_bearer_writes_need_no_csrf(agent):
    agent.api.create_conversation()


def test_create_token_via_api_and_read_scope(server, agent):
    r = agent.api.post("/api/v1/tokens", json={"scope": "read"}, expect=201).json()
    assert set(r) >= {"id", "token", "scope"}
    assert r["scope"] == "read" and isinstance(r["id"], int) and r["token"]
    ro = server.api(r["token"])
    assert ro.me()["id"] == agent.id
    ro.get("/api/v1/conversations", expect=200)
    c = agent.api.create_conversation()
    ro.get(f"/api/v1/conversations/{c['id']}", expect=200)
    assert_error(ro.post("/api/v1/conversations", json={"subject": "s", "body": "b",
                                                        "contact": {"email": uemail()}}),
                 403, "forbidden")
    assert_error(ro.patch(f"/api/v1/conversations/{c['id']}", json={"status": "pending"}),
                 403, "forbidden")
    assert_error(ro.post(f"/api/v1/conversations/{c['id']}/messages", json={"body": "x"}),
                 403, "forbidden")
    assert_error(ro.post("/api/v1/tokens", json={"scope": "all"}), 403, "forbidden")
    assert agent.api.get_conversation(c["id"])["status"] == "open"


def test_cli_read_scope_token_cannot_write(server, admin):
    ro = server.api(server.token_create(admin.email, scope="read"))
    ro.get("/api/v1/agents", expect=200)
    assert_error(ro.post("/api/v1/tags", json={"name": uniq("t")}), 403, "forbidden")
    t = admin.api.post("/api/v1/tags", json={"name": uniq("t")}, expect=201).json()
    assert_error(ro.delete(f"/api/v1/tags/{t['id']}"), 403, "forbidden")


def test_create_all_scope_token_via_api(server, agent):
    r = agent.api.post("/api/v1/tokens", json={"scope": "all"}, expect=201).json()
    assert r["scope"] == "all"
    server.api(r["token"]).create_conversation()


def test_token_for_other_agent_admin_only(server, admin, agent, supervisor):
    r = admin.api.post("/api/v1/tokens", json={"scope": "all", "agent_id": agent.id}, expect=201).json()
    assert server.api(r["token"]).me()["id"] == agent.id
    assert_error(agent.api.post("/api/v1/tokens", json={"scope": "all", "agent_id": admin.id}),
                 403, "forbidden")
    assert_error(supervisor.api.post("/api/v1/tokens", json={"scope": "all", "agent_id": agent.id}),
                 403, "forbidden")
    # naming oneself is fine
    agent.api.post("/api/v1/tokens", json={"scope": "read", "agent_id": agent.id}, expect=201)


def test_token_bad_scope_422(agent):
    assert_error(agent.api.post("/api/v1/tokens", json={"scope": "root"}), 422, "validation_failed")


# ---------------------------------------------------------------- login, cookie, CSRF


def test_login_sets_httponly_cookie(server, pw_admin):
    s = Session(server, pw_admin.email, PASSWORD)
    body = s.login_response.json()
    assert body["agent"]["email"] == pw_admin.email
    assert body["agent"]["role"] == "admin"
    assert isinstance(body["csrf_token"], str) and len(body["csrf_token"]) >= 16
    assert not any("password" in k or "hash" in k for k in body["agent"]), body["agent"]
    attrs = [a.strip().lower() for a in s.set_cookie.split(";")[1:]]
    assert "httponly" in attrs, s.set_cookie
    assert "samesite=lax" in attrs, s.set_cookie
    assert s.value != s.csrf


def test_login_bad_password_401(server, pw_agent):
    r = login(server, pw_agent.email, "wrong password", source_ip="127.0.0.50")
    assert_error(r, 401, "unauthorized")
    for c in set_cookies(r):
        if c.strip().startswith("sb_session="):
            value = c.split(";", 1)[0].split("=", 1)[1].strip()
            assert value in ("", '""'), f"a failed login set a session: {c}"


def test_login_unknown_email_401(server):
    assert_error(login(server, uemail("ghost"), PASSWORD, source_ip="127.0.0.51"), 401, "unauthorized")


def test_login_token_only_user_401(server, agent):
    assert_error(login(server, agent.email, "anything", source_ip="127.0.0.52"), 401, "unauthorized")


def test_cookie_authenticated_get(server, pw_admin):
    s = Session(server, pw_admin.email, PASSWORD)
    me = s.api.get("/api/v1/auth/me", expect=200).json()
    assert me["agent"]["email"] == pw_admin.email
    assert me["csrf_token"] == s.csrf
    s.api.get("/api/v1/conversations", expect=200)


def test_cookie_post_requires_csrf(server, pw_admin):
    s = Session(server, pw_admin.email, PASSWORD)
    payload = {"subject": "via cookie", "body": "b", "contact": {"email": uemail("ck")},
               "channel": "api"}
    assert_error(s.api.post("/api/v1/conversations", json=payload), 403, "csrf_failed")
    assert_error(s.api.post("/api/v1/conversations", json=payload,
                            headers={"X-CSRF-Token": "wrong" + s.csrf}), 403, "csrf_failed")
    assert_error(s.api.post("/api/v1/conversations", json=payload,
                            headers={"X-CSRF-Token": ""}), 403, "csrf_failed")
    other = Session(server, pw_admin.email, PASSWORD)
    assert other.csrf != s.csrf
    assert_error(s.api.post("/api/v1/conversations", json=payload,
                            headers={"X-CSRF-Token": other.csrf}), 403, "csrf_failed")
    r = s.api.post("/api/v1/conversations", json=payload, headers={"X-CSRF-Token": s.csrf},
                   expect=201)
    assert r.json()["subject"] == "via cookie"


def test_cookie_patch_and_delete_require_csrf(server, pw_admin, api):
    s = Session(server, pw_admin.email, PASSWORD)
    c = api.create_conversation()
    path = f"/api/v1/conversations/{c['id']}"
    assert_error(s.api.patch(path, json={"status": "pending"}), 403, "csrf_failed")
    assert api.get_conversation(c["id"])["status"] == "open"
    s.api.patch(path, json={"status": "pending"}, headers={"X-CSRF-Token": s.csrf}, expect=200)
    t = api.post("/api/v1/tags", json={"name": uniq("csrf")}, expect=201).json()
    assert_error(s.api.delete(f"/api/v1/tags/{t['id']}"), 403, "csrf_failed")
    s.api.delete(f"/api/v1/tags/{t['id']}", headers={"X-CSRF-Token": s.csrf}, expect=(200, 204))


def test_logout_invalidates_cookie(server, pw_admin):
    s = Session(server, pw_admin.email, PASSWORD)
    keep = Session(server, pw_admin.email, PASSWORD)
    s.api.get("/api/v1/auth/me", expect=200)
    s.api.post("/api/v1/auth/logout", headers={"X-CSRF-Token": s.csrf}, expect=204)
    assert_error(s.api.get("/api/v1/auth/me"), 401, "unauthorized")
    assert_error(s.api.get("/api/v1/conversations"), 401, "unauthorized")
    assert_error(s.api.post("/api/v1/tags", json={"name": uniq("t")},
                            headers={"X-CSRF-Token": s.csrf}), 401, "unauthorized")
    # another session of the same agent is unaffected
    keep.api.get("/api/v1/auth/me", expect=200)


def test_logout_requires_csrf(server, pw_admin):
    s = Session(server, pw_admin.email, PASSWORD)
    assert_error(s.api.post("/api/v1/auth/logout"), 403, "csrf_failed")
    s.api.get("/api/v1/auth/me", expect=200)


def test_agent_changes_own_password(server):
    u = server.new_user("agent", password=PASSWORD)
    other = Session(server, u.email, PASSWORD)  # e.g. a forgotten browser elsewhere
    other.api.get("/api/v1/auth/me", expect=200)
    new_pw = "another-Passw0rd-" + uniq("p")
    # the current password is required: a stolen session or token alone cannot take the account
    assert_error(u.api.patch(f"/api/v1/agents/{u.id}", json={"password": new_pw}), 403, "forbidden")
    assert_error(u.api.patch(f"/api/v1/agents/{u.id}", json={"password": new_pw, "current_password": "wrong-pass"}),
                 403, "forbidden")
    u.api.patch(f"/api/v1/agents/{u.id}", json={"password": new_pw, "current_password": PASSWORD}, expect=200)
    assert_error(login(server, u.email, PASSWORD, source_ip="127.0.0.53"), 401, "unauthorized")
    login(server, u.email, new_pw).raise_for_status()
    # every other session ended with the change
    assert_error(other.api.get("/api/v1/auth/me"), 401, "unauthorized")


def test_tokens_can_be_listed_and_revoked(server, admin):
    u = server.new_user("agent", password=PASSWORD)
    extra = u.api.post("/api/v1/tokens", json={"scope": "read"}, expect=201).json()
    from sbtest import Api
    ro = Api(server.base_url, extra["token"])
    ro.get("/api/v1/auth/me", expect=200)
    mine = u.api.get("/api/v1/tokens", expect=200).json()["items"]
    assert extra["id"] in {t["id"] for t in mine}
    assert all(t["agent_id"] == u.id for t in mine)
    assert "token" not in mine[0] and "token_hash" not in mine[0]
    # another agent cannot revoke it; its owner can
    other = server.new_user("agent")
    assert_error(other.api.delete(f"/api/v1/tokens/{extra['id']}"), 404, "not_found")
    u.api.delete(f"/api/v1/tokens/{extra['id']}", expect=204)
    assert_error(ro.get("/api/v1/auth/me"), 401, "unauthorized")
    assert_error(u.api.delete(f"/api/v1/tokens/{extra['id']}"), 404, "not_found")
    # an admin sees everyone's tokens
    all_tokens = admin.api.get("/api/v1/tokens", expect=200).json()["items"]
    assert extra["id"] in {t["id"] for t in all_tokens}


# ---------------------------------------------------------------- deactivation


def test_deactivated_agent_token_and_session_stop_working(server, admin):
    u = server.new_user("agent", password=PASSWORD)
    uid = u.id
    s = Session(server, u.email, PASSWORD)
    u.api.get("/api/v1/conversations", expect=200)
    admin.api.delete(f"/api/v1/agents/{uid}", expect=(200, 204))
    got = admin.api.get(f"/api/v1/agents/{uid}", expect=200).json()
    assert got["active"] is False
    assert_error(u.api.get("/api/v1/conversations"), 401, "unauthorized")
    assert_error(u.api.get("/api/v1/auth/me"), 401, "unauthorized")
    assert_error(s.api.get("/api/v1/auth/me"), 401, "unauthorized")
    assert_error(login(server, u.email, PASSWORD, source_ip="127.0.0.54"), 401, "unauthorized")


# ---------------------------------------------------------------- roles


def test_role_checks(server, admin, supervisor, agent, trainee):
    def new_agent_body():
        return {"email": uemail("new"), "name": "New Agent", "role": "agent"}

    for u in (supervisor, agent, trainee):
        assert_error(u.api.post("/api/v1/agents", json=new_agent_body()), 403, "forbidden")
    for u in (agent, trainee):
        assert_error(u.api.post("/api/v1/teams", json={"name": uniq("T"), "tier": "L1"}),
                     403, "forbidden")
        assert_error(u.api.post("/api/v1/organizations", json={"name": uniq("Org")}),
                     403, "forbidden")
    tag = trainee.api.post("/api/v1/tags", json={"name": uniq("tr")}, expect=201).json()
    assert_error(agent.api.delete(f"/api/v1/tags/{tag['id']}"), 403, "forbidden")
    assert_error(trainee.api.delete(f"/api/v1/tags/{tag['id']}"), 403, "forbidden")
    contact = agent.api.post("/api/v1/contacts", json={"name": "C", "email": uemail("c")},
                             expect=201).json()
    assert_error(agent.api.delete(f"/api/v1/contacts/{contact['id']}"), 403, "forbidden")
    team = supervisor.api.post("/api/v1/teams", json={"name": uniq("T"), "tier": "L2"},
                               expect=201).json()
    assert_error(agent.api.patch(f"/api/v1/teams/{team['id']}", json={"tier": "L3"}), 403, "forbidden")
    assert_error(agent.api.delete(f"/api/v1/teams/{team['id']}"), 403, "forbidden")
    assert_error(agent.api.patch(f"/api/v1/agents/{trainee.id}", json={"name": "Renamed"}),
                 403, "forbidden")
    assert_error(supervisor.api.delete(f"/api/v1/agents/{trainee.id}"), 403, "forbidden")
    # all four roles may work conversations, contacts and tags
    for u in (admin, supervisor, agent, trainee):
        c = u.api.create_conversation()
        u.api.patch_conversation(c["id"], tags=[uniq("role")])
        u.api.post("/api/v1/contacts", json={"name": "X", "email": uemail("x")}, expect=201)
        u.api.post("/api/v1/tags", json={"name": uniq("rt")}, expect=201)
    supervisor.api.delete(f"/api/v1/tags/{tag['id']}", expect=(200, 204))
    admin.api.get(f"/api/v1/agents/{trainee.id}", expect=200)
    assert admin.api.get(f"/api/v1/agents/{trainee.id}").json()["active"] is True


def test_agent_cannot_raise_own_role(agent, admin):
    assert_error(agent.api.patch(f"/api/v1/agents/{agent.id}", json={"role": "admin"}),
                 403, "forbidden")
    assert agent.api.me()["role"] == "agent"


# ---------------------------------------------------------------- rate limit


def _assert_rate_limited(r):
    assert_error(r, 429, "rate_limited")
    ra = r.headers.get("Retry-After")
    assert ra is not None and re.fullmatch(r"\d+", ra.strip()), f"Retry-After: {ra!r}"
    assert 1 <= int(ra) <= 15 * 60, ra


def test_rate_limit_per_address(server):
    good = server.new_user("agent", password=PASSWORD)
    ip = "127.0.0.20"
    for i in range(10):
        r = login(server, uemail("nobody"), "bad", source_ip=ip)
        assert_error(r, 401, "unauthorized")
    _assert_rate_limited(login(server, uemail("nobody"), "bad", source_ip=ip))
    # even the right password is refused from that address for now
    _assert_rate_limited(login(server, good.email, PASSWORD, source_ip=ip))
    # other addresses are not affected
    r = login(server, good.email, PASSWORD, source_ip="127.0.0.21")
    assert r.status_code == 200, r.text


def test_rate_limit_per_email(server):
    victim = server.new_user("agent", password=PASSWORD)
    bystander = server.new_user("agent", password=PASSWORD)
    for i in range(10):
        r = login(server, victim.email, f"guess{i}", source_ip=f"127.0.1.{i + 1}")
        assert_error(r, 401, "unauthorized")
    _assert_rate_limited(login(server, victim.email, "guess-again", source_ip="127.0.1.11"))
    _assert_rate_limited(login(server, victim.email, PASSWORD, source_ip="127.0.1.12"))
    # the email is what is limited, not the service: others log in
    r = login(server, bystander.email, PASSWORD, source_ip="127.0.1.13")
    assert r.status_code == 200, r.text
    # and the victim's existing bearer token still works
    victim.api.get("/api/v1/auth/me", expect=200)
