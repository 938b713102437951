"""Operations endpoints, the CLI, generic HTTP errors (400/404/405/413) and request logging."""
import json
import re
import time

import pytest

import sbtest
from sbtest import (SSEStream, assert_error, metric_sum, parse_metrics, start_server,
                    stop_server_checked, uemail, uniq)


def test_healthz(anon):
    r = anon.get("/healthz", expect=200)
    assert "application/json" in r.headers.get("Content-Type", "")
    assert r.json() == {"status": "ok"}


def test_data_dir_created_on_first_start(server):
    assert server.data_dir.is_dir()
    assert any(server.data_dir.iterdir()), "serve did not create its database in --data"


def test_openapi_served_as_json(api):
    r = api.get("/api/v1/openapi.json", expect=200)
    assert "json" in r.headers.get("Content-Type", "")
    doc = r.json()
    assert isinstance(doc.get("openapi"), str) and re.match(r"^3\.1\.\d+$", doc["openapi"]), doc.get("openapi")
    assert isinstance(doc.get("info"), dict) and doc["info"].get("title")
    paths = doc.get("paths")
    assert isinstance(paths, dict)
    for p in ("/api/v1/conversations", "/api/v1/conversations/{id}",
              "/api/v1/conversations/{id}/messages", "/api/v1/search", "/api/v1/events"):
        assert p in paths, f"{p} missing from openapi paths: {sorted(paths)[:50]}"


def test_openapi_matches_docs_file(api):
    path = sbtest.REPO / "docs" / "api" / "openapi.json"
    if not path.exists():
        pytest.skip("docs/api/openapi.json not written yet")
    served = api.get("/api/v1/openapi.json", expect=200).json()
    doc = json.loads(path.read_text())
    if served != doc:
        diff = sorted(k for k in set(served) | set(doc) if served.get(k) != doc.get(k))
        paths = sorted(set(served.get("paths", {})) ^ set(doc.get("paths", {})))
        raise AssertionError(f"served OpenAPI differs from docs/api/openapi.json in {diff}; "
                             f"paths only in one of them: {paths}")


def _metrics(client):
    r = client.get("/metrics", expect=200)
    ctype = r.headers.get("Content-Type", "")
    assert ctype.startswith("text/plain"), ctype
    return r.text


def test_metrics_prometheus_text(api):
    api.get("/healthz", expect=200)
    api.create_conversation()  # at least one database write
    text = _metrics(api)
    samples, types = parse_metrics(text)
    names = {s[0] for s in samples}

    assert "switchboard_http_requests_total" in names, sorted(names)
    assert types.get("switchboard_http_requests_total") == "counter"

    hist = [n[: -len("_bucket")] for n in names if n.endswith("_bucket")]
    latency = [h for h in hist if types.get(h) == "histogram" and
               ("duration" in h or "latency" in h or "seconds" in h)]
    assert latency, f"no request latency histogram; histograms: {hist}"
    h = latency[0]
    buckets = [(l, v) for n, l, v in samples if n == h + "_bucket"]
    assert any('le="+Inf"' in l for l, _ in buckets), buckets
    assert f"{h}_sum" in names and f"{h}_count" in names
    inf_total = sum(v for l, v in buckets if 'le="+Inf"' in l)
    assert inf_total == metric_sum(samples, h + "_count") and inf_total >= 1

    assert "switchboard_sse_connections" in names
    assert types.get("switchboard_sse_connections") == "gauge"

    batch = [n for n in names if n.startswith("switchboard_db") and "batch" in n]
    assert batch, f"no database write batch metrics; switchboard_db*: {[n for n in names if n.startswith('switchboard_db')]}"
    # a write happened, so the batch metrics have counted something
    assert any(v > 0 for n, _, v in samples if n in batch), [(n, v) for n, _, v in samples if n in batch]


def test_metrics_request_counter_increases(api):
    before = metric_sum(parse_metrics(_metrics(api))[0], "switchboard_http_requests_total")
    for _ in range(5):
        api.get("/api/v1/auth/me", expect=200)
    after = metric_sum(parse_metrics(_metrics(api))[0], "switchboard_http_requests_total")
    assert after >= before + 5, (before, after)


def test_metrics_sse_connections_gauge(server, api):
    # the only event stream opened against this module's server
    before = metric_sum(parse_metrics(_metrics(api))[0], "switchboard_sse_connections")
    with SSEStream(server, api.token) as s:
        assert s.status == 200
        during = metric_sum(parse_metrics(_metrics(api))[0], "switchboard_sse_connections")
    assert before == 0, before
    assert during == 1, during


def test_request_log_line_per_request(server, api):
    marker = 987000000 + int(time.time()) % 100000
    api.get(f"/api/v1/conversations/{marker}", expect=404)
    deadline = time.monotonic() + 5 * sbtest.SLOW
    while time.monotonic() < deadline:
        lines = [l for l in server.log_text().splitlines() if f"/api/v1/conversations/{marker}" in l]
        if lines:
            break
        time.sleep(0.1)
    assert len(lines) == 1, f"expected one log line for the request, got {lines}"
    assert "GET" in lines[0] and "404" in lines[0], lines[0]


# ---------------------------------------------------------------- CLI


def test_cli_user_add_duplicate_email_fails(server):
    email = uemail("dup")
    server.user_add(email, "First", "agent")
    r = server.user_add(email.upper(), "Second", "agent", check=False)
    assert r.returncode != 0
    assert r.stderr.strip(), "no message on stderr"


def test_cli_user_add_bad_role_fails(server):
    r = server.user_add(uemail("badrole"), "X", "emperor", check=False)
    assert r.returncode != 0
    assert r.stderr.strip()


def test_cli_token_create_and_scopes(server):
    u = server.new_user("supervisor")
    me = u.api.me()
    assert me["email"] == u.email and me["role"] == "supervisor" and me["name"] == u.name
    read_tok = server.token_create(u.email, scope="read")
    assert read_tok != u.token
    ro = server.api(read_tok)
    assert ro.me()["email"] == u.email
    r = ro.post("/api/v1/tags", json={"name": uniq("t")})
    assert_error(r, 403, "forbidden")


def test_cli_token_create_unknown_email_fails(server):
    r = server.cli("token", "create", "--data", server.data_dir, "--email", uemail("nobody"),
                   check=False)
    assert r.returncode != 0
    assert r.stdout.strip() == ""


def test_cli_password_user_can_log_in(server):
    email = uemail("pw")
    server.user_add(email, "Pw User", "agent", password="correct horse battery")
    r = server.api().post("/api/v1/auth/login",
                          json={"email": email, "password": "correct horse battery"}, expect=200)
    assert r.json()["agent"]["email"] == email


# ---------------------------------------------------------------- generic errors


def test_unknown_route_404(api, anon):
    assert_error(api.get("/api/v1/no-such-thing"), 404, "not_found")
    assert_error(api.post("/api/v1/no-such-thing", json={}), 404, "not_found")


def test_unknown_id_404(api):
    assert_error(api.get("/api/v1/conversations/99999999"), 404, "not_found")
    assert_error(api.get("/api/v1/conversations/99999999/messages"), 404, "not_found")
    assert_error(api.patch("/api/v1/conversations/99999999", json={"status": "open"}), 404, "not_found")


def test_method_not_allowed_405(api):
    assert_error(api.delete("/api/v1/conversations"), 405, "method_not_allowed")
    c = api.create_conversation()
    assert_error(api.put(f"/api/v1/conversations/{c['id']}", json={}), 405, "method_not_allowed")
    assert_error(api.post("/healthz", json={}), 405, "method_not_allowed")


def test_invalid_json_gives_position(api):
    body = '{"subject": "x",\n  "body": ,\n "contact": {"email": "a@b.test"}}'
    r = api.post("/api/v1/conversations", data=body.encode(),
                 headers={"Content-Type": "application/json"})
    err = assert_error(r, 400, "invalid_json")
    msg = err["message"].lower()
    assert re.search(r"line\D{0,3}2\b", msg), f"no line number in {err['message']!r}"
    assert re.search(r"col(umn)?\D{0,3}\d+", msg), f"no column in {err['message']!r}"
    assert re.search(r"(position|byte|offset)\D{0,3}\d+", msg), f"no byte position in {err['message']!r}"


@pytest.mark.parametrize("body", [b"", b"not json", b"{", b'{"a":1}}', b'{"subject": "\xff"}'])
def test_invalid_json_variants(api, body):
    r = api.post("/api/v1/conversations", data=body, headers={"Content-Type": "application/json"})
    assert_error(r, 400, "invalid_json")


@pytest.mark.parametrize("payload", [
    {"subject": 123, "body": "b", "contact": {"email": "t1@example.test"}},
    {"subject": "s", "body": ["b"], "contact": {"email": "t2@example.test"}},
    {"subject": "s", "body": "b", "contact": "t3@example.test"},
    {"subject": "s", "body": "b", "contact": {"email": 5}},
    {"subject": "s", "body": "b", "contact": {"email": "t4@example.test"}, "tags": "vip"},
    {"subject": "s", "body": "b", "contact": {"email": "t5@example.test"}, "team_id": "one"},
])
def test_wrong_json_types_400(api, payload):
    assert_error(api.post("/api/v1/conversations", json=payload), 400, "bad_request")


def test_top_level_not_object_400(api):
    r = api.post("/api/v1/conversations", json=[{"subject": "s"}])
    assert r.status_code == 400, r.text
    assert r.json()["error"]["code"] in ("bad_request", "invalid_json")


@pytest.mark.parametrize("query", ["limit=abc", "limit=0", "limit=-1", "limit=101",
                                   "cursor=definitely-not-a-cursor", "status=bogus",
                                   "assignee_id=abc", "team_id=x1"])
def test_bad_query_parameters_400(api, query):
    assert_error(api.get("/api/v1/conversations?" + query), 400, "bad_request")


# ---------------------------------------------------------------- 413


@pytest.fixture(scope="module")
def small_server(tmp_path_factory):
    srv = start_server(tmp_path_factory, name="sb-maxbody", extra_args=["--max-body", "4096"])
    srv.admin = srv.new_user("admin")
    yield srv
    stop_server_checked(srv)


def _padded_conversation(total_len):
    base = {"subject": "padded", "contact": {"email": uemail("pad")}, "channel": "api", "body": ""}
    overhead = len(json.dumps(base).encode())
    base["body"] = "x" * (total_len - overhead)
    raw = json.dumps(base).encode()
    assert len(raw) == total_len
    return raw


def test_413_oversized_body_and_server_survives(small_server):
    api = small_server.admin.api
    r = api.post("/api/v1/conversations", data=_padded_conversation(10000),
                 headers={"Content-Type": "application/json"})
    assert_error(r, 413, "payload_too_large")
    # the server still answers, on a new connection and on the same client
    small_server.api().get("/healthz", expect=200)
    api.create_conversation()


def test_413_just_over_limit(small_server):
    api = small_server.admin.api
    r = api.post("/api/v1/conversations", data=_padded_conversation(4097),
                 headers={"Content-Type": "application/json"})
    assert_error(r, 413, "payload_too_large")


def test_body_at_limit_accepted(small_server):
    api = small_server.admin.api
    r = api.post("/api/v1/conversations", data=_padded_conversation(4096),
                 headers={"Content-Type": "application/json"})
    assert r.status_code == 201, r.text


def test_413_on_message_and_patch(small_server):
    api = small_server.admin.api
    c = api.create_conversation()
    big = json.dumps({"body": "y" * 8000}).encode()
    assert_error(api.post(f"/api/v1/conversations/{c['id']}/messages", data=big,
                          headers={"Content-Type": "application/json"}), 413, "payload_too_large")
    big = json.dumps({"subject": "z" * 8000}).encode()
    assert_error(api.patch(f"/api/v1/conversations/{c['id']}", data=big,
                           headers={"Content-Type": "application/json"}), 413, "payload_too_large")
    assert api.get_conversation(c["id"])["subject"] == c["subject"]


def test_unauthenticated_bodies_are_small_and_get_bodies_refused(server):
    from sbtest import Api
    api = Api(server.base_url)
    r = api.post("/api/v1/auth/login", data=b"{" + b" " * 20000 + b"}",
                 headers={"Content-Type": "application/json"})
    assert r.status_code == 413, r.text
    r = api.request("GET", "/healthz", data=b"x" * 100)
    assert r.status_code == 413, r.text
    api.get("/healthz", expect=200)


def test_errors_about_invalid_utf8_still_have_a_json_body(server, admin):
    r = admin.api.get("/api/v1/conversations?status=%FF")
    assert r.status_code == 400 and r.json()["error"]["code"] == "bad_request"
    r = admin.api.get("/nope%FF")
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"


def test_request_paths_cannot_forge_log_lines(server):
    from sbtest import Api
    Api(server.base_url).get('/x%22%0Ats=2026-01-01T00:00:00Z%20level=error%20msg=%22forged', expect=404)
    import time
    time.sleep(0.2)
    assert 'level=error msg="forged' not in server.log_text()
