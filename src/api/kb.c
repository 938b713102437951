/* /api/v1/articles, categories, help-center settings, the answer bot, macros and the
 * deflection report. Writes go through one service op (service/kb.c). */
#include <arpa/inet.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/kb_api.h"
#include "core/kb_text.h"
#include "http/auth.h"
#include "service/kb.h"
#include "store/kb.h"
#include "util/time.h"

/* ---- shared helpers ---- */

int sb_api_kb_optional_auth(sb_req *r, bool *agent)
{
    *agent = false;
    sb_db *db = sb_req_db(r);
    unsigned char hash[32];
    const char *authz = sb_req_header(r, MHD_HTTP_HEADER_AUTHORIZATION);
    if (authz) {
        if (strncasecmp(authz, "Bearer ", 7) != 0 || strlen(authz + 7) > 128)
            return sb_req_fail(r, SB_E_UNAUTHORIZED, "use Authorization: Bearer TOKEN");
        sb_auth_hash(authz + 7, hash);
        if (!db || sb_store_token_lookup(db, hash, &r->who) != SB_OK)
            return sb_req_fail(r, SB_E_UNAUTHORIZED, "invalid or revoked token");
    } else {
        const char *cookie = sb_req_cookie(r, SB_SESSION_COOKIE);
        if (!cookie || strlen(cookie) > 128)
            return SB_OK;
        sb_auth_hash(cookie, hash);
        if (!db || sb_store_session_lookup(db, hash, sb_time_now_ms(), &r->who) != SB_OK)
            return SB_OK; /* an expired session on a public page is just a visitor */
    }
    r->authenticated = true;
    *agent = true;
    return SB_OK;
}

/* Anonymous callers: the bot 60 questions a minute per client, search and help pages 600. */
#define BOT_PER_MINUTE 60
#define SEARCH_PER_MINUTE 600

static sb_ratelimit *bot_limit, *search_limit;
static pthread_once_t limits_once = PTHREAD_ONCE_INIT;
static void limits_init(void)
{
    bot_limit = sb_ratelimit_new(BOT_PER_MINUTE, 60);
    search_limit = sb_ratelimit_new(SEARCH_PER_MINUTE, 60);
}

int sb_api_kb_rate_limit(sb_req *r, const char *kind)
{
    pthread_once(&limits_once, limits_init);
    sb_ratelimit *rl = strcmp(kind, "bot") == 0 ? bot_limit : search_limit;
    if (!rl)
        return SB_OK;
    char key[96];
    sb_api_client_ip(r, key, sizeof key);
    int64_t now = sb_time_now_ms();
    if (sb_ratelimit_check(rl, key, now)) {
        sb_req_retry_after(r, 60);
        return sb_req_fail(r, SB_E_RATE_LIMITED, "too many requests; try again in a minute");
    }
    sb_ratelimit_fail(rl, key, now); /* counts the request */
    return SB_OK;
}

int sb_api_kb_finish(sb_req *r)
{
    sb_kb_op *op = r->op;
    if (op->status == 204 || !op->out) {
        r->status = 204;
        return SB_OK;
    }
    return sb_req_json(r, op->status ? op->status : 200, json_incref(op->out));
}

static int submit(sb_req *r, sb_kb_kind kind, const char *const *fields)
{
    int rc;
    if (fields && ((rc = sb_api_need_object(r)) != SB_OK || (rc = sb_api_only(r, fields)) != SB_OK))
        return rc;
    sb_kb_op *op = sb_kb_op_new(kind);
    if (!op)
        return sb_req_fail(r, SB_E_INTERNAL, "out of memory");
    op->actor = sb_api_actor(r);
    op->role = (int)r->who.role;
    op->id = r->nids > 0 ? r->ids[0] : 0;
    op->id2 = r->nids > 1 ? r->ids[1] : 0;
    op->in = r->body ? json_incref(r->body) : json_object();
    return sb_req_submit(r, sb_svc_kb_write, op, sb_kb_op_free, op->errmsg);
}

static const char *query_locale(sb_req *r, int *rc)
{
    const char *l = sb_req_query(r, "locale");
    *rc = SB_OK;
    if (l && !*l)
        return NULL;
    if (l && !sb_kb_locale_valid(l))
        *rc = sb_req_fail(r, SB_E_BAD_REQUEST, "locale must be a language tag like en or pt-BR");
    return l;
}

/* ---- articles ---- */

static const char *const article_fields[] = {"title", "body_markdown", "locale", "visibility", "category",
                                             "category_id", "status", "tags", "files", NULL};

int sb_api_articles_list(sb_req *r)
{
    int rc, limit;
    sb_kb_filter f = {0};
    f.locale = query_locale(r, &rc);
    if (rc != SB_OK || (rc = sb_api_query_limit(r, 25, 100, &limit)) != SB_OK)
        return rc;
    f.status = sb_req_query(r, "status");
    f.visibility = sb_req_query(r, "visibility");
    f.tag = sb_req_query(r, "tag");
    if (f.status && strcmp(f.status, "draft") != 0 && strcmp(f.status, "published") != 0)
        return sb_req_fail(r, SB_E_BAD_REQUEST, "status must be draft or published");
    if (f.visibility && strcmp(f.visibility, "public") != 0 && strcmp(f.visibility, "internal") != 0)
        return sb_req_fail(r, SB_E_BAD_REQUEST, "visibility must be public or internal");
    if (f.tag && !*f.tag)
        f.tag = NULL;
    if ((rc = sb_api_query_id(r, "category_id", &f.category_id)) != SB_OK)
        return rc;
    if (f.category_id < 0)
        return sb_req_fail(r, SB_E_BAD_REQUEST, "category_id must be an id");
    const char *cursor = sb_req_query(r, "cursor");
    if (cursor && *cursor) {
        char *end;
        long long v = strtoll(cursor, &end, 10);
        if (*end || v <= 0)
            return sb_req_fail(r, SB_E_BAD_REQUEST, "invalid cursor");
        f.after_id = v;
    }
    f.limit = limit + 1;
    sb_kb_settings s;
    sb_kb_settings_load(sb_req_db(r), &s);
    json_t *items = sb_store_kb_article_list(sb_req_db(r), &f, s.default_locale, true);
    if (!items)
        return sb_req_fail(r, SB_E_INTERNAL, "query failed");
    json_t *next = json_null();
    if (json_array_size(items) > (size_t)limit) {
        json_array_remove(items, (size_t)limit);
        char c[32];
        snprintf(c, sizeof c, "%lld",
                 (long long)json_integer_value(json_object_get(json_array_get(items, (size_t)limit - 1), "id")));
        next = json_string(c);
    }
    return sb_req_json(r, 200, json_pack("{s:o, s:o}", "items", items, "next_cursor", next));
}

int sb_api_article_create(sb_req *r)
{
    return submit(r, SB_KB_ARTICLE_CREATE, article_fields);
}

int sb_api_article_update(sb_req *r)
{
    return submit(r, SB_KB_ARTICLE_UPDATE, article_fields);
}

int sb_api_article_delete(sb_req *r)
{
    return submit(r, SB_KB_ARTICLE_DELETE, NULL);
}

int sb_api_article_restore(sb_req *r)
{
    return submit(r, SB_KB_VERSION_RESTORE, NULL);
}

int sb_api_article_translation_delete(sb_req *r)
{
    const char *locale = strrchr(r->path, '/') + 1;
    if (!sb_kb_locale_valid(locale))
        return sb_req_fail(r, SB_E_BAD_REQUEST, "the last segment must be a locale");
    sb_kb_op *op = sb_kb_op_new(SB_KB_TRANSLATION_DELETE);
    if (!op)
        return sb_req_fail(r, SB_E_INTERNAL, "out of memory");
    op->actor = sb_api_actor(r);
    op->role = (int)r->who.role;
    op->id = r->ids[0];
    op->locale = strdup(locale);
    return sb_req_submit(r, sb_svc_kb_write, op, sb_kb_op_free, op->errmsg);
}

int sb_api_article_get(sb_req *r)
{
    int rc;
    const char *locale = query_locale(r, &rc);
    if (rc != SB_OK)
        return rc;
    sb_kb_settings s;
    sb_kb_settings_load(sb_req_db(r), &s);
    json_t *a = sb_store_kb_article_get(sb_req_db(r), r->ids[0], locale ? locale : s.default_locale, s.default_locale, true);
    if (!a)
        return sb_api_not_found(r, "article", r->ids[0]);
    return sb_req_json(r, 200, a);
}

int sb_api_article_versions(sb_req *r)
{
    int rc;
    const char *locale = query_locale(r, &rc);
    if (rc != SB_OK)
        return rc;
    if (!sb_store_kb_article_exists(sb_req_db(r), r->ids[0]))
        return sb_api_not_found(r, "article", r->ids[0]);
    json_t *items = sb_store_kb_versions(sb_req_db(r), r->ids[0], locale);
    if (!items)
        return sb_req_fail(r, SB_E_INTERNAL, "query failed");
    return sb_req_json(r, 200, json_pack("{s:o}", "items", items));
}

static void log_search(sb_req *r, const char *q, const char *locale, int n, const char *source)
{
    sb_kb_op *op = sb_kb_op_new(SB_KB_SEARCH_LOG);
    if (!op)
        return;
    op->question = strndup(q, SB_KB_QUERY_MAX);
    op->locale = strdup(locale);
    op->results = n;
    op->source = strdup(source);
    sb_svc_kb_submit_async(r->app->store, op);
}

int sb_api_articles_search(sb_req *r)
{
    bool agent;
    int rc, limit;
    if ((rc = sb_api_kb_optional_auth(r, &agent)) != SB_OK)
        return rc;
    if (!agent && (rc = sb_api_kb_rate_limit(r, "search")) != SB_OK)
        return rc;
    const char *q = sb_req_query(r, "q");
    const char *locale = query_locale(r, &rc);
    if (rc != SB_OK || (rc = sb_api_query_limit(r, 10, 50, &limit)) != SB_OK)
        return rc;
    if (!q || !*q)
        return sb_req_fail(r, SB_E_BAD_REQUEST, "q is required");
    if (strlen(q) > SB_KB_QUERY_MAX)
        return sb_req_fail(r, SB_E_BAD_REQUEST, "q is longer than %d bytes", SB_KB_QUERY_MAX);
    sb_kb_settings s;
    sb_kb_settings_load(sb_req_db(r), &s);
    if (!locale)
        locale = s.default_locale;
    int n = 0;
    json_t *items = sb_svc_kb_search(sb_req_db(r), q, locale, agent, limit, &n);
    if (!items)
        return sb_req_fail(r, SB_E_INTERNAL, "search failed");
    if (!agent)
        log_search(r, q, locale, n, "api");
    return sb_req_json(r, 200, json_pack("{s:o}", "items", items));
}

/* The public JSON view of one article (for the widget): logs a view. */
int sb_api_help_article(sb_req *r)
{
    int rc;
    const char *locale = query_locale(r, &rc);
    if (rc != SB_OK)
        return rc;
    sb_kb_settings s;
    sb_kb_settings_load(sb_req_db(r), &s);
    json_t *a = sb_store_kb_article_get(sb_req_db(r), r->ids[0], locale ? locale : s.default_locale, s.default_locale, false);
    if (!a)
        return sb_api_not_found(r, "article", r->ids[0]);
    sb_kb_op *op = sb_kb_op_new(SB_KB_VIEW);
    if (op) {
        op->id = r->ids[0];
        op->locale = strdup(json_string_value(json_object_get(a, "locale")));
        const char *v = sb_req_cookie(r, "sb_visitor");
        op->visitor = v && strlen(v) <= 64 ? strdup(v) : NULL;
        op->source = strdup("api");
        sb_svc_kb_submit_async(r->app->store, op);
    }
    return sb_req_json(r, 200, a);
}

/* ---- categories and settings ---- */

static const char *const category_fields[] = {"name", "description", "parent_id", "position", "names", NULL};

int sb_api_kb_categories_list(sb_req *r)
{
    int rc;
    const char *locale = query_locale(r, &rc);
    if (rc != SB_OK)
        return rc;
    json_t *items = sb_store_kb_category_list(sb_req_db(r), true, locale, locale);
    if (!items)
        return sb_req_fail(r, SB_E_INTERNAL, "query failed");
    return sb_req_json(r, 200, json_pack("{s:o}", "items", items));
}

int sb_api_kb_category_get(sb_req *r)
{
    json_t *c = sb_store_kb_category_get(sb_req_db(r), r->ids[0]);
    if (!c)
        return sb_api_not_found(r, "category", r->ids[0]);
    return sb_req_json(r, 200, c);
}

int sb_api_kb_category_create(sb_req *r)
{
    return submit(r, SB_KB_CATEGORY_CREATE, category_fields);
}

int sb_api_kb_category_update(sb_req *r)
{
    return submit(r, SB_KB_CATEGORY_UPDATE, category_fields);
}

int sb_api_kb_category_delete(sb_req *r)
{
    return submit(r, SB_KB_CATEGORY_DELETE, NULL);
}

int sb_api_kb_settings_get(sb_req *r)
{
    sb_kb_settings s;
    sb_kb_settings_load(sb_req_db(r), &s);
    return sb_req_json(r, 200, sb_kb_settings_json(&s));
}

int sb_api_kb_settings_put(sb_req *r)
{
    static const char *const fields[] = {"locales", "default_locale", "bot_enabled", "bot_channels",
                                         "bot_threshold", "base_url", NULL};
    return submit(r, SB_KB_SETTINGS_PUT, fields);
}

/* ---- answer bot ---- */

int sb_api_bot_answer(sb_req *r)
{
    static const char *const fields[] = {"question", "locale", NULL};
    const char *question, *locale;
    bool agent;
    int rc;
    /* Agents (e.g. an integration with a token) are not rate-limited; the answer is the
     * public one either way. */
    if ((rc = sb_api_kb_optional_auth(r, &agent)) != SB_OK || (!agent && (rc = sb_api_kb_rate_limit(r, "bot")) != SB_OK))
        return rc;
    if ((rc = sb_api_need_object(r)) != SB_OK || (rc = sb_api_only(r, fields)) != SB_OK ||
        (rc = sb_api_str(r, "question", true, false, 2000, &question)) != SB_OK ||
        (rc = sb_api_str(r, "locale", false, false, SB_KB_LOCALE_MAX, &locale)) != SB_OK)
        return rc;
    if (locale && !sb_kb_locale_valid(locale))
        return sb_req_fail(r, SB_E_VALIDATION, "\"locale\" must be a language tag like en or pt-BR");
    json_t *ans = sb_svc_bot_answer(sb_req_db(r), question, locale, false);
    if (!ans)
        return sb_req_fail(r, SB_E_INTERNAL, "the bot failed");
    sb_kb_op *op = sb_kb_op_new(SB_KB_BOT_LOG);
    if (op) {
        op->question = strdup(question);
        op->in = json_incref(ans);
        sb_svc_kb_submit_async(r->app->store, op);
    }
    return sb_req_json(r, 200, ans);
}

int sb_api_bot_feedback(sb_req *r)
{
    static const char *const fields[] = {"token", "helpful", NULL};
    const char *token;
    bool present, helpful;
    int rc;
    if ((rc = sb_api_kb_rate_limit(r, "bot")) != SB_OK)
        return rc;
    if ((rc = sb_api_need_object(r)) != SB_OK || (rc = sb_api_only(r, fields)) != SB_OK ||
        (rc = sb_api_str(r, "token", true, false, 128, &token)) != SB_OK ||
        (rc = sb_api_bool(r, "helpful", &present, &helpful)) != SB_OK)
        return rc;
    if (!present)
        return sb_req_fail(r, SB_E_VALIDATION, "\"helpful\" is required (true or false)");
    sb_kb_op *op = sb_kb_op_new(SB_KB_BOT_FEEDBACK);
    if (!op)
        return sb_req_fail(r, SB_E_INTERNAL, "out of memory");
    op->id = r->ids[0];
    op->token = strdup(token);
    op->helpful = helpful;
    return sb_req_submit(r, sb_svc_kb_write, op, sb_kb_op_free, op->errmsg);
}

int sb_api_conv_bot_offer(sb_req *r)
{
    static const char *const fields[] = {"question", "locale", NULL};
    const char *question = NULL, *locale = NULL;
    int rc;
    if (r->body && ((rc = sb_api_need_object(r)) != SB_OK || (rc = sb_api_only(r, fields)) != SB_OK ||
                    (rc = sb_api_str(r, "question", false, false, 2000, &question)) != SB_OK ||
                    (rc = sb_api_str(r, "locale", false, false, SB_KB_LOCALE_MAX, &locale)) != SB_OK))
        return rc;
    if (locale && !sb_kb_locale_valid(locale))
        return sb_req_fail(r, SB_E_VALIDATION, "\"locale\" must be a language tag like en or pt-BR");
    sb_kb_op *op = sb_kb_op_new(SB_KB_BOT_OFFER);
    if (!op)
        return sb_req_fail(r, SB_E_INTERNAL, "out of memory");
    op->actor = sb_api_actor(r);
    op->role = (int)r->who.role;
    op->id = r->ids[0];
    op->question = question ? strdup(question) : NULL;
    op->locale = locale ? strdup(locale) : NULL;
    return sb_req_submit(r, sb_svc_kb_write, op, sb_kb_op_free, op->errmsg);
}

int sb_api_conv_suggested_articles(sb_req *r)
{
    int rc;
    const char *locale = query_locale(r, &rc);
    if (rc != SB_OK)
        return rc;
    char *text = sb_store_conv_question_text(sb_req_db(r), r->ids[0]);
    if (!text)
        return sb_api_not_found(r, "conversation", r->ids[0]);
    json_t *ans = sb_svc_bot_answer(sb_req_db(r), text, locale, true);
    free(text);
    if (!ans)
        return sb_req_fail(r, SB_E_INTERNAL, "suggestions failed");
    json_t *o = json_pack("{s:O, s:O, s:O}", "items", json_object_get(ans, "articles"), "confident",
                          json_object_get(ans, "confident"), "locale", json_object_get(ans, "locale"));
    json_decref(ans);
    return sb_req_json(r, 200, o);
}

int sb_api_conv_visitor(sb_req *r)
{
    static const char *const fields[] = {"visitor", NULL};
    const char *visitor;
    int rc;
    if ((rc = sb_api_need_object(r)) != SB_OK || (rc = sb_api_only(r, fields)) != SB_OK ||
        (rc = sb_api_str(r, "visitor", true, false, 64, &visitor)) != SB_OK)
        return rc;
    sb_kb_op *op = sb_kb_op_new(SB_KB_VISITOR_LINK);
    if (!op)
        return sb_req_fail(r, SB_E_INTERNAL, "out of memory");
    op->id = r->ids[0];
    op->visitor = strdup(visitor);
    return sb_req_submit(r, sb_svc_kb_write, op, sb_kb_op_free, op->errmsg);
}

/* ---- macros ---- */

static const char *const macro_fields[] = {"name", "body", "actions", "scope", NULL};

int sb_api_macros_list(sb_req *r)
{
    json_t *items = sb_store_macro_list(sb_req_db(r), r->who.agent_id);
    if (!items)
        return sb_req_fail(r, SB_E_INTERNAL, "query failed");
    return sb_req_json(r, 200, json_pack("{s:o}", "items", items));
}

int sb_api_macro_get(sb_req *r)
{
    json_t *m = sb_store_macro_get(sb_req_db(r), r->ids[0]);
    json_t *owner = m ? json_object_get(m, "owner_id") : NULL;
    if (!m || (!json_is_null(owner) && json_integer_value(owner) != r->who.agent_id)) {
        json_decref(m);
        return sb_api_not_found(r, "macro", r->ids[0]);
    }
    return sb_req_json(r, 200, m);
}

int sb_api_macro_create(sb_req *r)
{
    return submit(r, SB_KB_MACRO_CREATE, macro_fields);
}

int sb_api_macro_update(sb_req *r)
{
    return submit(r, SB_KB_MACRO_UPDATE, macro_fields);
}

int sb_api_macro_delete(sb_req *r)
{
    return submit(r, SB_KB_MACRO_DELETE, NULL);
}

int sb_api_macro_apply(sb_req *r)
{
    static const char *const fields[] = {"preview", NULL};
    bool present = false, preview = false;
    int rc;
    if (r->body && ((rc = sb_api_need_object(r)) != SB_OK || (rc = sb_api_only(r, fields)) != SB_OK ||
                    (rc = sb_api_bool(r, "preview", &present, &preview)) != SB_OK))
        return rc;
    const char *q = sb_req_query(r, "preview");
    if (q && (strcmp(q, "1") == 0 || strcmp(q, "true") == 0))
        preview = true;
    sb_kb_op *op = sb_kb_op_new(SB_KB_MACRO_APPLY);
    if (!op)
        return sb_req_fail(r, SB_E_INTERNAL, "out of memory");
    op->actor = sb_api_actor(r);
    op->role = (int)r->who.role;
    op->id = r->ids[0];
    op->id2 = r->ids[1];
    op->preview = preview;
    return sb_req_submit(r, sb_svc_kb_write, op, sb_kb_op_free, op->errmsg);
}

/* ---- deflection report ---- */

static int query_time(sb_req *r, const char *key, int64_t *out)
{
    const char *v = sb_req_query(r, key);
    if (!v || !*v)
        return SB_OK;
    char buf[64];
    if (strlen(v) == 10) { /* a date: midnight UTC */
        snprintf(buf, sizeof buf, "%sT00:00:00Z", v);
        v = buf;
    }
    if (sb_time_parse(v, out) != 0)
        return sb_req_fail(r, SB_E_BAD_REQUEST, "%s must be an RFC 3339 time or a date (YYYY-MM-DD)", key);
    return SB_OK;
}

int sb_api_report_deflection(sb_req *r)
{
    int64_t to = sb_now() + 1, from = to - 30LL * 86400 * 1000;
    int rc, limit;
    if ((rc = query_time(r, "from", &from)) != SB_OK || (rc = query_time(r, "to", &to)) != SB_OK ||
        (rc = sb_api_query_limit(r, 20, 100, &limit)) != SB_OK)
        return rc;
    if (to <= from)
        return sb_req_fail(r, SB_E_BAD_REQUEST, "to must be after from");
    json_t *o = sb_store_kb_deflection(sb_req_db(r), from, to, limit);
    if (!o)
        return sb_req_fail(r, SB_E_INTERNAL, "query failed");
    char f[32], t[32];
    sb_time_format(from, f, sizeof f);
    sb_time_format(to, t, sizeof t);
    json_object_set_new(o, "from", json_string(f));
    json_object_set_new(o, "to", json_string(t));
    return sb_req_json(r, 200, o);
}
