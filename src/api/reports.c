/* Reports: volume, response and resolution times, SLA attainment, CSAT, backlog, busiest
 * hours, top categories and tags, per-agent figures; JSON or CSV (?format=csv). Every figure
 * comes from the fact rows (store/store_reports.c) in one range scan per table; the arithmetic
 * is core/reports.c. Agents and trainees see only their own conversations (agent_id is forced
 * to themselves); supervisors and admins see everything. See docs/reports.md. */
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "core/reports.h"
#include "service/reports.h"
#include "service/sla.h"
#include "store/store_reports.h"
#include "store/store_sla.h"
#include "util/buf.h"
#include "util/time.h"
#include "util/tz.h"

#define DAY_MS 86400000LL
#define MAX_RANGE_DAYS 400      /* longest report range */
#define HOURLY_MAX_MS (2 * DAY_MS) /* ranges up to two days are shown per hour */
#define TOP_DEFAULT 10
#define TOP_MAX 100
#define CSV_MAX (64u << 20)

typedef struct {
    sb_rep_filter f;
    sb_tz *tz;
    bool csv;
    bool own_only; /* an agent's own figures */
    int top;
} params;

static void params_release(params *p) { sb_tz_free(p->tz); }

static int fail422(sb_req *r, const char *fmt, const char *arg)
{
    return sb_req_fail(r, SB_E_VALIDATION, fmt, arg);
}

static int parse_time(sb_req *r, const char *key, int64_t dflt, int64_t *out)
{
    const char *v = sb_req_query(r, key);
    *out = dflt;
    if (!v || !*v)
        return SB_OK;
    if (sb_time_parse(v, out) != 0)
        return fail422(r, "%s must be an RFC 3339 time", key);
    return SB_OK;
}

static int parse_params(sb_req *r, params *p)
{
    memset(p, 0, sizeof *p);
    int rc;
    int64_t now = sb_now();
    if ((rc = parse_time(r, "to", now, &p->f.to)) != SB_OK ||
        (rc = parse_time(r, "from", p->f.to - 30 * DAY_MS, &p->f.from)) != SB_OK)
        return rc;
    if (p->f.from >= p->f.to)
        return fail422(r, "%s must be before to", "from");
    if (p->f.to - p->f.from > MAX_RANGE_DAYS * DAY_MS)
        return sb_req_fail(r, SB_E_VALIDATION, "from: the range is limited to %d days", MAX_RANGE_DAYS);
    int64_t team = 0, agent = 0;
    if ((rc = sb_api_query_id(r, "team_id", &team)) != SB_OK || (rc = sb_api_query_id(r, "agent_id", &agent)) != SB_OK)
        return rc;
    if (team < 0 || agent < 0)
        return fail422(r, "%s must be a positive id", team < 0 ? "team_id" : "agent_id");
    if (r->who.role < SB_ROLE_SUPERVISOR) {
        if (agent && agent != r->who.agent_id)
            return sb_req_fail(r, SB_E_FORBIDDEN, "agents see only their own figures");
        agent = r->who.agent_id;
        p->own_only = true;
    }
    p->f.team_id = team;
    p->f.agent_id = agent;
    const char *ch = sb_req_query(r, "channel");
    if (ch && *ch) {
        if (strlen(ch) > 31 || strspn(ch, "abcdefghijklmnopqrstuvwxyz_") != strlen(ch))
            return fail422(r, "channel: \"%.40s\" is not a channel name", ch);
        p->f.channel = ch;
    }
    const char *tag = sb_req_query(r, "tag");
    if (tag && *tag) {
        if (strlen(tag) > 64)
            return fail422(r, "%s: at most 64 bytes", "tag");
        p->f.tag_id = sb_store_rep_tag_id(sb_req_db(r), tag);
        if (!p->f.tag_id)
            p->f.tag_id = -1; /* no such tag: nothing matches */
    }
    const char *tz = sb_req_query(r, "tz");
    if (!tz || !*tz)
        tz = "UTC";
    if (!(p->tz = sb_tz_open(tz)))
        return fail422(r, "tz: unknown time zone \"%.64s\"", tz);
    const char *fmt = sb_req_query(r, "format");
    if (fmt && *fmt && strcmp(fmt, "json") != 0 && strcmp(fmt, "csv") != 0)
        return fail422(r, "format must be json or csv, not \"%.16s\"", fmt);
    p->csv = fmt && strcmp(fmt, "csv") == 0;
    p->top = TOP_DEFAULT;
    const char *lim = sb_req_query(r, "limit");
    if (lim && *lim) {
        char *end;
        long v = strtol(lim, &end, 10);
        if (*end || v < 1 || v > TOP_MAX)
            return sb_req_fail(r, SB_E_VALIDATION, "limit must be 1..%d", TOP_MAX);
        p->top = (int)v;
    }
    return SB_OK;
}

/* ---- output ---- */

static void csv_value(sb_buf *b, json_t *v)
{
    char num[64];
    const char *text = "";
    if (json_is_string(v))
        text = json_string_value(v);
    else if (json_is_integer(v))
        snprintf(num, sizeof num, "%lld", (long long)json_integer_value(v)), text = num;
    else if (json_is_real(v))
        snprintf(num, sizeof num, "%.4f", json_real_value(v)), text = num;
    else if (json_is_boolean(v))
        text = json_is_true(v) ? "true" : "false";
    size_t cap = 2 * strlen(text) + 4;
    char *out = malloc(cap);
    if (!out) {
        b->failed = 1;
        return;
    }
    sb_rep_csv_field(text, out, cap);
    sb_buf_puts(b, out);
    free(out);
}

/* The result's "items" as CSV with the given columns (RFC 4180: CRLF line ends). */
static int send_csv(sb_req *r, const char *name, json_t *items, const char *const *cols)
{
    sb_buf b;
    sb_buf_init(&b, CSV_MAX);
    for (size_t c = 0; cols[c]; c++) {
        if (c)
            sb_buf_puts(&b, ",");
        sb_buf_puts(&b, cols[c]);
    }
    sb_buf_puts(&b, "\r\n");
    size_t i;
    json_t *it;
    json_array_foreach(items, i, it)
    {
        for (size_t c = 0; cols[c]; c++) {
            if (c)
                sb_buf_puts(&b, ",");
            csv_value(&b, json_object_get(it, cols[c]));
        }
        sb_buf_puts(&b, "\r\n");
    }
    if (b.failed) {
        sb_buf_release(&b);
        return sb_req_fail(r, SB_E_INTERNAL, "the CSV is too large");
    }
    size_t len;
    char *text = sb_buf_detach(&b, &len);
    struct MHD_Response *resp = MHD_create_response_from_buffer(len, text, MHD_RESPMEM_MUST_FREE);
    if (!resp) {
        free(text);
        return sb_req_fail(r, SB_E_INTERNAL, "out of memory");
    }
    char disp[96];
    snprintf(disp, sizeof disp, "attachment; filename=\"report-%s.csv\"", name);
    MHD_add_response_header(resp, "Content-Type", "text/csv; charset=utf-8; header=present");
    MHD_add_response_header(resp, "Content-Disposition", disp);
    MHD_add_response_header(resp, "Cache-Control", "no-store");
    r->resp_bytes = len;
    return sb_req_queue_response(r, 200, resp);
}

static json_t *ts(int64_t ms)
{
    char t[40];
    sb_time_format(ms, t, sizeof t);
    return json_string(t);
}

/* Sends the report: JSON (res with the filters echoed) or CSV of res.items. Steals res. */
static int reply(sb_req *r, params *p, const char *name, json_t *res, const char *const *cols)
{
    int rc;
    if (p->csv) {
        rc = send_csv(r, name, json_object_get(res, "items"), cols);
        json_decref(res);
    } else {
        json_t *flt = json_pack("{s:o, s:o, s:s}", "from", ts(p->f.from), "to", ts(p->f.to), "tz", sb_tz_name(p->tz));
        json_object_set_new(flt, "team_id", p->f.team_id ? json_integer(p->f.team_id) : json_null());
        json_object_set_new(flt, "agent_id", p->f.agent_id ? json_integer(p->f.agent_id) : json_null());
        json_object_set_new(flt, "channel", p->f.channel ? json_string(p->f.channel) : json_null());
        const char *tag = sb_req_query(r, "tag");
        json_object_set_new(flt, "tag", tag && *tag ? json_string(tag) : json_null());
        json_object_set_new(res, "report", json_string(name));
        json_object_set_new(res, "filters", flt);
        rc = sb_req_json(r, 200, res);
    }
    params_release(p);
    return rc;
}

static int scan_failed(sb_req *r, params *p)
{
    params_release(p);
    return sb_req_fail(r, SB_E_INTERNAL, "report query failed");
}

/* The UTC offset at an instant, cached while it holds (rows come in time order). */
typedef struct {
    sb_tz *tz;
    int64_t lo, hi;
    int off;
} tz_cache;

static int offset_at(tz_cache *c, int64_t s)
{
    if (c->hi == 0 || s < c->lo || s >= c->hi) {
        c->off = sb_tz_offset(c->tz, s);
        c->lo = s;
        c->hi = sb_tz_next_change(c->tz, s);
    }
    return c->off;
}

/* Growable int64 array. */
typedef struct {
    int64_t *v;
    size_t n, cap;
    bool failed;
} vec;

static void vec_push(vec *a, int64_t x)
{
    if (a->n == a->cap) {
        size_t cap = a->cap ? a->cap * 2 : 256;
        int64_t *v = realloc(a->v, cap * sizeof *v);
        if (!v) {
            a->failed = true;
            return;
        }
        a->v = v;
        a->cap = cap;
    }
    a->v[a->n++] = x;
}

static json_t *pct_json(vec *a, int pct)
{
    int64_t out;
    return sb_rep_percentile(a->v, a->n, pct, &out) ? json_integer(out) : json_null();
}

/* ---- volume ---- */

typedef struct {
    tz_cache tzc;
    bool hourly;
    int64_t first, nbuckets;
    int64_t *created, *solved;
} volume_ctx;

static int64_t bucket_of(volume_ctx *v, int64_t ms)
{
    int64_t s = ms / 1000;
    int off = offset_at(&v->tzc, s);
    return v->hourly ? sb_rep_local_hour(s, off) : sb_rep_local_day(s, off);
}

static int volume_created(void *ctx, const sb_rep_row *row)
{
    volume_ctx *v = ctx;
    int64_t b = bucket_of(v, row->at) - v->first;
    if (b >= 0 && b < v->nbuckets)
        v->created[b]++;
    return 0;
}

static int volume_solved(void *ctx, const sb_rep_row *row)
{
    volume_ctx *v = ctx;
    int64_t b = bucket_of(v, row->at) - v->first;
    if (b >= 0 && b < v->nbuckets)
        v->solved[b]++;
    return 0;
}

int sb_api_report_volume(sb_req *r)
{
    params p;
    int rc = parse_params(r, &p);
    if (rc != SB_OK) {
        params_release(&p);
        return rc;
    }
    volume_ctx v = {.tzc = {.tz = p.tz}, .hourly = p.f.to - p.f.from <= HOURLY_MAX_MS};
    v.first = bucket_of(&v, p.f.from);
    v.nbuckets = bucket_of(&v, p.f.to - 1) - v.first + 1;
    v.created = calloc((size_t)v.nbuckets, sizeof *v.created);
    v.solved = calloc((size_t)v.nbuckets, sizeof *v.solved);
    sb_db *db = sb_req_db(r);
    if (!v.created || !v.solved || sb_store_rep_scan(db, SB_REP_SCAN_CREATED_AT, &p.f, volume_created, &v) != SB_OK ||
        sb_store_rep_scan(db, SB_REP_SCAN_RESOLVED, &p.f, volume_solved, &v) != SB_OK) {
        free(v.created);
        free(v.solved);
        return scan_failed(r, &p);
    }
    json_t *items = json_array();
    int64_t tc = 0, ts_ = 0;
    for (int64_t i = 0; i < v.nbuckets; i++) {
        int64_t b = v.first + i, day = v.hourly ? (b >= 0 ? b / 24 : -((-b + 23) / 24)) : b;
        int y, m, d;
        sb_rep_civil(day, &y, &m, &d);
        char label[32];
        if (v.hourly)
            snprintf(label, sizeof label, "%04d-%02d-%02dT%02d:00", y, m, d, (int)(b - day * 24));
        else
            snprintf(label, sizeof label, "%04d-%02d-%02d", y, m, d);
        json_array_append_new(items, json_pack("{s:s, s:I, s:I}", "bucket", label, "created", (json_int_t)v.created[i],
                                               "solved", (json_int_t)v.solved[i]));
        tc += v.created[i];
        ts_ += v.solved[i];
    }
    free(v.created);
    free(v.solved);
    static const char *const cols[] = {"bucket", "created", "solved", NULL};
    return reply(r, &p, "volume",
                json_pack("{s:s, s:o, s:{s:I, s:I}}", "granularity", v.hourly ? "hour" : "day", "items", items, "totals",
                          "created", (json_int_t)tc, "solved", (json_int_t)ts_),
                cols);
}

/* ---- response and resolution times ---- */

typedef struct {
    vec wall, bus;
} times_ctx;

static int collect_times(void *ctx, const sb_rep_row *row)
{
    times_ctx *t = ctx;
    if (row->wall_s >= 0) {
        vec_push(&t->wall, row->wall_s);
        vec_push(&t->bus, row->bus_s >= 0 ? row->bus_s : row->wall_s);
    }
    return 0;
}

static json_t *times_items(json_t *items, const char *metric, times_ctx *t)
{
    json_t *o = json_object();
    json_object_set_new(o, "count", json_integer((json_int_t)t->wall.n));
    const char *clocks[] = {"wall", "business"};
    vec *vs[] = {&t->wall, &t->bus};
    for (int c = 0; c < 2; c++) {
        json_t *med = pct_json(vs[c], 50), *p90 = pct_json(vs[c], 90);
        json_object_set_new(o, clocks[c], json_pack("{s:O, s:O}", "median_s", med, "p90_s", p90));
        json_array_append_new(items, json_pack("{s:s, s:s, s:I, s:o, s:o}", "metric", metric, "clock", clocks[c], "count",
                                               (json_int_t)t->wall.n, "median_s", med, "p90_s", p90));
    }
    return o;
}

int sb_api_report_times(sb_req *r)
{
    params p;
    int rc = parse_params(r, &p);
    if (rc != SB_OK) {
        params_release(&p);
        return rc;
    }
    times_ctx frt = {0}, res = {0};
    sb_db *db = sb_req_db(r);
    bool ok = sb_store_rep_scan(db, SB_REP_SCAN_CREATED_TIMES, &p.f, collect_times, &frt) == SB_OK &&
              sb_store_rep_scan(db, SB_REP_SCAN_RESOLVED, &p.f, collect_times, &res) == SB_OK &&
              !frt.wall.failed && !frt.bus.failed && !res.wall.failed && !res.bus.failed;
    json_t *items = json_array(), *out = NULL;
    if (ok) {
        json_t *a = times_items(items, "first_response", &frt);
        json_t *b = times_items(items, "resolution", &res);
        out = json_pack("{s:o, s:o, s:o}", "first_response", a, "resolution", b, "items", items);
    } else {
        json_decref(items);
    }
    free(frt.wall.v);
    free(frt.bus.v);
    free(res.wall.v);
    free(res.bus.v);
    if (!out)
        return scan_failed(r, &p);
    static const char *const cols[] = {"metric", "clock", "count", "median_s", "p90_s", NULL};
    return reply(r, &p, "times", out, cols);
}

/* ---- SLA attainment ---- */

typedef struct {
    int64_t n[3][4]; /* target x outcome */
} sla_ctx;

static int count_sla(void *ctx, const sb_rep_row *row)
{
    sla_ctx *s = ctx;
    for (int t = 0; t < 3; t++)
        if (row->sla[t] >= 0 && row->sla[t] < 4)
            s->n[t][row->sla[t]]++;
    return 0;
}

int sb_api_report_sla(sb_req *r)
{
    params p;
    int rc = parse_params(r, &p);
    if (rc != SB_OK) {
        params_release(&p);
        return rc;
    }
    sla_ctx s = {0};
    if (sb_store_rep_scan(sb_req_db(r), SB_REP_SCAN_CREATED_SLA, &p.f, count_sla, &s) != SB_OK)
        return scan_failed(r, &p);
    static const char *const targets[] = {"first_response", "next_response", "resolution"};
    json_t *items = json_array();
    for (int t = 0; t < 3; t++) {
        int64_t met = s.n[t][SB_REP_SLA_MET], br = s.n[t][SB_REP_SLA_BREACHED];
        json_array_append_new(items, json_pack("{s:s, s:I, s:I, s:I, s:o}", "target", targets[t], "met", (json_int_t)met,
                                               "breached", (json_int_t)br, "running",
                                               (json_int_t)s.n[t][SB_REP_SLA_RUNNING], "attainment",
                                               met + br ? json_real((double)met / (double)(met + br)) : json_null()));
    }
    static const char *const cols[] = {"target", "met", "breached", "running", "attainment", NULL};
    return reply(r, &p, "sla", json_pack("{s:o}", "items", items), cols);
}

/* ---- CSAT ---- */

static const char *const ratings[] = {"excellent", "good", "okay", "poor"};

static int rating_index(const char *r)
{
    for (int k = 0; r && k < 4; k++)
        if (strcmp(r, ratings[k]) == 0)
            return k;
    return -1;
}

static int count_csat(void *ctx, const sb_rep_row *row)
{
    int64_t *n = ctx;
    int k = rating_index(row->rating);
    if (k >= 0)
        n[k]++;
    return 0;
}

static json_t *score_json(const int64_t n[4])
{
    double s = sb_rep_csat_score(n[0], n[1], n[2], n[3]);
    return s < 0 ? json_null() : json_real(s);
}

int sb_api_report_csat(sb_req *r)
{
    params p;
    int rc = parse_params(r, &p);
    if (rc != SB_OK) {
        params_release(&p);
        return rc;
    }
    int64_t n[4] = {0};
    if (sb_store_rep_scan(sb_req_db(r), SB_REP_SCAN_CSAT, &p.f, count_csat, n) != SB_OK)
        return scan_failed(r, &p);
    json_t *items = json_array();
    for (int k = 0; k < 4; k++)
        json_array_append_new(items, json_pack("{s:s, s:I}", "rating", ratings[k], "count", (json_int_t)n[k]));
    static const char *const cols[] = {"rating", "count", NULL};
    return reply(r, &p, "csat",
                json_pack("{s:I, s:o, s:o}", "rated", (json_int_t)(n[0] + n[1] + n[2] + n[3]), "score", score_json(n),
                          "items", items),
                cols);
}

/* ---- backlog by age ---- */

typedef struct {
    int64_t now, n[SB_REP_AGE_BUCKETS];
} backlog_ctx;

static int count_backlog(void *ctx, const sb_rep_row *row)
{
    backlog_ctx *b = ctx;
    b->n[sb_rep_age_bucket((b->now - row->at) / 1000)]++;
    return 0;
}

int sb_api_report_backlog(sb_req *r)
{
    params p;
    int rc = parse_params(r, &p);
    if (rc != SB_OK) {
        params_release(&p);
        return rc;
    }
    backlog_ctx b = {.now = sb_now()};
    if (sb_store_rep_scan(sb_req_db(r), SB_REP_SCAN_BACKLOG, &p.f, count_backlog, &b) != SB_OK)
        return scan_failed(r, &p);
    json_t *items = json_array();
    int64_t total = 0;
    for (int k = 0; k < SB_REP_AGE_BUCKETS; k++) {
        json_array_append_new(items, json_pack("{s:s, s:I}", "bucket", sb_rep_age_label(k), "count", (json_int_t)b.n[k]));
        total += b.n[k];
    }
    static const char *const cols[] = {"bucket", "count", NULL};
    return reply(r, &p, "backlog", json_pack("{s:o, s:I, s:o}", "as_of", ts(b.now), "total", (json_int_t)total, "items", items),
                cols);
}

/* ---- busiest hours ---- */

typedef struct {
    tz_cache tzc;
    int64_t n[7][24];
} heat_ctx;

static int count_heat(void *ctx, const sb_rep_row *row)
{
    heat_ctx *h = ctx;
    int64_t s = row->at / 1000;
    int off = offset_at(&h->tzc, s);
    int64_t hour = sb_rep_local_hour(s, off), day = sb_rep_local_day(s, off);
    h->n[sb_rep_weekday(day)][hour - day * 24]++;
    return 0;
}

int sb_api_report_heatmap(sb_req *r)
{
    params p;
    int rc = parse_params(r, &p);
    if (rc != SB_OK) {
        params_release(&p);
        return rc;
    }
    heat_ctx *h = calloc(1, sizeof *h);
    if (!h || (h->tzc.tz = p.tz, sb_store_rep_scan(sb_req_db(r), SB_REP_SCAN_CREATED_AT, &p.f, count_heat, h)) != SB_OK) {
        free(h);
        return scan_failed(r, &p);
    }
    static const char *const days[] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};
    json_t *items = json_array();
    int64_t max = 0;
    for (int d = 0; d < 7; d++)
        for (int hr = 0; hr < 24; hr++) {
            json_array_append_new(items, json_pack("{s:s, s:i, s:I}", "weekday", days[d], "hour", hr, "count",
                                                   (json_int_t)h->n[d][hr]));
            if (h->n[d][hr] > max)
                max = h->n[d][hr];
        }
    free(h);
    static const char *const cols[] = {"weekday", "hour", "count", NULL};
    return reply(r, &p, "heatmap", json_pack("{s:I, s:o}", "max", (json_int_t)max, "items", items), cols);
}

/* ---- top categories and tags, this period against the previous one ---- */

typedef struct {
    json_t *counts;  /* categories: name -> [current, previous] */
    int64_t *by_tag; /* tags: [2 * tag id + period] */
    size_t ntag;     /* entries of by_tag */
    int slot;
    bool failed;
} top_ctx;

static int count_category(void *ctx, const sb_rep_row *row)
{
    top_ctx *t = ctx;
    if (!row->category || !*row->category)
        return 0;
    json_t *pair = json_object_get(t->counts, row->category);
    if (!pair) {
        pair = json_pack("[I, I]", (json_int_t)0, (json_int_t)0);
        json_object_set_new(t->counts, row->category, pair);
    }
    json_t *c = json_array_get(pair, (size_t)t->slot);
    json_integer_set(c, json_integer_value(c) + 1);
    return 0;
}

#define TAG_ID_MAX 10000000 /* ids beyond are ignored (ids are dense; never reached) */

static int count_tags(void *ctx, const sb_rep_row *row)
{
    top_ctx *t = ctx;
    for (const char *p = row->tag_ids; p && *p;) { /* ",3,7," */
        char *end;
        long long id = strtoll(p + (*p == ','), &end, 10);
        if (end == p + (*p == ','))
            break;
        p = end;
        if (id <= 0 || id > TAG_ID_MAX)
            continue;
        size_t i = (size_t)id * 2 + (size_t)t->slot;
        if (i >= t->ntag) {
            size_t n = i * 2 + 64;
            int64_t *v = realloc(t->by_tag, n * sizeof *v);
            if (!v) {
                t->failed = true;
                return 1;
            }
            memset(v + t->ntag, 0, (n - t->ntag) * sizeof *v);
            t->by_tag = v;
            t->ntag = n;
        }
        t->by_tag[i]++;
    }
    return 0;
}

static json_t *top_row(const char *name, json_int_t cur, json_int_t old, json_int_t tag_id)
{
    double ch;
    json_t *row = json_pack("{s:s, s:I, s:I, s:o}", "name", name, "count", cur, "previous", old, "change_percent",
                            sb_rep_change_percent(cur, old, &ch) ? json_real(ch) : json_null());
    if (tag_id)
        json_object_set_new(row, "tag_id", json_integer(tag_id));
    return row;
}

static int by_count(const void *a, const void *b)
{
    json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
    json_int_t cx = json_integer_value(json_object_get(x, "count")), cy = json_integer_value(json_object_get(y, "count"));
    if (cx != cy)
        return cx < cy ? 1 : -1;
    json_int_t px = json_integer_value(json_object_get(x, "previous")),
               py = json_integer_value(json_object_get(y, "previous"));
    if (px != py)
        return px < py ? 1 : -1;
    return strcmp(json_string_value(json_object_get(x, "name")), json_string_value(json_object_get(y, "name")));
}

static int top_report(sb_req *r, bool tags)
{
    params p;
    int rc = parse_params(r, &p);
    if (rc != SB_OK) {
        params_release(&p);
        return rc;
    }
    top_ctx t = {.counts = json_object()};
    sb_db *db = sb_req_db(r);
    sb_rep_filter prev = p.f;
    prev.to = p.f.from;
    prev.from = p.f.from - (p.f.to - p.f.from);
    sb_rep_scan_kind kind = tags ? SB_REP_SCAN_CREATED_TAGS : SB_REP_SCAN_CREATED_CATEGORY;
    sb_rep_row_fn fn = tags ? count_tags : count_category;
    bool ok = sb_store_rep_scan(db, kind, &p.f, fn, &t) == SB_OK;
    t.slot = 1;
    ok = ok && sb_store_rep_scan(db, kind, &prev, fn, &t) == SB_OK && !t.failed;
    if (!ok) {
        json_decref(t.counts);
        free(t.by_tag);
        return scan_failed(r, &p);
    }
    json_t *names = tags ? sb_store_rep_tag_names(db) : NULL;
    size_t n = tags ? t.ntag / 2 : json_object_size(t.counts), k = 0;
    json_t **rows = calloc(n + 1, sizeof *rows);
    if (rows && tags) {
        for (size_t i = 0; i < n; i++) {
            char key[24];
            snprintf(key, sizeof key, "%zu", i);
            const char *name = json_string_value(json_object_get(names, key));
            if ((t.by_tag[2 * i] || t.by_tag[2 * i + 1]) && name) /* no name: a tag deleted since */
                rows[k++] = top_row(name, t.by_tag[2 * i], t.by_tag[2 * i + 1], (json_int_t)i);
        }
    } else if (rows) {
        const char *key;
        json_t *pair;
        json_object_foreach(t.counts, key, pair)
        {
            rows[k++] = top_row(key, json_integer_value(json_array_get(pair, 0)),
                                json_integer_value(json_array_get(pair, 1)), 0);
        }
    }
    if (rows)
        qsort(rows, k, sizeof *rows, by_count);
    json_t *items = json_array();
    for (size_t i = 0; i < k; i++) {
        if ((int)i < p.top)
            json_array_append_new(items, rows[i]);
        else
            json_decref(rows[i]);
    }
    free(rows);
    free(t.by_tag);
    json_decref(names);
    json_decref(t.counts);
    static const char *const cols[] = {"name", "count", "previous", "change_percent", NULL};
    json_t *res = json_pack("{s:o, s:o, s:o}", "previous_from", ts(prev.from), "previous_to", ts(prev.to), "items", items);
    return reply(r, &p, tags ? "tags" : "categories", res, cols);
}

int sb_api_report_categories(sb_req *r) { return top_report(r, false); }
int sb_api_report_tags(sb_req *r) { return top_report(r, true); }

/* ---- per agent ---- */

typedef struct {
    int64_t assigned, solved, csat[4];
    vec frt, frt_bus, res, res_bus;
} agent_acc;

typedef struct {
    agent_acc *a;
    size_t n; /* indexed by agent id */
    bool failed;
} agents_ctx;

#define AGENT_ID_MAX 10000000 /* ids beyond are ignored (never reached: ids are dense) */

static agent_acc *acc_for(agents_ctx *c, int64_t id)
{
    if (id <= 0 || id > AGENT_ID_MAX)
        return NULL;
    if ((size_t)id >= c->n) {
        size_t n = (size_t)id * 2 + 16;
        agent_acc *a = realloc(c->a, n * sizeof *a);
        if (!a) {
            c->failed = true;
            return NULL;
        }
        memset(a + c->n, 0, (n - c->n) * sizeof *a);
        c->a = a;
        c->n = n;
    }
    return &c->a[id];
}

static int agent_created(void *ctx, const sb_rep_row *row)
{
    agent_acc *a = acc_for(ctx, row->agent_id);
    if (a) {
        a->assigned++;
        if (row->wall_s >= 0) {
            vec_push(&a->frt, row->wall_s);
            vec_push(&a->frt_bus, row->bus_s >= 0 ? row->bus_s : row->wall_s);
        }
    }
    return 0;
}

static int agent_resolved(void *ctx, const sb_rep_row *row)
{
    agent_acc *a = acc_for(ctx, row->agent_id);
    if (a) {
        a->solved++;
        vec_push(&a->res, row->wall_s);
        vec_push(&a->res_bus, row->bus_s >= 0 ? row->bus_s : row->wall_s);
    }
    return 0;
}

static int agent_csat(void *ctx, const sb_rep_row *row)
{
    agent_acc *a = acc_for(ctx, row->agent_id);
    int k = rating_index(row->rating);
    if (a && k >= 0)
        a->csat[k]++;
    return 0;
}

int sb_api_report_agents(sb_req *r)
{
    params p;
    int rc = parse_params(r, &p);
    if (rc != SB_OK) {
        params_release(&p);
        return rc;
    }
    agents_ctx c = {0};
    sb_db *db = sb_req_db(r);
    bool ok = sb_store_rep_scan(db, SB_REP_SCAN_CREATED_TIMES, &p.f, agent_created, &c) == SB_OK &&
              sb_store_rep_scan(db, SB_REP_SCAN_RESOLVED, &p.f, agent_resolved, &c) == SB_OK &&
              sb_store_rep_scan(db, SB_REP_SCAN_CSAT, &p.f, agent_csat, &c) == SB_OK && !c.failed;
    json_t *names = ok ? sb_store_rep_agent_names(db) : NULL;
    json_t *items = json_array();
    for (size_t id = 1; ok && id < c.n; id++) {
        agent_acc *a = &c.a[id];
        ok = !a->frt.failed && !a->frt_bus.failed && !a->res.failed && !a->res_bus.failed;
        int64_t rated = a->csat[0] + a->csat[1] + a->csat[2] + a->csat[3];
        if (ok && (a->assigned || a->solved || rated)) {
            char key[24];
            snprintf(key, sizeof key, "%zu", id);
            const char *name = json_string_value(json_object_get(names, key));
            json_array_append_new(
                items, json_pack("{s:I, s:s, s:I, s:I, s:o, s:o, s:o, s:o, s:I, s:o}", "agent_id", (json_int_t)id, "name",
                                 name ? name : "", "assigned", (json_int_t)a->assigned, "solved", (json_int_t)a->solved,
                                 "first_response_median_s", pct_json(&a->frt, 50), "first_response_median_business_s",
                                 pct_json(&a->frt_bus, 50), "resolution_median_s", pct_json(&a->res, 50),
                                 "resolution_median_business_s", pct_json(&a->res_bus, 50), "csat_rated",
                                 (json_int_t)rated, "csat_score", score_json(a->csat)));
        }
    }
    for (size_t id = 0; id < c.n; id++) {
        free(c.a[id].frt.v);
        free(c.a[id].frt_bus.v);
        free(c.a[id].res.v);
        free(c.a[id].res_bus.v);
    }
    free(c.a);
    json_decref(names);
    if (!ok) {
        json_decref(items);
        return scan_failed(r, &p);
    }
    static const char *const cols[] = {"agent_id", "name", "assigned", "solved", "first_response_median_s",
                                       "first_response_median_business_s", "resolution_median_s",
                                       "resolution_median_business_s", "csat_rated", "csat_score", NULL};
    return reply(r, &p, "agents", json_pack("{s:o}", "items", items), cols);
}

/* ---- settings: the default calendar for business times ---- */

static json_t *settings_json(sb_db *db)
{
    char *v = sb_store_setting_get(db, SB_SETTING_REPORTS_CALENDAR);
    int64_t id = v && *v ? strtoll(v, NULL, 10) : 0;
    free(v);
    return json_pack("{s:o}", "calendar_id", id > 0 ? json_integer(id) : json_null());
}

int sb_api_report_settings_get(sb_req *r) { return sb_req_json(r, 200, settings_json(sb_req_db(r))); }

typedef struct {
    sb_sla_config_op op;
    json_t *fields;
} settings_req;

static void settings_free(void *p)
{
    settings_req *s = p;
    json_decref(s->fields);
    free(s);
}

int sb_api_report_settings_put(sb_req *r)
{
    static const char *const fields[] = {"calendar_id", NULL};
    int rc;
    bool present;
    int64_t cal;
    if ((rc = sb_api_need_object(r)) != SB_OK || (rc = sb_api_only(r, fields)) != SB_OK ||
        (rc = sb_api_id(r, "calendar_id", &present, &cal)) != SB_OK)
        return rc;
    if (!present)
        return sb_req_fail(r, SB_E_VALIDATION, "calendar_id is required (an id, or null for 24/7 UTC)");
    if (cal) {
        json_t *c = sb_store_calendar_get(sb_req_db(r), cal);
        if (!c)
            return sb_req_fail(r, SB_E_VALIDATION, "calendar_id %lld does not exist", (long long)cal);
        json_decref(c);
    }
    settings_req *s = calloc(1, sizeof *s);
    if (!s)
        return sb_req_fail(r, SB_E_INTERNAL, "out of memory");
    s->fields = json_object();
    json_object_set_new(s->fields, SB_SETTING_REPORTS_CALENDAR, cal ? json_integer(cal) : json_null());
    s->op = (sb_sla_config_op){.actor = sb_api_actor(r), .what = SB_SLA_SETTINGS, .kind = SB_OP_UPDATE, .fields = s->fields};
    return sb_req_submit(r, sb_svc_sla_config_write, s, settings_free, s->op.errmsg);
}

int sb_api_report_settings_finish(sb_req *r) { return sb_req_json(r, 200, settings_json(sb_req_db(r))); }
