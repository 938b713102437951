#include "core/oncall.h"

#include <stdio.h>

static int offset_at(const sb_cal_tz *tz, int64_t utc_s)
{
    return tz->utc_offset_s ? tz->utc_offset_s(tz->ctx, utc_s) : 0;
}

int64_t sb_oncall_local_to_utc(const sb_cal_tz *tz, int64_t local_s)
{
    /* Try the offsets in effect a day either side: at most one change lies between (tzdata
     * since 1970), so one of them maps local_s to an instant that shows that wall time. */
    int before = offset_at(tz, local_s - 86400), after = offset_at(tz, local_s + 86400);
    int64_t u1 = local_s - before, u2 = local_s - after;
    bool ok1 = u1 + offset_at(tz, u1) == local_s, ok2 = u2 + offset_at(tz, u2) == local_s;
    if (ok1 && ok2)
        return u1 < u2 ? u1 : u2; /* overlap: the first time it happens */
    if (ok1)
        return u1;
    if (ok2)
        return u2;
    return u1; /* a gap: the wall time under the old offset, moved on by the gap */
}

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

/* Start of turn k. */
static int64_t turn_start(const sb_oncall *oc, int64_t k)
{
    if (oc->length_days <= 0)
        return oc->start_s + k * oc->length_s;
    int64_t local_start = oc->start_s + offset_at(&oc->tz, oc->start_s);
    return sb_oncall_local_to_utc(&oc->tz, local_start + k * (int64_t)oc->length_days * 86400);
}

sb_err sb_oncall_check(const sb_oncall *oc, char *err, size_t errlen)
{
    const char *why = NULL;
    if (oc->nagents > SB_ONCALL_MAX_AGENTS)
        why = "at most 64 agents";
    else if (oc->length_days < 0 || oc->length_days > SB_ONCALL_MAX_DAYS)
        why = "length_days must be 1 to 366";
    else if (oc->length_days == 0 && (oc->length_s < 3600 || oc->length_s > (int64_t)SB_ONCALL_MAX_HOURS * 3600))
        why = "a turn must last 1 to 8784 hours";
    else if (oc->start_s < SB_CAL_MIN_S || oc->start_s > SB_CAL_MAX_S)
        why = "start is out of range";
    else if (oc->noverrides > SB_ONCALL_MAX_OVERRIDES)
        why = "at most 64 overrides";
    for (size_t i = 0; !why && i < oc->noverrides; i++)
        if (oc->overrides[i].to_s <= oc->overrides[i].from_s)
            why = "an override must end after it starts";
    if (!why)
        return SB_OK;
    if (err && errlen)
        snprintf(err, errlen, "%s", why);
    return SB_E_VALIDATION;
}

void sb_oncall_at(const sb_oncall *oc, int64_t t, sb_oncall_answer *out)
{
    *out = (sb_oncall_answer){.agent_id = 0, .source = SB_ONCALL_NONE, .turn = -1};
    for (size_t i = oc->noverrides; i-- > 0;) {
        const sb_oncall_override *o = &oc->overrides[i];
        if (o->from_s <= t && t < o->to_s) {
            out->agent_id = o->agent_id;
            out->source = SB_ONCALL_OVERRIDE;
            out->from_s = o->from_s;
            out->to_s = o->to_s;
            return;
        }
    }
    if (oc->nagents == 0 || (oc->length_days <= 0 && oc->length_s <= 0))
        return;
    if (t < oc->start_s) {
        out->to_s = oc->start_s;
        return;
    }
    int64_t k;
    if (oc->length_days > 0) {
        /* Estimate from local wall times, then step to the turn that really holds t. */
        int64_t lt = t + offset_at(&oc->tz, t);
        int64_t ls = oc->start_s + offset_at(&oc->tz, oc->start_s);
        k = floor_div(lt - ls, (int64_t)oc->length_days * 86400);
        if (k < 0)
            k = 0;
        for (int guard = 0; guard < 4 && k > 0 && t < turn_start(oc, k); guard++)
            k--;
        for (int guard = 0; guard < 4 && t >= turn_start(oc, k + 1); guard++)
            k++;
    } else {
        k = floor_div(t - oc->start_s, oc->length_s);
    }
    out->turn = k;
    out->agent_id = oc->agent_ids[k % (int64_t)oc->nagents];
    out->source = SB_ONCALL_ROTATION;
    out->from_s = turn_start(oc, k);
    out->to_s = turn_start(oc, k + 1);
}
