/* Business-hours calendars: weekly opening intervals in a time zone, holidays, and the
 * arithmetic SLA clocks need ("N business minutes after T", "business minutes between A and
 * B", "is it open now", "when does it open next").
 *
 * Pure code: no I/O, no globals, no allocation. The time zone enters only through an offset
 * provider (sb_cal_tz), so the same arithmetic runs on tzdata (util/tz.h) in the server and
 * on fixed offsets in tests.
 *
 * Model. A UTC instant u is *business time* when its local wall time u + offset(u) falls in
 * an opening interval of its local weekday and its local date is not a holiday. Everything
 * follows from that one rule, DST included:
 *   - spring forward: local times that never happen are never business time (an interval
 *     01:00-04:00 on a day whose 02:00-03:00 is skipped is 2 real hours);
 *   - fall back: local times that happen twice count twice (01:00-03:00 on a day that repeats
 *     01:00-02:00 is 3 real hours).
 * Instants are seconds since the Unix epoch (UTC); the supported range is
 * SB_CAL_MIN_S .. SB_CAL_MAX_S (years 0001 to 9999). See docs/calendars.md. */
#ifndef SB_CORE_CALENDAR_H
#define SB_CORE_CALENDAR_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

#define SB_CAL_MAX_INTERVALS 16   /* opening intervals per weekday */
#define SB_CAL_MAX_HOLIDAYS 512   /* holiday entries (a date, a range or a yearly rule) */
#define SB_CAL_TZ_NAME_MAX 64     /* bytes of a time-zone name, NUL included */
#define SB_CAL_MIN_S (-62135596800LL) /* 0001-01-01T00:00:00Z */
#define SB_CAL_MAX_S 253402300799LL   /* 9999-12-31T23:59:59Z */

/* Weekdays as indices: 0 = Monday ... 6 = Sunday. */
enum { SB_CAL_MON = 0, SB_CAL_TUE, SB_CAL_WED, SB_CAL_THU, SB_CAL_FRI, SB_CAL_SAT, SB_CAL_SUN };

/* Time-zone offset provider.
 * utc_offset_s: seconds to add to a UTC instant to get local wall time at that instant
 *   (+10800 for Kyiv in summer). Required.
 * next_change_s: optional. An instant > utc_s, no later than the first instant after utc_s at
 *   which the offset may differ from the offset at utc_s (returning earlier is allowed, never
 *   later). Without it the calendar probes the offset once per day, which assumes no two
 *   changes within 24 hours (true of every zone in tzdata since 1970).
 * Both must be thread-safe if the calendar is shared between threads. */
typedef struct {
    int (*utc_offset_s)(void *ctx, int64_t utc_s);
    int64_t (*next_change_s)(void *ctx, int64_t utc_s);
    void *ctx;
} sb_cal_tz;

typedef struct {
    uint16_t start_min, end_min; /* [start, end) in minutes since local midnight; end <= 1440 */
} sb_cal_interval;

/* A holiday closes whole local dates. Absolute: days since 1970-01-01, inclusive range.
 * Yearly: month/day to month/day every year, inclusive, possibly wrapping over New Year
 * (12-31 .. 01-02); 02-29 exists only in leap years. */
typedef struct {
    int32_t from_day, to_day;     /* absolute holidays */
    uint8_t yearly;
    uint8_t from_month, from_mday, to_month, to_mday; /* yearly holidays */
} sb_cal_holiday;

typedef struct {
    bool always_open;                                     /* "24/7" (holidays still apply) */
    uint8_t n_intervals[7];
    sb_cal_interval intervals[7][SB_CAL_MAX_INTERVALS];   /* sorted, disjoint after finish */
    uint32_t n_holidays;
    sb_cal_holiday holidays[SB_CAL_MAX_HOLIDAYS];
    char timezone[SB_CAL_TZ_NAME_MAX];                    /* as written in the JSON, or "" */
    sb_cal_tz tz;                                         /* set by the caller */
    /* derived by sb_cal_finish: */
    bool ready;
    int32_t day_open_s[7];                                /* open seconds per weekday */
    int64_t week_open_s;
} sb_calendar;

/* ---- building ---------------------------------------------------------------------------
 * Either sb_cal_from_json, or sb_cal_init + sb_cal_add_* + sb_cal_finish. Every function
 * that can fail writes a one-line reason into err (when err is not NULL) and returns
 * SB_E_VALIDATION. The arithmetic below needs a finished calendar with tz set. */

/* A closed calendar in UTC (fixed offset 0) with no holidays. */
void sb_cal_init(sb_calendar *cal);
/* Opening interval on a weekday, minutes since local midnight, end_min <= 1440. */
sb_err sb_cal_add_interval(sb_calendar *cal, int weekday, int start_min, int end_min, char *err, size_t errlen);
/* Holiday on local dates y1-m1-d1 .. y2-m2-d2 inclusive (a single date: the same twice). */
sb_err sb_cal_add_holiday(sb_calendar *cal, int y1, int m1, int d1, int y2, int m2, int d2, char *err, size_t errlen);
/* Yearly holiday m1-d1 .. m2-d2 inclusive (wraps over New Year when the end comes first). */
sb_err sb_cal_add_yearly(sb_calendar *cal, int m1, int d1, int m2, int d2, char *err, size_t errlen);
/* Sorts and checks the intervals (overlaps are errors, touching ones merge), rejects a
 * calendar that is never open, computes the weekly totals. Idempotent. */
sb_err sb_cal_finish(sb_calendar *cal, char *err, size_t errlen);

/* Parses and validates the JSON format of docs/calendars.md:
 *   {"timezone":"Europe/Kyiv",
 *    "hours":{"mon":[["09:00","18:00"]], ..., "sun":[]},
 *    "holidays":["2026-12-31", {"from":"2027-01-01","to":"2027-01-07"},
 *                {"date":"12-25","yearly":true}],
 *    "24/7":false}
 * Checks the time-zone name's syntax only; the caller resolves it and sets cal->tz (which
 * sb_cal_from_json leaves at UTC). Returns SB_OK or SB_E_VALIDATION with err filled. */
sb_err sb_cal_from_json(sb_calendar *cal, const json_t *root, char *err, size_t errlen);

/* A fixed-offset provider (no DST): offset_s points to the offset in seconds east of UTC and
 * must outlive the calendar; NULL means UTC. */
sb_cal_tz sb_cal_tz_fixed(const int *offset_s);

/* ---- arithmetic (thread-safe on a shared finished calendar) ----------------------------- */

/* The instant `seconds` business seconds after `from`: the moment the last of them ends. So a
 * due time that uses up an interval exactly is that interval's end (18:00), not the next
 * opening. seconds == 0 gives `from` when open, else the next opening. Counting starts at
 * `from` or, outside business hours, at the next opening.
 * SB_E_VALIDATION for a negative amount, an unfinished calendar, an instant outside the
 * supported range, or a result after SB_CAL_MAX_S. */
sb_err sb_cal_add_seconds(const sb_calendar *cal, int64_t from_utc_s, int64_t seconds, int64_t *due_utc_s);
sb_err sb_cal_add_minutes(const sb_calendar *cal, int64_t from_utc_s, int64_t minutes, int64_t *due_utc_s);

/* Business seconds in [a, b). Antisymmetric: between(a, b) == -between(b, a), so it is
 * negative when b < a and 0 when a == b. Instants are clamped to the supported range; an
 * unfinished calendar gives 0. */
int64_t sb_cal_seconds_between(const sb_calendar *cal, int64_t a, int64_t b);
/* The same in whole minutes, truncated toward zero (so also antisymmetric). For every t and
 * n >= 0 with a result in range, sb_cal_minutes_between(c, t, add_minutes(c, t, n)) == n. */
int64_t sb_cal_minutes_between(const sb_calendar *cal, int64_t a, int64_t b);

bool sb_cal_is_open(const sb_calendar *cal, int64_t t);
/* The first business instant >= t (t itself when open). SB_E_VALIDATION as for add. */
sb_err sb_cal_next_open(const sb_calendar *cal, int64_t t, int64_t *open_utc_s);

#endif
