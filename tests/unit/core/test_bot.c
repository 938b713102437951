/* Unit tests for core/bot: idf, re-ranking, confidence, hand-off gate. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/bot.h"

static sb_bot_query query(size_t n)
{
    sb_bot_query q = {.nterms = n};
    for (size_t i = 0; i < n; i++)
        q.idf[i] = 1.0;
    return q;
}

static void test_idf(void **state)
{
    assert_true(sb_bot_idf(0, 100) > sb_bot_idf(1, 100));
    assert_true(sb_bot_idf(1, 100) > sb_bot_idf(50, 100));
    assert_true(sb_bot_idf(100, 100) >= 0.05); /* floored */
    assert_true(sb_bot_idf(-3, 0) > 0);        /* nonsense input stays finite */
    assert_true(isfinite(sb_bot_idf(500, 10)));
}

static void test_no_candidates_no_confidence(void **state)
{
    sb_bot_query q = query(2);
    assert_true(sb_bot_rank(&q, NULL, 0) == 0.0);
    sb_bot_query empty = query(0);
    sb_bot_candidate c[1] = {{.bm25 = 1, .len = 10, .tf = {1}, .matched_mask = 1}};
    assert_true(sb_bot_rank(&empty, c, 1) == 0.0);
}

static void test_reranks_by_likelihood(void **state)
{
    sb_bot_query q = query(2);
    sb_bot_candidate c[2] = {
        {.bm25 = 5, .len = 100, .tf = {1, 0}, .matched_mask = 1},  /* retrieval's first */
        {.bm25 = 4, .len = 100, .tf = {8, 6}, .matched_mask = 3},  /* the better match */
    };
    double conf = sb_bot_rank(&q, c, 2);
    assert_true(c[0].tf[0] == 8);          /* sorted best first */
    assert_int_equal(c[0].rank_in, 1);
    assert_true(c[0].score > c[1].score);
    assert_true(conf > 0.5 && conf <= 1.0);
    assert_true(sb_bot_display_score(c, 2, 0, conf) == conf);
    assert_true(sb_bot_display_score(c, 2, 1, conf) < conf);
    assert_true(sb_bot_display_score(c, 2, 5, conf) == 0.0);
}

static void test_ambiguous_is_not_confident(void **state)
{
    sb_bot_query q = query(2);
    sb_bot_candidate c[2] = {
        {.bm25 = 5, .len = 100, .tf = {5, 5}, .matched_mask = 3},
        {.bm25 = 5, .len = 100, .tf = {5, 5}, .matched_mask = 3},
    };
    double conf = sb_bot_rank(&q, c, 2);
    assert_true(fabs(conf - 0.5) < 1e-9); /* two equal answers: a coin toss */
}

static void test_unknown_words_lower_confidence(void **state)
{
    /* The question's rare words (high idf) are not in the article: low coverage. */
    sb_bot_query q = query(3);
    q.idf[1] = q.idf[2] = 5.0;
    sb_bot_candidate c[1] = {{.bm25 = 3, .len = 100, .tf = {9}, .matched_mask = 1}};
    double conf = sb_bot_rank(&q, c, 1);
    assert_true(conf < 0.1);
    sb_bot_query q2 = query(3);
    sb_bot_candidate c2[1] = {{.bm25 = 3, .len = 100, .tf = {9, 3, 2}, .matched_mask = 7}};
    assert_true(sb_bot_rank(&q2, c2, 1) > 0.99);
}

static void test_one_word_questions_are_damped(void **state)
{
    sb_bot_query q = query(1);
    sb_bot_candidate c[1] = {{.bm25 = 3, .len = 100, .tf = {9}, .matched_mask = 1}};
    double conf = sb_bot_rank(&q, c, 1);
    assert_true(fabs(conf - 0.8) < 1e-9);
}

static void test_gate(void **state)
{
    sb_bot_gate g = {.enabled = true, .channel_allowed = true};
    assert_int_equal(sb_bot_may_answer(&g), SB_BOT_MAY_ANSWER);
    g.already_offered = true;
    assert_int_equal(sb_bot_may_answer(&g), SB_BOT_ALREADY_OFFERED);
    g.agent_replied = true;
    assert_int_equal(sb_bot_may_answer(&g), SB_BOT_AGENT_INVOLVED);
    g.urgent = true;
    assert_int_equal(sb_bot_may_answer(&g), SB_BOT_URGENT);
    g.channel_allowed = false;
    assert_int_equal(sb_bot_may_answer(&g), SB_BOT_CHANNEL);
    g.enabled = false;
    assert_int_equal(sb_bot_may_answer(&g), SB_BOT_DISABLED);
    assert_string_equal(sb_bot_verdict_name(SB_BOT_URGENT), "urgent");
    assert_string_equal(sb_bot_verdict_name(SB_BOT_AGENT_INVOLVED), "agent_involved");
    assert_string_equal(sb_bot_verdict_name(SB_BOT_MAY_ANSWER), "may_answer");
    assert_string_equal(sb_bot_verdict_name((sb_bot_verdict)99), "unknown");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_idf),
        cmocka_unit_test(test_no_candidates_no_confidence),
        cmocka_unit_test(test_reranks_by_likelihood),
        cmocka_unit_test(test_ambiguous_is_not_confident),
        cmocka_unit_test(test_unknown_words_lower_confidence),
        cmocka_unit_test(test_one_word_questions_are_damped),
        cmocka_unit_test(test_gate),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
