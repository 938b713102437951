/* Report fact rows on a real SQLite file: upsert and read back, each scan's range bounds
 * ([from, to)), every filter alone and combined (the SQL differs per combination), the backlog's
 * statuses, CSAT with and without the fact join, and an unknown tag. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "store/store.h"
#include "store/store_reports.h"

typedef struct {
    sb_store *st;
    char dir[256];
} fixture;

/* id, created, channel, team, agent, status, category, tags, frt_wall, resolved, sla_first */
typedef struct {
    int64_t id, created;
    const char *channel;
    int64_t team, agent;
    const char *status, *category, *tags;
    int64_t frt, resolved;
    int sla_first;
} row;

static const row rows[] = {
    {1, 1000, "email", 1, 1, "open", "Billing", ",1,", 60, 0, 1},
    {2, 2000, "email", 2, 1, "solved", NULL, "", 120, 5000, 2},
    {3, 3000, "webform", 1, 2, "pending", "Billing", ",1,2,", -1, 0, 3},
    {4, 4000, "api", 1, 0, "closed", "Other", ",2,", 30, 4500, 1},
    {5, 5000, "webform", 2, 2, "on_hold", NULL, ",12,", 10, 0, 0},
};

static sb_err seed_fn(sb_db *w, void *arg)
{
    (void)arg;
    sb_err err = SB_OK;
    for (size_t i = 0; i < sizeof rows / sizeof rows[0] && err == SB_OK; i++) {
        const row *r = &rows[i];
        sb_rep_fact f;
        memset(&f, 0, sizeof f);
        f.conversation_id = r->id;
        f.created_at = r->created;
        snprintf(f.channel, sizeof f.channel, "%s", r->channel);
        snprintf(f.status, sizeof f.status, "%s", r->status);
        snprintf(f.category, sizeof f.category, "%s", r->category ? r->category : "");
        snprintf(f.tag_ids, sizeof f.tag_ids, "%s", r->tags);
        f.team_id = r->team;
        f.assignee_id = r->agent;
        f.frt_wall_s = r->frt;
        f.frt_bus_s = r->frt >= 0 ? r->frt / 2 : -1;
        f.first_response_at = r->frt >= 0 ? r->created + r->frt * 1000 : 0;
        f.resolved_at = r->resolved;
        f.res_wall_s = r->resolved ? (r->resolved - r->created) / 1000 : -1;
        f.res_bus_s = f.res_wall_s;
        f.sla[0] = r->sla_first;
        err = sb_store_rep_fact_put(w, &f);
    }
    /* a second put replaces the row (the unique conversation id) */
    sb_rep_fact again;
    if (err == SB_OK && (err = sb_store_rep_fact_get(w, 5, &again)) == SB_OK) {
        snprintf(again.status, sizeof again.status, "on_hold");
        err = sb_store_rep_fact_put(w, &again);
    }
    /* CSAT rows for conversations 2 and 4 (and an unanswered survey) */
    if (err == SB_OK)
        err = sb_db_exec(w, "INSERT INTO agents(id, email, name, role, created_at, updated_at)"
                            " VALUES (1, 'a@x.test', 'A', 'agent', 0, 0), (2, 'b@x.test', 'B', 'agent', 0, 0);"
                            "INSERT INTO contacts(id, name, created_at, updated_at) VALUES (1, 'C', 0, 0);"
                            "INSERT INTO conversations(id, contact_id, created_at, updated_at)"
                            " VALUES (1, 1, 0, 0), (2, 1, 0, 0), (4, 1, 0, 0);"
                            "INSERT INTO csat(conversation_id, agent_id, team_id, rating, sent_at, rated_at)"
                            " VALUES (2, 1, 2, 'good', 5000, 6000), (4, 2, 1, 'poor', 4500, 7000),"
                            " (1, 1, 1, NULL, 4500, NULL);") < 0
                  ? SB_E_INTERNAL
                  : SB_OK;
    return err;
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "/tmp/sb-unit-reports-XXXXXX");
    if (!mkdtemp(f->dir))
        return -1;
    char err[256];
    if (sb_store_open(f->dir, &f->st, err, sizeof err) < 0) {
        fprintf(stderr, "%s\n", err);
        return -1;
    }
    if (sb_store_write(f->st, seed_fn, NULL) != SB_OK)
        return -1;
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
    int64_t ids[16];
    int n;
    int64_t wall_sum;
    char ratings[64];
} got;

static int collect(void *ctx, const sb_rep_row *r)
{
    got *g = ctx;
    if (g->n < 16)
        g->ids[g->n++] = r->at;
    if (r->wall_s > 0)
        g->wall_sum += r->wall_s;
    if (r->rating) {
        strcat(g->ratings, r->rating);
        strcat(g->ratings, " ");
    }
    return 0;
}

static int count(sb_db *db, sb_rep_scan_kind k, sb_rep_filter flt, got *g)
{
    memset(g, 0, sizeof *g);
    assert_int_equal(sb_store_rep_scan(db, k, &flt, collect, g), SB_OK);
    return g->n;
}

static void test_fact_roundtrip(void **state)
{
    fixture *f = *state;
    sb_db *db = sb_store_reader(f->st);
    sb_rep_fact x;
    assert_int_equal(sb_store_rep_fact_get(db, 3, &x), SB_OK);
    assert_int_equal(x.created_at, 3000);
    assert_string_equal(x.channel, "webform");
    assert_string_equal(x.category, "Billing");
    assert_string_equal(x.tag_ids, ",1,2,");
    assert_int_equal(x.frt_wall_s, -1);
    assert_int_equal(x.first_response_at, 0);
    assert_int_equal(x.resolved_at, 0);
    assert_int_equal(x.sla[0], 3);
    assert_int_equal(sb_store_rep_fact_get(db, 99, &x), SB_E_NOT_FOUND);
}

static void test_scans_and_filters(void **state)
{
    fixture *f = *state;
    sb_db *db = sb_store_reader(f->st);
    got g;
    sb_rep_filter all = {.from = 0, .to = 10000};
    assert_int_equal(count(db, SB_REP_SCAN_CREATED_AT, all, &g), 5);
    sb_rep_filter r = {.from = 2000, .to = 4000}; /* [from, to) */
    assert_int_equal(count(db, SB_REP_SCAN_CREATED_AT, r, &g), 2);
    assert_int_equal(g.ids[0], 2000);
    assert_int_equal(g.ids[1], 3000);
    sb_rep_filter team = {.from = 0, .to = 10000, .team_id = 1};
    assert_int_equal(count(db, SB_REP_SCAN_CREATED_TIMES, team, &g), 3);
    assert_int_equal(g.wall_sum, 90);
    sb_rep_filter agent = {.from = 0, .to = 10000, .agent_id = 2};
    assert_int_equal(count(db, SB_REP_SCAN_CREATED_SLA, agent, &g), 2);
    sb_rep_filter ch = {.from = 0, .to = 10000, .channel = "webform"};
    assert_int_equal(count(db, SB_REP_SCAN_CREATED_AT, ch, &g), 2);
    sb_rep_filter tag = {.from = 0, .to = 10000, .tag_id = 2};
    assert_int_equal(count(db, SB_REP_SCAN_CREATED_AT, tag, &g), 2);
    sb_rep_filter tag1 = {.from = 0, .to = 10000, .tag_id = 1}; /* ",1," never matches ",12," */
    assert_int_equal(count(db, SB_REP_SCAN_CREATED_AT, tag1, &g), 2);
    sb_rep_filter combo = {.from = 0, .to = 10000, .team_id = 1, .agent_id = 2, .channel = "webform", .tag_id = 2};
    assert_int_equal(count(db, SB_REP_SCAN_CREATED_AT, combo, &g), 1);
    assert_int_equal(g.ids[0], 3000);
    sb_rep_filter unknown = {.from = 0, .to = 10000, .tag_id = -1};
    assert_int_equal(count(db, SB_REP_SCAN_CREATED_AT, unknown, &g), 0);
    assert_int_equal(count(db, SB_REP_SCAN_CREATED_CATEGORY, all, &g), 3);
    assert_int_equal(count(db, SB_REP_SCAN_CREATED_TAGS, all, &g), 4);
    /* resolutions by resolved_at */
    sb_rep_filter res = {.from = 4500, .to = 5000};
    assert_int_equal(count(db, SB_REP_SCAN_RESOLVED, res, &g), 1);
    assert_int_equal(g.ids[0], 4500);
    /* the backlog ignores the range */
    sb_rep_filter none = {.from = 0, .to = 1};
    assert_int_equal(count(db, SB_REP_SCAN_BACKLOG, none, &g), 3);
    sb_rep_filter bt = {.from = 0, .to = 1, .team_id = 2};
    assert_int_equal(count(db, SB_REP_SCAN_BACKLOG, bt, &g), 1);
}

static void test_csat_scan(void **state)
{
    fixture *f = *state;
    sb_db *db = sb_store_reader(f->st);
    got g;
    sb_rep_filter all = {.from = 0, .to = 10000};
    assert_int_equal(count(db, SB_REP_SCAN_CSAT, all, &g), 2); /* unrated surveys are left out */
    sb_rep_filter late = {.from = 6500, .to = 10000};
    assert_int_equal(count(db, SB_REP_SCAN_CSAT, late, &g), 1);
    assert_string_equal(g.ratings, "poor ");
    sb_rep_filter ch = {.from = 0, .to = 10000, .channel = "email"}; /* joins the facts */
    assert_int_equal(count(db, SB_REP_SCAN_CSAT, ch, &g), 1);
    assert_string_equal(g.ratings, "good ");
    sb_rep_filter tag = {.from = 0, .to = 10000, .tag_id = 2, .agent_id = 2};
    assert_int_equal(count(db, SB_REP_SCAN_CSAT, tag, &g), 1);
    sb_rep_filter team = {.from = 0, .to = 10000, .team_id = 2};
    assert_int_equal(count(db, SB_REP_SCAN_CSAT, team, &g), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fact_roundtrip),
        cmocka_unit_test(test_scans_and_filters),
        cmocka_unit_test(test_csat_scan),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
