"""`switchboard calendar due|between|check`: business-hours arithmetic on calendar files
(docs/calendars.md), including DESIGN.md's example, DST weekends and the exit codes (2 for
bad usage or input, 1 for a calendar file that cannot be used)."""
import json
import subprocess

import pytest

from sbtest import CLI_TIMEOUT, SANITIZER_MARKERS, SB_BIN, require_binary

WEEKDAYS = {d: [["09:00", "18:00"]] for d in ("mon", "tue", "wed", "thu", "fri")}
WEEKDAYS.update({"sat": [], "sun": []})

DESIGN_EXAMPLE = {
    "timezone": "Europe/Kyiv",
    "hours": WEEKDAYS,
    "holidays": ["2026-12-31", {"from": "2027-01-01", "to": "2027-01-07"}],
}


def run(*args):
    require_binary()
    r = subprocess.run([SB_BIN, "calendar", *[str(a) for a in args]], capture_output=True, text=True,
                       timeout=CLI_TIMEOUT)
    assert not any(m in r.stderr for m in SANITIZER_MARKERS), r.stderr
    return r


def write(tmp_path, cal, name="cal.json"):
    p = tmp_path / name
    p.write_text(cal if isinstance(cal, str) else json.dumps(cal))
    return p


def due(path, frm, minutes):
    r = run("due", "--calendar", path, "--from", frm, "--minutes", minutes)
    assert r.returncode == 0, r.stderr
    return r.stdout


def between(path, a, b):
    r = run("between", "--calendar", path, "--from", a, "--to", b)
    assert r.returncode == 0, r.stderr
    return r.stdout


def test_design_example(tmp_path):
    cal = write(tmp_path, DESIGN_EXAMPLE)
    # Wednesday 2026-12-30, Kyiv is UTC+2 in winter: open 07:00Z-16:00Z
    assert due(cal, "2026-12-30T15:00:00Z", 60) == "2026-12-30T16:00:00Z\n"
    # the same instant written with an offset
    assert due(cal, "2026-12-30T17:00:00+02:00", 60) == "2026-12-30T16:00:00Z\n"
    # Dec 31 and Jan 1-7 are holidays: the second hour is on Friday Jan 8
    assert due(cal, "2026-12-30T15:00:00Z", 120) == "2027-01-08T08:00:00Z\n"
    assert between(cal, "2026-12-30T00:00:00Z", "2027-01-09T00:00:00Z") == "1080\n"
    assert between(cal, "2027-01-09T00:00:00Z", "2026-12-30T00:00:00Z") == "-1080\n"
    assert between(cal, "2026-12-30T12:00:00Z", "2026-12-30T12:00:00Z") == "0\n"
    r = run("check", "--calendar", cal)
    assert r.returncode == 0 and r.stdout.startswith("ok: Europe/Kyiv, 45:00 open hours a week"), r


def test_zero_minutes_and_exact_close(tmp_path):
    cal = write(tmp_path, {"timezone": "UTC", "hours": WEEKDAYS})
    assert due(cal, "2026-11-23T10:00:00Z", 0) == "2026-11-23T10:00:00Z\n"      # open: itself
    assert due(cal, "2026-11-28T12:00:00Z", 0) == "2026-11-30T09:00:00Z\n"      # Saturday: Monday
    assert due(cal, "2026-11-23T17:00:00Z", 60) == "2026-11-23T18:00:00Z\n"     # ends at the close
    assert due(cal, "2026-11-23T17:00:00Z", 61) == "2026-11-24T09:01:00Z\n"
    # a fraction of a second in the input is dropped
    assert due(cal, "2026-11-23T10:00:00.750Z", 1) == "2026-11-23T10:01:00Z\n"
    # ten thousand weeks
    assert due(cal, "2026-11-22T12:00:00Z", 10000 * 45 * 60) == "2218-07-17T18:00:00Z\n"


def test_dst_weekends(tmp_path):
    ny = write(tmp_path, {"timezone": "America/New_York", "hours": WEEKDAYS}, "ny.json")
    # Friday 17:00 EST + 2 business hours = Monday 10:00 EDT
    assert due(ny, "2026-03-06T22:00:00Z", 120) == "2026-03-09T14:00:00Z\n"
    assert due(ny, "2026-10-30T21:00:00Z", 120) == "2026-11-02T15:00:00Z\n"
    kyiv = write(tmp_path, {"timezone": "Europe/Kyiv", "hours": {"sun": [["02:00", "05:00"]]}}, "k.json")
    # 02:00-05:00 on the spring-forward Sunday is 2 real hours, on the fall-back one 4
    assert between(kyiv, "2026-03-28T00:00:00Z", "2026-03-30T00:00:00Z") == "120\n"
    assert between(kyiv, "2026-10-24T00:00:00Z", "2026-10-26T00:00:00Z") == "240\n"
    assert due(kyiv, "2026-10-24T12:00:00Z", 180) == "2026-10-25T02:00:00Z\n"


def test_always_open_and_yearly_holidays(tmp_path):
    cal = write(tmp_path, {"timezone": "Australia/Sydney", "24/7": True,
                           "holidays": [{"date": "12-25", "yearly": True, "name": "Christmas"}]})
    assert due(cal, "2026-06-01T00:00:00Z", 90) == "2026-06-01T01:30:00Z\n"
    # Christmas in Sydney (UTC+11 in December) is 2026-12-24T13:00Z .. 2026-12-25T13:00Z
    assert due(cal, "2026-12-24T12:00:00Z", 120) == "2026-12-25T14:00:00Z\n"
    assert between(cal, "2027-12-24T00:00:00Z", "2027-12-26T00:00:00Z") == str(24 * 60) + "\n"


def test_usage_errors_exit_2(tmp_path):
    cal = write(tmp_path, DESIGN_EXAMPLE)
    cases = [
        [],
        ["bogus"],
        ["due", "--calendar", cal, "--from", "2026-12-30T15:00:00Z"],
        ["due", "--calendar", cal, "--minutes", "5"],
        ["due", "--from", "2026-12-30T15:00:00Z", "--minutes", "5"],
        ["due", "--calendar", cal, "--from", "2026-12-30 15:00", "--minutes", "5"],
        ["due", "--calendar", cal, "--from", "yesterday", "--minutes", "5"],
        ["due", "--calendar", cal, "--from", "2026-12-30T15:00:00Z", "--minutes", "-5"],
        ["due", "--calendar", cal, "--from", "2026-12-30T15:00:00Z", "--minutes", "1.5"],
        ["due", "--calendar", cal, "--from", "2026-12-30T15:00:00Z", "--minutes", ""],
        ["due", "--calendar", cal, "--from", "2026-12-30T15:00:00Z", "--minutes", "99999999999999999999"],
        ["due", "--calendar", cal, "--from", "2026-12-30T15:00:00Z", "--minutes", "5", "--extra", "x"],
        ["due", "--calendar", cal, "--from", "9999-12-31T00:00:00Z", "--minutes", "100000"],
        ["between", "--calendar", cal, "--from", "2026-12-30T15:00:00Z"],
        ["between", "--calendar", cal, "--from", "2026-12-30T15:00:00Z", "--to", "2026-13-01T00:00:00Z"],
        ["between", "--calendar", cal, "--from", "2026-12-30T15:00:00Z", "--to"],
    ]
    for args in cases:
        r = run(*args)
        assert r.returncode == 2, (args, r.returncode, r.stdout, r.stderr)
        assert r.stdout == "", (args, r.stdout)
        assert r.stderr.strip(), args
    r = run("due", "--calendar", cal, "--from", "yesterday", "--minutes", "5")
    assert "--from \"yesterday\" is not an RFC 3339 instant" in r.stderr
    r = run("due", "--calendar", cal, "--from", "2026-12-30T15:00:00Z", "--minutes", "-5")
    assert "--minutes" in r.stderr
    r = run("--help")
    assert r.returncode == 0 and "calendar due" in r.stdout


@pytest.mark.parametrize("content, message", [
    ('{"timezone":"Europe/Kyiv","hours":{"mon":[["09:00","13:00"],["12:00","18:00"]]}}',
     "hours.mon: 09:00-13:00 overlaps 12:00-18:00"),
    ('{"timezone":"Europe/Kyiv","hours":{"mon":[["18:00","09:00"]]}}', "is not after start"),
    ('{"timezone":"Europe/Kyiv","hours":{"mon":[["09:00","25:00"]]}}', '"25:00" is not a time'),
    ('{"timezone":"Europe/Kyiv","hours":{"monday":[["09:00","18:00"]]}}', 'unknown weekday "monday"'),
    ('{"timezone":"Europe/Kyiv","hours":{"mon":[]}}', "never open"),
    ('{"timezone":"Europe/Kyiv","hours":{"mon":[["09:00","18:00"]]},"holidays":["2026-02-30"]}',
     '"2026-02-30" is not a date'),
    ('{"timezone":"Mars/Olympus_Mons","24/7":true}', 'unknown time zone "Mars/Olympus_Mons"'),
    ('{"timezone":"ABC3","24/7":true}', 'unknown time zone "ABC3"'),
    ('{"hours":{"mon":[["09:00","18:00"]]}}', '"timezone" is required'),
    ('{"timezone":"UTC","24/7":true', "invalid JSON"),
    ('{"timezone":"UTC","24/7":true,"24/7":false}', "invalid JSON"),
    ("", "invalid JSON"),
])
def test_invalid_calendar_exit_1(tmp_path, content, message):
    cal = write(tmp_path, content)
    for args in (["due", "--calendar", cal, "--from", "2026-12-30T15:00:00Z", "--minutes", "5"],
                 ["between", "--calendar", cal, "--from", "2026-12-30T15:00:00Z", "--to", "2026-12-31T00:00:00Z"],
                 ["check", "--calendar", cal]):
        r = run(*args)
        assert r.returncode == 1, (args, r.returncode, r.stdout, r.stderr)
        assert r.stdout == ""
        assert message in r.stderr, r.stderr


def test_missing_calendar_file_exit_1(tmp_path):
    r = run("due", "--calendar", tmp_path / "nope.json", "--from", "2026-12-30T15:00:00Z", "--minutes", "5")
    assert r.returncode == 1
    assert "cannot open" in r.stderr
