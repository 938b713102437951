/* Store lifecycle, the single writer with group commit, per-thread readers, and events. */
#include "store/store.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "util/log.h"
#include "util/time.h"

#define MAX_BATCH 512
#define MAX_READERS 256

typedef struct job {
    sb_write_fn fn;
    sb_write_done_fn done;
    void *arg;
    struct job *next;
} job;

typedef struct {
    sb_event *v;
    size_t n, cap;
} event_vec;

struct sb_store {
    char dir[4096];
    char path[4096];
    sb_db *writer;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    job *head, *tail;
    bool stopping;
    event_vec batch_events;
    sb_store_commit_hook hook;
    void *hook_ctx;
    sb_store_stats stats;
    pthread_key_t reader_key;
    pthread_mutex_t readers_mu;
    sb_db *readers[MAX_READERS];
    int nreaders;
};

static const char *const role_names[] = {"trainee", "agent", "supervisor", "admin"};

const char *sb_role_name(sb_role r)
{
    return (unsigned)r <= SB_ROLE_ADMIN ? role_names[r] : "trainee";
}

int sb_role_parse(const char *name)
{
    for (int i = 0; name && i <= SB_ROLE_ADMIN; i++)
        if (strcmp(name, role_names[i]) == 0)
            return i;
    return -1;
}

static int mkdir_p(const char *dir)
{
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s", dir);
    for (char *p = tmp + 1; *p; p++) {
        if (*p == '/') {
            *p = '\0';
            if (mkdir(tmp, 0700) < 0 && errno != EEXIST)
                return -1;
            *p = '/';
        }
    }
    if (mkdir(tmp, 0700) < 0 && errno != EEXIST)
        return -1;
    return 0;
}

static int migrate(sb_db *w, char *err, size_t errlen)
{
    if (sb_db_exec(w, "CREATE TABLE IF NOT EXISTS schema_migrations ("
                      " version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)") < 0) {
        snprintf(err, errlen, "cannot create schema_migrations: %s", sb_db_errmsg(w));
        return -1;
    }
    int count;
    const sb_migration *m = sb_db_active->dialect->migrations(&count);
    for (int i = 0; i < count; i++) {
        sb_stmt *q = sb_db_prepare(w, "SELECT 1 FROM schema_migrations WHERE version = ?");
        sb_db_bind_int(q, 1, m[i].version);
        int done = sb_db_step(q) == SB_DB_ROW;
        sb_db_reset(q);
        if (done)
            continue;
        if (sb_db_exec(w, "BEGIN IMMEDIATE") < 0 || sb_db_exec(w, m[i].sql) < 0) {
            snprintf(err, errlen, "migration %d (%s) failed: %s", m[i].version, m[i].name, sb_db_errmsg(w));
            sb_db_exec(w, "ROLLBACK");
            return -1;
        }
        sb_stmt *ins = sb_db_prepare(w, "INSERT INTO schema_migrations(version, name, applied_at) VALUES (?, ?, ?)");
        sb_db_bind_int(ins, 1, m[i].version);
        sb_db_bind_text(ins, 2, m[i].name);
        sb_db_bind_int(ins, 3, sb_time_now_ms());
        int rc = sb_db_step(ins);
        sb_db_reset(ins);
        if (rc != SB_DB_DONE || sb_db_exec(w, "COMMIT") < 0) {
            snprintf(err, errlen, "migration %d bookkeeping failed: %s", m[i].version, sb_db_errmsg(w));
            sb_db_exec(w, "ROLLBACK");
            return -1;
        }
        sb_info("msg=\"applied migration\" version=%d name=\"%s\"", m[i].version, m[i].name);
    }
    return 0;
}

static void events_truncate(event_vec *ev, size_t n)
{
    while (ev->n > n)
        sb_event_release(&ev->v[--ev->n]);
}

static int step_simple(sb_db *w, const char *sql)
{
    sb_stmt *s = sb_db_prepare(w, sql);
    if (!s)
        return -1;
    int rc = sb_db_step(s);
    sb_db_reset(s);
    return rc == SB_DB_DONE ? 0 : -1;
}

static void run_batch(sb_store *st, job *list)
{
    sb_err rcs[MAX_BATCH];
    job *jobs[MAX_BATCH];
    size_t n = 0;
    for (job *j = list; j; j = j->next)
        jobs[n++] = j;

    bool ok = step_simple(st->writer, "BEGIN IMMEDIATE") == 0;
    for (size_t i = 0; i < n; i++) {
        if (!ok) {
            rcs[i] = SB_E_UNAVAILABLE;
            continue;
        }
        size_t mark = st->batch_events.n;
        if (step_simple(st->writer, "SAVEPOINT job") < 0) {
            rcs[i] = SB_E_INTERNAL;
            continue;
        }
        rcs[i] = jobs[i]->fn(st->writer, jobs[i]->arg);
        if (rcs[i] != SB_OK) {
            step_simple(st->writer, "ROLLBACK TO job");
            events_truncate(&st->batch_events, mark);
        }
        step_simple(st->writer, "RELEASE job");
        if (!sb_db_active->in_transaction(st->writer)) {
            /* The engine rolled the whole batch back (disk full, I/O error): nothing of it is
             * durable, so no job may be answered as done, and none may run outside a batch. */
            sb_error("msg=\"batch transaction lost\" err=\"%s\"", sb_db_errmsg(st->writer));
            for (size_t k = 0; k < n; k++)
                rcs[k] = SB_E_UNAVAILABLE;
            ok = false;
            break;
        }
    }
    if (ok && step_simple(st->writer, "COMMIT") < 0) {
        sb_error("msg=\"commit failed\" err=\"%s\"", sb_db_errmsg(st->writer));
        step_simple(st->writer, "ROLLBACK");
        ok = false;
        for (size_t i = 0; i < n; i++)
            if (rcs[i] == SB_OK)
                rcs[i] = SB_E_INTERNAL;
    }
    if (!ok) {
        events_truncate(&st->batch_events, 0);
        st->stats.failed_commits++;
    } else if (st->hook) {
        /* Called for every batch, even without events, so the hub can notice events that
         * another process (the CLI) committed. */
        st->hook(st->hook_ctx, st->writer, st->batch_events.v, st->batch_events.n);
    }
    events_truncate(&st->batch_events, 0);

    pthread_mutex_lock(&st->mu);
    st->stats.batches++;
    st->stats.writes += n;
    for (int b = 0; b < 8; b++)
        if (b == 7 || n <= (size_t)1 << b)
            st->stats.batch_size_le[b]++;
    pthread_mutex_unlock(&st->mu);

    for (size_t i = 0; i < n; i++) {
        if (jobs[i]->done)
            jobs[i]->done(jobs[i]->arg, rcs[i]);
        free(jobs[i]);
    }
}

static void *writer_main(void *arg)
{
    sb_store *st = arg;
    for (;;) {
        pthread_mutex_lock(&st->mu);
        while (!st->head && !st->stopping)
            pthread_cond_wait(&st->cv, &st->mu);
        if (!st->head && st->stopping) {
            pthread_mutex_unlock(&st->mu);
            break;
        }
        job *list = st->head, *last = list;
        int n = 1;
        while (last->next && n < MAX_BATCH) {
            last = last->next;
            n++;
        }
        st->head = last->next;
        if (!st->head)
            st->tail = NULL;
        last->next = NULL;
        pthread_mutex_unlock(&st->mu);
        run_batch(st, list);
    }
    return NULL;
}

int sb_store_open(const char *data_dir, sb_store **out, char *err, size_t errlen)
{
    if (mkdir_p(data_dir) < 0) {
        snprintf(err, errlen, "cannot create data directory %s: %s", data_dir, strerror(errno));
        return -1;
    }
    sb_store *st = calloc(1, sizeof *st);
    if (!st) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    snprintf(st->dir, sizeof st->dir, "%s", data_dir);
    snprintf(st->path, sizeof st->path, "%s/switchboard.db", data_dir);
    if (sb_db_active->open(st->path, 0, &st->writer, err, errlen) < 0) {
        free(st);
        return -1;
    }
    sb_db_active->set_user(st->writer, st);
    if (migrate(st->writer, err, errlen) < 0) {
        sb_db_active->close(st->writer);
        free(st);
        return -1;
    }
    pthread_mutex_init(&st->mu, NULL);
    pthread_cond_init(&st->cv, NULL);
    pthread_mutex_init(&st->readers_mu, NULL);
    pthread_key_create(&st->reader_key, NULL);
    if (pthread_create(&st->thread, NULL, writer_main, st) != 0) {
        snprintf(err, errlen, "cannot start the writer thread");
        sb_db_active->close(st->writer);
        free(st);
        return -1;
    }
    *out = st;
    return 0;
}

void sb_store_close(sb_store *st)
{
    if (!st)
        return;
    pthread_mutex_lock(&st->mu);
    st->stopping = true;
    pthread_cond_signal(&st->cv);
    pthread_mutex_unlock(&st->mu);
    pthread_join(st->thread, NULL);
    for (int i = 0; i < st->nreaders; i++)
        sb_db_active->close(st->readers[i]);
    sb_db_exec(st->writer, "PRAGMA wal_checkpoint(TRUNCATE)");
    sb_db_active->close(st->writer);
    free(st->batch_events.v);
    pthread_key_delete(st->reader_key);
    pthread_mutex_destroy(&st->mu);
    pthread_cond_destroy(&st->cv);
    pthread_mutex_destroy(&st->readers_mu);
    free(st);
}

const char *sb_store_data_dir(sb_store *st)
{
    return st->dir;
}

sb_store *sb_store_of(sb_db *db)
{
    return sb_db_active->get_user(db);
}

void sb_store_set_commit_hook(sb_store *st, sb_store_commit_hook hook, void *ctx)
{
    pthread_mutex_lock(&st->mu);
    st->hook = hook;
    st->hook_ctx = ctx;
    pthread_mutex_unlock(&st->mu);
}

void sb_store_get_stats(sb_store *st, sb_store_stats *out)
{
    pthread_mutex_lock(&st->mu);
    *out = st->stats;
    pthread_mutex_unlock(&st->mu);
}

sb_db *sb_store_reader(sb_store *st)
{
    sb_db *db = pthread_getspecific(st->reader_key);
    if (db)
        return db;
    char err[256];
    pthread_mutex_lock(&st->readers_mu);
    if (st->nreaders >= MAX_READERS) {
        pthread_mutex_unlock(&st->readers_mu);
        sb_error("msg=\"too many reader threads\"");
        return NULL;
    }
    if (sb_db_active->open(st->path, SB_DB_OPEN_READONLY, &db, err, sizeof err) < 0) {
        pthread_mutex_unlock(&st->readers_mu);
        sb_error("msg=\"cannot open reader\" err=\"%s\"", err);
        return NULL;
    }
    st->readers[st->nreaders++] = db;
    pthread_mutex_unlock(&st->readers_mu);
    pthread_setspecific(st->reader_key, db);
    return db;
}

sb_err sb_store_submit(sb_store *st, sb_write_fn fn, sb_write_done_fn done, void *arg)
{
    job *j = calloc(1, sizeof *j);
    if (!j)
        return SB_E_INTERNAL;
    j->fn = fn;
    j->done = done;
    j->arg = arg;
    pthread_mutex_lock(&st->mu);
    if (st->stopping) {
        pthread_mutex_unlock(&st->mu);
        free(j);
        return SB_E_UNAVAILABLE;
    }
    if (st->tail)
        st->tail->next = j;
    else
        st->head = j;
    st->tail = j;
    pthread_cond_signal(&st->cv);
    pthread_mutex_unlock(&st->mu);
    return SB_OK;
}

typedef struct {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool done;
    sb_err rc;
    sb_write_fn fn;
    void *arg;
} sync_wait;

static sb_err sync_fn(sb_db *w, void *arg)
{
    sync_wait *s = arg;
    return s->fn(w, s->arg);
}

static void sync_done(void *arg, sb_err rc)
{
    sync_wait *s = arg;
    pthread_mutex_lock(&s->mu);
    s->rc = rc;
    s->done = true;
    pthread_cond_signal(&s->cv);
    pthread_mutex_unlock(&s->mu);
}

sb_err sb_store_write(sb_store *st, sb_write_fn fn, void *arg)
{
    sync_wait s = {.fn = fn, .arg = arg};
    pthread_mutex_init(&s.mu, NULL);
    pthread_cond_init(&s.cv, NULL);
    sb_err rc = sb_store_submit(st, sync_fn, sync_done, &s);
    if (rc == SB_OK) {
        pthread_mutex_lock(&s.mu);
        while (!s.done)
            pthread_cond_wait(&s.cv, &s.mu);
        pthread_mutex_unlock(&s.mu);
        rc = s.rc;
    }
    pthread_mutex_destroy(&s.mu);
    pthread_cond_destroy(&s.cv);
    return rc;
}

/* ---- events ---- */

void sb_event_release(sb_event *ev)
{
    free(ev->json);
    ev->json = NULL;
}

static int render_event(sb_event *ev, int64_t id, const char *type, int64_t conv, int64_t contact,
                        bool internal, int64_t agent, const char *actor_type, int64_t actor_id, json_t *data,
                        int64_t created_at)
{
    char ts[32];
    sb_time_format(created_at, ts, sizeof ts);
    json_t *o = json_pack("{s:I, s:s, s:o, s:{s:s, s:o}, s:o, s:s}", "id", (json_int_t)id, "type", type,
                          "conversation_id", conv ? json_integer(conv) : json_null(), "actor", "type",
                          actor_type, "id", actor_id ? json_integer(actor_id) : json_null(), "data",
                          data ? json_incref(data) : json_object(), "created_at", ts);
    if (!o)
        return -1;
    ev->id = id;
    snprintf(ev->type, sizeof ev->type, "%s", type);
    ev->conversation_id = conv;
    ev->contact_id = contact;
    ev->internal = internal;
    ev->agent_id = agent;
    ev->json = json_dumps(o, JSON_COMPACT);
    ev->json_len = ev->json ? strlen(ev->json) : 0;
    json_decref(o);
    return ev->json ? 0 : -1;
}

sb_err sb_store_event_append(sb_db *w, const sb_event_in *in, int64_t *id_out)
{
    sb_store *st = sb_db_active->get_user(w);
    char *data = in->data ? json_dumps(in->data, JSON_COMPACT) : NULL;
    sb_stmt *s = sb_db_prepare(w,
                               "INSERT INTO events(type, conversation_id, contact_id, internal, actor_type,"
                               " actor_id, data, created_at, agent_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
                               " RETURNING id");
    if (!s) {
        free(data);
        return SB_E_INTERNAL;
    }
    sb_db_bind_text(s, 1, in->type);
    sb_db_bind_id(s, 2, in->conversation_id);
    sb_db_bind_id(s, 3, in->contact_id);
    sb_db_bind_int(s, 4, in->internal);
    sb_db_bind_text(s, 5, in->actor_type);
    sb_db_bind_id(s, 6, in->actor_id);
    sb_db_bind_text(s, 7, data ? data : "{}");
    sb_db_bind_int(s, 8, in->now);
    sb_db_bind_id(s, 9, in->agent_id);
    free(data);
    int rc = sb_db_step(s);
    int64_t id = rc == SB_DB_ROW ? sb_db_col_int(s, 0) : 0;
    sb_db_reset(s);
    if (rc != SB_DB_ROW)
        return SB_E_INTERNAL;
    if (id_out)
        *id_out = id;
    if (!st)
        return SB_OK;
    event_vec *ev = &st->batch_events;
    if (ev->n == ev->cap) {
        size_t cap = ev->cap ? ev->cap * 2 : 64;
        sb_event *v = realloc(ev->v, cap * sizeof *v);
        if (!v)
            return SB_E_INTERNAL;
        ev->v = v;
        ev->cap = cap;
    }
    if (render_event(&ev->v[ev->n], id, in->type, in->conversation_id, in->contact_id, in->internal,
                     in->agent_id, in->actor_type, in->actor_id, in->data, in->now) < 0)
        return SB_E_INTERNAL;
    ev->n++;
    return SB_OK;
}

int64_t sb_store_events_max_id(sb_db *r)
{
    sb_stmt *s = sb_db_prepare(r, "SELECT COALESCE(MAX(id), 0) FROM events");
    if (!s)
        return 0;
    int64_t id = sb_db_step(s) == SB_DB_ROW ? sb_db_col_int(s, 0) : 0;
    sb_db_reset(s);
    return id;
}

sb_err sb_store_events_after(sb_db *r, int64_t after, int64_t upto, int limit, sb_event **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    sb_stmt *s = sb_db_prepare(r, "SELECT id, type, conversation_id, contact_id, internal, actor_type,"
                                   " actor_id, data, created_at, agent_id FROM events WHERE id > ? AND id <= ?"
                                  " ORDER BY id LIMIT ?");
    if (!s)
        return SB_E_INTERNAL;
    sb_db_bind_int(s, 1, after);
    sb_db_bind_int(s, 2, upto);
    sb_db_bind_int(s, 3, limit);
    sb_event *v = calloc((size_t)limit, sizeof *v);
    size_t k = 0;
    sb_err err = SB_OK;
    int rc;
    while (v && (rc = sb_db_step(s)) == SB_DB_ROW) {
        json_t *data = json_loads(sb_db_col_text(s, 7), 0, NULL);
        if (render_event(&v[k], sb_db_col_int(s, 0), sb_db_col_text(s, 1), sb_db_col_int(s, 2),
                         sb_db_col_int(s, 3), sb_db_col_int(s, 4) != 0, sb_db_col_int(s, 9), sb_db_col_text(s, 5),
                         sb_db_col_int(s, 6), data, sb_db_col_int(s, 8)) == 0)
            k++;
        json_decref(data);
    }
    sb_db_reset(s);
    if (!v)
        err = SB_E_INTERNAL;
    *out = v;
    *n = k;
    return err;
}

json_t *sb_store_rows_json(sb_stmt *st)
{
    json_t *arr = json_array();
    while (sb_db_step(st) == SB_DB_ROW)
        json_array_append_new(arr, sb_db_row_json(st));
    sb_db_reset(st);
    return arr;
}
