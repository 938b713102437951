/* SLA configuration (calendars, policies, webhooks, after-hours, settings), CSAT figures, the
 * inbox's SLA filter and order, and the customer's public resolution and survey pages. */
#include <ctype.h>
#include <microhttpd.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "core/conversation.h"
#include "service/sla.h"
#include "store/store_sla.h"
#include "util/buf.h"
#include "util/time.h"

#define MAX_NAME 200
#define MAX_MINUTES 525600 /* a target of at most a year of business minutes */
#define MAX_ALERT_LIST 50
#define MAX_EVENTS 50
#define MAX_TEMPLATES 20

/* ---- configuration writes ---- */

typedef struct {
    sb_sla_config_op op;
    char scope[80];
    json_t *fields; /* owned */
} config_req;

static void config_free(void *arg)
{
    config_req *c = arg;
    json_decref(c->fields);
    free(c);
}

static int submit(sb_req *r, sb_sla_object what, sb_op_kind kind, json_t *fields, const char *scope)
{
    config_req *c = calloc(1, sizeof *c);
    if (!c) {
        json_decref(fields);
        return sb_req_fail(r, SB_E_INTERNAL, "out of memory");
    }
    c->fields = fields ? fields : json_object();
    c->op = (sb_sla_config_op){.actor = sb_api_actor(r), .what = what, .kind = kind, .fields = c->fields};
    if (r->nids)
        c->op.id = r->ids[0];
    if (scope) {
        snprintf(c->scope, sizeof c->scope, "%s", scope);
        c->op.scope = c->scope;
    }
    return sb_req_submit(r, sb_svc_sla_config_write, c, config_free, c->op.errmsg);
}

static json_t *calendar_view(json_t *row)
{
    if (!row)
        return NULL;
    json_t *def = json_object_get(row, "definition");
    json_t *o = json_pack("{s:O, s:O}", "id", json_object_get(row, "id"), "name", json_object_get(row, "name"));
    json_object_update(o, def);
    json_object_set(o, "created_at", json_object_get(row, "created_at"));
    json_object_set(o, "updated_at", json_object_get(row, "updated_at"));
    json_decref(row);
    return o;
}

static json_t *object_get(sb_req *r, sb_sla_object what, int64_t id, const char *scope)
{
    sb_db *db = sb_req_db(r);
    switch (what) {
    case SB_SLA_CAL: return calendar_view(sb_store_calendar_get(db, id));
    case SB_SLA_POLICY: return sb_store_sla_policy_get(db, id);
    case SB_SLA_WEBHOOK: return sb_store_webhook_get(db, id, false);
    case SB_SLA_AFTER_HOURS: {
        json_t *o = sb_store_after_hours_get(db, scope);
        return o ? o : json_pack("{s:s, s:n, s:b, s:{}}", "scope", scope, "calendar_id", "enabled", 0, "templates");
    }
    case SB_SLA_SETTINGS: {
        static const char *const keys[] = {SB_SETTING_BASE_URL, SB_SETTING_AUTOCLOSE_DAYS, SB_SETTING_ALERT_MAILBOX};
        json_t *o = json_object();
        for (size_t i = 0; i < 3; i++) {
            char *v = sb_store_setting_get(db, keys[i]);
            if (i == 0)
                json_object_set_new(o, keys[i], v && *v ? json_string(v) : json_null());
            else if (i == 1)
                json_object_set_new(o, keys[i], json_integer(v && *v ? strtoll(v, NULL, 10) : SB_AUTOCLOSE_DEFAULT_DAYS));
            else
                json_object_set_new(o, keys[i], v && *v ? json_integer(strtoll(v, NULL, 10)) : json_null());
            free(v);
        }
        return o;
    }
    }
    return NULL;
}

int sb_api_sla_config_finish(sb_req *r)
{
    config_req *c = r->op;
    if (c->op.kind == SB_OP_DELETE) {
        r->status = 204;
        return SB_OK;
    }
    json_t *o = object_get(r, c->op.what, c->op.id, c->op.scope);
    if (!o)
        return sb_req_fail(r, SB_E_INTERNAL, "the object vanished");
    if (c->op.what == SB_SLA_WEBHOOK && c->op.kind == SB_OP_CREATE) /* the secret, shown once */
        json_object_set(o, "secret", json_object_get(c->fields, "secret"));
    return sb_req_json(r, c->op.kind == SB_OP_CREATE ? 201 : 200, o);
}

static int list(sb_req *r, json_t *items)
{
    if (!items)
        return sb_req_fail(r, SB_E_INTERNAL, "query failed");
    return sb_req_json(r, 200, json_pack("{s:o}", "items", items));
}

/* ---- calendars ---- */

static int calendar_write(sb_req *r, sb_op_kind kind)
{
    int rc;
    const char *name;
    if ((rc = sb_api_need_object(r)) != SB_OK ||
        (rc = sb_api_str(r, "name", kind == SB_OP_CREATE, false, MAX_NAME, &name)) != SB_OK)
        return rc;
    json_t *def = json_deep_copy(r->body);
    json_object_del(def, "name");
    json_t *fields = json_object();
    if (name)
        json_object_set_new(fields, "name", json_string(name));
    if (json_object_size(def) || kind == SB_OP_CREATE) {
        char err[256] = "";
        if (sb_svc_calendar_validate(def, err, sizeof err) != SB_OK) {
            json_decref(def);
            json_decref(fields);
            return sb_req_fail(r, SB_E_VALIDATION, "%s", err[0] ? err : "invalid calendar");
        }
        json_object_set(fields, "definition", def);
    }
    json_decref(def);
    return submit(r, SB_SLA_CAL, kind, fields, NULL);
}

int sb_api_calendars_list(sb_req *r)
{
    json_t *rows = sb_store_calendar_list(sb_req_db(r)), *items = json_array();
    size_t i;
    json_t *row;
    json_array_foreach(rows, i, row)
    {
        json_array_append_new(items, calendar_view(json_incref(row)));
    }
    json_decref(rows);
    return list(r, items);
}

int sb_api_calendar_get(sb_req *r)
{
    json_t *o = object_get(r, SB_SLA_CAL, r->ids[0], NULL);
    return o ? sb_req_json(r, 200, o) : sb_api_not_found(r, "calendar", r->ids[0]);
}

int sb_api_calendar_create(sb_req *r) { return calendar_write(r, SB_OP_CREATE); }
int sb_api_calendar_update(sb_req *r) { return calendar_write(r, SB_OP_UPDATE); }
int sb_api_calendar_delete(sb_req *r) { return submit(r, SB_SLA_CAL, SB_OP_DELETE, NULL, NULL); }

/* ---- policies ---- */

static int check_minutes(sb_req *r, const char *where, json_t *v)
{
    if (json_is_null(v))
        return SB_OK;
    if (!json_is_integer(v))
        return sb_req_fail(r, SB_E_BAD_REQUEST, "%s must be an integer (business minutes) or null", where);
    if (json_integer_value(v) < 1 || json_integer_value(v) > MAX_MINUTES)
        return sb_req_fail(r, SB_E_VALIDATION, "%s must be 1 to %d business minutes", where, MAX_MINUTES);
    return SB_OK;
}

static int check_targets(sb_req *r, json_t *t)
{
    if (!json_is_object(t))
        return sb_req_fail(r, SB_E_BAD_REQUEST, "\"targets\" must be an object by priority");
    const char *prio;
    json_t *v;
    json_object_foreach(t, prio, v)
    {
        if (sb_priority_parse(prio) < 0 && strcmp(prio, "default") != 0)
            return sb_req_fail(r, SB_E_VALIDATION, "targets: unknown priority \"%.32s\"", prio);
        if (!json_is_object(v))
            return sb_req_fail(r, SB_E_BAD_REQUEST, "targets.%s must be an object", prio);
        const char *k;
        json_t *m;
        json_object_foreach(v, k, m)
        {
            char where[96];
            snprintf(where, sizeof where, "targets.%s.%.32s", prio, k);
            if (strcmp(k, "first_response") != 0 && strcmp(k, "next_response") != 0 && strcmp(k, "resolution") != 0)
                return sb_req_fail(r, SB_E_VALIDATION, "%s: the targets are first_response, next_response, resolution",
                                   where);
            int rc = check_minutes(r, where, m);
            if (rc != SB_OK)
                return rc;
        }
    }
    return SB_OK;
}

static int check_conditions(sb_req *r, json_t *c)
{
    if (!json_is_object(c))
        return sb_req_fail(r, SB_E_BAD_REQUEST, "\"conditions\" must be an object");
    const char *k;
    json_t *v;
    json_object_foreach(c, k, v)
    {
        if (strcmp(k, "channel") == 0 || strcmp(k, "tag") == 0) {
            if (!json_is_string(v) || json_string_length(v) == 0 || json_string_length(v) > 64)
                return sb_req_fail(r, SB_E_VALIDATION, "conditions.%s must be a string of 1 to 64 bytes", k);
        } else if (strcmp(k, "organization_id") == 0) {
            if (!json_is_integer(v) || json_integer_value(v) <= 0)
                return sb_req_fail(r, SB_E_VALIDATION, "conditions.organization_id must be an id");
        } else {
            return sb_req_fail(r, SB_E_VALIDATION, "conditions: unknown condition \"%.32s\" (channel, organization_id, tag)", k);
        }
    }
    return SB_OK;
}

static int check_int(sb_req *r, const char *key, int64_t lo, int64_t hi)
{
    json_t *v = json_object_get(r->body, key);
    if (!v)
        return SB_OK;
    if (!json_is_integer(v))
        return sb_req_fail(r, SB_E_BAD_REQUEST, "\"%s\" must be an integer", key);
    if (json_integer_value(v) < lo || json_integer_value(v) > hi)
        return sb_req_fail(r, SB_E_VALIDATION, "\"%s\" must be %lld to %lld", key, (long long)lo, (long long)hi);
    return SB_OK;
}

static bool email_like(const char *s)
{
    const char *at = strchr(s, '@');
    return at && at != s && at[1] && strlen(s) <= 254 && !strpbrk(s, " \t\r\n<>,;\"") && !strchr(at + 1, '@');
}

static int check_alerts(sb_req *r)
{
    json_t *ids = json_object_get(r->body, "alert_agent_ids"), *emails = json_object_get(r->body, "alert_emails");
    size_t i;
    json_t *v;
    if (ids) {
        if (!json_is_array(ids) || json_array_size(ids) > MAX_ALERT_LIST)
            return sb_req_fail(r, SB_E_VALIDATION, "alert_agent_ids must be an array of at most %d ids", MAX_ALERT_LIST);
        json_array_foreach(ids, i, v)
        {
            if (!json_is_integer(v) || !sb_store_agent_is_active(sb_req_db(r), json_integer_value(v)))
                return sb_req_fail(r, SB_E_VALIDATION, "alert_agent_ids[%zu] is not an active agent", i);
        }
    }
    if (emails) {
        if (!json_is_array(emails) || json_array_size(emails) > MAX_ALERT_LIST)
            return sb_req_fail(r, SB_E_VALIDATION, "alert_emails must be an array of at most %d addresses", MAX_ALERT_LIST);
        json_array_foreach(emails, i, v)
        {
            if (!json_is_string(v) || !email_like(json_string_value(v)))
                return sb_req_fail(r, SB_E_VALIDATION, "alert_emails[%zu] is not an email address", i);
        }
    }
    return SB_OK;
}

static int policy_write(sb_req *r, sb_op_kind kind)
{
    static const char *const fields[] = {"name", "position", "is_default", "calendar_id", "targets", "conditions",
                                         "pause_on_hold", "warn_percent", "warn_before_minutes", "alert_agent_ids",
                                         "alert_emails", NULL};
    int rc;
    const char *name;
    bool present, b;
    int64_t cal;
    if ((rc = sb_api_need_object(r)) != SB_OK || (rc = sb_api_only(r, fields)) != SB_OK ||
        (rc = sb_api_str(r, "name", kind == SB_OP_CREATE, false, MAX_NAME, &name)) != SB_OK ||
        (rc = check_int(r, "position", -1000000, 1000000)) != SB_OK ||
        (rc = sb_api_bool(r, "is_default", &present, &b)) != SB_OK ||
        (rc = sb_api_bool(r, "pause_on_hold", &present, &b)) != SB_OK ||
        (rc = sb_api_id(r, "calendar_id", &present, &cal)) != SB_OK ||
        (rc = check_int(r, "warn_percent", 0, 99)) != SB_OK ||
        (rc = check_int(r, "warn_before_minutes", 0, MAX_MINUTES)) != SB_OK || (rc = check_alerts(r)) != SB_OK)
        return rc;
    json_t *t = json_object_get(r->body, "targets"), *c = json_object_get(r->body, "conditions");
    if (kind == SB_OP_CREATE && !t)
        return sb_req_fail(r, SB_E_VALIDATION, "\"targets\" is required");
    if ((t && (rc = check_targets(r, t)) != SB_OK) || (c && (rc = check_conditions(r, c)) != SB_OK))
        return rc;
    return submit(r, SB_SLA_POLICY, kind, json_deep_copy(r->body), NULL);
}

int sb_api_sla_policies_list(sb_req *r) { return list(r, sb_store_sla_policy_list(sb_req_db(r))); }
int sb_api_sla_policy_get(sb_req *r)
{
    json_t *o = sb_store_sla_policy_get(sb_req_db(r), r->ids[0]);
    return o ? sb_req_json(r, 200, o) : sb_api_not_found(r, "sla policy", r->ids[0]);
}
int sb_api_sla_policy_create(sb_req *r) { return policy_write(r, SB_OP_CREATE); }
int sb_api_sla_policy_update(sb_req *r) { return policy_write(r, SB_OP_UPDATE); }
int sb_api_sla_policy_delete(sb_req *r) { return submit(r, SB_SLA_POLICY, SB_OP_DELETE, NULL, NULL); }

/* ---- webhooks ---- */

static int webhook_write(sb_req *r, sb_op_kind kind)
{
    static const char *const fields[] = {"url", "secret", "events", "active", NULL};
    int rc;
    const char *url, *secret;
    bool present, b;
    if ((rc = sb_api_need_object(r)) != SB_OK || (rc = sb_api_only(r, fields)) != SB_OK ||
        (rc = sb_api_str(r, "url", kind == SB_OP_CREATE, false, SB_WEBHOOK_URL_MAX, &url)) != SB_OK ||
        (rc = sb_api_str(r, "secret", false, false, 256, &secret)) != SB_OK ||
        (rc = sb_api_bool(r, "active", &present, &b)) != SB_OK)
        return rc;
    if (url && strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0)
        return sb_req_fail(r, SB_E_VALIDATION, "url must start with http:// or https://");
    if (url && strpbrk(url, " \t\r\n"))
        return sb_req_fail(r, SB_E_VALIDATION, "url must not contain spaces");
    if (secret && strlen(secret) < 16)
        return sb_req_fail(r, SB_E_VALIDATION, "secret must be at least 16 bytes");
    json_t *ev = json_object_get(r->body, "events");
    if (ev) {
        size_t i;
        json_t *v;
        if (!json_is_array(ev) || json_array_size(ev) == 0 || json_array_size(ev) > MAX_EVENTS)
            return sb_req_fail(r, SB_E_VALIDATION, "events must be an array of 1 to %d event types", MAX_EVENTS);
        json_array_foreach(ev, i, v)
        {
            if (!json_is_string(v) || json_string_length(v) == 0 || json_string_length(v) > 64)
                return sb_req_fail(r, SB_E_VALIDATION, "events[%zu] must be an event type such as sla.breached", i);
        }
    }
    json_t *f = json_deep_copy(r->body);
    if (kind == SB_OP_CREATE && !secret) { /* one the receiver can copy from the answer */
        unsigned char raw[24];
        char hex[49];
        randombytes_buf(raw, sizeof raw);
        sodium_bin2hex(hex, sizeof hex, raw, sizeof raw);
        json_object_set_new(f, "secret", json_string(hex));
    }
    return submit(r, SB_SLA_WEBHOOK, kind, f, NULL);
}

int sb_api_webhooks_list(sb_req *r) { return list(r, sb_store_webhook_list(sb_req_db(r))); }
int sb_api_webhook_get(sb_req *r)
{
    json_t *o = sb_store_webhook_get(sb_req_db(r), r->ids[0], false);
    return o ? sb_req_json(r, 200, o) : sb_api_not_found(r, "webhook", r->ids[0]);
}
int sb_api_webhook_create(sb_req *r) { return webhook_write(r, SB_OP_CREATE); }
int sb_api_webhook_update(sb_req *r) { return webhook_write(r, SB_OP_UPDATE); }
int sb_api_webhook_delete(sb_req *r) { return submit(r, SB_SLA_WEBHOOK, SB_OP_DELETE, NULL, NULL); }

/* ---- after hours: /api/v1/after-hours/mailbox-<id> or /api/v1/after-hours/<channel> ---- */

static int scope_of(sb_req *r, char scope[80])
{
    const char *s = r->path + strlen("/api/v1/after-hours/");
    if (strncmp(s, "mailbox-", 8) == 0) {
        char *end;
        long long id = strtoll(s + 8, &end, 10);
        if (id <= 0 || *end)
            return sb_req_fail(r, SB_E_NOT_FOUND, "no such mailbox");
        json_t *mb = sb_store_mailbox_get(sb_req_db(r), id);
        if (!mb)
            return sb_req_fail(r, SB_E_NOT_FOUND, "mailbox %lld not found", id);
        json_decref(mb);
        snprintf(scope, 80, "mailbox:%lld", id);
        return SB_OK;
    }
    static const char *const channels[] = {"widget", "webform", "email", "api", "telegram", "slack", "phone", NULL};
    for (const char *const *c = channels; *c; c++)
        if (strcmp(s, *c) == 0) {
            snprintf(scope, 80, "channel:%s", s);
            return SB_OK;
        }
    return sb_req_fail(r, SB_E_NOT_FOUND, "after-hours settings are per mailbox (mailbox-<id>) or channel");
}

int sb_api_after_hours_get(sb_req *r)
{
    char scope[80];
    int rc = scope_of(r, scope);
    if (rc != SB_OK)
        return rc;
    json_t *o = object_get(r, SB_SLA_AFTER_HOURS, 0, scope);
    const char *locale = sb_req_query(r, "locale");
    char *text = NULL;
    /* What a customer writing now would get (null when the team is open). */
    if (sb_svc_after_hours_text(sb_req_db(r), scope, locale && *locale ? locale : "en", sb_now(), &text) == SB_OK)
        json_object_set_new(o, "reply_now", json_string(text));
    else
        json_object_set_new(o, "reply_now", json_null());
    free(text);
    return sb_req_json(r, 200, o);
}

int sb_api_after_hours_put(sb_req *r)
{
    static const char *const fields[] = {"calendar_id", "enabled", "templates", NULL};
    char scope[80];
    int rc;
    bool present, b;
    int64_t cal;
    if ((rc = scope_of(r, scope)) != SB_OK || (rc = sb_api_need_object(r)) != SB_OK ||
        (rc = sb_api_only(r, fields)) != SB_OK || (rc = sb_api_id(r, "calendar_id", &present, &cal)) != SB_OK ||
        (rc = sb_api_bool(r, "enabled", &present, &b)) != SB_OK)
        return rc;
    json_t *t = json_object_get(r->body, "templates");
    if (t) {
        if (!json_is_object(t) || json_object_size(t) > MAX_TEMPLATES)
            return sb_req_fail(r, SB_E_VALIDATION, "templates must be an object of at most %d languages", MAX_TEMPLATES);
        const char *lang;
        json_t *v;
        json_object_foreach(t, lang, v)
        {
            size_t n = strlen(lang);
            if (n < 2 || n > 16 || strspn(lang, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-_") != n)
                return sb_req_fail(r, SB_E_VALIDATION, "templates: \"%.20s\" is not a language tag", lang);
            if (!json_is_string(v) || json_string_length(v) == 0 || json_string_length(v) > 4000)
                return sb_req_fail(r, SB_E_VALIDATION, "templates.%s must be a text of 1 to 4000 bytes", lang);
        }
    }
    return submit(r, SB_SLA_AFTER_HOURS, SB_OP_UPDATE, json_deep_copy(r->body), scope);
}

/* ---- settings ---- */

int sb_api_sla_settings_get(sb_req *r) { return sb_req_json(r, 200, object_get(r, SB_SLA_SETTINGS, 0, NULL)); }

int sb_api_sla_settings_update(sb_req *r)
{
    static const char *const fields[] = {SB_SETTING_BASE_URL, SB_SETTING_AUTOCLOSE_DAYS, SB_SETTING_ALERT_MAILBOX, NULL};
    int rc;
    const char *url;
    bool present;
    int64_t mb;
    if ((rc = sb_api_need_object(r)) != SB_OK || (rc = sb_api_only(r, fields)) != SB_OK ||
        (rc = sb_api_str(r, SB_SETTING_BASE_URL, false, true, 500, &url)) != SB_OK ||
        (rc = check_int(r, SB_SETTING_AUTOCLOSE_DAYS, 0, 365)) != SB_OK ||
        (rc = sb_api_id(r, SB_SETTING_ALERT_MAILBOX, &present, &mb)) != SB_OK)
        return rc;
    if (url && *url && ((strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0) ||
                        strpbrk(url, " \t\r\n\"<>") || url[strlen(url) - 1] == '/'))
        return sb_req_fail(r, SB_E_VALIDATION, "public_base_url must be http(s)://host[:port][/path] without a final /");
    if (mb) {
        json_t *m = sb_store_mailbox_get(sb_req_db(r), mb);
        if (!m)
            return sb_req_fail(r, SB_E_VALIDATION, "alert_mailbox_id %lld does not exist", (long long)mb);
        json_decref(m);
    }
    return submit(r, SB_SLA_SETTINGS, SB_OP_UPDATE, json_deep_copy(r->body), NULL);
}

/* ---- CSAT figures ---- */

static int query_time(sb_req *r, const char *key, int64_t *out)
{
    const char *v = sb_req_query(r, key);
    *out = 0;
    if (!v || !*v)
        return SB_OK;
    if (sb_time_parse(v, out) < 0)
        return sb_req_fail(r, SB_E_BAD_REQUEST, "%s must be an RFC 3339 time", key);
    return SB_OK;
}

int sb_api_csat_list(sb_req *r)
{
    int64_t from, to, agent = 0, team = 0;
    int rc;
    if ((rc = query_time(r, "from", &from)) != SB_OK || (rc = query_time(r, "to", &to)) != SB_OK ||
        (rc = sb_api_query_id(r, "agent_id", &agent)) != SB_OK || (rc = sb_api_query_id(r, "team_id", &team)) != SB_OK)
        return rc;
    json_t *items = sb_store_csat_list(sb_req_db(r), from, to, agent > 0 ? agent : 0, team > 0 ? team : 0);
    if (!items)
        return sb_req_fail(r, SB_E_INTERNAL, "query failed");
    static const char *const ratings[] = {"excellent", "good", "okay", "poor"};
    json_int_t counts[4] = {0};
    size_t i;
    json_t *it;
    json_array_foreach(items, i, it)
    {
        const char *rt = json_string_value(json_object_get(it, "rating"));
        for (int k = 0; k < 4; k++)
            if (rt && strcmp(rt, ratings[k]) == 0)
                counts[k]++;
    }
    size_t n = json_array_size(items);
    json_t *score = n ? json_real((double)(counts[0] + counts[1]) / (double)n) : json_null();
    return sb_req_json(r, 200, json_pack("{s:o, s:I, s:o, s:{s:I, s:I, s:I, s:I}}", "items", items, "count",
                                         (json_int_t)n, "score", score, "counts", "excellent", counts[0], "good",
                                         counts[1], "okay", counts[2], "poor", counts[3]));
}

/* ---- the inbox: ?sla=warning,breached and ?sort=sla ---- */

int sb_api_conversations_list_sla(sb_req *r, sb_conv_filter *f, int limit)
{
    const char *sla = sb_req_query(r, "sla"), *sort = sb_req_query(r, "sort");
    bool by_due = sort && strcmp(sort, "sla") == 0;
    if (sort && *sort && !by_due && strcmp(sort, "queue") != 0)
        return sb_req_fail(r, SB_E_BAD_REQUEST, "sort must be queue or sla");
    char states[96] = "";
    if (sla && *sla) {
        if (strlen(sla) > 60)
            return sb_req_fail(r, SB_E_BAD_REQUEST, "sla: too long");
        char copy[64];
        snprintf(copy, sizeof copy, "%s", sla);
        strcat(states, ",");
        for (char *save = NULL, *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
            if (strcmp(tok, "ok") && strcmp(tok, "warning") && strcmp(tok, "breached") && strcmp(tok, "paused") &&
                strcmp(tok, "met"))
                return sb_req_fail(r, SB_E_BAD_REQUEST, "sla: unknown state \"%.16s\" (ok, warning, breached, paused, met)", tok);
            strcat(states, tok);
            strcat(states, ",");
        }
    }
    int64_t after_key = 0;
    const char *cursor = sb_req_query(r, "cursor");
    f->after_id = 0;
    if (cursor && *cursor) {
        long long key, id;
        char extra;
        if (sscanf(cursor, "%lld.%lld%c", &key, &id, &extra) != 2 || key < 0 || id <= 0)
            return sb_req_fail(r, SB_E_BAD_REQUEST, "invalid cursor");
        after_key = key;
        f->after_id = id;
    }
    sb_buf out;
    sb_buf_init(&out, 64u << 20);
    sb_buf_puts(&out, "{\"items\":[");
    int64_t last_key = 0, last_id = 0;
    int n = sb_store_conv_list_sla_json(sb_req_db(r), f, states[0] ? states : NULL, by_due, after_key, limit, &out,
                                        &last_key, &last_id);
    if (n < 0) {
        sb_buf_release(&out);
        return sb_req_fail(r, SB_E_INTERNAL, "query failed");
    }
    if (n > limit)
        sb_buf_printf(&out, "],\"next_cursor\":\"%lld.%lld\"}", (long long)last_key, (long long)last_id);
    else
        sb_buf_puts(&out, "],\"next_cursor\":null}");
    size_t len;
    char *text = sb_buf_detach(&out, &len);
    return sb_req_json_text(r, 200, text, len);
}

/* ---- public pages: nothing about the conversation is shown, only the question ---- */

static int page(sb_req *r, unsigned status, const char *title, const char *body_html)
{
    sb_buf b;
    sb_buf_init(&b, 64 * 1024);
    sb_buf_printf(&b,
                  "<!doctype html><html><head><meta charset=\"utf-8\">"
                  "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
                  "<meta name=\"robots\" content=\"noindex\"><title>%s</title>"
                  "<style>body{font-family:system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem;"
                  "color:#222}button{font-size:1rem;padding:.6rem 1rem;margin:.3rem .3rem .3rem 0;cursor:pointer}"
                  "textarea{width:100%%;min-height:6rem}</style></head><body><h1>%s</h1>%s</body></html>",
                  title, title, body_html);
    size_t len;
    char *text = sb_buf_detach(&b, &len);
    struct MHD_Response *resp = MHD_create_response_from_buffer(len, text, MHD_RESPMEM_MUST_FREE);
    if (!resp) {
        free(text);
        return sb_req_fail(r, SB_E_INTERNAL, "out of memory");
    }
    MHD_add_response_header(resp, "Content-Type", "text/html; charset=utf-8");
    MHD_add_response_header(resp, "Content-Security-Policy",
                            "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; "
                            "base-uri 'none'");
    MHD_add_response_header(resp, "X-Frame-Options", "DENY");
    r->resp_bytes = len;
    return sb_req_queue_response(r, status, resp);
}

/* application/x-www-form-urlencoded: the value of `key`, decoded, or NULL. */
static char *form_value(const char *body, size_t len, const char *key)
{
    size_t kl = strlen(key);
    const char *p = body, *end = body + len;
    while (p < end) {
        const char *amp = memchr(p, '&', (size_t)(end - p));
        const char *stop = amp ? amp : end;
        if ((size_t)(stop - p) > kl && strncmp(p, key, kl) == 0 && p[kl] == '=') {
            const char *v = p + kl + 1;
            char *out = malloc((size_t)(stop - v) + 1), *o = out;
            if (!out)
                return NULL;
            for (; v < stop; v++) {
                if (*v == '+') {
                    *o++ = ' ';
                } else if (*v == '%' && stop - v > 2 && isxdigit((unsigned char)v[1]) && isxdigit((unsigned char)v[2])) {
                    char hx[3] = {v[1], v[2], 0};
                    *o++ = (char)strtol(hx, NULL, 16);
                    v += 2;
                } else {
                    *o++ = *v;
                }
            }
            *o = '\0';
            return out;
        }
        p = stop + 1;
    }
    return NULL;
}

static const char *path_token(sb_req *r, const char *prefix)
{
    return r->path + strlen(prefix);
}

static int token_error(sb_req *r)
{
    return page(r, 404, "Link not valid", "<p>This link is not valid. Please reply to our last email instead.</p>");
}

int sb_api_public_resolution_page(sb_req *r)
{
    const char *token = path_token(r, "/r/");
    if (!sb_svc_public_token_check(sb_req_db(r), 'r', token))
        return token_error(r);
    char html[1200];
    /* The token is hex and digits only (checked): safe to put in the attribute as is. */
    snprintf(html, sizeof html,
             "<p>Is your request solved?</p>"
             "<form method=\"post\" action=\"/r/%s\"><input type=\"hidden\" name=\"answer\" value=\"yes\">"
             "<button type=\"submit\">Yes, it is solved</button></form>"
             "<form method=\"post\" action=\"/r/%s\"><input type=\"hidden\" name=\"answer\" value=\"no\">"
             "<button type=\"submit\">No, I still need help</button></form>",
             token, token);
    return page(r, 200, "Your request", html);
}

typedef struct {
    sb_resolution_op op;
    char token[64];
    bool page;
} resolution_req;

static int resolution_submit(sb_req *r, const char *token, bool solved, bool as_page)
{
    resolution_req *q = calloc(1, sizeof *q);
    if (!q)
        return sb_req_fail(r, SB_E_INTERNAL, "out of memory");
    snprintf(q->token, sizeof q->token, "%s", token);
    q->op.token = q->token;
    q->op.solved = solved;
    q->page = as_page;
    return sb_req_submit(r, sb_svc_resolution_answer, q, free, q->op.errmsg);
}

int sb_api_public_resolution_post(sb_req *r)
{
    const char *token = path_token(r, "/r/");
    if (strlen(token) >= 64 || !sb_svc_public_token_check(sb_req_db(r), 'r', token))
        return token_error(r);
    char *answer = form_value(r->raw ? r->raw : "", r->raw_len, "answer");
    bool yes = answer && strcmp(answer, "yes") == 0, no = answer && strcmp(answer, "no") == 0;
    free(answer);
    if (!yes && !no)
        return page(r, 422, "Your request", "<p>Please choose one of the buttons.</p>");
    return resolution_submit(r, token, yes, true);
}

int sb_api_public_resolution_json(sb_req *r)
{
    static const char *const fields[] = {"token", "solved", NULL};
    int rc;
    const char *token;
    bool present, solved;
    if ((rc = sb_api_need_object(r)) != SB_OK || (rc = sb_api_only(r, fields)) != SB_OK ||
        (rc = sb_api_str(r, "token", true, false, 63, &token)) != SB_OK ||
        (rc = sb_api_bool(r, "solved", &present, &solved)) != SB_OK)
        return rc;
    if (!present)
        return sb_req_fail(r, SB_E_VALIDATION, "\"solved\" is required");
    return resolution_submit(r, token, solved, false);
}

int sb_api_public_resolution_finish(sb_req *r)
{
    resolution_req *q = r->op;
    if (!q->page)
        return sb_req_json(r, 200, json_pack("{s:s}", "outcome", q->op.outcome));
    if (strcmp(q->op.outcome, "closed") == 0)
        return page(r, 200, "Thank you", "<p>Thank you for confirming. We are glad we could help.</p>");
    if (strcmp(q->op.outcome, "reopened") == 0)
        return page(r, 200, "We are on it", "<p>Thank you for telling us. Your request is open again and we will get back to you.</p>");
    return page(r, 200, "Thank you", "<p>Thank you. Your answer was already recorded.</p>");
}

/* ---- survey ---- */

static const char *rating_label(const char *rating)
{
    static const char *const keys[] = {"excellent", "good", "okay", "poor"};
    static const char *const labels[] = {"Excellent", "Good", "Okay", "Poor"};
    for (int i = 0; i < 4; i++)
        if (rating && strcmp(rating, keys[i]) == 0)
            return labels[i];
    return NULL;
}

typedef struct {
    sb_csat_op op;
    char token[64], rating[16];
    char *comment;
    bool page;
} csat_req;

static void csat_free(void *arg)
{
    csat_req *q = arg;
    free(q->comment);
    free(q);
}

static int csat_submit(sb_req *r, const char *token, const char *rating, char *comment, bool as_page)
{
    csat_req *q = calloc(1, sizeof *q);
    if (!q) {
        free(comment);
        return sb_req_fail(r, SB_E_INTERNAL, "out of memory");
    }
    snprintf(q->token, sizeof q->token, "%s", token);
    q->op.token = q->token;
    if (rating) {
        snprintf(q->rating, sizeof q->rating, "%s", rating);
        q->op.rating = q->rating;
    }
    q->comment = comment;
    q->op.comment = comment;
    q->page = as_page;
    return sb_req_submit(r, sb_svc_csat_answer, q, csat_free, q->op.errmsg);
}

/* GET /csat/<token>?rating=good records the rating (the links in the survey mail) and offers a
 * comment form; without a rating it shows the four choices. */
int sb_api_public_csat_page(sb_req *r)
{
    const char *token = path_token(r, "/csat/");
    if (strlen(token) >= 64 || !sb_svc_public_token_check(sb_req_db(r), 's', token))
        return token_error(r);
    const char *rating = sb_req_query(r, "rating");
    if (rating && *rating) {
        if (!rating_label(rating))
            return page(r, 422, "How did we do?", "<p>Please choose one of the ratings.</p>");
        return csat_submit(r, token, rating, NULL, true);
    }
    char html[1600];
    snprintf(html, sizeof html,
             "<p>How would you rate the help you received?</p>"
             "<form method=\"post\" action=\"/csat/%s\">"
             "<button name=\"rating\" value=\"excellent\">Excellent</button>"
             "<button name=\"rating\" value=\"good\">Good</button>"
             "<button name=\"rating\" value=\"okay\">Okay</button>"
             "<button name=\"rating\" value=\"poor\">Poor</button></form>",
             token);
    return page(r, 200, "How did we do?", html);
}

int sb_api_public_csat_post(sb_req *r)
{
    const char *token = path_token(r, "/csat/");
    if (strlen(token) >= 64 || !sb_svc_public_token_check(sb_req_db(r), 's', token))
        return token_error(r);
    char *rating = form_value(r->raw ? r->raw : "", r->raw_len, "rating");
    char *comment = form_value(r->raw ? r->raw : "", r->raw_len, "comment");
    if (rating && !*rating) {
        free(rating);
        rating = NULL;
    }
    if ((rating && !rating_label(rating)) || (!rating && !comment) || (comment && strlen(comment) > 4000)) {
        free(rating);
        free(comment);
        return page(r, 422, "How did we do?", "<p>Please choose a rating; a comment may be up to 4000 bytes.</p>");
    }
    int rc = csat_submit(r, token, rating, comment, true);
    free(rating);
    return rc;
}

int sb_api_public_csat_json(sb_req *r)
{
    static const char *const fields[] = {"token", "rating", "comment", NULL};
    int rc;
    const char *token, *rating, *comment;
    if ((rc = sb_api_need_object(r)) != SB_OK || (rc = sb_api_only(r, fields)) != SB_OK ||
        (rc = sb_api_str(r, "token", true, false, 63, &token)) != SB_OK ||
        (rc = sb_api_str(r, "rating", false, false, 16, &rating)) != SB_OK ||
        (rc = sb_api_str(r, "comment", false, true, 4000, &comment)) != SB_OK)
        return rc;
    if (rating && !rating_label(rating))
        return sb_req_fail(r, SB_E_VALIDATION, "rating must be excellent, good, okay or poor");
    if (!rating && !comment)
        return sb_req_fail(r, SB_E_VALIDATION, "give a rating, a comment or both");
    return csat_submit(r, token, rating, comment ? strdup(comment) : NULL, false);
}

int sb_api_public_csat_finish(sb_req *r)
{
    csat_req *q = r->op;
    if (!q->page)
        return sb_req_json(r, 200, json_pack("{s:b}", "recorded", 1));
    if (q->op.comment)
        return page(r, 200, "Thank you", "<p>Thank you for your feedback.</p>");
    char html[800];
    snprintf(html, sizeof html,
             "<p>Thank you! You rated our help: <strong>%s</strong>.</p>"
             "<form method=\"post\" action=\"/csat/%s\"><p><label for=\"c\">Anything you would like to add?</label></p>"
             "<textarea id=\"c\" name=\"comment\" maxlength=\"4000\"></textarea>"
             "<p><button type=\"submit\">Send comment</button></p></form>",
             rating_label(q->op.rating), q->token);
    return page(r, 200, "Thank you", html);
}
