/* Pure email rules: reply tokens, subject markers, reply subjects, loop protection. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/email_rules.h"

static void test_token_round_trip(void **state)
{
    (void)state;
    char addr[128], sig[SB_REPLY_SIG_LEN + 1];
    assert_int_equal(sb_email_token_address("support@acme.test", 123, "0a1b2c3d4e", addr, sizeof addr), 0);
    assert_string_equal(addr, "support+c123-0a1b2c3d4e@acme.test");
    assert_int_equal(sb_email_token_parse(addr, sig), 123);
    assert_string_equal(sig, "0a1b2c3d4e");
    /* upper-case hex from a mail client that changed the case is accepted, folded */
    assert_int_equal(sb_email_token_parse("support+C77-0A1B2C3D4E@acme.test", sig), 77);
    assert_string_equal(sig, "0a1b2c3d4e");
}

static void test_token_rejects_malformed(void **state)
{
    (void)state;
    char sig[SB_REPLY_SIG_LEN + 1];
    const char *bad[] = {
        "support@acme.test",                   /* no token */
        "support+c-0a1b2c3d4e@acme.test",      /* no id */
        "support+c12@acme.test",               /* no signature */
        "support+c12-0a1b2c3d4@acme.test",     /* signature too short */
        "support+c12-0a1b2c3d4e5@acme.test",   /* too long */
        "support+c12-0a1b2c3d4g@acme.test",    /* not hex */
        "support+x12-0a1b2c3d4e@acme.test",    /* not a conversation tag */
        "support+c0-0a1b2c3d4e@acme.test",     /* id 0 */
        "support+c12-0a1b2c3d4e",              /* no domain */
        "support+c1234567890123456789-0a1b2c3d4e@acme.test", /* overflow */
        "",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(sb_email_token_parse(bad[i], sig), 0);
    assert_int_equal(sb_email_token_parse(NULL, sig), 0);
    char out[8];
    assert_int_equal(sb_email_token_address("support@acme.test", 1, "0a1b2c3d4e", out, sizeof out), -1);
    assert_int_equal(sb_email_token_address("no-at-sign", 1, "0a1b2c3d4e", out, sizeof out), -1);
}

static void test_subject_marker(void **state)
{
    (void)state;
    assert_int_equal(sb_email_subject_marker("Re: Printer [#42]"), 42);
    assert_int_equal(sb_email_subject_marker("[#7] first"), 7);
    assert_int_equal(sb_email_subject_marker("[#x] [#9]"), 9);
    assert_int_equal(sb_email_subject_marker("no marker"), 0);
    assert_int_equal(sb_email_subject_marker("[#] [#0] [#12"), 0);
    assert_int_equal(sb_email_subject_marker(NULL), 0);
}

static void test_reply_subject(void **state)
{
    (void)state;
    char *s = sb_email_reply_subject("Printer broken", 5);
    assert_string_equal(s, "Re: Printer broken [#5]");
    free(s);
    s = sb_email_reply_subject("RE: Re: AW: Printer broken [#5]", 5);
    assert_string_equal(s, "Re: Printer broken [#5]");
    free(s);
    s = sb_email_reply_subject("Fwd: Sv: question", 9);
    assert_string_equal(s, "Re: question [#9]");
    free(s);
    s = sb_email_reply_subject("", 3);
    assert_string_equal(s, "Re: [#3]");
    free(s);
    s = sb_email_reply_subject(NULL, 3);
    assert_string_equal(s, "Re: [#3]");
    free(s);
}

static void test_autorespond(void **state)
{
    (void)state;
    sb_email_signals ok = {0};
    assert_true(sb_email_may_autorespond(&ok));
    for (int i = 0; i < 7; i++) {
        sb_email_signals s = {0};
        bool *flags[] = {&s.auto_submitted, &s.precedence_bulk, &s.x_autoreply, &s.list_mail,
                         &s.from_robot, &s.is_bounce, &s.sender_missing};
        *flags[i] = true;
        assert_false(sb_email_may_autorespond(&s));
    }
    assert_true(sb_email_autoreply_rate_ok(0, 5));
    assert_true(sb_email_autoreply_rate_ok(4, 5));
    assert_false(sb_email_autoreply_rate_ok(5, 5));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_token_round_trip), cmocka_unit_test(test_token_rejects_malformed),
        cmocka_unit_test(test_subject_marker),   cmocka_unit_test(test_reply_subject),
        cmocka_unit_test(test_autorespond),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
