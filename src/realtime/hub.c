#include "realtime/hub.h"

#include <microhttpd.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/buf.h"
#include "util/log.h"
#include "util/time.h"

#define LIVE_LIMIT (1u << 20) /* a stream further behind than this is closed; it replays on reconnect */
#define REPLAY_CHUNK 200
#define REPLAY_MAX 10000 /* events a reconnecting stream may catch up on; older gaps get stream.reset */

typedef struct sub {
    struct sub *prev, *next;
    sb_hub *hub;
    struct MHD_Connection *conn;
    uint64_t serial;
    sb_principal who;
    bool session;               /* authenticated by a session cookie, else a token */
    bool visitor;               /* a widget visitor's stream: contact_id's customer-safe events */
    int64_t contact_id;
    unsigned char cred[32];     /* its SHA-256: re-checked on every heartbeat */
    sb_buf live;       /* events published since the stream opened */
    size_t live_off;   /* bytes of live already sent */
    sb_buf replay;     /* a chunk of replayed events */
    size_t replay_off;
    int64_t replay_next; /* replay events with id > replay_next ... */
    int64_t replay_upto; /* ... and <= replay_upto */
    bool parked;
    bool closing;
} sub;

struct sb_hub {
    pthread_mutex_t mu;
    sb_store *store;
    sub *head;
    unsigned count;
    int64_t last_published;
    unsigned heartbeat_s;
    pthread_t timer;
    pthread_cond_t timer_cv;
    bool stopping;
    bool closed;      /* shutting down: no new streams */
    bool recheck_now; /* credentials changed: re-check before the next heartbeat */
    uint64_t next_serial;
    unsigned per_agent_limit;
};

typedef struct {
    uint64_t serial;
    bool session, visitor;
    unsigned char cred[32];
} cred_check;

static void wake(sub *s);

/* Ends the streams whose token or session is no longer valid (revoked, logged out, expired,
 * agent deactivated). Runs on the timer thread, with its own read connection. */
static void recheck_credentials(sb_hub *hub)
{
    pthread_mutex_lock(&hub->mu);
    size_t n = hub->count, k = 0;
    cred_check *list = n ? calloc(n, sizeof *list) : NULL;
    for (sub *s = hub->head; s && list && k < n; s = s->next, k++) {
        list[k].serial = s->serial;
        list[k].session = s->session;
        list[k].visitor = s->visitor;
        memcpy(list[k].cred, s->cred, 32);
    }
    pthread_mutex_unlock(&hub->mu);
    if (!list)
        return;
    sb_db *db = sb_store_reader(hub->store);
    int64_t now = sb_time_now_ms();
    size_t bad = 0;
    for (size_t i = 0; db && i < k; i++) {
        sb_principal p;
        sb_widget_visitor v;
        sb_err err = list[i].visitor   ? sb_store_widget_visitor_lookup(db, list[i].cred, &v)
                     : list[i].session ? sb_store_session_lookup(db, list[i].cred, now, &p)
                                       : sb_store_token_lookup(db, list[i].cred, &p);
        if (err == SB_E_UNAUTHORIZED)
            list[bad++].serial = list[i].serial;
    }
    if (bad) {
        pthread_mutex_lock(&hub->mu);
        for (sub *s = hub->head; s; s = s->next)
            for (size_t i = 0; i < bad; i++)
                if (s->serial == list[i].serial && !s->closing) {
                    sb_info("msg=\"event stream closed: credentials no longer valid\" agent=%lld",
                            (long long)s->who.agent_id);
                    s->closing = true;
                    wake(s);
                }
        pthread_mutex_unlock(&hub->mu);
    }
    free(list);
}

/* What a customer may learn of: new messages and changes of their own conversations. */
static bool visitor_type(const char *type)
{
    return strcmp(type, "message.created") == 0 || strcmp(type, "conversation.created") == 0 ||
           strcmp(type, "conversation.updated") == 0;
}

static bool visible(const sub *s, const sb_event *ev)
{
    if (s->visitor)
        return ev->contact_id == s->contact_id && !ev->internal && !ev->agent_id && ev->conversation_id &&
               visitor_type(ev->type);
    /* Agents see every event except another agent's notifications. */
    return !ev->agent_id || ev->agent_id == s->who.agent_id;
}

/* A visitor never gets the agents' event JSON: only what tells the widget to fetch, through
 * the visitor API, what it may see. */
static void format_visitor_event(sb_buf *b, const sb_event *ev)
{
    long long message_id = 0;
    if (strcmp(ev->type, "message.created") == 0) {
        json_t *o = json_loadb(ev->json, ev->json_len, 0, NULL);
        message_id = (long long)json_integer_value(json_object_get(json_object_get(json_object_get(o, "data"), "message"), "id"));
        json_decref(o);
    }
    sb_buf_printf(b, "id: %lld\nevent: %s\ndata: {\"type\":\"%s\",\"conversation_id\":%lld", (long long)ev->id,
                  ev->type, ev->type, (long long)ev->conversation_id);
    if (message_id)
        sb_buf_printf(b, ",\"message_id\":%lld", message_id);
    sb_buf_puts(b, "}\n\n");
}

static void format_event(sb_buf *b, const sub *s, const sb_event *ev)
{
    if (s->visitor) {
        format_visitor_event(b, ev);
        return;
    }
    sb_buf_printf(b, "id: %lld\nevent: %s\ndata: ", (long long)ev->id, ev->type);
    sb_buf_append(b, ev->json, ev->json_len);
    sb_buf_puts(b, "\n\n");
}

static void wake(sub *s)
{
    /* caller holds hub->mu */
    if (s->parked) {
        s->parked = false;
        MHD_resume_connection(s->conn);
    }
}

static void fan_out(sb_hub *hub, const sb_event *events, size_t n)
{
    for (sub *s = hub->head; s; s = s->next) {
        if (s->closing)
            continue;
        for (size_t i = 0; i < n; i++) {
            if (events[i].id <= s->replay_upto || !visible(s, &events[i]))
                continue;
            format_event(&s->live, s, &events[i]);
        }
        if (s->live.failed) {
            sb_warn("msg=\"event stream too far behind; closing it\" agent=%lld", (long long)s->who.agent_id);
            s->closing = true;
        }
        wake(s);
    }
    if (n)
        hub->last_published = events[n - 1].id;
}

/* Events committed by another process (the CLI) are not in our batches: read and publish
 * them before anything newer, so every stream sees ids in order. */
static void publish_gap(sb_hub *hub, sb_db *w, int64_t upto)
{
    while (hub->last_published < upto) {
        sb_event *evs = NULL;
        size_t n = 0;
        if (sb_store_events_after(w, hub->last_published, upto, REPLAY_CHUNK, &evs, &n) != SB_OK || n == 0) {
            free(evs);
            hub->last_published = upto;
            return;
        }
        fan_out(hub, evs, n);
        for (size_t i = 0; i < n; i++)
            sb_event_release(&evs[i]);
        free(evs);
    }
}

void sb_hub_publish(sb_hub *hub, sb_db *w, const sb_event *events, size_t n)
{
    pthread_mutex_lock(&hub->mu);
    int64_t before = n ? events[0].id - 1 : sb_store_events_max_id(w);
    if (before > hub->last_published)
        publish_gap(hub, w, before);
    fan_out(hub, events, n);
    pthread_mutex_unlock(&hub->mu);
}

static sb_err noop_write(sb_db *w, void *arg)
{
    (void)w;
    (void)arg;
    return SB_OK;
}

static void *timer_main(void *arg)
{
    sb_hub *hub = arg;
    pthread_mutex_lock(&hub->mu);
    while (!hub->stopping) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_sec += hub->heartbeat_s;
        int rc = 0;
        while (!hub->stopping && !hub->recheck_now && rc == 0)
            rc = pthread_cond_timedwait(&hub->timer_cv, &hub->mu, &ts);
        if (hub->stopping)
            break;
        bool only_recheck = hub->recheck_now && rc == 0;
        hub->recheck_now = false;
        pthread_mutex_unlock(&hub->mu);
        recheck_credentials(hub);
        if (!only_recheck) /* an empty batch lets the commit hook look for foreign events */
            sb_store_submit(hub->store, noop_write, NULL, NULL);
        pthread_mutex_lock(&hub->mu);
        if (only_recheck)
            continue;
        /* A parked stream notices a vanished client only when it writes. */
        for (sub *s = hub->head; s; s = s->next) {
            if (s->closing)
                continue;
            sb_buf_puts(&s->live, ": ping\n\n");
            wake(s);
        }
    }
    pthread_mutex_unlock(&hub->mu);
    return NULL;
}

sb_hub *sb_hub_new(sb_store *st, unsigned heartbeat_s, unsigned per_agent)
{
    sb_hub *hub = calloc(1, sizeof *hub);
    if (!hub)
        return NULL;
    pthread_mutex_init(&hub->mu, NULL);
    pthread_cond_init(&hub->timer_cv, NULL);
    hub->store = st;
    hub->heartbeat_s = heartbeat_s ? heartbeat_s : 20;
    hub->per_agent_limit = per_agent ? per_agent : 32;
    sb_db *r = sb_store_reader(st);
    hub->last_published = r ? sb_store_events_max_id(r) : 0;
    if (pthread_create(&hub->timer, NULL, timer_main, hub) != 0) {
        free(hub);
        return NULL;
    }
    return hub;
}

void sb_hub_recheck(sb_hub *hub)
{
    pthread_mutex_lock(&hub->mu);
    hub->recheck_now = true;
    pthread_cond_signal(&hub->timer_cv);
    pthread_mutex_unlock(&hub->mu);
}

void sb_hub_close_all(sb_hub *hub)
{
    pthread_mutex_lock(&hub->mu);
    hub->closed = true;
    for (sub *s = hub->head; s; s = s->next) {
        s->closing = true;
        wake(s);
    }
    pthread_mutex_unlock(&hub->mu);
}

void sb_hub_free(sb_hub *hub)
{
    if (!hub)
        return;
    pthread_mutex_lock(&hub->mu);
    hub->stopping = true;
    pthread_cond_signal(&hub->timer_cv);
    pthread_mutex_unlock(&hub->mu);
    pthread_join(hub->timer, NULL);
    pthread_mutex_destroy(&hub->mu);
    pthread_cond_destroy(&hub->timer_cv);
    free(hub);
}

unsigned sb_hub_connections(sb_hub *hub)
{
    pthread_mutex_lock(&hub->mu);
    unsigned n = hub->count;
    pthread_mutex_unlock(&hub->mu);
    return n;
}

static size_t take(sb_buf *b, size_t *off, char *out, size_t max)
{
    size_t n = b->len - *off;
    if (n > max)
        n = max;
    memcpy(out, b->data + *off, n);
    *off += n;
    if (*off == b->len) {
        sb_buf_reset(b);
        *off = 0;
    }
    return n;
}

/* Loads the next chunk of missed events; runs on an MHD worker thread, outside the hub lock. */
static void load_replay(sub *s, int64_t next, int64_t upto)
{
    sb_db *db = sb_store_reader(s->hub->store);
    sb_event *evs = NULL;
    size_t n = 0;
    if (!db || sb_store_events_after(db, next, upto, REPLAY_CHUNK, &evs, &n) != SB_OK) {
        s->replay_next = upto; /* give up on the rest; the client sees a gap rather than a hang */
        return;
    }
    for (size_t i = 0; i < n; i++) {
        if (visible(s, &evs[i]))
            format_event(&s->replay, s, &evs[i]);
        s->replay_next = evs[i].id;
        sb_event_release(&evs[i]);
    }
    if (n < REPLAY_CHUNK)
        s->replay_next = upto;
    free(evs);
}

static ssize_t read_stream(void *cls, uint64_t pos, char *out, size_t max)
{
    sub *s = cls;
    sb_hub *hub = s->hub;
    (void)pos;
    /* Missed events first (their ids are all below the live ones). */
    if (s->replay.len > s->replay_off)
        return (ssize_t)take(&s->replay, &s->replay_off, out, max);
    if (s->replay_next < s->replay_upto) {
        load_replay(s, s->replay_next, s->replay_upto);
        if (s->replay.len > s->replay_off)
            return (ssize_t)take(&s->replay, &s->replay_off, out, max);
    }
    pthread_mutex_lock(&hub->mu);
    ssize_t n = 0;
    if (s->live.len > s->live_off) {
        n = (ssize_t)take(&s->live, &s->live_off, out, max);
    } else if (s->closing) {
        n = MHD_CONTENT_READER_END_OF_STREAM;
    } else {
        s->parked = true;
        MHD_suspend_connection(s->conn);
    }
    pthread_mutex_unlock(&hub->mu);
    return n;
}

static void free_stream(void *cls)
{
    sub *s = cls;
    sb_hub *hub = s->hub;
    pthread_mutex_lock(&hub->mu);
    if (s->prev)
        s->prev->next = s->next;
    else
        hub->head = s->next;
    if (s->next)
        s->next->prev = s->prev;
    hub->count--;
    pthread_mutex_unlock(&hub->mu);
    sb_buf_release(&s->live);
    sb_buf_release(&s->replay);
    free(s);
}

void sb_hub_ephemeral(sb_hub *hub, const char *type, const char *json, int64_t conversation_id, int64_t contact_id,
                      unsigned audience)
{
    (void)conversation_id; /* agents' streams get every conversation; kept for finer audiences */
    pthread_mutex_lock(&hub->mu);
    for (sub *s = hub->head; s; s = s->next) {
        if (s->closing)
            continue;
        bool to = s->visitor ? (audience & SB_HUB_VISITORS) && contact_id && s->contact_id == contact_id
                             : (audience & SB_HUB_AGENTS) != 0;
        if (!to)
            continue;
        sb_buf_printf(&s->live, "event: %s\ndata: %s\n\n", type, json);
        if (s->live.failed)
            s->closing = true;
        wake(s);
    }
    pthread_mutex_unlock(&hub->mu);
}

#define PER_VISITOR_STREAMS 8 /* tabs of one visitor */

static int open_stream(sb_hub *hub, sb_req *r, sub *s, int64_t last_id)
{
    s->hub = hub;
    s->conn = sb_req_connection(r);
    sb_buf_init(&s->live, LIVE_LIMIT);
    sb_buf_init(&s->replay, 0);
    pthread_mutex_lock(&hub->mu);
    unsigned mine = 0;
    for (sub *o = hub->head; o; o = o->next)
        mine += !o->closing && o->visitor == s->visitor &&
                (s->visitor ? o->contact_id == s->contact_id : o->who.agent_id == s->who.agent_id);
    if (hub->closed || mine >= (s->visitor ? PER_VISITOR_STREAMS : hub->per_agent_limit)) {
        bool closed = hub->closed;
        pthread_mutex_unlock(&hub->mu);
        free(s);
        return sb_req_fail(r, closed ? SB_E_UNAVAILABLE : SB_E_RATE_LIMITED,
                           closed ? "the server is shutting down" : "too many open event streams");
    }
    struct MHD_Response *resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096, read_stream, s, free_stream);
    if (!resp) {
        pthread_mutex_unlock(&hub->mu);
        free(s);
        return sb_req_fail(r, SB_E_INTERNAL, "cannot create the stream");
    }
    MHD_add_response_header(resp, "Content-Type", "text/event-stream; charset=utf-8");
    MHD_add_response_header(resp, "X-Accel-Buffering", "no");
    s->serial = ++hub->next_serial;
    /* Everything up to last_published is in the table; everything after arrives live. A very
     * old Last-Event-ID replays only the most recent REPLAY_MAX events after a reset notice. */
    s->replay_upto = hub->last_published;
    s->replay_next = last_id < 0 ? hub->last_published : last_id;
    sb_buf_puts(&s->replay, "retry: 2000\n: connected\n\n"); /* sent before anything else */
    /* A new stream learns its position at once: a client that drops before the next event
     * resumes from here with Last-Event-ID instead of starting over and missing events. */
    if (last_id < 0 && s->visitor) {
        sb_buf_printf(&s->replay, "id: %lld\nevent: stream.open\ndata: {\"type\":\"stream.open\",\"last_event_id\":%lld}\n\n",
                      (long long)s->replay_next, (long long)s->replay_next);
    } else if (last_id < 0) {
        char ts[32];
        sb_time_format(sb_time_now_ms(), ts, sizeof ts);
        sb_buf_printf(&s->replay,
                      "id: %lld\nevent: stream.open\ndata: {\"id\":%lld,\"type\":\"stream.open\","
                      "\"conversation_id\":null,\"actor\":{\"type\":\"system\",\"id\":null},"
                      "\"data\":{\"last_event_id\":%lld},\"created_at\":\"%s\"}\n\n",
                      (long long)s->replay_next, (long long)s->replay_next, (long long)s->replay_next, ts);
    }
    if (s->replay_upto - s->replay_next > REPLAY_MAX) {
        s->replay_next = s->replay_upto - REPLAY_MAX;
        sb_buf_printf(&s->replay,
                      "id: %lld\nevent: stream.reset\ndata: {\"reason\":\"too far behind\",\"resumes_after\":%lld}\n\n",
                      (long long)s->replay_next, (long long)s->replay_next);
    }
    s->next = hub->head;
    if (hub->head)
        hub->head->prev = s;
    hub->head = s;
    hub->count++;
    pthread_mutex_unlock(&hub->mu);
    return sb_req_queue_stream(r, resp);
}

int sb_hub_open_stream(sb_hub *hub, sb_req *r, int64_t last_id)
{
    sub *s = calloc(1, sizeof *s);
    if (!s)
        return sb_req_fail(r, SB_E_INTERNAL, "out of memory");
    s->who = r->who;
    s->session = r->session_auth;
    memcpy(s->cred, r->cred_hash, sizeof s->cred);
    return open_stream(hub, r, s, last_id);
}

int sb_hub_open_visitor_stream(sb_hub *hub, sb_req *r, int64_t contact_id, const unsigned char token_hash[32],
                               int64_t last_id)
{
    sub *s = calloc(1, sizeof *s);
    if (!s)
        return sb_req_fail(r, SB_E_INTERNAL, "out of memory");
    s->visitor = true;
    s->contact_id = contact_id;
    memcpy(s->cred, token_hash, sizeof s->cred);
    return open_stream(hub, r, s, last_id);
}
