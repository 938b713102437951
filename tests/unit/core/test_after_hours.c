/* After-hours promises: today/tomorrow/weekday/date forms in en and ru, local dates across
 * offsets and DST, template fallback and truncation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/after_hours.h"
#include "util/time.h"

static int64_t T(const char *s)
{
    int64_t ms = 0;
    assert_int_equal(sb_time_parse(s, &ms), 0);
    return ms / 1000;
}

static void promise(const char *locale, const char *now, int now_off, const char *open, int open_off,
                    const char *tz, const char *want)
{
    sb_ah_when w = {locale, T(now), now_off, T(open), open_off, tz};
    char out[300];
    sb_ah_promise(&w, out, sizeof out);
    assert_string_equal(out, want);
}

static void test_promise_forms(void **state)
{
    (void)state;
    /* Kyiv winter (+2): 07:00 local, opens 09:00 the same day */
    promise("en", "2026-11-23T05:00:00Z", 7200, "2026-11-23T07:00:00Z", 7200, "Europe/Kyiv",
            "today at 09:00 (Europe/Kyiv time)");
    /* 23:30 local Monday: tomorrow */
    promise("en", "2026-11-23T21:30:00Z", 7200, "2026-11-24T07:00:00Z", 7200, "Europe/Kyiv",
            "tomorrow at 09:00 (Europe/Kyiv time)");
    /* 00:30 local Tuesday is already Tuesday locally, while still Monday in UTC */
    promise("en", "2026-11-23T22:30:00Z", 7200, "2026-11-24T07:00:00Z", 7200, "Europe/Kyiv",
            "today at 09:00 (Europe/Kyiv time)");
    /* Friday evening -> Monday */
    promise("en", "2026-11-27T18:00:00Z", 7200, "2026-11-30T07:00:00Z", 7200, "Europe/Kyiv",
            "on Monday at 09:00 (Europe/Kyiv time)");
    /* a long holiday: the date is spelled out */
    promise("en", "2026-12-30T18:00:00Z", 7200, "2027-01-08T07:00:00Z", 7200, "Europe/Kyiv",
            "on Friday, 8 January at 09:00 (Europe/Kyiv time)");
    promise("ru", "2026-11-27T18:00:00Z", 7200, "2026-11-30T07:00:00Z", 7200, "Europe/Kyiv",
            "в понедельник в 09:00 (время Europe/Kyiv)");
    promise("ru-RU", "2026-11-23T21:30:00Z", 7200, "2026-11-24T07:00:00Z", 7200, "Europe/Kyiv",
            "завтра в 09:00 (время Europe/Kyiv)");
    promise("ru", "2026-12-30T18:00:00Z", 7200, "2027-01-08T07:00:00Z", 7200, NULL, "в пятницу, 8 января в 09:00");
    /* unknown language: English */
    promise("de", "2026-11-23T05:00:00Z", 0, "2026-11-23T09:00:00Z", 0, "UTC", "today at 09:00 (UTC time)");
    /* New York across the fall-back weekend: Friday 18:00 EDT (-4), Monday 09:00 EST (-5) */
    promise("en", "2026-10-30T22:00:00Z", -4 * 3600, "2026-11-02T14:00:00Z", -5 * 3600, "America/New_York",
            "on Monday at 09:00 (America/New_York time)");
}

static void test_render(void **state)
{
    (void)state;
    sb_ah_when w = {"en", T("2026-11-23T21:30:00Z"), 7200, T("2026-11-24T07:00:00Z"), 7200, "Europe/Kyiv"};
    char out[300];
    sb_ah_render("We are closed. We answer {{next_open}}; {{next_open_date}} {{next_open_time}} {{timezone}} {{x}}",
                 &w, out, sizeof out);
    assert_string_equal(out, "We are closed. We answer tomorrow at 09:00 (Europe/Kyiv time); 2026-11-24 09:00 "
                             "Europe/Kyiv {{x}}");
    char small[12];
    sb_ah_render("Ответим {{next_open}}", &w, small, sizeof small);
    assert_true(strlen(small) < sizeof small);
    assert_string_equal(small, "Ответ"); /* 11 bytes fit: five letters, never half of one */
}

static void test_pick(void **state)
{
    (void)state;
    json_t *t = json_pack("{s:s, s:s}", "en", "E", "ru", "R");
    assert_string_equal(sb_ah_pick_template(t, "ru"), "R");
    assert_string_equal(sb_ah_pick_template(t, "ru-RU"), "R");
    assert_string_equal(sb_ah_pick_template(t, "fr"), "E");
    assert_string_equal(sb_ah_pick_template(t, NULL), "E");
    json_t *only = json_pack("{s:s}", "uk", "U");
    assert_string_equal(sb_ah_pick_template(only, "fr"), "U");
    json_t *none = json_object();
    assert_null(sb_ah_pick_template(none, "en"));
    json_decref(t);
    json_decref(only);
    json_decref(none);
}

static void test_guess(void **state)
{
    (void)state;
    assert_string_equal(sb_ah_guess_locale("Здравствуйте, у меня не работает VPN"), "ru");
    assert_string_equal(sb_ah_guess_locale("Hello, the VPN is down"), "en");
    assert_string_equal(sb_ah_guess_locale(""), "en");
    assert_string_equal(sb_ah_guess_locale(NULL), "en");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_promise_forms),
        cmocka_unit_test(test_render),
        cmocka_unit_test(test_pick),
        cmocka_unit_test(test_guess),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
