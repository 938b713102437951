/* Business-hours arithmetic. See calendar.h for the model and docs/calendars.md for the
 * format.
 *
 * How it works. The UTC time line is cut into *pieces* on which the zone's offset o is
 * constant (found with the provider's next_change_s, or by probing once a day). On a piece
 * [p, q) local wall time is p + o .. q + o, so every question becomes one about *local* time
 * on a range [L1, L2): how many open seconds it holds, where the R-th one ends, where the
 * first one starts. Local-time questions depend only on the weekly hours and the holidays;
 * they skip holiday-free stretches a week at a time (a week holds week_open_s) and holiday
 * runs in one step, so their cost grows with the number of holidays crossed, not with the
 * length of the range. A repeated hour (fall back) is simply seen by two pieces; a skipped
 * hour (spring forward) by none. */
#include "core/calendar.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define DAY_S 86400
#define MAX_PIECES 4000000     /* offset pieces walked by one call (daily probing, 9999 years) */
#define MAX_OFFSET_S (48 * 3600)

/* ---- errors ----------------------------------------------------------------------------- */

static sb_err fail(char *err, size_t errlen, const char *fmt, ...)
{
    if (err && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return SB_E_VALIDATION;
}

/* ---- civil dates (proleptic Gregorian; Howard Hinnant's algorithms) --------------------- */

static int64_t fdiv(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

static bool is_leap(int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int month_days(int64_t y, int m)
{
    static const int len[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap(y) ? 29 : len[m - 1];
}

/* 0 = Monday; 1970-01-01 was a Thursday. */
static int weekday_of(int64_t day)
{
    return (int)((day % 7 + 7 + 3) % 7);
}

static int64_t min64(int64_t a, int64_t b)
{
    return a < b ? a : b;
}

static int64_t max64(int64_t a, int64_t b)
{
    return a > b ? a : b;
}

/* ---- holidays --------------------------------------------------------------------------- */

#define MD(m, d) ((m) * 32 + (d))

/* Last day (inclusive) of a yearly holiday's occurrence whose end falls in year y. */
static int64_t yearly_end_in(const sb_cal_holiday *h, int64_t y)
{
    int d = h->to_mday;
    if (d > month_days(y, h->to_month))
        d = month_days(y, h->to_month); /* 02-29 in a common year ends on 02-28 */
    return days_from_civil(y, h->to_month, d);
}

/* Whether holiday h covers local date `day` (civil y-m-d); *end gets the occurrence's last day. */
static bool holiday_covers(const sb_cal_holiday *h, int64_t day, int64_t y, int m, int d, int64_t *end)
{
    if (!h->yearly) {
        if (day < h->from_day || day > h->to_day)
            return false;
        *end = h->to_day;
        return true;
    }
    int k = MD(m, d), f = MD(h->from_month, h->from_mday), t = MD(h->to_month, h->to_mday);
    if (f <= t) {
        if (k < f || k > t)
            return false;
        *end = yearly_end_in(h, y);
        return true;
    }
    if (k >= f) {
        *end = yearly_end_in(h, y + 1);
        return true;
    }
    if (k <= t) {
        *end = yearly_end_in(h, y);
        return true;
    }
    return false;
}

static bool is_holiday(const sb_calendar *cal, int64_t day)
{
    if (!cal->n_holidays)
        return false;
    int64_t y, end;
    int m, d;
    civil_from_days(day, &y, &m, &d);
    for (uint32_t i = 0; i < cal->n_holidays; i++)
        if (holiday_covers(&cal->holidays[i], day, y, m, d, &end))
            return true;
    return false;
}

/* The first holiday date >= day, or INT64_MAX. */
static int64_t holiday_next(const sb_calendar *cal, int64_t day)
{
    if (!cal->n_holidays)
        return INT64_MAX;
    int64_t best = INT64_MAX, y, end;
    int m, d;
    civil_from_days(day, &y, &m, &d);
    for (uint32_t i = 0; i < cal->n_holidays; i++) {
        const sb_cal_holiday *h = &cal->holidays[i];
        if (holiday_covers(h, day, y, m, d, &end))
            return day;
        if (!h->yearly) {
            if (h->to_day >= day)
                best = min64(best, h->from_day);
            continue;
        }
        /* the next start: this year or a later one (02-29 waits for a leap year) */
        for (int64_t yy = y; yy <= y + 8; yy++) {
            if (h->from_month == 2 && h->from_mday == 29 && !is_leap(yy))
                continue;
            int64_t s = days_from_civil(yy, h->from_month, h->from_mday);
            if (s >= day) {
                best = min64(best, s);
                break;
            }
        }
    }
    return best;
}

/* The first date >= day that is not a holiday (day itself when it is not one). Overlapping
 * and adjacent holidays are crossed in one call. */
static int64_t holiday_run_end(const sb_calendar *cal, int64_t day)
{
    int64_t e = day;
    for (uint32_t iter = 0; iter < 4 * cal->n_holidays + 16; iter++) {
        int64_t y, end, far = -1;
        int m, d;
        civil_from_days(e, &y, &m, &d);
        for (uint32_t i = 0; i < cal->n_holidays; i++)
            if (holiday_covers(&cal->holidays[i], e, y, m, d, &end))
                far = max64(far, end);
        if (far < e)
            return e;
        e = far + 1;
    }
    return e; /* progress was made; callers loop on */
}

/* ---- local time ------------------------------------------------------------------------- */

/* Open seconds of weekday wd within [s0, s1) seconds of the day, holidays not considered. */
static int64_t day_measure(const sb_calendar *cal, int wd, int64_t s0, int64_t s1)
{
    int64_t sum = 0;
    for (int i = 0; i < cal->n_intervals[wd]; i++) {
        int64_t a = max64((int64_t)cal->intervals[wd][i].start_min * 60, s0);
        int64_t b = min64((int64_t)cal->intervals[wd][i].end_min * 60, s1);
        if (b > a)
            sum += b - a;
    }
    return sum;
}

/* Open seconds in the whole, holiday-free days [d0, d1). */
static int64_t weeks_measure(const sb_calendar *cal, int64_t d0, int64_t d1)
{
    int64_t n = d1 - d0, sum = (n / 7) * cal->week_open_s;
    int wd = weekday_of(d0);
    for (int64_t i = 0; i < n % 7; i++)
        sum += cal->day_open_s[(wd + i) % 7];
    return sum;
}

/* Open seconds in the whole days [d0, d1). */
static int64_t days_measure(const sb_calendar *cal, int64_t d0, int64_t d1)
{
    int64_t sum = 0, d = d0;
    while (d < d1) {
        int64_t h = holiday_next(cal, d);
        if (h == d) {
            d = min64(max64(holiday_run_end(cal, d), d + 1), d1);
            continue;
        }
        int64_t stop = min64(h, d1);
        sum += weeks_measure(cal, d, stop);
        d = stop;
    }
    return sum;
}

/* Open seconds of local time in [L1, L2), L1 <= L2. */
static int64_t local_measure(const sb_calendar *cal, int64_t L1, int64_t L2)
{
    int64_t d1 = fdiv(L1, DAY_S), d2 = fdiv(L2, DAY_S);
    int64_t s1 = L1 - d1 * DAY_S, s2 = L2 - d2 * DAY_S;
    if (d1 == d2)
        return is_holiday(cal, d1) ? 0 : day_measure(cal, weekday_of(d1), s1, s2);
    int64_t sum = is_holiday(cal, d1) ? 0 : day_measure(cal, weekday_of(d1), s1, DAY_S);
    sum += days_measure(cal, d1 + 1, d2);
    if (s2 > 0 && !is_holiday(cal, d2))
        sum += day_measure(cal, weekday_of(d2), 0, s2);
    return sum;
}

/* Walks the open seconds of day `day` within [s0, s1): when the *r-th ends there, sets *at
 * (local time) and returns true; else takes what the day holds off *r. */
static bool day_find(const sb_calendar *cal, int64_t day, int64_t s0, int64_t s1, int64_t *r, int64_t *at)
{
    int wd = weekday_of(day);
    for (int i = 0; i < cal->n_intervals[wd]; i++) {
        int64_t a = max64((int64_t)cal->intervals[wd][i].start_min * 60, s0);
        int64_t b = min64((int64_t)cal->intervals[wd][i].end_min * 60, s1);
        if (b <= a)
            continue;
        if (*r <= b - a) {
            *at = day * DAY_S + a + *r;
            return true;
        }
        *r -= b - a;
    }
    return false;
}

/* The local instant in (L1, L2] at which the *r-th open second after L1 ends (*r > 0): true
 * and *at set, or false with *r reduced by everything [L1, L2) holds. */
static bool local_add(const sb_calendar *cal, int64_t L1, int64_t L2, int64_t *r, int64_t *at)
{
    int64_t d = fdiv(L1, DAY_S), dl = fdiv(L2, DAY_S);
    int64_t s = L1 - d * DAY_S, sl = L2 - dl * DAY_S;
    if (!is_holiday(cal, d) && day_find(cal, d, s, d == dl ? sl : DAY_S, r, at))
        return true;
    if (d == dl)
        return false;
    d++;
    while (d < dl) {
        int64_t h = holiday_next(cal, d);
        if (h == d) {
            d = min64(max64(holiday_run_end(cal, d), d + 1), dl);
            continue;
        }
        int64_t stop = min64(h, dl), total = weeks_measure(cal, d, stop);
        if (total < *r) {
            *r -= total;
            d = stop;
            continue;
        }
        /* the answer is in [d, stop): skip whole weeks but keep at least one second */
        int64_t weeks = min64((stop - d) / 7, (*r - 1) / cal->week_open_s);
        *r -= weeks * cal->week_open_s;
        d += weeks * 7;
        for (; d < stop; d++) /* at most 7 days */
            if (day_find(cal, d, 0, DAY_S, r, at))
                return true;
    }
    return sl > 0 && !is_holiday(cal, dl) && day_find(cal, dl, 0, sl, r, at);
}

/* First open second of day `day` within [s0, s1), as seconds of the day, or -1. */
static int64_t day_first_open(const sb_calendar *cal, int64_t day, int64_t s0, int64_t s1)
{
    int wd = weekday_of(day);
    for (int i = 0; i < cal->n_intervals[wd]; i++) {
        int64_t a = max64((int64_t)cal->intervals[wd][i].start_min * 60, s0);
        int64_t b = min64((int64_t)cal->intervals[wd][i].end_min * 60, s1);
        if (b > a)
            return a;
    }
    return -1;
}

/* First open local instant in [L1, L2): true and *at set, or false. */
static bool local_next_open(const sb_calendar *cal, int64_t L1, int64_t L2, int64_t *at)
{
    int64_t d = fdiv(L1, DAY_S), dl = fdiv(L2, DAY_S);
    int64_t s = L1 - d * DAY_S, sl = L2 - dl * DAY_S, first;
    if (!is_holiday(cal, d) && (first = day_first_open(cal, d, s, d == dl ? sl : DAY_S)) >= 0) {
        *at = d * DAY_S + first;
        return true;
    }
    if (d == dl)
        return false;
    d++;
    while (d < dl) {
        if (is_holiday(cal, d)) {
            d = min64(max64(holiday_run_end(cal, d), d + 1), dl);
            continue;
        }
        if ((first = day_first_open(cal, d, 0, DAY_S)) >= 0) {
            *at = d * DAY_S + first;
            return true;
        }
        d++; /* a closed weekday: at most six in a row, the week has open time */
    }
    if (sl > 0 && !is_holiday(cal, dl) && (first = day_first_open(cal, dl, 0, sl)) >= 0) {
        *at = dl * DAY_S + first;
        return true;
    }
    return false;
}

static bool local_is_open(const sb_calendar *cal, int64_t L)
{
    int64_t d = fdiv(L, DAY_S), s = L - d * DAY_S;
    return !is_holiday(cal, d) && day_first_open(cal, d, s, s + 1) == s;
}

/* ---- the UTC time line ------------------------------------------------------------------ */

static int64_t offset_at(const sb_calendar *cal, int64_t t)
{
    int o = cal->tz.utc_offset_s(cal->tz.ctx, t);
    if (o > MAX_OFFSET_S) /* a broken provider must not break the arithmetic */
        o = MAX_OFFSET_S;
    if (o < -MAX_OFFSET_S)
        o = -MAX_OFFSET_S;
    return o;
}

/* The end of the piece that starts at p (offset o): an instant > p, never after the first
 * change of offset. */
static int64_t piece_end(const sb_calendar *cal, int64_t p, int64_t o)
{
    if (cal->tz.next_change_s) {
        int64_t q = cal->tz.next_change_s(cal->tz.ctx, p);
        return q > p ? q : p + 1;
    }
    int64_t lo = p, hi = p + DAY_S;
    if (offset_at(cal, hi) == o)
        return hi;
    while (hi - lo > 1) { /* offset(lo) == o, offset(hi) != o */
        int64_t mid = lo + (hi - lo) / 2;
        if (offset_at(cal, mid) == o)
            lo = mid;
        else
            hi = mid;
    }
    return hi;
}

static bool usable(const sb_calendar *cal)
{
    return cal && cal->ready && cal->tz.utc_offset_s && cal->week_open_s > 0;
}

sb_err sb_cal_next_open(const sb_calendar *cal, int64_t t, int64_t *open_utc_s)
{
    if (!usable(cal) || t < SB_CAL_MIN_S || t > SB_CAL_MAX_S)
        return SB_E_VALIDATION;
    int64_t p = t;
    for (long n = 0; n < MAX_PIECES && p <= SB_CAL_MAX_S; n++) {
        int64_t o = offset_at(cal, p), q = min64(piece_end(cal, p, o), SB_CAL_MAX_S + 1), at;
        if (local_next_open(cal, p + o, q + o, &at)) {
            *open_utc_s = at - o;
            return SB_OK;
        }
        p = q;
    }
    return SB_E_VALIDATION;
}

sb_err sb_cal_add_seconds(const sb_calendar *cal, int64_t from_utc_s, int64_t seconds, int64_t *due_utc_s)
{
    if (!usable(cal) || from_utc_s < SB_CAL_MIN_S || from_utc_s > SB_CAL_MAX_S || seconds < 0 ||
        seconds > SB_CAL_MAX_S - SB_CAL_MIN_S)
        return SB_E_VALIDATION;
    if (seconds == 0)
        return sb_cal_next_open(cal, from_utc_s, due_utc_s);
    int64_t p = from_utc_s, r = seconds;
    for (long n = 0; n < MAX_PIECES && p <= SB_CAL_MAX_S; n++) {
        int64_t o = offset_at(cal, p), q = min64(piece_end(cal, p, o), SB_CAL_MAX_S + 1), at;
        if (local_add(cal, p + o, q + o, &r, &at)) {
            if (at - o > SB_CAL_MAX_S)
                return SB_E_VALIDATION;
            *due_utc_s = at - o;
            return SB_OK;
        }
        p = q;
    }
    return SB_E_VALIDATION;
}

sb_err sb_cal_add_minutes(const sb_calendar *cal, int64_t from_utc_s, int64_t minutes, int64_t *due_utc_s)
{
    if (minutes < 0 || minutes > (SB_CAL_MAX_S - SB_CAL_MIN_S) / 60)
        return SB_E_VALIDATION;
    return sb_cal_add_seconds(cal, from_utc_s, minutes * 60, due_utc_s);
}

int64_t sb_cal_seconds_between(const sb_calendar *cal, int64_t a, int64_t b)
{
    if (!usable(cal))
        return 0;
    a = min64(max64(a, SB_CAL_MIN_S), SB_CAL_MAX_S + 1);
    b = min64(max64(b, SB_CAL_MIN_S), SB_CAL_MAX_S + 1);
    int64_t lo = min64(a, b), hi = max64(a, b), sum = 0, p = lo;
    for (long n = 0; n < MAX_PIECES && p < hi; n++) {
        int64_t o = offset_at(cal, p), q = min64(piece_end(cal, p, o), hi);
        sum += local_measure(cal, p + o, q + o);
        p = q;
    }
    return a <= b ? sum : -sum;
}

int64_t sb_cal_minutes_between(const sb_calendar *cal, int64_t a, int64_t b)
{
    return sb_cal_seconds_between(cal, a, b) / 60;
}

bool sb_cal_is_open(const sb_calendar *cal, int64_t t)
{
    if (!usable(cal) || t < SB_CAL_MIN_S || t > SB_CAL_MAX_S)
        return false;
    return local_is_open(cal, t + offset_at(cal, t));
}

/* ---- building --------------------------------------------------------------------------- */

static int fixed_offset(void *ctx, int64_t utc_s)
{
    (void)utc_s;
    return ctx ? *(const int *)ctx : 0;
}

static int64_t fixed_never_changes(void *ctx, int64_t utc_s)
{
    (void)ctx;
    (void)utc_s;
    return INT64_MAX;
}

sb_cal_tz sb_cal_tz_fixed(const int *offset_s)
{
    return (sb_cal_tz){.utc_offset_s = fixed_offset,
                       .next_change_s = fixed_never_changes,
                       .ctx = (void *)offset_s};
}

static const char *const weekday_keys[7] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};

void sb_cal_init(sb_calendar *cal)
{
    memset(cal, 0, sizeof *cal);
    cal->tz = sb_cal_tz_fixed(NULL);
}

sb_err sb_cal_add_interval(sb_calendar *cal, int weekday, int start_min, int end_min, char *err, size_t errlen)
{
    if (weekday < 0 || weekday > 6)
        return fail(err, errlen, "weekday %d is not 0 (Monday) to 6 (Sunday)", weekday);
    if (start_min < 0 || end_min > 1440 || start_min >= end_min)
        return fail(err, errlen, "hours.%s: minutes %d-%d are not an interval within 00:00-24:00",
                    weekday_keys[weekday], start_min, end_min);
    if (cal->n_intervals[weekday] >= SB_CAL_MAX_INTERVALS)
        return fail(err, errlen, "hours.%s: more than %d intervals", weekday_keys[weekday], SB_CAL_MAX_INTERVALS);
    cal->intervals[weekday][cal->n_intervals[weekday]++] =
        (sb_cal_interval){.start_min = (uint16_t)start_min, .end_min = (uint16_t)end_min};
    cal->ready = false;
    return SB_OK;
}

static bool date_ok(int y, int m, int d)
{
    return y >= 1 && y <= 9999 && m >= 1 && m <= 12 && d >= 1 && d <= month_days(y, m);
}

sb_err sb_cal_add_holiday(sb_calendar *cal, int y1, int m1, int d1, int y2, int m2, int d2, char *err, size_t errlen)
{
    if (!date_ok(y1, m1, d1) || !date_ok(y2, m2, d2))
        return fail(err, errlen, "holiday date out of range");
    int64_t from = days_from_civil(y1, m1, d1), to = days_from_civil(y2, m2, d2);
    if (to < from)
        return fail(err, errlen, "holiday %04d-%02d-%02d..%04d-%02d-%02d ends before it starts", y1, m1, d1, y2, m2, d2);
    if (cal->n_holidays >= SB_CAL_MAX_HOLIDAYS)
        return fail(err, errlen, "more than %d holidays", SB_CAL_MAX_HOLIDAYS);
    cal->holidays[cal->n_holidays++] = (sb_cal_holiday){.from_day = (int32_t)from, .to_day = (int32_t)to};
    cal->ready = false;
    return SB_OK;
}

static bool month_day_ok(int m, int d)
{
    return m >= 1 && m <= 12 && d >= 1 && d <= month_days(2000, m); /* 2000: 02-29 allowed */
}

sb_err sb_cal_add_yearly(sb_calendar *cal, int m1, int d1, int m2, int d2, char *err, size_t errlen)
{
    if (!month_day_ok(m1, d1) || !month_day_ok(m2, d2))
        return fail(err, errlen, "yearly holiday month-day out of range");
    if (cal->n_holidays >= SB_CAL_MAX_HOLIDAYS)
        return fail(err, errlen, "more than %d holidays", SB_CAL_MAX_HOLIDAYS);
    cal->holidays[cal->n_holidays++] = (sb_cal_holiday){.yearly = 1,
                                                        .from_month = (uint8_t)m1,
                                                        .from_mday = (uint8_t)d1,
                                                        .to_month = (uint8_t)m2,
                                                        .to_mday = (uint8_t)d2};
    cal->ready = false;
    return SB_OK;
}

static void fmt_hm(char out[8], int minutes)
{
    snprintf(out, 8, "%02d:%02d", minutes / 60, minutes % 60);
}

/* Whether the yearly holidays together close every month-day of a (leap) year. */
static bool yearly_close_everything(const sb_calendar *cal)
{
    bool any = false;
    for (uint32_t i = 0; i < cal->n_holidays && !any; i++)
        any = cal->holidays[i].yearly;
    if (!any)
        return false;
    for (int m = 1; m <= 12; m++)
        for (int d = 1; d <= month_days(2000, m); d++) {
            bool covered = false;
            int64_t end;
            for (uint32_t i = 0; i < cal->n_holidays && !covered; i++)
                covered = cal->holidays[i].yearly &&
                          holiday_covers(&cal->holidays[i], days_from_civil(2000, m, d), 2000, m, d, &end);
            if (!covered)
                return false;
        }
    return true;
}

sb_err sb_cal_finish(sb_calendar *cal, char *err, size_t errlen)
{
    cal->ready = false;
    if (cal->always_open) {
        for (int wd = 0; wd < 7; wd++) {
            bool full = cal->n_intervals[wd] == 1 && cal->intervals[wd][0].start_min == 0 &&
                        cal->intervals[wd][0].end_min == 1440;
            if (cal->n_intervals[wd] && !full)
                return fail(err, errlen, "a 24/7 calendar has no opening hours (hours.%s)", weekday_keys[wd]);
            cal->n_intervals[wd] = 1;
            cal->intervals[wd][0] = (sb_cal_interval){.start_min = 0, .end_min = 1440};
        }
    }
    cal->week_open_s = 0;
    for (int wd = 0; wd < 7; wd++) {
        sb_cal_interval *iv = cal->intervals[wd];
        int n = cal->n_intervals[wd];
        for (int i = 1; i < n; i++) { /* insertion sort by start: at most 16 */
            sb_cal_interval x = iv[i];
            int j = i - 1;
            for (; j >= 0 && iv[j].start_min > x.start_min; j--)
                iv[j + 1] = iv[j];
            iv[j + 1] = x;
        }
        int out = 0;
        for (int i = 0; i < n; i++) {
            if (iv[i].start_min >= iv[i].end_min || iv[i].end_min > 1440)
                return fail(err, errlen, "hours.%s: an interval is empty or ends after 24:00", weekday_keys[wd]);
            if (out && iv[i].start_min < iv[out - 1].end_min) {
                char a[8], b[8], c[8], d[8];
                fmt_hm(a, iv[out - 1].start_min);
                fmt_hm(b, iv[out - 1].end_min);
                fmt_hm(c, iv[i].start_min);
                fmt_hm(d, iv[i].end_min);
                return fail(err, errlen, "hours.%s: %s-%s overlaps %s-%s", weekday_keys[wd], a, b, c, d);
            }
            if (out && iv[i].start_min == iv[out - 1].end_min)
                iv[out - 1].end_min = iv[i].end_min; /* touching: merge */
            else
                iv[out++] = iv[i];
        }
        cal->n_intervals[wd] = (uint8_t)out;
        cal->day_open_s[wd] = (int32_t)day_measure(cal, wd, 0, DAY_S);
        cal->week_open_s += cal->day_open_s[wd];
    }
    if (cal->week_open_s == 0)
        return fail(err, errlen, "the calendar is never open: give \"hours\" on at least one weekday, or \"24/7\": true");
    if (yearly_close_everything(cal))
        return fail(err, errlen, "the calendar is never open: yearly holidays close every day of the year");
    cal->ready = true;
    return SB_OK;
}

/* ---- JSON ------------------------------------------------------------------------------- */

/* An IANA-style name: segments of letters, digits, '_', '-', '+' separated by '/', starting
 * with a letter ("Europe/Kyiv", "America/Argentina/Buenos_Aires", "Etc/GMT+3", "UTC"). */
static bool tz_name_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n >= SB_CAL_TZ_NAME_MAX)
        return false;
    if (!((s[0] >= 'A' && s[0] <= 'Z') || (s[0] >= 'a' && s[0] <= 'z')))
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
                  c == '-' || c == '+' || c == '/';
        if (!ok || (c == '/' && (s[i + 1] == '/' || s[i + 1] == '\0')))
            return false;
    }
    return true;
}

static bool digits(const char *s, int n)
{
    for (int i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return true;
}

static int num(const char *s, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++)
        v = v * 10 + (s[i] - '0');
    return v;
}

/* "HH:MM", 00:00 to 24:00, into minutes; -1 when malformed. */
static int parse_hm(const char *s)
{
    if (strlen(s) != 5 || !digits(s, 2) || s[2] != ':' || !digits(s + 3, 2))
        return -1;
    int h = num(s, 2), m = num(s + 3, 2);
    if (m > 59 || h > 24 || (h == 24 && m != 0))
        return -1;
    return h * 60 + m;
}

/* "YYYY-MM-DD" (full) or "MM-DD" (month_day): 0 on success. */
static int parse_date(const char *s, bool month_day, int *y, int *m, int *d)
{
    if (month_day) {
        if (strlen(s) != 5 || !digits(s, 2) || s[2] != '-' || !digits(s + 3, 2))
            return -1;
        *y = 0;
        *m = num(s, 2);
        *d = num(s + 3, 2);
        return month_day_ok(*m, *d) ? 0 : -1;
    }
    if (strlen(s) != 10 || !digits(s, 4) || s[4] != '-' || !digits(s + 5, 2) || s[7] != '-' || !digits(s + 8, 2))
        return -1;
    *y = num(s, 4);
    *m = num(s + 5, 2);
    *d = num(s + 8, 2);
    return date_ok(*y, *m, *d) ? 0 : -1;
}

static sb_err parse_hours(sb_calendar *cal, const json_t *hours, char *err, size_t errlen)
{
    if (!json_is_object(hours))
        return fail(err, errlen, "\"hours\" must be an object of weekdays (mon ... sun) to intervals");
    const char *key;
    json_t *day;
    json_object_foreach((json_t *)hours, key, day) {
        int wd = -1;
        for (int i = 0; i < 7; i++)
            if (strcmp(key, weekday_keys[i]) == 0)
                wd = i;
        if (wd < 0)
            return fail(err, errlen, "hours: unknown weekday \"%s\" (use mon, tue, wed, thu, fri, sat, sun)", key);
        if (!json_is_array(day))
            return fail(err, errlen, "hours.%s must be a list of [\"HH:MM\", \"HH:MM\"] intervals", key);
        size_t i;
        json_t *iv;
        json_array_foreach(day, i, iv) {
            json_t *a = json_array_get(iv, 0), *b = json_array_get(iv, 1);
            if (!json_is_array(iv) || json_array_size(iv) != 2 || !json_is_string(a) || !json_is_string(b))
                return fail(err, errlen, "hours.%s[%zu] must be [\"HH:MM\", \"HH:MM\"]", key, i);
            int s = parse_hm(json_string_value(a)), e = parse_hm(json_string_value(b));
            if (s < 0)
                return fail(err, errlen, "hours.%s[%zu]: \"%s\" is not a time HH:MM from 00:00 to 24:00", key, i,
                            json_string_value(a));
            if (e < 0)
                return fail(err, errlen, "hours.%s[%zu]: \"%s\" is not a time HH:MM from 00:00 to 24:00", key, i,
                            json_string_value(b));
            if (s == 1440)
                return fail(err, errlen, "hours.%s[%zu]: an interval cannot start at 24:00 (use 00:00 of the next day)",
                            key, i);
            if (e <= s)
                return fail(err, errlen,
                            "hours.%s[%zu]: end %s is not after start %s (an interval past midnight is "
                            "[\"22:00\",\"24:00\"] plus [\"00:00\", ...] on the next day)",
                            key, i, json_string_value(b), json_string_value(a));
            sb_err rc = sb_cal_add_interval(cal, wd, s, e, err, errlen);
            if (rc != SB_OK)
                return rc;
        }
    }
    return SB_OK;
}

static sb_err parse_holiday(sb_calendar *cal, size_t i, const json_t *h, char *err, size_t errlen)
{
    int y1, m1, d1, y2, m2, d2;
    if (json_is_string(h)) {
        const char *s = json_string_value(h);
        if (parse_date(s, false, &y1, &m1, &d1) < 0)
            return fail(err, errlen, "holidays[%zu]: \"%s\" is not a date YYYY-MM-DD (a yearly one is "
                                     "{\"date\":\"MM-DD\",\"yearly\":true})", i, s);
        return sb_cal_add_holiday(cal, y1, m1, d1, y1, m1, d1, err, errlen);
    }
    if (!json_is_object(h))
        return fail(err, errlen, "holidays[%zu] must be a date string or an object", i);
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)h, key, v) {
        if (strcmp(key, "date") && strcmp(key, "from") && strcmp(key, "to") && strcmp(key, "yearly") &&
            strcmp(key, "name"))
            return fail(err, errlen, "holidays[%zu]: unknown field \"%s\" (date, from, to, yearly, name)", i, key);
    }
    json_t *date = json_object_get(h, "date"), *from = json_object_get(h, "from"), *to = json_object_get(h, "to"),
           *yearly = json_object_get(h, "yearly"), *name = json_object_get(h, "name");
    if (yearly && !json_is_boolean(yearly))
        return fail(err, errlen, "holidays[%zu]: \"yearly\" must be true or false", i);
    if (name && !json_is_string(name))
        return fail(err, errlen, "holidays[%zu]: \"name\" must be a string", i);
    bool md = yearly && json_is_true(yearly);
    const char *want = md ? "MM-DD" : "YYYY-MM-DD";
    if (date && (from || to))
        return fail(err, errlen, "holidays[%zu]: give either \"date\" or \"from\" and \"to\"", i);
    if (date) {
        if (!json_is_string(date) || parse_date(json_string_value(date), md, &y1, &m1, &d1) < 0)
            return fail(err, errlen, "holidays[%zu]: \"date\" must be a date %s", i, want);
        y2 = y1, m2 = m1, d2 = d1;
    } else {
        if (!from || !to)
            return fail(err, errlen, "holidays[%zu]: needs \"date\", or both \"from\" and \"to\"", i);
        if (!json_is_string(from) || parse_date(json_string_value(from), md, &y1, &m1, &d1) < 0)
            return fail(err, errlen, "holidays[%zu]: \"from\" must be a date %s", i, want);
        if (!json_is_string(to) || parse_date(json_string_value(to), md, &y2, &m2, &d2) < 0)
            return fail(err, errlen, "holidays[%zu]: \"to\" must be a date %s", i, want);
    }
    if (md)
        return sb_cal_add_yearly(cal, m1, d1, m2, d2, err, errlen);
    if (days_from_civil(y2, m2, d2) < days_from_civil(y1, m1, d1))
        return fail(err, errlen, "holidays[%zu]: \"to\" %s is before \"from\" %s", i, json_string_value(to),
                    json_string_value(from));
    return sb_cal_add_holiday(cal, y1, m1, d1, y2, m2, d2, err, errlen);
}

sb_err sb_cal_from_json(sb_calendar *cal, const json_t *root, char *err, size_t errlen)
{
    sb_cal_init(cal);
    if (!json_is_object(root))
        return fail(err, errlen, "a calendar must be a JSON object");
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)root, key, v) {
        if (strcmp(key, "timezone") && strcmp(key, "hours") && strcmp(key, "holidays") && strcmp(key, "24/7") &&
            strcmp(key, "name"))
            return fail(err, errlen, "unknown field \"%s\" (timezone, hours, holidays, 24/7, name)", key);
    }
    json_t *tz = json_object_get(root, "timezone"), *hours = json_object_get(root, "hours"),
           *holidays = json_object_get(root, "holidays"), *always = json_object_get(root, "24/7"),
           *name = json_object_get(root, "name");
    if (!tz)
        return fail(err, errlen, "\"timezone\" is required (an IANA name such as \"Europe/Kyiv\", or \"UTC\")");
    if (!json_is_string(tz) || !tz_name_ok(json_string_value(tz)))
        return fail(err, errlen, "\"timezone\" must be an IANA time-zone name such as \"Europe/Kyiv\" or \"UTC\"");
    snprintf(cal->timezone, sizeof cal->timezone, "%s", json_string_value(tz));
    if (name && !json_is_string(name))
        return fail(err, errlen, "\"name\" must be a string");
    if (always && !json_is_boolean(always))
        return fail(err, errlen, "\"24/7\" must be true or false");
    cal->always_open = always && json_is_true(always);
    if (cal->always_open && hours)
        return fail(err, errlen, "give either \"24/7\": true or \"hours\", not both");
    if (!cal->always_open && !hours)
        return fail(err, errlen, "\"hours\" is required (or \"24/7\": true)");
    sb_err rc;
    if (hours && (rc = parse_hours(cal, hours, err, errlen)) != SB_OK)
        return rc;
    if (holidays) {
        if (!json_is_array(holidays))
            return fail(err, errlen, "\"holidays\" must be a list");
        size_t i;
        json_t *h;
        json_array_foreach(holidays, i, h) {
            if ((rc = parse_holiday(cal, i, h, err, errlen)) != SB_OK)
                return rc;
        }
    }
    return sb_cal_finish(cal, err, errlen);
}
