/* SLA clocks over business-hours calendars. See sla.h for the rules. */
#include "core/sla.h"

#include <string.h>

#include "core/conversation.h"

const char *sb_sla_status_name(sb_sla_status s)
{
    static const char *const names[] = {"ok", "warning", "breached", "paused", "met"};
    return (unsigned)s < sizeof names / sizeof names[0] ? names[s] : "ok";
}

const char *sb_sla_target_name(sb_sla_target t)
{
    static const char *const names[] = {"first_response", "next_response", "resolution"};
    return (unsigned)t < SB_SLA_N ? names[t] : "?";
}

void sb_sla_init(sb_sla_state *s)
{
    memset(s, 0, sizeof *s);
    for (int t = 0; t < SB_SLA_N; t++)
        s->c[t].since = -1;
}

static int64_t running_s(const sb_sla_clock *c, const sb_calendar *cal, int64_t now)
{
    return c->since >= 0 && now > c->since ? sb_cal_seconds_between(cal, c->since, now) : 0;
}

int64_t sb_sla_used(const sb_sla_state *s, const sb_calendar *cal, sb_sla_target t, int64_t now)
{
    return s->c[t].elapsed_s + running_s(&s->c[t], cal, now);
}

/* The used time at which target t warns, or -1 when the policy has no warning. */
static int64_t warn_threshold(const sb_sla_policy *p, sb_sla_target t)
{
    int64_t target = p->target_s[t];
    if (p->warn_percent > 0)
        return target * p->warn_percent / 100;
    if (p->warn_before_s > 0)
        return target > p->warn_before_s ? target - p->warn_before_s : 0;
    return -1;
}

/* Records breaches and warnings reached by `at`. */
static void mark(sb_sla_state *s, const sb_sla_policy *p, const sb_calendar *cal, int64_t at)
{
    for (int t = 0; t < SB_SLA_N; t++) {
        sb_sla_clock *c = &s->c[t];
        if (!c->active || p->target_s[t] <= 0)
            continue;
        int64_t used = sb_sla_used(s, cal, (sb_sla_target)t, at), w = warn_threshold(p, (sb_sla_target)t);
        if (used >= p->target_s[t])
            c->breached = true;
        if (w >= 0 && used >= w)
            c->warned = true;
    }
}

static void stop(sb_sla_clock *c, const sb_calendar *cal, int64_t at, bool met)
{
    c->elapsed_s += running_s(c, cal, at);
    c->since = -1;
    c->active = false;
    if (met) {
        c->met = true;
        c->met_at = at;
    }
}

static void start(sb_sla_clock *c, bool paused, int64_t at)
{
    memset(c, 0, sizeof *c);
    c->active = true;
    c->since = paused ? -1 : at;
}

static void set_paused(sb_sla_state *s, const sb_calendar *cal, bool paused, int64_t at)
{
    for (int t = 0; t < SB_SLA_N; t++) {
        sb_sla_clock *c = &s->c[t];
        if (!c->active)
            continue;
        if (paused && c->since >= 0) {
            c->elapsed_s += running_s(c, cal, at);
            c->since = -1;
        } else if (!paused && c->since < 0) {
            c->since = at;
        }
    }
    s->paused = paused;
}

static void apply_status(sb_sla_state *s, const sb_sla_policy *p, const sb_calendar *cal, int status, int64_t at)
{
    s->status = status;
    if (status == SB_STATUS_SOLVED || status == SB_STATUS_CLOSED) {
        stop(&s->c[SB_SLA_FIRST], cal, at, false);
        stop(&s->c[SB_SLA_NEXT], cal, at, false);
        if (s->c[SB_SLA_RESOLUTION].active)
            stop(&s->c[SB_SLA_RESOLUTION], cal, at, true);
        s->paused = false;
        return;
    }
    sb_sla_clock *res = &s->c[SB_SLA_RESOLUTION];
    if (!res->active && res->met) { /* reopened: resolution time continues from where it stopped */
        res->active = true;
        res->met = false;
        res->since = -1;
    }
    bool pause = status == SB_STATUS_PENDING || (status == SB_STATUS_ON_HOLD && p->pause_on_hold);
    set_paused(s, cal, pause, at);
}

void sb_sla_apply(sb_sla_state *s, const sb_sla_policy *p, const sb_calendar *cal, const sb_sla_event *ev)
{
    if (ev->kind == SB_SLA_EV_START) {
        sb_sla_init(s);
        s->started = true;
        start(&s->c[SB_SLA_FIRST], false, ev->at);
        start(&s->c[SB_SLA_RESOLUTION], false, ev->at);
        apply_status(s, p, cal, ev->status, ev->at);
        return;
    }
    if (!s->started)
        return;
    mark(s, p, cal, ev->at);
    switch (ev->kind) {
    case SB_SLA_EV_STATUS:
        if (ev->status != s->status)
            apply_status(s, p, cal, ev->status, ev->at);
        break;
    case SB_SLA_EV_CUSTOMER:
        /* The customer waits for an answer again once the first one is behind us. */
        if (!s->c[SB_SLA_FIRST].active && !s->c[SB_SLA_NEXT].active && s->status != SB_STATUS_CLOSED)
            start(&s->c[SB_SLA_NEXT], s->paused, ev->at);
        break;
    case SB_SLA_EV_AGENT:
        if (s->c[SB_SLA_FIRST].active)
            stop(&s->c[SB_SLA_FIRST], cal, ev->at, true);
        if (s->c[SB_SLA_NEXT].active)
            stop(&s->c[SB_SLA_NEXT], cal, ev->at, true);
        break;
    default:
        break;
    }
}

static int64_t add_or_max(const sb_calendar *cal, int64_t from, int64_t secs)
{
    int64_t out;
    if (secs < 0)
        secs = 0;
    return sb_cal_add_seconds(cal, from, secs, &out) == SB_OK ? out : SB_CAL_MAX_S;
}

void sb_sla_evaluate(sb_sla_state *s, const sb_sla_policy *p, const sb_calendar *cal, int64_t now, sb_sla_view *v)
{
    memset(v, 0, sizeof *v);
    if (s->started)
        mark(s, p, cal, now);
    bool any_active = false, any_breached = false, any_warning = false;
    for (int t = 0; t < SB_SLA_N; t++) {
        sb_sla_clock *c = &s->c[t];
        v->breached[t] = c->breached && p->target_s[t] > 0;
        if (!c->active || p->target_s[t] <= 0)
            continue;
        any_active = true;
        any_breached |= c->breached;
        v->warning[t] = c->warned && !c->breached;
        any_warning |= v->warning[t];
        if (c->since < 0)
            continue;
        v->due[t] = add_or_max(cal, c->since, p->target_s[t] - c->elapsed_s);
        int64_t w = warn_threshold(p, (sb_sla_target)t);
        if (w >= 0)
            v->warn_at[t] = add_or_max(cal, c->since, w - c->elapsed_s);
        if (!v->nearest_due || v->due[t] < v->nearest_due)
            v->nearest_due = v->due[t];
        int64_t cand[2] = {!c->warned && v->warn_at[t] > now ? v->warn_at[t] : 0,
                           !c->breached && v->due[t] > now ? v->due[t] : 0};
        for (int i = 0; i < 2; i++)
            if (cand[i] && (!v->next_check || cand[i] < v->next_check))
                v->next_check = cand[i];
    }
    if (any_breached)
        v->status = SB_SLA_BREACHED;
    else if (any_active && s->paused)
        v->status = SB_SLA_PAUSED;
    else if (any_warning)
        v->status = SB_SLA_WARNING;
    else if (any_active)
        v->status = SB_SLA_OK;
    else
        v->status = SB_SLA_MET;
}
