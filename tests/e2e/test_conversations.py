"""Conversations: create, get, list with filters and keyset pagination, queue order, PATCH,
priority rules and the status state machine."""
import pytest

from sbtest import assert_error, assert_ts, uemail, uniq

CONV_FIELDS = ("id", "subject", "status", "priority", "priority_reason", "assignee_id", "team_id",
               "contact_id", "channel", "tags", "message_count", "created_at", "updated_at",
               "last_message_at", "solved_at", "closed_at")


@pytest.fixture(scope="module")
def team(api):
    return api.post("/api/v1/teams", json={"name": uniq("Team"), "tier": "L1"}, expect=201).json()


@pytest.fixture(scope="module")
def team2(api):
    return api.post("/api/v1/teams", json={"name": uniq("Team"), "tier": "L2"}, expect=201).json()


def ids(items):
    return [c["id"] for c in items]


def tagged(api, tag, **params):
    items, _ = api.walk_conversations(tag=tag, **params)
    return items


# ---------------------------------------------------------------- create / get


def test_create_returns_conversation(api):
    email = uemail("create")
    c = api.create_conversation(subject="Printer on fire", body="It is really on fire",
                                email=email, name="Ann Smith")
    for f in CONV_FIELDS:
        assert f in c, f"{f} missing from {c}"
    assert isinstance(c["id"], int) and c["id"] > 0
    assert c["subject"] == "Printer on fire"
    assert c["status"] == "open"
    assert c["priority"] == "normal"
    assert c["assignee_id"] is None and c["team_id"] is None
    assert isinstance(c["contact_id"], int)
    assert c["channel"] == "api"
    assert c["tags"] == []
    assert c["message_count"] == 1
    assert_ts(c["created_at"])
    assert_ts(c["updated_at"])
    assert c["solved_at"] is None and c["closed_at"] is None


def test_get_embeds_contact(api):
    email = uemail("embed")
    c = api.create_conversation(email=email, name="Bob Jones")
    g = api.get_conversation(c["id"])
    assert g["id"] == c["id"] and g["subject"] == c["subject"]
    contact = g["contact"]
    assert contact["id"] == c["contact_id"]
    assert contact["email"].lower() == email.lower()
    assert contact["name"] == "Bob Jones"


def test_contact_matched_by_email_case_insensitive(api):
    email = uemail("Match")
    c1 = api.create_conversation(email=email.lower(), name="Case Person")
    c2 = api.create_conversation(email=email.upper(), name="Case Person")
    c3 = api.create_conversation(email=email.swapcase().title(), name="Case Person")
    assert c1["id"] != c2["id"] != c3["id"]
    assert c1["contact_id"] == c2["contact_id"] == c3["contact_id"]
    other = api.create_conversation(email=uemail("other"))
    assert other["contact_id"] != c1["contact_id"]
    # contact_id filter finds exactly this contact's conversations
    items, _ = api.walk_conversations(contact_id=c1["contact_id"])
    assert ids(items) == [c1["id"], c2["id"], c3["id"]]


def test_create_with_existing_contact_id(api):
    c1 = api.create_conversation()
    c2 = api.create_conversation(contact={"id": c1["contact_id"]})
    assert c2["contact_id"] == c1["contact_id"]


def test_create_with_unknown_contact_id_422(api):
    r = api.post("/api/v1/conversations", json={"subject": "s", "body": "b",
                                                "contact": {"id": 99999999}, "channel": "api"})
    assert_error(r, 422, "validation_failed")


def test_create_with_all_optional_fields(api, agent, team):
    c = api.create_conversation(priority="high", team_id=team["id"], assignee_id=agent.id,
                                tags=["billing", uniq("tag")])
    assert c["priority"] == "high"
    assert c["team_id"] == team["id"]
    assert c["assignee_id"] == agent.id
    assert "billing" in c["tags"] and len(c["tags"]) == 2
    g = api.get_conversation(c["id"])
    assert sorted(g["tags"]) == sorted(c["tags"])


def test_create_missing_contact_422(api):
    r = api.post("/api/v1/conversations", json={"subject": "s", "body": "b", "channel": "api"})
    assert_error(r, 422, "validation_failed")
    r = api.post("/api/v1/conversations", json={"subject": "s", "body": "b", "contact": {},
                                                "channel": "api"})
    assert_error(r, 422, "validation_failed")


def test_create_invalid_values_422(api):
    base = {"subject": "s", "body": "b", "contact": {"email": uemail("inv")}, "channel": "api"}
    for extra in ({"priority": "whenever"}, {"assignee_id": 99999999}, {"team_id": 99999999},
                  {"contact": {"email": "not-an-email"}}):
        r = api.post("/api/v1/conversations", json={**base, **extra})
        assert_error(r, 422, "validation_failed")


def test_create_urgent_needs_reason(api):
    base = {"subject": "s", "body": "b", "contact": {"email": uemail("urg")}, "channel": "api"}
    assert_error(api.post("/api/v1/conversations", json={**base, "priority": "urgent"}),
                 422, "validation_failed")
    assert_error(api.post("/api/v1/conversations",
                          json={**base, "priority": "urgent", "priority_reason": "   "}),
                 422, "validation_failed")
    r = api.post("/api/v1/conversations",
                 json={**base, "priority": "urgent", "priority_reason": "Production is down"},
                 expect=201)
    assert r.json()["priority"] == "urgent"
    assert r.json()["priority_reason"] == "Production is down"


def test_list_items_have_fields(api):
    tag = uniq("fields")
    c = api.create_conversation(tags=[tag])
    page = api.list_conversations(tag=tag)
    assert set(page) >= {"items", "next_cursor"}
    assert page["next_cursor"] is None
    assert ids(page["items"]) == [c["id"]]
    item = page["items"][0]
    for f in ("id", "subject", "status", "priority", "assignee_id", "team_id", "contact_id",
              "tags", "created_at", "updated_at"):
        assert f in item, f"{f} missing from list item {item}"
    assert item["tags"] == [tag]


# ---------------------------------------------------------------- filters


def test_filter_status_and_comma_list(api):
    tag = uniq("st")
    o = api.create_conversation(tags=[tag])
    p = api.create_conversation(tags=[tag])
    h = api.create_conversation(tags=[tag])
    s = api.create_conversation(tags=[tag])
    cl = api.create_conversation(tags=[tag])
    api.patch_conversation(p["id"], status="pending")
    api.patch_conversation(h["id"], status="on_hold")
    api.patch_conversation(s["id"], status="solved")
    api.patch_conversation(cl["id"], status="solved")
    api.patch_conversation(cl["id"], status="closed")
    assert ids(tagged(api, tag, status="open")) == [o["id"]]
    assert ids(tagged(api, tag, status="pending")) == [p["id"]]
    assert ids(tagged(api, tag, status="on_hold")) == [h["id"]]
    assert ids(tagged(api, tag, status="solved")) == [s["id"]]
    assert ids(tagged(api, tag, status="closed")) == [cl["id"]]
    assert ids(tagged(api, tag, status="open,pending")) == [o["id"], p["id"]]
    assert ids(tagged(api, tag, status="solved,closed,on_hold")) == [h["id"], s["id"], cl["id"]]
    assert ids(tagged(api, tag)) == [o["id"], p["id"], h["id"], s["id"], cl["id"]]
    for item in tagged(api, tag, status="open,pending"):
        assert item["status"] in ("open", "pending")


def test_filter_assignee(api, server):
    a1 = server.new_user("agent")
    a2 = server.new_user("agent")
    tag = uniq("asg")
    c1 = api.create_conversation(tags=[tag], assignee_id=a1.id)
    c2 = api.create_conversation(tags=[tag])
    c3 = api.create_conversation(tags=[tag])
    api.patch_conversation(c3["id"], assignee_id=a2.id)
    c4 = api.create_conversation(tags=[tag])
    api.patch_conversation(c4["id"], assignee_id=a1.id)
    assert ids(tagged(api, tag, assignee_id=a1.id)) == [c1["id"], c4["id"]]
    assert ids(tagged(api, tag, assignee_id=a2.id)) == [c3["id"]]
    assert ids(tagged(api, tag, assignee_id="none")) == [c2["id"]]
    # unassigning puts it back into the unassigned queue
    api.patch_conversation(c4["id"], assignee_id=None)
    assert ids(tagged(api, tag, assignee_id="none")) == [c2["id"], c4["id"]]
    # assignee filter without the tag: every item is that agent's
    items, _ = api.walk_conversations(assignee_id=a1.id)
    assert ids(items) == [c1["id"]]


def test_filter_team(api, team, team2):
    tag = uniq("tm")
    c1 = api.create_conversation(tags=[tag], team_id=team["id"])
    c2 = api.create_conversation(tags=[tag], team_id=team2["id"])
    c3 = api.create_conversation(tags=[tag])
    assert ids(tagged(api, tag, team_id=team["id"])) == [c1["id"]]
    assert ids(tagged(api, tag, team_id=team2["id"])) == [c2["id"]]
    assert ids(tagged(api, tag, team_id="none")) == [c3["id"]]
    api.patch_conversation(c3["id"], team_id=team["id"])
    assert ids(tagged(api, tag, team_id=team["id"])) == [c1["id"], c3["id"]]
    assert tagged(api, tag, team_id="none") == []


def test_filter_tag(api):
    t1, t2 = uniq("tg"), uniq("tg")
    a = api.create_conversation(tags=[t1])
    b = api.create_conversation(tags=[t1, t2])
    c = api.create_conversation(tags=[t2])
    api.create_conversation()
    assert ids(tagged(api, t1)) == [a["id"], b["id"]]
    assert ids(tagged(api, t2)) == [b["id"], c["id"]]
    assert api.list_conversations(tag=uniq("nosuchtag"))["items"] == []


def test_filter_priority_and_combined(api, agent):
    tag = uniq("pr")
    lo = api.create_conversation(tags=[tag], priority="low")
    hi = api.create_conversation(tags=[tag], priority="high", assignee_id=agent.id)
    hi2 = api.create_conversation(tags=[tag], priority="high")
    api.patch_conversation(hi2["id"], status="pending")
    assert ids(tagged(api, tag, priority="low")) == [lo["id"]]
    assert ids(tagged(api, tag, priority="high")) == [hi["id"], hi2["id"]]
    assert ids(tagged(api, tag, priority="high", status="pending")) == [hi2["id"]]
    assert ids(tagged(api, tag, priority="high", assignee_id=agent.id)) == [hi["id"]]
    assert ids(tagged(api, tag, priority="high", assignee_id="none", status="open")) == []


def test_limit(api):
    tag = uniq("lim")
    made = [api.create_conversation(tags=[tag])["id"] for _ in range(4)]
    page = api.list_conversations(tag=tag, limit=3)
    assert ids(page["items"]) == made[:3]
    assert page["next_cursor"]
    page = api.list_conversations(tag=tag, limit=100)
    assert ids(page["items"]) == made
    assert page["next_cursor"] is None


def test_default_limit_is_25(api):
    tag = uniq("dl")
    made = [api.create_conversation(tags=[tag])["id"] for _ in range(26)]
    page = api.list_conversations(tag=tag)
    assert ids(page["items"]) == made[:25]
    assert page["next_cursor"]
    rest = api.list_conversations(tag=tag, cursor=page["next_cursor"])
    assert ids(rest["items"]) == made[25:]
    assert rest["next_cursor"] is None


def test_cursor_walks_all_pages(api):
    tag = uniq("walk")
    made = [api.create_conversation(tags=[tag])["id"] for _ in range(7)]
    items, pages = api.walk_conversations(tag=tag, limit=3)
    assert ids(items) == made
    assert pages == 3


def test_cursor_walk_whole_queue_matches_single_page(api):
    """Paging through everything with a small limit gives exactly the one-page answer."""
    full, _ = api.walk_conversations(limit=100)
    paged, pages = api.walk_conversations(limit=4)
    assert ids(paged) == ids(full)
    assert len(set(ids(paged))) == len(paged), "duplicates across pages"
    assert pages >= len(full) // 4


def test_cursor_stable_when_items_are_added(api):
    tag = uniq("stable")
    made = [api.create_conversation(tags=[tag])["id"] for _ in range(4)]
    page1 = api.list_conversations(tag=tag, limit=2)
    assert ids(page1["items"]) == made[:2]
    newer = api.create_conversation(tags=[tag])["id"]
    rest, _ = api.walk_conversations(tag=tag, limit=2, cursor=page1["next_cursor"])
    assert ids(rest) == made[2:] + [newer]


# ---------------------------------------------------------------- queue order


def test_queue_order_urgent_first_then_oldest(api):
    tag = uniq("q")
    c1 = api.create_conversation(tags=[tag], priority="normal")["id"]
    c2 = api.create_conversation(tags=[tag], priority="low")["id"]
    c3 = api.create_conversation(tags=[tag], priority="urgent", priority_reason="VIP down")["id"]
    c4 = api.create_conversation(tags=[tag], priority="high")["id"]
    c5 = api.create_conversation(tags=[tag], priority="urgent", priority_reason="Outage")["id"]
    assert ids(tagged(api, tag)) == [c3, c5, c1, c2, c4]
    # the same order across page boundaries
    items, pages = api.walk_conversations(tag=tag, limit=2)
    assert ids(items) == [c3, c5, c1, c2, c4] and pages == 3
    items, _ = api.walk_conversations(tag=tag, limit=1)
    assert ids(items) == [c3, c5, c1, c2, c4]
    # escalating an older one puts it among the urgent ones by age
    api.patch_conversation(c4, priority="urgent", priority_reason="Escalated by phone")
    assert ids(tagged(api, tag)) == [c3, c4, c5, c1, c2]
    # de-escalating sends it back to its FIFO place
    api.patch_conversation(c3, priority="normal")
    assert ids(tagged(api, tag)) == [c4, c5, c1, c2, c3]
    items, _ = api.walk_conversations(tag=tag, limit=2)
    assert ids(items) == [c4, c5, c1, c2, c3]


# ---------------------------------------------------------------- PATCH


def test_patch_each_field(api, agent, team):
    c = api.create_conversation(subject="Old subject")
    cid = c["id"]

    u = api.patch_conversation(cid, subject="New subject")
    assert u["subject"] == "New subject"
    assert u["updated_at"] >= c["updated_at"]

    u = api.patch_conversation(cid, priority="high")
    assert u["priority"] == "high"

    u = api.patch_conversation(cid, priority="urgent", priority_reason="CEO is waiting")
    assert u["priority"] == "urgent" and u["priority_reason"] == "CEO is waiting"

    u = api.patch_conversation(cid, priority_reason="CEO is still waiting")
    assert u["priority"] == "urgent" and u["priority_reason"] == "CEO is still waiting"

    u = api.patch_conversation(cid, assignee_id=agent.id)
    assert u["assignee_id"] == agent.id

    u = api.patch_conversation(cid, team_id=team["id"])
    assert u["team_id"] == team["id"]

    t1, t2, t3 = uniq("a"), uniq("b"), uniq("c")
    u = api.patch_conversation(cid, tags=[t1, t2])
    assert sorted(u["tags"]) == sorted([t1, t2])
    u = api.patch_conversation(cid, tags=[t2, t3])
    assert sorted(u["tags"]) == sorted([t2, t3]), "tags must replace the set"

    u = api.patch_conversation(cid, status="pending")
    assert u["status"] == "pending"

    u = api.patch_conversation(cid, assignee_id=None)
    assert u["assignee_id"] is None

    u = api.patch_conversation(cid, tags=[])
    assert u["tags"] == []

    g = api.get_conversation(cid)
    assert g["subject"] == "New subject"
    assert g["priority"] == "urgent" and g["priority_reason"] == "CEO is still waiting"
    assert g["team_id"] == team["id"] and g["assignee_id"] is None
    assert g["status"] == "pending" and g["tags"] == []
    assert g["contact"]["id"] == c["contact_id"]


def test_patch_several_fields_at_once(api, agent):
    c = api.create_conversation()
    t = uniq("multi")
    u = api.patch_conversation(c["id"], status="on_hold", assignee_id=agent.id, tags=[t],
                               priority="low")
    assert (u["status"], u["assignee_id"], u["tags"], u["priority"]) == ("on_hold", agent.id, [t], "low")


def test_patch_urgent_without_reason_422(api):
    c = api.create_conversation()
    assert_error(api.patch(f"/api/v1/conversations/{c['id']}", json={"priority": "urgent"}),
                 422, "validation_failed")
    assert_error(api.patch(f"/api/v1/conversations/{c['id']}",
                           json={"priority": "urgent", "priority_reason": ""}),
                 422, "validation_failed")
    assert_error(api.patch(f"/api/v1/conversations/{c['id']}",
                           json={"priority": "urgent", "priority_reason": " \t\n"}),
                 422, "validation_failed")
    assert api.get_conversation(c["id"])["priority"] == "normal"


def test_patch_clearing_reason_of_urgent_422(api):
    c = api.create_conversation(priority="urgent", priority_reason="Down")
    assert_error(api.patch(f"/api/v1/conversations/{c['id']}", json={"priority_reason": None}),
                 422, "validation_failed")
    assert api.get_conversation(c["id"])["priority_reason"] == "Down"


def test_patch_validation_422(api):
    c = api.create_conversation()
    path = f"/api/v1/conversations/{c['id']}"
    assert_error(api.patch(path, json={"status": "archived"}), 422, "validation_failed")
    assert_error(api.patch(path, json={"priority": "critical"}), 422, "validation_failed")
    assert_error(api.patch(path, json={"assignee_id": 99999999}), 422, "validation_failed")
    assert_error(api.patch(path, json={"team_id": 99999999}), 422, "validation_failed")
    g = api.get_conversation(c["id"])
    assert (g["status"], g["priority"], g["assignee_id"], g["team_id"]) == ("open", "normal", None, None)


def test_patch_wrong_types_400(api):
    c = api.create_conversation()
    path = f"/api/v1/conversations/{c['id']}"
    for body in ({"assignee_id": "abc"}, {"status": 3}, {"tags": "vip"}, {"tags": [1, 2]},
                 {"subject": ["x"]}, {"priority": True}):
        assert_error(api.patch(path, json=body), 400, "bad_request")


def test_patch_unknown_conversation_404(api):
    assert_error(api.patch("/api/v1/conversations/99999999", json={"subject": "x"}), 404, "not_found")


# ---------------------------------------------------------------- status machine

LEGAL = [("open", "pending"), ("open", "on_hold"), ("open", "solved"),
         ("pending", "open"), ("pending", "on_hold"), ("pending", "solved"),
         ("on_hold", "open"), ("on_hold", "pending"), ("on_hold", "solved"),
         ("solved", "open"), ("solved", "closed")]
ILLEGAL = [("open", "closed"), ("pending", "closed"), ("on_hold", "closed"),
           ("solved", "pending"), ("solved", "on_hold"),
           ("closed", "open"), ("closed", "pending"), ("closed", "on_hold"),
           ("closed", "solved")]
PATH_TO = {"open": [], "pending": ["pending"], "on_hold": ["on_hold"], "solved": ["solved"],
           "closed": ["solved", "closed"]}


def conversation_in(api, status):
    c = api.create_conversation()
    for s in PATH_TO[status]:
        c = api.patch_conversation(c["id"], status=s)
    assert c["status"] == status
    return c


@pytest.mark.parametrize("frm,to", LEGAL, ids=[f"{a}->{b}" for a, b in LEGAL])
def test_legal_transition(api, frm, to):
    c = conversation_in(api, frm)
    u = api.patch_conversation(c["id"], status=to)
    assert u["status"] == to
    assert api.get_conversation(c["id"])["status"] == to


@pytest.mark.parametrize("frm,to", ILLEGAL, ids=[f"{a}->{b}" for a, b in ILLEGAL])
def test_illegal_transition_409(api, frm, to):
    c = conversation_in(api, frm)
    r = api.patch(f"/api/v1/conversations/{c['id']}", json={"status": to})
    assert_error(r, 409, "invalid_transition")
    assert api.get_conversation(c["id"])["status"] == frm


@pytest.mark.parametrize("status", ["open", "pending", "on_hold", "solved", "closed"])
def test_same_status_is_noop(api, status):
    c = conversation_in(api, status)
    before = api.messages(c["id"])
    u = api.patch_conversation(c["id"], status=status)
    assert u["status"] == status
    assert len(api.messages(c["id"])) == len(before), "a no-op status change added a message"


def test_solved_and_closed_timestamps(api):
    c = api.create_conversation()
    s = api.patch_conversation(c["id"], status="solved")
    assert_ts(s["solved_at"])
    assert s["closed_at"] is None
    cl = api.patch_conversation(c["id"], status="closed")
    assert_ts(cl["closed_at"])
    assert cl["closed_at"] >= s["solved_at"]


def test_closed_is_final(api):
    c = conversation_in(api, "closed")
    for to in ("open", "pending", "on_hold", "solved"):
        assert_error(api.patch(f"/api/v1/conversations/{c['id']}", json={"status": to}),
                     409, "invalid_transition")
    g = api.get_conversation(c["id"])
    assert g["status"] == "closed"
