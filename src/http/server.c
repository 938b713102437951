/* The libmicrohttpd daemon: request life cycle, limits, routing, auth, responses. */
#include <arpa/inet.h>
#include <microhttpd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "http/auth.h"
#include "http/http.h"
#include "http/metrics.h"
#include "realtime/hub.h"
#include "util/log.h"
#include "util/time.h"

enum { PHASE_NEW = 0, PHASE_BODY, PHASE_PENDING, PHASE_RESUMED, PHASE_DONE };

#define PUBLIC_BODY_MAX 8192             /* login and other unauthenticated bodies */
#define BODY_BUDGET ((size_t)512 << 20)  /* request bodies held in memory at once, all requests */

static size_t bodies_buffered;  /* atomic */
static unsigned long parked;     /* atomic: connections waiting for the writer */

static struct MHD_Daemon *daemon_handle;
static unsigned open_connections;

unsigned sb_http_open_connections(void)
{
    return __atomic_load_n(&open_connections, __ATOMIC_RELAXED);
}

const char *sb_req_query(sb_req *r, const char *key)
{
    return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, key);
}

const char *sb_req_header(sb_req *r, const char *key)
{
    return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, key);
}

const char *sb_req_cookie(sb_req *r, const char *key)
{
    return MHD_lookup_connection_value(r->conn, MHD_COOKIE_KIND, key);
}

struct MHD_Connection *sb_req_connection(sb_req *r)
{
    return r->conn;
}

sb_db *sb_req_db(sb_req *r)
{
    return sb_store_reader(r->app->store);
}

int sb_req_fail(sb_req *r, sb_err code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->errmsg, sizeof r->errmsg, fmt, ap);
    va_end(ap);
    r->err = code;
    return code;
}

int sb_req_json_text(sb_req *r, unsigned status, char *text, size_t len)
{
    free(r->resp_raw);
    r->status = status;
    r->resp_raw = text;
    r->resp_raw_len = len;
    return SB_OK;
}

void sb_req_retry_after(sb_req *r, unsigned seconds)
{
    snprintf(r->retry_after, sizeof r->retry_after, "%u", seconds);
}

int sb_req_json(sb_req *r, unsigned status, json_t *obj)
{
    json_decref(r->resp);
    r->status = status;
    r->resp = obj;
    return SB_OK;
}

/* A visitor route's token names a visitor (the handler checks it again, with the rest). */
static bool visitor_known(sb_req *r)
{
    const char *token = sb_req_header(r, "X-Visitor-Token");
    sb_db *db = sb_req_db(r);
    if (!token || !*token || strlen(token) > 128 || !db)
        return false;
    unsigned char hash[32];
    sb_auth_hash(token, hash);
    sb_widget_visitor v;
    return sb_store_widget_visitor_lookup(db, hash, &v) == SB_OK;
}

/* ---- routing ---- */

static int match_route(const char *pattern, const char *path, int64_t *ids, int *nids)
{
    *nids = 0;
    const char *p = pattern, *u = path;
    while (*p && *u) {
        if (*p == '*' && p[1] == '\0') { /* a final segment without slashes */
            return strchr(u, '/') == NULL && *u;
        }
        if (*p == '*') { /* a middle segment: one or more characters up to the next slash */
            const char *slash = strchr(u, '/');
            if (!slash || slash == u)
                return 0;
            u = slash;
            p++;
            continue;
        }
        if (*p == '{') {
            const char *end = strchr(p, '}');
            if (!end)
                return 0;
            if (*u < '1' || *u > '9')
                return 0;
            int64_t v = 0;
            while (*u >= '0' && *u <= '9') {
                if (v > (INT64_MAX - 9) / 10)
                    return 0;
                v = v * 10 + (*u - '0');
                u++;
            }
            if (*nids < 4)
                ids[(*nids)++] = v;
            p = end + 1;
            continue;
        }
        if (*p != *u)
            return 0;
        p++;
        u++;
    }
    return *p == '\0' && *u == '\0';
}

/* Finds the route; sets *path_known when the path matched some route with another method. */
static int find_route(const char *method, const char *path, int64_t *ids, int *nids, bool *path_known)
{
    *path_known = false;
    for (size_t i = 0; i < sb_route_count; i++) {
        int64_t tmp[4];
        int n;
        if (!match_route(sb_routes[i].pattern, path, tmp, &n))
            continue;
        if (strcmp(sb_routes[i].method, method) == 0 ||
            (strcmp(method, "HEAD") == 0 && strcmp(sb_routes[i].method, "GET") == 0)) {
            memcpy(ids, tmp, sizeof tmp);
            *nids = n;
            return (int)i;
        }
        *path_known = true;
    }
    return -1;
}

/* ---- responses ---- */

static void add_common_headers(struct MHD_Response *resp)
{
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    if (!MHD_get_response_header(resp, "Cache-Control"))
        MHD_add_response_header(resp, "Cache-Control", "no-store");
    if (!MHD_get_response_header(resp, "Referrer-Policy"))
        MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
}

/* The widget runs on customers' sites: its routes answer cross-origin requests (no cookies). */
static void add_cors(sb_req *r, struct MHD_Response *resp)
{
    if (!r->route || r->route->auth != SB_AUTH_VISITOR || r->cors_deny)
        return;
    MHD_add_response_header(resp, "Access-Control-Allow-Origin", r->cors_origin[0] ? r->cors_origin : "*");
    if (r->cors_origin[0])
        MHD_add_response_header(resp, "Vary", "Origin");
}

/* A CORS preflight for a widget path: 204 with what the widget may send. */
static enum MHD_Result queue_preflight(sb_req *r)
{
    struct MHD_Response *resp = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
    if (!resp)
        return MHD_NO;
    add_common_headers(resp);
    add_cors(r, resp);
    MHD_add_response_header(resp, "Access-Control-Allow-Methods", "GET, POST, PATCH, OPTIONS");
    MHD_add_response_header(resp, "Access-Control-Allow-Headers", "Content-Type, X-Visitor-Token, Last-Event-ID");
    MHD_add_response_header(resp, "Access-Control-Max-Age", "600");
    r->status = 204;
    enum MHD_Result rc = MHD_queue_response(r->conn, 204, resp);
    MHD_destroy_response(resp);
    r->phase = PHASE_DONE;
    return rc;
}

static enum MHD_Result queue_json(sb_req *r)
{
    if (r->err != SB_OK) {
        const sb_err_info *info = sb_err_lookup(r->err);
        r->status = info->http_status;
        json_decref(r->resp);
        r->resp = json_pack("{s:{s:s, s:s}}", "error", "code", info->code, "message",
                            r->errmsg[0] ? r->errmsg : info->default_message);
        if (!r->resp) /* the detail quoted invalid UTF-8 from the request */
            r->resp = json_pack("{s:{s:s, s:s}}", "error", "code", info->code, "message", info->default_message);
    }
    char *text = NULL;
    size_t len = 0;
    if (r->err == SB_OK && r->resp_raw) {
        text = r->resp_raw;
        len = r->resp_raw_len;
        r->resp_raw = NULL;
    } else if (r->resp) {
        text = json_dumps(r->resp, JSON_COMPACT);
        len = text ? strlen(text) : 0;
    }
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(len, text ? text : (void *)"", text ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
    if (!resp) {
        free(text);
        return MHD_NO;
    }
    if (text)
        MHD_add_response_header(resp, "Content-Type", "application/json; charset=utf-8");
    add_common_headers(resp);
    add_cors(r, resp);
    if (r->retry_after[0])
        MHD_add_response_header(resp, "Retry-After", r->retry_after);
    if (r->set_cookie)
        MHD_add_response_header(resp, "Set-Cookie", r->set_cookie);
    if (r->status == 405) {
        MHD_add_response_header(resp, "Allow", "GET, POST, PATCH, PUT, DELETE");
    }
    r->resp_bytes = len;
    enum MHD_Result rc = MHD_queue_response(r->conn, r->status ? r->status : 200, resp);
    MHD_destroy_response(resp);
    r->phase = PHASE_DONE;
    return rc;
}

int sb_req_queue_stream(sb_req *r, void *response)
{
    return sb_req_queue_response(r, 200, response);
}

int sb_req_queue_response(sb_req *r, unsigned status, void *response)
{
    struct MHD_Response *resp = response;
    add_common_headers(resp);
    add_cors(r, resp);
    r->status = status;
    r->stream = true;
    MHD_queue_response(r->conn, status, resp);
    MHD_destroy_response(resp);
    r->phase = PHASE_DONE;
    return SB_HANDLED_STREAM;
}

/* ---- writes: park the connection until the writer committed ---- */

static void write_done(void *arg, sb_err rc)
{
    sb_req *r = arg;
    r->op_rc = rc;
    r->phase = PHASE_RESUMED;
    MHD_resume_connection(r->conn);
    __atomic_sub_fetch(&parked, 1, __ATOMIC_SEQ_CST);
}

static sb_err submit_trampoline_fn(sb_db *w, void *arg);

int sb_req_submit(sb_req *r, sb_write_fn fn, void *op, void (*op_free)(void *), const char *errmsg)
{
    r->op = op;
    r->op_free = op_free;
    r->op_errmsg = errmsg;
    /* With the shutdown's store to `stopping` and its wait for `parked`, either we see it is
     * stopping, or it sees us parked and waits for our commit. */
    __atomic_add_fetch(&parked, 1, __ATOMIC_SEQ_CST);
    if (__atomic_load_n(&r->app->stopping, __ATOMIC_SEQ_CST)) {
        __atomic_sub_fetch(&parked, 1, __ATOMIC_SEQ_CST);
        return sb_req_fail(r, SB_E_UNAVAILABLE, "the server is shutting down");
    }
    r->phase = PHASE_PENDING;
    /* Suspend before submitting, so the writer's resume always finds it parked. */
    MHD_suspend_connection(r->conn);
    r->op_fn = fn;
    sb_err err = sb_store_submit(r->app->store, submit_trampoline_fn, write_done, r);
    if (err != SB_OK) {
        r->phase = PHASE_RESUMED;
        r->op_rc = err;
        MHD_resume_connection(r->conn);
        __atomic_sub_fetch(&parked, 1, __ATOMIC_SEQ_CST);
    }
    return SB_HANDLED_PENDING;
}

static sb_err submit_trampoline_fn(sb_db *w, void *arg)
{
    sb_req *r = arg;
    return r->op_fn(w, r->op);
}

/* ---- request life cycle ---- */

static void req_free(sb_req *r)
{
    if (r->raw_cap)
        __atomic_sub_fetch(&bodies_buffered, r->raw_cap, __ATOMIC_SEQ_CST);
    if (r->op_free && r->op)
        r->op_free(r->op);
    json_decref(r->body);
    json_decref(r->resp);
    free(r->resp_raw);
    free(r->raw);
    free(r->set_cookie);
    free(r);
}

static int parse_body(sb_req *r)
{
    if (r->raw_len == 0)
        return SB_OK;
    json_error_t e;
    r->body = json_loadb(r->raw, r->raw_len, JSON_REJECT_DUPLICATES, &e);
    if (!r->body)
        return sb_req_fail(r, SB_E_INVALID_JSON, "invalid JSON at line %d, column %d (byte %d): %s", e.line,
                           e.column, e.position, e.text);
    return SB_OK;
}

static enum MHD_Result finish_request(sb_req *r)
{
    int rc;
    if (r->phase == PHASE_RESUMED) {
        if (r->op_rc != SB_OK) {
            if (r->op_errmsg && r->op_errmsg[0])
                snprintf(r->errmsg, sizeof r->errmsg, "%s", r->op_errmsg);
            r->err = r->op_rc;
            return queue_json(r);
        }
        rc = r->route->finish ? r->route->finish(r) : SB_OK;
    } else {
        if (r->preflight)
            return queue_preflight(r);
        if (r->too_large) {
            sb_req_fail(r, SB_E_TOO_LARGE, "the request body is larger than %zu bytes", r->max_body);
            return queue_json(r);
        }
        if (r->err != SB_OK)
            return queue_json(r);
        if (!r->route->raw_body && (rc = parse_body(r)) != SB_OK)
            return queue_json(r);
        rc = r->route->handler(r);
    }
    if (rc == SB_HANDLED_PENDING) {
        if (r->err != SB_OK) /* the submit itself failed before parking */
            return queue_json(r);
        return MHD_YES;
    }
    if (rc == SB_HANDLED_STREAM)
        return MHD_YES;
    if (rc != SB_OK && r->err == SB_OK)
        r->err = (sb_err)rc;
    return queue_json(r);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
                                  const char *version, const char *upload_data, size_t *upload_data_size,
                                  void **con_cls)
{
    sb_app *app = cls;
    sb_req *r = *con_cls;
    if (!r) {
        r = calloc(1, sizeof *r);
        if (!r)
            return MHD_NO;
        *con_cls = r;
        r->app = app;
        r->conn = conn;
        r->method = method;
        r->start_ns = sb_time_mono_ns();
        r->route_index = -1;
        snprintf(r->path, sizeof r->path, "%s", url);
        bool known;
        r->route_index = find_route(method, url, r->ids, &r->nids, &known);
        if (r->route_index < 0 && known && strcmp(method, "OPTIONS") == 0) {
            bool other;
            r->route_index = find_route("GET", url, r->ids, &r->nids, &other);
            if (r->route_index < 0)
                r->route_index = find_route("POST", url, r->ids, &r->nids, &other);
            if (r->route_index >= 0 && sb_routes[r->route_index].auth == SB_AUTH_VISITOR) {
                r->route = &sb_routes[r->route_index];
                r->preflight = true; /* answered on the next call, keeping the connection alive */
                r->phase = PHASE_BODY;
                return MHD_YES;
            }
            r->route_index = -1;
        }
        if (r->route_index < 0) {
            sb_req_fail(r, known ? SB_E_METHOD : SB_E_NOT_FOUND, known ? "method %s is not allowed here" : "no route for %s",
                        known ? method : url);
        } else {
            r->route = &sb_routes[r->route_index];
        }
        r->max_body = r->route && r->route->raw_body ? app->cfg.max_email : app->cfg.max_body;
        if (strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0 || strcmp(method, "DELETE") == 0)
            r->max_body = 0; /* these carry no body here */
        else if (r->route && r->route->auth == SB_AUTH_PUBLIC)
            r->max_body = r->route->public_max_body ? r->route->public_max_body : PUBLIC_BODY_MAX; /* anyone may send it: keep it small */
        else if (r->route && r->route->auth == SB_AUTH_VISITOR)
            r->max_body = r->route->raw_body ? SB_VISITOR_UPLOAD_MAX : SB_VISITOR_BODY_MAX;
        const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (cl && strtoull(cl, NULL, 10) > r->max_body) {
            /* Answer before reading the body; MHD closes the connection afterwards. */
            sb_req_fail(r, SB_E_TOO_LARGE, "the request body is larger than %zu bytes", r->max_body);
            return queue_json(r);
        }
        if (r->err == SB_OK && r->route && r->route->auth == SB_AUTH_VISITOR && r->route->raw_body &&
            !visitor_known(r)) {
            /* A visitor's upload (up to 10 MiB) is refused before it is read, not after. */
            sb_req_fail(r, SB_E_UNAUTHORIZED, "send a valid visitor token in X-Visitor-Token");
            return queue_json(r);
        }
        if (r->err == SB_OK)
            sb_auth_request(r); /* sets r->err on failure; body is still read and discarded */
        r->phase = PHASE_BODY;
        return MHD_YES;
    }
    if (r->phase == PHASE_BODY && *upload_data_size) {
        size_t n = *upload_data_size;
        *upload_data_size = 0;
        if (r->too_large || r->err != SB_OK)
            return MHD_YES;
        if (r->raw_len + n > r->max_body) {
            r->too_large = true;
            return MHD_YES;
        }
        if (r->raw_len + n + 1 > r->raw_cap) {
            size_t cap = r->raw_cap ? r->raw_cap : 1024;
            while (cap < r->raw_len + n + 1)
                cap *= 2;
            if (cap > r->max_body + 1)
                cap = r->max_body + 1;
            size_t grow = cap - r->raw_cap;
            if (__atomic_add_fetch(&bodies_buffered, grow, __ATOMIC_SEQ_CST) > BODY_BUDGET) {
                __atomic_sub_fetch(&bodies_buffered, grow, __ATOMIC_SEQ_CST);
                sb_req_fail(r, SB_E_UNAVAILABLE, "the server is busy receiving other requests; try again");
                return MHD_YES;
            }
            char *p = realloc(r->raw, cap);
            if (!p) {
                __atomic_sub_fetch(&bodies_buffered, grow, __ATOMIC_SEQ_CST);
                return MHD_NO;
            }
            r->raw = p;
            r->raw_cap = cap;
        }
        memcpy(r->raw + r->raw_len, upload_data, n);
        r->raw_len += n;
        r->raw[r->raw_len] = '\0';
        return MHD_YES;
    }
    if (r->phase == PHASE_PENDING)
        return MHD_YES; /* spurious call while parked */
    if (r->phase == PHASE_DONE)
        return MHD_YES;
    return finish_request(r);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls, enum MHD_RequestTerminationCode toe)
{
    sb_req *r = *con_cls;
    if (!r)
        return;
    double secs = (double)(sb_time_mono_ns() - r->start_ns) / 1e9;
    unsigned status = r->status ? r->status : (r->err ? sb_err_lookup(r->err)->http_status : 0);
    const char *ip = "-";
    char ipbuf[64];
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    if (ci && ci->client_addr) {
        const struct sockaddr *sa = ci->client_addr;
        if (sa->sa_family == AF_INET)
            ip = inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, ipbuf, sizeof ipbuf);
        else if (sa->sa_family == AF_INET6)
            ip = inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, ipbuf, sizeof ipbuf);
    }
    sb_metrics_observe(r->app->metrics, r->route_index, status, secs);
    /* The path is the client's: escape it so a request cannot forge log lines. */
    char path[300];
    size_t j = 0;
    for (const unsigned char *p = (const unsigned char *)r->path; *p && j + 4 < sizeof path; p++) {
        if (*p < 0x20 || *p == 0x7f || *p == '"' || *p == '\\')
            j += (size_t)snprintf(path + j, sizeof path - j, "%%%02X", *p);
        else
            path[j++] = (char)*p;
    }
    path[j] = '\0';
    sb_info("method=%s path=\"%s\" route=\"%s\" status=%u dur_ms=%.3f bytes=%zu agent=%lld ip=%s%s",
            r->method, path, r->route ? r->route->pattern : "-", status, secs * 1000.0, r->resp_bytes,
            (long long)(r->authenticated ? r->who.agent_id : 0), ip ? ip : "-",
            toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ? "" : " aborted=1");
    req_free(r);
    *con_cls = NULL;
}

static void on_connection(void *cls, struct MHD_Connection *c, void **socket_ctx, enum MHD_ConnectionNotificationCode code)
{
    if (code == MHD_CONNECTION_NOTIFY_STARTED)
        __atomic_add_fetch(&open_connections, 1, __ATOMIC_RELAXED);
    else
        __atomic_sub_fetch(&open_connections, 1, __ATOMIC_RELAXED);
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
    char line[512];
    vsnprintf(line, sizeof line, fmt, ap);
    size_t n = strlen(line);
    while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
        line[--n] = '\0';
    sb_debug("msg=\"mhd: %s\"", line);
}

int sb_http_start(sb_app *app, char *err, size_t errlen)
{
    struct sockaddr_in addr4;
    struct sockaddr_in6 addr6;
    struct sockaddr *addr;
    memset(&addr4, 0, sizeof addr4);
    memset(&addr6, 0, sizeof addr6);
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ITC |
                     MHD_USE_ERROR_LOG;
    const char *host = app->cfg.listen_host;
    if (inet_pton(AF_INET, host, &addr4.sin_addr) == 1) {
        addr4.sin_family = AF_INET;
        addr4.sin_port = htons(app->cfg.port);
        addr = (struct sockaddr *)&addr4;
    } else if (inet_pton(AF_INET6, host, &addr6.sin6_addr) == 1) {
        addr6.sin6_family = AF_INET6;
        addr6.sin6_port = htons(app->cfg.port);
        addr = (struct sockaddr *)&addr6;
        flags |= MHD_USE_IPv6;
    } else if (strcmp(host, "localhost") == 0) {
        addr4.sin_family = AF_INET;
        addr4.sin_port = htons(app->cfg.port);
        addr4.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        addr = (struct sockaddr *)&addr4;
    } else {
        snprintf(err, errlen, "cannot listen on %s: give an IP address (or localhost)", host);
        return -1;
    }
    unsigned threads = app->cfg.threads;
    if (!threads) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        threads = n > 0 ? (unsigned)n : 1;
    }
    daemon_handle = MHD_start_daemon(
        flags, app->cfg.port, NULL, NULL, on_request, app, MHD_OPTION_SOCK_ADDR, addr,
        MHD_OPTION_THREAD_POOL_SIZE, threads, MHD_OPTION_CONNECTION_LIMIT, app->cfg.conn_limit,
        MHD_OPTION_CONNECTION_TIMEOUT, app->cfg.conn_timeout, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
        (size_t)16 * 1024, MHD_OPTION_NOTIFY_COMPLETED, on_completed, app, MHD_OPTION_NOTIFY_CONNECTION,
        on_connection, app, MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, app, MHD_OPTION_LISTEN_BACKLOG_SIZE, 1024,
        MHD_OPTION_END);
    if (!daemon_handle) {
        snprintf(err, errlen, "cannot listen on %s:%u (address in use or not permitted)", host, app->cfg.port);
        return -1;
    }
    return 0;
}

static sb_err barrier_fn(sb_db *w, void *arg)
{
    return SB_OK;
}

void sb_http_stop(sb_app *app)
{
    if (!daemon_handle)
        return;
    __atomic_store_n(&app->stopping, 1, __ATOMIC_SEQ_CST);
    /* Stop accepting, end the event streams, let parked writes commit and answer. */
    MHD_socket listen_fd = MHD_quiesce_daemon(daemon_handle);
    sb_hub_close_all(app->hub);
    sb_store_write(app->store, barrier_fn, NULL);
    for (int i = 0; i < 500 && __atomic_load_n(&parked, __ATOMIC_SEQ_CST) > 0; i++)
        usleep(10 * 1000);
    for (int i = 0; i < 100 && sb_hub_connections(app->hub) > 0; i++)
        usleep(10 * 1000); /* streams flush their end */
    usleep(20 * 1000);     /* answers of resumed writes go out */
    MHD_stop_daemon(daemon_handle);
    if (listen_fd != MHD_INVALID_SOCKET)
        close(listen_fd);
    daemon_handle = NULL;
}
