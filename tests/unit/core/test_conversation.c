/* Unit tests for core/conversation: statuses, transitions, inbound effect,
 * urgent reasons and queue ordering. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/conversation.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* ------------------------------------------------------------------------ */
/* Names                                                                    */
/* ------------------------------------------------------------------------ */

static const struct {
    sb_status status;
    const char *name;
} status_names[] = {
    {SB_STATUS_OPEN, "open"},       {SB_STATUS_PENDING, "pending"},
    {SB_STATUS_ON_HOLD, "on_hold"}, {SB_STATUS_SOLVED, "solved"},
    {SB_STATUS_CLOSED, "closed"},
};

static const struct {
    sb_priority priority;
    const char *name;
} priority_names[] = {
    {SB_PRIORITY_LOW, "low"},
    {SB_PRIORITY_NORMAL, "normal"},
    {SB_PRIORITY_HIGH, "high"},
    {SB_PRIORITY_URGENT, "urgent"},
};

static void test_enum_counts(void **state)
{
    (void)state;
    assert_int_equal(SB_STATUS_COUNT, 5);
    assert_int_equal(SB_PRIORITY_COUNT, 4);
    assert_int_equal(ARRAY_LEN(status_names), SB_STATUS_COUNT);
    assert_int_equal(ARRAY_LEN(priority_names), SB_PRIORITY_COUNT);
}

static void test_status_names(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_LEN(status_names); i++) {
        const char *n = sb_status_name(status_names[i].status);
        assert_non_null(n);
        assert_string_equal(n, status_names[i].name);
    }
}

static void test_status_round_trip(void **state)
{
    (void)state;
    for (int s = 0; s < SB_STATUS_COUNT; s++) {
        const char *n = sb_status_name((sb_status)s);
        assert_non_null(n);
        assert_int_equal(sb_status_parse(n), s);
    }
    for (size_t i = 0; i < ARRAY_LEN(status_names); i++)
        assert_int_equal(sb_status_parse(status_names[i].name), status_names[i].status);
}

static void test_status_names_distinct(void **state)
{
    (void)state;
    for (int a = 0; a < SB_STATUS_COUNT; a++)
        for (int b = a + 1; b < SB_STATUS_COUNT; b++)
            assert_string_not_equal(sb_status_name((sb_status)a), sb_status_name((sb_status)b));
}

static void test_status_name_out_of_range(void **state)
{
    (void)state;
    assert_null(sb_status_name(SB_STATUS_COUNT));
    assert_null(sb_status_name((sb_status)(SB_STATUS_COUNT + 1)));
    assert_null(sb_status_name((sb_status)-1));
    assert_null(sb_status_name((sb_status)1000));
}

static void test_status_parse_unknown(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "",         "Open",     "OPEN",      "opened",  "ope",       " open",
        "open ",    "on-hold",  "on hold",   "onhold",  "On_Hold",   "resolved",
        "new",      "closed\n", "solved ",   "0",       "urgent",    "low",
        "pendings", "close",    "openclosed",
    };
    for (size_t i = 0; i < ARRAY_LEN(bad); i++)
        assert_int_equal(sb_status_parse(bad[i]), -1);
    assert_int_equal(sb_status_parse(NULL), -1);
}

static void test_priority_names(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_LEN(priority_names); i++) {
        const char *n = sb_priority_name(priority_names[i].priority);
        assert_non_null(n);
        assert_string_equal(n, priority_names[i].name);
    }
}

static void test_priority_round_trip(void **state)
{
    (void)state;
    for (int p = 0; p < SB_PRIORITY_COUNT; p++) {
        const char *n = sb_priority_name((sb_priority)p);
        assert_non_null(n);
        assert_int_equal(sb_priority_parse(n), p);
    }
    for (size_t i = 0; i < ARRAY_LEN(priority_names); i++)
        assert_int_equal(sb_priority_parse(priority_names[i].name), priority_names[i].priority);
}

static void test_priority_names_distinct(void **state)
{
    (void)state;
    for (int a = 0; a < SB_PRIORITY_COUNT; a++)
        for (int b = a + 1; b < SB_PRIORITY_COUNT; b++)
            assert_string_not_equal(sb_priority_name((sb_priority)a),
                                    sb_priority_name((sb_priority)b));
}

static void test_priority_name_out_of_range(void **state)
{
    (void)state;
    assert_null(sb_priority_name(SB_PRIORITY_COUNT));
    assert_null(sb_priority_name((sb_priority)(SB_PRIORITY_COUNT + 1)));
    assert_null(sb_priority_name((sb_priority)-1));
    assert_null(sb_priority_name((sb_priority)1000));
}

static void test_priority_parse_unknown(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "",       "Low",     "URGENT", "urgent ", " urgent", "urg",    "critical",
        "medium", "highest", "norm",   "3",       "open",    "closed", "urgent\n",
    };
    for (size_t i = 0; i < ARRAY_LEN(bad); i++)
        assert_int_equal(sb_priority_parse(bad[i]), -1);
    assert_int_equal(sb_priority_parse(NULL), -1);
}

/* ------------------------------------------------------------------------ */
/* Status transitions                                                       */
/* ------------------------------------------------------------------------ */

/* expected[from][to], all 25 pairs spelt out. */
static const bool expected_transitions[SB_STATUS_COUNT][SB_STATUS_COUNT] = {
    /*                     open   pending on_hold solved closed */
    [SB_STATUS_OPEN]    = {true,  true,  true,  true,  false},
    [SB_STATUS_PENDING] = {true,  true,  true,  true,  false},
    [SB_STATUS_ON_HOLD] = {true,  true,  true,  true,  false},
    [SB_STATUS_SOLVED]  = {true,  false, false, true,  true},
    [SB_STATUS_CLOSED]  = {false, false, false, false, true},
};

static void test_transition_matrix(void **state)
{
    (void)state;
    int checked = 0, legal = 0;
    for (int from = 0; from < SB_STATUS_COUNT; from++) {
        for (int to = 0; to < SB_STATUS_COUNT; to++) {
            bool got = sb_status_transition_allowed((sb_status)from, (sb_status)to);
            if (got != expected_transitions[from][to])
                fail_msg("transition %s -> %s: expected %s, got %s",
                         sb_status_name((sb_status)from), sb_status_name((sb_status)to),
                         expected_transitions[from][to] ? "allowed" : "rejected",
                         got ? "allowed" : "rejected");
            checked++;
            legal += got;
        }
    }
    assert_int_equal(checked, 25);
    /* 5 no-ops + open 3 + pending 3 + on_hold 3 + solved 2 + closed 0 */
    assert_int_equal(legal, 16);
}

static void test_transition_same_is_noop(void **state)
{
    (void)state;
    for (int s = 0; s < SB_STATUS_COUNT; s++)
        assert_true(sb_status_transition_allowed((sb_status)s, (sb_status)s));
}

static void test_transition_explicit_pairs(void **state)
{
    (void)state;
    /* Legal, non-trivial. */
    assert_true(sb_status_transition_allowed(SB_STATUS_OPEN, SB_STATUS_PENDING));
    assert_true(sb_status_transition_allowed(SB_STATUS_OPEN, SB_STATUS_ON_HOLD));
    assert_true(sb_status_transition_allowed(SB_STATUS_OPEN, SB_STATUS_SOLVED));
    assert_true(sb_status_transition_allowed(SB_STATUS_PENDING, SB_STATUS_OPEN));
    assert_true(sb_status_transition_allowed(SB_STATUS_PENDING, SB_STATUS_ON_HOLD));
    assert_true(sb_status_transition_allowed(SB_STATUS_PENDING, SB_STATUS_SOLVED));
    assert_true(sb_status_transition_allowed(SB_STATUS_ON_HOLD, SB_STATUS_OPEN));
    assert_true(sb_status_transition_allowed(SB_STATUS_ON_HOLD, SB_STATUS_PENDING));
    assert_true(sb_status_transition_allowed(SB_STATUS_ON_HOLD, SB_STATUS_SOLVED));
    assert_true(sb_status_transition_allowed(SB_STATUS_SOLVED, SB_STATUS_OPEN));
    assert_true(sb_status_transition_allowed(SB_STATUS_SOLVED, SB_STATUS_CLOSED));

    /* Only solved may be closed. */
    assert_false(sb_status_transition_allowed(SB_STATUS_OPEN, SB_STATUS_CLOSED));
    assert_false(sb_status_transition_allowed(SB_STATUS_PENDING, SB_STATUS_CLOSED));
    assert_false(sb_status_transition_allowed(SB_STATUS_ON_HOLD, SB_STATUS_CLOSED));

    /* Solved reopens only to open. */
    assert_false(sb_status_transition_allowed(SB_STATUS_SOLVED, SB_STATUS_PENDING));
    assert_false(sb_status_transition_allowed(SB_STATUS_SOLVED, SB_STATUS_ON_HOLD));

    /* Closed is final. */
    assert_false(sb_status_transition_allowed(SB_STATUS_CLOSED, SB_STATUS_OPEN));
    assert_false(sb_status_transition_allowed(SB_STATUS_CLOSED, SB_STATUS_PENDING));
    assert_false(sb_status_transition_allowed(SB_STATUS_CLOSED, SB_STATUS_ON_HOLD));
    assert_false(sb_status_transition_allowed(SB_STATUS_CLOSED, SB_STATUS_SOLVED));
}

static void test_transition_closed_is_final(void **state)
{
    (void)state;
    for (int to = 0; to < SB_STATUS_COUNT; to++) {
        if (to == SB_STATUS_CLOSED)
            continue;
        assert_false(sb_status_transition_allowed(SB_STATUS_CLOSED, (sb_status)to));
    }
}

static void test_transition_every_status_can_reach_closed(void **state)
{
    (void)state;
    /* Reachability over the graph: every status can get to closed, and closed
     * (apart from itself) reaches nothing. */
    for (int start = 0; start < SB_STATUS_COUNT; start++) {
        bool seen[SB_STATUS_COUNT] = {false};
        seen[start] = true;
        bool changed = true;
        while (changed) {
            changed = false;
            for (int a = 0; a < SB_STATUS_COUNT; a++)
                if (seen[a])
                    for (int b = 0; b < SB_STATUS_COUNT; b++)
                        if (!seen[b] && sb_status_transition_allowed((sb_status)a, (sb_status)b)) {
                            seen[b] = true;
                            changed = true;
                        }
        }
        assert_true(seen[SB_STATUS_CLOSED]);
        if (start == SB_STATUS_CLOSED)
            for (int b = 0; b < SB_STATUS_CLOSED; b++)
                assert_false(seen[b]);
    }
}

static void test_transition_out_of_range(void **state)
{
    (void)state;
    static const int bad[] = {SB_STATUS_COUNT, SB_STATUS_COUNT + 1, -1, -100, 1000, INT32_MAX};
    for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
        sb_status b = (sb_status)bad[i];
        for (int s = 0; s < SB_STATUS_COUNT; s++) {
            assert_false(sb_status_transition_allowed(b, (sb_status)s));
            assert_false(sb_status_transition_allowed((sb_status)s, b));
        }
        /* An out-of-range value is not a legal no-op either. */
        assert_false(sb_status_transition_allowed(b, b));
        for (size_t j = 0; j < ARRAY_LEN(bad); j++)
            assert_false(sb_status_transition_allowed(b, (sb_status)bad[j]));
    }
}

/* ------------------------------------------------------------------------ */
/* Inbound effect                                                           */
/* ------------------------------------------------------------------------ */

static void test_inbound_effect_each_status(void **state)
{
    (void)state;
    assert_int_equal(sb_inbound_effect_for(SB_STATUS_OPEN), SB_INBOUND_KEEP);
    assert_int_equal(sb_inbound_effect_for(SB_STATUS_PENDING), SB_INBOUND_REOPEN);
    assert_int_equal(sb_inbound_effect_for(SB_STATUS_ON_HOLD), SB_INBOUND_KEEP);
    assert_int_equal(sb_inbound_effect_for(SB_STATUS_SOLVED), SB_INBOUND_REOPEN);
    assert_int_equal(sb_inbound_effect_for(SB_STATUS_CLOSED), SB_INBOUND_NEW_CONVERSATION);
}

static void test_inbound_effect_table(void **state)
{
    (void)state;
    static const sb_inbound_effect expected[SB_STATUS_COUNT] = {
        [SB_STATUS_OPEN] = SB_INBOUND_KEEP,
        [SB_STATUS_PENDING] = SB_INBOUND_REOPEN,
        [SB_STATUS_ON_HOLD] = SB_INBOUND_KEEP,
        [SB_STATUS_SOLVED] = SB_INBOUND_REOPEN,
        [SB_STATUS_CLOSED] = SB_INBOUND_NEW_CONVERSATION,
    };
    int keep = 0, reopen = 0, fresh = 0;
    for (int s = 0; s < SB_STATUS_COUNT; s++) {
        sb_inbound_effect e = sb_inbound_effect_for((sb_status)s);
        if (e != expected[s])
            fail_msg("inbound on %s: expected %d, got %d", sb_status_name((sb_status)s),
                     (int)expected[s], (int)e);
        keep += e == SB_INBOUND_KEEP;
        reopen += e == SB_INBOUND_REOPEN;
        fresh += e == SB_INBOUND_NEW_CONVERSATION;
    }
    assert_int_equal(keep, 2);
    assert_int_equal(reopen, 2);
    assert_int_equal(fresh, 1);
}

static void test_inbound_reopen_is_a_legal_transition(void **state)
{
    (void)state;
    /* Whenever an inbound message reopens a conversation, the implied
     * status change to open must itself be legal. */
    for (int s = 0; s < SB_STATUS_COUNT; s++)
        if (sb_inbound_effect_for((sb_status)s) == SB_INBOUND_REOPEN)
            assert_true(sb_status_transition_allowed((sb_status)s, SB_STATUS_OPEN));
    /* And a closed conversation, which cannot be reopened, starts a new one. */
    assert_false(sb_status_transition_allowed(SB_STATUS_CLOSED, SB_STATUS_OPEN));
    assert_int_equal(sb_inbound_effect_for(SB_STATUS_CLOSED), SB_INBOUND_NEW_CONVERSATION);
}

static void test_inbound_effect_values(void **state)
{
    (void)state;
    assert_int_equal(SB_INBOUND_KEEP, 0);
    assert_int_not_equal(SB_INBOUND_KEEP, SB_INBOUND_REOPEN);
    assert_int_not_equal(SB_INBOUND_KEEP, SB_INBOUND_NEW_CONVERSATION);
    assert_int_not_equal(SB_INBOUND_REOPEN, SB_INBOUND_NEW_CONVERSATION);
}

/* ------------------------------------------------------------------------ */
/* Urgent needs a reason                                                    */
/* ------------------------------------------------------------------------ */

static void test_urgent_reason_missing(void **state)
{
    (void)state;
    assert_false(sb_priority_reason_ok(SB_PRIORITY_URGENT, NULL));
    assert_false(sb_priority_reason_ok(SB_PRIORITY_URGENT, ""));
}

static void test_urgent_reason_whitespace_only(void **state)
{
    (void)state;
    static const char *const blank[] = {
        " ", "  ", "\t", "\n", "\r", "\r\n", " \t \n ", "\t\t\t", "\n\n", "   \r\n\t  ",
    };
    for (size_t i = 0; i < ARRAY_LEN(blank); i++)
        if (sb_priority_reason_ok(SB_PRIORITY_URGENT, blank[i]))
            fail_msg("whitespace-only reason #%zu accepted for urgent", i);
}

static void test_urgent_reason_real(void **state)
{
    (void)state;
    static const char *const good[] = {
        "Production is down",
        "x",
        ".",
        "0",
        " customer's payroll run blocked ",
        "\tVIP\n",
        "   a",
        "a   ",
        "\r\n\t!",
        "Срочно: сервис недоступен",
    };
    for (size_t i = 0; i < ARRAY_LEN(good); i++)
        if (!sb_priority_reason_ok(SB_PRIORITY_URGENT, good[i]))
            fail_msg("reason \"%s\" rejected for urgent", good[i]);
}

static void test_urgent_reason_long(void **state)
{
    (void)state;
    char buf[4097];
    memset(buf, ' ', sizeof buf - 1);
    buf[sizeof buf - 1] = '\0';
    assert_false(sb_priority_reason_ok(SB_PRIORITY_URGENT, buf));
    buf[sizeof buf - 2] = 'z'; /* one real character at the very end */
    assert_true(sb_priority_reason_ok(SB_PRIORITY_URGENT, buf));
}

static void test_non_urgent_needs_no_reason(void **state)
{
    (void)state;
    static const sb_priority others[] = {SB_PRIORITY_LOW, SB_PRIORITY_NORMAL, SB_PRIORITY_HIGH};
    static const char *const reasons[] = {NULL, "", " ", "\t\n", "some reason"};
    for (size_t i = 0; i < ARRAY_LEN(others); i++)
        for (size_t j = 0; j < ARRAY_LEN(reasons); j++)
            if (!sb_priority_reason_ok(others[i], reasons[j]))
                fail_msg("priority %s rejected with reason #%zu", sb_priority_name(others[i]), j);
}

static void test_reason_only_urgent_is_strict(void **state)
{
    (void)state;
    /* With no reason, exactly one priority (urgent) is refused. */
    int refused = 0;
    for (int p = 0; p < SB_PRIORITY_COUNT; p++)
        if (!sb_priority_reason_ok((sb_priority)p, NULL)) {
            refused++;
            assert_int_equal(p, SB_PRIORITY_URGENT);
        }
    assert_int_equal(refused, 1);
}

/* ------------------------------------------------------------------------ */
/* Queue rank and order                                                     */
/* ------------------------------------------------------------------------ */

static void test_queue_rank(void **state)
{
    (void)state;
    assert_int_equal(sb_queue_rank(SB_PRIORITY_URGENT), 0);
    assert_int_equal(sb_queue_rank(SB_PRIORITY_HIGH), 1);
    assert_int_equal(sb_queue_rank(SB_PRIORITY_NORMAL), 1);
    assert_int_equal(sb_queue_rank(SB_PRIORITY_LOW), 1);
}

static int sign(int v)
{
    return (v > 0) - (v < 0);
}

static int qsort_keys(const void *a, const void *b)
{
    return sb_queue_compare(a, b);
}

static void test_queue_compare_urgent_first(void **state)
{
    (void)state;
    sb_queue_key urgent_new = {SB_PRIORITY_URGENT, 1000};
    static const sb_priority others[] = {SB_PRIORITY_LOW, SB_PRIORITY_NORMAL, SB_PRIORITY_HIGH};
    for (size_t i = 0; i < ARRAY_LEN(others); i++) {
        sb_queue_key old = {others[i], 1};
        /* A newer urgent conversation still comes before an older non-urgent one. */
        assert_true(sb_queue_compare(&urgent_new, &old) < 0);
        assert_true(sb_queue_compare(&old, &urgent_new) > 0);
    }
}

static void test_queue_compare_fifo_within_rank(void **state)
{
    (void)state;
    for (int p = 0; p < SB_PRIORITY_COUNT; p++) {
        sb_queue_key older = {(sb_priority)p, 10};
        sb_queue_key newer = {(sb_priority)p, 11};
        assert_true(sb_queue_compare(&older, &newer) < 0);
        assert_true(sb_queue_compare(&newer, &older) > 0);
    }
    sb_queue_key u1 = {SB_PRIORITY_URGENT, 5}, u2 = {SB_PRIORITY_URGENT, 7};
    assert_true(sb_queue_compare(&u1, &u2) < 0);
}

static void test_queue_compare_non_urgent_do_not_jump(void **state)
{
    (void)state;
    /* high/normal/low are all the same rank: the older one always wins,
     * whatever the priorities. */
    static const sb_priority others[] = {SB_PRIORITY_LOW, SB_PRIORITY_NORMAL, SB_PRIORITY_HIGH};
    for (size_t i = 0; i < ARRAY_LEN(others); i++) {
        for (size_t j = 0; j < ARRAY_LEN(others); j++) {
            sb_queue_key older = {others[i], 100};
            sb_queue_key newer = {others[j], 200};
            if (sb_queue_compare(&older, &newer) >= 0)
                fail_msg("%s#200 jumped ahead of older %s#100", sb_priority_name(others[j]),
                         sb_priority_name(others[i]));
            assert_true(sb_queue_compare(&newer, &older) > 0);
        }
    }
}

static void test_queue_compare_ties(void **state)
{
    (void)state;
    /* Same key: equal. */
    for (int p = 0; p < SB_PRIORITY_COUNT; p++) {
        sb_queue_key a = {(sb_priority)p, 42}, b = {(sb_priority)p, 42};
        assert_int_equal(sb_queue_compare(&a, &b), 0);
        assert_int_equal(sb_queue_compare(&a, &a), 0);
    }
    /* Same id, different non-urgent priorities: same rank, so equal. */
    sb_queue_key lo = {SB_PRIORITY_LOW, 7}, hi = {SB_PRIORITY_HIGH, 7};
    sb_queue_key no = {SB_PRIORITY_NORMAL, 7};
    assert_int_equal(sb_queue_compare(&lo, &hi), 0);
    assert_int_equal(sb_queue_compare(&hi, &no), 0);
    assert_int_equal(sb_queue_compare(&no, &lo), 0);
    /* Same id, urgent vs non-urgent: urgent first. */
    sb_queue_key ur = {SB_PRIORITY_URGENT, 7};
    assert_true(sb_queue_compare(&ur, &hi) < 0);
    assert_true(sb_queue_compare(&lo, &ur) > 0);
}

static void test_queue_compare_extreme_ids(void **state)
{
    (void)state;
    /* No subtraction overflow at the ends of the int64 range. */
    sb_queue_key min = {SB_PRIORITY_NORMAL, INT64_MIN};
    sb_queue_key max = {SB_PRIORITY_NORMAL, INT64_MAX};
    sb_queue_key zero = {SB_PRIORITY_NORMAL, 0};
    assert_true(sb_queue_compare(&min, &max) < 0);
    assert_true(sb_queue_compare(&max, &min) > 0);
    assert_true(sb_queue_compare(&min, &zero) < 0);
    assert_true(sb_queue_compare(&zero, &max) < 0);
    sb_queue_key umax = {SB_PRIORITY_URGENT, INT64_MAX};
    assert_true(sb_queue_compare(&umax, &min) < 0);
    sb_queue_key a = {SB_PRIORITY_LOW, INT64_MAX - 1}, b = {SB_PRIORITY_LOW, INT64_MAX};
    assert_true(sb_queue_compare(&a, &b) < 0);
    sb_queue_key c = {SB_PRIORITY_LOW, INT64_MIN}, d = {SB_PRIORITY_LOW, INT64_MIN + 1};
    assert_true(sb_queue_compare(&c, &d) < 0);
}

static const sb_queue_key property_keys[] = {
    {SB_PRIORITY_LOW, 1},      {SB_PRIORITY_NORMAL, 1},   {SB_PRIORITY_HIGH, 1},
    {SB_PRIORITY_URGENT, 1},   {SB_PRIORITY_LOW, 2},      {SB_PRIORITY_URGENT, 2},
    {SB_PRIORITY_HIGH, 3},     {SB_PRIORITY_URGENT, 50},  {SB_PRIORITY_NORMAL, 50},
    {SB_PRIORITY_LOW, -5},     {SB_PRIORITY_URGENT, -5},  {SB_PRIORITY_HIGH, INT64_MAX},
    {SB_PRIORITY_LOW, INT64_MIN}, {SB_PRIORITY_URGENT, INT64_MAX},
};

static void test_queue_compare_is_a_total_preorder(void **state)
{
    (void)state;
    size_t n = ARRAY_LEN(property_keys);
    for (size_t i = 0; i < n; i++) {
        const sb_queue_key *a = &property_keys[i];
        assert_int_equal(sb_queue_compare(a, a), 0); /* reflexive */
        for (size_t j = 0; j < n; j++) {
            const sb_queue_key *b = &property_keys[j];
            int ab = sign(sb_queue_compare(a, b));
            int ba = sign(sb_queue_compare(b, a));
            assert_int_equal(ab, -ba); /* antisymmetric */
            for (size_t k = 0; k < n; k++) {
                const sb_queue_key *c = &property_keys[k];
                int bc = sign(sb_queue_compare(b, c));
                int ac = sign(sb_queue_compare(a, c));
                if (ab <= 0 && bc <= 0)
                    assert_true(ac <= 0); /* transitive */
                if (ab == 0 && bc == 0)
                    assert_int_equal(ac, 0);
            }
        }
    }
}

static void assert_keys_equal(const sb_queue_key *got, const sb_queue_key *want, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (got[i].priority != want[i].priority || got[i].id != want[i].id)
            fail_msg("queue position %zu: expected %s#%lld, got %s#%lld", i,
                     sb_priority_name(want[i].priority), (long long)want[i].id,
                     sb_priority_name(got[i].priority), (long long)got[i].id);
}

static void test_queue_sort_full_order(void **state)
{
    (void)state;
    sb_queue_key keys[] = {
        {SB_PRIORITY_NORMAL, 8}, {SB_PRIORITY_LOW, 3},    {SB_PRIORITY_URGENT, 12},
        {SB_PRIORITY_HIGH, 10},  {SB_PRIORITY_NORMAL, 1}, {SB_PRIORITY_URGENT, 4},
        {SB_PRIORITY_LOW, 11},   {SB_PRIORITY_HIGH, 2},   {SB_PRIORITY_URGENT, 9},
        {SB_PRIORITY_NORMAL, 5}, {SB_PRIORITY_HIGH, 7},   {SB_PRIORITY_LOW, 6},
    };
    static const sb_queue_key want[] = {
        /* urgent first, oldest first */
        {SB_PRIORITY_URGENT, 4}, {SB_PRIORITY_URGENT, 9}, {SB_PRIORITY_URGENT, 12},
        /* then everyone else strictly by age, regardless of high/normal/low */
        {SB_PRIORITY_NORMAL, 1}, {SB_PRIORITY_HIGH, 2},   {SB_PRIORITY_LOW, 3},
        {SB_PRIORITY_NORMAL, 5}, {SB_PRIORITY_LOW, 6},    {SB_PRIORITY_HIGH, 7},
        {SB_PRIORITY_NORMAL, 8}, {SB_PRIORITY_HIGH, 10},  {SB_PRIORITY_LOW, 11},
    };
    assert_int_equal(ARRAY_LEN(keys), ARRAY_LEN(want));
    qsort(keys, ARRAY_LEN(keys), sizeof keys[0], qsort_keys);
    assert_keys_equal(keys, want, ARRAY_LEN(want));
}

static void test_queue_sort_already_sorted_and_reversed(void **state)
{
    (void)state;
    static const sb_queue_key want[] = {
        {SB_PRIORITY_URGENT, 20}, {SB_PRIORITY_URGENT, 21}, {SB_PRIORITY_LOW, 1},
        {SB_PRIORITY_HIGH, 2},    {SB_PRIORITY_NORMAL, 3},  {SB_PRIORITY_LOW, 4},
    };
    size_t n = ARRAY_LEN(want);
    sb_queue_key keys[ARRAY_LEN(want)];

    memcpy(keys, want, sizeof keys);
    qsort(keys, n, sizeof keys[0], qsort_keys);
    assert_keys_equal(keys, want, n);

    for (size_t i = 0; i < n; i++)
        keys[i] = want[n - 1 - i];
    qsort(keys, n, sizeof keys[0], qsort_keys);
    assert_keys_equal(keys, want, n);
}

static void test_queue_sort_only_non_urgent_is_fifo(void **state)
{
    (void)state;
    /* A high conversation created later does not overtake older low ones. */
    sb_queue_key keys[] = {
        {SB_PRIORITY_HIGH, 30}, {SB_PRIORITY_LOW, 10}, {SB_PRIORITY_NORMAL, 20},
        {SB_PRIORITY_HIGH, 40}, {SB_PRIORITY_LOW, 5},
    };
    static const sb_queue_key want[] = {
        {SB_PRIORITY_LOW, 5},   {SB_PRIORITY_LOW, 10},  {SB_PRIORITY_NORMAL, 20},
        {SB_PRIORITY_HIGH, 30}, {SB_PRIORITY_HIGH, 40},
    };
    qsort(keys, ARRAY_LEN(keys), sizeof keys[0], qsort_keys);
    assert_keys_equal(keys, want, ARRAY_LEN(want));
}

static void test_queue_sort_only_urgent_is_fifo(void **state)
{
    (void)state;
    sb_queue_key keys[] = {
        {SB_PRIORITY_URGENT, 9}, {SB_PRIORITY_URGENT, 3}, {SB_PRIORITY_URGENT, 6},
    };
    static const sb_queue_key want[] = {
        {SB_PRIORITY_URGENT, 3}, {SB_PRIORITY_URGENT, 6}, {SB_PRIORITY_URGENT, 9},
    };
    qsort(keys, ARRAY_LEN(keys), sizeof keys[0], qsort_keys);
    assert_keys_equal(keys, want, ARRAY_LEN(want));
}

static void test_queue_sort_with_ties(void **state)
{
    (void)state;
    /* Duplicate ids: the equal keys end up adjacent, urgent ones still first,
     * and the sequence of (rank, id) is non-decreasing. */
    sb_queue_key keys[] = {
        {SB_PRIORITY_LOW, 4},    {SB_PRIORITY_URGENT, 4}, {SB_PRIORITY_HIGH, 4},
        {SB_PRIORITY_NORMAL, 2}, {SB_PRIORITY_URGENT, 4}, {SB_PRIORITY_LOW, 2},
        {SB_PRIORITY_URGENT, 1},
    };
    size_t n = ARRAY_LEN(keys);
    qsort(keys, n, sizeof keys[0], qsort_keys);

    assert_int_equal(keys[0].priority, SB_PRIORITY_URGENT);
    assert_int_equal(keys[0].id, 1);
    assert_int_equal(keys[1].priority, SB_PRIORITY_URGENT);
    assert_int_equal(keys[1].id, 4);
    assert_int_equal(keys[2].priority, SB_PRIORITY_URGENT);
    assert_int_equal(keys[2].id, 4);
    /* ids 2, 2 (normal/low in either order), then 4, 4 (high/low in either order) */
    assert_int_equal(keys[3].id, 2);
    assert_int_equal(keys[4].id, 2);
    assert_int_equal(keys[5].id, 4);
    assert_int_equal(keys[6].id, 4);
    for (size_t i = 3; i < n; i++)
        assert_int_not_equal(keys[i].priority, SB_PRIORITY_URGENT);
    assert_true((keys[3].priority == SB_PRIORITY_NORMAL && keys[4].priority == SB_PRIORITY_LOW) ||
                (keys[3].priority == SB_PRIORITY_LOW && keys[4].priority == SB_PRIORITY_NORMAL));
    assert_true((keys[5].priority == SB_PRIORITY_HIGH && keys[6].priority == SB_PRIORITY_LOW) ||
                (keys[5].priority == SB_PRIORITY_LOW && keys[6].priority == SB_PRIORITY_HIGH));
    for (size_t i = 1; i < n; i++)
        assert_true(sb_queue_compare(&keys[i - 1], &keys[i]) <= 0);
}

/* Deterministic xorshift so the shuffle test is reproducible. */
static uint64_t rng_next(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return *s = x;
}

static void test_queue_sort_shuffled(void **state)
{
    (void)state;
    enum { N = 200 };
    sb_queue_key want[N], keys[N];
    /* Build the expected queue: ids 1..N; every 7th is urgent. Urgent ones
     * first by id, then the others by id. */
    size_t w = 0;
    for (int pass = 0; pass < 2; pass++)
        for (int id = 1; id <= N; id++) {
            bool urgent = id % 7 == 0;
            if (urgent != (pass == 0))
                continue;
            want[w].id = id;
            want[w].priority = urgent ? SB_PRIORITY_URGENT : (sb_priority)(id % 3);
            w++;
        }
    assert_int_equal(w, N);

    uint64_t seed = 0x9E3779B97F4A7C15u;
    for (int round = 0; round < 25; round++) {
        memcpy(keys, want, sizeof keys);
        for (size_t i = N - 1; i > 0; i--) {
            size_t j = (size_t)(rng_next(&seed) % (i + 1));
            sb_queue_key t = keys[i];
            keys[i] = keys[j];
            keys[j] = t;
        }
        qsort(keys, N, sizeof keys[0], qsort_keys);
        assert_keys_equal(keys, want, N);
    }
}

static void test_queue_sort_single_and_empty(void **state)
{
    (void)state;
    sb_queue_key one[] = {{SB_PRIORITY_LOW, 99}};
    qsort(one, 1, sizeof one[0], qsort_keys);
    assert_int_equal(one[0].priority, SB_PRIORITY_LOW);
    assert_int_equal(one[0].id, 99);
    qsort(one, 0, sizeof one[0], qsort_keys);
    assert_int_equal(one[0].id, 99);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_enum_counts),
        cmocka_unit_test(test_status_names),
        cmocka_unit_test(test_status_round_trip),
        cmocka_unit_test(test_status_names_distinct),
        cmocka_unit_test(test_status_name_out_of_range),
        cmocka_unit_test(test_status_parse_unknown),
        cmocka_unit_test(test_priority_names),
        cmocka_unit_test(test_priority_round_trip),
        cmocka_unit_test(test_priority_names_distinct),
        cmocka_unit_test(test_priority_name_out_of_range),
        cmocka_unit_test(test_priority_parse_unknown),
        cmocka_unit_test(test_transition_matrix),
        cmocka_unit_test(test_transition_same_is_noop),
        cmocka_unit_test(test_transition_explicit_pairs),
        cmocka_unit_test(test_transition_closed_is_final),
        cmocka_unit_test(test_transition_every_status_can_reach_closed),
        cmocka_unit_test(test_transition_out_of_range),
        cmocka_unit_test(test_inbound_effect_each_status),
        cmocka_unit_test(test_inbound_effect_table),
        cmocka_unit_test(test_inbound_reopen_is_a_legal_transition),
        cmocka_unit_test(test_inbound_effect_values),
        cmocka_unit_test(test_urgent_reason_missing),
        cmocka_unit_test(test_urgent_reason_whitespace_only),
        cmocka_unit_test(test_urgent_reason_real),
        cmocka_unit_test(test_urgent_reason_long),
        cmocka_unit_test(test_non_urgent_needs_no_reason),
        cmocka_unit_test(test_reason_only_urgent_is_strict),
        cmocka_unit_test(test_queue_rank),
        cmocka_unit_test(test_queue_compare_urgent_first),
        cmocka_unit_test(test_queue_compare_fifo_within_rank),
        cmocka_unit_test(test_queue_compare_non_urgent_do_not_jump),
        cmocka_unit_test(test_queue_compare_ties),
        cmocka_unit_test(test_queue_compare_extreme_ids),
        cmocka_unit_test(test_queue_compare_is_a_total_preorder),
        cmocka_unit_test(test_queue_sort_full_order),
        cmocka_unit_test(test_queue_sort_already_sorted_and_reversed),
        cmocka_unit_test(test_queue_sort_only_non_urgent_is_fifo),
        cmocka_unit_test(test_queue_sort_only_urgent_is_fifo),
        cmocka_unit_test(test_queue_sort_with_ties),
        cmocka_unit_test(test_queue_sort_shuffled),
        cmocka_unit_test(test_queue_sort_single_and_empty),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
