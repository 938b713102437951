/* Agents, teams, organisations, contacts and tags: the directory a support team keeps. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "http/auth.h"
#include "realtime/hub.h"

typedef struct {
    sb_entity_op e;
    json_t *fields_owned;
} entity_req;

static void entity_req_free(void *p)
{
    entity_req *er = p;
    json_decref(er->fields_owned);
    free(er->e.password_hash);
    free(er);
}

static int submit_entity(sb_req *r, sb_entity entity, sb_op_kind kind, int64_t id, char *password_hash)
{
    entity_req *er = calloc(1, sizeof *er);
    if (!er) {
        free(password_hash);
        return sb_req_fail(r, SB_E_INTERNAL, "out of memory");
    }
    er->e.actor = sb_api_actor(r);
    er->e.entity = entity;
    er->e.kind = kind;
    er->e.id = id;
    er->fields_owned = r->body ? json_incref(r->body) : json_object();
    er->e.fields = er->fields_owned;
    er->e.password_hash = password_hash;
    if (r->session_auth) {
        er->e.keep_session = true;
        memcpy(er->e.session_hash, r->cred_hash, sizeof er->e.session_hash);
    }
    return sb_req_submit(r, sb_svc_entity_write, er, entity_req_free, er->e.errmsg);
}

int sb_api_entity_finish(sb_req *r)
{
    entity_req *er = r->op;
    if (er->e.entity == SB_ENT_AGENT && er->e.kind != SB_OP_CREATE)
        sb_hub_recheck(r->app->hub); /* a deactivated agent's or an old session's streams end */
    if (er->e.kind == SB_OP_DELETE) {
        r->status = 204;
        return SB_OK;
    }
    json_t *o = sb_svc_entity_get(sb_req_db(r), er->e.entity, er->e.id);
    if (!o)
        return sb_req_fail(r, SB_E_INTERNAL, "the object vanished");
    return sb_req_json(r, er->e.kind == SB_OP_CREATE ? 201 : 200, o);
}

static int get_one(sb_req *r, sb_entity e, const char *what)
{
    json_t *o = sb_svc_entity_get(sb_req_db(r), e, r->ids[0]);
    if (!o)
        return sb_api_not_found(r, what, r->ids[0]);
    return sb_req_json(r, 200, o);
}

static int list_all(sb_req *r, json_t *items)
{
    if (!items)
        return sb_req_fail(r, SB_E_INTERNAL, "query failed");
    return sb_req_json(r, 200, json_pack("{s:o, s:n}", "items", items, "next_cursor"));
}

static int check_enum(sb_req *r, const char *key, const char *const *values, const char *msg)
{
    const char *v;
    int rc = sb_api_str(r, key, false, false, 32, &v);
    if (rc != SB_OK || !v)
        return rc;
    for (const char *const *p = values; *p; p++)
        if (strcmp(*p, v) == 0)
            return SB_OK;
    return sb_req_fail(r, SB_E_VALIDATION, "%s", msg);
}

static int check_email(sb_req *r, const char *key, bool required)
{
    const char *v;
    int rc = sb_api_str(r, key, required, false, 254, &v);
    if (rc != SB_OK || !v)
        return rc;
    const char *at = strchr(v, '@');
    if (!at || at == v || !at[1] || strpbrk(v, " \t\r\n<>,;\""))
        return sb_req_fail(r, SB_E_VALIDATION, "\"%s\" must be an email address", key);
    return SB_OK;
}

/* ---- agents ---- */

static const char *const roles[] = {"admin", "supervisor", "agent", "trainee", NULL};
static const char *const agent_statuses[] = {"online", "away", "offline", NULL};

int sb_api_agents_list(sb_req *r) { return list_all(r, sb_store_agent_list(sb_req_db(r))); }
int sb_api_agent_get(sb_req *r) { return get_one(r, SB_ENT_AGENT, "agent"); }

static int password_field(sb_req *r, char **hash)
{
    const char *pw;
    *hash = NULL;
    int rc = sb_api_str(r, "password", false, false, 1024, &pw);
    if (rc != SB_OK || !pw)
        return rc;
    if (strlen(pw) < 8)
        return sb_req_fail(r, SB_E_VALIDATION, "the password must have at least 8 characters");
    *hash = sb_auth_hash_password(pw);
    if (!*hash)
        return sb_req_fail(r, SB_E_INTERNAL, "cannot hash the password");
    return SB_OK;
}

int sb_api_agent_create(sb_req *r)
{
    static const char *const fields[] = {"email", "name", "role", "password", "max_open", "timezone", "shift", NULL};
    const char *v;
    char *hash;
    int rc;
    if ((rc = sb_api_need_object(r)) != SB_OK || (rc = sb_api_only(r, fields)) != SB_OK ||
        (rc = check_email(r, "email", true)) != SB_OK || (rc = sb_api_str(r, "name", true, false, 200, &v)) != SB_OK ||
        (rc = sb_api_str(r, "role", true, false, 16, &v)) != SB_OK ||
        (rc = check_enum(r, "role", roles, "role must be admin, supervisor, agent or trainee")) != SB_OK ||
        (rc = sb_api_agent_routing_fields(r, 0)) != SB_OK || (rc = password_field(r, &hash)) != SB_OK)
        return rc;
    return submit_entity(r, SB_ENT_AGENT, SB_OP_CREATE, 0, hash);
}

int sb_api_agent_update(sb_req *r)
{
    static const char *const fields[] = {"name", "role", "status", "active", "password", "current_password",
                                         "max_open", "timezone", "shift", NULL};
    const char *v;
    bool present, b;
    char *hash;
    int rc;
    if ((rc = sb_api_need_object(r)) != SB_OK || (rc = sb_api_only(r, fields)) != SB_OK ||
        (rc = sb_api_str(r, "name", false, false, 200, &v)) != SB_OK ||
        (rc = check_enum(r, "role", roles, "role must be admin, supervisor, agent or trainee")) != SB_OK ||
        (rc = check_enum(r, "status", agent_statuses, "status must be online, away or offline")) != SB_OK ||
        (rc = sb_api_bool(r, "active", &present, &b)) != SB_OK ||
        (rc = sb_api_agent_routing_fields(r, r->ids[0])) != SB_OK)
        return rc;
    bool self = r->ids[0] == r->who.agent_id;
    bool admin = r->who.role == SB_ROLE_ADMIN;
    if (!admin && !self)
        return sb_req_fail(r, SB_E_FORBIDDEN, "only an admin may change another agent");
    if (!admin && (json_object_get(r->body, "max_open") || json_object_get(r->body, "shift")))
        return sb_req_fail(r, SB_E_FORBIDDEN, "only an admin may change capacity or shifts");
    if (!admin && (json_object_get(r->body, "role") || present))
        return sb_req_fail(r, SB_E_FORBIDDEN, "only an admin may change roles or deactivate agents");
    if (self && present && !b)
        return sb_req_fail(r, SB_E_CONFLICT, "you cannot deactivate yourself");
    const char *role;
    if ((rc = sb_api_str(r, "role", false, false, 16, &role)) != SB_OK)
        return rc;
    if (self && admin && role && strcmp(role, "admin") != 0)
        return sb_req_fail(r, SB_E_CONFLICT, "you cannot remove your own admin role");
    const char *current;
    if ((rc = sb_api_str(r, "current_password", false, true, 1024, &current)) != SB_OK)
        return rc;
    if (self && json_object_get(r->body, "password")) {
        /* Changing your own password needs the current one: a stolen session is not enough. */
        int64_t id;
        sb_role who_role;
        bool active;
        char *stored = NULL;
        sb_db *db = sb_req_db(r);
        if (!db || sb_store_agent_credentials_by_id(db, r->who.agent_id, &id, &who_role, &active, &stored) != SB_OK)
            return sb_req_fail(r, SB_E_INTERNAL, "cannot read your account");
        bool ok = !stored || (current && sb_auth_verify_password(stored, current));
        free(stored);
        if (!ok)
            return sb_req_fail(r, SB_E_FORBIDDEN, "current_password is missing or wrong");
    }
    if ((rc = password_field(r, &hash)) != SB_OK)
        return rc;
    return submit_entity(r, SB_ENT_AGENT, SB_OP_UPDATE, r->ids[0], hash);
}

int sb_api_agent_delete(sb_req *r)
{
    if (r->ids[0] == r->who.agent_id)
        return sb_req_fail(r, SB_E_CONFLICT, "you cannot deactivate yourself");
    return submit_entity(r, SB_ENT_AGENT, SB_OP_DELETE, r->ids[0], NULL);
}

/* ---- teams ---- */

static const char *const tiers[] = {"L1", "L2", "L3", NULL};

static int check_id_array(sb_req *r, const char *key)
{
    json_t *v = json_object_get(r->body, key);
    if (!v)
        return SB_OK;
    if (!json_is_array(v) || json_array_size(v) > 1000)
        return sb_req_fail(r, SB_E_BAD_REQUEST, "\"%s\" must be an array of ids", key);
    size_t i;
    json_t *x;
    json_array_foreach(v, i, x) if (!json_is_integer(x) || json_integer_value(x) <= 0) return sb_req_fail(
        r, SB_E_BAD_REQUEST, "\"%s\" must be an array of ids", key);
    return SB_OK;
}

static int team_fields(sb_req *r, bool create)
{
    static const char *const fields[] = {"name", "tier", "description", "member_ids", "strategy", "supervisor_id",
                                         "escalation_team_id", "oncall", NULL};
    const char *v;
    int rc;
    if ((rc = sb_api_need_object(r)) != SB_OK || (rc = sb_api_only(r, fields)) != SB_OK ||
        (rc = sb_api_str(r, "name", create, false, 200, &v)) != SB_OK ||
        (rc = check_enum(r, "tier", tiers, "tier must be L1, L2 or L3")) != SB_OK ||
        (rc = sb_api_str(r, "description", false, true, 4000, &v)) != SB_OK ||
        (rc = check_id_array(r, "member_ids")) != SB_OK || (rc = sb_api_team_routing_fields(r)) != SB_OK)
        return rc;
    return SB_OK;
}

int sb_api_teams_list(sb_req *r) { return list_all(r, sb_store_team_list(sb_req_db(r))); }
int sb_api_team_get(sb_req *r) { return get_one(r, SB_ENT_TEAM, "team"); }

int sb_api_team_create(sb_req *r)
{
    int rc = team_fields(r, true);
    return rc != SB_OK ? rc : submit_entity(r, SB_ENT_TEAM, SB_OP_CREATE, 0, NULL);
}

int sb_api_team_update(sb_req *r)
{
    int rc = team_fields(r, false);
    return rc != SB_OK ? rc : submit_entity(r, SB_ENT_TEAM, SB_OP_UPDATE, r->ids[0], NULL);
}

/* ---- organisations ---- */

static int org_fields(sb_req *r, bool create)
{
    static const char *const fields[] = {"name", "domain", "account_manager_id", "notes", NULL};
    const char *v;
    bool present;
    int64_t id;
    int rc;
    if ((rc = sb_api_need_object(r)) != SB_OK || (rc = sb_api_only(r, fields)) != SB_OK ||
        (rc = sb_api_str(r, "name", create, false, 200, &v)) != SB_OK ||
        (rc = sb_api_str(r, "domain", false, true, 253, &v)) != SB_OK ||
        (rc = sb_api_id(r, "account_manager_id", &present, &id)) != SB_OK ||
        (rc = sb_api_str(r, "notes", false, true, 10000, &v)) != SB_OK)
        return rc;
    return SB_OK;
}

int sb_api_orgs_list(sb_req *r) { return list_all(r, sb_store_org_list(sb_req_db(r))); }
int sb_api_org_get(sb_req *r) { return get_one(r, SB_ENT_ORG, "organization"); }

int sb_api_org_create(sb_req *r)
{
    int rc = org_fields(r, true);
    return rc != SB_OK ? rc : submit_entity(r, SB_ENT_ORG, SB_OP_CREATE, 0, NULL);
}

int sb_api_org_update(sb_req *r)
{
    int rc = org_fields(r, false);
    return rc != SB_OK ? rc : submit_entity(r, SB_ENT_ORG, SB_OP_UPDATE, r->ids[0], NULL);
}

/* ---- contacts ---- */

static const char *const identity_kinds[] = {"email", "phone", "telegram", "widget", "slack", NULL};

static int contact_fields(sb_req *r, bool create)
{
    static const char *const fields[] = {"name", "email", "phone", "organization_id", "identities", NULL};
    const char *v;
    bool present;
    int64_t id;
    int rc;
    if ((rc = sb_api_need_object(r)) != SB_OK || (rc = sb_api_only(r, fields)) != SB_OK ||
        (rc = sb_api_str(r, "name", false, true, 200, &v)) != SB_OK || (rc = check_email(r, "email", false)) != SB_OK ||
        (rc = sb_api_str(r, "phone", false, false, 64, &v)) != SB_OK ||
        (rc = sb_api_id(r, "organization_id", &present, &id)) != SB_OK)
        return rc;
    json_t *ids = json_object_get(r->body, "identities");
    if (ids) {
        if (!json_is_array(ids) || json_array_size(ids) > 50)
            return sb_req_fail(r, SB_E_BAD_REQUEST, "\"identities\" must be an array of {kind, value}");
        size_t i;
        json_t *x;
        json_array_foreach(ids, i, x)
        {
            json_t *k = json_object_get(x, "kind"), *val = json_object_get(x, "value");
            if (!json_is_string(k) || !json_is_string(val))
                return sb_req_fail(r, SB_E_BAD_REQUEST, "each identity needs string kind and value");
            bool known = false;
            for (const char *const *p = identity_kinds; *p; p++)
                known |= strcmp(*p, json_string_value(k)) == 0;
            if (!known)
                return sb_req_fail(r, SB_E_VALIDATION, "identity kind must be email, phone, telegram, widget or slack");
            if (json_string_length(val) == 0 || json_string_length(val) > 254)
                return sb_req_fail(r, SB_E_VALIDATION, "identity value must be 1 to 254 bytes");
        }
    }
    if (create && !json_object_get(r->body, "email") && !json_object_get(r->body, "phone") && !json_array_size(ids))
        return sb_req_fail(r, SB_E_VALIDATION, "a contact needs an email, a phone or an identity");
    return SB_OK;
}

int sb_api_contacts_list(sb_req *r)
{
    int limit, rc;
    int64_t org;
    if ((rc = sb_api_query_limit(r, 25, 100, &limit)) != SB_OK || (rc = sb_api_query_id(r, "organization_id", &org)) != SB_OK)
        return rc;
    const char *q = sb_req_query(r, "q");
    if (q && strlen(q) > 200)
        return sb_req_fail(r, SB_E_BAD_REQUEST, "q is longer than 200 bytes");
    if (q && !*q)
        q = NULL;
    const char *cursor = sb_req_query(r, "cursor");
    int64_t after = 0;
    if (cursor && *cursor) {
        char *end;
        long long v = strtoll(cursor, &end, 10);
        if (*end || v <= 0)
            return sb_req_fail(r, SB_E_BAD_REQUEST, "invalid cursor");
        after = v;
    }
    json_t *items = sb_store_contact_list(sb_req_db(r), q, org < 0 ? 0 : org, after, limit + 1);
    if (!items)
        return sb_req_fail(r, SB_E_INTERNAL, "query failed");
    json_t *next = json_null();
    if (json_array_size(items) == (size_t)limit + 1) {
        json_array_remove(items, (size_t)limit);
        char buf[32];
        snprintf(buf, sizeof buf, "%lld",
                 (long long)json_integer_value(json_object_get(json_array_get(items, (size_t)limit - 1), "id")));
        next = json_string(buf);
    }
    return sb_req_json(r, 200, json_pack("{s:o, s:o}", "items", items, "next_cursor", next));
}

int sb_api_contact_get(sb_req *r) { return get_one(r, SB_ENT_CONTACT, "contact"); }

int sb_api_contact_create(sb_req *r)
{
    int rc = contact_fields(r, true);
    return rc != SB_OK ? rc : submit_entity(r, SB_ENT_CONTACT, SB_OP_CREATE, 0, NULL);
}

int sb_api_contact_update(sb_req *r)
{
    int rc = contact_fields(r, false);
    return rc != SB_OK ? rc : submit_entity(r, SB_ENT_CONTACT, SB_OP_UPDATE, r->ids[0], NULL);
}

/* ---- tags ---- */

static int tag_fields(sb_req *r, bool create)
{
    static const char *const fields[] = {"name", "color", NULL};
    const char *v;
    int rc;
    if ((rc = sb_api_need_object(r)) != SB_OK || (rc = sb_api_only(r, fields)) != SB_OK ||
        (rc = sb_api_str(r, "name", create, false, 64, &v)) != SB_OK ||
        (rc = sb_api_str(r, "color", false, true, 32, &v)) != SB_OK)
        return rc;
    return SB_OK;
}

int sb_api_tags_list(sb_req *r) { return list_all(r, sb_store_tag_list(sb_req_db(r))); }
int sb_api_tag_get(sb_req *r) { return get_one(r, SB_ENT_TAG, "tag"); }

int sb_api_tag_create(sb_req *r)
{
    int rc = tag_fields(r, true);
    return rc != SB_OK ? rc : submit_entity(r, SB_ENT_TAG, SB_OP_CREATE, 0, NULL);
}

int sb_api_tag_update(sb_req *r)
{
    int rc = tag_fields(r, false);
    return rc != SB_OK ? rc : submit_entity(r, SB_ENT_TAG, SB_OP_UPDATE, r->ids[0], NULL);
}

int sb_api_entity_delete(sb_req *r)
{
    const char *p = r->route->pattern;
    sb_entity e = strstr(p, "/teams/")           ? SB_ENT_TEAM
                  : strstr(p, "/organizations/") ? SB_ENT_ORG
                  : strstr(p, "/contacts/")      ? SB_ENT_CONTACT
                                                 : SB_ENT_TAG;
    return submit_entity(r, e, SB_OP_DELETE, r->ids[0], NULL);
}
