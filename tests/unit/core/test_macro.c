/* Unit tests for core/macro: every placeholder, article links, escaping, validation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/macro.h"

static const struct {
    const char *key, *value;
} values[] = {
    {"contact.name", "Ann Lee"},           {"contact.first_name", "Ann"},
    {"contact.email", "ann@example.com"},  {"contact.phone", "+1 555 0100"},
    {"organization.name", "Acme"},         {"agent.name", "Bob Stone"},
    {"agent.first_name", "Bob"},           {"agent.email", "bob@support.test"},
    {"conversation.id", "42"},             {"conversation.subject", "Broken login"},
    {"conversation.status", "open"},       {"conversation.priority", "high"},
    {"conversation.channel", "email"},
};

static const char *lookup(void *ctx, const char *key, int64_t article_id)
{
    if (article_id == 7)
        return "Reset your password";
    if (article_id)
        return NULL;
    for (size_t i = 0; i < sizeof values / sizeof values[0]; i++)
        if (strcmp(values[i].key, key) == 0)
            return values[i].value;
    return ctx; /* unset: whatever the test passes */
}

static void expect(const char *tmpl, const char *want)
{
    char *got = sb_macro_expand(tmpl, lookup, NULL, "/help/en/articles/");
    assert_non_null(got);
    assert_string_equal(got, want);
    free(got);
}

static void test_every_placeholder(void **state)
{
    /* Each placeholder the module lists expands to its value, and the table covers them all. */
    size_t n = 0;
    for (const char *const *k = sb_macro_placeholders; *k; k++, n++) {
        char tmpl[128], want[128];
        snprintf(tmpl, sizeof tmpl, "<{{%s}}>", *k);
        const char *v = lookup(NULL, *k, 0);
        assert_non_null(v);
        snprintf(want, sizeof want, "<%s>", v);
        char *got = sb_macro_expand(tmpl, lookup, NULL, "/a/");
        assert_string_equal(got, want);
        free(got);
    }
    assert_int_equal(n, sizeof values / sizeof values[0]);
}

static void test_template_text(void **state)
{
    expect("Hi {{contact.first_name}}, this is {{ agent.name }} from {{organization.name}}.",
           "Hi Ann, this is Bob Stone from Acme.");
    expect("Re #{{conversation.id}}: {{conversation.subject}} ({{conversation.status}}/{{conversation.priority}})",
           "Re #42: Broken login (open/high)");
    expect("no placeholders", "no placeholders");
    expect("", "");
}

static void test_article_links(void **state)
{
    expect("See {{article:7}}.", "See [Reset your password](/help/en/articles/7).");
    /* An article the lookup does not know: the link is its own text. */
    expect("{{article:99}}", "[/help/en/articles/99](/help/en/articles/99)");
}

static void test_values_are_text(void **state)
{
    char *got;
    const char *evil = "*Eve* <script>alert(1)</script> [x](javascript:1)\n# h";
    got = sb_macro_expand("{{contact.name}}", NULL, NULL, "/a/");
    assert_string_equal(got, ""); /* no lookup: empty */
    free(got);
    char *esc = sb_macro_escape_text(evil);
    assert_string_equal(esc, "\\*Eve\\* \\<script\\>alert(1)\\</script\\> \\[x\\](javascript:1) \\# h");
    free(esc);
}

static const char *evil_lookup(void *ctx, const char *key, int64_t id)
{
    return id ? "Title [with] *stars*" : "<b>{{agent.name}}</b>";
}

static void test_values_do_not_expand_again(void **state)
{
    char *got = sb_macro_expand("{{contact.name}} {{article:3}}", evil_lookup, NULL, "/a/");
    assert_string_equal(got, "\\<b\\>\\{\\{agent.name\\}\\}\\</b\\> [Title \\[with\\] \\*stars\\*](/a/3)");
    free(got);
}

static void test_malformed_copied(void **state)
{
    expect("{{ nope", "{{ nope");
    expect("{{unknown.key}}", "{{unknown.key}}");
    expect("{{}}", "{{}}");
    expect("{{article:0}}", "{{article:0}}");
}

static void test_validate(void **state)
{
    char err[200];
    assert_true(sb_macro_validate("Hi {{contact.name}} {{article:12}}", err, sizeof err));
    assert_true(sb_macro_validate(NULL, err, sizeof err));
    assert_false(sb_macro_validate("Hi {{contact.nam}}", err, sizeof err));
    assert_non_null(strstr(err, "contact.nam"));
    assert_false(sb_macro_validate("Hi {{contact.name", err, sizeof err));
    assert_false(sb_macro_validate("{{article:x}}", err, sizeof err));
    assert_false(sb_macro_validate("{{a b}}", err, sizeof err));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_placeholder), cmocka_unit_test(test_template_text),
        cmocka_unit_test(test_article_links),     cmocka_unit_test(test_values_are_text),
        cmocka_unit_test(test_values_do_not_expand_again), cmocka_unit_test(test_malformed_copied),
        cmocka_unit_test(test_validate),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
