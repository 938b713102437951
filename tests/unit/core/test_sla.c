/* SLA clocks: table-driven scripts of status changes and messages checked against hand-computed
 * due instants and states (business hours Mon-Fri 09:00-17:00, holidays, DST in real zones),
 * an exhaustive status-transition matrix, and an invariant check on random scripts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/conversation.h"
#include "core/sla.h"
#include "util/time.h"
#include "util/tz.h"

static int64_t T(const char *rfc3339)
{
    int64_t ms;
    if (sb_time_parse(rfc3339, &ms) != 0)
        fail_msg("bad instant in test: %s", rfc3339);
    return ms / 1000;
}

typedef struct {
    sb_calendar cal;
    sb_tz *tz;
    int offset;
} tcal;

static tcal *load(const char *json_text)
{
    tcal *c = calloc(1, sizeof *c);
    assert_non_null(c);
    json_error_t jerr;
    json_t *root = json_loads(json_text, 0, &jerr);
    assert_non_null(root);
    char err[256] = "";
    if (sb_cal_from_json(&c->cal, root, err, sizeof err) != SB_OK)
        fail_msg("calendar rejected: %s", err);
    json_decref(root);
    if (c->cal.timezone[0] && strcmp(c->cal.timezone, "UTC") != 0) {
        c->tz = sb_tz_open(c->cal.timezone);
        assert_non_null(c->tz);
        c->cal.tz = (sb_cal_tz){.utc_offset_s = sb_tz_offset, .next_change_s = sb_tz_next_change, .ctx = c->tz};
    } else {
        c->cal.tz = sb_cal_tz_fixed(&c->offset);
    }
    return c;
}

static void unload(tcal *c)
{
    sb_tz_free(c->tz);
    free(c);
}

#define OFFICE "{\"timezone\":\"UTC\",\"hours\":{\"mon\":[[\"09:00\",\"17:00\"]],\"tue\":[[\"09:00\",\"17:00\"]]," \
               "\"wed\":[[\"09:00\",\"17:00\"]],\"thu\":[[\"09:00\",\"17:00\"]],\"fri\":[[\"09:00\",\"17:00\"]]}"
#define OFFICE_CAL OFFICE "}"
#define OFFICE_HOLIDAY OFFICE ",\"holidays\":[\"2026-11-24\"]}"
#define NEW_YORK "{\"timezone\":\"America/New_York\",\"hours\":{\"mon\":[[\"09:00\",\"17:00\"]]," \
                 "\"tue\":[[\"09:00\",\"17:00\"]],\"wed\":[[\"09:00\",\"17:00\"]],\"thu\":[[\"09:00\",\"17:00\"]]," \
                 "\"fri\":[[\"09:00\",\"17:00\"]]}}"
#define KYIV_247 "{\"timezone\":\"Europe/Kyiv\",\"24/7\":true}"

/* A script: events, then what the clocks say at `check`.
 * Event letters: S start (status), T status change, C customer message, A agent reply.
 * Expected dues: RFC 3339, "" for none. breached: letters F/N/R of breached targets. */
typedef struct {
    const char *name, *calendar;
    bool pause_on_hold;
    int warn_percent;
    int warn_before_min;
    const char *events[8]; /* "S 2026-11-23T10:00:00Z open" */
    const char *check;
    const char *status;
    const char *due_first, *due_next, *due_res;
    const char *breached;
    const char *next_check;
} sla_case;

/* Targets: first response 60 min, next response 30 min, resolution 480 min (one office day). */
static const sla_case cases[] = {
    {"fresh clocks", OFFICE_CAL, false, 80, 0, {"S 2026-11-23T10:00:00Z open"}, "2026-11-23T10:30:00Z", "ok",
     "2026-11-23T11:00:00Z", "", "2026-11-24T10:00:00Z", "", "2026-11-23T10:48:00Z"},
    {"warning at 80%", OFFICE_CAL, false, 80, 0, {"S 2026-11-23T10:00:00Z open"}, "2026-11-23T10:48:00Z", "warning",
     "2026-11-23T11:00:00Z", "", "2026-11-24T10:00:00Z", "", "2026-11-23T11:00:00Z"},
    {"warning minutes before due", OFFICE_CAL, false, 0, 10, {"S 2026-11-23T10:00:00Z open"},
     "2026-11-23T10:50:00Z", "warning", "2026-11-23T11:00:00Z", "", "2026-11-24T10:00:00Z", "", "2026-11-23T11:00:00Z"},
    {"no warning configured", OFFICE_CAL, false, 0, 0, {"S 2026-11-23T10:00:00Z open"}, "2026-11-23T10:59:00Z", "ok",
     "2026-11-23T11:00:00Z", "", "2026-11-24T10:00:00Z", "", "2026-11-23T11:00:00Z"},
    {"breach at the due instant", OFFICE_CAL, false, 80, 0, {"S 2026-11-23T10:00:00Z open"}, "2026-11-23T11:00:00Z",
     "breached", "2026-11-23T11:00:00Z", "", "2026-11-24T10:00:00Z", "F", "2026-11-23T16:24:00Z"},
    {"first response met in time", OFFICE_CAL, false, 80, 0,
     {"S 2026-11-23T10:00:00Z open", "A 2026-11-23T10:20:00Z"}, "2026-11-23T12:00:00Z", "ok", "", "",
     "2026-11-24T10:00:00Z", "", "2026-11-23T16:24:00Z"},
    {"met late stays breached", OFFICE_CAL, false, 80, 0, {"S 2026-11-23T10:00:00Z open", "A 2026-11-23T11:30:00Z"},
     "2026-11-23T12:00:00Z", "ok", "", "", "2026-11-24T10:00:00Z", "F", "2026-11-23T16:24:00Z"},
    {"next response after a customer message", OFFICE_CAL, false, 80, 0,
     {"S 2026-11-23T10:00:00Z open", "A 2026-11-23T10:20:00Z", "C 2026-11-23T10:40:00Z"}, "2026-11-23T10:41:00Z",
     "ok", "", "2026-11-23T11:10:00Z", "2026-11-24T10:00:00Z", "", "2026-11-23T11:04:00Z"},
    {"next response breached", OFFICE_CAL, false, 80, 0,
     {"S 2026-11-23T10:00:00Z open", "A 2026-11-23T10:20:00Z", "C 2026-11-23T10:40:00Z"}, "2026-11-23T11:10:00Z",
     "breached", "", "2026-11-23T11:10:00Z", "2026-11-24T10:00:00Z", "N", "2026-11-23T16:24:00Z"},
    {"customer message before the first answer starts nothing", OFFICE_CAL, false, 80, 0,
     {"S 2026-11-23T10:00:00Z open", "C 2026-11-23T10:10:00Z"}, "2026-11-23T10:20:00Z", "ok",
     "2026-11-23T11:00:00Z", "", "2026-11-24T10:00:00Z", "", "2026-11-23T10:48:00Z"},
    {"pending pauses every clock", OFFICE_CAL, false, 80, 0,
     {"S 2026-11-23T10:00:00Z open", "T 2026-11-23T10:30:00Z pending"}, "2026-11-25T16:00:00Z", "paused", "", "", "",
     "", ""},
    {"resume keeps the used time", OFFICE_CAL, false, 80, 0,
     {"S 2026-11-23T10:00:00Z open", "T 2026-11-23T10:30:00Z pending", "T 2026-11-25T16:00:00Z open"},
     "2026-11-25T16:01:00Z", "ok", "2026-11-25T16:30:00Z", "", "2026-11-26T15:30:00Z", "", "2026-11-25T16:18:00Z"},
    {"on_hold runs without pause_on_hold", OFFICE_CAL, false, 80, 0,
     {"S 2026-11-23T10:00:00Z open", "T 2026-11-23T10:30:00Z on_hold"}, "2026-11-23T11:00:00Z", "breached",
     "2026-11-23T11:00:00Z", "", "2026-11-24T10:00:00Z", "F", "2026-11-23T16:24:00Z"},
    {"on_hold pauses with pause_on_hold", OFFICE_CAL, true, 80, 0,
     {"S 2026-11-23T10:00:00Z open", "T 2026-11-23T10:30:00Z on_hold"}, "2026-11-23T11:00:00Z", "paused", "", "",
     "", "", ""},
    {"paused after the breach stays breached", OFFICE_CAL, false, 80, 0,
     {"S 2026-11-23T10:00:00Z open", "T 2026-11-23T11:30:00Z pending"}, "2026-11-23T12:00:00Z", "breached", "", "",
     "", "F", ""},
    {"the night does not count", OFFICE_CAL, false, 80, 0, {"S 2026-11-23T16:50:00Z open"}, "2026-11-24T09:05:00Z",
     "ok", "2026-11-24T09:50:00Z", "", "2026-11-24T16:50:00Z", "", "2026-11-24T09:38:00Z"},
    {"started out of hours", OFFICE_CAL, false, 80, 0, {"S 2026-11-28T12:00:00Z open"}, "2026-11-28T13:00:00Z", "ok",
     "2026-11-30T10:00:00Z", "", "2026-11-30T17:00:00Z", "", "2026-11-30T09:48:00Z"},
    {"a holiday does not count", OFFICE_HOLIDAY, false, 80, 0, {"S 2026-11-23T16:30:00Z open"},
     "2026-11-24T12:00:00Z", "ok", "2026-11-25T09:30:00Z", "", "2026-11-25T16:30:00Z", "", "2026-11-25T09:18:00Z"},
    {"solved meets the resolution", OFFICE_CAL, false, 80, 0,
     {"S 2026-11-23T10:00:00Z open", "A 2026-11-23T10:10:00Z", "T 2026-11-23T12:00:00Z solved"},
     "2026-11-30T12:00:00Z", "met", "", "", "", "", ""},
    {"reopen resumes the resolution and starts next response", OFFICE_CAL, false, 80, 0,
     {"S 2026-11-23T10:00:00Z open", "A 2026-11-23T10:10:00Z", "T 2026-11-23T12:00:00Z solved",
      "C 2026-11-24T09:00:00Z", "T 2026-11-24T09:00:00Z open"},
     "2026-11-24T09:01:00Z", "ok", "", "2026-11-24T09:30:00Z", "2026-11-24T15:00:00Z", "", "2026-11-24T09:24:00Z"},
    {"reply to a pending conversation starts next response paused", OFFICE_CAL, false, 80, 0,
     {"S 2026-11-23T10:00:00Z open", "A 2026-11-23T10:10:00Z", "T 2026-11-23T10:10:00Z pending",
      "C 2026-11-23T14:00:00Z", "T 2026-11-23T14:00:00Z open"},
     "2026-11-23T14:00:00Z", "ok", "", "2026-11-23T14:30:00Z", "2026-11-24T13:50:00Z", "", "2026-11-23T14:24:00Z"},
    {"closed without an answer stops the response clock", OFFICE_CAL, false, 80, 0,
     {"S 2026-11-23T10:00:00Z open", "T 2026-11-23T10:05:00Z closed"}, "2026-11-23T12:00:00Z", "met", "", "", "",
     "", ""},
    {"resolution breached across days", OFFICE_CAL, false, 80, 0,
     {"S 2026-11-23T10:00:00Z open", "A 2026-11-23T10:05:00Z"}, "2026-11-24T10:00:00Z", "breached", "", "",
     "2026-11-24T10:00:00Z", "R", ""},
    /* New York falls back on Sunday 2026-11-01: Friday 16:30 EDT + 60 business minutes is Monday 09:30 EST. */
    {"DST fall-back weekend (New York)", NEW_YORK, false, 50, 0, {"S 2026-10-30T20:30:00Z open"},
     "2026-11-02T14:00:00Z", "warning", "2026-11-02T14:30:00Z", "", "2026-11-02T21:30:00Z", "", "2026-11-02T14:30:00Z"},
    /* Spring forward on Sunday 2027-03-14: Friday 16:30 EST + 60 is Monday 09:30 EDT (13:30Z). */
    {"DST spring-forward weekend (New York)", NEW_YORK, false, 50, 0, {"S 2027-03-12T21:30:00Z open"},
     "2027-03-15T13:00:00Z", "warning", "2027-03-15T13:30:00Z", "", "2027-03-15T20:30:00Z", "",
     "2027-03-15T13:30:00Z"},
    /* 24/7 in Kyiv over the night the clocks go back (2026-10-25 04:00 -> 03:00): real hours count. */
    {"24/7 across Kyiv's fall-back", KYIV_247, false, 0, 0, {"S 2026-10-24T23:30:00Z open"}, "2026-10-25T00:00:00Z",
     "ok", "2026-10-25T00:30:00Z", "", "2026-10-25T07:30:00Z", "", "2026-10-25T00:30:00Z"},
};

static int status_of(const char *word)
{
    int s = sb_status_parse(word);
    if (s < 0)
        fail_msg("bad status %s", word);
    return s;
}

static sb_sla_policy policy(const sla_case *c)
{
    sb_sla_policy p = {.target_s = {60 * 60, 30 * 60, 480 * 60}, .pause_on_hold = c->pause_on_hold,
                       .warn_percent = c->warn_percent, .warn_before_s = c->warn_before_min * 60};
    return p;
}

static void run_script(const sla_case *c, const sb_calendar *cal, sb_sla_state *s)
{
    sb_sla_policy p = policy(c);
    sb_sla_init(s);
    for (int i = 0; i < 8 && c->events[i]; i++) {
        char kind, when[40], status[20] = "";
        if (sscanf(c->events[i], "%c %39s %19s", &kind, when, status) < 2)
            fail_msg("bad event %s", c->events[i]);
        sb_sla_event ev = {.at = T(when)};
        switch (kind) {
        case 'S': ev.kind = SB_SLA_EV_START; ev.status = status_of(status); break;
        case 'T': ev.kind = SB_SLA_EV_STATUS; ev.status = status_of(status); break;
        case 'C': ev.kind = SB_SLA_EV_CUSTOMER; break;
        case 'A': ev.kind = SB_SLA_EV_AGENT; break;
        default: fail_msg("bad event %s", c->events[i]);
        }
        sb_sla_apply(s, &p, cal, &ev);
    }
}

static void check_instant(const char *what, const char *case_name, int64_t got, const char *want)
{
    int64_t w = *want ? T(want) : 0;
    if (got != w) {
        char g[40] = "none";
        if (got)
            sb_time_format(got * 1000, g, sizeof g);
        fail_msg("%s: %s is %s, expected %s", case_name, what, g, *want ? want : "none");
    }
}

static void test_scripts(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const sla_case *c = &cases[i];
        tcal *cal = load(c->calendar);
        sb_sla_state s;
        sb_sla_policy p = policy(c);
        run_script(c, &cal->cal, &s);
        sb_sla_view v;
        sb_sla_evaluate(&s, &p, &cal->cal, T(c->check), &v);
        if (strcmp(sb_sla_status_name(v.status), c->status) != 0)
            fail_msg("%s: status %s, expected %s", c->name, sb_sla_status_name(v.status), c->status);
        check_instant("first_response due", c->name, v.due[SB_SLA_FIRST], c->due_first);
        check_instant("next_response due", c->name, v.due[SB_SLA_NEXT], c->due_next);
        check_instant("resolution due", c->name, v.due[SB_SLA_RESOLUTION], c->due_res);
        check_instant("next check", c->name, v.next_check, c->next_check);
        char br[4] = "";
        size_t n = 0;
        static const char letters[] = "FNR";
        for (int t = 0; t < SB_SLA_N; t++)
            if (v.breached[t])
                br[n++] = letters[t];
        br[n] = '\0';
        if (strcmp(br, c->breached) != 0)
            fail_msg("%s: breached \"%s\", expected \"%s\"", c->name, br, c->breached);
        unload(cal);
    }
}

/* Every status change from every status, with and without pause_on_hold: which clocks run. */
static void test_status_matrix(void **state)
{
    (void)state;
    tcal *cal = load(OFFICE_CAL);
    for (int poh = 0; poh < 2; poh++) {
        sb_sla_policy p = {.target_s = {3600, 1800, 28800}, .pause_on_hold = poh};
        for (int from = 0; from < SB_STATUS_COUNT; from++) {
            for (int to = 0; to < SB_STATUS_COUNT; to++) {
                sb_sla_state s;
                sb_sla_init(&s);
                int64_t t0 = T("2026-11-23T10:00:00Z");
                sb_sla_event ev = {SB_SLA_EV_START, t0, SB_STATUS_OPEN};
                sb_sla_apply(&s, &p, &cal->cal, &ev);
                ev = (sb_sla_event){SB_SLA_EV_STATUS, t0 + 600, from};
                sb_sla_apply(&s, &p, &cal->cal, &ev);
                ev = (sb_sla_event){SB_SLA_EV_STATUS, t0 + 1200, to};
                sb_sla_apply(&s, &p, &cal->cal, &ev);
                int64_t now = t0 + 1800;
                bool paused = to == SB_STATUS_PENDING || (to == SB_STATUS_ON_HOLD && poh);
                bool done = to == SB_STATUS_SOLVED || to == SB_STATUS_CLOSED;
                bool from_paused = from == SB_STATUS_PENDING || (from == SB_STATUS_ON_HOLD && poh);
                bool from_done = from == SB_STATUS_SOLVED || from == SB_STATUS_CLOSED;
                sb_sla_view v;
                sb_sla_evaluate(&s, &p, &cal->cal, now, &v);
                char ctx[96];
                snprintf(ctx, sizeof ctx, "%s -> %s (pause_on_hold %d)", sb_status_name(from), sb_status_name(to), poh);
                /* resolution: used time = the spans in which it ran */
                int64_t want_res = 600 + (from_paused || from_done ? 0 : 600) + (paused || done ? 0 : 600);
                if (sb_sla_used(&s, &cal->cal, SB_SLA_RESOLUTION, now) != want_res)
                    fail_msg("%s: resolution used %lld, expected %lld", ctx,
                             (long long)sb_sla_used(&s, &cal->cal, SB_SLA_RESOLUTION, now), (long long)want_res);
                if (done) {
                    if (v.status != SB_SLA_MET || s.c[SB_SLA_RESOLUTION].active || !s.c[SB_SLA_RESOLUTION].met)
                        fail_msg("%s: resolution should be met", ctx);
                } else if (paused) {
                    if (v.status != SB_SLA_PAUSED || v.due[SB_SLA_RESOLUTION] != 0)
                        fail_msg("%s: should be paused", ctx);
                } else {
                    if (v.status != SB_SLA_OK || v.due[SB_SLA_RESOLUTION] == 0)
                        fail_msg("%s: should run (status %s)", ctx, sb_sla_status_name(v.status));
                }
                /* the first-response clock survives pauses, not a solve or close */
                bool first_active = !from_done && !done;
                if (s.c[SB_SLA_FIRST].active != first_active)
                    fail_msg("%s: first response active %d", ctx, s.c[SB_SLA_FIRST].active);
            }
        }
    }
    unload(cal);
}

/* Random scripts: used time never exceeds the wall time elapsed in business hours, never
 * decreases, breached is sticky, and due instants are exactly `target - used` business time away. */
static uint64_t rng = 0x243F6A8885A308D3ull;
static uint64_t rnd(void)
{
    rng ^= rng >> 12;
    rng ^= rng << 25;
    rng ^= rng >> 27;
    return rng * 2685821657736338717ull;
}

static void test_random_invariants(void **state)
{
    (void)state;
    tcal *cal = load(OFFICE_HOLIDAY);
    sb_sla_policy p = {.target_s = {3600, 1800, 28800}, .pause_on_hold = true, .warn_percent = 75};
    for (int run = 0; run < 300; run++) {
        sb_sla_state s;
        sb_sla_init(&s);
        int64_t t = T("2026-11-20T08:00:00Z") + (int64_t)(rnd() % (3 * 86400));
        int64_t t0 = t;
        sb_sla_event ev = {SB_SLA_EV_START, t, SB_STATUS_OPEN};
        sb_sla_apply(&s, &p, &cal->cal, &ev);
        int64_t last_used[SB_SLA_N] = {0};
        bool was_breached[SB_SLA_N] = {0};
        for (int step = 0; step < 25; step++) {
            t += (int64_t)(rnd() % 14400);
            unsigned k = (unsigned)(rnd() % 4);
            ev.at = t;
            if (k == 0) {
                ev.kind = SB_SLA_EV_STATUS;
                ev.status = (int)(rnd() % (SB_STATUS_COUNT - 1)); /* closed is final: leave it out */
            } else {
                ev.kind = k == 1 ? SB_SLA_EV_CUSTOMER : SB_SLA_EV_AGENT;
            }
            sb_sla_apply(&s, &p, &cal->cal, &ev);
            sb_sla_view v;
            sb_sla_evaluate(&s, &p, &cal->cal, t, &v);
            int64_t biz = sb_cal_seconds_between(&cal->cal, t0, t);
            for (int g = 0; g < SB_SLA_N; g++) {
                int64_t used = sb_sla_used(&s, &cal->cal, (sb_sla_target)g, t);
                assert_true(used <= biz);
                if (g == SB_SLA_RESOLUTION)
                    assert_true(used >= last_used[g]);
                last_used[g] = used;
                if (was_breached[g] && g != SB_SLA_NEXT) /* a new next-response clock starts fresh */
                    assert_true(v.breached[g]);
                was_breached[g] = v.breached[g];
                if (v.due[g]) {
                    int64_t left = p.target_s[g] - used;
                    if (left > 0)
                        assert_int_equal(sb_cal_seconds_between(&cal->cal, t, v.due[g]), left);
                    else
                        assert_true(v.breached[g]);
                }
            }
            if (v.next_check)
                assert_true(v.next_check > t);
        }
    }
    unload(cal);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scripts),
        cmocka_unit_test(test_status_matrix),
        cmocka_unit_test(test_random_invariants),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
