/* Unit tests for util/html: the escaping every server-rendered page relies on. */
#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "util/html.h"

static char *esc_n(const char *s, size_t n)
{
    sb_buf b;
    sb_buf_init(&b, 1 << 20);
    assert_int_equal(sb_html_escape_n(&b, s, n), 0);
    size_t len;
    return sb_buf_detach(&b, &len);
}

static void check(const char *in, const char *want)
{
    char *out = esc_n(in, strlen(in));
    assert_string_equal(out, want);
    free(out);
}

static void test_specials(void **state)
{
    (void)state;
    check("", "");
    check("plain text", "plain text");
    check("&", "&amp;");
    check("<", "&lt;");
    check(">", "&gt;");
    check("\"", "&quot;");
    check("'", "&#39;");
    check("<script>alert('x')</script>", "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;");
    check("\" onmouseover=\"alert(1)", "&quot; onmouseover=&quot;alert(1)");
    check("a&amp;b", "a&amp;amp;b"); /* already-escaped text is escaped again: no double meaning */
    check("<<>>&&", "&lt;&lt;&gt;&gt;&amp;&amp;");
}

static void test_utf8_and_whitespace_pass(void **state)
{
    (void)state;
    check("Привіт, світ ✓ 𝄞", "Привіт, світ ✓ 𝄞");
    check("line1\nline2\r\n\tindent", "line1\nline2\r\n\tindent");
    check("`backtick` = /slash/", "`backtick` = /slash/");
}

static void test_controls_replaced(void **state)
{
    (void)state;
    check("a\x01" "b\x1f" "c\x7f" "d", "a\xEF\xBF\xBD" "b\xEF\xBF\xBD" "c\xEF\xBF\xBD" "d");
    char *out = esc_n("a\0<b", 4);
    assert_string_equal(out, "a\xEF\xBF\xBD&lt;b");
    free(out);
}

static void test_every_byte(void **state)
{
    (void)state;
    /* No byte value ever yields a raw < > " ' or an & that does not start one of our entities. */
    static const char *const entities[] = {"&amp;", "&lt;", "&gt;", "&quot;", "&#39;"};
    for (int c = 0; c < 256; c++) {
        char in[2] = {(char)c, 0};
        char *out = esc_n(in, 1);
        assert_null(strpbrk(out, "<>\"'"));
        const char *amp = strchr(out, '&');
        if (amp) {
            bool known = false;
            for (size_t i = 0; i < sizeof entities / sizeof entities[0]; i++)
                known |= strcmp(amp, entities[i]) == 0;
            assert_true(known);
        }
        free(out);
    }
}

static void test_null_and_limit(void **state)
{
    (void)state;
    sb_buf b;
    sb_buf_init(&b, 8);
    assert_int_equal(sb_html_escape(&b, NULL), 0);
    assert_int_equal(b.len, 0);
    assert_int_equal(sb_html_escape(&b, "<<<"), -1); /* 12 bytes do not fit in 8 */
    assert_true(b.failed);
    sb_buf_release(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_specials),
        cmocka_unit_test(test_utf8_and_whitespace_pass),
        cmocka_unit_test(test_controls_replaced),
        cmocka_unit_test(test_every_byte),
        cmocka_unit_test(test_null_and_limit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
