/* Unit tests for core/webform: address syntax, configuration validation, submission checks
 * and the composed body. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/webform.h"

static void test_email_syntax(void **state)
{
    (void)state;
    const char *good[] = {"a@b.co", "ann.lee+tag@example.com", "x_y-z@sub.example.org", "o'brien@example.ie",
                          "юзер@приклад.укр", "a@b-c.de", "1@2.3"};
    const char *bad[] = {"", "a", "a@", "@b.co", "a@b", "a@.b.co", "a@b..co", "a@-b.co", "a@b-.co", "a b@c.de",
                         ".a@b.co", "a.@b.co", "a..b@c.de", "a@b.co ", "a\n@b.co", "<a>@b.co", "a@b_c.de",
                         "a\"b@c.de"};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
        assert_true(sb_webform_email_ok(good[i]));
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_false(sb_webform_email_ok(bad[i]));
    char local[80], long_domain[320];
    memset(local, 'a', 65);
    strcpy(local + 65, "@b.co");
    assert_false(sb_webform_email_ok(local)); /* local part over 64 */
    strcpy(long_domain, "a@");
    for (int i = 0; i < 60; i++)
        strcat(long_domain, "abcd.");
    strcat(long_domain, "com");
    assert_false(sb_webform_email_ok(long_domain)); /* over 254 bytes */
}

static void test_url_syntax(void **state)
{
    (void)state;
    const char *good[] = {"http://a", "https://example.com/x?y=1#z", "HTTPS://EXAMPLE.COM", "https://user@host/p",
                          "https://[::1]:8080/", "https://пример.рф/путь"};
    const char *bad[] = {"", "example.com", "ftp://x", "javascript:alert(1)", "https://", "https:///path",
                         "https://a b", "https://a\"b", "https://a<b>", "http://:80", "data:text/html,x",
                         "https://a\tb", "//example.com"};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
        assert_true(sb_webform_url_ok(good[i]));
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_false(sb_webform_url_ok(bad[i]));
}

static void test_chars(void **state)
{
    (void)state;
    assert_int_equal(sb_webform_chars(""), 0);
    assert_int_equal(sb_webform_chars("abc"), 3);
    assert_int_equal(sb_webform_chars("жук"), 3);
    assert_int_equal(sb_webform_chars("✓𝄞"), 2);
}

static json_t *parse(const char *text, char field[64])
{
    char msg[256];
    json_t *in = json_loads(text, 0, NULL);
    assert_non_null(in);
    json_t *out = sb_webform_config_parse(in, field, 64, msg, sizeof msg);
    json_decref(in);
    if (!out) {
        assert_true(strlen(msg) > strlen(field)); /* the message names the field */
        assert_memory_equal(msg, field, strlen(field));
    }
    return out;
}

static void test_default_config(void **state)
{
    (void)state;
    json_t *c = sb_webform_config_default();
    assert_non_null(c);
    json_t *fields = json_object_get(c, "fields");
    assert_int_equal(json_array_size(fields), 4);
    const char *names[] = {"category", "product", "link", "description"};
    const char *types[] = {"select", "text", "url", "textarea"};
    for (size_t i = 0; i < 4; i++) {
        json_t *f = json_array_get(fields, i);
        assert_string_equal(json_string_value(json_object_get(f, "name")), names[i]);
        assert_string_equal(json_string_value(json_object_get(f, "type")), types[i]);
    }
    assert_int_equal(json_array_size(json_object_get(json_array_get(fields, 0), "options")), 5);
    assert_string_equal(sb_webform_string(c, "submit"), "Send");
    /* A normalised configuration parses to itself. */
    char field[64], msg[256];
    json_t *again = sb_webform_config_parse(c, field, sizeof field, msg, sizeof msg);
    assert_non_null(again);
    assert_true(json_equal(c, again));
    json_decref(again);
    json_decref(c);
}

static void test_config_defaults_filled(void **state)
{
    (void)state;
    char field[64];
    json_t *c = parse("{\"fields\":[{\"name\":\"a\",\"type\":\"textarea\",\"label\":\"A\"},"
                      "{\"name\":\"b\",\"type\":\"checkbox\",\"label\":\"B\",\"required\":true},"
                      "{\"name\":\"c\",\"type\":\"url\",\"label\":\"C\",\"max_length\":77}],"
                      "\"strings\":{\"submit\":\"Go\"}}",
                      field);
    assert_non_null(c);
    assert_string_equal(json_string_value(json_object_get(c, "title")), "Contact us");
    assert_string_equal(json_string_value(json_object_get(c, "lang")), "en");
    assert_string_equal(sb_webform_string(c, "submit"), "Go");
    assert_string_equal(sb_webform_string(c, "email_label"), "Email");
    json_t *f = json_object_get(c, "fields");
    assert_int_equal(json_integer_value(json_object_get(json_array_get(f, 0), "max_length")), 5000);
    assert_false(json_is_true(json_object_get(json_array_get(f, 0), "required")));
    assert_null(json_object_get(json_array_get(f, 1), "max_length"));
    assert_true(json_is_true(json_object_get(json_array_get(f, 1), "required")));
    assert_int_equal(json_integer_value(json_object_get(json_array_get(f, 2), "max_length")), 77);
    json_decref(c);
}

static void test_config_errors(void **state)
{
    (void)state;
    static const struct {
        const char *json, *field;
    } cases[] = {
        {"[]", "(body)"},
        {"{}", "fields"},
        {"{\"fields\":{}}", "fields"},
        {"{\"fields\":[1]}", "fields[0]"},
        {"{\"fields\":[{\"type\":\"text\",\"label\":\"x\"}]}", "fields[0].name"},
        {"{\"fields\":[{\"name\":\"A\",\"type\":\"text\",\"label\":\"x\"}]}", "fields[0].name"},
        {"{\"fields\":[{\"name\":\"\",\"type\":\"text\",\"label\":\"x\"}]}", "fields[0].name"},
        {"{\"fields\":[{\"name\":\"subject\",\"type\":\"text\",\"label\":\"x\"}]}", "fields[0].name"},
        {"{\"fields\":[{\"name\":\"website\",\"type\":\"text\",\"label\":\"x\"}]}", "fields[0].name"},
        {"{\"fields\":[{\"name\":\"a\",\"type\":\"TEXT\",\"label\":\"x\"}]}", "fields[0].type"},
        {"{\"fields\":[{\"name\":\"a\",\"type\":\"text\",\"label\":\"x\\ny\"}]}", "fields[0].label"},
        {"{\"fields\":[{\"name\":\"a\",\"type\":\"text\",\"label\":\"x\",\"help\":5}]}", "fields[0].help"},
        {"{\"fields\":[{\"name\":\"a\",\"type\":\"text\",\"label\":\"x\",\"max_length\":\"5\"}]}",
         "fields[0].max_length"},
        {"{\"fields\":[{\"name\":\"a\",\"type\":\"select\",\"label\":\"x\",\"options\":[\"\"]}]}",
         "fields[0].options[0]"},
        {"{\"fields\":[{\"name\":\"a\",\"type\":\"select\",\"label\":\"x\",\"options\":[\"a\",7]}]}",
         "fields[0].options[1]"},
        {"{\"fields\":[{\"name\":\"a\",\"type\":\"text\",\"label\":\"x\"},{\"name\":\"b\",\"type\":\"text\"}]}",
         "fields[1].label"},
        {"{\"fields\":[],\"intro\":7}", "intro"},
        {"{\"fields\":[],\"strings\":[]}", "strings"},
        {"{\"fields\":[],\"lang\":\"e\"}", "lang"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char field[64];
        json_t *c = parse(cases[i].json, field);
        if (c)
            fail_msg("accepted %s", cases[i].json);
        assert_string_equal(field, cases[i].field);
    }
}

static void test_config_limits(void **state)
{
    (void)state;
    char field[64], msg[256];
    json_t *in = json_pack("{s:[]}", "fields");
    json_t *fields = json_object_get(in, "fields");
    for (int i = 0; i < SB_WEBFORM_MAX_FIELDS; i++) {
        char name[8];
        snprintf(name, sizeof name, "f%d", i);
        json_array_append_new(fields, json_pack("{s:s, s:s, s:s}", "name", name, "type", "text", "label", "L"));
    }
    json_t *c = sb_webform_config_parse(in, field, sizeof field, msg, sizeof msg);
    assert_non_null(c);
    json_decref(c);
    json_array_append_new(fields, json_pack("{s:s, s:s, s:s}", "name", "extra", "type", "text", "label", "L"));
    assert_null(sb_webform_config_parse(in, field, sizeof field, msg, sizeof msg));
    assert_string_equal(field, "fields");
    json_decref(in);

    json_t *opts = json_array();
    for (int i = 0; i < SB_WEBFORM_MAX_OPTIONS; i++)
        json_array_append_new(opts, json_sprintf("o%d", i));
    in = json_pack("{s:[{s:s, s:s, s:s, s:O, s:i}]}", "fields", "name", "s", "type", "select", "label", "S", "options",
                   opts, "max_length", SB_WEBFORM_LENGTH_CAP);
    c = sb_webform_config_parse(in, field, sizeof field, msg, sizeof msg);
    assert_non_null(c);
    json_decref(c);
    json_array_append_new(opts, json_string("one more"));
    assert_null(sb_webform_config_parse(in, field, sizeof field, msg, sizeof msg));
    assert_string_equal(field, "fields[0].options");
    json_decref(in);
    in = json_pack("{s:[{s:s, s:s, s:s, s:i}]}", "fields", "name", "t", "type", "text", "label", "T", "max_length",
                   SB_WEBFORM_LENGTH_CAP + 1);
    assert_null(sb_webform_config_parse(in, field, sizeof field, msg, sizeof msg));
    assert_string_equal(field, "fields[0].max_length");
    json_decref(in);
    json_decref(opts);
}

/* ---- submissions ---- */

static json_t *test_config(void)
{
    char field[64];
    return parse("{\"fields\":["
                 "{\"name\":\"cat\",\"type\":\"select\",\"label\":\"Category\",\"required\":true,"
                 "\"options\":[\"A\",\"B & C\"]},"
                 "{\"name\":\"n\",\"type\":\"number\",\"label\":\"Count\"},"
                 "{\"name\":\"ok\",\"type\":\"checkbox\",\"label\":\"Agree\",\"required\":true},"
                 "{\"name\":\"opt\",\"type\":\"checkbox\",\"label\":\"Optional\"},"
                 "{\"name\":\"mail\",\"type\":\"email\",\"label\":\"Other email\"},"
                 "{\"name\":\"u\",\"type\":\"url\",\"label\":\"Page\"},"
                 "{\"name\":\"short\",\"type\":\"text\",\"label\":\"Short\",\"max_length\":3},"
                 "{\"name\":\"desc\",\"type\":\"textarea\",\"label\":\"Description\",\"required\":true}]}",
                 field);
}

typedef struct {
    json_t *fixed, *answers, *errors;
    size_t n;
} result;

static result run(const json_t *config, const char *values_json)
{
    json_t *values = json_loads(values_json, JSON_ALLOW_NUL, NULL);
    assert_non_null(values);
    result r = {json_object(), json_object(), json_object(), 0};
    r.n = sb_webform_check(config, values, r.fixed, r.answers, r.errors);
    json_decref(values);
    return r;
}

static void result_free(result *r)
{
    json_decref(r->fixed);
    json_decref(r->answers);
    json_decref(r->errors);
}

static const char *err(const result *r, const char *key)
{
    return json_string_value(json_object_get(r->errors, key));
}

static void test_check_valid(void **state)
{
    (void)state;
    json_t *c = test_config();
    result r = run(c, "{\"name\":\"  Ann  \",\"email\":\"ann@example.com\",\"subject\":\" Hi \",\"cat\":\"B & C\","
                      "\"n\":\" 42 \",\"ok\":\"on\",\"mail\":\"x@y.zz\",\"u\":\"https://x.y/\",\"short\":\"abc\","
                      "\"desc\":\"\\r\\n  line1\\r\\nline2\\rline3  \\n\"}");
    assert_int_equal(r.n, 0);
    assert_string_equal(json_string_value(json_object_get(r.fixed, "name")), "Ann");
    assert_string_equal(json_string_value(json_object_get(r.fixed, "subject")), "Hi");
    json_t *want = json_loads("{\"cat\":\"B & C\",\"n\":42,\"ok\":true,\"opt\":false,\"mail\":\"x@y.zz\","
                              "\"u\":\"https://x.y/\",\"short\":\"abc\",\"desc\":\"line1\\nline2\\nline3\"}",
                              0, NULL);
    assert_true(json_equal(r.answers, want));
    char *body = sb_webform_body(c, r.answers);
    assert_string_equal(body, "line1\nline2\nline3\n\nCategory: B & C\nCount: 42\nAgree: Yes\nOptional: No\n"
                              "Other email: x@y.zz\nPage: https://x.y/\nShort: abc");
    free(body);
    json_decref(want);
    result_free(&r);
    json_decref(c);
}

static void test_check_json_types(void **state)
{
    (void)state;
    json_t *c = test_config();
    result r = run(c, "{\"email\":\"a@b.co\",\"subject\":\"s\",\"cat\":\"A\",\"n\":-2.5,\"ok\":true,\"opt\":null,"
                      "\"desc\":\"d\",\"name\":null}");
    assert_int_equal(r.n, 0);
    assert_true(json_real_value(json_object_get(r.answers, "n")) == -2.5);
    assert_string_equal(json_string_value(json_object_get(r.fixed, "name")), "");
    assert_null(json_object_get(r.answers, "u")); /* empty optional fields are left out */
    result_free(&r);
    r = run(c, "{\"email\":\"a@b.co\",\"subject\":[],\"cat\":1,\"n\":true,\"ok\":\"maybe\",\"opt\":7,\"desc\":{}}");
    assert_int_equal(r.n, 6);
    assert_non_null(err(&r, "subject"));
    assert_non_null(err(&r, "cat"));
    assert_non_null(err(&r, "n"));
    assert_non_null(err(&r, "ok"));
    assert_non_null(err(&r, "opt"));
    assert_non_null(err(&r, "desc"));
    result_free(&r);
    json_decref(c);
}

static void test_check_errors(void **state)
{
    (void)state;
    json_t *c = test_config();
    result r = run(c, "{\"email\":\"nope\",\"subject\":\"   \",\"cat\":\"b & c\",\"n\":\"12abc\",\"ok\":\"off\","
                      "\"mail\":\"a@b\",\"u\":\"javascript:alert(1)\",\"short\":\"abcd\",\"desc\":\" \\n \"}");
    assert_int_equal(r.n, 9);
    assert_string_equal(err(&r, "email"), "Email must be an email address such as name@example.com.");
    assert_string_equal(err(&r, "subject"), "Subject is required.");
    assert_string_equal(err(&r, "cat"), "Category must be one of the listed choices.");
    assert_string_equal(err(&r, "n"), "Count must be a number.");
    assert_string_equal(err(&r, "ok"), "Agree must be checked.");
    assert_non_null(err(&r, "mail"));
    assert_string_equal(err(&r, "u"), "Page must be a web address starting with http:// or https://.");
    assert_string_equal(err(&r, "short"), "Short must be at most 3 characters.");
    assert_string_equal(err(&r, "desc"), "Description is required.");
    assert_null(err(&r, "name"));
    result_free(&r);
    /* control characters, numbers that are not, length counted in characters */
    r = run(c, "{\"email\":\"a@b.co\",\"subject\":\"a\\u0007b\",\"cat\":\"A\",\"ok\":\"1\",\"n\":\"inf\","
               "\"short\":\"жжж\",\"desc\":\"tab\\there\\u0001\",\"name\":\"n\\nm\"}");
    assert_non_null(err(&r, "subject"));
    assert_non_null(err(&r, "n"));
    assert_null(err(&r, "short"));
    assert_non_null(err(&r, "desc"));
    assert_non_null(err(&r, "name"));
    assert_int_equal(r.n, 4);
    result_free(&r);
    /* a NUL inside a string */
    r = run(c, "{\"email\":\"a@b.co\",\"subject\":\"a\\u0000b\",\"cat\":\"A\",\"ok\":true,\"desc\":\"d\"}");
    assert_non_null(err(&r, "subject"));
    result_free(&r);
    json_decref(c);
}

static void test_fixed_limits(void **state)
{
    (void)state;
    json_t *c = sb_webform_config_default();
    char subject[SB_WEBFORM_SUBJECT_MAX + 2];
    memset(subject, 's', sizeof subject - 1);
    subject[sizeof subject - 1] = '\0';
    json_t *v = json_pack("{s:s, s:s, s:s, s:s}", "email", "a@b.co", "subject", subject, "category", "Other",
                          "description", "d");
    json_t *fixed = json_object(), *answers = json_object(), *errors = json_object();
    assert_int_equal(sb_webform_check(c, v, fixed, answers, errors), 1);
    assert_non_null(json_object_get(errors, "subject"));
    subject[SB_WEBFORM_SUBJECT_MAX] = '\0';
    json_object_set_new(v, "subject", json_string(subject));
    json_object_clear(errors);
    assert_int_equal(sb_webform_check(c, v, fixed, answers, errors), 0);
    char *body = sb_webform_body(c, answers);
    assert_string_equal(body, "d\n\nCategory: Other");
    free(body);
    json_decref(v);
    json_decref(fixed);
    json_decref(answers);
    json_decref(errors);
    json_decref(c);
}

static void test_body_without_description(void **state)
{
    (void)state;
    char field[64];
    json_t *c = parse("{\"fields\":[{\"name\":\"a\",\"type\":\"text\",\"label\":\"A\"}]}", field);
    json_t *answers = json_object();
    char *body = sb_webform_body(c, answers);
    assert_string_equal(body, "");
    free(body);
    json_object_set_new(answers, "a", json_string("x"));
    body = sb_webform_body(c, answers);
    assert_string_equal(body, "A: x");
    free(body);
    json_decref(answers);
    json_decref(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_email_syntax),
        cmocka_unit_test(test_url_syntax),
        cmocka_unit_test(test_chars),
        cmocka_unit_test(test_default_config),
        cmocka_unit_test(test_config_defaults_filled),
        cmocka_unit_test(test_config_errors),
        cmocka_unit_test(test_config_limits),
        cmocka_unit_test(test_check_valid),
        cmocka_unit_test(test_check_json_types),
        cmocka_unit_test(test_check_errors),
        cmocka_unit_test(test_fixed_limits),
        cmocka_unit_test(test_body_without_description),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
