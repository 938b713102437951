"""The test clock: only with `serve --test-clock`, and it moves what the server calls now."""
from sbtest import assert_error


def test_clock_absent_without_flag(server):
    api = server.api()
    assert_error(api.put("/api/v1/_test/clock", json={"now": "2030-01-01T00:00:00Z"}), 404, "not_found")
    assert_error(api.get("/api/v1/_test/clock"), 404, "not_found")


def test_clock_set_moves_timestamps(make_server):
    srv = make_server("clock", extra_args=("--test-clock",))
    admin = srv.new_user("admin")
    api = srv.api()
    r = api.put("/api/v1/_test/clock", json={"now": "2030-03-04T05:06:07Z"})
    assert r.status_code == 200, r.text
    assert r.json()["now"].startswith("2030-03-04T05:06:")
    conv = admin.api.create_conversation(subject="clocked")
    assert conv["created_at"].startswith("2030-03-04T05:0")
    assert_error(api.put("/api/v1/_test/clock", json={"now": "yesterday"}), 422, "validation_failed")
    assert_error(api.put("/api/v1/_test/clock", json={}), 422, "validation_failed")
