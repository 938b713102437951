/* On-call rotation of a team: an ordered list of agents taking turns of a fixed length from
 * a start instant, with overrides (someone else covers a range of time).
 *
 * Pure code: no I/O, no allocation. A turn is either a number of local days, handed over at
 * the start's local wall time in the rotation's time zone (so "every Monday 09:00 Kyiv time"
 * stays 09:00 across DST changes; such a week lasts 167 or 169 real hours), or a fixed number
 * of real hours. The time zone enters through the calendar's offset provider (sb_cal_tz). */
#ifndef SB_CORE_ONCALL_H
#define SB_CORE_ONCALL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/calendar.h"

#define SB_ONCALL_MAX_AGENTS 64
#define SB_ONCALL_MAX_OVERRIDES 64
#define SB_ONCALL_MAX_DAYS 366
#define SB_ONCALL_MAX_HOURS (24 * 366)

typedef struct {
    int64_t agent_id;
    int64_t from_s, to_s; /* [from, to), UTC seconds */
} sb_oncall_override;

typedef struct {
    int64_t agent_ids[SB_ONCALL_MAX_AGENTS];
    size_t nagents;
    int64_t start_s;     /* the first turn begins here (UTC seconds) */
    int32_t length_days; /* local days per turn, or 0 */
    int64_t length_s;    /* real seconds per turn when length_days is 0 */
    sb_oncall_override overrides[SB_ONCALL_MAX_OVERRIDES];
    size_t noverrides;
    sb_cal_tz tz;        /* needed for length_days; fixed UTC when unset */
} sb_oncall;

typedef enum { SB_ONCALL_NONE = 0, SB_ONCALL_ROTATION, SB_ONCALL_OVERRIDE } sb_oncall_source;

typedef struct {
    int64_t agent_id;        /* 0: nobody (before the start, or an empty rotation) */
    sb_oncall_source source;
    int64_t from_s, to_s;    /* the turn (or override) that covers the instant; to_s 0 = open */
    int64_t turn;            /* index of the rotation turn (-1 before the start) */
} sb_oncall_answer;

/* Checks lengths, agent count and override ranges; SB_E_VALIDATION with err. */
sb_err sb_oncall_check(const sb_oncall *oc, char *err, size_t errlen);

/* Who is on call at t (UTC seconds). The last override covering t wins over the rotation. */
void sb_oncall_at(const sb_oncall *oc, int64_t t_s, sb_oncall_answer *out);

/* The UTC instant at which local wall time `local_s` (seconds since the epoch as if local
 * were UTC) happens. In a fall-back overlap the earlier instant; in a spring-forward gap the
 * wall time as if the old offset still held (02:30 on a day that skips 02:00-03:00 becomes
 * 03:30 under the new offset: moved on by the length of the gap). */
int64_t sb_oncall_local_to_utc(const sb_cal_tz *tz, int64_t local_s);

#endif
