/* The store on a real SQLite file: group commit with per-job savepoints, events and their
 * order, the commit hook, blobs, and the job queue. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "store/blobs.h"
#include "store/store.h"

typedef struct {
    sb_store *st;
    char dir[256];
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "/tmp/sb-unit-store-XXXXXX");
    if (!mkdtemp(f->dir))
        return -1;
    char err[256];
    if (sb_store_open(f->dir, &f->st, err, sizeof err) < 0) {
        fprintf(stderr, "%s\n", err);
        return -1;
    }
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    sb_store_close(f->st);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", f->dir);
    int rc = system(cmd);
    (void)rc;
    free(f);
    return 0;
}

typedef struct {
    const char *name;
    bool fail;
    int64_t id;
    sb_err rc;
} tag_job;

static sb_err tag_fn(sb_db *w, void *arg)
{
    tag_job *j = arg;
    sb_err err = sb_store_tag_insert(w, j->name, NULL, 1000, &j->id);
    if (err != SB_OK)
        return err;
    json_t *data = json_pack("{s:s}", "name", j->name);
    sb_event_in ev = {.type = "tag.created", .actor_type = "system", .data = data, .now = 1000};
    err = sb_store_event_append(w, &ev, NULL);
    json_decref(data);
    return j->fail ? SB_E_VALIDATION : err; /* a failing job after doing its writes */
}

static void tag_done(void *arg, sb_err rc)
{
    ((tag_job *)arg)->rc = rc;
}

typedef struct {
    pthread_mutex_t mu;
    int batches;
    int64_t ids[64];
    int nids;
} hook_log;

static void hook(void *ctx, sb_db *w, const sb_event *ev, size_t n)
{
    (void)w;
    hook_log *h = ctx;
    pthread_mutex_lock(&h->mu);
    h->batches++;
    for (size_t i = 0; i < n && h->nids < 64; i++)
        h->ids[h->nids++] = ev[i].id;
    pthread_mutex_unlock(&h->mu);
}

static sb_err barrier(sb_db *w, void *arg)
{
    (void)w;
    (void)arg;
    return SB_OK;
}

static void test_failing_job_rolls_back_alone(void **state)
{
    fixture *f = *state;
    hook_log h = {.mu = PTHREAD_MUTEX_INITIALIZER};
    sb_store_set_commit_hook(f->st, hook, &h);
    tag_job jobs[6] = {{.name = "a"}, {.name = "b", .fail = true}, {.name = "c"},
                       {.name = "d", .fail = true}, {.name = "e"}, {.name = "f"}};
    for (int i = 0; i < 6; i++)
        assert_int_equal(sb_store_submit(f->st, tag_fn, tag_done, &jobs[i]), SB_OK);
    assert_int_equal(sb_store_write(f->st, barrier, NULL), SB_OK);
    sb_db *r = sb_store_reader(f->st);
    json_t *tags = sb_store_tag_list(r);
    assert_int_equal(json_array_size(tags), 4); /* a, c, e, f */
    json_decref(tags);
    for (int i = 0; i < 6; i++)
        assert_int_equal(jobs[i].rc, jobs[i].fail ? SB_E_VALIDATION : SB_OK);
    /* only committed events reach the hook, in increasing id order, without gaps */
    assert_int_equal(h.nids, 4);
    for (int i = 1; i < h.nids; i++)
        assert_int_equal(h.ids[i], h.ids[i - 1] + 1);
    sb_event *evs;
    size_t n;
    assert_int_equal(sb_store_events_after(r, 0, 1000, 100, &evs, &n), SB_OK);
    assert_int_equal(n, 4);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(evs[i].id, h.ids[i]);
        assert_non_null(strstr(evs[i].json, "\"type\":\"tag.created\""));
        sb_event_release(&evs[i]);
    }
    free(evs);
    sb_store_set_commit_hook(f->st, NULL, NULL);
}

static void test_duplicate_is_a_conflict(void **state)
{
    fixture *f = *state;
    tag_job a = {.name = "same"}, b = {.name = "SAME"};
    assert_int_equal(sb_store_write(f->st, tag_fn, &a), SB_OK);
    assert_int_equal(sb_store_write(f->st, tag_fn, &b), SB_E_CONFLICT); /* names are case-insensitive */
}

static void test_blobs_are_content_addressed(void **state)
{
    fixture *f = *state;
    char h1[65], h2[65];
    assert_int_equal(sb_blob_put(f->dir, "hello", 5, h1), 0);
    assert_int_equal(sb_blob_put(f->dir, "hello", 5, h2), 0);
    assert_string_equal(h1, h2);
    assert_string_equal(h1, "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824");
    char *data;
    size_t len;
    assert_int_equal(sb_blob_get(f->dir, h1, 100, &data, &len), 0);
    assert_int_equal(len, 5);
    assert_memory_equal(data, "hello", 5);
    free(data);
    assert_int_equal(sb_blob_get(f->dir, h1, 4, &data, &len), -1); /* over the cap */
    assert_int_equal(sb_blob_get(f->dir, "../../etc/passwd", 100, &data, &len), -1);
    assert_false(sb_blob_valid_name("2CF24DBA5FB0A30E26E83B2AC5B9E29E1B161E5C1FA7425E73043362938B9824"));
}

typedef struct {
    const char *kind, *key;
    int64_t run_at, id;
    sb_job job;
    sb_err rc;
} queue_op;

static sb_err enqueue_fn(sb_db *w, void *arg)
{
    queue_op *q = arg;
    json_t *p = json_pack("{s:i}", "n", 1);
    sb_err err = sb_store_job_enqueue(w, q->kind, p, q->run_at, 3, q->key, 1000, &q->id);
    json_decref(p);
    return err;
}

static sb_err claim_fn(sb_db *w, void *arg)
{
    queue_op *q = arg;
    return sb_store_job_claim(w, q->run_at, &q->job);
}

static void test_job_queue(void **state)
{
    fixture *f = *state;
    queue_op later = {.kind = "k", .key = "unique:1", .run_at = 5000};
    queue_op again = {.kind = "k", .key = "unique:1", .run_at = 6000};
    queue_op early = {.kind = "k", .run_at = 2000};
    assert_int_equal(sb_store_write(f->st, enqueue_fn, &later), SB_OK);
    assert_true(later.id > 0);
    assert_int_equal(sb_store_write(f->st, enqueue_fn, &again), SB_OK);
    assert_int_equal(again.id, 0); /* one queued job per unique key */
    assert_int_equal(sb_store_write(f->st, enqueue_fn, &early), SB_OK);
    queue_op c = {.run_at = 1500};
    assert_int_equal(sb_store_write(f->st, claim_fn, &c), SB_E_NOT_FOUND); /* nothing due yet */
    c.run_at = 5500;
    assert_int_equal(sb_store_write(f->st, claim_fn, &c), SB_OK);
    assert_int_equal(c.job.id, early.id); /* the most overdue first */
    assert_int_equal(c.job.attempts, 1);
    sb_job_release(&c.job);
    assert_int_equal(sb_store_write(f->st, claim_fn, &c), SB_OK);
    assert_int_equal(c.job.id, later.id);
    sb_job_release(&c.job);
    assert_int_equal(sb_store_write(f->st, claim_fn, &c), SB_E_NOT_FOUND);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_failing_job_rolls_back_alone, setup, teardown),
        cmocka_unit_test_setup_teardown(test_duplicate_is_a_conflict, setup, teardown),
        cmocka_unit_test_setup_teardown(test_blobs_are_content_addressed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_job_queue, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
