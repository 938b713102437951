/* Agent notifications and the test clock. */
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "jobs/runner.h"
#include "realtime/hub.h"
#include "realtime/presence.h"
#include "util/time.h"
#include "util/buf.h"
#include "util/time.h"

int sb_api_notifications_list(sb_req *r)
{
    int limit;
    int64_t before = 0;
    if (sb_api_query_limit(r, 50, 200, &limit) || sb_api_query_id(r, "before", &before))
        return r->err;
    const char *unread = sb_req_query(r, "unread");
    sb_db *db = sb_req_db(r);
    json_t *items = sb_store_notification_list(db, r->who.agent_id, unread && *unread && *unread != '0',
                                               before, limit);
    if (!items)
        return sb_req_fail(r, SB_E_INTERNAL, "could not read notifications");
    json_t *o = json_pack("{s:o, s:I}", "items", items, "unread",
                          (json_int_t)sb_store_notification_unread(db, r->who.agent_id));
    return sb_req_json(r, 200, o);
}

typedef struct {
    int64_t agent_id, id;
    char errmsg[SB_ERRMSG];
} read_op;

static sb_err read_tx(sb_db *w, void *arg)
{
    read_op *op = arg;
    return sb_store_notification_read(w, op->agent_id, op->id, sb_now());
}

/* POST /api/v1/notifications/read {"id": N} marks one, {} marks all. */
int sb_api_notifications_read(sb_req *r)
{
    static const char *const fields[] = {"id", NULL};
    bool has_id = false;
    int64_t id = 0;
    if (sb_api_need_object(r) || sb_api_only(r, fields) || sb_api_id(r, "id", &has_id, &id))
        return r->err;
    read_op *op = calloc(1, sizeof *op);
    if (!op)
        return sb_req_fail(r, SB_E_INTERNAL, "out of memory");
    op->agent_id = r->who.agent_id;
    op->id = has_id ? id : 0;
    return sb_req_submit(r, read_tx, op, free, op->errmsg);
}

int sb_api_notifications_read_finish(sb_req *r)
{
    return sb_req_json(r, 200, json_pack("{s:I}", "unread",
                                         (json_int_t)sb_store_notification_unread(sb_req_db(r), r->who.agent_id)));
}

int sb_api_view_counts(sb_req *r)
{
    json_t *o = sb_store_view_counts(sb_req_db(r), r->who.agent_id);
    if (!o)
        return sb_req_fail(r, SB_E_INTERNAL, "could not count");
    return sb_req_json(r, 200, o);
}

/* ---- test clock (serve --test-clock only) ---- */

static json_t *clock_json(void)
{
    char ts[32];
    sb_time_format(sb_now(), ts, sizeof ts);
    return json_pack("{s:s}", "now", ts);
}

int sb_api_test_clock_get(sb_req *r)
{
    if (!sb_clock_test_enabled())
        return sb_req_fail(r, SB_E_NOT_FOUND, "no such endpoint");
    return sb_req_json(r, 200, clock_json());
}

int sb_api_test_clock_set(sb_req *r)
{
    if (!sb_clock_test_enabled())
        return sb_req_fail(r, SB_E_NOT_FOUND, "no such endpoint");
    static const char *const fields[] = {"now", NULL};
    const char *now;
    int64_t ms;
    if (sb_api_need_object(r) || sb_api_only(r, fields) || sb_api_str(r, "now", true, false, 64, &now))
        return r->err;
    if (sb_time_parse(now, &ms) < 0)
        return sb_req_fail(r, SB_E_VALIDATION, "now: not an RFC 3339 time");
    sb_clock_set(ms);
    sb_jobs_wake(r->app->jobs); /* timers that just became due run now */
    return sb_req_json(r, 200, clock_json());
}

/* ---- presence: who is viewing or typing in a conversation (collision detection) ---- */

/* POST /conversations/{id}/presence {"state":"viewing"|"typing"|"left","mode":"reply"|"note"}.
 * Nothing is stored: clients repeat "viewing" every 15 s and forget a presence after 30 s. */
int sb_api_presence(sb_req *r)
{
    static const char *const fields[] = {"state", "mode", NULL};
    const char *state, *mode;
    if (sb_api_need_object(r) || sb_api_only(r, fields) || sb_api_str(r, "state", true, false, 16, &state) ||
        sb_api_str(r, "mode", false, false, 16, &mode))
        return r->err;
    if (strcmp(state, "viewing") != 0 && strcmp(state, "typing") != 0 && strcmp(state, "left") != 0)
        return sb_req_fail(r, SB_E_VALIDATION, "state must be viewing, typing or left");
    if (mode && strcmp(mode, "reply") != 0 && strcmp(mode, "note") != 0)
        return sb_req_fail(r, SB_E_VALIDATION, "mode must be reply or note");
    sb_db *db = sb_req_db(r);
    json_t *conv = sb_store_conv_get(db, r->ids[0]);
    if (!conv)
        return sb_api_not_found(r, "conversation", r->ids[0]);
    int64_t contact = json_integer_value(json_object_get(conv, "contact_id"));
    json_decref(conv);
    json_t *agent = sb_store_agent_get(db, r->who.agent_id);
    const char *name = agent ? json_string_value(json_object_get(agent, "name")) : NULL;
    json_t *ev = json_pack("{s:I, s:{s:I, s:s}, s:s, s:s, s:i}", "conversation_id", (json_int_t)r->ids[0], "agent",
                           "id", (json_int_t)r->who.agent_id, "name", name ? name : "", "state", state, "mode",
                           mode ? mode : "reply", "ttl", 30);
    char *text = ev ? json_dumps(ev, JSON_COMPACT) : NULL;
    if (text)
        sb_hub_ephemeral(r->app->hub, "presence", text, r->ids[0], contact, SB_HUB_AGENTS);
    free(text);
    json_decref(ev);
    /* Customers see an agent typing a reply, by display name only; never a note. */
    if (strcmp(state, "typing") == 0 && (!mode || strcmp(mode, "reply") == 0)) {
        json_t *t = json_pack("{s:I, s:s, s:s}", "conversation_id", (json_int_t)r->ids[0], "who", "agent", "name",
                              name ? name : "");
        char *tt = t ? json_dumps(t, JSON_COMPACT) : NULL;
        if (tt)
            sb_hub_ephemeral(r->app->hub, "typing", tt, r->ids[0], contact, SB_HUB_VISITORS);
        free(tt);
        json_decref(t);
    }
    /* The answer says who else is here, so a newcomer need not wait for their next beat. */
    json_t *others = sb_presence_update(r->ids[0], r->who.agent_id, name ? name : "", state, mode ? mode : "reply",
                                        sb_time_now_ms());
    json_decref(agent);
    return sb_req_json(r, 200, json_pack("{s:o}", "others", others));
}

/* ---- an inbound email's sanitised HTML, as a document of its own ---- */

/* The workspace shows it in a sandboxed frame. The document's own CSP forbids every script
 * and every remote load: inline styles are allowed (mail depends on them); remote images
 * only with ?images=1, after the agent asked (the sanitiser parked their URLs in
 * data-sb-remote-src). */
#define EMAIL_CSP                                                                                  \
    "sandbox allow-same-origin allow-popups allow-popups-to-escape-sandbox; default-src 'none';"   \
    " style-src 'unsafe-inline'; img-src 'self' data:%s; frame-ancestors 'self'; base-uri 'none';" \
    " form-action 'none'"

int sb_api_message_html(sb_req *r)
{
    json_t *m = sb_store_message_get(sb_req_db(r), r->ids[0]);
    if (!m)
        return sb_api_not_found(r, "message", r->ids[0]);
    const char *html = json_string_value(json_object_get(m, "body_html"));
    const char *images = sb_req_query(r, "images");
    bool remote = images && strcmp(images, "1") == 0;
    sb_buf b;
    sb_buf_init(&b, 64u << 20);
    sb_buf_puts(&b, "<!doctype html><html><head><meta charset=\"utf-8\"><base target=\"_blank\">"
                    "<style>body{margin:0;font:14px/1.45 system-ui,sans-serif;overflow-wrap:anywhere}"
                    "img{max-width:100%;height:auto}</style></head><body>");
    for (const char *p = html ? html : ""; *p;) {
        const char *hit = remote ? strstr(p, " data-sb-remote-src=") : NULL;
        if (!hit) {
            sb_buf_puts(&b, p);
            break;
        }
        sb_buf_append(&b, p, (size_t)(hit - p));
        sb_buf_puts(&b, " src=");
        p = hit + strlen(" data-sb-remote-src=");
    }
    sb_buf_puts(&b, "</body></html>");
    json_decref(m);
    if (b.failed) {
        sb_buf_release(&b);
        return sb_req_fail(r, SB_E_INTERNAL, "out of memory");
    }
    size_t len;
    char *text = sb_buf_detach(&b, &len);
    struct MHD_Response *resp = MHD_create_response_from_buffer(len, text, MHD_RESPMEM_MUST_FREE);
    if (!resp) {
        free(text);
        return sb_req_fail(r, SB_E_INTERNAL, "out of memory");
    }
    char csp[512];
    snprintf(csp, sizeof csp, EMAIL_CSP, remote ? " https: http:" : "");
    MHD_add_response_header(resp, "Content-Type", "text/html; charset=utf-8");
    MHD_add_response_header(resp, "Content-Security-Policy", csp);
    MHD_add_response_header(resp, "Cache-Control", "private, no-store");
    r->resp_bytes = len;
    return sb_req_queue_response(r, 200, resp);
}
