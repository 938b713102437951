/* Report facts maintained at write time: the report queries then read one row per
 * conversation instead of walking messages, clocks and calendars (docs/reports.md). */
#include "service/reports.h"

#include <stdlib.h>
#include <string.h>

#include "core/calendar.h"
#include "service/sla.h"
#include "store/store_reports.h"
#include "store/store_sla.h"

/* The policy's target minutes for a priority, as the SLA sync picks them (service/sla.c). */
static void policy_targets(sb_db *w, int64_t policy_id, const char *priority, int64_t targets[3], int64_t *calendar_id)
{
    static const char *const names[] = {"first_response", "next_response", "resolution"};
    json_t *p = policy_id ? sb_store_sla_policy_get(w, policy_id) : NULL;
    json_t *all = json_object_get(p, "targets");
    json_t *t = json_object_get(all, priority);
    if (!json_is_object(t))
        t = json_object_get(all, "default");
    if (!json_is_object(t))
        t = json_object_get(all, "normal");
    for (int i = 0; i < 3; i++)
        targets[i] = json_integer_value(json_object_get(t, names[i]));
    *calendar_id = json_integer_value(json_object_get(p, "calendar_id"));
    json_decref(p);
}

/* The clock flags the SLA sync stores in sla_data ({"clocks":[{"f":bits},...]}; bits: 1 active,
 * 2 met, 4 breached; see clocks_dump in service/sla.c). */
static void clock_outcomes(const char *sla_data, const int64_t targets[3], int prev_next, int out[3])
{
    json_t *d = sla_data ? json_loads(sla_data, 0, NULL) : NULL;
    json_t *clocks = json_object_get(d, "clocks");
    for (int t = 0; t < 3; t++) {
        int64_t f = json_integer_value(json_object_get(json_array_get(clocks, (size_t)t), "f"));
        int o = SB_REP_SLA_NONE;
        if (targets[t] > 0 && d) {
            if (f & 4)
                o = SB_REP_SLA_BREACHED;
            else if (f & 2)
                o = SB_REP_SLA_MET;
            else if (f & 1)
                o = SB_REP_SLA_RUNNING;
        }
        /* Next response restarts with every customer message: a conversation missed it once
         * any of its clocks was breached, met it when one was met and none breached. */
        if (t == 1 && targets[t] > 0) {
            if (prev_next == SB_REP_SLA_BREACHED)
                o = SB_REP_SLA_BREACHED;
            else if (o != SB_REP_SLA_BREACHED && prev_next == SB_REP_SLA_MET)
                o = SB_REP_SLA_MET;
        }
        out[t] = o;
    }
    json_decref(d);
}

sb_err sb_svc_reports_sync(sb_db *w, int64_t conv_id, int64_t now_ms)
{
    (void)now_ms;
    sb_rep_fact *f = malloc(sizeof *f), *prev = malloc(sizeof *prev);
    sb_calendar *cal = NULL;
    char *sla_data = NULL;
    int64_t policy_id = 0;
    sb_err err = SB_E_INTERNAL;
    if (!f || !prev)
        goto out;
    if ((err = sb_store_rep_source(w, conv_id, f, &sla_data, &policy_id)) != SB_OK)
        goto out;
    bool had = sb_store_rep_fact_get(w, conv_id, prev) == SB_OK;
    int64_t targets[3] = {0}, cal_id = 0;
    policy_targets(w, policy_id, f->priority, targets, &cal_id);
    clock_outcomes(sla_data, targets, had ? prev->sla[1] : SB_REP_SLA_NONE, f->sla);

    bool frt_known = had && prev->first_response_at == f->first_response_at && prev->frt_bus_s >= 0;
    bool res_known = had && prev->resolved_at == f->resolved_at && prev->res_bus_s >= 0;
    if (f->first_response_at)
        f->frt_wall_s = f->first_response_at / 1000 - f->created_at / 1000;
    if (f->resolved_at)
        f->res_wall_s = f->resolved_at / 1000 - f->created_at / 1000;
    if (frt_known)
        f->frt_bus_s = prev->frt_bus_s;
    if (res_known)
        f->res_bus_s = prev->res_bus_s;
    if ((f->first_response_at && !frt_known) || (f->resolved_at && !res_known)) {
        if (!cal_id) {
            char *v = sb_store_setting_get(w, SB_SETTING_REPORTS_CALENDAR);
            cal_id = v ? strtoll(v, NULL, 10) : 0;
            free(v);
        }
        if (!(cal = malloc(sizeof *cal))) {
            err = SB_E_INTERNAL;
            goto out;
        }
        /* A calendar deleted since: count on 24/7 rather than fail the write. */
        if (sb_svc_calendar_load(w, cal_id, cal) != SB_OK && sb_svc_calendar_load(w, 0, cal) != SB_OK) {
            err = SB_E_INTERNAL;
            goto out;
        }
        int64_t c = f->created_at / 1000;
        if (f->first_response_at && !frt_known)
            f->frt_bus_s = sb_cal_seconds_between(cal, c, f->first_response_at / 1000);
        if (f->resolved_at && !res_known)
            f->res_bus_s = sb_cal_seconds_between(cal, c, f->resolved_at / 1000);
    }
    /* A clock moved back (the test clock): durations are never negative. */
    int64_t *d[] = {&f->frt_wall_s, &f->frt_bus_s, &f->res_wall_s, &f->res_bus_s};
    for (size_t i = 0; i < 4; i++)
        if (*d[i] < -1)
            *d[i] = 0;
    err = sb_store_rep_fact_put(w, f);
out:
    free(cal);
    free(sla_data);
    free(f);
    free(prev);
    return err;
}
