/* Report arithmetic: percentiles against a sorted reference on random data, age buckets at
 * their edges, local days/hours/weekdays across offsets, dates, CSAT score, trend, CSV fields. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/reports.h"

static int cmp64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static void test_percentile_small(void **state)
{
    (void)state;
    int64_t out = 0;
    assert_false(sb_rep_percentile(NULL, 0, 50, &out));
    int64_t one[] = {42};
    assert_true(sb_rep_percentile(one, 1, 50, &out));
    assert_int_equal(out, 42);
    int64_t two[] = {9, 3};
    assert_true(sb_rep_percentile(two, 2, 50, &out));
    assert_int_equal(out, 3); /* lower middle */
    int64_t four[] = {40, 10, 30, 20};
    assert_true(sb_rep_percentile(four, 4, 90, &out));
    assert_int_equal(out, 40); /* ceil(3.6) = 4th */
    int64_t ten[] = {10, 9, 8, 7, 6, 5, 4, 3, 2, 1};
    assert_true(sb_rep_percentile(ten, 10, 90, &out));
    assert_int_equal(out, 9);
    assert_true(sb_rep_percentile(ten, 10, 50, &out));
    assert_int_equal(out, 5);
    assert_true(sb_rep_percentile(ten, 10, 100, &out));
    assert_int_equal(out, 10);
    assert_false(sb_rep_percentile(ten, 10, 0, &out));
}

static void test_percentile_random(void **state)
{
    (void)state;
    srand(7);
    for (int round = 0; round < 300; round++) {
        size_t n = 1 + (size_t)(rand() % 500);
        int spread = round % 3 == 0 ? 3 : 100000; /* many duplicates, or few */
        int64_t *v = malloc(n * sizeof *v), *ref = malloc(n * sizeof *ref);
        assert_non_null(v);
        assert_non_null(ref);
        for (size_t i = 0; i < n; i++)
            v[i] = ref[i] = rand() % spread - spread / 4;
        qsort(ref, n, sizeof *ref, cmp64);
        static const int pcts[] = {1, 50, 90, 99, 100};
        for (size_t p = 0; p < 5; p++) {
            int64_t out;
            size_t rank = (pcts[p] * n + 99) / 100;
            assert_true(sb_rep_percentile(v, n, pcts[p], &out));
            assert_int_equal(out, ref[rank - 1]);
        }
        free(v);
        free(ref);
    }
}

static void test_age_buckets(void **state)
{
    (void)state;
    assert_int_equal(sb_rep_age_bucket(0), 0);
    assert_int_equal(sb_rep_age_bucket(3599), 0);
    assert_int_equal(sb_rep_age_bucket(3600), 1);
    assert_int_equal(sb_rep_age_bucket(4 * 3600 - 1), 1);
    assert_int_equal(sb_rep_age_bucket(4 * 3600), 2);
    assert_int_equal(sb_rep_age_bucket(86400), 3);
    assert_int_equal(sb_rep_age_bucket(3 * 86400), 4);
    assert_int_equal(sb_rep_age_bucket(7 * 86400 - 1), 4);
    assert_int_equal(sb_rep_age_bucket(7 * 86400), 5);
    assert_int_equal(sb_rep_age_bucket(-5), 0); /* a clock moved back: counts as new */
    assert_string_equal(sb_rep_age_label(0), "<1h");
    assert_string_equal(sb_rep_age_label(5), ">7d");
    assert_string_equal(sb_rep_age_label(6), "?");
}

static void test_local_time(void **state)
{
    (void)state;
    /* 2026-03-02T00:30:00Z is a Monday */
    int64_t t = 1772411400;
    assert_int_equal(sb_rep_local_day(t, 0), 20514);
    assert_int_equal(sb_rep_weekday(20514), 0);
    int y, m, d;
    sb_rep_civil(20514, &y, &m, &d);
    assert_int_equal(y, 2026);
    assert_int_equal(m, 3);
    assert_int_equal(d, 2);
    /* New York (-5h): still Sunday 1 March, 19:30 */
    int64_t day = sb_rep_local_day(t, -5 * 3600);
    assert_int_equal(sb_rep_weekday(day), 6);
    sb_rep_civil(day, &y, &m, &d);
    assert_int_equal(d, 1);
    assert_int_equal(sb_rep_local_hour(t, -5 * 3600) % 24, 19);
    /* Kathmandu (+5:45): 06:15 */
    assert_int_equal(sb_rep_local_hour(t, 5 * 3600 + 45 * 60) % 24, 6);
    /* before the epoch */
    assert_int_equal(sb_rep_local_day(-1, 0), -1);
    assert_int_equal(sb_rep_weekday(-1), 2); /* 1969-12-31 was a Wednesday */
    sb_rep_civil(-1, &y, &m, &d);
    assert_int_equal(y, 1969);
    assert_int_equal(m, 12);
    assert_int_equal(d, 31);
    sb_rep_civil(19782, &y, &m, &d); /* 2024-02-29 */
    assert_int_equal(m, 2);
    assert_int_equal(d, 29);
}

static void test_score_and_change(void **state)
{
    (void)state;
    assert_true(sb_rep_csat_score(0, 0, 0, 0) < 0);
    assert_true(sb_rep_csat_score(2, 1, 1, 0) == 0.75);
    double c;
    assert_false(sb_rep_change_percent(5, 0, &c));
    assert_true(sb_rep_change_percent(15, 10, &c));
    assert_true(c == 50.0);
    assert_true(sb_rep_change_percent(1, 3, &c));
    assert_true(c == -66.7);
    assert_true(sb_rep_change_percent(0, 4, &c));
    assert_true(c == -100.0);
}

static void check_csv(const char *in, const char *want)
{
    char out[128];
    size_t n = sb_rep_csv_field(in, out, sizeof out);
    assert_string_equal(out, want);
    assert_int_equal(n, strlen(want));
    assert_true(n <= 2 * strlen(in) + 4);
}

static void test_csv(void **state)
{
    (void)state;
    check_csv("", "");
    check_csv("plain", "plain");
    check_csv("a,b", "\"a,b\"");
    check_csv("say \"hi\"", "\"say \"\"hi\"\"\"");
    check_csv("two\nlines", "\"two\nlines\"");
    check_csv("=1+2", "\"'=1+2\"");
    check_csv("+cmd", "\"'+cmd\"");
    check_csv("-3", "\"'-3\"");
    check_csv("@SUM(A1)", "\"'@SUM(A1)\"");
    check_csv("=\"x\"", "\"'=\"\"x\"\"\"");
    check_csv("a=b", "a=b");
    check_csv("\"", "\"\"\"\"");
    /* truncation behaves like snprintf */
    char small[4];
    assert_int_equal(sb_rep_csv_field("a,bcdef", small, sizeof small), 9);
    assert_string_equal(small, "\"a,");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_percentile_small), cmocka_unit_test(test_percentile_random),
        cmocka_unit_test(test_age_buckets),      cmocka_unit_test(test_local_time),
        cmocka_unit_test(test_score_and_change), cmocka_unit_test(test_csv),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
