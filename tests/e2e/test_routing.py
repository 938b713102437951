"""Routing (issue 5 B): account managers first, routing rules, round-robin and least-loaded
assignment among agents who are on shift, online and under capacity, queued conversations
taken as capacity frees, escalation to the next tier and to a supervisor, and on-call
rotations. Time moves with the test clock (`serve --test-clock`), never with sleeps."""
import time

import pytest

from sbtest import SLOW, SSEStream, assert_error, is_event, start_server, stop_server_checked, uemail, uniq

# Monday 23 November 2026, 10:00 UTC (12:00 in Kyiv).
MONDAY_10Z = "2026-11-23T10:00:00Z"

WEEKDAYS_9_17 = {"hours": {d: [["09:00", "17:00"]] for d in ("mon", "tue", "wed", "thu", "fri")}}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    srv = start_server(tmp_path_factory, name="sb-routing", extra_args=("--test-clock",))
    yield srv
    stop_server_checked(srv)


def set_clock(server, now):
    r = server.api().put("/api/v1/_test/clock", json={"now": now})
    assert r.status_code == 200, r.text


def new_agent(server, admin, status="online", role="agent", **fields):
    user = server.new_user(role)
    if fields:
        admin.api.patch(f"/api/v1/agents/{user.id}", json=fields, expect=200)
    user.api.put("/api/v1/agents/me/status", json={"status": status}, expect=200)
    return user


def new_team(admin, members=(), **fields):
    body = {"name": uniq("Team"), "member_ids": [m.id for m in members]}
    body.update(fields)
    return admin.api.post("/api/v1/teams", json=body, expect=201).json()


def timeline(api, cid):
    return [m["body_text"] for m in api.messages(cid)]


def poll(fn, timeout=10 * SLOW):
    deadline = time.monotonic() + timeout
    while True:
        v = fn()
        if v:
            return v
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.05)


# --------------------------------------------------------------------------- fields


def test_agent_routing_fields_are_validated(server, admin):
    set_clock(server, MONDAY_10Z)
    a = new_agent(server, admin)
    url = f"/api/v1/agents/{a.id}"
    assert_error(admin.api.patch(url, json={"max_open": -1}), 422, "validation_failed")
    assert_error(admin.api.patch(url, json={"max_open": 10001}), 422, "validation_failed")
    assert_error(admin.api.patch(url, json={"max_open": "3"}), 422, "validation_failed")
    assert_error(admin.api.patch(url, json={"timezone": "Mars/Olympus_Mons"}), 422, "validation_failed")
    assert_error(admin.api.patch(url, json={"timezone": "../../etc/passwd"}), 422, "validation_failed")
    assert_error(admin.api.patch(url, json={"shift": {"hours": {"mon": [["18:00", "09:00"]]}}}), 422,
                 "validation_failed")
    assert_error(admin.api.patch(url, json={"shift": {"timezone": "UTC", "24/7": True}}), 422, "validation_failed")
    assert_error(admin.api.patch(url, json={"shift": "9 to 5"}), 422, "validation_failed")
    # Nothing of the refused requests stuck.
    got = admin.api.get(url, expect=200).json()
    assert got["max_open"] is None and got["timezone"] == "UTC" and got["shift"] is None
    got = admin.api.patch(url, json={"max_open": 3, "timezone": "Europe/Kyiv", "shift": WEEKDAYS_9_17},
                          expect=200).json()
    assert got["max_open"] == 3 and got["timezone"] == "Europe/Kyiv"
    assert got["shift"]["hours"]["mon"] == [["09:00", "17:00"]]
    assert got["open_count"] == 0 and got["status"] == "online"
    # An agent sets their own status and time zone, not their capacity or shift.
    assert_error(a.api.patch(url, json={"max_open": 50}), 403, "forbidden")
    assert_error(a.api.patch(url, json={"shift": None}), 403, "forbidden")
    assert a.api.patch(url, json={"timezone": "America/New_York"}, expect=200).json()["timezone"] == "America/New_York"
    assert a.api.put("/api/v1/agents/me/status", json={"status": "away"}, expect=200).json()["status"] == "away"
    assert_error(a.api.put("/api/v1/agents/me/status", json={"status": "busy"}), 422, "validation_failed")
    assert_error(a.api.put("/api/v1/agents/me/status", json={}), 422, "validation_failed")
    # null clears.
    got = admin.api.patch(url, json={"max_open": None, "shift": None}, expect=200).json()
    assert got["max_open"] is None and got["shift"] is None


def test_team_routing_fields_are_validated(server, admin, supervisor):
    a = new_agent(server, admin)
    t = new_team(admin, [a])
    assert t["strategy"] == "round_robin" and t["supervisor_id"] is None and t["oncall"] is None
    url = f"/api/v1/teams/{t['id']}"
    assert_error(admin.api.patch(url, json={"strategy": "random"}), 422, "validation_failed")
    assert_error(admin.api.patch(url, json={"supervisor_id": 999999}), 422, "validation_failed")
    assert_error(admin.api.patch(url, json={"escalation_team_id": t["id"]}), 422, "validation_failed")
    assert_error(admin.api.patch(url, json={"escalation_team_id": 999999}), 422, "validation_failed")
    bad_oncalls = [
        {"start": "2026-01-01T00:00:00Z", "length_days": 7},
        {"agent_ids": [a.id], "start": "2026-01-01T00:00:00Z"},
        {"agent_ids": [a.id], "start": "2026-01-01T00:00:00Z", "length_days": 7, "length_hours": 12},
        {"agent_ids": [a.id], "start": "yesterday", "length_days": 7},
        {"agent_ids": [a.id], "start": "2026-01-01T00:00:00Z", "length_days": 0},
        {"agent_ids": [a.id], "start": "2026-01-01T00:00:00Z", "length_days": 7, "timezone": "Nowhere/City"},
        {"agent_ids": [a.id], "start": "2026-01-01T00:00:00Z", "length_days": 7,
         "overrides": [{"agent_id": a.id, "from": "2026-01-02T00:00:00Z", "to": "2026-01-01T00:00:00Z"}]},
        {"agent_ids": [999999], "start": "2026-01-01T00:00:00Z", "length_days": 7},
        {"agent_ids": [a.id], "start": "2026-01-01T00:00:00Z", "length_days": 7, "color": "red"},
    ]
    for oc in bad_oncalls:
        assert_error(admin.api.patch(url, json={"oncall": oc}), 422, "validation_failed")
    other = new_team(admin, tier="L2")
    got = admin.api.patch(url, json={"strategy": "least_loaded", "supervisor_id": supervisor.id,
                                     "escalation_team_id": other["id"]}, expect=200).json()
    assert (got["strategy"], got["supervisor_id"], got["escalation_team_id"]) == (
        "least_loaded", supervisor.id, other["id"])
    # Deleting the escalation target clears the reference.
    admin.api.delete(f"/api/v1/teams/{other['id']}", expect=204)
    assert admin.api.get(url, expect=200).json()["escalation_team_id"] is None


# --------------------------------------------------------------------------- assignment


def test_round_robin_is_fair_and_in_rotation(server, admin):
    set_clock(server, MONDAY_10Z)
    online = [new_agent(server, admin) for _ in range(3)]
    away = new_agent(server, admin, status="away")
    offline = new_agent(server, admin, status="offline")
    team = new_team(admin, online + [away, offline])
    assignees = []
    for _ in range(12):
        c = admin.api.create_conversation(team_id=team["id"])
        assert c["team_id"] == team["id"]
        assignees.append(c["assignee_id"])
    ids = sorted(a.id for a in online)
    # Never assigned before: lowest id first, then strictly in turn.
    assert assignees == ids * 4
    for a in online:
        got = admin.api.get(f"/api/v1/agents/{a.id}", expect=200).json()
        assert got["open_count"] == 4
        assert got["last_assigned_at"] is not None
    last = admin.api.get_conversation(c["id"])
    name = {a.id: a.name for a in online}[last["assignee_id"]]
    assert f"Assigned to {name} by round-robin in team {team['name']}" in timeline(admin.api, c["id"])
    # The rotation goes on from where it stopped; an agent back online waits longest.
    away.api.put("/api/v1/agents/me/status", json={"status": "online"}, expect=200)
    nxt = [admin.api.create_conversation(team_id=team["id"])["assignee_id"] for _ in range(4)]
    assert nxt == [away.id] + ids


def test_least_loaded_and_capacity_limits(server, admin):
    set_clock(server, MONDAY_10Z)
    a = new_agent(server, admin, max_open=2)
    b = new_agent(server, admin, max_open=2)
    team = new_team(admin, [a, b], strategy="least_loaded")
    # a already has one open conversation, assigned by hand.
    manual = admin.api.create_conversation(assignee_id=a.id)
    got = [admin.api.create_conversation(team_id=team["id"])["assignee_id"] for _ in range(3)]
    assert got == [b.id, a.id, b.id]  # fewest open first; ties by round-robin order
    # Both are full: the next one waits in the team's queue, with a note saying why.
    queued = admin.api.create_conversation(team_id=team["id"])
    assert queued["assignee_id"] is None and queued["team_id"] == team["id"]
    assert any(t.startswith(f"Queued in team {team['name']}") and "nobody" in t
               for t in timeline(admin.api, queued["id"]))
    # Capacity frees when a is done with one; the sweep (a job on the test clock) assigns it.
    admin.api.patch_conversation(manual["id"], status="solved")
    assert admin.api.get_conversation(queued["id"])["assignee_id"] is None  # not before the sweep
    set_clock(server, "2026-11-23T10:02:00Z")
    poll(lambda: admin.api.get_conversation(queued["id"])["assignee_id"] == a.id)
    assert any(t.startswith(f"Assigned to {a.name} (least loaded)") for t in timeline(admin.api, queued["id"]))
    # Raising a capacity takes queued work at once.
    q2 = admin.api.create_conversation(team_id=team["id"])
    assert q2["assignee_id"] is None
    admin.api.patch(f"/api/v1/agents/{b.id}", json={"max_open": 3}, expect=200)
    assert admin.api.get_conversation(q2["id"])["assignee_id"] == b.id


def test_off_shift_agents_are_skipped(server, admin):
    kyiv_day = new_agent(server, admin, timezone="Europe/Kyiv", shift=WEEKDAYS_9_17)
    anytime = new_agent(server, admin)
    team = new_team(admin, [kyiv_day, anytime])
    # Monday 16:00 UTC = 18:00 in Kyiv: after the shift.
    set_clock(server, "2026-11-23T16:00:00Z")
    got = [admin.api.create_conversation(team_id=team["id"])["assignee_id"] for _ in range(2)]
    assert got == [anytime.id, anytime.id]
    # Saturday noon: off shift as well.
    set_clock(server, "2026-11-28T10:00:00Z")
    assert admin.api.create_conversation(team_id=team["id"])["assignee_id"] == anytime.id
    # Tuesday 07:30 UTC = 09:30 in Kyiv: on shift, and waited longest.
    set_clock(server, "2026-11-24T07:30:00Z")
    got = [admin.api.create_conversation(team_id=team["id"])["assignee_id"] for _ in range(3)]
    assert got == [kyiv_day.id, anytime.id, kyiv_day.id]
    # Nobody on shift and online: queued.
    anytime.api.put("/api/v1/agents/me/status", json={"status": "offline"}, expect=200)
    set_clock(server, "2026-11-24T16:00:00Z")
    assert admin.api.create_conversation(team_id=team["id"])["assignee_id"] is None


def test_account_manager_gets_their_customers_first(server, admin):
    set_clock(server, MONDAY_10Z)
    mgr = new_agent(server, admin, timezone="Europe/Kyiv", shift=WEEKDAYS_9_17)
    member = new_agent(server, admin)
    team = new_team(admin, [member])
    org = admin.api.post("/api/v1/organizations", json={"name": uniq("Org"), "account_manager_id": mgr.id},
                         expect=201).json()
    contact = admin.api.post("/api/v1/contacts", json={"email": uemail("vip"), "organization_id": org["id"]},
                             expect=201).json()
    def create():
        return admin.api.create_conversation(contact={"id": contact["id"]}, team_id=team["id"])
    c = create()
    assert c["assignee_id"] == mgr.id and c["team_id"] == team["id"]
    assert f"Routed to account manager {mgr.name}" in timeline(admin.api, c["id"])
    # Without a team too; and "away" still counts as reachable for one's own customers.
    mgr.api.put("/api/v1/agents/me/status", json={"status": "away"}, expect=200)
    assert admin.api.create_conversation(contact={"id": contact["id"]})["assignee_id"] == mgr.id
    # A customer of no organisation goes to the team.
    assert create_plain(admin, team)["assignee_id"] == member.id
    # Offline manager: the team.
    mgr.api.put("/api/v1/agents/me/status", json={"status": "offline"}, expect=200)
    assert create()["assignee_id"] == member.id
    # Off shift (19:00 in Kyiv): the team.
    mgr.api.put("/api/v1/agents/me/status", json={"status": "online"}, expect=200)
    set_clock(server, "2026-11-23T17:00:00Z")
    assert create()["assignee_id"] == member.id
    # At capacity: the team.
    set_clock(server, MONDAY_10Z)
    open_now = admin.api.get(f"/api/v1/agents/{mgr.id}", expect=200).json()["open_count"]
    assert open_now == 2
    admin.api.patch(f"/api/v1/agents/{mgr.id}", json={"max_open": 2}, expect=200)
    assert create()["assignee_id"] == member.id
    admin.api.patch(f"/api/v1/agents/{mgr.id}", json={"max_open": 3}, expect=200)
    assert create()["assignee_id"] == mgr.id
    # An explicit assignee is never overridden.
    assert admin.api.create_conversation(contact={"id": contact["id"]}, assignee_id=member.id)["assignee_id"] == member.id


def create_plain(admin, team):
    return admin.api.create_conversation(team_id=team["id"])


def test_rules_choose_the_team_in_order(server, admin, trainee):
    set_clock(server, MONDAY_10Z)
    a1, a2, a3 = (new_agent(server, admin) for _ in range(3))
    t1, t2, t3 = new_team(admin, [a1]), new_team(admin, [a2]), new_team(admin, [a3], strategy="manual")
    tag = uniq("routetag").lower()
    url = "/api/v1/routing-rules"
    # Validation and permissions.
    assert_error(trainee.api.post(url, json={"conditions": {}, "team_id": t1["id"]}), 403, "forbidden")
    for bad in ({"conditions": {"tag": tag}}, {"team_id": t1["id"]},
                {"conditions": {"colour": "red"}, "team_id": t1["id"]},
                {"conditions": {"channel": "fax"}, "team_id": t1["id"]},
                {"conditions": {"priority": ["urgent", "panic"]}, "team_id": t1["id"]},
                {"conditions": {"tag": []}, "team_id": t1["id"]},
                {"conditions": {"tag": tag}, "team_id": 999999},
                {"conditions": {"tag": tag}, "team_id": t1["id"], "position": 0}):
        assert_error(admin.api.post(url, json=bad), 422, "validation_failed")
    r1 = admin.api.post(url, json={"name": "vip tag", "conditions": {"tag": tag}, "team_id": t1["id"]},
                        expect=201).json()
    r2 = admin.api.post(url, json={"name": "urgent api", "conditions": {"channel": "api", "priority": "urgent",
                                                                        "tag": [tag, tag + "-x"]},
                                   "team_id": t2["id"]}, expect=201).json()
    r3 = admin.api.post(url, json={"name": "manual", "conditions": {"tag": tag + "-manual"}, "team_id": t3["id"]},
                        expect=201).json()
    assert r1["conditions"] == {"tag": tag} and r1["enabled"] is True
    listed = [r["id"] for r in trainee.api.get(url, expect=200).json()["items"]]
    assert listed.index(r1["id"]) < listed.index(r2["id"]) < listed.index(r3["id"])
    c = admin.api.create_conversation(tags=[tag])
    assert (c["team_id"], c["assignee_id"]) == (t1["id"], a1.id)
    assert f"Assigned to {a1.name} by round-robin in team {t1['name']} (rule \"vip tag\")" in timeline(admin.api, c["id"])
    # Order decides: the first matching rule wins; moving r2 first changes the outcome.
    urgent = dict(tags=[tag], priority="urgent", priority_reason="down")
    assert admin.api.create_conversation(**urgent)["team_id"] == t1["id"]
    moved = admin.api.patch(f"{url}/{r2['id']}", json={"position": 1}, expect=200).json()
    assert moved["position"] == 1
    c = admin.api.create_conversation(**urgent)
    assert (c["team_id"], c["assignee_id"]) == (t2["id"], a2.id)
    # A disabled rule is skipped.
    admin.api.patch(f"{url}/{r2['id']}", json={"enabled": False}, expect=200)
    assert admin.api.create_conversation(**urgent)["team_id"] == t1["id"]
    # A manual team queues.
    c = admin.api.create_conversation(tags=[tag + "-manual"])
    assert (c["team_id"], c["assignee_id"]) == (t3["id"], None)
    assert any("assigns by hand" in t for t in timeline(admin.api, c["id"]))
    # No rule matches and no team: stays in the general queue, with no note.
    c = admin.api.create_conversation(tags=[uniq("nothing")])
    assert (c["team_id"], c["assignee_id"]) == (None, None)
    # Explicit team beats the rules.
    assert admin.api.create_conversation(tags=[tag], team_id=t2["id"])["team_id"] == t2["id"]
    # Deleting a team deletes its rules; routing notices at once.
    gone = new_team(admin, [a1])
    admin.api.post(url, json={"conditions": {"tag": tag + "-gone"}, "team_id": gone["id"]}, expect=201)
    assert admin.api.create_conversation(tags=[tag + "-gone"])["team_id"] == gone["id"]
    admin.api.delete(f"/api/v1/teams/{gone['id']}", expect=204)
    assert admin.api.create_conversation(tags=[tag + "-gone"])["team_id"] is None
    for r in (r1, r2, r3):
        admin.api.delete(f"{url}/{r['id']}", expect=204)
    assert_error(admin.api.get(f"{url}/{r1['id']}"), 404, "not_found")
    assert_error(admin.api.delete(f"{url}/{r1['id']}"), 404, "not_found")


def test_email_is_routed_by_mailbox_and_rules(server, admin):
    set_clock(server, MONDAY_10Z)
    a, b = new_agent(server, admin), new_agent(server, admin)
    ta, tb = new_team(admin, [a]), new_team(admin, [b])
    box1, box2 = f"{uniq('help')}@support.test", f"{uniq('sales')}@support.test"
    m1 = admin.api.post("/api/v1/mailboxes", json={"address": box1, "team_id": ta["id"]}, expect=201).json()
    m2 = admin.api.post("/api/v1/mailboxes", json={"address": box2, "team_id": ta["id"]}, expect=201).json()
    rule = admin.api.post("/api/v1/routing-rules", json={"conditions": {"mailbox_id": m2["id"], "channel": "email"},
                                                          "team_id": tb["id"]}, expect=201).json()

    def mail(to):
        raw = (f"From: Customer <{uemail('mail')}>\r\nTo: {to}\r\nSubject: {uniq('s')}\r\n"
               f"Message-ID: <{uniq('m')}@customer.test>\r\nDate: Mon, 23 Nov 2026 10:00:00 +0000\r\n\r\nhello").encode()
        r = admin.api.post("/api/v1/inbound/email", data=raw, params={"mailbox": to},
                           headers={"Content-Type": "message/rfc822"}, expect=(200, 201))
        return admin.api.get_conversation(r.json()["conversation_id"])

    c1 = mail(box1)  # no rule: the mailbox's team
    assert (c1["team_id"], c1["assignee_id"]) == (ta["id"], a.id)
    c2 = mail(box2)  # the rule beats the mailbox's team
    assert (c2["team_id"], c2["assignee_id"]) == (tb["id"], b.id)
    admin.api.delete(f"/api/v1/routing-rules/{rule['id']}", expect=204)
    assert m1["id"] != m2["id"]


def test_reroute_and_reopen(server, admin):
    set_clock(server, MONDAY_10Z)
    a = new_agent(server, admin, status="offline")
    team = new_team(admin, [a])
    c = admin.api.create_conversation(team_id=team["id"])
    assert c["assignee_id"] is None
    r = admin.api.post(f"/api/v1/conversations/{c['id']}/route", expect=200).json()
    assert r["routing"]["reason"] == "queued_nobody_eligible" and r["assignee_id"] is None
    # Coming online takes the team's queue, oldest first.
    a.api.put("/api/v1/agents/me/status", json={"status": "online"}, expect=200)
    assert admin.api.get_conversation(c["id"])["assignee_id"] == a.id
    assert_error(admin.api.post(f"/api/v1/conversations/{c['id']}/route"), 409, "conflict")
    # Unassigned and solved; the customer writes again: reopened and routed.
    admin.api.patch_conversation(c["id"], assignee_id=None, status="solved")
    assert_error(admin.api.post(f"/api/v1/conversations/{c['id']}/route"), 409, "conflict")
    admin.api.post_message(c["id"], "still broken", direction="in")
    got = admin.api.get_conversation(c["id"])
    assert (got["status"], got["assignee_id"]) == ("open", a.id)
    assert_error(admin.api.post("/api/v1/conversations/99999999/route"), 404, "not_found")


# --------------------------------------------------------------------------- escalation


def test_escalate_to_next_tier(server, admin):
    set_clock(server, MONDAY_10Z)
    l1_agent, l2_agent = new_agent(server, admin), new_agent(server, admin)
    l2 = new_team(admin, [l2_agent], tier="L2")
    l1 = new_team(admin, [l1_agent], tier="L1", escalation_team_id=l2["id"])
    c = admin.api.create_conversation(team_id=l1["id"])
    assert c["assignee_id"] == l1_agent.id
    url = f"/api/v1/conversations/{c['id']}/escalate"
    assert_error(l1_agent.api.post(url, json={"to": "next_tier"}), 422, "validation_failed")
    assert_error(l1_agent.api.post(url, json={"to": "next_tier", "reason": "   "}), 422, "validation_failed")
    assert_error(l1_agent.api.post(url, json={"to": "mars", "reason": "x"}), 422, "validation_failed")
    reason = "Customer sees error 500 on export " + uniq("r")
    with SSEStream(server, admin.token) as s:
        got = l1_agent.api.post(url, json={"to": "next_tier", "reason": reason}, expect=200).json()
        evs = s.read_until(lambda ev: ev.event == "conversation.updated" and ev.json()["conversation_id"] == c["id"]
                           and "team_id" in (ev.json()["data"].get("changes") or []))
    assert (got["team_id"], got["assignee_id"]) == (l2["id"], l2_agent.id)
    assert got["escalation"]["routing_reason"] == "round_robin"
    assert set(evs[-1].json()["data"]["changes"]) == {"team_id", "assignee_id"}
    msgs = admin.api.messages(c["id"])
    note = [m for m in msgs if m["body_text"] == f"Escalated to team {l2['name']} (L2): {reason}"]
    assert len(note) == 1 and note[0]["internal"] is True
    assert note[0]["author"]["id"] == l1_agent.id
    assert f"Assigned to {l2_agent.name} by round-robin in team {l2['name']}" in [m["body_text"] for m in msgs]
    # The top tier has nowhere to go.
    l3 = new_team(admin, [], tier="L3")
    c3 = admin.api.create_conversation(team_id=l3["id"])
    assert_error(admin.api.post(f"/api/v1/conversations/{c3['id']}/escalate",
                                json={"to": "next_tier", "reason": "help"}), 409, "conflict")
    assert_error(admin.api.post("/api/v1/conversations/99999999/escalate",
                                json={"to": "next_tier", "reason": "help"}), 404, "not_found")


def test_escalate_to_supervisor_notifies_them(server, admin, supervisor):
    set_clock(server, MONDAY_10Z)
    a = new_agent(server, admin)
    team = new_team(admin, [a], supervisor_id=supervisor.id)
    c = admin.api.create_conversation(team_id=team["id"], subject="Refund " + uniq("s"))
    reason = "Customer asks for a refund above my limit " + uniq("r")
    got = a.api.post(f"/api/v1/conversations/{c['id']}/escalate", json={"to": "supervisor", "reason": reason},
                     expect=200).json()
    assert got["escalation"]["notified_agent_id"] == supervisor.id
    assert (got["team_id"], got["assignee_id"]) == (team["id"], a.id)  # nothing moves
    items = supervisor.api.get("/api/v1/notifications", expect=200).json()["items"]
    mine = [n for n in items if n["conversation_id"] == c["id"]]
    assert len(mine) == 1 and mine[0]["kind"] == "escalation" and reason in mine[0]["text"]
    assert a.name in mine[0]["text"]
    assert f"Escalated to supervisor {supervisor.name}: {reason}" in timeline(admin.api, c["id"])
    # No supervisor: a clear conflict, and nothing written.
    bare = new_team(admin, [a])
    c2 = admin.api.create_conversation(team_id=bare["id"])
    assert_error(a.api.post(f"/api/v1/conversations/{c2['id']}/escalate",
                            json={"to": "supervisor", "reason": "x"}), 409, "conflict")
    assert not any(t.startswith("Escalated") for t in timeline(admin.api, c2["id"]))


def test_escalation_default_target_is_the_next_tier(make_server):
    srv = make_server("tiers", extra_args=("--test-clock",))
    admin = srv.new_user("admin")
    l2_agent = new_agent(srv, admin)
    l1 = new_team(admin, [], tier="L1")
    l2a = new_team(admin, [l2_agent], tier="L2")
    new_team(admin, [], tier="L2")
    l3 = new_team(admin, [], tier="L3")
    c = admin.api.create_conversation(team_id=l1["id"])
    got = admin.api.post(f"/api/v1/conversations/{c['id']}/escalate", json={"to": "next_tier", "reason": "bug"},
                         expect=200).json()
    assert (got["team_id"], got["assignee_id"]) == (l2a["id"], l2_agent.id)
    got = admin.api.post(f"/api/v1/conversations/{c['id']}/escalate", json={"to": "next_tier", "reason": "ops"},
                         expect=200).json()
    assert (got["team_id"], got["assignee_id"]) == (l3["id"], None)
    assert got["escalation"]["routing_reason"] == "queued_nobody_eligible"


# --------------------------------------------------------------------------- on-call


def test_oncall_rotation_across_dst(server, admin):
    set_clock(server, MONDAY_10Z)
    a, b, c, d = (new_agent(server, admin) for _ in range(4))
    team = new_team(admin, [a, b, c])
    # Weekly turns handed over on Monday 09:00 Kyiv time; Kyiv moves to summer time on 29 March 2026.
    oncall = {"agent_ids": [a.id, b.id, c.id], "start": "2026-03-16T09:00:00+02:00", "length_days": 7,
              "timezone": "Europe/Kyiv",
              "overrides": [{"agent_id": d.id, "from": "2026-04-01T00:00:00Z", "to": "2026-04-02T00:00:00Z"}]}
    got = admin.api.patch(f"/api/v1/teams/{team['id']}", json={"oncall": oncall}, expect=200).json()
    assert got["oncall"]["agent_ids"] == [a.id, b.id, c.id]

    def at(t):
        return admin.api.get(f"/api/v1/teams/{team['id']}/oncall", params={"at": t}, expect=200).json()

    r = at("2026-03-16T06:59:59Z")
    assert (r["agent_id"], r["source"], r["to"]) == (None, "none", "2026-03-16T07:00:00Z")
    r = at("2026-03-16T07:00:00Z")
    assert (r["agent_id"], r["source"], r["turn"]) == (a.id, "rotation", 0)
    assert r["agent"]["id"] == a.id
    assert at("2026-03-23T06:59:59Z")["agent_id"] == a.id
    r = at("2026-03-23T07:00:00Z")
    # The week with the change is 167 hours: the next handover is 09:00 summer time = 06:00 UTC.
    assert (r["agent_id"], r["from"], r["to"]) == (b.id, "2026-03-23T07:00:00Z", "2026-03-30T06:00:00Z")
    assert at("2026-03-30T05:59:59Z")["agent_id"] == b.id
    assert at("2026-03-30T06:00:00+00:00")["agent_id"] == c.id
    assert at("2026-03-30T09:00:00+03:00")["agent_id"] == c.id
    r = at("2026-04-01T12:00:00Z")
    assert (r["agent_id"], r["source"]) == (d.id, "override")
    assert at("2026-04-02T00:00:00Z")["agent_id"] == c.id
    r = at("2026-04-06T06:00:00Z")
    assert (r["agent_id"], r["turn"]) == (a.id, 3)
    # Autumn: back to +02 on 25 October; Monday 26 October 09:00 is 07:00 UTC again.
    r = at("2026-10-26T06:59:59Z")
    assert r["to"] == "2026-10-26T07:00:00Z" and r["from"] == "2026-10-19T06:00:00Z"
    # Without ?at: the server's (test) clock.
    set_clock(server, "2026-03-24T12:00:00Z")
    assert admin.api.get(f"/api/v1/teams/{team['id']}/oncall", expect=200).json()["agent_id"] == b.id
    # A deactivated agent is nobody.
    admin.api.delete(f"/api/v1/agents/{b.id}", expect=204)
    r = at("2026-03-24T12:00:00Z")
    assert r["agent_id"] is None and r["source"] == "rotation"
    assert_error(admin.api.get(f"/api/v1/teams/{team['id']}/oncall", params={"at": "soon"}), 400, "bad_request")
    assert_error(admin.api.get("/api/v1/teams/99999999/oncall"), 404, "not_found")
    # A team without a rotation answers "nobody".
    plain = new_team(admin, [a])
    r = admin.api.get(f"/api/v1/teams/{plain['id']}/oncall", expect=200).json()
    assert (r["agent_id"], r["source"]) == (None, "none")
    set_clock(server, MONDAY_10Z)


def test_web_form_category_chooses_the_team(server, admin):
    set_clock(server, MONDAY_10Z)
    a = new_agent(server, admin)
    team = new_team(admin, [a])
    rule = admin.api.post("/api/v1/routing-rules", json={
        "name": "form: other", "conditions": {"channel": "webform", "category": "other"}, "team_id": team["id"]},
        expect=201).json()
    r = admin.api.post("/api/v1/webform", json={"email": uemail("form"), "subject": uniq("form"),
                                               "fields": {"category": "Other", "description": "It broke"}},
                       expect=201)
    c = admin.api.get_conversation(r.json()["id"])
    assert c["fields"]["category"] == "Other"
    assert (c["team_id"], c["assignee_id"]) == (team["id"], a.id)
    assert f"Assigned to {a.name} by round-robin in team {team['name']} (rule \"form: other\")" in timeline(
        admin.api, c["id"])
    admin.api.delete(f"/api/v1/routing-rules/{rule['id']}", expect=204)
