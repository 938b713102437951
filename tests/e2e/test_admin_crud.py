"""CRUD for agents, teams, organisations, contacts and tags."""
import pytest

from sbtest import assert_error, assert_ts, uemail, uniq, uword

PASSWORD = "Crud-Passw0rd-123"


def find(items, id_):
    return [x for x in items if x["id"] == id_]


def get_all(api, path, **params):
    """Every item of a list endpoint, following next_cursor when there is one."""
    items, params = [], dict(params)
    for _ in range(100):
        page = api.get(path, params=params, expect=200).json()
        items.extend(page["items"])
        if not page.get("next_cursor"):
            return items
        params["cursor"] = page["next_cursor"]
    raise AssertionError("pagination does not end")


# ---------------------------------------------------------------- agents


def test_agents_crud(server, api):
    email = uemail("agent")
    r = api.post("/api/v1/agents", json={"email": email, "name": "Ada Agent", "role": "agent",
                                         "password": PASSWORD}, expect=201).json()
    for f in ("id", "email", "name", "role", "status", "active", "team_ids", "created_at", "updated_at"):
        assert f in r, f"{f} missing from {r}"
    assert r["email"] == email and r["name"] == "Ada Agent" and r["role"] == "agent"
    assert r["active"] is True and r["team_ids"] == []
    assert r["status"] in ("online", "away", "offline")
    assert_ts(r["created_at"])
    assert not any("password" in k or "hash" in k for k in r), r
    aid = r["id"]

    assert find(get_all(api, "/api/v1/agents"), aid)
    g = api.get(f"/api/v1/agents/{aid}", expect=200).json()
    assert g["email"] == email and g["active"] is True

    u = api.patch(f"/api/v1/agents/{aid}", json={"name": "Ada Supervisor", "role": "supervisor"},
                  expect=200).json()
    assert u["name"] == "Ada Supervisor" and u["role"] == "supervisor"
    assert api.get(f"/api/v1/agents/{aid}").json()["role"] == "supervisor"

    # the new agent can log in with the password given at creation
    login = server.api().post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
    assert login.status_code == 200, login.text

    api.delete(f"/api/v1/agents/{aid}", expect=(200, 204))
    g = api.get(f"/api/v1/agents/{aid}", expect=200).json()
    assert g["active"] is False, "DELETE must deactivate, not remove"


def test_agent_duplicate_email_409(api):
    email = uemail("dupagent")
    api.post("/api/v1/agents", json={"email": email, "name": "One", "role": "agent"}, expect=201)
    assert_error(api.post("/api/v1/agents", json={"email": email, "name": "Two", "role": "agent"}),
                 409, "conflict")
    assert_error(api.post("/api/v1/agents", json={"email": email.upper(), "name": "Three",
                                                  "role": "agent"}), 409, "conflict")


def test_agent_duplicate_of_cli_user_409(api, agent):
    assert_error(api.post("/api/v1/agents", json={"email": agent.email, "name": "Again",
                                                  "role": "agent"}), 409, "conflict")


def test_agent_validation(api):
    for body in ({"email": uemail(), "name": "N", "role": "wizard"},
                 {"name": "N", "role": "agent"},
                 {"email": uemail(), "name": "N"},
                 {"email": "not-an-email", "name": "N", "role": "agent"}):
        assert_error(api.post("/api/v1/agents", json=body), 422, "validation_failed")
    assert_error(api.post("/api/v1/agents", json={"email": uemail(), "name": 7, "role": "agent"}),
                 400, "bad_request")


def test_agent_updates_own_profile(agent, api):
    u = agent.api.patch(f"/api/v1/agents/{agent.id}", json={"name": "Renamed Self", "status": "away"},
                        expect=200).json()
    assert u["name"] == "Renamed Self" and u["status"] == "away"
    assert api.get(f"/api/v1/agents/{agent.id}").json()["status"] == "away"
    assert_error(agent.api.patch(f"/api/v1/agents/{agent.id}", json={"status": "asleep"}),
                 422, "validation_failed")
    agent.api.patch(f"/api/v1/agents/{agent.id}", json={"status": "online"}, expect=200)


def test_agents_404(api):
    assert_error(api.get("/api/v1/agents/99999999"), 404, "not_found")
    assert_error(api.patch("/api/v1/agents/99999999", json={"name": "x"}), 404, "not_found")
    assert_error(api.delete("/api/v1/agents/99999999"), 404, "not_found")


# ---------------------------------------------------------------- teams


def test_teams_crud(server, supervisor, api):
    a1, a2 = server.new_user("agent"), server.new_user("agent")
    name = uniq("Tier 2")
    t = supervisor.api.post("/api/v1/teams", json={"name": name, "tier": "L2",
                                                   "description": "Technical support",
                                                   "member_ids": [a1.id, a2.id]},
                            expect=201).json()
    for f in ("id", "name", "tier", "description", "member_ids", "created_at", "updated_at"):
        assert f in t, f"{f} missing from {t}"
    assert t["name"] == name and t["tier"] == "L2" and t["description"] == "Technical support"
    assert sorted(t["member_ids"]) == sorted([a1.id, a2.id])
    tid = t["id"]

    assert find(get_all(api, "/api/v1/teams"), tid)
    assert tid in api.get(f"/api/v1/agents/{a1.id}").json()["team_ids"]

    u = supervisor.api.patch(f"/api/v1/teams/{tid}", json={"tier": "L3", "member_ids": [a2.id]},
                             expect=200).json()
    assert u["tier"] == "L3" and u["member_ids"] == [a2.id]
    g = api.get(f"/api/v1/teams/{tid}", expect=200).json()
    assert g["tier"] == "L3" and g["member_ids"] == [a2.id]
    assert tid not in api.get(f"/api/v1/agents/{a1.id}").json()["team_ids"]
    assert tid in api.get(f"/api/v1/agents/{a2.id}").json()["team_ids"]

    supervisor.api.delete(f"/api/v1/teams/{tid}", expect=(200, 204))
    assert_error(api.get(f"/api/v1/teams/{tid}"), 404, "not_found")
    assert not find(get_all(api, "/api/v1/teams"), tid)
    assert tid not in api.get(f"/api/v1/agents/{a2.id}").json()["team_ids"]


@pytest.mark.parametrize("tier", ["L1", "L2", "L3"])
def test_team_tiers(api, tier):
    t = api.post("/api/v1/teams", json={"name": uniq("tier"), "tier": tier}, expect=201).json()
    assert t["tier"] == tier


def test_team_validation_and_conflict(api):
    name = uniq("Billing")
    api.post("/api/v1/teams", json={"name": name, "tier": "L1"}, expect=201)
    assert_error(api.post("/api/v1/teams", json={"name": name, "tier": "L2"}), 409, "conflict")
    assert_error(api.post("/api/v1/teams", json={"name": uniq("t"), "tier": "L4"}),
                 422, "validation_failed")
    assert_error(api.post("/api/v1/teams", json={"tier": "L1"}), 422, "validation_failed")
    assert_error(api.post("/api/v1/teams", json={"name": uniq("t"), "tier": "L1",
                                                 "member_ids": [99999999]}),
                 422, "validation_failed")
    assert_error(api.post("/api/v1/teams", json={"name": uniq("t"), "tier": "L1",
                                                 "member_ids": "all"}), 400, "bad_request")
    other = api.post("/api/v1/teams", json={"name": uniq("t"), "tier": "L1"}, expect=201).json()
    assert_error(api.patch(f"/api/v1/teams/{other['id']}", json={"name": name}), 409, "conflict")
    assert_error(api.get("/api/v1/teams/99999999"), 404, "not_found")


# ---------------------------------------------------------------- organisations


def test_organizations_crud(server, supervisor, api):
    am1, am2 = server.new_user("agent"), server.new_user("agent")
    o = supervisor.api.post("/api/v1/organizations",
                            json={"name": uniq("Acme"), "domain": uniq("acme") + ".test",
                                  "account_manager_id": am1.id, "notes": "Key account"},
                            expect=201).json()
    for f in ("id", "name", "domain", "account_manager_id", "notes", "created_at", "updated_at"):
        assert f in o, f"{f} missing from {o}"
    assert o["account_manager_id"] == am1.id and o["notes"] == "Key account"
    oid = o["id"]
    assert find(get_all(api, "/api/v1/organizations"), oid)
    assert api.get(f"/api/v1/organizations/{oid}", expect=200).json()["name"] == o["name"]

    u = supervisor.api.patch(f"/api/v1/organizations/{oid}", json={"account_manager_id": am2.id},
                             expect=200).json()
    assert u["account_manager_id"] == am2.id
    u = supervisor.api.patch(f"/api/v1/organizations/{oid}", json={"account_manager_id": None},
                             expect=200).json()
    assert u["account_manager_id"] is None

    assert_error(supervisor.api.patch(f"/api/v1/organizations/{oid}",
                                      json={"account_manager_id": 99999999}),
                 422, "validation_failed")
    assert_error(api.post("/api/v1/organizations", json={"name": uniq("o"),
                                                         "account_manager_id": 99999999}),
                 422, "validation_failed")
    assert_error(api.post("/api/v1/organizations", json={"domain": "x.test"}), 422, "validation_failed")

    supervisor.api.delete(f"/api/v1/organizations/{oid}", expect=(200, 204))
    assert_error(api.get(f"/api/v1/organizations/{oid}"), 404, "not_found")


# ---------------------------------------------------------------- contacts


def test_contacts_crud(supervisor, agent, api):
    org = api.post("/api/v1/organizations", json={"name": uniq("Org")}, expect=201).json()
    email = uemail("contact")
    surname = uword("pe").capitalize()
    c = agent.api.post("/api/v1/contacts",
                       json={"name": "Olena " + surname, "email": email, "phone": "+380441234567",
                             "organization_id": org["id"],
                             "identities": [{"kind": "telegram", "value": "123456789"}]},
                       expect=201).json()
    for f in ("id", "name", "email", "phone", "organization_id", "identities", "created_at",
              "updated_at"):
        assert f in c, f"{f} missing from {c}"
    assert c["email"] == email and c["organization_id"] == org["id"]
    idents = {(i["kind"], i["value"]) for i in c["identities"]}
    assert ("telegram", "123456789") in idents
    assert ("email", email) in idents
    cid = c["id"]

    g = api.get(f"/api/v1/contacts/{cid}", expect=200).json()
    assert g["name"] == "Olena " + surname and g["phone"] == "+380441234567"

    by_q = get_all(api, "/api/v1/contacts", q=surname)
    assert [x["id"] for x in by_q] == [cid]

    u = agent.api.patch(f"/api/v1/contacts/{cid}", json={"name": "Olena P."}, expect=200).json()
    assert u["name"] == "Olena P."
    assert api.get(f"/api/v1/contacts/{cid}").json()["name"] == "Olena P."

    by_org = get_all(api, "/api/v1/contacts", organization_id=org["id"])
    assert [x["id"] for x in by_org] == [cid]

    # a conversation for this contact goes to the same contact (matched by email)
    conv = api.create_conversation(email=email.upper())
    assert conv["contact_id"] == cid
    assert_error(supervisor.api.delete(f"/api/v1/contacts/{cid}"), 409, "conflict")
    api.get(f"/api/v1/contacts/{cid}", expect=200)

    lone = agent.api.post("/api/v1/contacts", json={"name": "Lone", "email": uemail("lone")},
                          expect=201).json()
    supervisor.api.delete(f"/api/v1/contacts/{lone['id']}", expect=(200, 204))
    assert_error(api.get(f"/api/v1/contacts/{lone['id']}"), 404, "not_found")


def test_contact_validation(api):
    email = uemail("cv")
    api.post("/api/v1/contacts", json={"name": "A", "email": email}, expect=201)
    assert_error(api.post("/api/v1/contacts", json={"name": "B", "email": email.upper()}),
                 409, "conflict")
    assert_error(api.post("/api/v1/contacts", json={"name": "C", "email": uemail(),
                                                    "identities": [{"kind": "carrier-pigeon",
                                                                    "value": "x"}]}),
                 422, "validation_failed")
    assert_error(api.post("/api/v1/contacts", json={"name": "D", "email": uemail(),
                                                    "organization_id": 99999999}),
                 422, "validation_failed")
    assert_error(api.post("/api/v1/contacts", json={"name": "E", "identities": "tg"}),
                 400, "bad_request")
    assert_error(api.get("/api/v1/contacts/99999999"), 404, "not_found")


def test_contact_identity_kinds(api):
    idents = [{"kind": "phone", "value": "+15551234567"}, {"kind": "telegram", "value": "42424242"},
              {"kind": "widget", "value": uniq("visitor")}, {"kind": "slack", "value": "U0" + uniq("S").upper()}]
    c = api.post("/api/v1/contacts", json={"name": "Many Ways", "identities": idents},
                 expect=201).json()
    got = {(i["kind"], i["value"]) for i in c["identities"]}
    assert got >= {(i["kind"], i["value"]) for i in idents}


# ---------------------------------------------------------------- tags


def tag_by_id(api, tid):
    hits = find(get_all(api, "/api/v1/tags"), tid)
    assert len(hits) <= 1
    return hits[0] if hits else None


def test_tags_crud_and_counts(api, supervisor, agent):
    name = uniq("refund")
    t = agent.api.post("/api/v1/tags", json={"name": name, "color": "#ff0000"}, expect=201).json()
    assert t["name"] == name and t["color"] == "#ff0000" and isinstance(t["id"], int)
    assert tag_by_id(api, t["id"])["conversation_count"] == 0

    c1 = api.create_conversation(tags=[name])
    c2 = api.create_conversation()
    api.patch_conversation(c2["id"], tags=[name, uniq("other")])
    api.create_conversation()
    assert tag_by_id(api, t["id"])["conversation_count"] == 2

    new_name = uniq("refunds")
    u = supervisor.api.patch(f"/api/v1/tags/{t['id']}", json={"name": new_name, "color": "#00ff00"},
                             expect=200).json()
    assert u["name"] == new_name and u["color"] == "#00ff00"
    assert new_name in api.get_conversation(c1["id"])["tags"]
    assert [c["id"] for c in api.walk_conversations(tag=new_name)[0]] == [c1["id"], c2["id"]]

    supervisor.api.delete(f"/api/v1/tags/{t['id']}", expect=(200, 204))
    assert tag_by_id(api, t["id"]) is None
    for cid in (c1["id"], c2["id"]):
        tags = api.get_conversation(cid)["tags"]
        assert new_name not in tags and name not in tags, tags
    assert len(api.get_conversation(c2["id"])["tags"]) == 1
    assert api.list_conversations(tag=new_name)["items"] == []


def test_tag_conflict_and_errors(api):
    name = uniq("dup")
    t = api.post("/api/v1/tags", json={"name": name}, expect=201).json()
    assert_error(api.post("/api/v1/tags", json={"name": name}), 409, "conflict")
    other = api.post("/api/v1/tags", json={"name": uniq("o")}, expect=201).json()
    assert_error(api.patch(f"/api/v1/tags/{other['id']}", json={"name": name}), 409, "conflict")
    assert_error(api.post("/api/v1/tags", json={}), 422, "validation_failed")
    assert_error(api.post("/api/v1/tags", json={"name": ""}), 422, "validation_failed")
    assert_error(api.delete("/api/v1/tags/99999999"), 404, "not_found")
    assert tag_by_id(api, t["id"])["name"] == name


def test_tag_created_implicitly_by_conversation_is_listed(api):
    name = uniq("implicit")
    api.create_conversation(tags=[name])
    hits = [t for t in get_all(api, "/api/v1/tags") if t["name"] == name]
    assert len(hits) == 1 and hits[0]["conversation_count"] == 1


def test_contacts_pagination(api):
    org = api.post("/api/v1/organizations", json={"name": uniq("PagedOrg")}, expect=201).json()
    made = [api.post("/api/v1/contacts", json={"name": f"P{i}", "email": uemail("page"),
                                               "organization_id": org["id"]},
                     expect=201).json()["id"] for i in range(5)]
    seen, params, pages = [], {"organization_id": org["id"], "limit": 2}, 0
    while True:
        page = api.get("/api/v1/contacts", params=params, expect=200).json()
        pages += 1
        assert len(page["items"]) <= 2
        seen.extend(x["id"] for x in page["items"])
        if not page.get("next_cursor"):
            break
        assert pages < 10
        params["cursor"] = page["next_cursor"]
    assert sorted(seen) == sorted(made) and len(seen) == len(set(seen))
    assert pages == 3
    assert_error(api.get("/api/v1/contacts", params={"limit": 0}), 400, "bad_request")


def test_unknown_ids_404(api):
    for kind in ("teams", "organizations", "contacts", "tags"):
        if kind != "tags":  # tags have no single GET
            assert_error(api.get(f"/api/v1/{kind}/99999999"), 404, "not_found")
        assert_error(api.patch(f"/api/v1/{kind}/99999999", json={"name": "x"}), 404, "not_found")
        assert_error(api.delete(f"/api/v1/{kind}/99999999"), 404, "not_found")
