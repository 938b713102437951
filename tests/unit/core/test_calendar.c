/* Business-hours calendars: parsing and validation, arithmetic on fixed offsets (pure), and
 * on real tzdata zones through util/tz (DST in Europe/Kyiv, America/New_York and
 * Australia/Sydney), checked against hand-computed instants and against a minute-by-minute
 * oracle written independently of the implementation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <glib.h>

#include "core/calendar.h"
#include "util/time.h"
#include "util/tz.h"

/* ---- helpers ---------------------------------------------------------------------------- */

static int64_t T(const char *rfc3339)
{
    int64_t ms;
    if (sb_time_parse(rfc3339, &ms) != 0)
        fail_msg("bad instant in test: %s", rfc3339);
    return ms / 1000;
}

static void fmt(int64_t t, char *out, size_t n)
{
    sb_time_format(t * 1000, out, n);
}

#define assert_instant(got, want)                                                                          \
    do {                                                                                                   \
        int64_t got_ = (got), want_ = T(want);                                                              \
        if (got_ != want_) {                                                                               \
            char g_[40];                                                                                   \
            fmt(got_, g_, sizeof g_);                                                                      \
            fail_msg("instant %s, expected %s", g_, (want));                                               \
        }                                                                                                  \
    } while (0)

typedef struct {
    sb_calendar cal;
    sb_tz *tz; /* NULL for fixed offsets */
    int fixed_offset;
} tcal;

/* Parses a calendar; a real zone from tzdata unless fixed_offset_name is given. */
static tcal *load(const char *json_text, bool real_tz, int fixed_offset_s)
{
    tcal *c = calloc(1, sizeof *c);
    assert_non_null(c);
    json_error_t jerr;
    json_t *root = json_loads(json_text, JSON_REJECT_DUPLICATES, &jerr);
    if (!root)
        fail_msg("test JSON: %s: %s", jerr.text, json_text);
    char err[256] = "";
    if (sb_cal_from_json(&c->cal, root, err, sizeof err) != SB_OK)
        fail_msg("calendar rejected: %s\n%s", err, json_text);
    json_decref(root);
    if (real_tz) {
        c->tz = sb_tz_open(c->cal.timezone);
        assert_non_null(c->tz);
        c->cal.tz = (sb_cal_tz){.utc_offset_s = sb_tz_offset, .next_change_s = sb_tz_next_change, .ctx = c->tz};
    } else {
        c->fixed_offset = fixed_offset_s;
        c->cal.tz = sb_cal_tz_fixed(&c->fixed_offset);
    }
    return c;
}

static void unload(tcal *c)
{
    sb_tz_free(c->tz);
    free(c);
}

static int64_t due(const sb_calendar *cal, int64_t from, int64_t minutes)
{
    int64_t out = 0;
    assert_int_equal(sb_cal_add_minutes(cal, from, minutes, &out), SB_OK);
    return out;
}

static int64_t next_open(const sb_calendar *cal, int64_t t)
{
    int64_t out = 0;
    assert_int_equal(sb_cal_next_open(cal, t, &out), SB_OK);
    return out;
}

/* xorshift64*: deterministic, seeded */
static uint64_t rng_state = 0x9E3779B97F4A7C15ull;
static uint64_t rnd(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 2685821657736338717ull;
}
static int64_t rnd_range(int64_t lo, int64_t hi) /* inclusive */
{
    return lo + (int64_t)(rnd() % (uint64_t)(hi - lo + 1));
}

#define WEEKDAYS_9_18                                                                                      \
    "\"mon\":[[\"09:00\",\"18:00\"]],\"tue\":[[\"09:00\",\"18:00\"]],\"wed\":[[\"09:00\",\"18:00\"]],"      \
    "\"thu\":[[\"09:00\",\"18:00\"]],\"fri\":[[\"09:00\",\"18:00\"]],\"sat\":[],\"sun\":[]"

/* ---- the oracle: minute by minute, from the definition ---------------------------------- */

static bool oracle_open(const sb_calendar *cal, int64_t t)
{
    int64_t local = t + cal->tz.utc_offset_s(cal->tz.ctx, t);
    time_t lt = (time_t)local;
    struct tm tm;
    gmtime_r(&lt, &tm);
    int64_t day = (local >= 0 ? local : local - 86399) / 86400;
    int md = (tm.tm_mon + 1) * 100 + tm.tm_mday;
    for (uint32_t i = 0; i < cal->n_holidays; i++) {
        const sb_cal_holiday *h = &cal->holidays[i];
        if (!h->yearly) {
            if (day >= h->from_day && day <= h->to_day)
                return false;
            continue;
        }
        int f = h->from_month * 100 + h->from_mday, to = h->to_month * 100 + h->to_mday;
        if (f <= to ? (md >= f && md <= to) : (md >= f || md <= to))
            return false;
    }
    int wd = (tm.tm_wday + 6) % 7, minute = tm.tm_hour * 60 + tm.tm_min;
    for (int i = 0; i < cal->n_intervals[wd]; i++)
        if (minute >= cal->intervals[wd][i].start_min && minute < cal->intervals[wd][i].end_min)
            return true;
    return false;
}

/* a, b on whole minutes, a <= b */
static int64_t oracle_between(const sb_calendar *cal, int64_t a, int64_t b)
{
    int64_t n = 0;
    for (int64_t t = a; t < b; t += 60)
        n += oracle_open(cal, t);
    return n;
}

static int64_t oracle_due(const sb_calendar *cal, int64_t a, int64_t minutes)
{
    int64_t t = a, count = 0;
    if (minutes == 0) {
        while (!oracle_open(cal, t))
            t += 60;
        return t;
    }
    for (;; t += 60)
        if (oracle_open(cal, t) && ++count == minutes)
            return t + 60;
}

/* ---- parsing and validation ------------------------------------------------------------- */

static void test_design_example_parses(void **state)
{
    (void)state;
    tcal *c = load("{\"timezone\":\"Europe/Kyiv\",\"hours\":{" WEEKDAYS_9_18 "},"
                   "\"holidays\":[\"2026-12-31\",{\"from\":\"2027-01-01\",\"to\":\"2027-01-07\"},"
                   "{\"date\":\"12-25\",\"yearly\":true,\"name\":\"Christmas\"}]}",
                   true, 0);
    assert_string_equal(c->cal.timezone, "Europe/Kyiv");
    assert_int_equal(c->cal.week_open_s, 45 * 3600);
    assert_int_equal(c->cal.n_holidays, 3);
    /* 2026-12-30 is a Wednesday, Kyiv is UTC+2 in winter: 09:00-18:00 = 07:00Z-16:00Z */
    assert_instant(due(&c->cal, T("2026-12-30T15:00:00Z"), 60), "2026-12-30T16:00:00Z");
    /* Dec 31 and Jan 1-7 are holidays: the next hour is on Friday Jan 8 */
    assert_instant(due(&c->cal, T("2026-12-30T15:00:00Z"), 120), "2027-01-08T08:00:00Z");
    assert_int_equal(sb_cal_minutes_between(&c->cal, T("2026-12-30T00:00:00Z"), T("2027-01-09T00:00:00Z")), 18 * 60);
    unload(c);

    c = load("{\"timezone\":\"UTC\",\"24/7\":true}", true, 0);
    assert_true(c->cal.always_open);
    assert_int_equal(c->cal.week_open_s, 7 * 86400);
    unload(c);
    /* touching intervals merge; order in the file does not matter */
    c = load("{\"timezone\":\"UTC\",\"name\":\"x\",\"hours\":{\"sun\":[[\"13:00\",\"18:00\"],[\"09:00\",\"13:00\"]]}}",
             false, 0);
    assert_int_equal(c->cal.n_intervals[SB_CAL_SUN], 1);
    assert_int_equal(c->cal.intervals[SB_CAL_SUN][0].start_min, 9 * 60);
    assert_int_equal(c->cal.intervals[SB_CAL_SUN][0].end_min, 18 * 60);
    unload(c);
}

static void test_invalid_calendars(void **state)
{
    (void)state;
    static const struct {
        const char *json, *why;
    } bad[] = {
        {"[]", "must be a JSON object"},
        {"{\"hours\":{\"mon\":[[\"09:00\",\"18:00\"]]}}", "\"timezone\" is required"},
        {"{\"timezone\":42,\"24/7\":true}", "IANA"},
        {"{\"timezone\":\"\",\"24/7\":true}", "IANA"},
        {"{\"timezone\":\"../etc/passwd\",\"24/7\":true}", "IANA"},
        {"{\"timezone\":\"Europe//Kyiv\",\"24/7\":true}", "IANA"},
        {"{\"timezone\":\"UTC\",\"hourz\":{}}", "unknown field \"hourz\""},
        {"{\"timezone\":\"UTC\"}", "\"hours\" is required"},
        {"{\"timezone\":\"UTC\",\"hours\":[]}", "must be an object"},
        {"{\"timezone\":\"UTC\",\"hours\":{\"monday\":[[\"09:00\",\"18:00\"]]}}", "unknown weekday \"monday\""},
        {"{\"timezone\":\"UTC\",\"hours\":{\"mon\":\"09-18\"}}", "hours.mon must be a list"},
        {"{\"timezone\":\"UTC\",\"hours\":{\"mon\":[[\"09:00\"]]}}", "hours.mon[0] must be"},
        {"{\"timezone\":\"UTC\",\"hours\":{\"mon\":[[\"09:00\",\"18:00\",\"19:00\"]]}}", "hours.mon[0] must be"},
        {"{\"timezone\":\"UTC\",\"hours\":{\"mon\":[[9,18]]}}", "hours.mon[0] must be"},
        {"{\"timezone\":\"UTC\",\"hours\":{\"tue\":[[\"9:00\",\"18:00\"]]}}", "\"9:00\" is not a time"},
        {"{\"timezone\":\"UTC\",\"hours\":{\"tue\":[[\"09:00\",\"25:00\"]]}}", "\"25:00\" is not a time"},
        {"{\"timezone\":\"UTC\",\"hours\":{\"tue\":[[\"09:00\",\"24:30\"]]}}", "\"24:30\" is not a time"},
        {"{\"timezone\":\"UTC\",\"hours\":{\"tue\":[[\"09:60\",\"18:00\"]]}}", "\"09:60\" is not a time"},
        {"{\"timezone\":\"UTC\",\"hours\":{\"tue\":[[\"ab:cd\",\"18:00\"]]}}", "is not a time"},
        {"{\"timezone\":\"UTC\",\"hours\":{\"wed\":[[\"18:00\",\"09:00\"]]}}", "end 09:00 is not after start 18:00"},
        {"{\"timezone\":\"UTC\",\"hours\":{\"wed\":[[\"09:00\",\"09:00\"]]}}", "is not after start"},
        {"{\"timezone\":\"UTC\",\"hours\":{\"wed\":[[\"24:00\",\"24:00\"]]}}", "cannot start at 24:00"},
        {"{\"timezone\":\"UTC\",\"hours\":{\"thu\":[[\"09:00\",\"13:00\"],[\"12:00\",\"18:00\"]]}}",
         "hours.thu: 09:00-13:00 overlaps 12:00-18:00"},
        {"{\"timezone\":\"UTC\",\"hours\":{\"thu\":[[\"09:00\",\"18:00\"],[\"10:00\",\"11:00\"]]}}", "overlaps"},
        {"{\"timezone\":\"UTC\",\"24/7\":true,\"hours\":{}}", "not both"},
        {"{\"timezone\":\"UTC\",\"24/7\":\"yes\"}", "\"24/7\" must be true or false"},
        {"{\"timezone\":\"UTC\",\"24/7\":false}", "\"hours\" is required"},
        {"{\"timezone\":\"UTC\",\"hours\":{\"mon\":[],\"sun\":[]}}", "never open"},
        {"{\"timezone\":\"UTC\",\"hours\":{}}", "never open"},
        {"{\"timezone\":\"UTC\",\"24/7\":true,\"holidays\":{}}", "\"holidays\" must be a list"},
        {"{\"timezone\":\"UTC\",\"24/7\":true,\"holidays\":[\"2026-02-30\"]}", "\"2026-02-30\" is not a date"},
        {"{\"timezone\":\"UTC\",\"24/7\":true,\"holidays\":[\"2026-13-01\"]}", "is not a date"},
        {"{\"timezone\":\"UTC\",\"24/7\":true,\"holidays\":[\"2027-02-29\"]}", "is not a date"},
        {"{\"timezone\":\"UTC\",\"24/7\":true,\"holidays\":[\"26-12-31\"]}", "is not a date"},
        {"{\"timezone\":\"UTC\",\"24/7\":true,\"holidays\":[\"12-25\"]}", "yearly"},
        {"{\"timezone\":\"UTC\",\"24/7\":true,\"holidays\":[42]}", "holidays[0] must be"},
        {"{\"timezone\":\"UTC\",\"24/7\":true,\"holidays\":[{\"from\":\"2027-01-07\",\"to\":\"2027-01-01\"}]}",
         "\"to\" 2027-01-01 is before \"from\" 2027-01-07"},
        {"{\"timezone\":\"UTC\",\"24/7\":true,\"holidays\":[{\"from\":\"2027-01-07\"}]}", "both \"from\" and \"to\""},
        {"{\"timezone\":\"UTC\",\"24/7\":true,\"holidays\":[{\"date\":\"2027-01-07\",\"to\":\"2027-01-08\"}]}",
         "either \"date\""},
        {"{\"timezone\":\"UTC\",\"24/7\":true,\"holidays\":[{\"date\":\"13-01\",\"yearly\":true}]}", "MM-DD"},
        {"{\"timezone\":\"UTC\",\"24/7\":true,\"holidays\":[{\"date\":\"2026-12-25\",\"yearly\":true}]}", "MM-DD"},
        {"{\"timezone\":\"UTC\",\"24/7\":true,\"holidays\":[{\"date\":\"12-25\",\"yearly\":1}]}", "true or false"},
        {"{\"timezone\":\"UTC\",\"24/7\":true,\"holidays\":[{\"day\":\"2026-12-25\"}]}", "unknown field \"day\""},
        {"{\"timezone\":\"UTC\",\"24/7\":true,\"holidays\":[{\"from\":\"01-01\",\"to\":\"12-31\",\"yearly\":true}]}",
         "close every day of the year"},
        {"{\"timezone\":\"UTC\",\"24/7\":true,\"holidays\":[{\"from\":\"07-01\",\"to\":\"06-30\",\"yearly\":true}]}",
         "close every day of the year"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        json_error_t jerr;
        json_t *root = json_loads(bad[i].json, JSON_DECODE_ANY, &jerr);
        if (!root)
            fail_msg("test JSON %zu: %s", i, jerr.text);
        sb_calendar *cal = malloc(sizeof *cal);
        char err[256] = "";
        sb_err rc = sb_cal_from_json(cal, root, err, sizeof err);
        json_decref(root);
        if (rc != SB_E_VALIDATION || !strstr(err, bad[i].why))
            fail_msg("case %zu %s: got %d \"%s\", expected an error with \"%s\"", i, bad[i].json, rc, err, bad[i].why);
        assert_false(cal->ready);
        int64_t out;
        assert_int_equal(sb_cal_add_minutes(cal, 0, 1, &out), SB_E_VALIDATION);
        free(cal);
    }
    /* 17 intervals on one day */
    char big[2048] = "{\"timezone\":\"UTC\",\"hours\":{\"mon\":[";
    for (int i = 0; i < 17; i++) {
        char iv[40];
        snprintf(iv, sizeof iv, "%s[\"%02d:00\",\"%02d:30\"]", i ? "," : "", i, i);
        strcat(big, iv);
    }
    strcat(big, "]}}");
    json_t *root = json_loads(big, 0, NULL);
    sb_calendar *cal = malloc(sizeof *cal);
    char err[256] = "";
    assert_int_equal(sb_cal_from_json(cal, root, err, sizeof err), SB_E_VALIDATION);
    assert_non_null(strstr(err, "more than 16 intervals"));
    json_decref(root);
    free(cal);
}

static void test_builder_api(void **state)
{
    (void)state;
    sb_calendar *cal = malloc(sizeof *cal);
    char err[256];
    sb_cal_init(cal);
    int64_t out;
    assert_int_equal(sb_cal_add_minutes(cal, 0, 1, &out), SB_E_VALIDATION); /* not finished */
    assert_int_equal(sb_cal_finish(cal, err, sizeof err), SB_E_VALIDATION);   /* never open */
    assert_int_equal(sb_cal_add_interval(cal, 7, 0, 60, err, sizeof err), SB_E_VALIDATION);
    assert_int_equal(sb_cal_add_interval(cal, 0, 60, 60, err, sizeof err), SB_E_VALIDATION);
    assert_int_equal(sb_cal_add_interval(cal, 0, 0, 1441, err, sizeof err), SB_E_VALIDATION);
    assert_int_equal(sb_cal_add_holiday(cal, 2026, 1, 2, 2026, 1, 1, err, sizeof err), SB_E_VALIDATION);
    assert_int_equal(sb_cal_add_holiday(cal, 2026, 2, 29, 2026, 2, 29, err, sizeof err), SB_E_VALIDATION);
    assert_int_equal(sb_cal_add_yearly(cal, 2, 30, 2, 30, err, sizeof err), SB_E_VALIDATION);
    assert_int_equal(sb_cal_add_interval(cal, SB_CAL_WED, 9 * 60, 17 * 60, err, sizeof err), SB_OK);
    assert_int_equal(sb_cal_add_yearly(cal, 2, 29, 2, 29, err, sizeof err), SB_OK);
    assert_int_equal(sb_cal_finish(cal, err, sizeof err), SB_OK);
    assert_int_equal(sb_cal_finish(cal, err, sizeof err), SB_OK); /* idempotent */
    assert_int_equal(cal->week_open_s, 8 * 3600);
    /* 2040-02-29 is a Wednesday and a holiday; 2012-02-29 too */
    assert_false(sb_cal_is_open(cal, T("2040-02-29T12:00:00Z")));
    assert_true(sb_cal_is_open(cal, T("2040-03-07T12:00:00Z")));
    assert_instant(due(cal, T("2040-02-28T12:00:00Z"), 60), "2040-03-07T10:00:00Z");
    assert_false(sb_cal_is_open(cal, T("2012-02-29T12:00:00Z")));
    assert_true(sb_cal_is_open(cal, T("2012-02-22T12:00:00Z")));
    /* out of range and negative amounts */
    assert_int_equal(sb_cal_add_minutes(cal, 0, -1, &out), SB_E_VALIDATION);
    assert_int_equal(sb_cal_add_minutes(cal, SB_CAL_MAX_S + 1, 1, &out), SB_E_VALIDATION);
    assert_int_equal(sb_cal_add_minutes(cal, SB_CAL_MIN_S - 1, 1, &out), SB_E_VALIDATION);
    assert_int_equal(sb_cal_add_minutes(cal, T("9999-12-28T00:00:00Z"), 60 * 24, &out), SB_E_VALIDATION);
    assert_int_equal(sb_cal_add_minutes(cal, 0, INT64_MAX, &out), SB_E_VALIDATION);
    assert_int_equal(sb_cal_next_open(cal, SB_CAL_MAX_S + 1, &out), SB_E_VALIDATION);
    free(cal);
}

/* ---- pure arithmetic on fixed offsets --------------------------------------------------- */

static void test_weekdays_basic(void **state)
{
    (void)state;
    tcal *c = load("{\"timezone\":\"UTC\",\"hours\":{" WEEKDAYS_9_18 "}}", false, 0);
    const sb_calendar *cal = &c->cal;
    /* 2026-11-23 is a Monday */
    assert_instant(due(cal, T("2026-11-23T10:00:00Z"), 30), "2026-11-23T10:30:00Z");
    assert_instant(due(cal, T("2026-11-23T17:00:00Z"), 60), "2026-11-23T18:00:00Z"); /* the end, not Tue 09:00 */
    assert_instant(due(cal, T("2026-11-23T17:00:00Z"), 61), "2026-11-24T09:01:00Z");
    assert_instant(due(cal, T("2026-11-23T06:00:00Z"), 60), "2026-11-23T10:00:00Z"); /* counting starts at 09:00 */
    assert_instant(due(cal, T("2026-11-27T17:30:00Z"), 60), "2026-11-30T09:30:00Z"); /* over the weekend */
    assert_instant(due(cal, T("2026-11-28T12:00:00Z"), 9 * 60), "2026-11-30T18:00:00Z");
    assert_instant(due(cal, T("2026-11-23T09:00:00Z"), 5 * 9 * 60), "2026-11-27T18:00:00Z");
    assert_instant(due(cal, T("2026-11-23T09:00:00Z"), 5 * 9 * 60 + 1), "2026-11-30T09:01:00Z");
    /* seconds are kept */
    assert_instant(due(cal, T("2026-11-23T10:00:30Z"), 1), "2026-11-23T10:01:30Z");
    int64_t out;
    assert_int_equal(sb_cal_add_seconds(cal, T("2026-11-23T17:59:59Z"), 2, &out), SB_OK);
    assert_instant(out, "2026-11-24T09:00:01Z");
    /* N = 0: the instant itself when open, else the next opening */
    assert_instant(due(cal, T("2026-11-23T10:00:00Z"), 0), "2026-11-23T10:00:00Z");
    assert_instant(due(cal, T("2026-11-23T09:00:00Z"), 0), "2026-11-23T09:00:00Z");
    assert_instant(due(cal, T("2026-11-23T18:00:00Z"), 0), "2026-11-24T09:00:00Z");
    assert_instant(due(cal, T("2026-11-23T08:59:30Z"), 0), "2026-11-23T09:00:00Z");
    assert_instant(due(cal, T("2026-11-28T12:00:00Z"), 0), "2026-11-30T09:00:00Z");
    /* is_open: [09:00, 18:00) */
    assert_true(sb_cal_is_open(cal, T("2026-11-23T09:00:00Z")));
    assert_true(sb_cal_is_open(cal, T("2026-11-23T17:59:59Z")));
    assert_false(sb_cal_is_open(cal, T("2026-11-23T18:00:00Z")));
    assert_false(sb_cal_is_open(cal, T("2026-11-23T08:59:59Z")));
    assert_false(sb_cal_is_open(cal, T("2026-11-29T12:00:00Z")));
    assert_instant(next_open(cal, T("2026-11-27T18:00:00Z")), "2026-11-30T09:00:00Z");
    /* between: antisymmetric, truncated toward zero */
    assert_int_equal(sb_cal_minutes_between(cal, T("2026-11-23T00:00:00Z"), T("2026-11-30T00:00:00Z")), 45 * 60);
    assert_int_equal(sb_cal_minutes_between(cal, T("2026-11-30T00:00:00Z"), T("2026-11-23T00:00:00Z")), -45 * 60);
    assert_int_equal(sb_cal_minutes_between(cal, T("2026-11-23T12:00:00Z"), T("2026-11-23T12:00:00Z")), 0);
    assert_int_equal(sb_cal_minutes_between(cal, T("2026-11-23T12:00:00Z"), T("2026-11-23T12:00:59Z")), 0);
    assert_int_equal(sb_cal_seconds_between(cal, T("2026-11-23T12:00:00Z"), T("2026-11-23T12:00:59Z")), 59);
    assert_int_equal(sb_cal_minutes_between(cal, T("2026-11-23T12:01:59Z"), T("2026-11-23T12:00:00Z")), -1);
    assert_int_equal(sb_cal_minutes_between(cal, T("2026-11-28T00:00:00Z"), T("2026-11-29T23:59:59Z")), 0);
    unload(c);

    /* the same calendar in UTC+03:00 and UTC-05:30 */
    c = load("{\"timezone\":\"Etc/GMT-3\",\"hours\":{" WEEKDAYS_9_18 "}}", false, 3 * 3600);
    assert_instant(due(&c->cal, T("2026-11-23T14:30:00Z"), 60), "2026-11-24T06:30:00Z");
    assert_instant(next_open(&c->cal, T("2026-11-27T15:00:00Z")), "2026-11-30T06:00:00Z");
    unload(c);
    c = load("{\"timezone\":\"UTC\",\"hours\":{" WEEKDAYS_9_18 "}}", false, -(5 * 3600 + 1800));
    assert_instant(due(&c->cal, T("2026-11-23T23:00:00Z"), 60), "2026-11-24T15:00:00Z");
    /* Friday 17:00 local = Friday 22:30Z, one hour left: Monday 09:30 local */
    assert_instant(due(&c->cal, T("2026-11-27T22:30:00Z"), 90), "2026-11-30T15:00:00Z");
    unload(c);
}

static void test_several_intervals_a_day(void **state)
{
    (void)state;
    tcal *c = load("{\"timezone\":\"UTC\",\"hours\":{\"mon\":[[\"09:00\",\"12:00\"],[\"13:00\",\"18:00\"]],"
                   "\"tue\":[[\"08:00\",\"10:00\"],[\"11:00\",\"12:00\"],[\"20:00\",\"21:30\"]]}}",
                   false, 0);
    const sb_calendar *cal = &c->cal;
    assert_int_equal(cal->week_open_s, (8 * 60 + 4 * 60 + 30) * 60);
    assert_instant(due(cal, T("2026-11-23T11:30:00Z"), 30), "2026-11-23T12:00:00Z");
    assert_instant(due(cal, T("2026-11-23T11:30:00Z"), 31), "2026-11-23T13:01:00Z");
    assert_instant(due(cal, T("2026-11-23T11:30:00Z"), 60), "2026-11-23T13:30:00Z");
    assert_instant(due(cal, T("2026-11-23T12:15:00Z"), 0), "2026-11-23T13:00:00Z");
    assert_false(sb_cal_is_open(cal, T("2026-11-23T12:30:00Z")));
    assert_true(sb_cal_is_open(cal, T("2026-11-23T13:00:00Z")));
    /* Monday 17:00 + 1h to the close, Tuesday 2h + 1h + 1.5h, then next Monday */
    assert_instant(due(cal, T("2026-11-23T17:00:00Z"), 60 + 120 + 60 + 60), "2026-11-24T21:00:00Z");
    assert_instant(due(cal, T("2026-11-23T17:00:00Z"), 60 + 120 + 60 + 90), "2026-11-24T21:30:00Z");
    assert_instant(due(cal, T("2026-11-23T17:00:00Z"), 60 + 120 + 60 + 91), "2026-11-30T09:01:00Z");
    assert_int_equal(sb_cal_minutes_between(cal, T("2026-11-23T00:00:00Z"), T("2026-11-24T00:00:00Z")), 480);
    assert_int_equal(sb_cal_minutes_between(cal, T("2026-11-23T11:00:00Z"), T("2026-11-24T09:00:00Z")), 60 + 300 + 60);
    assert_instant(next_open(cal, T("2026-11-24T12:00:00Z")), "2026-11-24T20:00:00Z");
    unload(c);
}

static void test_midnight_crossing(void **state)
{
    (void)state;
    /* Monday 22:00 to Tuesday 06:00, written as 22:00-24:00 plus 00:00-06:00 */
    tcal *c = load("{\"timezone\":\"UTC\",\"hours\":{\"mon\":[[\"22:00\",\"24:00\"]],\"tue\":[[\"00:00\",\"06:00\"]]}}",
                   false, 0);
    const sb_calendar *cal = &c->cal;
    assert_instant(due(cal, T("2026-11-23T23:30:00Z"), 60), "2026-11-24T00:30:00Z");
    assert_instant(due(cal, T("2026-11-23T23:00:00Z"), 60), "2026-11-24T00:00:00Z");
    assert_instant(due(cal, T("2026-11-23T12:00:00Z"), 8 * 60), "2026-11-24T06:00:00Z");
    assert_instant(due(cal, T("2026-11-23T12:00:00Z"), 8 * 60 + 1), "2026-11-30T22:01:00Z");
    assert_true(sb_cal_is_open(cal, T("2026-11-24T00:00:00Z")));
    assert_true(sb_cal_is_open(cal, T("2026-11-23T23:59:59Z")));
    assert_false(sb_cal_is_open(cal, T("2026-11-24T06:00:00Z")));
    assert_int_equal(sb_cal_minutes_between(cal, T("2026-11-23T23:00:00Z"), T("2026-11-24T01:00:00Z")), 120);
    assert_instant(next_open(cal, T("2026-11-24T06:00:00Z")), "2026-11-30T22:00:00Z");
    unload(c);
    /* the same overnight shift in UTC+05:30: local Monday 22:00 = 16:30Z */
    c = load("{\"timezone\":\"Asia/Kolkata\",\"hours\":{\"mon\":[[\"22:00\",\"24:00\"]],\"tue\":[[\"00:00\",\"06:00\"]]}}",
             false, 5 * 3600 + 1800);
    assert_instant(next_open(&c->cal, T("2026-11-23T00:00:00Z")), "2026-11-23T16:30:00Z");
    assert_instant(due(&c->cal, T("2026-11-23T00:00:00Z"), 8 * 60), "2026-11-24T00:30:00Z");
    assert_int_equal(sb_cal_minutes_between(&c->cal, T("2026-11-23T18:00:00Z"), T("2026-11-23T19:00:00Z")), 60);
    unload(c);
}

static void test_always_open(void **state)
{
    (void)state;
    tcal *c = load("{\"timezone\":\"UTC\",\"24/7\":true}", false, 0);
    const sb_calendar *cal = &c->cal;
    int64_t a = T("2026-11-23T10:17:13Z");
    assert_int_equal(due(cal, a, 0), a);
    assert_int_equal(due(cal, a, 1), a + 60);
    assert_int_equal(due(cal, a, 100000), a + 6000000);
    assert_int_equal(due(cal, a, 1000000000), a + 60000000000LL); /* ~1900 years */
    assert_int_equal(sb_cal_seconds_between(cal, a, a + 1234567), 1234567);
    assert_int_equal(sb_cal_minutes_between(cal, a + 1234567, a), -20576);
    assert_true(sb_cal_is_open(cal, a));
    int64_t out;
    assert_int_equal(sb_cal_add_minutes(cal, a, 5000000000LL, &out), SB_E_VALIDATION); /* after 9999 */
    unload(c);
    /* 24/7 with holidays: Christmas (every year) and 2026-12-31..2027-01-01 */
    c = load("{\"timezone\":\"UTC\",\"24/7\":true,\"holidays\":[{\"date\":\"12-25\",\"yearly\":true},"
             "{\"from\":\"2026-12-31\",\"to\":\"2027-01-01\"}]}",
             false, 0);
    assert_false(sb_cal_is_open(&c->cal, T("2026-12-25T12:00:00Z")));
    assert_instant(due(&c->cal, T("2026-12-24T23:00:00Z"), 120), "2026-12-26T01:00:00Z");
    assert_instant(due(&c->cal, T("2026-12-30T23:30:00Z"), 60), "2027-01-02T00:30:00Z");
    assert_int_equal(sb_cal_minutes_between(&c->cal, T("2026-12-20T00:00:00Z"), T("2027-01-05T00:00:00Z")),
                     (16 - 3) * 24 * 60);
    unload(c);
}

static void test_holidays_spanning_weekends(void **state)
{
    (void)state;
    /* Thursday 2026-12-24 to Monday 2026-12-28, plus a Saturday-only holiday with no effect */
    tcal *c = load("{\"timezone\":\"UTC\",\"hours\":{" WEEKDAYS_9_18 "},\"holidays\":["
                   "{\"from\":\"2026-12-24\",\"to\":\"2026-12-28\"},\"2027-01-09\"]}",
                   false, 0);
    const sb_calendar *cal = &c->cal;
    assert_instant(due(cal, T("2026-12-23T17:00:00Z"), 120), "2026-12-29T10:00:00Z");
    assert_instant(due(cal, T("2026-12-24T10:00:00Z"), 0), "2026-12-29T09:00:00Z");
    assert_int_equal(sb_cal_minutes_between(cal, T("2026-12-23T00:00:00Z"), T("2026-12-30T00:00:00Z")), 18 * 60);
    assert_int_equal(sb_cal_minutes_between(cal, T("2027-01-04T00:00:00Z"), T("2027-01-18T00:00:00Z")), 90 * 60);
    assert_false(sb_cal_is_open(cal, T("2026-12-28T12:00:00Z")));
    assert_true(sb_cal_is_open(cal, T("2026-12-29T12:00:00Z")));
    unload(c);

    /* overlapping and adjacent holidays, a long closure, all crossed as one run */
    c = load("{\"timezone\":\"UTC\",\"hours\":{" WEEKDAYS_9_18 "},\"holidays\":["
             "{\"from\":\"2027-07-01\",\"to\":\"2027-07-31\"},\"2027-07-15\",{\"from\":\"2027-08-01\",\"to\":\"2027-08-02\"},"
             "{\"from\":\"07-20\",\"to\":\"08-03\",\"yearly\":true},{\"from\":\"2027-08-04\",\"to\":\"2027-08-04\"}]}",
             false, 0);
    /* 2027-06-30 is a Wednesday; August 5 a Thursday */
    assert_instant(due(&c->cal, T("2027-06-30T17:00:00Z"), 61), "2027-08-05T09:01:00Z");
    assert_instant(next_open(&c->cal, T("2027-07-01T00:00:00Z")), "2027-08-05T09:00:00Z");
    assert_int_equal(sb_cal_minutes_between(&c->cal, T("2027-06-28T00:00:00Z"), T("2027-08-07T00:00:00Z")),
                     3 * 9 * 60 + 2 * 9 * 60);
    /* the yearly part alone in 2028: July 20 - August 3 */
    assert_false(sb_cal_is_open(&c->cal, T("2028-07-20T12:00:00Z")));
    assert_false(sb_cal_is_open(&c->cal, T("2028-08-03T12:00:00Z")));
    assert_true(sb_cal_is_open(&c->cal, T("2028-08-04T12:00:00Z")));
    unload(c);
}

static void test_yearly_holidays(void **state)
{
    (void)state;
    tcal *c = load("{\"timezone\":\"UTC\",\"hours\":{" WEEKDAYS_9_18 "},\"holidays\":["
                   "{\"date\":\"12-25\",\"yearly\":true},{\"from\":\"12-31\",\"to\":\"01-02\",\"yearly\":true},"
                   "{\"date\":\"02-29\",\"yearly\":true},{\"from\":\"05-01\",\"to\":\"05-02\",\"yearly\":true}]}",
                   false, 0);
    const sb_calendar *cal = &c->cal;
    assert_false(sb_cal_is_open(cal, T("2025-12-25T12:00:00Z")));
    assert_false(sb_cal_is_open(cal, T("2026-12-25T12:00:00Z")));
    assert_true(sb_cal_is_open(cal, T("2026-12-24T12:00:00Z")));
    assert_false(sb_cal_is_open(cal, T("2028-12-25T12:00:00Z")));
    assert_false(sb_cal_is_open(cal, T("2103-12-25T12:00:00Z")));
    assert_int_equal(sb_cal_minutes_between(cal, T("2028-12-24T00:00:00Z"), T("2028-12-27T00:00:00Z")), 540);
    /* wrapping over New Year: Thu Dec 31, Fri Jan 1 closed, back on Monday Jan 4 */
    assert_instant(due(cal, T("2026-12-30T17:00:00Z"), 120), "2027-01-04T10:00:00Z");
    assert_false(sb_cal_is_open(cal, T("2030-01-02T12:00:00Z")));
    assert_true(sb_cal_is_open(cal, T("2030-01-03T12:00:00Z")));
    /* 02-29 only in leap years: 2028-02-29 is a Tuesday */
    assert_false(sb_cal_is_open(cal, T("2028-02-29T12:00:00Z")));
    assert_true(sb_cal_is_open(cal, T("2027-03-01T12:00:00Z")));
    assert_true(sb_cal_is_open(cal, T("2100-03-01T12:00:00Z")));
    /* ten years of this calendar: 52 or 53 weeks a year less the holidays on weekdays */
    int64_t a = T("2030-01-01T00:00:00Z"), b = T("2040-01-01T00:00:00Z"), expected = 0;
    for (int64_t t = a; t < b; t += 86400) {
        time_t tt = (time_t)t;
        struct tm tm;
        gmtime_r(&tt, &tm);
        int md = (tm.tm_mon + 1) * 100 + tm.tm_mday;
        bool hol = md == 1225 || md == 1231 || md == 101 || md == 102 || md == 229 || md == 501 || md == 502;
        if (tm.tm_wday >= 1 && tm.tm_wday <= 5 && !hol)
            expected += 9 * 60;
    }
    assert_int_equal(sb_cal_minutes_between(cal, a, b), expected);
    assert_int_equal(sb_cal_minutes_between(cal, a, due(cal, a, expected)), expected);
    assert_instant(due(cal, a, expected), "2039-12-30T18:00:00Z");
    unload(c);
}

static void test_huge_n(void **state)
{
    (void)state;
    tcal *c = load("{\"timezone\":\"UTC\",\"hours\":{" WEEKDAYS_9_18 "}}", false, 0);
    const sb_calendar *cal = &c->cal;
    int64_t a = T("2026-11-23T09:00:00Z"); /* a Monday */
    /* 1,000 weeks exactly: Friday 18:00 of the 1,000th week */
    assert_int_equal(due(cal, a, 1000LL * 45 * 60), a + 999LL * 7 * 86400 + 4 * 86400 + 9 * 3600);
    /* the same from a closed Sunday: whole weeks end on a Friday at 18:00, not the Monday after */
    assert_int_equal(due(cal, T("2026-11-22T12:00:00Z"), 1000LL * 45 * 60), T("2026-11-27T18:00:00Z") + 999LL * 7 * 86400);
    assert_int_equal(due(cal, T("2026-11-22T12:00:00Z"), 45 * 60), T("2026-11-27T18:00:00Z"));
    /* 5,000 years */
    int64_t n = 5000LL * 52 * 45 * 60, d = due(cal, a, n);
    assert_int_equal(sb_cal_minutes_between(cal, a, d), n);
    assert_true(sb_cal_is_open(cal, d - 1));
    int64_t out;
    assert_int_equal(sb_cal_add_minutes(cal, a, 8100LL * 52 * 45 * 60, &out), SB_E_VALIDATION);
    /* the whole supported range at once */
    assert_true(sb_cal_minutes_between(cal, SB_CAL_MIN_S, SB_CAL_MAX_S) > 0);
    unload(c);
}

static void test_between_properties(void **state)
{
    (void)state;
    rng_state = 20260329;
    tcal *c = load("{\"timezone\":\"UTC\",\"hours\":{\"mon\":[[\"08:00\",\"12:30\"],[\"13:15\",\"17:45\"]],"
                   "\"tue\":[[\"00:00\",\"02:00\"],[\"09:00\",\"18:00\"]],\"thu\":[[\"09:00\",\"18:00\"],[\"23:00\",\"24:00\"]],"
                   "\"fri\":[[\"00:00\",\"01:30\"]],\"sun\":[[\"10:00\",\"11:00\"]]},"
                   "\"holidays\":[{\"from\":\"2026-12-24\",\"to\":\"2027-01-03\"},{\"date\":\"05-09\",\"yearly\":true}]}",
                   false, 2 * 3600);
    const sb_calendar *cal = &c->cal;
    int64_t lo = T("2020-01-01T00:00:00Z"), hi = T("2035-01-01T00:00:00Z");
    for (int i = 0; i < 3000; i++) {
        int64_t a = rnd_range(lo, hi), n = rnd() % 4 ? rnd_range(0, 3000) : rnd_range(0, 2000000);
        int64_t d = due(cal, a, n);
        assert_true(d >= a);
        assert_int_equal(sb_cal_minutes_between(cal, a, d), n);
        assert_int_equal(sb_cal_seconds_between(cal, a, d), n * 60);
        assert_int_equal(sb_cal_seconds_between(cal, d, a), -n * 60);
        if (n > 0) {
            assert_true(sb_cal_is_open(cal, d - 1)); /* the last business second ends at d */
            assert_int_equal(sb_cal_seconds_between(cal, a, d - 1), n * 60 - 1);
        } else {
            assert_true(sb_cal_is_open(cal, d));
            assert_int_equal(sb_cal_seconds_between(cal, a, d), 0);
        }
        int64_t b = rnd_range(lo, hi), m = rnd_range(lo, hi);
        assert_int_equal(sb_cal_seconds_between(cal, a, b) + sb_cal_seconds_between(cal, b, m),
                         sb_cal_seconds_between(cal, a, m));
    }
    unload(c);
}

/* ---- real zones from tzdata ------------------------------------------------------------- */

static void test_tz_provider(void **state)
{
    (void)state;
    sb_tz *kyiv = sb_tz_open("Europe/Kyiv"), *ny = sb_tz_open("America/New_York"), *utc = sb_tz_open("UTC");
    assert_non_null(kyiv);
    assert_non_null(ny);
    assert_non_null(utc);
    assert_string_equal(sb_tz_name(kyiv), "Europe/Kyiv");
    assert_int_equal(sb_tz_offset(kyiv, T("2026-01-15T12:00:00Z")), 2 * 3600);
    assert_int_equal(sb_tz_offset(kyiv, T("2026-07-15T12:00:00Z")), 3 * 3600);
    assert_int_equal(sb_tz_offset(kyiv, T("2026-03-29T00:59:59Z")), 2 * 3600);
    assert_int_equal(sb_tz_offset(kyiv, T("2026-03-29T01:00:00Z")), 3 * 3600);
    assert_int_equal(sb_tz_offset(ny, T("2026-11-01T05:59:59Z")), -4 * 3600);
    assert_int_equal(sb_tz_offset(ny, T("2026-11-01T06:00:00Z")), -5 * 3600);
    assert_int_equal(sb_tz_offset(ny, T("2080-07-01T00:00:00Z")), -4 * 3600); /* rules, far ahead */
    assert_int_equal(sb_tz_next_change(ny, T("2026-03-01T00:00:00Z")), T("2026-03-08T07:00:00Z"));
    assert_int_equal(sb_tz_next_change(ny, T("2026-03-08T06:59:59Z")), T("2026-03-08T07:00:00Z"));
    assert_int_equal(sb_tz_next_change(kyiv, T("2026-05-01T00:00:00Z")), T("2026-10-25T01:00:00Z"));
    /* no change within a year: a safe horizon, strictly later */
    int64_t t = T("2026-05-01T00:00:00Z");
    assert_true(sb_tz_next_change(utc, t) > t + 300 * 86400);
    assert_int_equal(sb_tz_offset(utc, t), 0);
    static const char *const bad[] = {"Nowhere/City", "ABC3", "EST5EDT,M3.2.0,M11.1.0", "../../etc/passwd",
                                      "/etc/localtime", "", "Europe//Kyiv", "Europe/Kyiv/", "Europe",
                                      "iso3166.tab", "leapseconds", "+03:00", "Europe/Kyiv\n"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (sb_tz_open(bad[i]))
            fail_msg("sb_tz_open(\"%s\") should fail", bad[i]);
    assert_null(sb_tz_open(NULL));
    sb_tz_free(NULL);
    sb_tz_free(kyiv);
    sb_tz_free(ny);
    sb_tz_free(utc);
}

/* util/tz answers from its transition table between 1970 and 2100 and from GLib outside it:
 * both must agree with GLib everywhere, and next_change must never skip a change. */
static void test_tz_table_matches_glib(void **state)
{
    (void)state;
    rng_state = 7;
    static const char *const zones[] = {"Europe/Kyiv", "America/New_York", "Australia/Sydney", "Australia/Lord_Howe",
                                        "Africa/Casablanca", "Asia/Tokyo", "America/Sao_Paulo", "UTC"};
    for (size_t z = 0; z < sizeof zones / sizeof zones[0]; z++) {
        sb_tz *tz = sb_tz_open(zones[z]);
        GTimeZone *g = g_time_zone_new_identifier(zones[z]);
        assert_non_null(tz);
        assert_non_null(g);
        for (int i = 0; i < 3000; i++) {
            int64_t t = rnd_range(T("1950-01-01T00:00:00Z"), T("2150-01-01T00:00:00Z"));
            int gi = g_time_zone_find_interval(g, G_TIME_TYPE_UNIVERSAL, t);
            assert_int_equal(sb_tz_offset(tz, t), g_time_zone_get_offset(g, gi));
            int64_t next = sb_tz_next_change(tz, t);
            assert_true(next > t);
            int gn = g_time_zone_find_interval(g, G_TIME_TYPE_UNIVERSAL, next - 1);
            if (gn != gi)
                fail_msg("%s: next_change(%lld) = %lld skips a change", zones[z], (long long)t, (long long)next);
        }
        g_time_zone_unref(g);
        sb_tz_free(tz);
    }
}

/* An interval on a DST Sunday: `hours` is that day's interval, `day_utc` brackets it. */
static tcal *sunday_cal(const char *zone, const char *interval)
{
    char json[256];
    snprintf(json, sizeof json, "{\"timezone\":\"%s\",\"hours\":{\"sun\":[%s]}}", zone, interval);
    return load(json, true, 0);
}

static void test_dst_kyiv(void **state)
{
    (void)state;
    /* spring forward Sunday 2026-03-29 at 01:00Z: 03:00 EET -> 04:00 EEST. 02:00-05:00 local
     * holds two real hours: 00:00Z-02:00Z */
    tcal *c = sunday_cal("Europe/Kyiv", "[\"02:00\",\"05:00\"]");
    assert_int_equal(sb_cal_minutes_between(&c->cal, T("2026-03-28T00:00:00Z"), T("2026-03-30T00:00:00Z")), 120);
    assert_instant(next_open(&c->cal, T("2026-03-28T12:00:00Z")), "2026-03-29T00:00:00Z");
    assert_instant(due(&c->cal, T("2026-03-28T12:00:00Z"), 60), "2026-03-29T01:00:00Z");
    assert_instant(due(&c->cal, T("2026-03-28T12:00:00Z"), 90), "2026-03-29T01:30:00Z");
    assert_instant(due(&c->cal, T("2026-03-28T12:00:00Z"), 120), "2026-03-29T02:00:00Z");
    assert_instant(due(&c->cal, T("2026-03-28T12:00:00Z"), 121), "2026-04-04T23:01:00Z"); /* next Sunday, EEST */
    assert_true(sb_cal_is_open(&c->cal, T("2026-03-29T01:59:59Z")));
    assert_false(sb_cal_is_open(&c->cal, T("2026-03-29T02:00:00Z")));
    /* the normal Sunday before: 3 hours */
    assert_int_equal(sb_cal_minutes_between(&c->cal, T("2026-03-21T00:00:00Z"), T("2026-03-23T00:00:00Z")), 180);
    unload(c);
    /* an interval that starts inside the missing hour opens when the clock reaches 04:00 */
    c = sunday_cal("Europe/Kyiv", "[\"03:30\",\"06:00\"]");
    assert_instant(next_open(&c->cal, T("2026-03-28T22:00:00Z")), "2026-03-29T01:00:00Z");
    assert_int_equal(sb_cal_minutes_between(&c->cal, T("2026-03-28T00:00:00Z"), T("2026-03-30T00:00:00Z")), 120);
    unload(c);
    /* fall back Sunday 2026-10-25 at 01:00Z: 04:00 EEST -> 03:00 EET. 02:00-05:00 local holds
     * four real hours: 23:00Z (Sat) to 03:00Z */
    c = sunday_cal("Europe/Kyiv", "[\"02:00\",\"05:00\"]");
    assert_int_equal(sb_cal_minutes_between(&c->cal, T("2026-10-24T00:00:00Z"), T("2026-10-26T00:00:00Z")), 240);
    assert_instant(next_open(&c->cal, T("2026-10-24T12:00:00Z")), "2026-10-24T23:00:00Z");
    assert_instant(due(&c->cal, T("2026-10-24T12:00:00Z"), 120), "2026-10-25T01:00:00Z");
    assert_instant(due(&c->cal, T("2026-10-24T12:00:00Z"), 180), "2026-10-25T02:00:00Z");
    assert_instant(due(&c->cal, T("2026-10-24T12:00:00Z"), 240), "2026-10-25T03:00:00Z");
    assert_true(sb_cal_is_open(&c->cal, T("2026-10-25T01:30:00Z"))); /* 03:30 the second time */
    assert_true(sb_cal_is_open(&c->cal, T("2026-10-25T00:30:00Z"))); /* 03:30 the first time */
    unload(c);
    /* a weekday calendar over the spring weekend: Friday 17:00 EET + 2h = Monday 10:00 EEST */
    c = load("{\"timezone\":\"Europe/Kyiv\",\"hours\":{" WEEKDAYS_9_18 "}}", true, 0);
    assert_instant(due(&c->cal, T("2026-03-27T15:00:00Z"), 120), "2026-03-30T07:00:00Z");
    assert_instant(due(&c->cal, T("2026-10-23T14:00:00Z"), 120), "2026-10-26T08:00:00Z"); /* EEST -> EET */
    assert_int_equal(sb_cal_minutes_between(&c->cal, T("2026-03-27T00:00:00Z"), T("2026-03-31T00:00:00Z")), 1080);
    unload(c);
    /* 24/7 in Kyiv: the fall-back Sunday is 25 hours long, the spring one 23 */
    c = load("{\"timezone\":\"Europe/Kyiv\",\"24/7\":true,\"holidays\":[\"2026-10-25\",\"2026-03-29\"]}", true, 0);
    assert_int_equal(sb_cal_minutes_between(&c->cal, T("2026-10-23T21:00:00Z"), T("2026-10-26T22:00:00Z")), 2 * 24 * 60);
    assert_int_equal(sb_cal_minutes_between(&c->cal, T("2026-10-24T21:00:00Z"), T("2026-10-25T22:00:00Z")), 0);
    assert_int_equal(sb_cal_minutes_between(&c->cal, T("2026-03-28T22:00:00Z"), T("2026-03-29T21:00:00Z")), 0);
    assert_instant(due(&c->cal, T("2026-10-24T20:00:00Z"), 61), "2026-10-25T22:01:00Z");
    unload(c);
}

static void test_dst_new_york(void **state)
{
    (void)state;
    /* spring forward Sunday 2026-03-08 at 07:00Z: 02:00 EST -> 03:00 EDT */
    tcal *c = sunday_cal("America/New_York", "[\"01:00\",\"04:00\"]");
    assert_int_equal(sb_cal_minutes_between(&c->cal, T("2026-03-07T00:00:00Z"), T("2026-03-09T00:00:00Z")), 120);
    assert_instant(next_open(&c->cal, T("2026-03-07T12:00:00Z")), "2026-03-08T06:00:00Z");
    assert_instant(due(&c->cal, T("2026-03-07T12:00:00Z"), 60), "2026-03-08T07:00:00Z");
    assert_instant(due(&c->cal, T("2026-03-07T12:00:00Z"), 61), "2026-03-08T07:01:00Z");
    assert_true(sb_cal_is_open(&c->cal, T("2026-03-08T07:00:00Z"))); /* 03:00 EDT */
    assert_false(sb_cal_is_open(&c->cal, T("2026-03-08T08:00:00Z")));
    unload(c);
    /* fall back Sunday 2026-11-01 at 06:00Z: 02:00 EDT -> 01:00 EST. 01:00-03:00 is 3 hours */
    c = sunday_cal("America/New_York", "[\"01:00\",\"03:00\"]");
    assert_int_equal(sb_cal_minutes_between(&c->cal, T("2026-10-31T00:00:00Z"), T("2026-11-02T00:00:00Z")), 180);
    assert_instant(next_open(&c->cal, T("2026-10-31T12:00:00Z")), "2026-11-01T05:00:00Z");
    assert_instant(due(&c->cal, T("2026-10-31T12:00:00Z"), 120), "2026-11-01T07:00:00Z");
    assert_instant(due(&c->cal, T("2026-10-31T12:00:00Z"), 180), "2026-11-01T08:00:00Z");
    assert_instant(due(&c->cal, T("2026-10-31T12:00:00Z"), 181), "2026-11-08T06:01:00Z"); /* EST */
    assert_int_equal(sb_cal_minutes_between(&c->cal, T("2026-11-01T05:30:00Z"), T("2026-11-01T06:30:00Z")), 60);
    unload(c);
    /* a weekday calendar over the spring weekend: Friday 17:00 EST + 2h = Monday 10:00 EDT */
    c = load("{\"timezone\":\"America/New_York\",\"hours\":{" WEEKDAYS_9_18 "}}", true, 0);
    assert_instant(due(&c->cal, T("2026-03-06T22:00:00Z"), 120), "2026-03-09T14:00:00Z");
    assert_instant(due(&c->cal, T("2026-10-30T21:00:00Z"), 120), "2026-11-02T15:00:00Z");
    unload(c);
}

static void test_dst_sydney(void **state)
{
    (void)state;
    /* southern hemisphere: DST ends Sunday 2026-04-05 at 16:00Z (Apr 4): 03:00 AEDT -> 02:00 AEST */
    tcal *c = sunday_cal("Australia/Sydney", "[\"01:00\",\"04:00\"]");
    assert_int_equal(sb_cal_minutes_between(&c->cal, T("2026-04-04T00:00:00Z"), T("2026-04-05T12:00:00Z")), 240);
    assert_instant(next_open(&c->cal, T("2026-04-04T00:00:00Z")), "2026-04-04T14:00:00Z");
    assert_instant(due(&c->cal, T("2026-04-04T00:00:00Z"), 240), "2026-04-04T18:00:00Z");
    /* DST starts Sunday 2026-10-04 at 16:00Z (Oct 3): 02:00 AEST -> 03:00 AEDT */
    assert_int_equal(sb_cal_minutes_between(&c->cal, T("2026-10-03T00:00:00Z"), T("2026-10-04T12:00:00Z")), 120);
    assert_instant(next_open(&c->cal, T("2026-10-03T00:00:00Z")), "2026-10-03T15:00:00Z");
    assert_instant(due(&c->cal, T("2026-10-03T00:00:00Z"), 61), "2026-10-03T16:01:00Z");
    assert_instant(due(&c->cal, T("2026-10-03T00:00:00Z"), 120), "2026-10-03T17:00:00Z");
    unload(c);
}

/* The random oracle check around DST transitions and elsewhere, in each zone. */
static void check_against_oracle(const char *zone, const char *const *transitions, size_t n_transitions)
{
    char json[1024];
    snprintf(json, sizeof json,
             "{\"timezone\":\"%s\",\"hours\":{\"mon\":[[\"08:00\",\"12:30\"],[\"13:15\",\"17:45\"]],"
             "\"tue\":[[\"00:00\",\"02:00\"],[\"09:00\",\"18:00\"]],\"wed\":[[\"09:00\",\"18:00\"]],"
             "\"thu\":[[\"09:00\",\"18:00\"],[\"23:00\",\"24:00\"]],\"fri\":[[\"00:00\",\"01:30\"],[\"09:00\",\"16:00\"]],"
             "\"sat\":[[\"22:00\",\"24:00\"]],\"sun\":[[\"00:00\",\"04:30\"],[\"10:00\",\"11:00\"]]},"
             "\"holidays\":[\"2026-03-30\",{\"from\":\"2026-10-29\",\"to\":\"2026-11-03\"},"
             "{\"date\":\"03-08\",\"yearly\":true},{\"from\":\"12-31\",\"to\":\"01-01\",\"yearly\":true}]}",
             zone);
    tcal *c = load(json, true, 0);
    /* the same zone without next_change: the daily-probing path must agree */
    sb_calendar *probing = malloc(sizeof *probing);
    memcpy(probing, &c->cal, sizeof *probing);
    probing->tz.next_change_s = NULL;
    for (int i = 0; i < 40; i++) {
        int64_t center = i % 4 == 3 ? T("2026-01-01T00:00:00Z") + rnd_range(0, 365) * 86400
                                    : T(transitions[rnd() % n_transitions]);
        int64_t a = (center + rnd_range(-5 * 86400, 2 * 86400)) / 60 * 60;
        int64_t b = a + rnd_range(0, 6 * 86400) / 60 * 60;
        int64_t n = rnd_range(0, 1500);
        int64_t want_between = oracle_between(&c->cal, a, b), want_due = oracle_due(&c->cal, a, n);
        if (sb_cal_minutes_between(&c->cal, a, b) != want_between) {
            char sa[40], sb_[40];
            fmt(a, sa, sizeof sa);
            fmt(b, sb_, sizeof sb_);
            fail_msg("%s between %s and %s: %lld, oracle %lld", zone, sa, sb_,
                     (long long)sb_cal_minutes_between(&c->cal, a, b), (long long)want_between);
        }
        assert_int_equal(sb_cal_minutes_between(probing, a, b), want_between);
        int64_t got = due(&c->cal, a, n);
        if (got != want_due) {
            char sa[40], sg[40], sw[40];
            fmt(a, sa, sizeof sa);
            fmt(got, sg, sizeof sg);
            fmt(want_due, sw, sizeof sw);
            fail_msg("%s %s + %lld min: %s, oracle %s", zone, sa, (long long)n, sg, sw);
        }
        assert_int_equal(due(probing, a, n), want_due);
        for (int k = 0; k < 50; k++) {
            int64_t t = a + rnd_range(0, 6 * 86400);
            assert_int_equal(sb_cal_is_open(&c->cal, t), oracle_open(&c->cal, t));
        }
    }
    free(probing);
    unload(c);
}

static void test_oracle_zones(void **state)
{
    (void)state;
    rng_state = 0xC0FFEE;
    static const char *const kyiv[] = {"2026-03-29T01:00:00Z", "2026-10-25T01:00:00Z", "2027-03-28T01:00:00Z"};
    static const char *const ny[] = {"2026-03-08T07:00:00Z", "2026-11-01T06:00:00Z", "2027-03-14T07:00:00Z"};
    static const char *const syd[] = {"2026-04-04T16:00:00Z", "2026-10-03T16:00:00Z", "2027-04-03T16:00:00Z"};
    static const char *const lhi[] = {"2026-04-04T15:00:00Z", "2026-10-03T15:30:00Z"}; /* 30-minute DST */
    check_against_oracle("Europe/Kyiv", kyiv, 3);
    check_against_oracle("America/New_York", ny, 3);
    check_against_oracle("Australia/Sydney", syd, 3);
    check_against_oracle("Australia/Lord_Howe", lhi, 2);
}

static void test_real_zone_long_horizon(void **state)
{
    (void)state;
    rng_state = 42;
    tcal *c = load("{\"timezone\":\"America/New_York\",\"hours\":{" WEEKDAYS_9_18 "},"
                   "\"holidays\":[{\"date\":\"07-04\",\"yearly\":true},{\"date\":\"12-25\",\"yearly\":true}]}",
                   true, 0);
    sb_calendar *probing = malloc(sizeof *probing);
    memcpy(probing, &c->cal, sizeof *probing);
    probing->tz.next_change_s = NULL;
    /* ten years of minutes, about 38 years of business hours */
    int64_t a = T("2026-11-23T14:00:00Z"), n = 10LL * 365 * 24 * 60, d = due(&c->cal, a, n);
    assert_int_equal(sb_cal_minutes_between(&c->cal, a, d), n);
    assert_int_equal(due(probing, a, n), d);
    int64_t local = d + sb_tz_offset(c->tz, d), sod = ((local % 86400) + 86400) % 86400;
    assert_true(sod > 9 * 3600 && sod <= 18 * 3600);
    for (int i = 0; i < 200; i++) {
        int64_t from = rnd_range(T("1990-01-01T00:00:00Z"), T("2060-01-01T00:00:00Z"));
        int64_t m = rnd_range(0, 3000000), dd = due(&c->cal, from, m);
        assert_int_equal(sb_cal_minutes_between(&c->cal, from, dd), m);
        assert_int_equal(sb_cal_minutes_between(&c->cal, dd, from), -m);
    }
    free(probing);
    unload(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_design_example_parses),
        cmocka_unit_test(test_invalid_calendars),
        cmocka_unit_test(test_builder_api),
        cmocka_unit_test(test_weekdays_basic),
        cmocka_unit_test(test_several_intervals_a_day),
        cmocka_unit_test(test_midnight_crossing),
        cmocka_unit_test(test_always_open),
        cmocka_unit_test(test_holidays_spanning_weekends),
        cmocka_unit_test(test_yearly_holidays),
        cmocka_unit_test(test_huge_n),
        cmocka_unit_test(test_between_properties),
        cmocka_unit_test(test_tz_provider),
        cmocka_unit_test(test_tz_table_matches_glib),
        cmocka_unit_test(test_dst_kyiv),
        cmocka_unit_test(test_dst_new_york),
        cmocka_unit_test(test_dst_sydney),
        cmocka_unit_test(test_oracle_zones),
        cmocka_unit_test(test_real_zone_long_horizon),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
