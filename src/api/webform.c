/* The public web form: GET/POST /contact (HTML), /contact.css, POST /api/v1/webform (JSON),
 * and its configuration under /api/v1/settings/webform (admins). */
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "service/kb.h"
#include "channels/webform/page.h"
#include "core/webform.h"
#include "http/auth.h"
#include "http/form.h"
#include "util/time.h"

#define CSP "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

typedef struct {
    sb_conv_create_op c;
    char *subject, *body, *email, *name, *fields_json;
    json_t *config;
} submit_op;

/* A new request may be answered by the bot at once (its job checks the channel setting). */
static sb_err submit_tx(sb_db *w, void *arg)
{
    submit_op *op = arg;
    sb_err err = sb_svc_conv_create(w, &op->c);
    return err == SB_OK ? sb_svc_bot_queue(w, op->c.id) : err;
}

static void submit_op_free(void *arg)
{
    submit_op *op = arg;
    free(op->subject);
    free(op->body);
    free(op->email);
    free(op->name);
    free(op->fields_json);
    json_decref(op->config);
    free(op);
}

static json_t *load_config(sb_req *r)
{
    return sb_svc_webform_config(sb_req_db(r));
}

static int queue_page(sb_req *r, unsigned status, char *page, size_t len, const char *retry_after)
{
    if (!page)
        return sb_req_fail(r, SB_E_INTERNAL, "out of memory");
    struct MHD_Response *resp = MHD_create_response_from_buffer(len, page, MHD_RESPMEM_MUST_FREE);
    if (!resp) {
        free(page);
        return sb_req_fail(r, SB_E_INTERNAL, "out of memory");
    }
    MHD_add_response_header(resp, "Content-Type", "text/html; charset=utf-8");
    MHD_add_response_header(resp, "Content-Security-Policy", CSP);
    MHD_add_response_header(resp, "Referrer-Policy", "same-origin");
    MHD_add_response_header(resp, "X-Frame-Options", "DENY");
    if (retry_after)
        MHD_add_response_header(resp, "Retry-After", retry_after);
    r->resp_bytes = len;
    return sb_req_queue_response(r, status, resp);
}

int sb_api_webform_page(sb_req *r)
{
    json_t *config = load_config(r);
    if (!config)
        return sb_req_fail(r, SB_E_INTERNAL, "out of memory");
    size_t len = 0;
    char *page = sb_webform_page_form(config, NULL, NULL, NULL, &len);
    json_decref(config);
    return queue_page(r, 200, page, len, NULL);
}

int sb_api_webform_css(sb_req *r)
{
    size_t len = strlen(sb_webform_css);
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(len, (void *)sb_webform_css, MHD_RESPMEM_PERSISTENT);
    if (!resp)
        return sb_req_fail(r, SB_E_INTERNAL, "out of memory");
    MHD_add_response_header(resp, "Content-Type", "text/css; charset=utf-8");
    MHD_add_response_header(resp, "Cache-Control", "public, max-age=3600");
    r->resp_bytes = len;
    return sb_req_queue_response(r, 200, resp);
}

/* 0 when the client may submit, else the seconds to wait (and the Retry-After text). */
static unsigned rate_wait(sb_req *r, char key[80], char retry[16])
{
    sb_api_client_ip(r, key, 80);
    unsigned wait = sb_ratelimit_check(r->app->webform_limit, key, sb_time_now_ms());
    snprintf(retry, 16, "%u", wait);
    return wait;
}

static void rate_count(sb_req *r, const char *key)
{
    sb_ratelimit_fail(r->app->webform_limit, key, sb_time_now_ms());
}

/* Fills op from validated fixed fields and answers; SB_OK or an error set on r. */
static int prepare_op(sb_req *r, submit_op *op, json_t *fixed, json_t *answers)
{
    op->email = strdup(json_string_value(json_object_get(fixed, "email")));
    op->name = strdup(json_string_value(json_object_get(fixed, "name")));
    op->subject = strdup(json_string_value(json_object_get(fixed, "subject")));
    op->body = sb_webform_body(op->config, answers);
    op->fields_json = json_dumps(answers, JSON_COMPACT);
    if (!op->email || !op->name || !op->subject || !op->body || !op->fields_json)
        return sb_req_fail(r, SB_E_INTERNAL, "out of memory");
    op->c.actor = (sb_actor){"system", 0};
    op->c.subject = op->subject;
    op->c.body = op->body;
    op->c.channel = "webform";
    op->c.priority = 1; /* normal */
    op->c.contact_email = op->email;
    op->c.contact_name = op->name;
    op->c.fields_json = op->fields_json;
    /* Replies go back by email, from the installation's first mailbox that can send. */
    op->c.mailbox_id = sb_store_mailbox_default(sb_req_db(r));
    return SB_OK;
}

/* ---- POST /contact ---- */

/* The submitted values of the form's fields as JSON strings; a value that is not UTF-8 gets
 * an error (applied after the checks, which would only call it missing). */
static json_t *form_values(const sb_form *f, const json_t *config, json_t *bad_utf8)
{
    json_t *values = json_object();
    const char *fixed[] = {"name", "email", "subject"};
    size_t nfields = json_array_size(json_object_get(config, "fields"));
    for (size_t i = 0; i < 3 + nfields; i++) {
        const json_t *field = i >= 3 ? json_array_get(json_object_get(config, "fields"), i - 3) : NULL;
        const char *name = field ? json_string_value(json_object_get(field, "name")) : fixed[i];
        size_t len;
        const char *v = sb_form_get(f, name, &len);
        if (!v)
            continue;
        json_t *s = json_stringn(v, len);
        if (!s) {
            const char *label = field ? json_string_value(json_object_get(field, "label")) : name;
            char msg[300];
            snprintf(msg, sizeof msg, "%s contains bytes that are not UTF-8 text.", label);
            json_object_set_new(bad_utf8, name, json_string(msg));
            continue;
        }
        json_object_set_new(values, name, s);
    }
    return values;
}

int sb_api_webform_submit(sb_req *r)
{
    sb_form form;
    int rc = sb_req_form(r, &form);
    if (rc != SB_OK) {
        sb_form_release(&form);
        return rc;
    }
    submit_op *op = calloc(1, sizeof *op);
    json_t *values = NULL, *fixed = json_object(), *answers = json_object(), *errors = json_object(),
           *bad_utf8 = json_object();
    if (!op || !(op->config = load_config(r))) {
        rc = sb_req_fail(r, SB_E_INTERNAL, "out of memory");
        goto out;
    }
    values = form_values(&form, op->config, bad_utf8);
    char key[80], retry[16];
    if (rate_wait(r, key, retry)) {
        size_t len = 0;
        char *page = sb_webform_page_form(op->config, values, NULL, sb_webform_string(op->config, "rate_limited"), &len);
        rc = queue_page(r, 429, page, len, retry);
        goto out;
    }
    size_t hplen = 0;
    const char *hp = sb_form_get(&form, SB_WEBFORM_HONEYPOT, &hplen);
    if (hp && hplen) {
        /* A bot filled the hidden field: thank it and keep nothing. */
        rate_count(r, key);
        size_t len = 0;
        char *page = sb_webform_page_thanks(op->config, 0, &len);
        rc = queue_page(r, 200, page, len, NULL);
        goto out;
    }
    sb_webform_check(op->config, values, fixed, answers, errors);
    json_object_update(errors, bad_utf8);
    if (json_object_size(errors)) {
        size_t len = 0;
        char *page = sb_webform_page_form(op->config, values, errors, NULL, &len);
        rc = queue_page(r, 422, page, len, NULL);
        goto out;
    }
    if ((rc = prepare_op(r, op, fixed, answers)) != SB_OK)
        goto out;
    rate_count(r, key);
    rc = sb_req_submit(r, submit_tx, op, submit_op_free, op->c.errmsg);
    op = NULL;
out:
    if (op)
        submit_op_free(op);
    json_decref(values);
    json_decref(fixed);
    json_decref(answers);
    json_decref(errors);
    json_decref(bad_utf8);
    sb_form_release(&form);
    return rc;
}

int sb_api_webform_submit_finish(sb_req *r)
{
    submit_op *op = r->op;
    size_t len = 0;
    char *page = sb_webform_page_thanks(op->config, op->c.id, &len);
    return queue_page(r, 200, page, len, NULL);
}

/* ---- POST /api/v1/webform ---- */

/* A valid bearer token lifts the per-address limit (a site's own server posting for its
 * visitors); an invalid one is refused rather than ignored. 1 = trusted, 0 = anonymous,
 * -1 = refused (error set). */
static int trusted_caller(sb_req *r)
{
    const char *authz = sb_req_header(r, MHD_HTTP_HEADER_AUTHORIZATION);
    if (!authz)
        return 0;
    sb_principal who;
    unsigned char hash[32];
    sb_db *db = sb_req_db(r);
    if (strncasecmp(authz, "Bearer ", 7) != 0 || strlen(authz + 7) > 128 || !db) {
        sb_req_fail(r, SB_E_UNAUTHORIZED, "use Authorization: Bearer TOKEN, or no credentials");
        return -1;
    }
    sb_auth_hash(authz + 7, hash);
    if (sb_store_token_lookup(db, hash, &who) != SB_OK) {
        sb_req_fail(r, SB_E_UNAUTHORIZED, "invalid or revoked token");
        return -1;
    }
    return 1;
}

static int json_validation_error(sb_req *r, json_t *errors)
{
    const char *first = NULL;
    json_t *msg = NULL;
    const char *k;
    json_t *v;
    json_object_foreach(errors, k, v)
    {
        first = k;
        msg = v;
        break;
    }
    char field[80];
    if (first && strcmp(first, "name") != 0 && strcmp(first, "email") != 0 && strcmp(first, "subject") != 0)
        snprintf(field, sizeof field, "fields.%s", first);
    else
        snprintf(field, sizeof field, "%s", first ? first : "");
    json_t *fields = json_object();
    json_object_foreach(errors, k, v)
    {
        char path[80];
        if (strcmp(k, "name") != 0 && strcmp(k, "email") != 0 && strcmp(k, "subject") != 0)
            snprintf(path, sizeof path, "fields.%s", k);
        else
            snprintf(path, sizeof path, "%s", k);
        json_object_set(fields, path, v);
    }
    return sb_req_json(r, 422, json_pack("{s:{s:s, s:O, s:s, s:o}}", "error", "code",
                                         sb_err_lookup(SB_E_VALIDATION)->code, "message", msg, "field", field,
                                         "fields", fields));
}

int sb_api_webform_json(sb_req *r)
{
    static const char *const keys[] = {"name", "email", "subject", "fields", NULL};
    int rc;
    if ((rc = sb_api_need_object(r)) != SB_OK || (rc = sb_api_only(r, keys)) != SB_OK)
        return rc;
    int trusted = trusted_caller(r);
    if (trusted < 0)
        return r->err;
    char key[80], retry[16];
    if (!trusted && rate_wait(r, key, retry)) {
        snprintf(r->retry_after, sizeof r->retry_after, "%s", retry);
        return sb_req_fail(r, SB_E_RATE_LIMITED, "too many submissions from your address; try again in %s seconds",
                           retry);
    }
    json_t *fields = json_object_get(r->body, "fields");
    if (fields && !json_is_object(fields) && !json_is_null(fields))
        return sb_req_fail(r, SB_E_BAD_REQUEST, "\"fields\" must be an object of answers by field name");
    submit_op *op = calloc(1, sizeof *op);
    if (!op || !(op->config = load_config(r))) {
        free(op);
        return sb_req_fail(r, SB_E_INTERNAL, "out of memory");
    }
    json_t *values = json_object(), *fixed = json_object(), *answers = json_object(), *errors = json_object();
    const char *k;
    json_t *v;
    json_object_foreach(fields, k, v)
    {
        bool known = false;
        size_t i;
        json_t *f;
        json_array_foreach(json_object_get(op->config, "fields"), i, f) known |=
            strcmp(json_string_value(json_object_get(f, "name")), k) == 0;
        if (!known) {
            rc = sb_req_fail(r, SB_E_VALIDATION, "fields.%.64s is not a field of the form", k);
            goto out;
        }
        json_object_set(values, k, v);
    }
    for (size_t i = 0; keys[i + 1]; i++) {
        json_t *fv = json_object_get(r->body, keys[i]);
        if (fv)
            json_object_set(values, keys[i], fv);
    }
    if (sb_webform_check(op->config, values, fixed, answers, errors)) {
        rc = json_validation_error(r, errors);
        goto out;
    }
    if ((rc = prepare_op(r, op, fixed, answers)) != SB_OK)
        goto out;
    if (!trusted)
        rate_count(r, key);
    rc = sb_req_submit(r, submit_tx, op, submit_op_free, op->c.errmsg);
    op = NULL;
out:
    if (op)
        submit_op_free(op);
    json_decref(values);
    json_decref(fixed);
    json_decref(answers);
    json_decref(errors);
    return rc;
}

int sb_api_webform_json_finish(sb_req *r)
{
    submit_op *op = r->op;
    return sb_req_json(r, 201, json_pack("{s:I}", "id", (json_int_t)op->c.id));
}

/* ---- settings ---- */

int sb_api_webform_config_get(sb_req *r)
{
    json_t *config = load_config(r);
    if (!config)
        return sb_req_fail(r, SB_E_INTERNAL, "out of memory");
    return sb_req_json(r, 200, config);
}

static void config_op_free(void *arg)
{
    sb_webform_config_op *op = arg;
    free(op->config_json);
    free(op);
}

int sb_api_webform_config_put(sb_req *r)
{
    char field[64], msg[256];
    if (!r->body)
        return sb_req_fail(r, SB_E_INVALID_JSON, "the body is empty; send the form configuration");
    json_t *config = sb_webform_config_parse(r->body, field, sizeof field, msg, sizeof msg);
    if (!config)
        return sb_req_json(r, 422, json_pack("{s:{s:s, s:s, s:s}}", "error", "code",
                                             sb_err_lookup(SB_E_VALIDATION)->code, "message", msg, "field", field));
    sb_webform_config_op *op = calloc(1, sizeof *op);
    if (op)
        op->config_json = json_dumps(config, JSON_COMPACT);
    json_decref(config);
    if (!op || !op->config_json) {
        if (op)
            config_op_free(op);
        return sb_req_fail(r, SB_E_INTERNAL, "out of memory");
    }
    return sb_req_submit(r, sb_svc_webform_config_put, op, config_op_free, op->errmsg);
}

int sb_api_webform_config_put_finish(sb_req *r)
{
    return sb_api_webform_config_get(r);
}
