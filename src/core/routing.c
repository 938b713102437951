#include "core/routing.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "core/conversation.h"

static const char *const agent_status_names[] = {"online", "away", "offline"};
static const char *const strategy_names[] = {"round_robin", "least_loaded", "manual"};
static const char *const reason_names[] = {"account_manager", "round_robin", "least_loaded",
                                           "queued_manual", "queued_nobody_eligible", "no_team"};
/* The channels conversations arrive on (api/conversations.c accepts the same). */
static const char *const channels[] = {"api", "email", "widget", "webform", "telegram", "slack", "phone", NULL};

static int parse_name(const char *const *names, int n, const char *name)
{
    if (!name)
        return -1;
    for (int i = 0; i < n; i++)
        if (strcmp(names[i], name) == 0)
            return i;
    return -1;
}

int sb_agent_status_parse(const char *name) { return parse_name(agent_status_names, 3, name); }
const char *sb_agent_status_name(sb_agent_status s) { return (unsigned)s < 3 ? agent_status_names[s] : "offline"; }
int sb_route_strategy_parse(const char *name) { return parse_name(strategy_names, 3, name); }
const char *sb_route_strategy_name(sb_route_strategy s) { return (unsigned)s < 3 ? strategy_names[s] : "manual"; }
const char *sb_route_reason_name(sb_route_reason r) { return (unsigned)r < 6 ? reason_names[r] : "?"; }

bool sb_route_under_capacity(const sb_route_agent *a)
{
    return a->max_open < 0 || a->open_count < a->max_open;
}

bool sb_route_member_eligible(const sb_route_agent *a)
{
    return a->active && a->on_shift && a->status == SB_AGENT_ONLINE && sb_route_under_capacity(a);
}

bool sb_route_manager_eligible(const sb_route_agent *a)
{
    return a->active && a->on_shift && a->status != SB_AGENT_OFFLINE && sb_route_under_capacity(a);
}

/* ---- rules ---- */

static sb_err fail(char *err, size_t errlen, const char *key, const char *what)
{
    if (err && errlen)
        snprintf(err, errlen, "conditions.%s: %s", key, what);
    return SB_E_VALIDATION;
}

/* A condition: one value or a list of alternatives, into svals (strings) or ivals (ids). */
static sb_err each_value(const json_t *v, const char *key, bool strings, const char **svals, int64_t *ivals,
                         size_t *n, char *err, size_t errlen)
{
    const json_t *items[SB_ROUTE_MAX_VALUES];
    size_t count = 0;
    if (json_is_array(v)) {
        if (json_array_size(v) == 0)
            return fail(err, errlen, key, "an empty list matches nothing; leave the condition out instead");
        if (json_array_size(v) > SB_ROUTE_MAX_VALUES)
            return fail(err, errlen, key, "at most 16 alternatives");
        for (size_t i = 0; i < json_array_size(v); i++)
            items[count++] = json_array_get(v, i);
    } else {
        items[count++] = v;
    }
    for (size_t i = 0; i < count; i++) {
        const json_t *x = items[i];
        if (strings) {
            if (!json_is_string(x))
                return fail(err, errlen, key, "must be a string or a list of strings");
            size_t len = json_string_length(x);
            if (len == 0 || len > SB_ROUTE_MAX_VALUE_LEN || memchr(json_string_value(x), '\0', len))
                return fail(err, errlen, key, "values must be 1 to 64 bytes");
            svals[i] = json_string_value(x);
        } else {
            if (!json_is_integer(x) || json_integer_value(x) <= 0)
                return fail(err, errlen, key, "must be a positive id or a list of ids");
            ivals[i] = json_integer_value(x);
        }
    }
    *n = count;
    return SB_OK;
}

sb_err sb_route_rule_from_json(sb_route_rule *rule, const json_t *cond, char *err, size_t errlen)
{
    int64_t id = rule->id, team = rule->team_id;
    memset(rule, 0, sizeof *rule);
    rule->id = id;
    rule->team_id = team;
    if (!json_is_object(cond)) {
        if (err && errlen)
            snprintf(err, errlen, "conditions must be an object");
        return SB_E_VALIDATION;
    }
    const char *key;
    const json_t *v;
    json_object_foreach((json_t *)cond, key, v)
    {
        sb_err e;
        if (strcmp(key, "channel") == 0) {
            if ((e = each_value(v, key, true, rule->channels, NULL, &rule->nchannels, err, errlen)) != SB_OK)
                return e;
            for (size_t i = 0; i < rule->nchannels; i++)
                if (parse_name(channels, 7, rule->channels[i]) < 0)
                    return fail(err, errlen, key, "must be api, email, widget, webform, telegram, slack or phone");
        } else if (strcmp(key, "category") == 0) {
            if ((e = each_value(v, key, true, rule->categories, NULL, &rule->ncategories, err, errlen)) != SB_OK)
                return e;
        } else if (strcmp(key, "tag") == 0) {
            if ((e = each_value(v, key, true, rule->tags, NULL, &rule->ntags, err, errlen)) != SB_OK)
                return e;
        } else if (strcmp(key, "mailbox_id") == 0) {
            if ((e = each_value(v, key, false, NULL, rule->mailboxes, &rule->nmailboxes, err, errlen)) != SB_OK)
                return e;
        } else if (strcmp(key, "organization_id") == 0) {
            if ((e = each_value(v, key, false, NULL, rule->orgs, &rule->norgs, err, errlen)) != SB_OK)
                return e;
        } else if (strcmp(key, "priority") == 0) {
            const char *names[SB_ROUTE_MAX_VALUES];
            size_t n = 0;
            if ((e = each_value(v, key, true, names, NULL, &n, err, errlen)) != SB_OK)
                return e;
            for (size_t i = 0; i < n; i++) {
                int p = sb_priority_parse(names[i]);
                if (p < 0)
                    return fail(err, errlen, key, "must be low, normal, high or urgent");
                rule->priorities |= 1u << p;
            }
        } else {
            if (err && errlen)
                snprintf(err, errlen, "conditions: unknown condition \"%.64s\" (channel, mailbox_id, category, tag,"
                                      " organization_id, priority)", key);
            return SB_E_VALIDATION;
        }
    }
    return SB_OK;
}

static bool str_in(const char *s, const char *const *list, size_t n)
{
    if (!s)
        return false;
    for (size_t i = 0; i < n; i++)
        if (strcasecmp(s, list[i]) == 0)
            return true;
    return false;
}

static bool id_in(int64_t v, const int64_t *list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (v == list[i])
            return true;
    return false;
}

bool sb_route_rule_matches(const sb_route_rule *r, const sb_route_facts *f)
{
    if (r->nchannels && !str_in(f->channel, r->channels, r->nchannels))
        return false;
    if (r->ncategories && !str_in(f->category, r->categories, r->ncategories))
        return false;
    if (r->nmailboxes && (f->mailbox_id <= 0 || !id_in(f->mailbox_id, r->mailboxes, r->nmailboxes)))
        return false;
    if (r->norgs && (f->organization_id <= 0 || !id_in(f->organization_id, r->orgs, r->norgs)))
        return false;
    if (r->priorities && (f->priority < 0 || f->priority >= 32 || !(r->priorities & (1u << f->priority))))
        return false;
    if (r->ntags) {
        bool any = false;
        for (size_t i = 0; i < f->ntags && !any; i++)
            any = str_in(f->tags[i], r->tags, r->ntags);
        if (!any)
            return false;
    }
    return true;
}

int64_t sb_route_choose_team(const sb_route_facts *facts, const sb_route_rule *rules, size_t nrules,
                             int64_t fixed_team_id, int64_t mailbox_team_id, int64_t *rule_id)
{
    *rule_id = 0;
    if (fixed_team_id > 0)
        return fixed_team_id;
    for (size_t i = 0; i < nrules; i++)
        if (sb_route_rule_matches(&rules[i], facts)) {
            *rule_id = rules[i].id;
            return rules[i].team_id;
        }
    return mailbox_team_id > 0 ? mailbox_team_id : 0;
}

/* ---- choosing the agent ---- */

static int cmp_i64(int64_t a, int64_t b)
{
    return a < b ? -1 : a > b;
}

int sb_route_rr_compare(const sb_route_agent *a, const sb_route_agent *b)
{
    int c = cmp_i64(a->last_assigned, b->last_assigned);
    return c ? c : cmp_i64(a->id, b->id);
}

int sb_route_ll_compare(const sb_route_agent *a, const sb_route_agent *b)
{
    int c = cmp_i64(a->open_count, b->open_count);
    return c ? c : sb_route_rr_compare(a, b);
}

sb_route_result sb_route_decide(const sb_route_input *in)
{
    sb_route_result res = {.team_id = in->team_id, .assignee_id = 0, .reason = SB_ROUTED_NO_TEAM};
    if (in->manager && sb_route_manager_eligible(in->manager)) {
        res.assignee_id = in->manager->id;
        res.reason = SB_ROUTED_ACCOUNT_MANAGER;
        return res;
    }
    if (in->team_id <= 0)
        return res;
    if (in->strategy == SB_STRATEGY_MANUAL) {
        res.reason = SB_ROUTED_QUEUED_MANUAL;
        return res;
    }
    int (*cmp)(const sb_route_agent *, const sb_route_agent *) =
        in->strategy == SB_STRATEGY_LEAST_LOADED ? sb_route_ll_compare : sb_route_rr_compare;
    const sb_route_agent *best = NULL;
    for (size_t i = 0; i < in->ncandidates; i++) {
        const sb_route_agent *a = &in->candidates[i];
        if (sb_route_member_eligible(a) && (!best || cmp(a, best) < 0))
            best = a;
    }
    if (!best) {
        res.reason = SB_ROUTED_QUEUED_NOBODY;
        return res;
    }
    res.assignee_id = best->id;
    res.reason = in->strategy == SB_STRATEGY_LEAST_LOADED ? SB_ROUTED_LEAST_LOADED : SB_ROUTED_ROUND_ROBIN;
    return res;
}
