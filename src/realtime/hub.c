#include "realtime/hub.h"

#include <microhttpd.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/buf.h"
#include "util/log.h"

#define LIVE_LIMIT (1u << 20) /* a stream further behind than this is closed; it replays on reconnect */
#define REPLAY_CHUNK 200

typedef struct sub {
    struct sub *prev, *next;
    sb_hub *hub;
    struct MHD_Connection *conn;
    sb_principal who;
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
};

static bool visible(const sub *s, const sb_event *ev)
{
    /* Agents see every event. Customer streams (widget) will filter by contact and
     * never receive internal events. */
    (void)s;
    (void)ev;
    return true;
}

static void format_event(sb_buf *b, const sb_event *ev)
{
    sb_buf_printf(b, "id: %lld\nevent: %s\ndata: ", (long long)ev->id, ev->type);
    sb_buf_append(b, ev->json, ev->json_len);
    sb_buf_puts(b, "\n\n");
}

static void wake(sub *s)
{
    if (s->parked) {
        s->parked = false;
        MHD_resume_connection(s->conn);
    }
}

void sb_hub_publish(void *arg, const sb_event *events, size_t n)
{
    sb_hub *hub = arg;
    pthread_mutex_lock(&hub->mu);
    for (sub *s = hub->head; s; s = s->next) {
        if (s->closing)
            continue;
        for (size_t i = 0; i < n; i++) {
            if (events[i].id <= s->replay_upto || !visible(s, &events[i]))
                continue;
            format_event(&s->live, &events[i]);
        }
        if (s->live.failed) {
            sb_warn("msg=\"event stream too far behind; closing it\" agent=%lld", (long long)s->who.agent_id);
            s->closing = true;
        }
        wake(s);
    }
    if (n)
        hub->last_published = events[n - 1].id;
    pthread_mutex_unlock(&hub->mu);
}

static void *timer_main(void *arg)
{
    sb_hub *hub = arg;
    pthread_mutex_lock(&hub->mu);
    while (!hub->stopping) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_sec += hub->heartbeat_s;
        pthread_cond_timedwait(&hub->timer_cv, &hub->mu, &ts);
        if (hub->stopping)
            break;
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

sb_hub *sb_hub_new(sb_store *st, unsigned heartbeat_s)
{
    sb_hub *hub = calloc(1, sizeof *hub);
    if (!hub)
        return NULL;
    pthread_mutex_init(&hub->mu, NULL);
    pthread_cond_init(&hub->timer_cv, NULL);
    hub->store = st;
    hub->heartbeat_s = heartbeat_s ? heartbeat_s : 20;
    sb_db *r = sb_store_reader(st);
    hub->last_published = r ? sb_store_events_max_id(r) : 0;
    if (pthread_create(&hub->timer, NULL, timer_main, hub) != 0) {
        free(hub);
        return NULL;
    }
    return hub;
}

void sb_hub_close_all(sb_hub *hub)
{
    pthread_mutex_lock(&hub->mu);
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
            format_event(&s->replay, &evs[i]);
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

int sb_hub_open_stream(sb_hub *hub, sb_req *r, int64_t last_id)
{
    sub *s = calloc(1, sizeof *s);
    if (!s)
        return sb_req_fail(r, SB_E_INTERNAL, "out of memory");
    s->hub = hub;
    s->conn = sb_req_connection(r);
    s->who = r->who;
    sb_buf_init(&s->live, LIVE_LIMIT);
    sb_buf_init(&s->replay, 0);
    struct MHD_Response *resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096, read_stream, s, free_stream);
    if (!resp) {
        free(s);
        return sb_req_fail(r, SB_E_INTERNAL, "cannot create the stream");
    }
    MHD_add_response_header(resp, "Content-Type", "text/event-stream; charset=utf-8");
    MHD_add_response_header(resp, "X-Accel-Buffering", "no");
    pthread_mutex_lock(&hub->mu);
    /* Everything up to last_published is in the table; everything after arrives live. */
    s->replay_upto = hub->last_published;
    s->replay_next = last_id < 0 ? hub->last_published : last_id;
    sb_buf_puts(&s->replay, "retry: 2000\n: connected\n\n"); /* sent before anything else */
    s->next = hub->head;
    if (hub->head)
        hub->head->prev = s;
    hub->head = s;
    hub->count++;
    pthread_mutex_unlock(&hub->mu);
    return sb_req_queue_stream(r, resp);
}
