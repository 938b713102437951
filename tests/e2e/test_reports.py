"""Reports: every figure of /api/v1/reports/* checked against the same figure computed here,
independently, from a seeded data set - conversations created, answered, solved, closed and
rated at chosen instants with `serve --test-clock`, categories through the web form's JSON
endpoint, CSAT through the public survey endpoint, business time on an office calendar.
CSV exports must parse and match the JSON; agents see only their own figures."""
import csv
import io
import random
import re
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from mailservers import wait_for
from sbtest import Api, Server, assert_error, stop_server_checked, uemail, uniq

UTC = timezone.utc
OFFICE = {"timezone": "UTC", "hours": {d: [["09:00", "17:00"]] for d in ("mon", "tue", "wed", "thu", "fri")}}
TARGETS = {"first_response": 60, "next_response": 30, "resolution": 480}  # business minutes
FROM = datetime(2026, 3, 2, tzinfo=UTC)   # a Monday
TO = datetime(2026, 3, 9, tzinfo=UTC)
PREV_FROM = FROM - (TO - FROM)
FINAL = datetime(2026, 3, 9, 12, 0, tzinfo=UTC)
CATEGORIES = ["Billing", "Technical problem", "=2+3"]  # the last one probes CSV formula escaping
RATINGS = ["excellent", "good", "okay", "poor"]
REPORTS = ["volume", "times", "sla", "csat", "backlog", "heatmap", "categories", "tags", "agents"]


def iso(d):
    return d.strftime("%Y-%m-%dT%H:%M:%SZ")


def business_seconds(a, b):
    """Seconds of [a, b) inside Mon-Fri 09:00-17:00 UTC."""
    total, day = 0, datetime(a.year, a.month, a.day, tzinfo=UTC)
    while day < b:
        if day.weekday() < 5:
            lo, hi = max(a, day + timedelta(hours=9)), min(b, day + timedelta(hours=17))
            if hi > lo:
                total += int((hi - lo).total_seconds())
        day += timedelta(days=1)
    return total


def nearest_rank(values, pct):
    if not values:
        return None
    v = sorted(values)
    return v[max(1, -(-pct * len(v) // 100)) - 1]


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    srv = Server(tmp_path_factory.mktemp("reports"), name="reports", extra_args=("--test-clock",)).start()
    e = type("Env", (), {})()
    e.srv, e.admin = srv, srv.new_user("admin")
    e.sup = srv.new_user("supervisor")
    e.agents = [srv.new_user("agent"), srv.new_user("agent")]
    api = e.api = e.admin.api
    e.clock = lambda t: api.put("/api/v1/_test/clock", json={"now": iso(t)}, expect=200)
    e.clock(PREV_FROM - timedelta(days=1))
    cal = api.post("/api/v1/calendars", json={"name": "Office", **OFFICE}, expect=201).json()
    api.post("/api/v1/sla-policies", json={"name": "Std", "is_default": True, "calendar_id": cal["id"],
                                           "targets": {"normal": TARGETS}}, expect=201)
    api.patch("/api/v1/sla-settings", json={"public_base_url": srv.base_url}, expect=200)
    e.support = uemail("help")
    api.post("/api/v1/mailboxes", json={"address": e.support, "name": "Help"}, expect=201)
    e.teams = [api.post("/api/v1/teams", json={"name": uniq("team")}, expect=201).json()["id"] for _ in range(2)]
    form = api.get("/api/v1/settings/webform", expect=200).json()
    for f in form["fields"]:
        if f["name"] == "category":
            f["options"] = CATEGORIES
    api.put("/api/v1/settings/webform", json=form, expect=200)
    e.tags = ["login", "refund", "outage"]
    e.convs = seed(e)
    yield e
    if srv.running:
        stop_server_checked(srv)


def seed(e):
    """Conversations at chosen instants in the report week and the week before it; every
    event is applied in time order with the test clock set to its instant."""
    rnd = random.Random(5)
    specs = []
    for i in range(30):
        prev = i >= 24
        start = PREV_FROM if prev else FROM
        created = start + timedelta(minutes=rnd.randrange(0, 7 * 24 * 60))
        channel = ["api", "webform", "email"][i % 3]
        reply = created + timedelta(minutes=rnd.choice([5, 30, 59, 90, 300, 1500])) if rnd.random() < 0.8 else None
        solve = None
        if rnd.random() < 0.7:
            solve = (reply or created) + timedelta(minutes=rnd.choice([10, 120, 600, 3000]))
        spec = {"i": i, "created": created, "channel": channel, "reply": reply, "solve": solve,
                "team": e.teams[i % 2], "agent": e.agents[(i // 2) % 2] if i % 5 else None,
                "category": CATEGORIES[rnd.randrange(3)] if channel == "webform" else None,
                "tags": rnd.sample(e.tags, rnd.randrange(0, 3)),
                "rating": None, "close": None}
        if solve and channel == "email" and spec["agent"] and solve < FINAL - timedelta(hours=2):
            spec["close"] = solve + timedelta(minutes=30)
            spec["rating"] = RATINGS[rnd.randrange(4)]
            spec["rated"] = spec["close"] + timedelta(minutes=15)
        if spec["close"] and spec["close"] > FINAL - timedelta(hours=1):
            spec["close"] = spec["rating"] = None
        specs.append(spec)
    events = []
    for s in specs:
        events.append((s["created"], 0, s, "create"))
        if s["reply"] and s["reply"] < FINAL:
            events.append((s["reply"], 1, s, "reply"))
        if s["solve"] and s["solve"] < FINAL:
            events.append((s["solve"], 2, s, "solve"))
        else:
            s["solve"] = None
        if s["solve"] is None or (s["reply"] and s["reply"] >= FINAL):
            s["close"] = s["rating"] = None
        if s["reply"] and s["reply"] >= FINAL:
            s["reply"] = None
        if s["close"]:
            events.append((s["close"], 3, s, "close"))
            events.append((s["rated"], 4, s, "rate"))
    events.sort(key=lambda x: (x[0], x[1], x[2]["i"]))
    api = e.api
    for at, _, s, what in events:
        e.clock(at)
        if what == "create":
            s["id"] = create(e, s)
        elif what == "reply":
            who = next((a for a in e.agents if s["agent"] is a), e.agents[0])
            who.api.post_message(s["id"], "On it")
            s["replier"] = who
        elif what == "solve":
            api.patch_conversation(s["id"], status="solved")
        elif what == "close":
            api.patch_conversation(s["id"], status="closed")
        elif what == "rate":
            token = survey_token(e, s["id"])
            Api(e.srv.base_url).post("/api/v1/public/csat", json={"token": token, "rating": s["rating"]}, expect=200)
    e.clock(FINAL)
    return specs


def create(e, s):
    api = e.api
    if s["channel"] == "webform":
        r = api.post("/api/v1/webform", json={"email": uemail("form"), "subject": "Form " + uniq(),
                                              "fields": {"category": s["category"], "description": "help"}},
                     expect=201).json()
        cid = r.get("conversation_id") or r.get("id")
    elif s["channel"] == "email":
        raw = (f"From: {uemail('mail')}\r\nTo: {e.support}\r\nSubject: Mail {uniq()}\r\n"
               f"Message-ID: <{uniq('m')}@c.test>\r\nContent-Type: text/plain\r\n\r\nhelp\r\n").encode()
        cid = api.post("/api/v1/inbound/email", data=raw, headers={"Content-Type": "message/rfc822"},
                       expect=201).json()["conversation_id"]
    else:
        cid = api.create_conversation(channel="api")["id"]
    fields = {"team_id": s["team"], "tags": s["tags"]}
    if s["agent"]:
        fields["assignee_id"] = s["agent"].id
    api.patch_conversation(cid, **fields)
    return cid


def survey_token(e, cid):
    texts = [m["body_text"] for m in e.api.messages(cid) if m["author"]["type"] == "system"]
    found = [re.search(rf"{re.escape(e.srv.base_url)}/csat/([0-9]+-[0-9a-f]+)", t) for t in texts]
    found = [f.group(1) for f in found if f]
    assert found, f"no survey link in conversation {cid}"
    return found[-1]


# ------------------------------------------------------------------ independent figures


def in_range(d, a=FROM, b=TO):
    return d is not None and a <= d < b


def select(e, team=None, agent=None, channel=None, tag=None):
    out = []
    for s in e.convs:
        if team and s["team"] != team:
            continue
        if agent and (s["agent"] is None or s["agent"].id != agent):
            continue
        if channel and s["channel"] != channel:
            continue
        if tag and tag not in s["tags"]:
            continue
        out.append(s)
    return out


def resolved_at(s):
    return s["solve"]


def sla_outcomes(s):
    """(first_response, resolution): 'met', 'breached', 'running' or None."""
    fr_end = s["reply"] or s["solve"] or FINAL
    fr_used = business_seconds(s["created"], fr_end)
    if fr_used >= TARGETS["first_response"] * 60:
        fr = "breached"
    elif s["reply"]:
        fr = "met"
    else:
        fr = "running" if not s["solve"] else None
    res_used = business_seconds(s["created"], s["solve"] or FINAL)
    res = "breached" if res_used >= TARGETS["resolution"] * 60 else ("met" if s["solve"] else "running")
    return fr, res


def params(**kw):
    p = {"from": iso(FROM), "to": iso(TO)}
    p.update({k: v for k, v in kw.items() if v is not None})
    return p


def get(api, name, **kw):
    return api.get(f"/api/v1/reports/{name}", params=params(**kw), expect=200).json()


# ------------------------------------------------------------------ tests


def test_volume_daily_and_hourly(env):
    got = get(env.sup.api, "volume")
    assert got["granularity"] == "day" and len(got["items"]) == 7
    for item in got["items"]:
        day = datetime.fromisoformat(item["bucket"]).replace(tzinfo=UTC)
        nxt = day + timedelta(days=1)
        assert item["created"] == sum(1 for s in env.convs if in_range(s["created"], day, nxt)), item
        assert item["solved"] == sum(1 for s in env.convs if in_range(resolved_at(s), day, nxt)), item
    assert got["totals"]["created"] == sum(1 for s in env.convs if in_range(s["created"]))
    # a one-day range in Kyiv (UTC+2) is hourly, in local hours
    kyiv = ZoneInfo("Europe/Kyiv")
    a = datetime(2026, 3, 3, tzinfo=kyiv)
    b = a + timedelta(days=1)
    got = env.sup.api.get("/api/v1/reports/volume", params={"from": a.isoformat(), "to": b.isoformat(),
                                                             "tz": "Europe/Kyiv"}, expect=200).json()
    assert got["granularity"] == "hour" and len(got["items"]) == 24
    assert got["items"][0]["bucket"] == "2026-03-03T00:00"
    for h, item in enumerate(got["items"]):
        lo = a + timedelta(hours=h)
        assert item["created"] == sum(1 for s in env.convs if in_range(s["created"], lo, lo + timedelta(hours=1)))


@pytest.mark.parametrize("filt", [{}, {"team": 0}, {"channel": "webform"}, {"tag": "refund"}, {"agent": 1}])
def test_times_sla_match(env, filt):
    kw = dict(filt)
    if "team" in kw:
        kw["team"] = env.teams[kw["team"]]
    if "agent" in kw:
        kw["agent"] = env.agents[kw["agent"]].id
    chosen = select(env, **kw)
    q = {"team_id": kw.get("team"), "agent_id": kw.get("agent"), "channel": kw.get("channel"), "tag": kw.get("tag")}
    got = get(env.sup.api, "times", **q)
    created = [s for s in chosen if in_range(s["created"])]
    frt_wall = [int((s["reply"] - s["created"]).total_seconds()) for s in created if s["reply"]]
    frt_bus = [business_seconds(s["created"], s["reply"]) for s in created if s["reply"]]
    solved = [s for s in chosen if in_range(resolved_at(s))]
    res_wall = [int((s["solve"] - s["created"]).total_seconds()) for s in solved]
    res_bus = [business_seconds(s["created"], s["solve"]) for s in solved]
    fr, rs = got["first_response"], got["resolution"]
    if not filt:  # the seed exercises every figure
        assert len(frt_wall) >= 5 and len(res_wall) >= 5 and frt_bus != frt_wall and res_bus != res_wall
    assert fr["count"] == len(frt_wall) and rs["count"] == len(res_wall)
    for obj, wall, bus in ((fr, frt_wall, frt_bus), (rs, res_wall, res_bus)):
        assert obj["wall"] == {"median_s": nearest_rank(wall, 50), "p90_s": nearest_rank(wall, 90)}
        assert obj["business"] == {"median_s": nearest_rank(bus, 50), "p90_s": nearest_rank(bus, 90)}
    # SLA attainment: timers may still be catching up with the final clock, so poll
    want = {"first_response": {"met": 0, "breached": 0, "running": 0},
            "next_response": {"met": 0, "breached": 0, "running": 0},
            "resolution": {"met": 0, "breached": 0, "running": 0}}
    for s in created:
        f, r = sla_outcomes(s)
        if f:
            want["first_response"][f] += 1
        want["resolution"][r] += 1

    def sla_now():
        items = get(env.sup.api, "sla", **q)["items"]
        return {it["target"]: {k: it[k] for k in ("met", "breached", "running")} for it in items}
    wait_for(lambda: sla_now() == want, message=f"SLA figures {want} (got {sla_now()})")
    if not filt:
        assert all(want[t][k] for t in ("first_response", "resolution") for k in ("met", "breached")), want
        assert want["first_response"]["running"] + want["resolution"]["running"] > 0, want
    for it in get(env.sup.api, "sla", **q)["items"]:
        w = want[it["target"]]
        n = w["met"] + w["breached"]
        assert it["attainment"] == (pytest.approx(w["met"] / n) if n else None)


def test_csat_backlog_heatmap(env):
    rated = [s for s in env.convs if s["rating"] and in_range(s["rated"])]
    got = get(env.sup.api, "csat")
    counts = {it["rating"]: it["count"] for it in got["items"]}
    assert counts == {r: sum(1 for s in rated if s["rating"] == r) for r in RATINGS}
    assert rated, "the seed should rate some conversations"
    good = sum(1 for s in rated if s["rating"] in ("excellent", "good"))
    assert got["rated"] == len(rated) and got["score"] == pytest.approx(good / len(rated))
    team = env.teams[1]
    got = get(env.sup.api, "csat", team_id=team)
    assert got["rated"] == sum(1 for s in rated if s["team"] == team)

    backlog = get(env.sup.api, "backlog")
    limits = [3600, 4 * 3600, 24 * 3600, 3 * 86400, 7 * 86400]
    want = [0] * 6
    for s in env.convs:
        if not s["solve"]:
            age = (FINAL - s["created"]).total_seconds()
            want[sum(1 for lim in limits if age >= lim)] += 1
    assert [it["count"] for it in backlog["items"]] == want
    assert sum(1 for n in want if n) >= 2, want
    assert [it["bucket"] for it in backlog["items"]] == ["<1h", "1-4h", "4-24h", "1-3d", "3-7d", ">7d"]

    heat = get(env.sup.api, "heatmap", tz="America/New_York")
    ny = ZoneInfo("America/New_York")
    cells = {}
    for s in env.convs:
        if in_range(s["created"]):
            local = s["created"].astimezone(ny)
            key = (["mon", "tue", "wed", "thu", "fri", "sat", "sun"][local.weekday()], local.hour)
            cells[key] = cells.get(key, 0) + 1
    assert len(heat["items"]) == 168
    assert {(it["weekday"], it["hour"]): it["count"] for it in heat["items"] if it["count"]} == cells
    assert heat["max"] == max(cells.values())


def test_categories_tags_trend(env):
    got = get(env.sup.api, "categories")
    cur = {c: sum(1 for s in env.convs if s["category"] == c and in_range(s["created"])) for c in CATEGORIES}
    old = {c: sum(1 for s in env.convs if s["category"] == c and in_range(s["created"], PREV_FROM, FROM))
           for c in CATEGORIES}
    want = {c: (cur[c], old[c]) for c in CATEGORIES if cur[c] or old[c]}
    assert {it["name"]: (it["count"], it["previous"]) for it in got["items"]} == want
    assert len(want) >= 2 and any(p for _, p in want.values()), want
    for it in got["items"]:
        p = it["previous"]
        assert it["change_percent"] == (pytest.approx(round((it["count"] - p) * 100 / p, 1)) if p else None)
    counts = [it["count"] for it in got["items"]]
    assert counts == sorted(counts, reverse=True)
    tags = get(env.sup.api, "tags")
    want = {}
    for t in env.tags:
        c = sum(1 for s in env.convs if t in s["tags"] and in_range(s["created"]))
        p = sum(1 for s in env.convs if t in s["tags"] and in_range(s["created"], PREV_FROM, FROM))
        if c or p:
            want[t] = (c, p)
    assert {it["name"]: (it["count"], it["previous"]) for it in tags["items"]} == want
    assert len(get(env.sup.api, "tags", limit=1)["items"]) == 1


def test_agents_and_scoping(env):
    got = get(env.sup.api, "agents")
    by_id = {it["agent_id"]: it for it in got["items"]}
    for a in env.agents:
        mine = [s for s in env.convs if s["agent"] is a]
        created = [s for s in mine if in_range(s["created"])]
        solved = [s for s in mine if in_range(resolved_at(s))]
        rated = [s for s in mine if s["rating"] and in_range(s["rated"])]
        it = by_id[a.id]
        assert it["assigned"] == len(created) and it["solved"] == len(solved)
        assert it["first_response_median_s"] == nearest_rank(
            [int((s["reply"] - s["created"]).total_seconds()) for s in created if s["reply"]], 50)
        assert it["first_response_median_business_s"] == nearest_rank(
            [business_seconds(s["created"], s["reply"]) for s in created if s["reply"]], 50)
        assert it["resolution_median_s"] == nearest_rank(
            [int((s["solve"] - s["created"]).total_seconds()) for s in solved], 50)
        assert it["csat_rated"] == len(rated)
        good = sum(1 for s in rated if s["rating"] in ("excellent", "good"))
        assert it["csat_score"] == (pytest.approx(good / len(rated)) if rated else None)
    # an agent sees only their own figures, whatever they ask for
    a = env.agents[0]
    mine = get(a.api, "agents")
    assert [it["agent_id"] for it in mine["items"]] == [a.id]
    vol = get(a.api, "volume")
    assert vol["totals"]["created"] == sum(1 for s in env.convs if s["agent"] is a and in_range(s["created"]))
    assert vol["filters"]["agent_id"] == a.id
    assert_error(a.api.get("/api/v1/reports/volume", params={"agent_id": env.agents[1].id}), 403, "forbidden")


def test_csv_matches_json(env):
    for name in REPORTS:
        js = get(env.sup.api, name)
        r = env.sup.api.get(f"/api/v1/reports/{name}", params=params(format="csv"), expect=200)
        assert r.headers["Content-Type"].startswith("text/csv")
        assert f'filename="report-{name}.csv"' in r.headers["Content-Disposition"]
        assert r.content.count(b"\r\n") == len(js["items"]) + 1
        rows = list(csv.reader(io.StringIO(r.content.decode())))
        header, body = rows[0], rows[1:]
        assert len(body) == len(js["items"])
        for row, item in zip(body, js["items"]):
            for col, cell in zip(header, row):
                v = item[col]
                if v is None:
                    assert cell == ""
                elif isinstance(v, float):
                    assert float(cell) == pytest.approx(v, abs=1e-4)
                elif isinstance(v, str) and v[:1] in ("=", "+", "-", "@"):
                    assert cell == "'" + v  # formula injection defused
                else:
                    assert cell == str(v)
    # the formula category comes out quoted and prefixed
    r = env.sup.api.get("/api/v1/reports/categories", params=params(format="csv"), expect=200)
    assert "=2+3" in {s["category"] for s in env.convs if in_range(s["created"])}
    assert "\"'=2+3\"" in r.text


def test_validation(env):
    api = env.sup.api
    bad = [{"from": "yesterday"}, {"from": iso(TO), "to": iso(FROM)}, {"tz": "Mars/Base"},
           {"from": "2020-01-01T00:00:00Z", "to": "2026-01-01T00:00:00Z"}, {"format": "xml"},
           {"channel": "Bad Channel"}, {"limit": "0"}]
    for p in bad:
        assert_error(api.get("/api/v1/reports/volume", params=p), 422, "validation_failed")
    assert_error(api.get("/api/v1/reports/volume", params={"team_id": "x"}), 400, "bad_request")
    assert get(api, "volume", tag="no-such-tag-" + uniq())["totals"] == {"created": 0, "solved": 0}
    assert_error(Api(env.srv.base_url).get("/api/v1/reports/volume"), 401, "unauthorized")
    # settings: the default calendar for business time
    assert api.get("/api/v1/reports/settings", expect=200).json() == {"calendar_id": None}
    assert_error(api.put("/api/v1/reports/settings", json={"calendar_id": None}), 403, "forbidden")
    adm = env.api
    assert_error(adm.put("/api/v1/reports/settings", json={"calendar_id": 999999}), 422, "validation_failed")
    cal = adm.get("/api/v1/calendars", expect=200).json()["items"][0]["id"]
    assert adm.put("/api/v1/reports/settings", json={"calendar_id": cal}, expect=200).json() == {"calendar_id": cal}
    assert adm.put("/api/v1/reports/settings", json={"calendar_id": None}, expect=200).json() == {"calendar_id": None}
