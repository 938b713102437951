/* SLA in the service: calendars from the database, policy matching, the clock sync that every
 * conversation change runs, timers, warnings and breach alerts, webhooks, after-hours text. */
#include "service/sla.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/after_hours.h"
#include "core/conversation.h"
#include "core/sla.h"
#include "service/internal.h"
#include "store/store_sla.h"
#include "util/time.h"
#include "util/tz.h"

#define NO_DUE_MS 253402300799000LL
#define TZ_CACHE 64

/* ---- calendars ---- */

/* Zones are immutable and cost a millisecond to open: keep each one for the process's life. */
static pthread_mutex_t tz_mu = PTHREAD_MUTEX_INITIALIZER;
static sb_tz *tz_cache[TZ_CACHE];
static size_t tz_count;

static sb_tz *zone(const char *name)
{
    sb_tz *found = NULL;
    pthread_mutex_lock(&tz_mu);
    for (size_t i = 0; i < tz_count && !found; i++)
        if (strcmp(sb_tz_name(tz_cache[i]), name) == 0)
            found = tz_cache[i];
    if (!found && (found = sb_tz_open(name)) != NULL) {
        if (tz_count < TZ_CACHE) {
            tz_cache[tz_count++] = found;
        } else { /* more zones than any installation uses: do not cache, leak nothing */
            sb_tz_free(found);
            found = NULL;
        }
    }
    pthread_mutex_unlock(&tz_mu);
    return found;
}

static const int utc_offset = 0;

static sb_err attach_zone(sb_calendar *cal, char *err, size_t errlen)
{
    if (!cal->timezone[0] || strcmp(cal->timezone, "UTC") == 0) {
        cal->tz = sb_cal_tz_fixed(&utc_offset);
        return SB_OK;
    }
    sb_tz *tz = zone(cal->timezone);
    if (!tz) {
        if (err)
            snprintf(err, errlen, "unknown time zone \"%s\"", cal->timezone);
        return SB_E_VALIDATION;
    }
    cal->tz = (sb_cal_tz){.utc_offset_s = sb_tz_offset, .next_change_s = sb_tz_next_change, .ctx = tz};
    return SB_OK;
}

sb_err sb_svc_calendar_validate(const json_t *definition, char *err, size_t errlen)
{
    sb_calendar *cal = malloc(sizeof *cal);
    if (!cal)
        return SB_E_INTERNAL;
    sb_err e = sb_cal_from_json(cal, definition, err, errlen);
    if (e == SB_OK)
        e = attach_zone(cal, err, errlen);
    free(cal);
    return e;
}

sb_err sb_svc_calendar_load(sb_db *db, int64_t id, sb_calendar *out)
{
    if (id <= 0) {
        sb_cal_init(out);
        out->always_open = true;
        return sb_cal_finish(out, NULL, 0) == SB_OK ? attach_zone(out, NULL, 0) : SB_E_INTERNAL;
    }
    json_t *row = sb_store_calendar_get(db, id);
    if (!row)
        return SB_E_NOT_FOUND;
    sb_err e = sb_cal_from_json(out, json_object_get(row, "definition"), NULL, 0);
    json_decref(row);
    return e == SB_OK ? attach_zone(out, NULL, 0) : e;
}

/* ---- policies ---- */

static bool has_tag(const json_t *tags, const char *tag)
{
    size_t i;
    json_t *t;
    json_array_foreach(tags, i, t)
    {
        if (json_is_string(t) && strcasecmp(json_string_value(t), tag) == 0)
            return true;
    }
    return false;
}

/* The first policy (by position) whose conditions all hold, else the default one. */
static json_t *match_policy(sb_db *db, const json_t *conv)
{
    json_t *all = sb_store_sla_policy_list(db), *found = NULL, *dflt = NULL;
    size_t i;
    json_t *p;
    json_array_foreach(all, i, p)
    {
        json_t *cond = json_object_get(p, "conditions");
        if (json_is_true(json_object_get(p, "is_default")) && !dflt)
            dflt = p;
        if (!json_is_object(cond) || json_object_size(cond) == 0)
            continue;
        const char *ch = json_string_value(json_object_get(cond, "channel"));
        json_t *org = json_object_get(cond, "organization_id");
        const char *tag = json_string_value(json_object_get(cond, "tag"));
        if (ch && strcmp(ch, json_string_value(json_object_get(conv, "channel"))) != 0)
            continue;
        if (json_is_integer(org) &&
            json_integer_value(org) != json_integer_value(json_object_get(conv, "organization_id")))
            continue;
        if (tag && !has_tag(json_object_get(conv, "tags"), tag))
            continue;
        found = p;
        break;
    }
    if (!found)
        found = dflt;
    if (found)
        json_incref(found);
    json_decref(all);
    return found;
}

static sb_sla_policy to_policy(const json_t *p, const char *priority)
{
    sb_sla_policy out = {0};
    if (!p)
        return out;
    json_t *targets = json_object_get(p, "targets");
    json_t *t = json_object_get(targets, priority);
    if (!json_is_object(t))
        t = json_object_get(targets, "default");
    if (!json_is_object(t))
        t = json_object_get(targets, "normal");
    for (int k = 0; k < SB_SLA_N; k++)
        out.target_s[k] = json_integer_value(json_object_get(t, sb_sla_target_name((sb_sla_target)k))) * 60;
    out.pause_on_hold = json_is_true(json_object_get(p, "pause_on_hold"));
    out.warn_percent = (int)json_integer_value(json_object_get(p, "warn_percent"));
    out.warn_before_s = json_integer_value(json_object_get(p, "warn_before_minutes")) * 60;
    return out;
}

/* ---- clock state <-> JSON (the sla_data column) ---- */

typedef struct {
    sb_sla_state st;
    int64_t last_msg;
    int status;
    bool warn_sent[SB_SLA_N], breach_sent[SB_SLA_N];
} clocks;

static void clocks_load(clocks *c, const char *text)
{
    memset(c, 0, sizeof *c);
    sb_sla_init(&c->st);
    json_t *d = text ? json_loads(text, 0, NULL) : NULL;
    if (!d)
        return;
    c->st.started = json_is_true(json_object_get(d, "started"));
    c->st.paused = json_is_true(json_object_get(d, "paused"));
    c->st.status = (int)json_integer_value(json_object_get(d, "status"));
    c->status = c->st.status;
    c->last_msg = json_integer_value(json_object_get(d, "last_msg"));
    json_t *arr = json_object_get(d, "clocks");
    for (int t = 0; t < SB_SLA_N; t++) {
        json_t *k = json_array_get(arr, (size_t)t);
        int64_t f = json_integer_value(json_object_get(k, "f"));
        sb_sla_clock *cl = &c->st.c[t];
        cl->active = f & 1;
        cl->met = f & 2;
        cl->breached = f & 4;
        cl->warned = f & 8;
        c->warn_sent[t] = f & 16;
        c->breach_sent[t] = f & 32;
        cl->elapsed_s = json_integer_value(json_object_get(k, "e"));
        cl->since = json_is_integer(json_object_get(k, "s")) ? json_integer_value(json_object_get(k, "s")) : -1;
        cl->met_at = json_integer_value(json_object_get(k, "m"));
    }
    json_decref(d);
}

static char *clocks_dump(const clocks *c)
{
    json_t *arr = json_array();
    for (int t = 0; t < SB_SLA_N; t++) {
        const sb_sla_clock *cl = &c->st.c[t];
        int f = cl->active | cl->met << 1 | cl->breached << 2 | cl->warned << 3 | c->warn_sent[t] << 4 |
                c->breach_sent[t] << 5;
        json_array_append_new(arr, json_pack("{s:i, s:I, s:I, s:I}", "f", f, "e", (json_int_t)cl->elapsed_s, "s",
                                             (json_int_t)cl->since, "m", (json_int_t)cl->met_at));
    }
    json_t *d = json_pack("{s:i, s:b, s:b, s:i, s:I, s:o}", "v", 1, "started", c->st.started, "paused",
                          c->st.paused, "status", c->st.status, "last_msg", (json_int_t)c->last_msg, "clocks", arr);
    char *text = json_dumps(d, JSON_COMPACT);
    json_decref(d);
    return text;
}

static json_t *ts_or_null(int64_t s)
{
    if (!s)
        return json_null();
    char ts[40];
    sb_time_format(s * 1000, ts, sizeof ts);
    return json_string(ts);
}

static json_t *sla_object(const json_t *policy, const clocks *c, const sb_sla_view *v)
{
    json_t *breached = json_array(), *warning = json_array();
    for (int t = 0; t < SB_SLA_N; t++) {
        if (v->breached[t])
            json_array_append_new(breached, json_string(sb_sla_target_name((sb_sla_target)t)));
        if (v->warning[t])
            json_array_append_new(warning, json_string(sb_sla_target_name((sb_sla_target)t)));
    }
    return json_pack("{s:O, s:s, s:o, s:o, s:o, s:o, s:o, s:b}", "policy_id", json_object_get(policy, "id"), "state",
                     sb_sla_status_name(v->status), "first_response_due", ts_or_null(v->due[SB_SLA_FIRST]),
                     "next_response_due", ts_or_null(v->due[SB_SLA_NEXT]), "resolution_due",
                     ts_or_null(v->due[SB_SLA_RESOLUTION]), "breached", breached, "warning", warning, "paused",
                     c->st.paused && v->status != SB_SLA_MET);
}

/* ---- alerts ---- */

json_t *sb_svc_sla_alert_recipients(sb_db *db, int64_t conversation_id, const json_t *policy, int64_t at_ms)
{
    json_t *agents = json_array(), *emails = json_array();
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(policy, "alert_agent_ids"), i, v)
    {
        if (json_is_integer(v) && sb_store_agent_is_active(db, json_integer_value(v)))
            json_array_append(agents, v);
    }
    json_array_foreach(json_object_get(policy, "alert_emails"), i, v)
    {
        if (json_is_string(v))
            json_array_append(emails, v);
    }
    /* The conversation's team: whoever is on call now, and its supervisor, in-app and by mail. */
    json_t *conv = sb_store_conv_get(db, conversation_id);
    int64_t team_id = conv ? json_integer_value(json_object_get(conv, "team_id")) : 0;
    json_decref(conv);
    json_t *team = team_id ? sb_store_team_get(db, team_id) : NULL;
    int64_t extra[2] = {team_id ? sb_svc_oncall_agent(db, team_id, at_ms) : 0,
                        team ? json_integer_value(json_object_get(team, "supervisor_id")) : 0};
    json_decref(team);
    for (int k = 0; k < 2; k++) {
        if (!extra[k] || !sb_store_agent_is_active(db, extra[k]))
            continue;
        bool seen = false;
        json_array_foreach(agents, i, v) seen = seen || json_integer_value(v) == extra[k];
        if (!seen)
            json_array_append_new(agents, json_integer(extra[k]));
        json_t *a = sb_store_agent_get(db, extra[k]);
        const char *email = a ? json_string_value(json_object_get(a, "email")) : NULL;
        bool have = false;
        json_array_foreach(emails, i, v) have = have || (email && strcasecmp(json_string_value(v), email) == 0);
        if (email && !have)
            json_array_append_new(emails, json_string(email));
        json_decref(a);
    }
    return json_pack("{s:o, s:o}", "agent_ids", agents, "emails", emails);
}

sb_err sb_svc_webhooks_fire(sb_db *w, const char *type, json_t *data, int64_t now_ms)
{
    json_t *hooks = sb_store_webhook_list(w);
    char ts[40];
    sb_time_format(now_ms, ts, sizeof ts);
    json_t *body = json_pack("{s:s, s:s, s:O}", "type", type, "created_at", ts, "data", data);
    char *text = json_dumps(body, JSON_COMPACT);
    json_decref(body);
    sb_err err = text ? SB_OK : SB_E_INTERNAL;
    size_t i;
    json_t *h;
    json_array_foreach(hooks, i, h)
    {
        if (err != SB_OK)
            break;
        if (!json_is_true(json_object_get(h, "active")))
            continue;
        bool wanted = false;
        size_t j;
        json_t *e;
        json_array_foreach(json_object_get(h, "events"), j, e)
        {
            const char *name = json_string_value(e);
            if (name && (strcmp(name, "*") == 0 || strcmp(name, type) == 0))
                wanted = true;
        }
        if (!wanted)
            continue;
        json_t *payload = json_pack("{s:O, s:s}", "webhook_id", json_object_get(h, "id"), "body", text);
        err = sb_store_job_enqueue(w, "webhook.deliver", payload, now_ms, 8, NULL, now_ms, NULL);
        json_decref(payload);
    }
    free(text);
    json_decref(hooks);
    return err;
}

static sb_err alert_email(sb_db *w, const char *to, const char *subject, const char *text, int64_t now_ms)
{
    json_t *payload = json_pack("{s:s, s:s, s:s}", "to", to, "subject", subject, "text", text);
    sb_err err = sb_store_job_enqueue(w, "alert.email", payload, now_ms, 10, NULL, now_ms, NULL);
    json_decref(payload);
    return err;
}

static sb_err raise(sb_db *w, int64_t conv_id, const json_t *row, const json_t *policy, sb_sla_target t,
                    bool breach, int64_t due_s, int64_t now_ms)
{
    const char *target = sb_sla_target_name(t);
    char text[300], due[40] = "";
    if (due_s)
        sb_time_format(due_s * 1000, due, sizeof due);
    if (breach)
        snprintf(text, sizeof text, "SLA breached: %s target of conversation #%lld was missed", target,
                 (long long)conv_id);
    else
        snprintf(text, sizeof text, "SLA warning: %s of conversation #%lld is due at %s", target, (long long)conv_id,
                 due);
    json_t *data = json_pack("{s:I, s:s, s:O, s:o}", "conversation_id", (json_int_t)conv_id, "target", target,
                             "policy_id", json_object_get(policy, "id"), "due", due_s ? json_string(due) : json_null());
    sb_actor system = {"system", 0};
    const char *type = breach ? "sla.breached" : "sla.warning";
    sb_err err = sb_svc_emit(w, type, conv_id, 0, true, &system, "sla", data, now_ms);
    if (err == SB_OK)
        err = sb_svc_webhooks_fire(w, type, data, now_ms);
    json_decref(data);
    if (err != SB_OK)
        return err;
    int64_t assignee = json_integer_value(json_object_get(row, "assignee_id"));
    int64_t team = json_integer_value(json_object_get(row, "team_id"));
    if (!breach) {
        /* The assignee first; nobody assigned: the team; no team either: the alert list. */
        if (assignee)
            return sb_svc_notify(w, assignee, "sla.warning", conv_id, text);
        json_t *ids = team ? sb_store_team_member_ids(w, team) : NULL;
        if (json_array_size(ids) == 0) {
            json_decref(ids);
            json_t *r = sb_svc_sla_alert_recipients(w, conv_id, policy, now_ms);
            ids = json_incref(json_object_get(r, "agent_ids"));
            json_decref(r);
        }
        size_t i;
        json_t *v;
        json_array_foreach(ids, i, v)
        {
            if (err == SB_OK)
                err = sb_svc_notify(w, json_integer_value(v), "sla.warning", conv_id, text);
        }
        json_decref(ids);
        return err;
    }
    json_t *r = sb_svc_sla_alert_recipients(w, conv_id, policy, now_ms);
    char subject[200];
    snprintf(subject, sizeof subject, "[SLA breached] conversation #%lld: %s", (long long)conv_id, target);
    size_t i;
    json_t *v;
    bool assignee_told = false;
    json_array_foreach(json_object_get(r, "agent_ids"), i, v)
    {
        int64_t id = json_integer_value(v);
        assignee_told |= id == assignee;
        if (err == SB_OK)
            err = sb_svc_notify(w, id, "sla.breached", conv_id, text);
        json_t *a = err == SB_OK ? sb_store_agent_get(w, id) : NULL;
        const char *email = json_string_value(json_object_get(a, "email"));
        if (email && err == SB_OK)
            err = alert_email(w, email, subject, text, now_ms);
        json_decref(a);
    }
    json_array_foreach(json_object_get(r, "emails"), i, v)
    {
        if (err == SB_OK)
            err = alert_email(w, json_string_value(v), subject, text, now_ms);
    }
    if (err == SB_OK && assignee && !assignee_told)
        err = sb_svc_notify(w, assignee, "sla.breached", conv_id, text);
    json_decref(r);
    return err;
}

/* ---- the sync ---- */

sb_err sb_svc_sla_sync(sb_db *w, int64_t conv_id, int64_t now_ms, bool *changed)
{
    *changed = false;
    json_t *row = sb_store_sla_conv(w, conv_id);
    if (!row)
        return SB_E_NOT_FOUND;
    sb_err err = SB_OK;
    json_t *msgs = NULL, *policy = match_policy(w, row);
    sb_calendar *cal = malloc(sizeof *cal);
    char *data = NULL, *sla_text = NULL;
    if (!cal) {
        err = SB_E_INTERNAL;
        goto out;
    }
    int64_t cal_id = policy ? json_integer_value(json_object_get(policy, "calendar_id")) : 0;
    if (sb_svc_calendar_load(w, cal_id, cal) != SB_OK && sb_svc_calendar_load(w, 0, cal) != SB_OK) {
        err = SB_E_INTERNAL;
        goto out;
    }
    sb_sla_policy pol = to_policy(policy, json_string_value(json_object_get(row, "priority")));
    clocks c;
    const char *old_data = json_string_value(json_object_get(row, "sla_data"));
    clocks_load(&c, old_data);
    int64_t now_s = now_ms / 1000;
    int status = sb_status_parse(json_string_value(json_object_get(row, "status")));
    if (!old_data) {
        sb_sla_event ev = {SB_SLA_EV_START, json_integer_value(json_object_get(row, "created_ms")) / 1000,
                           SB_STATUS_OPEN};
        sb_sla_apply(&c.st, &pol, cal, &ev);
        c.status = SB_STATUS_OPEN;
    }
    int prev_status = c.st.status;
    msgs = sb_store_sla_messages_after(w, conv_id, c.last_msg);
    size_t i;
    json_t *m;
    json_array_foreach(msgs, i, m)
    {
        const char *dir = json_string_value(json_object_get(m, "direction"));
        const char *author = json_string_value(json_object_get(m, "author_type"));
        sb_sla_event ev = {.at = json_integer_value(json_object_get(m, "at_ms")) / 1000};
        c.last_msg = json_integer_value(json_object_get(m, "id"));
        if (strcmp(dir, "in") == 0 && strcmp(author, "contact") == 0)
            ev.kind = SB_SLA_EV_CUSTOMER;
        else if (strcmp(dir, "out") == 0 && strcmp(author, "agent") == 0)
            ev.kind = SB_SLA_EV_AGENT;
        else
            continue;
        bool next_was_active = c.st.c[SB_SLA_NEXT].active;
        sb_sla_apply(&c.st, &pol, cal, &ev);
        if (!next_was_active && c.st.c[SB_SLA_NEXT].active)
            c.warn_sent[SB_SLA_NEXT] = c.breach_sent[SB_SLA_NEXT] = false; /* a fresh clock */
    }
    if (status >= 0 && status != prev_status) {
        sb_sla_event ev = {SB_SLA_EV_STATUS, now_s, status};
        sb_sla_apply(&c.st, &pol, cal, &ev);
    }
    sb_sla_view v;
    sb_sla_evaluate(&c.st, &pol, cal, now_s, &v);
    json_t *obj = policy ? sla_object(policy, &c, &v) : NULL;
    sla_text = obj ? json_dumps(obj, JSON_COMPACT) : NULL;
    json_decref(obj);
    const char *old_sla = json_string_value(json_object_get(row, "sla_json"));
    *changed = (old_sla == NULL) != (sla_text == NULL) || (old_sla && strcmp(old_sla, sla_text) != 0);
    for (int t = 0; policy && t < SB_SLA_N && err == SB_OK; t++) {
        if (v.warning[t] && !c.warn_sent[t]) {
            c.warn_sent[t] = true;
            err = raise(w, conv_id, row, policy, (sb_sla_target)t, false, v.due[t], now_ms);
        }
        if (err == SB_OK && v.breached[t] && !c.breach_sent[t]) {
            c.breach_sent[t] = c.warn_sent[t] = true;
            err = raise(w, conv_id, row, policy, (sb_sla_target)t, true, v.due[t], now_ms);
        }
    }
    if (err != SB_OK)
        goto out;
    data = clocks_dump(&c);
    if ((err = sb_store_sla_save(w, conv_id, sla_text, policy ? sb_sla_status_name(v.status) : NULL,
                                 policy && v.nearest_due ? v.nearest_due * 1000 : NO_DUE_MS, data)) != SB_OK)
        goto out;
    char key[48];
    snprintf(key, sizeof key, "sla.check:%lld", (long long)conv_id);
    if (policy && v.next_check) {
        json_t *payload = json_pack("{s:I}", "conversation_id", (json_int_t)conv_id);
        err = sb_store_job_plan(w, "sla.check", payload, v.next_check * 1000, key, now_ms);
        json_decref(payload);
    } else if (old_data) {
        err = sb_store_job_cancel(w, key, now_ms);
    }
    if (err == SB_OK && status != prev_status && status == SB_STATUS_SOLVED)
        err = sb_svc_resolution_on_solved(w, conv_id, now_ms);
    if (err == SB_OK && status != prev_status && status == SB_STATUS_CLOSED)
        err = sb_svc_csat_on_closed(w, conv_id, now_ms);
out:
    free(data);
    free(sla_text);
    free(cal);
    json_decref(msgs);
    json_decref(policy);
    json_decref(row);
    return err;
}

sb_err sb_svc_sla_check(sb_db *w, void *arg)
{
    sb_sla_check_op *op = arg;
    int64_t now = sb_now();
    sb_actor system = {"system", 0};
    op->next_ms = 0;
    sb_conv c;
    if (sb_store_conv_load(w, op->conversation_id, &c) != SB_OK)
        return SB_OK; /* gone: nothing to check */
    sb_conv_release(&c);
    bool changed = false;
    sb_err err = sb_svc_sla_sync(w, op->conversation_id, now, &changed);
    if (err == SB_OK && changed) {
        json_t *changes = json_pack("[s]", "sla");
        err = sb_svc_emit_conversation(w, "conversation.updated", op->conversation_id, &system, changes, now);
        json_decref(changes);
    }
    /* The next check: the sync could not move this (running) job, so the runner does. */
    if (err == SB_OK) {
        json_t *row = sb_store_sla_conv(w, op->conversation_id);
        clocks cl;
        clocks_load(&cl, json_string_value(json_object_get(row, "sla_data")));
        json_t *policy = row ? match_policy(w, row) : NULL;
        sb_calendar *cal = malloc(sizeof *cal);
        if (policy && cal && sb_svc_calendar_load(w, json_integer_value(json_object_get(policy, "calendar_id")), cal) == SB_OK) {
            sb_sla_policy pol = to_policy(policy, json_string_value(json_object_get(row, "priority")));
            sb_sla_view v;
            sb_sla_evaluate(&cl.st, &pol, cal, now / 1000, &v);
            op->next_ms = v.next_check * 1000;
        }
        free(cal);
        json_decref(policy);
        json_decref(row);
    }
    return err;
}

/* ---- after hours ---- */

sb_err sb_svc_after_hours_text(sb_db *db, const char *scope, const char *locale, int64_t now_ms, char **out)
{
    *out = NULL;
    json_t *ah = sb_store_after_hours_get(db, scope);
    sb_err err = SB_E_NOT_FOUND;
    sb_calendar *cal = NULL;
    if (!ah || !json_is_true(json_object_get(ah, "enabled")) || !json_is_integer(json_object_get(ah, "calendar_id")))
        goto out;
    if (!(cal = malloc(sizeof *cal)) ||
        sb_svc_calendar_load(db, json_integer_value(json_object_get(ah, "calendar_id")), cal) != SB_OK)
        goto out;
    int64_t now_s = now_ms / 1000, open_s = 0;
    if (sb_cal_is_open(cal, now_s) || sb_cal_next_open(cal, now_s, &open_s) != SB_OK)
        goto out;
    const char *tpl = sb_ah_pick_template(json_object_get(ah, "templates"), locale);
    if (!tpl)
        tpl = "Hello,\n\nthank you for your message. Our team is away right now and will answer {{next_open}}.\n";
    sb_ah_when when = {locale, now_s, cal->tz.utc_offset_s(cal->tz.ctx, now_s), open_s,
                       cal->tz.utc_offset_s(cal->tz.ctx, open_s), cal->timezone[0] ? cal->timezone : "UTC"};
    size_t cap = strlen(tpl) + 1024;
    *out = malloc(cap);
    if (!*out) {
        err = SB_E_INTERNAL;
        goto out;
    }
    sb_ah_render(tpl, &when, *out, cap);
    err = SB_OK;
out:
    free(cal);
    json_decref(ah);
    return err;
}

/* ---- configuration writes ---- */

static const char *const object_names[] = {"calendar", "sla_policy", "webhook", "after_hours", "settings"};

static sb_err resync_all(sb_db *w, int64_t now)
{
    /* A policy change re-evaluates the conversations whose clocks still run. */
    sb_stmt *s = sb_db_prepare(w, "SELECT id FROM conversations WHERE status NOT IN ('closed') AND"
                                  " (sla_data IS NULL OR sla_state IS NULL OR sla_state NOT IN ('met'))"
                                  " ORDER BY id LIMIT 10000");
    json_t *ids = s ? sb_store_rows_json(s) : NULL;
    sb_err err = SB_OK;
    size_t i;
    json_t *r;
    sb_actor system = {"system", 0};
    json_array_foreach(ids, i, r)
    {
        bool changed = false;
        int64_t id = json_integer_value(json_object_get(r, "id"));
        if ((err = sb_svc_sla_sync(w, id, now, &changed)) != SB_OK)
            break;
        if (changed) {
            json_t *changes = json_pack("[s]", "sla");
            err = sb_svc_emit_conversation(w, "conversation.updated", id, &system, changes, now);
            json_decref(changes);
            if (err != SB_OK)
                break;
        }
    }
    json_decref(ids);
    return err;
}

sb_err sb_svc_sla_config_write(sb_db *w, void *arg)
{
    sb_sla_config_op *op = arg;
    int64_t now = sb_now();
    sb_err err = SB_E_INTERNAL;
    json_t *f = op->fields;
    switch (op->what) {
    case SB_SLA_CAL: {
        char *def = NULL;
        json_t *d = json_object_get(f, "definition");
        if (d)
            def = json_dumps(d, JSON_COMPACT);
        if (op->kind == SB_OP_DELETE)
            err = sb_store_calendar_delete(w, op->id);
        else
            err = sb_store_calendar_put(w, op->kind == SB_OP_UPDATE ? op->id : 0,
                                        json_string_value(json_object_get(f, "name")), def, now, &op->id);
        free(def);
        if (err == SB_E_CONFLICT)
            return sb_svc_fail(op->errmsg, err, op->kind == SB_OP_DELETE ? "the calendar is in use"
                                                                         : "a calendar with that name exists");
        break;
    }
    case SB_SLA_POLICY: {
        json_t *cal = json_object_get(f, "calendar_id");
        if (json_is_integer(cal)) {
            json_t *x = sb_store_calendar_get(w, json_integer_value(cal));
            if (!x)
                return sb_svc_fail(op->errmsg, SB_E_VALIDATION, "calendar_id %lld does not exist",
                                   (long long)json_integer_value(cal));
            json_decref(x);
        }
        err = op->kind == SB_OP_DELETE ? sb_store_sla_policy_delete(w, op->id)
                                       : sb_store_sla_policy_put(w, op->kind == SB_OP_UPDATE ? op->id : 0, f, now, &op->id);
        if (err == SB_E_CONFLICT)
            return sb_svc_fail(op->errmsg, err, "a policy with that name exists");
        if (err == SB_OK && json_is_true(json_object_get(f, "is_default"))) {
            sb_stmt *s = sb_db_prepare(w, "UPDATE sla_policies SET is_default = 0 WHERE id <> ?");
            if (s) {
                sb_db_bind_int(s, 1, op->id);
                sb_db_step(s);
                sb_db_reset(s);
            }
        }
        if (err == SB_OK)
            err = resync_all(w, now);
        break;
    }
    case SB_SLA_WEBHOOK:
        err = op->kind == SB_OP_DELETE ? sb_store_webhook_delete(w, op->id)
                                       : sb_store_webhook_put(w, op->kind == SB_OP_UPDATE ? op->id : 0, f, now, &op->id);
        break;
    case SB_SLA_AFTER_HOURS: {
        json_t *cal = json_object_get(f, "calendar_id");
        if (json_is_integer(cal)) {
            json_t *x = sb_store_calendar_get(w, json_integer_value(cal));
            if (!x)
                return sb_svc_fail(op->errmsg, SB_E_VALIDATION, "calendar_id %lld does not exist",
                                   (long long)json_integer_value(cal));
            json_decref(x);
        }
        err = sb_store_after_hours_put(w, op->scope, json_integer_value(cal),
                                       !json_is_false(json_object_get(f, "enabled")), json_object_get(f, "templates"), now);
        break;
    }
    case SB_SLA_SETTINGS: {
        const char *key;
        json_t *v;
        err = SB_OK;
        json_object_foreach(f, key, v)
        {
            char buf[64];
            const char *text = json_string_value(v);
            if (json_is_integer(v)) {
                snprintf(buf, sizeof buf, "%lld", (long long)json_integer_value(v));
                text = buf;
            } else if (json_is_null(v)) {
                text = "";
            }
            if (err == SB_OK && text)
                err = sb_store_setting_put(w, key, text);
        }
        break;
    }
    }
    if (err == SB_E_NOT_FOUND)
        return sb_svc_fail(op->errmsg, err, "%s %lld not found", object_names[op->what], (long long)op->id);
    return err;
}
