#include "http/metrics.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "realtime/hub.h"

static const unsigned statuses[] = {200, 201, 204, 400, 401, 403, 404, 405, 409, 413, 422, 429, 500, 503};
#define NSTATUS (sizeof statuses / sizeof statuses[0] + 1) /* + "other" */
static const double buckets[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5};
#define NBUCKET (sizeof buckets / sizeof buckets[0])

typedef struct {
    uint64_t by_status[NSTATUS];
    uint64_t bucket[NBUCKET + 1];
    uint64_t sum_us;
    uint64_t count;
} route_stats;

struct sb_metrics {
    size_t nroutes; /* + 1 for unmatched, stored last */
    route_stats *r;
};

sb_metrics *sb_metrics_new(size_t routes)
{
    sb_metrics *m = calloc(1, sizeof *m);
    if (!m)
        return NULL;
    m->nroutes = routes;
    m->r = calloc(routes + 1, sizeof *m->r);
    if (!m->r) {
        free(m);
        return NULL;
    }
    return m;
}

void sb_metrics_free(sb_metrics *m)
{
    if (!m)
        return;
    free(m->r);
    free(m);
}

void sb_metrics_observe(sb_metrics *m, int route_index, unsigned status, double seconds)
{
    route_stats *rs = &m->r[route_index < 0 ? m->nroutes : (size_t)route_index];
    size_t si = NSTATUS - 1;
    for (size_t i = 0; i < NSTATUS - 1; i++)
        if (statuses[i] == status)
            si = i;
    __atomic_add_fetch(&rs->by_status[si], 1, __ATOMIC_RELAXED);
    size_t b = NBUCKET;
    for (size_t i = 0; i < NBUCKET; i++)
        if (seconds <= buckets[i]) {
            b = i;
            break;
        }
    __atomic_add_fetch(&rs->bucket[b], 1, __ATOMIC_RELAXED);
    __atomic_add_fetch(&rs->sum_us, (uint64_t)(seconds * 1e6), __ATOMIC_RELAXED);
    __atomic_add_fetch(&rs->count, 1, __ATOMIC_RELAXED);
}

static const char *route_label(size_t i, size_t n)
{
    if (i == n)
        return "unmatched";
    return sb_routes[i].metric_name ? sb_routes[i].metric_name : sb_routes[i].pattern;
}

void sb_metrics_render(sb_app *app, sb_buf *out)
{
    sb_metrics *m = app->metrics;
    sb_buf_puts(out, "# HELP switchboard_http_requests_total HTTP requests by route, method and status.\n"
                     "# TYPE switchboard_http_requests_total counter\n");
    for (size_t i = 0; i <= m->nroutes; i++) {
        const char *method = i < m->nroutes ? sb_routes[i].method : "any";
        for (size_t s = 0; s < NSTATUS; s++) {
            uint64_t v = __atomic_load_n(&m->r[i].by_status[s], __ATOMIC_RELAXED);
            if (!v)
                continue;
            char st[8];
            if (s < NSTATUS - 1)
                snprintf(st, sizeof st, "%u", statuses[s]);
            else
                snprintf(st, sizeof st, "other");
            sb_buf_printf(out, "switchboard_http_requests_total{route=\"%s\",method=\"%s\",status=\"%s\"} %llu\n",
                          route_label(i, m->nroutes), method, st, (unsigned long long)v);
        }
    }
    sb_buf_puts(out, "# HELP switchboard_http_request_duration_seconds Request latency by route.\n"
                     "# TYPE switchboard_http_request_duration_seconds histogram\n");
    for (size_t i = 0; i <= m->nroutes; i++) {
        uint64_t count = __atomic_load_n(&m->r[i].count, __ATOMIC_RELAXED);
        if (!count)
            continue;
        const char *label = route_label(i, m->nroutes);
        const char *method = i < m->nroutes ? sb_routes[i].method : "any";
        uint64_t cum = 0;
        for (size_t b = 0; b <= NBUCKET; b++) {
            cum += __atomic_load_n(&m->r[i].bucket[b], __ATOMIC_RELAXED);
            if (b < NBUCKET)
                sb_buf_printf(out,
                              "switchboard_http_request_duration_seconds_bucket{route=\"%s\",method=\"%s\",le=\"%g\"} %llu\n",
                              label, method, buckets[b], (unsigned long long)cum);
            else
                sb_buf_printf(out,
                              "switchboard_http_request_duration_seconds_bucket{route=\"%s\",method=\"%s\",le=\"+Inf\"} %llu\n",
                              label, method, (unsigned long long)cum);
        }
        sb_buf_printf(out, "switchboard_http_request_duration_seconds_sum{route=\"%s\",method=\"%s\"} %.6f\n", label,
                      method, (double)__atomic_load_n(&m->r[i].sum_us, __ATOMIC_RELAXED) / 1e6);
        sb_buf_printf(out, "switchboard_http_request_duration_seconds_count{route=\"%s\",method=\"%s\"} %llu\n", label,
                      method, (unsigned long long)count);
    }
    sb_buf_printf(out,
                  "# HELP switchboard_sse_connections Open event streams.\n"
                  "# TYPE switchboard_sse_connections gauge\n"
                  "switchboard_sse_connections %u\n",
                  sb_hub_connections(app->hub));
    sb_buf_printf(out,
                  "# HELP switchboard_http_connections Open HTTP connections.\n"
                  "# TYPE switchboard_http_connections gauge\n"
                  "switchboard_http_connections %u\n",
                  sb_http_open_connections());
    sb_db *db = sb_store_reader(app->store);
    json_t *jobs = db ? sb_store_job_counts(db) : NULL;
    sb_buf_puts(out, "# HELP switchboard_jobs Jobs not done yet, by kind and state (failed ones stay for inspection).\n"
                     "# TYPE switchboard_jobs gauge\n");
    size_t i;
    json_t *row;
    json_array_foreach(jobs, i, row)
    {
        sb_buf_printf(out, "switchboard_jobs{kind=\"%s\",state=\"%s\"} %lld\n",
                      json_string_value(json_object_get(row, "kind")), json_string_value(json_object_get(row, "state")),
                      (long long)json_integer_value(json_object_get(row, "n")));
    }
    json_decref(jobs);
    sb_store_stats st;
    sb_store_get_stats(app->store, &st);
    static const char *const le[] = {"1", "2", "4", "8", "16", "32", "64", "+Inf"};
    sb_buf_puts(out, "# HELP switchboard_db_write_batch_size Writes committed per group commit.\n"
                     "# TYPE switchboard_db_write_batch_size histogram\n");
    for (int b = 0; b < 8; b++)
        sb_buf_printf(out, "switchboard_db_write_batch_size_bucket{le=\"%s\"} %llu\n", le[b],
                      (unsigned long long)st.batch_size_le[b]);
    sb_buf_printf(out,
                  "switchboard_db_write_batch_size_sum %llu\n"
                  "switchboard_db_write_batch_size_count %llu\n"
                  "# HELP switchboard_db_failed_commits_total Batches whose commit failed.\n"
                  "# TYPE switchboard_db_failed_commits_total counter\n"
                  "switchboard_db_failed_commits_total %llu\n",
                  (unsigned long long)st.writes, (unsigned long long)st.batches,
                  (unsigned long long)st.failed_commits);
}
