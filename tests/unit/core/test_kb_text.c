/* Unit tests for core/kb_text: locales, folding, stop words, stemming per locale, typo
 * distance. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/kb_text.h"

static void expect_terms(const char *locale, const char *text, const char *want)
{
    char *got = sb_kb_terms(locale, text, 0);
    assert_non_null(got);
    assert_string_equal(got, want);
    free(got);
}

static void test_locale_valid(void **state)
{
    assert_true(sb_kb_locale_valid("en"));
    assert_true(sb_kb_locale_valid("pt-BR"));
    assert_true(sb_kb_locale_valid("zh-Hant"));
    assert_true(sb_kb_locale_valid("fil"));
    assert_false(sb_kb_locale_valid(NULL));
    assert_false(sb_kb_locale_valid(""));
    assert_false(sb_kb_locale_valid("e"));
    assert_false(sb_kb_locale_valid("EN"));
    assert_false(sb_kb_locale_valid("en-"));
    assert_false(sb_kb_locale_valid("en_US"));
    assert_false(sb_kb_locale_valid("en-B"));
    assert_false(sb_kb_locale_valid("../etc"));
    assert_false(sb_kb_locale_valid("en-US\"><script>"));
}

static void test_stemmer_per_locale(void **state)
{
    assert_string_equal(sb_kb_stemmer_for("en"), "english");
    assert_string_equal(sb_kb_stemmer_for("en-GB"), "english");
    assert_string_equal(sb_kb_stemmer_for("ru"), "russian");
    assert_string_equal(sb_kb_stemmer_for("es"), "spanish");
    assert_string_equal(sb_kb_stemmer_for("id"), "indonesian");
    assert_null(sb_kb_stemmer_for("uk")); /* libstemmer has no Ukrainian: plain tokens */
    assert_null(sb_kb_stemmer_for("zz"));
    assert_null(sb_kb_stemmer_for(NULL));
}

static void test_english_stems_and_stop_words(void **state)
{
    expect_terms("en", "How do I reset my passwords?", "reset password");
    expect_terms("en", "Resetting PASSWORD", "reset password");
    expect_terms("en", "Cancelled orders, cancelling order", "cancel order cancel order");
    /* Apostrophes: one term with or without. */
    expect_terms("en", "don't dont", "dont dont");
    /* Only stop words: they are kept so the query still has terms. */
    expect_terms("en", "the of and", "the of and");
    expect_terms("en", "", "");
    expect_terms("en", "!!! ... ---", "");
}

static void test_russian_folds_and_stems(void **state)
{
    /* Case folding of Cyrillic, ё as е, stemming of inflections. */
    expect_terms("ru", "Как ВЕРНУТЬ заказы?", "вернут заказ");
    expect_terms("ru", "заказа заказом заказов", "заказ заказ заказ");
    expect_terms("ru", "Ёлка ёлки", "елк елк");
}

static void test_other_locales(void **state)
{
    /* Ukrainian: folded, stop words dropped, no stemming. */
    expect_terms("uk", "Як ПОВЕРНУТИ замовлення? Ґанок Їжак Єнот", "повернути замовлення ґанок їжак єнот");
    /* Spanish and Indonesian stemmers. */
    expect_terms("es", "Pedidos cancelados", "ped cancel");
    expect_terms("id", "pembayaran pesanan saya", "bayar sanan");
    /* Latin-1 folding and digits stay. */
    expect_terms("de", "ÜBER Größe 42", "uber gross 42");
}

static void test_max_terms_and_long_words(void **state)
{
    char *t = sb_kb_terms("en", "alpha beta gamma delta epsilon", 2);
    assert_string_equal(t, "alpha beta");
    free(t);
    char longw[300];
    memset(longw, 'x', sizeof longw - 1);
    longw[sizeof longw - 1] = '\0';
    t = sb_kb_terms("zz", longw, 0);
    assert_int_equal(strlen(t), SB_KB_TERM_MAX);
    free(t);
}

static void test_invalid_utf8_is_a_separator(void **state)
{
    expect_terms("zz", "abc\xff\xfe" "def \xe2\x80\x94 ghi", "abc def ghi");
}

static void test_edit_distance(void **state)
{
    assert_int_equal(sb_kb_edit_distance("password", "password", 2), 0);
    assert_int_equal(sb_kb_edit_distance("pasword", "password", 2), 1);
    assert_int_equal(sb_kb_edit_distance("passowrd", "password", 2), 1); /* transposition */
    assert_int_equal(sb_kb_edit_distance("pasowrd", "password", 2), 2);
    assert_int_equal(sb_kb_edit_distance("abc", "xyzxyz", 2), 3);    /* limit + 1 */
    assert_int_equal(sb_kb_edit_distance("заказ", "заказы", 1), 1); /* code points, not bytes */
    assert_int_equal(sb_kb_edit_distance("", "ab", 2), 2);
}

static void test_typo_budget(void **state)
{
    assert_int_equal(sb_kb_typo_budget("cat"), 0);
    assert_int_equal(sb_kb_typo_budget("card"), 1);
    assert_int_equal(sb_kb_typo_budget("invoice"), 1);
    assert_int_equal(sb_kb_typo_budget("password"), 2);
    assert_int_equal(sb_kb_typo_budget("счёт"), 1);
    assert_int_equal(sb_kb_utf8_len("счёт"), 4);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_locale_valid),
        cmocka_unit_test(test_stemmer_per_locale),
        cmocka_unit_test(test_english_stems_and_stop_words),
        cmocka_unit_test(test_russian_folds_and_stems),
        cmocka_unit_test(test_other_locales),
        cmocka_unit_test(test_max_terms_and_long_words),
        cmocka_unit_test(test_invalid_utf8_is_a_separator),
        cmocka_unit_test(test_edit_distance),
        cmocka_unit_test(test_typo_budget),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
