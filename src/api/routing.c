/* Routing: agent status and routing fields, team routing fields and on-call, routing rules,
 * re-routing and escalation of a conversation. See docs/routing.md. */
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "core/routing.h"
#include "util/time.h"

#define MAX_OPEN_LIMIT 10000
#define MAX_REASON 2000

/* ---- fields on agents and teams (called by directory.c's validators) ---- */

int sb_api_agent_routing_fields(sb_req *r, int64_t agent_id)
{
    json_t *max = json_object_get(r->body, "max_open");
    if (max && !json_is_null(max) &&
        (!json_is_integer(max) || json_integer_value(max) < 0 || json_integer_value(max) > MAX_OPEN_LIMIT))
        return sb_req_fail(r, SB_E_VALIDATION, "\"max_open\" must be null (no limit) or an integer from 0 to %d",
                           MAX_OPEN_LIMIT);
    const char *tz;
    int rc = sb_api_str(r, "timezone", false, false, 63, &tz);
    if (rc != SB_OK)
        return rc;
    if (tz && !sb_svc_timezone_ok(tz))
        return sb_req_fail(r, SB_E_VALIDATION, "\"timezone\": \"%.63s\" is not a known time zone (an IANA name such as"
                           " \"Europe/Kyiv\")", tz);
    json_t *shift = json_object_get(r->body, "shift");
    if (!shift || json_is_null(shift))
        return SB_OK;
    json_t *current = NULL;
    if (!tz && agent_id > 0) {
        current = sb_store_route_agent(sb_req_db(r), agent_id);
        tz = json_string_value(json_object_get(current, "timezone"));
    }
    char err[256];
    sb_err e = sb_svc_shift_check(tz, shift, err, sizeof err);
    json_decref(current);
    return e == SB_OK ? SB_OK : sb_req_fail(r, e, "%s", err);
}

int sb_api_team_routing_fields(sb_req *r)
{
    json_t *st = json_object_get(r->body, "strategy");
    if (st && (!json_is_string(st) || sb_route_strategy_parse(json_string_value(st)) < 0))
        return sb_req_fail(r, SB_E_VALIDATION, "\"strategy\" must be round_robin, least_loaded or manual");
    bool present;
    int64_t id;
    int rc;
    if ((rc = sb_api_id(r, "supervisor_id", &present, &id)) != SB_OK ||
        (rc = sb_api_id(r, "escalation_team_id", &present, &id)) != SB_OK)
        return rc;
    json_t *oncall = json_object_get(r->body, "oncall");
    if (!oncall || json_is_null(oncall))
        return SB_OK;
    sb_oncall *oc = malloc(sizeof *oc);
    if (!oc)
        return sb_req_fail(r, SB_E_INTERNAL, "out of memory");
    char err[256];
    sb_err e = sb_svc_oncall_parse(oncall, oc, err, sizeof err);
    free(oc);
    return e == SB_OK ? SB_OK : sb_req_fail(r, e, "%s", err);
}

/* ---- PUT /agents/me/status ---- */

int sb_api_agent_status_set(sb_req *r)
{
    static const char *const fields[] = {"status", NULL};
    const char *status;
    int rc;
    if ((rc = sb_api_need_object(r)) != SB_OK || (rc = sb_api_only(r, fields)) != SB_OK ||
        (rc = sb_api_str(r, "status", true, false, 16, &status)) != SB_OK)
        return rc;
    if (sb_agent_status_parse(status) < 0)
        return sb_req_fail(r, SB_E_VALIDATION, "status must be online, away or offline");
    sb_agent_status_op *op = calloc(1, sizeof *op);
    if (!op)
        return sb_req_fail(r, SB_E_INTERNAL, "out of memory");
    op->actor = sb_api_actor(r);
    op->agent_id = r->who.agent_id;
    op->status = sb_agent_status_name((sb_agent_status)sb_agent_status_parse(status)); /* static storage */
    return sb_req_submit(r, sb_svc_agent_status, op, free, op->errmsg);
}

int sb_api_agent_status_finish(sb_req *r)
{
    json_t *a = sb_store_agent_get(sb_req_db(r), r->who.agent_id);
    return a ? sb_req_json(r, 200, a) : sb_req_fail(r, SB_E_INTERNAL, "the agent vanished");
}

/* ---- GET /teams/{id}/oncall?at= ---- */

int sb_api_team_oncall(sb_req *r)
{
    const char *at = sb_req_query(r, "at");
    int64_t ms = sb_now();
    if (at && *at && sb_time_parse(at, &ms) != 0)
        return sb_req_fail(r, SB_E_BAD_REQUEST, "at must be an RFC 3339 instant");
    json_t *o = sb_svc_oncall_json(sb_req_db(r), r->ids[0], ms);
    return o ? sb_req_json(r, 200, o) : sb_api_not_found(r, "team", r->ids[0]);
}

/* ---- routing rules ---- */

typedef struct {
    sb_rule_op op;
    json_t *fields;
} rule_req;

static void rule_req_free(void *p)
{
    rule_req *rr = p;
    json_decref(rr->fields);
    free(rr);
}

int sb_api_rules_list(sb_req *r)
{
    json_t *items = sb_store_rule_list(sb_req_db(r), false);
    if (!items)
        return sb_req_fail(r, SB_E_INTERNAL, "query failed");
    return sb_req_json(r, 200, json_pack("{s:o, s:n}", "items", items, "next_cursor"));
}

int sb_api_rule_get(sb_req *r)
{
    json_t *o = sb_store_rule_get(sb_req_db(r), r->ids[0]);
    return o ? sb_req_json(r, 200, o) : sb_api_not_found(r, "routing rule", r->ids[0]);
}

static int rule_submit(sb_req *r, int kind)
{
    if (kind != 2) {
        static const char *const fields[] = {"name", "conditions", "team_id", "position", "enabled", NULL};
        const char *name;
        bool present, en;
        int64_t team;
        int rc;
        if ((rc = sb_api_need_object(r)) != SB_OK || (rc = sb_api_only(r, fields)) != SB_OK ||
            (rc = sb_api_str(r, "name", false, true, 200, &name)) != SB_OK ||
            (rc = sb_api_id(r, "team_id", &present, &team)) != SB_OK ||
            (rc = sb_api_bool(r, "enabled", &present, &en)) != SB_OK)
            return rc;
        if (kind == 0 && !team)
            return sb_req_fail(r, SB_E_VALIDATION, "\"team_id\" is required");
        if (json_is_null(json_object_get(r->body, "team_id")))
            return sb_req_fail(r, SB_E_VALIDATION, "\"team_id\" cannot be null: a rule routes to a team");
        json_t *pos = json_object_get(r->body, "position");
        if (pos && (!json_is_integer(pos) || json_integer_value(pos) < 1 || json_integer_value(pos) > SB_ROUTING_MAX_RULES))
            return sb_req_fail(r, SB_E_VALIDATION, "\"position\" must be an integer from 1 to %d", SB_ROUTING_MAX_RULES);
        json_t *cond = json_object_get(r->body, "conditions");
        if (kind == 0 && !cond)
            return sb_req_fail(r, SB_E_VALIDATION, "\"conditions\" is required ({} matches everything)");
        if (cond) {
            sb_route_rule rule = {0};
            char err[256];
            if (sb_route_rule_from_json(&rule, cond, err, sizeof err) != SB_OK)
                return sb_req_fail(r, SB_E_VALIDATION, "%s", err);
        }
    }
    rule_req *rr = calloc(1, sizeof *rr);
    if (!rr)
        return sb_req_fail(r, SB_E_INTERNAL, "out of memory");
    rr->fields = r->body ? json_incref(r->body) : json_object();
    rr->op.fields = rr->fields;
    rr->op.actor = sb_api_actor(r);
    rr->op.kind = kind;
    rr->op.id = kind ? r->ids[0] : 0;
    return sb_req_submit(r, sb_svc_rule_write, rr, rule_req_free, rr->op.errmsg);
}

int sb_api_rule_create(sb_req *r) { return rule_submit(r, 0); }
int sb_api_rule_update(sb_req *r) { return rule_submit(r, 1); }
int sb_api_rule_delete(sb_req *r) { return rule_submit(r, 2); }

int sb_api_rule_finish(sb_req *r)
{
    rule_req *rr = r->op;
    if (rr->op.kind == 2) {
        r->status = 204;
        return SB_OK;
    }
    json_t *o = sb_store_rule_get(sb_req_db(r), rr->op.id);
    return o ? sb_req_json(r, rr->op.kind == 0 ? 201 : 200, o) : sb_req_fail(r, SB_E_INTERNAL, "the rule vanished");
}

/* ---- POST /conversations/{id}/route and /escalate ---- */

int sb_api_conversation_route(sb_req *r)
{
    if (r->body && (!json_is_object(r->body) || json_object_size(r->body) != 0))
        return sb_req_fail(r, SB_E_VALIDATION, "send no body or {}");
    sb_route_op *op = calloc(1, sizeof *op);
    if (!op)
        return sb_req_fail(r, SB_E_INTERNAL, "out of memory");
    op->actor = sb_api_actor(r);
    op->conversation_id = r->ids[0];
    return sb_req_submit(r, sb_svc_route, op, free, op->errmsg);
}

static json_t *id_or_null(int64_t id)
{
    return id > 0 ? json_integer(id) : json_null();
}

int sb_api_conversation_route_finish(sb_req *r)
{
    sb_route_op *op = r->op;
    json_t *c = sb_store_conv_get(sb_req_db(r), r->ids[0]);
    if (!c)
        return sb_req_fail(r, SB_E_INTERNAL, "conversation vanished");
    json_t *routing = json_pack("{s:s, s:o, s:o, s:o}", "reason", op->reason ? op->reason : "no_team", "team_id",
                                id_or_null(op->team_id), "assignee_id", id_or_null(op->assignee_id), "rule_id",
                                id_or_null(op->rule_id));
    json_object_set_new(c, "routing", routing);
    return sb_req_json(r, 200, c);
}

int sb_api_conversation_escalate(sb_req *r)
{
    static const char *const fields[] = {"to", "reason", NULL};
    const char *to, *reason;
    int rc;
    if ((rc = sb_api_need_object(r)) != SB_OK || (rc = sb_api_only(r, fields)) != SB_OK ||
        (rc = sb_api_str(r, "to", true, false, 32, &to)) != SB_OK ||
        (rc = sb_api_str(r, "reason", true, false, MAX_REASON, &reason)) != SB_OK)
        return rc;
    bool blank = true;
    for (const char *p = reason; *p && blank; p++)
        blank = strchr(" \t\r\n", *p) != NULL;
    if (blank)
        return sb_req_fail(r, SB_E_VALIDATION, "\"reason\" must say why");
    if (strcmp(to, "next_tier") != 0 && strcmp(to, "supervisor") != 0)
        return sb_req_fail(r, SB_E_VALIDATION, "\"to\" must be next_tier or supervisor");
    sb_escalate_op *op = calloc(1, sizeof *op);
    if (!op)
        return sb_req_fail(r, SB_E_INTERNAL, "out of memory");
    op->actor = sb_api_actor(r);
    op->conversation_id = r->ids[0];
    op->to_supervisor = strcmp(to, "supervisor") == 0;
    op->reason = reason; /* the body lives until the request ends */
    return sb_req_submit(r, sb_svc_escalate, op, free, op->errmsg);
}

int sb_api_conversation_escalate_finish(sb_req *r)
{
    sb_escalate_op *op = r->op;
    json_t *c = sb_store_conv_get(sb_req_db(r), r->ids[0]);
    if (!c)
        return sb_req_fail(r, SB_E_INTERNAL, "conversation vanished");
    json_t *e = json_pack("{s:s, s:o, s:o}", "to", op->to_supervisor ? "supervisor" : "next_tier", "team_id",
                          id_or_null(op->team_id), "assignee_id", id_or_null(op->assignee_id));
    if (op->to_supervisor)
        json_object_set_new(e, "notified_agent_id", id_or_null(op->notified_agent_id));
    else
        json_object_set_new(e, "routing_reason", json_string(op->routing_reason ? op->routing_reason : "no_team"));
    json_object_set_new(c, "escalation", e);
    return sb_req_json(r, 200, c);
}
