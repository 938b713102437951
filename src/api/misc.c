/* Health, metrics, the OpenAPI document, search and the event stream. */
#include <microhttpd.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "core/conversation.h"
#include "http/metrics.h"
#include "realtime/hub.h"
#include "util/buf.h"

int sb_api_healthz(sb_req *r)
{
    sb_db *db = sb_req_db(r);
    if (!db)
        return sb_req_fail(r, SB_E_UNAVAILABLE, "database unavailable");
    return sb_req_json(r, 200, json_pack("{s:s}", "status", __atomic_load_n(&r->app->stopping, __ATOMIC_RELAXED) ? "stopping" : "ok"));
}

static int queue_text(sb_req *r, const char *content_type, char *text, size_t len)
{
    struct MHD_Response *resp = MHD_create_response_from_buffer(len, text, MHD_RESPMEM_MUST_FREE);
    if (!resp) {
        free(text);
        return sb_req_fail(r, SB_E_INTERNAL, "out of memory");
    }
    MHD_add_response_header(resp, "Content-Type", content_type);
    r->resp_bytes = len;
    return sb_req_queue_stream(r, resp);
}

int sb_api_metrics(sb_req *r)
{
    sb_buf b;
    sb_buf_init(&b, 8u << 20);
    sb_metrics_render(r->app, &b);
    size_t len;
    char *text = sb_buf_detach(&b, &len);
    return queue_text(r, "text/plain; version=0.0.4; charset=utf-8", text, len);
}

/* The document is read once from the source tree or next to the binary. */
static char *openapi_text;
static size_t openapi_len;
static pthread_once_t openapi_once = PTHREAD_ONCE_INIT;

static void load_openapi(void)
{
    const char *candidates[] = {getenv("SWITCHBOARD_OPENAPI"), SB_SOURCE_DIR "/docs/api/openapi.json",
                                "docs/api/openapi.json", "/usr/share/switchboard/openapi.json"};
    for (size_t i = 0; i < sizeof candidates / sizeof candidates[0]; i++) {
        if (!candidates[i])
            continue;
        FILE *f = fopen(candidates[i], "rb");
        if (!f)
            continue;
        sb_buf b;
        sb_buf_init(&b, 16u << 20);
        char chunk[65536];
        size_t n;
        while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
            sb_buf_append(&b, chunk, n);
        fclose(f);
        if (!b.failed) {
            openapi_text = sb_buf_detach(&b, &openapi_len);
            return;
        }
        sb_buf_release(&b);
    }
}

int sb_api_openapi(sb_req *r)
{
    pthread_once(&openapi_once, load_openapi);
    if (!openapi_text)
        return sb_req_fail(r, SB_E_NOT_FOUND, "the OpenAPI document is not installed");
    char *copy = malloc(openapi_len);
    if (!copy)
        return sb_req_fail(r, SB_E_INTERNAL, "out of memory");
    memcpy(copy, openapi_text, openapi_len);
    return queue_text(r, "application/json; charset=utf-8", copy, openapi_len);
}

int sb_api_search(sb_req *r)
{
    const char *q = sb_req_query(r, "q");
    int limit, rc;
    if ((rc = sb_api_query_limit(r, 20, 100, &limit)) != SB_OK)
        return rc;
    if (!q || !*q)
        return sb_req_fail(r, SB_E_BAD_REQUEST, "q is required");
    if (strlen(q) > 500)
        return sb_req_fail(r, SB_E_BAD_REQUEST, "q is longer than 500 bytes");
    char statuses[128], one[16];
    if ((rc = sb_api_query_statuses(r, statuses, one)) != SB_OK)
        return rc;
    char *fts = sb_svc_search_query(q);
    if (!fts)
        return sb_req_json(r, 200, json_pack("{s:[]}", "items"));
    json_t *items = sb_store_search(sb_req_db(r), fts, statuses[0] ? statuses : NULL, limit);
    free(fts);
    if (!items)
        return sb_req_fail(r, SB_E_INTERNAL, "search failed");
    return sb_req_json(r, 200, json_pack("{s:o}", "items", items));
}

int sb_api_events(sb_req *r)
{
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
    return sb_hub_open_stream(r->app->hub, r, last_id);
}
