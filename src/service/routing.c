/* Routing, escalation, agent status and on-call: gathers the facts core/routing and
 * core/oncall decide on, applies the decision, writes the timeline note and the events.
 * See docs/routing.md. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/calendar.h"
#include "core/conversation.h"
#include "core/oncall.h"
#include "core/routing.h"
#include "service/internal.h"
#include "service/service.h"
#include "util/log.h"
#include "util/time.h"
#include "util/tz.h"

#define DRAIN_MAX 200 /* conversations one drain of a team assigns at most */
#define MAX_RULES_EVAL 200

/* ---- time zones: one sb_tz per zone for the life of the process (opening one costs ~1 ms) */

#define TZ_CACHE_MAX 1024
static pthread_mutex_t tz_lock = PTHREAD_MUTEX_INITIALIZER;
static sb_tz *tz_cache[TZ_CACHE_MAX];
static size_t tz_count;

static sb_tz *tz_get(const char *name)
{
    if (!name || !*name)
        name = "UTC";
    sb_tz *found = NULL;
    pthread_mutex_lock(&tz_lock);
    for (size_t i = 0; i < tz_count && !found; i++)
        if (strcmp(sb_tz_name(tz_cache[i]), name) == 0)
            found = tz_cache[i];
    if (!found && tz_count < TZ_CACHE_MAX && (found = sb_tz_open(name)) != NULL)
        tz_cache[tz_count++] = found;
    pthread_mutex_unlock(&tz_lock);
    return found;
}

static sb_cal_tz cal_tz(sb_tz *tz)
{
    return (sb_cal_tz){.utc_offset_s = sb_tz_offset, .next_change_s = sb_tz_next_change, .ctx = tz};
}

bool sb_svc_timezone_ok(const char *tz)
{
    return tz && strlen(tz) < SB_CAL_TZ_NAME_MAX && tz_get(tz) != NULL;
}

/* ---- shifts ---- */

static sb_err shift_calendar(const char *tzname, const json_t *shift, sb_calendar *cal, char *err, size_t errlen)
{
    if (!json_is_object(shift)) {
        snprintf(err, errlen, "shift must be a calendar object or null");
        return SB_E_VALIDATION;
    }
    if (json_object_get(shift, "timezone")) {
        snprintf(err, errlen, "shift: leave \"timezone\" out; the agent's timezone field applies");
        return SB_E_VALIDATION;
    }
    json_t *copy = json_deep_copy(shift);
    if (!copy)
        return SB_E_INTERNAL;
    json_object_set_new(copy, "timezone", json_string(tzname && *tzname ? tzname : "UTC"));
    char why[200] = "";
    sb_err rc = sb_cal_from_json(cal, copy, why, sizeof why);
    json_decref(copy);
    if (rc != SB_OK) {
        snprintf(err, errlen, "shift: %s", why);
        return rc;
    }
    sb_tz *tz = tz_get(cal->timezone);
    if (!tz) {
        snprintf(err, errlen, "timezone \"%s\" is not a known time zone", cal->timezone);
        return SB_E_VALIDATION;
    }
    cal->tz = cal_tz(tz);
    return SB_OK;
}

sb_err sb_svc_shift_check(const char *tz, const json_t *shift, char *err, size_t errlen)
{
    sb_calendar *cal = malloc(sizeof *cal);
    if (!cal)
        return SB_E_INTERNAL;
    sb_err rc = shift_calendar(tz, shift, cal, err, errlen);
    free(cal);
    return rc;
}

/* Parsed shift calendars, keyed by time zone and the schedule's JSON text: routing checks
 * every candidate's shift on every routing, and parsing a calendar costs far more than
 * looking it up. Flushed whole when full (schedules change rarely). */
#define SHIFT_CACHE_MAX 256
typedef struct {
    char *key;
    sb_calendar *cal; /* NULL: the schedule does not load */
} shift_entry;
static pthread_mutex_t shift_lock = PTHREAD_MUTEX_INITIALIZER;
static shift_entry shift_cache[SHIFT_CACHE_MAX];
static size_t shift_count;

static void shift_cache_flush(void)
{
    for (size_t i = 0; i < shift_count; i++) {
        free(shift_cache[i].key);
        free(shift_cache[i].cal);
    }
    shift_count = 0;
}

/* Whether an agent is on shift at now_ms: no schedule means always. A stored schedule that
 * no longer loads (a time zone removed from tzdata) counts as off shift, loudly. */
static bool on_shift(const json_t *agent, int64_t now_ms)
{
    const char *text = json_string_value(json_object_get(agent, "shift_text"));
    if (!text || strcmp(text, "null") == 0)
        return true;
    const char *tz = json_string_value(json_object_get(agent, "timezone"));
    size_t klen = strlen(tz ? tz : "") + strlen(text) + 2;
    char *key = malloc(klen);
    if (!key)
        return false;
    snprintf(key, klen, "%s\n%s", tz ? tz : "", text);
    bool open = false;
    pthread_mutex_lock(&shift_lock);
    size_t i;
    for (i = 0; i < shift_count; i++)
        if (strcmp(shift_cache[i].key, key) == 0)
            break;
    if (i == shift_count) {
        if (shift_count == SHIFT_CACHE_MAX)
            shift_cache_flush();
        i = shift_count++;
        shift_cache[i].key = key;
        key = NULL;
        shift_cache[i].cal = malloc(sizeof(sb_calendar));
        json_t *shift = json_loads(text, 0, NULL);
        char err[200] = "out of memory";
        if (!shift_cache[i].cal || !shift ||
            shift_calendar(tz, shift, shift_cache[i].cal, err, sizeof err) != SB_OK) {
            sb_warn("msg=\"agent shift does not load\" agent=%lld err=\"%s\"",
                    (long long)json_integer_value(json_object_get(agent, "id")), err);
            free(shift_cache[i].cal);
            shift_cache[i].cal = NULL;
        }
        json_decref(shift);
    }
    if (shift_cache[i].cal)
        open = sb_cal_is_open(shift_cache[i].cal, now_ms / 1000);
    pthread_mutex_unlock(&shift_lock);
    free(key);
    return open;
}

static void route_agent(const json_t *row, int64_t now_ms, sb_route_agent *a)
{
    const json_t *max = json_object_get(row, "max_open");
    int st = sb_agent_status_parse(json_string_value(json_object_get(row, "status")));
    *a = (sb_route_agent){
        .id = json_integer_value(json_object_get(row, "id")),
        .active = json_is_true(json_object_get(row, "active")),
        .status = st < 0 ? SB_AGENT_OFFLINE : (sb_agent_status)st,
        .on_shift = on_shift(row, now_ms),
        .open_count = json_integer_value(json_object_get(row, "open_count")),
        .max_open = json_is_integer(max) ? json_integer_value(max) : -1,
        .last_assigned = json_integer_value(json_object_get(row, "assign_seq")),
    };
}

/* ---- the routing step ---- */

typedef enum {
    ROUTE_NEW,       /* just created */
    ROUTE_REOPENED,  /* a customer reopened it */
    ROUTE_EXPLICIT,  /* POST /route */
    ROUTE_DRAIN,     /* taken from a team's queue */
    ROUTE_ESCALATED, /* moved to another tier: no account manager, its new team fixed */
} route_mode;

typedef struct {
    int64_t team_id, assignee_id, rule_id;
    sb_route_reason reason;
    bool skipped; /* already assigned, or solved/closed */
} route_out;

static const sb_actor system_actor = {"system", 0};

static json_t *name_of(json_t *rows, int64_t id)
{
    size_t i;
    json_t *x;
    json_array_foreach(rows, i, x) if (json_integer_value(json_object_get(x, "id")) == id) return json_object_get(x, "name");
    return NULL;
}

/* Makes the system note that says why; "" when there is nothing worth saying. */
static void route_note(char *buf, size_t n, const route_out *o, const char *agent, const char *team, const char *rule)
{
    char via[160] = "";
    if (rule)
        snprintf(via, sizeof via, " (rule \"%.100s\")", rule);
    switch (o->reason) {
    case SB_ROUTED_ACCOUNT_MANAGER:
        snprintf(buf, n, "Routed to account manager %s", agent);
        break;
    case SB_ROUTED_ROUND_ROBIN:
        snprintf(buf, n, "Assigned to %s by round-robin in team %s%s", agent, team, via);
        break;
    case SB_ROUTED_LEAST_LOADED:
        snprintf(buf, n, "Assigned to %s (least loaded) in team %s%s", agent, team, via);
        break;
    case SB_ROUTED_QUEUED_MANUAL:
        snprintf(buf, n, "Queued in team %s%s, which assigns by hand", team, via);
        break;
    case SB_ROUTED_QUEUED_NOBODY:
        snprintf(buf, n, "Queued in team %s%s: nobody there is on shift, online and under capacity", team, via);
        break;
    case SB_ROUTED_NO_TEAM:
        buf[0] = '\0';
        break;
    }
}

static sb_err ensure_sweep(sb_db *w, int64_t now)
{
    json_t *payload = json_object();
    sb_err err = sb_store_job_enqueue(w, "routing.sweep", payload, now + SB_ROUTING_SWEEP_MS, 3, "routing.sweep",
                                      now, NULL);
    json_decref(payload);
    return err;
}

/* The enabled rules, parsed once and kept while their fingerprint in the store stays the same.
 * Routing runs on the writer thread only, so the set is never used by two threads at once. */
typedef struct {
    bool valid;
    int64_t fp[4];
    json_t *rows; /* the rules as read; each row's "parsed" conditions back the rule's strings */
    sb_route_rule *rules;
    size_t n;
} rule_set;
static rule_set rules_cache;

static const rule_set *rules_current(sb_db *w)
{
    int64_t fp[4];
    if (sb_store_rules_fingerprint(w, fp) != SB_OK)
        return NULL;
    if (rules_cache.valid && memcmp(fp, rules_cache.fp, sizeof fp) == 0)
        return &rules_cache;
    json_decref(rules_cache.rows);
    free(rules_cache.rules);
    memset(&rules_cache, 0, sizeof rules_cache);
    json_t *rows = sb_store_rules_for_routing(w);
    size_t n = json_array_size(rows);
    if (n > MAX_RULES_EVAL)
        n = MAX_RULES_EVAL;
    sb_route_rule *rules = calloc(n + 1, sizeof *rules);
    if (!rows || !rules) {
        json_decref(rows);
        free(rules);
        return NULL;
    }
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        json_t *r = json_array_get(rows, i);
        json_t *cond = json_loads(json_string_value(json_object_get(r, "conditions")), 0, NULL);
        json_object_set_new(r, "parsed", cond ? cond : json_null());
        rules[k].id = json_integer_value(json_object_get(r, "id"));
        rules[k].team_id = json_integer_value(json_object_get(r, "team_id"));
        if (sb_route_rule_from_json(&rules[k], json_object_get(r, "parsed"), NULL, 0) == SB_OK)
            k++;
    }
    rules_cache = (rule_set){.valid = true, .rows = rows, .rules = rules, .n = k};
    memcpy(rules_cache.fp, fp, sizeof fp);
    return &rules_cache;
}

static sb_err route(sb_db *w, int64_t conv_id, route_mode mode, bool team_given, int64_t now, route_out *out)
{
    memset(out, 0, sizeof *out);
    json_t *facts = sb_store_route_conv(w, conv_id);
    if (!facts)
        return SB_E_NOT_FOUND;
    sb_err err = SB_OK;
    json_t *members = NULL, *mgr_row = NULL, *team_row = NULL;
    sb_route_agent *cands = NULL;
    const char **tags = NULL;
    int status = sb_status_parse(json_string_value(json_object_get(facts, "status")));
    int64_t cur_team = json_integer_value(json_object_get(facts, "team_id"));
    if (json_integer_value(json_object_get(facts, "assignee_id")) > 0 || status == SB_STATUS_SOLVED ||
        status == SB_STATUS_CLOSED) {
        out->skipped = true;
        out->team_id = cur_team;
        out->assignee_id = json_integer_value(json_object_get(facts, "assignee_id"));
        goto done;
    }

    /* Which team. */
    json_t *tags_json = json_object_get(facts, "tags");
    size_t ntags = json_array_size(tags_json);
    tags = calloc(ntags + 1, sizeof *tags);
    if (!tags) {
        err = SB_E_INTERNAL;
        goto done;
    }
    for (size_t i = 0; i < ntags; i++)
        tags[i] = json_string_value(json_array_get(tags_json, i));
    int pr = sb_priority_parse(json_string_value(json_object_get(facts, "priority")));
    sb_route_facts f = {
        .channel = json_string_value(json_object_get(facts, "channel")),
        .mailbox_id = json_integer_value(json_object_get(facts, "mailbox_id")),
        .organization_id = json_integer_value(json_object_get(facts, "organization_id")),
        .category = json_string_value(json_object_get(facts, "category")),
        .priority = pr < 0 ? SB_PRIORITY_NORMAL : pr,
        .tags = tags,
        .ntags = ntags,
    };
    int64_t fixed = (mode == ROUTE_NEW && !team_given) ? 0 : cur_team;
    const rule_set *rs = NULL;
    if (fixed <= 0 && !(rs = rules_current(w))) {
        err = SB_E_INTERNAL;
        goto done;
    }
    int64_t team = sb_route_choose_team(&f, rs ? rs->rules : NULL, rs ? rs->n : 0, fixed,
                                        json_integer_value(json_object_get(facts, "mailbox_team_id")), &out->rule_id);
    /* Who. */
    sb_route_agent mgr;
    sb_route_input in = {.team_id = team, .strategy = SB_STRATEGY_MANUAL};
    int64_t mgr_id = json_integer_value(json_object_get(facts, "account_manager_id"));
    if (mode != ROUTE_ESCALATED && mgr_id > 0 && (mgr_row = sb_store_route_agent(w, mgr_id)) != NULL) {
        route_agent(mgr_row, now, &mgr);
        in.manager = &mgr;
    }
    if (team > 0 && (team_row = sb_store_team_routing(w, team)) != NULL) {
        int s = sb_route_strategy_parse(json_string_value(json_object_get(team_row, "strategy")));
        in.strategy = s < 0 ? SB_STRATEGY_MANUAL : (sb_route_strategy)s;
        if (in.strategy != SB_STRATEGY_MANUAL && (!in.manager || !sb_route_manager_eligible(in.manager))) {
            members = sb_store_route_agents(w, team, in.strategy == SB_STRATEGY_LEAST_LOADED);
            size_t n = json_array_size(members);
            cands = calloc(n + 1, sizeof *cands);
            if (!cands) {
                err = SB_E_INTERNAL;
                goto done;
            }
            for (size_t i = 0; i < n; i++)
                route_agent(json_array_get(members, i), now, &cands[i]);
            in.candidates = cands;
            in.ncandidates = n;
        }
    }
    sb_route_result res = sb_route_decide(&in);
    out->team_id = res.team_id;
    out->assignee_id = res.assignee_id;
    out->reason = res.reason;

    /* Apply. */
    bool changed = res.team_id != cur_team || res.assignee_id != 0;
    if (changed) {
        err = sb_store_conv_set_owner(w, conv_id, res.team_id, res.assignee_id, now);
        if (err == SB_OK && res.assignee_id)
            err = sb_store_agent_mark_assigned(w, res.assignee_id, now);
        if (err != SB_OK)
            goto done;
    }
    if (res.reason == SB_ROUTED_QUEUED_NOBODY && (err = ensure_sweep(w, now)) != SB_OK)
        goto done;
    if (changed || mode == ROUTE_NEW || mode == ROUTE_ESCALATED || mode == ROUTE_EXPLICIT) {
        const json_t *an = res.assignee_id == mgr_id && mgr_row ? json_object_get(mgr_row, "name")
                                                                 : name_of(members, res.assignee_id);
        const char *rule_name = NULL;
        size_t i;
        json_t *r;
        json_array_foreach(rs ? rs->rows : NULL, i, r) if (json_integer_value(json_object_get(r, "id")) == out->rule_id)
            rule_name = json_string_value(json_object_get(r, "name"));
        if (rule_name && !*rule_name)
            rule_name = NULL;
        char note[512];
        route_note(note, sizeof note, out, an ? json_string_value(an) : "?",
                   team_row ? json_string_value(json_object_get(team_row, "name")) : "?", rule_name);
        if (note[0] && (err = sb_svc_system_message(w, conv_id, &system_actor, now, "%s", note)) != SB_OK)
            goto done;
    }
    if (changed && mode != ROUTE_ESCALATED) { /* escalation announces the move itself */
        json_t *changes = json_array();
        if (res.team_id != cur_team)
            json_array_append_new(changes, json_string("team_id"));
        if (res.assignee_id)
            json_array_append_new(changes, json_string("assignee_id"));
        err = sb_svc_emit_conversation(w, "conversation.updated", conv_id, &system_actor, changes, now);
        json_decref(changes);
    }
done:
    json_decref(facts);
    json_decref(members);
    json_decref(mgr_row);
    json_decref(team_row);
    free(cands);
    free(tags);
    return err;
}

sb_err sb_svc_route_new(sb_db *w, int64_t conv_id, bool team_given, int64_t now)
{
    route_out o;
    return route(w, conv_id, ROUTE_NEW, team_given, now, &o);
}

sb_err sb_svc_route_reopened(sb_db *w, int64_t conv_id, int64_t now)
{
    route_out o;
    return route(w, conv_id, ROUTE_REOPENED, false, now, &o);
}

/* Assigns a team's queued conversations, oldest (urgent first) first, while someone takes
 * them. */
static sb_err drain_team(sb_db *w, int64_t team_id, int64_t now, int *assigned)
{
    json_t *q = sb_store_team_queue(w, team_id, DRAIN_MAX);
    sb_err err = q ? SB_OK : SB_E_INTERNAL;
    size_t i;
    json_t *x;
    json_array_foreach(q, i, x)
    {
        route_out o;
        if ((err = route(w, json_integer_value(json_object_get(x, "id")), ROUTE_DRAIN, false, now, &o)) != SB_OK)
            break;
        if (!o.assignee_id)
            break; /* nobody left to take one */
        if (assigned)
            (*assigned)++;
    }
    json_decref(q);
    return err;
}

static sb_err drain_agent_teams(sb_db *w, int64_t agent_id, int64_t now)
{
    json_t *teams = sb_store_agent_team_ids(w, agent_id);
    sb_err err = teams ? SB_OK : SB_E_INTERNAL;
    size_t i;
    json_t *x;
    json_array_foreach(teams, i, x)
    {
        if ((err = drain_team(w, json_integer_value(json_object_get(x, "id")), now, NULL)) != SB_OK)
            break;
    }
    json_decref(teams);
    return err;
}

sb_err sb_svc_routing_sweep(sb_db *w, void *arg)
{
    sb_sweep_op *op = arg;
    int64_t now = sb_now();
    json_t *teams = sb_store_teams_with_queue(w);
    sb_err err = teams ? SB_OK : SB_E_INTERNAL;
    size_t i;
    json_t *x;
    json_array_foreach(teams, i, x)
    {
        if ((err = drain_team(w, json_integer_value(json_object_get(x, "id")), now, &op->assigned)) != SB_OK)
            break;
    }
    json_decref(teams);
    if (err == SB_OK) {
        json_t *left = sb_store_teams_with_queue(w);
        op->more = json_array_size(left) > 0;
        json_decref(left);
    }
    return err;
}

/* ---- API operations ---- */

sb_err sb_svc_route(sb_db *w, void *arg)
{
    sb_route_op *op = arg;
    int64_t now = sb_now();
    json_t *facts = sb_store_route_conv(w, op->conversation_id);
    if (!facts)
        return sb_svc_fail(op->errmsg, SB_E_NOT_FOUND, "conversation %lld not found", (long long)op->conversation_id);
    int64_t assignee = json_integer_value(json_object_get(facts, "assignee_id"));
    int status = sb_status_parse(json_string_value(json_object_get(facts, "status")));
    json_decref(facts);
    if (assignee)
        return sb_svc_fail(op->errmsg, SB_E_CONFLICT, "conversation %lld is assigned; unassign it first",
                           (long long)op->conversation_id);
    if (status == SB_STATUS_SOLVED || status == SB_STATUS_CLOSED)
        return sb_svc_fail(op->errmsg, SB_E_CONFLICT, "conversation %lld is %s; only unsolved ones are routed",
                           (long long)op->conversation_id, sb_status_name(status));
    route_out o;
    sb_err err = route(w, op->conversation_id, ROUTE_EXPLICIT, false, now, &o);
    op->team_id = o.team_id;
    op->assignee_id = o.assignee_id;
    op->rule_id = o.rule_id;
    op->reason = sb_route_reason_name(o.reason);
    return err;
}

static const char *next_tier(const char *tier)
{
    if (!tier || strcmp(tier, "L1") == 0)
        return "L2";
    if (strcmp(tier, "L2") == 0)
        return "L3";
    return NULL;
}

static sb_err add_note(sb_db *w, int64_t conv_id, const sb_actor *actor, const char *text, int64_t now)
{
    sb_message_in m = {
        .conversation_id = conv_id,
        .direction = "out",
        .internal = true,
        .kind = "note",
        .author_type = actor->type,
        .author_id = actor->id,
        .body_text = text,
    };
    int64_t id;
    sb_err err = sb_store_message_insert(w, &m, now, &id);
    return err == SB_OK ? sb_svc_emit_message(w, id, 0, true, actor, now) : err;
}

sb_err sb_svc_escalate(sb_db *w, void *arg)
{
    sb_escalate_op *op = arg;
    int64_t now = sb_now();
    sb_conv c;
    sb_err err = sb_store_conv_load(w, op->conversation_id, &c);
    if (err != SB_OK)
        return sb_svc_fail(op->errmsg, err, "conversation %lld not found", (long long)op->conversation_id);
    json_t *team = c.team_id ? sb_store_team_routing(w, c.team_id) : NULL, *target = NULL, *who = NULL;
    json_t *actor_agent = op->actor.id ? sb_store_agent_get(w, op->actor.id) : NULL;
    const char *actor_name = actor_agent ? json_string_value(json_object_get(actor_agent, "name")) : "someone";
    char text[2600];
    if (c.status == SB_STATUS_CLOSED) {
        err = sb_svc_fail(op->errmsg, SB_E_CONFLICT, "conversation %lld is closed", (long long)c.id);
        goto out;
    }
    if (op->to_supervisor) {
        int64_t sup = json_integer_value(json_object_get(team, "supervisor_id"));
        if (!team) {
            err = sb_svc_fail(op->errmsg, SB_E_CONFLICT, "conversation %lld has no team, so no supervisor",
                              (long long)c.id);
            goto out;
        }
        if (sup <= 0 || !sb_store_agent_is_active(w, sup)) {
            err = sb_svc_fail(op->errmsg, SB_E_CONFLICT, "team %s has no active supervisor",
                              json_string_value(json_object_get(team, "name")));
            goto out;
        }
        who = sb_store_agent_get(w, sup);
        snprintf(text, sizeof text, "Escalated to supervisor %s: %s", json_string_value(json_object_get(who, "name")),
                 op->reason);
        if ((err = add_note(w, c.id, &op->actor, text, now)) != SB_OK)
            goto out;
        snprintf(text, sizeof text, "%s escalated #%lld \"%.200s\" to you: %s", actor_name, (long long)c.id,
                 c.subject ? c.subject : "", op->reason);
        if ((err = sb_svc_notify(w, sup, "escalation", c.id, text)) != SB_OK)
            goto out;
        op->notified_agent_id = sup;
        op->team_id = c.team_id;
        op->assignee_id = c.assignee_id;
        err = sb_svc_emit_conversation(w, "conversation.updated", c.id, &op->actor, NULL, now);
        goto out;
    }
    /* The next tier: the team's escalation target, else the first team of the next tier. */
    int64_t to = json_integer_value(json_object_get(team, "escalation_team_id"));
    if (to <= 0) {
        const char *tier = next_tier(team ? json_string_value(json_object_get(team, "tier")) : NULL);
        to = tier ? sb_store_team_first_of_tier(w, tier) : 0;
    }
    if (to <= 0 || to == c.team_id) {
        err = sb_svc_fail(op->errmsg, SB_E_CONFLICT, "there is no team above %s to escalate to",
                          team ? json_string_value(json_object_get(team, "name")) : "L1 (the conversation has no team)");
        goto out;
    }
    target = sb_store_team_routing(w, to);
    snprintf(text, sizeof text, "Escalated to team %s (%s): %s", json_string_value(json_object_get(target, "name")),
             json_string_value(json_object_get(target, "tier")), op->reason);
    if ((err = add_note(w, c.id, &op->actor, text, now)) != SB_OK)
        goto out;
    int64_t old_assignee = c.assignee_id;
    c.team_id = to;
    c.assignee_id = 0;
    if ((err = sb_store_conv_save(w, &c, now)) != SB_OK)
        goto out;
    route_out o;
    if ((err = route(w, c.id, ROUTE_ESCALATED, true, now, &o)) != SB_OK)
        goto out;
    op->team_id = o.team_id;
    op->assignee_id = o.assignee_id;
    op->routing_reason = sb_route_reason_name(o.reason);
    json_t *changes = json_pack("[s]", "team_id");
    if (old_assignee || o.assignee_id)
        json_array_append_new(changes, json_string("assignee_id"));
    err = sb_svc_emit_conversation(w, "conversation.updated", c.id, &op->actor, changes, now);
    json_decref(changes);
out:
    json_decref(team);
    json_decref(target);
    json_decref(who);
    json_decref(actor_agent);
    sb_conv_release(&c);
    return err;
}

sb_err sb_svc_agent_status(sb_db *w, void *arg)
{
    sb_agent_status_op *op = arg;
    int64_t now = sb_now();
    sb_err err = sb_store_agent_update(w, op->agent_id, NULL, NULL, op->status, -1, NULL, now);
    if (err != SB_OK)
        return sb_svc_fail(op->errmsg, err, "agent %lld not found", (long long)op->agent_id);
    json_t *a = sb_store_agent_get(w, op->agent_id);
    err = sb_svc_emit(w, "agent.updated", 0, 0, false, &op->actor, "agent", a, now);
    json_decref(a);
    if (err == SB_OK && strcmp(op->status, "online") == 0)
        err = drain_agent_teams(w, op->agent_id, now);
    return err;
}

/* ---- entity fields ---- */

static sb_err check_agent_ref(sb_db *w, char *errmsg, const char *key, json_t *v)
{
    if (v && json_is_integer(v) && !sb_store_agent_is_active(w, json_integer_value(v)))
        return sb_svc_fail(errmsg, SB_E_VALIDATION, "%s %lld is not an active agent", key,
                           (long long)json_integer_value(v));
    return SB_OK;
}

sb_err sb_svc_routing_entity_write(sb_db *w, sb_entity_op *op, int64_t now)
{
    json_t *f = op->fields;
    sb_err err = SB_OK;
    if (op->entity == SB_ENT_AGENT) {
        if ((err = sb_store_agent_set_routing(w, op->id, f)) != SB_OK)
            return err;
        const char *status = json_string_value(json_object_get(f, "status"));
        bool more_room = json_object_get(f, "max_open") || json_object_get(f, "shift") ||
                         json_object_get(f, "timezone") || (status && strcmp(status, "online") == 0);
        return more_room && op->kind == SB_OP_UPDATE ? drain_agent_teams(w, op->id, now) : SB_OK;
    }
    if (op->entity != SB_ENT_TEAM)
        return SB_OK;
    if ((err = check_agent_ref(w, op->errmsg, "supervisor_id", json_object_get(f, "supervisor_id"))) != SB_OK)
        return err;
    json_t *esc = json_object_get(f, "escalation_team_id");
    if (json_is_integer(esc)) {
        if (json_integer_value(esc) == op->id)
            return sb_svc_fail(op->errmsg, SB_E_VALIDATION, "escalation_team_id: a team cannot escalate to itself");
        if (!sb_store_team_exists(w, json_integer_value(esc)))
            return sb_svc_fail(op->errmsg, SB_E_VALIDATION, "escalation_team_id %lld does not exist",
                               (long long)json_integer_value(esc));
    }
    json_t *oncall = json_object_get(f, "oncall");
    json_t *ids = json_object_get(oncall, "agent_ids"), *ovr = json_object_get(oncall, "overrides");
    size_t i;
    json_t *x;
    json_array_foreach(ids, i, x) if ((err = check_agent_ref(w, op->errmsg, "oncall.agent_ids:", x)) != SB_OK) return err;
    json_array_foreach(ovr, i, x) if ((err = check_agent_ref(w, op->errmsg, "oncall.overrides: agent_id",
                                                              json_object_get(x, "agent_id"))) != SB_OK) return err;
    if ((err = sb_store_team_set_routing(w, op->id, f)) != SB_OK)
        return err;
    if (json_object_get(f, "strategy") || json_object_get(f, "member_ids"))
        err = drain_team(w, op->id, now, NULL);
    return err;
}

/* ---- routing rules ---- */

sb_err sb_svc_rule_write(sb_db *w, void *arg)
{
    sb_rule_op *op = arg;
    int64_t now = sb_now();
    json_t *f = op->fields, *before = NULL;
    sb_err err;
    int64_t team = json_integer_value(json_object_get(f, "team_id"));
    if (team > 0 && !sb_store_team_exists(w, team))
        return sb_svc_fail(op->errmsg, SB_E_VALIDATION, "team_id %lld does not exist", (long long)team);
    char *cond = json_object_get(f, "conditions") ? json_dumps(json_object_get(f, "conditions"), JSON_COMPACT) : NULL;
    const char *name = json_string_value(json_object_get(f, "name"));
    int64_t pos = json_integer_value(json_object_get(f, "position"));
    json_t *en = json_object_get(f, "enabled");
    if (op->kind == 0) {
        if (sb_store_rule_count(w) >= SB_ROUTING_MAX_RULES) {
            free(cond);
            return sb_svc_fail(op->errmsg, SB_E_CONFLICT, "at most %d routing rules", SB_ROUTING_MAX_RULES);
        }
        err = sb_store_rule_insert(w, name, cond, team, pos, !en || json_is_true(en), now, &op->id);
    } else if (op->kind == 1) {
        err = sb_store_rule_update(w, op->id, name, cond, team, pos, en ? json_is_true(en) : -1, now);
    } else {
        before = sb_store_rule_get(w, op->id);
        err = sb_store_rule_delete(w, op->id);
    }
    free(cond);
    if (err == SB_E_NOT_FOUND)
        return sb_svc_fail(op->errmsg, err, "routing rule %lld not found", (long long)op->id);
    if (err != SB_OK) {
        json_decref(before);
        return err;
    }
    static const char *const types[] = {"routing_rule.created", "routing_rule.updated", "routing_rule.deleted"};
    json_t *rule = op->kind == 2 ? before : sb_store_rule_get(w, op->id);
    err = sb_svc_emit(w, types[op->kind], 0, 0, true, &op->actor, "routing_rule", rule, now);
    json_decref(rule);
    return err;
}

/* ---- on-call ---- */

static sb_err instant(const json_t *v, const char *key, int64_t *s, char *err, size_t errlen)
{
    int64_t ms;
    if (!json_is_string(v) || sb_time_parse(json_string_value(v), &ms) != 0) {
        snprintf(err, errlen, "oncall.%s must be an RFC 3339 instant", key);
        return SB_E_VALIDATION;
    }
    *s = ms / 1000;
    return SB_OK;
}

sb_err sb_svc_oncall_parse(const json_t *j, sb_oncall *oc, char *err, size_t errlen)
{
    memset(oc, 0, sizeof *oc);
#define BAD(...) return (snprintf(err, errlen, __VA_ARGS__), SB_E_VALIDATION)
    if (!json_is_object(j))
        BAD("oncall must be an object or null");
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)j, key, v)
    {
        if (strcmp(key, "agent_ids") && strcmp(key, "start") && strcmp(key, "length_days") &&
            strcmp(key, "length_hours") && strcmp(key, "timezone") && strcmp(key, "overrides"))
            BAD("oncall: unknown field \"%.64s\" (agent_ids, start, length_days, length_hours, timezone, overrides)", key);
    }
    json_t *ids = json_object_get(j, "agent_ids");
    if (!json_is_array(ids) || json_array_size(ids) == 0 || json_array_size(ids) > SB_ONCALL_MAX_AGENTS)
        BAD("oncall.agent_ids must be a list of 1 to %d agent ids", SB_ONCALL_MAX_AGENTS);
    size_t i;
    json_array_foreach(ids, i, v)
    {
        if (!json_is_integer(v) || json_integer_value(v) <= 0)
            BAD("oncall.agent_ids must be a list of agent ids");
        oc->agent_ids[oc->nagents++] = json_integer_value(v);
    }
    sb_err rc;
    if ((rc = instant(json_object_get(j, "start"), "start", &oc->start_s, err, errlen)) != SB_OK)
        return rc;
    json_t *days = json_object_get(j, "length_days"), *hours = json_object_get(j, "length_hours");
    if ((days != NULL) == (hours != NULL))
        BAD("oncall needs exactly one of length_days (local days, DST-aware) and length_hours");
    if (days && (!json_is_integer(days) || json_integer_value(days) < 1 || json_integer_value(days) > SB_ONCALL_MAX_DAYS))
        BAD("oncall.length_days must be an integer from 1 to %d", SB_ONCALL_MAX_DAYS);
    if (hours && (!json_is_integer(hours) || json_integer_value(hours) < 1 || json_integer_value(hours) > SB_ONCALL_MAX_HOURS))
        BAD("oncall.length_hours must be an integer from 1 to %d", SB_ONCALL_MAX_HOURS);
    oc->length_days = days ? (int32_t)json_integer_value(days) : 0;
    oc->length_s = hours ? json_integer_value(hours) * 3600 : 0;
    json_t *tzv = json_object_get(j, "timezone");
    if (tzv && !json_is_string(tzv))
        BAD("oncall.timezone must be a time-zone name");
    const char *tzname = tzv ? json_string_value(tzv) : "UTC";
    if (!sb_svc_timezone_ok(tzname))
        BAD("oncall.timezone \"%.64s\" is not a known time zone", tzname);
    oc->tz = cal_tz(tz_get(tzname));
    json_t *ovr = json_object_get(j, "overrides");
    if (ovr && (!json_is_array(ovr) || json_array_size(ovr) > SB_ONCALL_MAX_OVERRIDES))
        BAD("oncall.overrides must be a list of at most %d {agent_id, from, to}", SB_ONCALL_MAX_OVERRIDES);
    json_array_foreach(ovr, i, v)
    {
        sb_oncall_override *o = &oc->overrides[oc->noverrides++];
        json_t *aid = json_object_get(v, "agent_id");
        if (!json_is_object(v) || json_object_size(v) != 3 || !json_is_integer(aid) || json_integer_value(aid) <= 0)
            BAD("oncall.overrides[%zu] must be {agent_id, from, to}", i);
        o->agent_id = json_integer_value(aid);
        if ((rc = instant(json_object_get(v, "from"), "overrides.from", &o->from_s, err, errlen)) != SB_OK ||
            (rc = instant(json_object_get(v, "to"), "overrides.to", &o->to_s, err, errlen)) != SB_OK)
            return rc;
    }
#undef BAD
    char why[120];
    if (sb_oncall_check(oc, why, sizeof why) != SB_OK) {
        snprintf(err, errlen, "oncall: %s", why);
        return SB_E_VALIDATION;
    }
    return SB_OK;
}

static bool oncall_at(sb_db *db, int64_t team_id, int64_t at_ms, sb_oncall_answer *a)
{
    memset(a, 0, sizeof *a);
    a->turn = -1;
    json_t *team = sb_store_team_routing(db, team_id);
    if (!team)
        return false;
    json_t *j = json_object_get(team, "oncall");
    sb_oncall *oc = malloc(sizeof *oc);
    char err[200];
    if (oc && json_is_object(j) && sb_svc_oncall_parse(j, oc, err, sizeof err) == SB_OK)
        sb_oncall_at(oc, at_ms / 1000, a);
    free(oc);
    json_decref(team);
    return true;
}

int64_t sb_svc_oncall_agent(sb_db *db, int64_t team_id, int64_t at_ms)
{
    sb_oncall_answer a;
    if (!oncall_at(db, team_id, at_ms, &a) || a.agent_id <= 0 || !sb_store_agent_is_active(db, a.agent_id))
        return 0;
    return a.agent_id;
}

json_t *sb_svc_oncall_json(sb_db *db, int64_t team_id, int64_t at_ms)
{
    sb_oncall_answer a;
    if (!oncall_at(db, team_id, at_ms, &a))
        return NULL;
    static const char *const sources[] = {"none", "rotation", "override"};
    char at[32], from[32], to[32];
    sb_time_format(at_ms, at, sizeof at);
    sb_time_format(a.from_s * 1000, from, sizeof from);
    sb_time_format(a.to_s * 1000, to, sizeof to);
    bool active = a.agent_id > 0 && sb_store_agent_is_active(db, a.agent_id);
    json_t *o = json_pack("{s:I, s:s, s:s}", "team_id", (json_int_t)team_id, "at", at, "source", sources[a.source]);
    json_object_set_new(o, "agent_id", active ? json_integer(a.agent_id) : json_null());
    json_object_set_new(o, "from", a.source != SB_ONCALL_NONE ? json_string(from) : json_null());
    json_object_set_new(o, "to", a.to_s ? json_string(to) : json_null());
    json_object_set_new(o, "turn", a.turn >= 0 ? json_integer(a.turn) : json_null());
    if (active)
        json_object_set_new(o, "agent", sb_store_agent_get(db, a.agent_id));
    return o;
}
