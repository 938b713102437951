/* Agent notifications and the test clock. */
#include <stdlib.h>

#include "api/api.h"
#include "jobs/runner.h"
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
