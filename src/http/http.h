/* http/: libmicrohttpd glue. The route table (api/routes.c) maps method + path to a handler
 * and the role it needs; this layer authenticates, enforces limits, parses JSON, runs the
 * handler, and turns its result or sb_err into a response. */
#ifndef SB_HTTP_HTTP_H
#define SB_HTTP_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "core/error.h"
#include "store/store.h"

typedef struct sb_hub sb_hub;
typedef struct sb_metrics sb_metrics;
typedef struct sb_ratelimit sb_ratelimit;

typedef struct {
    char listen_host[256];
    unsigned short port;
    size_t max_body;       /* bytes; larger requests get 413 */
    size_t max_email;      /* bytes of a raw inbound email */
    unsigned threads;      /* MHD worker threads; 0 = one per core */
    unsigned conn_limit;   /* open connections */
    unsigned conn_timeout; /* seconds of inactivity before a connection is closed */
    bool secure_cookies;   /* add Secure to the session cookie (behind TLS) */
    char trusted_proxy[64]; /* the reverse proxy's address: its X-Forwarded-For names the client */
    int session_hours;
} sb_http_config;

typedef struct sb_jobs sb_jobs;

typedef struct sb_app {
    sb_store *store;
    sb_jobs *jobs;
    sb_hub *hub;
    sb_metrics *metrics;
    sb_ratelimit *login_limit;
    sb_ratelimit *webform_limit; /* submissions of the public web form per client address */
    sb_ratelimit *widget_limit;  /* new widget visitor sessions per client address */
    sb_ratelimit *widget_upload_limit; /* widget uploads per client address */
    sb_http_config cfg;
    int stopping; /* atomic */
} sb_app;

typedef enum {
    SB_AUTH_VISITOR = -2, /* the chat widget's routes: public, CORS for other sites; the handler checks the visitor token */
    SB_AUTH_PUBLIC = -1, /* no credentials needed */
    SB_AUTH_TRAINEE = 0, /* any agent */
    SB_AUTH_AGENT = 1,
    SB_AUTH_SUPERVISOR = 2,
    SB_AUTH_ADMIN = 3,
} sb_auth_level;

/* Bodies on SB_AUTH_VISITOR routes: JSON, and raw uploads. */
#define SB_VISITOR_BODY_MAX ((size_t)64 << 10)
#define SB_VISITOR_UPLOAD_MAX ((size_t)10 << 20)

/* Handler results besides sb_err values. */
#define SB_HANDLED_PENDING 1000 /* a write was submitted; `finish` runs after its commit */
#define SB_HANDLED_STREAM 1001  /* the handler queued its own streaming response */

typedef struct sb_req sb_req;
typedef int (*sb_handler)(sb_req *r);

typedef struct {
    const char *method;
    const char *pattern; /* "/api/v1/conversations/{id}/messages" */
    sb_handler handler;
    sb_handler finish;   /* for handlers that submit a write */
    sb_auth_level auth;
    const char *metric_name; /* defaults to pattern */
    bool raw_body;           /* a raw email, not JSON: handlers read r->raw; limit --max-email */
    size_t public_max_body;  /* public routes: body limit instead of 8 KiB (0 = that default) */
} sb_route;

struct sb_req {
    sb_app *app;
    struct MHD_Connection *conn;
    const sb_route *route;
    int route_index;
    const char *method;
    char path[256];
    int64_t ids[4];
    int nids;
    bool authenticated;
    bool session_auth;
    unsigned char cred_hash[32]; /* SHA-256 of the token or session cookie that authenticated */
    sb_principal who;
    json_t *body; /* parsed JSON body or NULL */
    /* response */
    unsigned status;
    json_t *resp;
    char *resp_raw; /* pre-rendered JSON text, used instead of resp */
    size_t resp_raw_len;
    sb_err err;
    char errmsg[256];
    char retry_after[16]; /* Retry-After of a 429, set by sb_req_retry_after */
    char *set_cookie;
    /* SB_AUTH_VISITOR routes: Access-Control-Allow-Origin is cors_origin, or "*" when empty,
     * or absent when cors_deny (an origin the widget settings refuse). */
    char cors_origin[256];
    bool cors_deny;
    bool preflight; /* an OPTIONS request for a visitor route */
    /* a submitted write */
    void *op;
    sb_write_fn op_fn;
    void (*op_free)(void *op);
    sb_err op_rc;
    const char *op_errmsg; /* points into op */
    /* internal */
    int phase;
    char *raw;
    size_t raw_len, raw_cap;
    bool too_large;
    size_t max_body;
    int64_t start_ns;
    size_t resp_bytes;
    bool stream;
};

/* Query parameter or NULL. */
const char *sb_req_query(sb_req *r, const char *key);
const char *sb_req_header(sb_req *r, const char *key);
const char *sb_req_cookie(sb_req *r, const char *key);
/* Sets an error with a formatted message and returns the code, for `return sb_req_fail(...)`. */
int sb_req_fail(sb_req *r, sb_err code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* A 429's Retry-After, in seconds. */
void sb_req_retry_after(sb_req *r, unsigned seconds);
/* Sets a JSON response (steals obj). */
int sb_req_json(sb_req *r, unsigned status, json_t *obj);
/* Sets a pre-rendered JSON response (takes ownership of text, a malloc'd buffer). */
int sb_req_json_text(sb_req *r, unsigned status, char *text, size_t len);
/* Submits fn(op) to the writer; the connection is parked until it committed. The request
 * owns op (freed with op_free); errmsg points at the op's message buffer. */
int sb_req_submit(sb_req *r, sb_write_fn fn, void *op, void (*op_free)(void *), const char *errmsg);
/* The reader connection of this thread. */
sb_db *sb_req_db(sb_req *r);
struct MHD_Connection *sb_req_connection(sb_req *r);
/* Queues a streaming response that the handler made; returns SB_HANDLED_STREAM. */
int sb_req_queue_stream(sb_req *r, void *response);
/* Same with another status (a page, a 304); the handler's own headers win over the defaults. */
int sb_req_queue_response(sb_req *r, unsigned status, void *response);

/* Server lifecycle. */
int sb_http_start(sb_app *app, char *err, size_t errlen);
/* Stops accepting, finishes in-flight requests and writes, closes streams. */
void sb_http_stop(sb_app *app);
unsigned sb_http_open_connections(void);

extern const sb_route sb_routes[];
extern const size_t sb_route_count;

#endif
