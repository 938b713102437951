/* The chat widget's endpoints: admin settings, and the visitor API that the embedded script
 * calls from customers' sites (routes with SB_AUTH_VISITOR: CORS, the visitor token in
 * X-Visitor-Token). A visitor reaches only their own contact's widget conversations; anything
 * else is a 404, the same as an id that does not exist. See docs/widget.md. */
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "channels/widget/widget.h"
#include "core/conversation.h"
#include "http/auth.h"
#include "util/time.h"
#include "realtime/hub.h"
#include "service/sla.h"
#include "service/kb.h"
#include "store/blobs.h"

#define VISITOR_TOKEN_PREFIX "sbv_"
#define WIDGET_BODY_MAX 16384 /* bytes of one chat message */
#define WIDGET_SUBJECT_MAX 80
#define WIDGET_LIST_MAX 50
#define WIDGET_MESSAGES_MAX 200
#define WIDGET_ATTACHMENTS_MAX 5
#define WIDGET_DOWNLOAD_MAX (64u << 20)

/* ---- admin: settings ---- */

static void settings_op_free(void *p)
{
    sb_widget_settings_op *op = p;
    json_decref(op->patch);
    json_decref(op->out);
    free(op);
}

static int submit_settings(sb_req *r, json_t *patch, bool rotate)
{
    sb_widget_settings_op *op = calloc(1, sizeof *op);
    if (!op)
        return sb_req_fail(r, SB_E_INTERNAL, "out of memory");
    op->patch = patch ? json_incref(patch) : NULL;
    op->rotate = rotate;
    return sb_req_submit(r, sb_widget_settings_tx, op, settings_op_free, op->errmsg);
}

int sb_api_widget_settings_get(sb_req *r)
{
    json_t *s = sb_widget_settings_load(sb_req_db(r));
    if (*json_string_value(json_object_get(s, "secret")))
        return sb_req_json(r, 200, s);
    json_decref(s);
    return submit_settings(r, NULL, false); /* the first read makes the secret */
}

int sb_api_widget_settings_put(sb_req *r)
{
    int rc;
    if ((rc = sb_api_need_object(r)) != SB_OK)
        return rc;
    char err[200];
    if (!sb_widget_settings_check(r->body, err, sizeof err))
        return sb_req_fail(r, SB_E_VALIDATION, "%s", err);
    return submit_settings(r, r->body, false);
}

int sb_api_widget_secret_rotate(sb_req *r)
{
    return submit_settings(r, NULL, true);
}

int sb_api_widget_settings_finish(sb_req *r)
{
    sb_widget_settings_op *op = r->op;
    json_t *out = op->out;
    op->out = NULL;
    return sb_req_json(r, 200, out);
}

/* ---- visitor requests ---- */

typedef struct {
    json_t *settings;
    sb_widget_visitor v;
    unsigned char token_hash[32];
    bool has_visitor;
} widget_ctx;

static void ctx_release(widget_ctx *c)
{
    json_decref(c->settings);
    c->settings = NULL;
}

/* Loads the settings, applies the origin policy (and sets the CORS answer), and, when
 * need_visitor, authenticates the visitor token. */
static int enter(sb_req *r, widget_ctx *c, bool need_visitor, bool token_in_query)
{
    memset(c, 0, sizeof *c);
    sb_db *db = sb_req_db(r);
    if (!db)
        return sb_req_fail(r, SB_E_UNAVAILABLE, "database unavailable");
    c->settings = sb_widget_settings_load(db);
    const char *origin = sb_req_header(r, "Origin");
    const char *host = sb_req_header(r, "Host");
    char self[300] = "";
    if (host && origin)
        snprintf(self, sizeof self, "%.*s//%s", (int)(strchr(origin, '/') ? strchr(origin, '/') - origin : 0), origin,
                 host);
    if (!sb_widget_origin_allowed(c->settings, origin, self[0] ? self : NULL)) {
        r->cors_deny = true;
        ctx_release(c);
        return sb_req_fail(r, SB_E_FORBIDDEN, "this site may not use the chat widget");
    }
    if (origin && json_array_size(json_object_get(c->settings, "allowed_origins")) &&
        strlen(origin) < sizeof r->cors_origin)
        snprintf(r->cors_origin, sizeof r->cors_origin, "%s", origin);
    const char *token = sb_req_header(r, "X-Visitor-Token");
    if ((!token || !*token) && token_in_query)
        token = sb_req_query(r, "visitor_token"); /* EventSource cannot send headers */
    if (token && *token) {
        if (strlen(token) > 128) {
            ctx_release(c);
            return sb_req_fail(r, SB_E_UNAUTHORIZED, "invalid visitor token");
        }
        sb_auth_hash(token, c->token_hash);
        if (sb_store_widget_visitor_lookup(db, c->token_hash, &c->v) == SB_OK) {
            c->has_visitor = true;
        } else if (need_visitor) {
            ctx_release(c);
            return sb_req_fail(r, SB_E_UNAUTHORIZED, "unknown visitor token; start a new session");
        } /* else a stale token (the site moved, the data was restored): treated as none */
    } else if (need_visitor) {
        ctx_release(c);
        return sb_req_fail(r, SB_E_UNAUTHORIZED, "send the visitor token in X-Visitor-Token");
    }
    return SB_OK;
}

static bool enabled(widget_ctx *c)
{
    return json_is_true(json_object_get(c->settings, "enabled"));
}

/* The visitor's language from ?locale= or Accept-Language (its first tag), else en. */
static const char *visitor_locale(sb_req *r)
{
    static __thread char loc[8];
    const char *q = sb_req_query(r, "locale");
    const char *al = q && *q ? q : sb_req_header(r, "Accept-Language");
    size_t n = 0;
    while (al && n < 2 && ((al[n] >= 'a' && al[n] <= 'z') || (al[n] >= 'A' && al[n] <= 'Z'))) {
        loc[n] = (char)(al[n] | 0x20);
        n++;
    }
    loc[n] = '\0';
    return n == 2 ? loc : "en";
}

int sb_api_widget_config(sb_req *r)
{
    widget_ctx c;
    int rc = enter(r, &c, false, false);
    if (rc != SB_OK)
        return rc;
    json_t *pub = sb_widget_settings_public(c.settings);
    ctx_release(&c);
    /* Outside the widget's calendar the widget says when the team will answer. */
    char *away = NULL;
    if (sb_svc_after_hours_text(sb_req_db(r), "channel:widget", visitor_locale(r), sb_now(), &away) == SB_OK)
        json_object_set_new(pub, "away", json_string(away));
    else
        json_object_set_new(pub, "away", json_null());
    free(away);
    return sb_req_json(r, 200, pub);
}

/* ---- sessions ---- */

typedef struct {
    sb_widget_session_op op; /* first: errmsg */
    char token[64];
    char existing[130];
} session_req;

static bool email_ok(const char *e)
{
    const char *at = e ? strchr(e, '@') : NULL;
    return at && at != e && at[1] && !strpbrk(e, " <>\",;\r\n\t");
}

int sb_api_widget_session(sb_req *r)
{
    static const char *const fields[] = {"name", "email", "user_id", "user_hash", "visitor_token", NULL};
    int rc;
    if ((rc = sb_api_need_object(r)) != SB_OK || (rc = sb_api_only(r, fields)) != SB_OK)
        return rc;
    const char *name, *email, *user_id, *user_hash, *existing;
    if ((rc = sb_api_str(r, "name", false, true, SB_WIDGET_NAME_MAX, &name)) != SB_OK ||
        (rc = sb_api_str(r, "email", false, true, SB_WIDGET_EMAIL_MAX, &email)) != SB_OK ||
        (rc = sb_api_str(r, "user_id", false, false, SB_WIDGET_USER_ID_MAX, &user_id)) != SB_OK ||
        (rc = sb_api_str(r, "user_hash", false, false, 128, &user_hash)) != SB_OK ||
        (rc = sb_api_str(r, "visitor_token", false, true, 128, &existing)) != SB_OK)
        return rc;
    if (email && *email && !email_ok(email))
        return sb_req_fail(r, SB_E_VALIDATION, "email must be an email address");
    if ((user_id != NULL) != (user_hash != NULL))
        return sb_req_fail(r, SB_E_VALIDATION, "user_id and user_hash go together");
    widget_ctx c;
    if ((rc = enter(r, &c, false, false)) != SB_OK)
        return rc;
    if (!enabled(&c)) {
        ctx_release(&c);
        return sb_req_fail(r, SB_E_FORBIDDEN, "the chat widget is turned off");
    }
    /* A wrong signature is refused, never treated as anonymous: the site has a bug to fix. */
    if (user_id && !sb_widget_user_hash_ok(json_string_value(json_object_get(c.settings, "secret")), user_id, user_hash)) {
        ctx_release(&c);
        return sb_req_fail(r, SB_E_FORBIDDEN, "user_hash is not the HMAC-SHA256 of user_id with the widget secret");
    }
    ctx_release(&c);
    /* Minting tokens in bulk (each names a new contact) is bounded per client address. */
    char ip[80];
    sb_api_client_ip(r, ip, sizeof ip);
    /* Anything that is not a valid token of a visitor makes a new visitor, and counts. */
    bool fresh = true;
    if (existing && *existing && strlen(existing) <= 128) {
        unsigned char h[32];
        sb_widget_visitor v;
        sb_auth_hash(existing, h);
        fresh = sb_store_widget_visitor_lookup(sb_req_db(r), h, &v) != SB_OK;
    }
    unsigned wait = fresh ? sb_ratelimit_check(r->app->widget_limit, ip, sb_time_now_ms()) : 0;
    if (wait) {
        sb_req_retry_after(r, wait);
        return sb_req_fail(r, SB_E_RATE_LIMITED, "too many new chat sessions from this address; retry later");
    }
    if (fresh)
        sb_ratelimit_fail(r->app->widget_limit, ip, sb_time_now_ms());
    session_req *s = calloc(1, sizeof *s);
    if (!s)
        return sb_req_fail(r, SB_E_INTERNAL, "out of memory");
    sb_auth_new_secret(VISITOR_TOKEN_PREFIX, s->token, s->op.fresh);
    if (existing && *existing) {
        snprintf(s->existing, sizeof s->existing, "%s", existing);
        sb_auth_hash(existing, s->op.existing);
        s->op.has_existing = true;
    }
    s->op.name = name;
    s->op.email = email;
    s->op.user_id = user_id;
    return sb_req_submit(r, sb_widget_session_tx, s, free, s->op.errmsg);
}

static json_t *me_json(sb_db *db, int64_t contact_id, bool verified)
{
    json_t *c = sb_store_contact_get(db, contact_id);
    json_t *o = json_pack("{s:O, s:O, s:b}", "name", c ? json_object_get(c, "name") : json_null(), "email",
                          c ? json_object_get(c, "email") : json_null(), "verified", verified);
    json_decref(c);
    return o;
}

int sb_api_widget_session_finish(sb_req *r)
{
    session_req *s = r->op;
    json_t *me = me_json(sb_req_db(r), s->op.contact_id, s->op.verified);
    json_t *contact = json_pack("{s:O}", "name", json_object_get(me, "name"));
    json_t *o = json_pack("{s:s, s:o, s:b}", "visitor_token", s->op.reused ? s->existing : s->token, "contact",
                          contact, "verified", s->op.verified);
    json_decref(me);
    return sb_req_json(r, s->op.reused ? 200 : 201, o);
}

int sb_api_widget_me(sb_req *r)
{
    widget_ctx c;
    int rc = enter(r, &c, true, false);
    if (rc != SB_OK)
        return rc;
    ctx_release(&c);
    return sb_req_json(r, 200, me_json(sb_req_db(r), c.v.contact_id, c.v.verified));
}

int sb_api_widget_me_update(sb_req *r)
{
    static const char *const fields[] = {"name", "email", NULL};
    int rc;
    const char *name, *email;
    if ((rc = sb_api_need_object(r)) != SB_OK || (rc = sb_api_only(r, fields)) != SB_OK ||
        (rc = sb_api_str(r, "name", false, false, SB_WIDGET_NAME_MAX, &name)) != SB_OK ||
        (rc = sb_api_str(r, "email", false, false, SB_WIDGET_EMAIL_MAX, &email)) != SB_OK)
        return rc;
    if (email && !email_ok(email))
        return sb_req_fail(r, SB_E_VALIDATION, "email must be an email address");
    widget_ctx c;
    if ((rc = enter(r, &c, true, false)) != SB_OK)
        return rc;
    ctx_release(&c);
    sb_widget_me_op *op = calloc(1, sizeof *op);
    if (!op)
        return sb_req_fail(r, SB_E_INTERNAL, "out of memory");
    op->contact_id = c.v.contact_id;
    op->verified = c.v.verified;
    op->name = name;
    op->email = email;
    return sb_req_submit(r, sb_widget_me_tx, op, free, op->errmsg);
}

int sb_api_widget_me_finish(sb_req *r)
{
    sb_widget_me_op *op = r->op;
    return sb_req_json(r, 200, me_json(sb_req_db(r), op->contact_id, op->verified));
}

/* ---- conversations ---- */

int sb_api_widget_conversations(sb_req *r)
{
    widget_ctx c;
    int rc = enter(r, &c, true, false);
    if (rc != SB_OK)
        return rc;
    ctx_release(&c);
    json_t *items = sb_store_widget_conversations(sb_req_db(r), c.v.contact_id, WIDGET_LIST_MAX);
    if (!items)
        return sb_req_fail(r, SB_E_INTERNAL, "query failed");
    return sb_req_json(r, 200, json_pack("{s:o}", "items", items));
}

typedef struct {
    sb_conv_create_op op; /* first: errmsg */
    char subject[WIDGET_SUBJECT_MAX + 4];
    char locale[8];
} start_req;

/* A new chat outside the widget's hours gets the promise of when the team answers, in the
 * same transaction. */
static sb_err start_tx(sb_db *w, void *arg)
{
    start_req *s = arg;
    sb_err err = sb_svc_conv_create(w, &s->op);
    if (err == SB_OK)
        err = sb_svc_after_hours_post(w, "channel:widget", s->op.id, s->op.contact_id, s->locale);
    if (err == SB_OK)
        err = sb_svc_bot_queue(w, s->op.id); /* the answer bot may reply first */
    return err;
}

/* The subject is the start of the first line, cut on a UTF-8 boundary. */
static void subject_of(const char *body, char *out, size_t max)
{
    while (*body == ' ' || *body == '\n' || *body == '\r' || *body == '\t')
        body++;
    size_t n = strcspn(body, "\r\n");
    bool cut = n > max;
    if (cut) {
        n = max;
        while (n > 0 && ((unsigned char)body[n] & 0xC0) == 0x80)
            n--;
    }
    memcpy(out, body, n);
    strcpy(out + n, cut ? "…" : "");
}

int sb_api_widget_conversation_start(sb_req *r)
{
    static const char *const fields[] = {"body", NULL};
    int rc;
    const char *body;
    if ((rc = sb_api_need_object(r)) != SB_OK || (rc = sb_api_only(r, fields)) != SB_OK ||
        (rc = sb_api_str(r, "body", true, false, WIDGET_BODY_MAX, &body)) != SB_OK)
        return rc;
    widget_ctx c;
    if ((rc = enter(r, &c, true, false)) != SB_OK)
        return rc;
    bool on = enabled(&c);
    ctx_release(&c);
    if (!on)
        return sb_req_fail(r, SB_E_FORBIDDEN, "the chat widget is turned off");
    start_req *s = calloc(1, sizeof *s);
    if (!s)
        return sb_req_fail(r, SB_E_INTERNAL, "out of memory");
    subject_of(body, s->subject, WIDGET_SUBJECT_MAX);
    s->op.actor = (sb_actor){"contact", c.v.contact_id};
    s->op.subject = s->subject;
    s->op.body = body;
    s->op.channel = "widget";
    s->op.priority = SB_PRIORITY_NORMAL;
    s->op.contact_id = c.v.contact_id;
    snprintf(s->locale, sizeof s->locale, "%s", visitor_locale(r));
    return sb_req_submit(r, start_tx, s, free, s->op.errmsg);
}

int sb_api_widget_conversation_start_finish(sb_req *r)
{
    start_req *s = r->op;
    json_t *conv = sb_store_widget_conversation(sb_req_db(r), s->op.id, s->op.contact_id);
    return conv ? sb_req_json(r, 201, conv) : sb_req_fail(r, SB_E_INTERNAL, "conversation vanished");
}

/* The visitor's own conversation r->ids[0], or a 404 (the same for another's and a missing one). */
static int own_conversation(sb_req *r, widget_ctx *c, json_t **conv)
{
    *conv = sb_store_widget_conversation(sb_req_db(r), r->ids[0], c->v.contact_id);
    return *conv ? SB_OK : sb_api_not_found(r, "conversation", r->ids[0]);
}

/* What the widget asks its customer: "solved?" while the conversation is solved, the CSAT
 * survey once one was sent; each with the signed token the public endpoints take. */
static void add_feedback_tokens(sb_db *db, json_t *conv)
{
    int64_t id = json_integer_value(json_object_get(conv, "id"));
    const char *status = json_string_value(json_object_get(conv, "status"));
    char token[96];
    json_object_set_new(conv, "resolution_token", json_null());
    json_object_set_new(conv, "csat", json_null());
    if (status && strcmp(status, "solved") == 0) {
        sb_svc_public_token(db, 'r', id, token);
        json_object_set_new(conv, "resolution_token", json_string(token));
    }
    json_t *full = sb_store_conv_get(db, id);
    json_t *csat = full ? json_object_get(full, "csat") : NULL;
    if (json_is_object(csat)) {
        sb_svc_public_token(db, 's', id, token);
        json_object_set_new(conv, "csat", json_pack("{s:s, s:O}", "token", token, "rating", json_object_get(csat, "rating")));
    }
    json_decref(full);
}

int sb_api_widget_conversation_get(sb_req *r)
{
    widget_ctx c;
    json_t *conv;
    int rc = enter(r, &c, true, false);
    if (rc != SB_OK)
        return rc;
    ctx_release(&c);
    if ((rc = own_conversation(r, &c, &conv)) != SB_OK)
        return rc;
    add_feedback_tokens(sb_req_db(r), conv);
    return sb_req_json(r, 200, conv);
}

int sb_api_widget_messages(sb_req *r)
{
    widget_ctx c;
    json_t *conv;
    int64_t after = 0;
    int rc = enter(r, &c, true, false);
    if (rc != SB_OK)
        return rc;
    ctx_release(&c);
    if ((rc = own_conversation(r, &c, &conv)) != SB_OK || (rc = sb_api_query_id(r, "after", &after)) != SB_OK)
        return rc;
    json_decref(conv);
    json_t *items = sb_store_widget_messages(sb_req_db(r), r->ids[0], after > 0 ? after : 0, WIDGET_MESSAGES_MAX);
    if (!items)
        return sb_req_fail(r, SB_E_INTERNAL, "query failed");
    return sb_req_json(r, 200, json_pack("{s:o}", "items", items));
}

static void message_op_free(void *p)
{
    sb_message_op *op = p;
    free((void *)op->atts);
    free(op);
}

/* "attachments": [{"sha256", "filename", "content_type"}] from POST /api/v1/widget/uploads. */
/* An upload receipt binds a file to the visitor who sent it: a visitor may attach only files it
 * uploaded, never any file the server holds whose hash it knows. */
static void upload_receipt(sb_db *db, int64_t visitor_id, const char *sha, char out[65])
{
    char msg[128];
    snprintf(msg, sizeof msg, "upload:%lld:%s", (long long)visitor_id, sha);
    sb_svc_sign(db, msg, out);
}

static bool receipt_ok(sb_db *db, int64_t visitor_id, const char *sha, const char *receipt)
{
    char msg[128];
    snprintf(msg, sizeof msg, "upload:%lld:%s", (long long)visitor_id, sha);
    return sb_svc_sign_ok(db, msg, receipt);
}

static int parse_attachments(sb_req *r, sb_message_op *op, const widget_ctx *c)
{
    json_t *list = json_object_get(r->body, "attachments");
    if (!list)
        return SB_OK;
    if (!json_is_array(list))
        return sb_req_fail(r, SB_E_BAD_REQUEST, "\"attachments\" must be an array");
    if (json_array_size(list) > WIDGET_ATTACHMENTS_MAX)
        return sb_req_fail(r, SB_E_VALIDATION, "at most %d attachments per message", WIDGET_ATTACHMENTS_MAX);
    sb_email_attachment *atts = calloc(json_array_size(list) + 1, sizeof *atts);
    if (!atts)
        return sb_req_fail(r, SB_E_INTERNAL, "out of memory");
    op->atts = atts;
    size_t i;
    json_t *a;
    json_array_foreach(list, i, a)
    {
        const char *sha = json_string_value(json_object_get(a, "sha256"));
        const char *name = json_string_value(json_object_get(a, "filename"));
        const char *type = json_string_value(json_object_get(a, "content_type"));
        const char *receipt = json_string_value(json_object_get(a, "receipt"));
        if (!sha || !sb_blob_valid_name(sha) || !sb_api_safe_filename(name) ||
            (type && (strlen(type) > 127 || !sb_api_mime_type_ok(type))))
            return sb_req_fail(r, SB_E_VALIDATION, "attachments[%zu]: give sha256, filename, content_type and "
                                                   "receipt from POST /api/v1/widget/uploads", i);
        if (!receipt || !receipt_ok(sb_req_db(r), c->v.id, sha, receipt))
            return sb_req_fail(r, SB_E_VALIDATION, "attachments[%zu] was not uploaded by this visitor", i);
        long long size = sb_blob_size(sb_store_data_dir(r->app->store), sha);
        if (size < 0 || (size_t)size > SB_VISITOR_UPLOAD_MAX)
            return sb_req_fail(r, SB_E_VALIDATION, "attachments[%zu] was not uploaded", i);
        atts[i] = (sb_email_attachment){.filename = name, .content_type = type ? type : "application/octet-stream",
                                        .sha256 = sha, .size = size};
        op->natts++;
    }
    return SB_OK;
}

int sb_api_widget_message_create(sb_req *r)
{
    static const char *const fields[] = {"body", "attachments", NULL};
    int rc;
    const char *body;
    if ((rc = sb_api_need_object(r)) != SB_OK || (rc = sb_api_only(r, fields)) != SB_OK ||
        (rc = sb_api_str(r, "body", false, true, WIDGET_BODY_MAX, &body)) != SB_OK)
        return rc;
    widget_ctx c;
    json_t *conv;
    if ((rc = enter(r, &c, true, false)) != SB_OK)
        return rc;
    if ((rc = own_conversation(r, &c, &conv)) != SB_OK) {
        ctx_release(&c);
        return rc;
    }
    json_decref(conv);
    sb_message_op *op = calloc(1, sizeof *op);
    if (!op) {
        ctx_release(&c);
        return sb_req_fail(r, SB_E_INTERNAL, "out of memory");
    }
    op->actor = (sb_actor){"contact", c.v.contact_id};
    op->conversation_id = r->ids[0];
    op->inbound = true;
    op->set_status = -1;
    op->body = body ? body : "";
    rc = parse_attachments(r, op, &c);
    ctx_release(&c);
    if (rc != SB_OK) {
        message_op_free(op);
        return rc;
    }
    if (!*op->body && op->natts == 0) {
        message_op_free(op);
        return sb_req_fail(r, SB_E_VALIDATION, "body: a message needs text or an attachment");
    }
    return sb_req_submit(r, sb_svc_message_create, op, message_op_free, op->errmsg);
}

int sb_api_widget_message_finish(sb_req *r)
{
    sb_message_op *op = r->op;
    json_t *items = sb_store_widget_messages(sb_req_db(r), op->out_conversation_id, op->message_id - 1, 1);
    json_t *m = json_incref(json_array_get(items, 0));
    json_decref(items);
    if (!m)
        return sb_req_fail(r, SB_E_INTERNAL, "message vanished");
    /* A closed conversation continues in a follow-up: the widget switches to it. */
    json_object_set_new(m, "conversation_id", json_integer(op->out_conversation_id));
    return sb_req_json(r, 201, m);
}

/* ---- files ---- */

int sb_api_widget_upload(sb_req *r)
{
    widget_ctx c;
    int rc = enter(r, &c, true, false);
    if (rc != SB_OK)
        return rc;
    char ip[80];
    sb_api_client_ip(r, ip, sizeof ip);
    unsigned wait = sb_ratelimit_check(r->app->widget_upload_limit, ip, sb_time_now_ms());
    if (wait) {
        ctx_release(&c);
        sb_req_retry_after(r, wait);
        return sb_req_fail(r, SB_E_RATE_LIMITED, "too many uploads from this address; retry later");
    }
    const char *name = sb_req_query(r, "filename");
    if (!sb_api_safe_filename(name) || r->raw_len == 0) {
        ctx_release(&c);
        return sb_req_fail(r, SB_E_VALIDATION, !r->raw_len ? "the body is the file, and it is empty"
                                                           : "give ?filename= (at most 255 bytes, no slashes or control characters)");
    }
    const char *type = sb_req_header(r, "Content-Type");
    char base[128];
    snprintf(base, sizeof base, "%s", type ? type : "");
    base[strcspn(base, "; ")] = '\0';
    type = sb_api_mime_type_ok(base) ? base : "application/octet-stream";
    char hex[65], receipt[65];
    if (sb_blob_put(sb_store_data_dir(r->app->store), r->raw, r->raw_len, hex) < 0) {
        ctx_release(&c);
        return sb_req_fail(r, SB_E_INTERNAL, "cannot store the file");
    }
    sb_ratelimit_fail(r->app->widget_upload_limit, ip, sb_time_now_ms());
    upload_receipt(sb_req_db(r), c.v.id, hex, receipt);
    ctx_release(&c);
    return sb_req_json(r, 201,
                       json_pack("{s:s, s:s, s:s, s:I, s:s}", "sha256", hex, "filename", name, "content_type", type,
                                 "size", (json_int_t)r->raw_len, "receipt", receipt));
}

int sb_api_widget_attachment(sb_req *r)
{
    widget_ctx c;
    int rc = enter(r, &c, true, false);
    if (rc != SB_OK)
        return rc;
    ctx_release(&c);
    json_t *a = sb_store_widget_attachment(sb_req_db(r), r->ids[0], c.v.contact_id);
    if (!a)
        return sb_api_not_found(r, "attachment", r->ids[0]);
    char *data = NULL;
    size_t len = 0;
    if (sb_blob_get(sb_store_data_dir(r->app->store), json_string_value(json_object_get(a, "sha256")),
                    WIDGET_DOWNLOAD_MAX, &data, &len) < 0) {
        json_decref(a);
        return sb_req_fail(r, SB_E_NOT_FOUND, "the file is not in the store");
    }
    struct MHD_Response *resp = MHD_create_response_from_buffer(len, data, MHD_RESPMEM_MUST_FREE);
    if (!resp) {
        free(data);
        json_decref(a);
        return sb_req_fail(r, SB_E_INTERNAL, "out of memory");
    }
    char disp[600], clean[256];
    size_t j = 0;
    for (const char *p = json_string_value(json_object_get(a, "filename")); p && *p && j < sizeof clean - 1; p++)
        clean[j++] = (*p == '"' || *p == '\\' || (unsigned char)*p < 0x20) ? '_' : *p;
    clean[j] = '\0';
    snprintf(disp, sizeof disp, "attachment; filename=\"%s\"", clean);
    /* Always a download, never rendered by the browser (the type is the uploader's word). */
    MHD_add_response_header(resp, "Content-Type", "application/octet-stream");
    MHD_add_response_header(resp, "Content-Disposition", disp);
    MHD_add_response_header(resp, "Content-Security-Policy", "default-src 'none'; sandbox");
    json_decref(a);
    r->resp_bytes = len;
    return sb_req_queue_stream(r, resp);
}

/* ---- realtime ---- */

int sb_api_widget_typing(sb_req *r)
{
    static const char *const fields[] = {"conversation_id", "typing", NULL};
    int rc;
    bool present, typing = true;
    int64_t conv_id;
    if ((rc = sb_api_need_object(r)) != SB_OK || (rc = sb_api_only(r, fields)) != SB_OK ||
        (rc = sb_api_id(r, "conversation_id", &present, &conv_id)) != SB_OK ||
        (rc = sb_api_bool(r, "typing", &present, &typing)) != SB_OK)
        return rc;
    if (conv_id <= 0)
        return sb_req_fail(r, SB_E_VALIDATION, "conversation_id is required");
    widget_ctx c;
    if ((rc = enter(r, &c, true, false)) != SB_OK)
        return rc;
    ctx_release(&c);
    json_t *conv = sb_store_widget_conversation(sb_req_db(r), conv_id, c.v.contact_id);
    if (!conv)
        return sb_api_not_found(r, "conversation", conv_id);
    json_decref(conv);
    char json[160];
    snprintf(json, sizeof json, "{\"conversation_id\":%lld,\"who\":\"customer\",\"typing\":%s}", (long long)conv_id,
             typing ? "true" : "false");
    sb_hub_ephemeral(r->app->hub, "typing", json, conv_id, c.v.contact_id, SB_HUB_AGENTS);
    r->status = 204;
    return SB_OK;
}

int sb_api_widget_events(sb_req *r)
{
    widget_ctx c;
    int rc = enter(r, &c, true, true);
    if (rc != SB_OK)
        return rc;
    ctx_release(&c);
    const char *last = sb_req_header(r, "Last-Event-ID");
    if (!last || !*last)
        last = sb_req_query(r, "last_event_id");
    int64_t last_id = -1;
    if (last && *last) {
        char *end;
        long long v = strtoll(last, &end, 10);
        if (*end || v < 0)
            return sb_req_fail(r, SB_E_BAD_REQUEST, "Last-Event-ID must be an event id");
        last_id = v;
    }
    if (__atomic_load_n(&r->app->stopping, __ATOMIC_RELAXED))
        return sb_req_fail(r, SB_E_UNAVAILABLE, "the server is shutting down");
    return sb_hub_open_visitor_stream(r->app->hub, r, c.v.contact_id, c.token_hash, last_id);
}
