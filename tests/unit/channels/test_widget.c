/* The widget channel's pure parts: identity-verification HMAC (against RFC 4231), the
 * settings checks, and the origin policy. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "channels/widget/widget.h"

static void test_hmac_rfc4231(void **state)
{
    (void)state;
    char out[65];
    sb_widget_user_hash("Jefe", "what do ya want for nothing?", out);
    assert_string_equal(out, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

static void test_hash_ok(void **state)
{
    (void)state;
    const char *secret = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    char good[65], upper[65];
    sb_widget_user_hash(secret, "user-42", good);
    assert_true(sb_widget_user_hash_ok(secret, "user-42", good));
    for (int i = 0; i < 65; i++)
        upper[i] = (char)(good[i] >= 'a' && good[i] <= 'f' ? good[i] - 32 : good[i]);
    assert_true(sb_widget_user_hash_ok(secret, "user-42", upper));
    assert_false(sb_widget_user_hash_ok(secret, "user-43", good));
    assert_false(sb_widget_user_hash_ok("other", "user-42", good));
    assert_false(sb_widget_user_hash_ok("", "user-42", good)); /* no secret yet: nothing verifies */
    assert_false(sb_widget_user_hash_ok(secret, "user-42", "abc"));
    good[63] = good[63] == '0' ? '1' : '0';
    assert_false(sb_widget_user_hash_ok(secret, "user-42", good));
    assert_false(sb_widget_user_hash_ok(secret, NULL, good));
}

static bool check(const char *json)
{
    char err[200];
    json_t *p = json_loads(json, 0, NULL);
    assert_non_null(p);
    bool ok = sb_widget_settings_check(p, err, sizeof err);
    if (!ok)
        assert_true(strlen(err) > 0);
    json_decref(p);
    return ok;
}

static void test_settings_check(void **state)
{
    (void)state;
    assert_true(check("{}"));
    assert_true(check("{\"enabled\":false,\"title\":\"Help\",\"greeting\":\"\",\"accent_color\":\"#A1b2C3\","
                      "\"allowed_origins\":[\"https://shop.example.com\",\"http://localhost:8080\"]}"));
    assert_false(check("{\"enabled\":1}"));
    assert_false(check("{\"title\":\"\"}"));
    assert_false(check("{\"accent_color\":\"#abc\"}"));
    assert_false(check("{\"accent_color\":\"blue\"}"));
    assert_false(check("{\"accent_color\":\"#abcdeg\"}"));
    assert_false(check("{\"allowed_origins\":[\"https://x.example/\"]}"));
    assert_false(check("{\"allowed_origins\":[\"ftp://x.example\"]}"));
    assert_false(check("{\"allowed_origins\":[\"https://\"]}"));
    assert_false(check("{\"allowed_origins\":[\"https://a b\"]}"));
    assert_false(check("{\"allowed_origins\":[1]}"));
    assert_false(check("{\"secret\":\"x\"}"));
    assert_false(check("{\"unknown\":true}"));
}

static void test_origins(void **state)
{
    (void)state;
    json_t *open = json_pack("{s:[]}", "allowed_origins");
    json_t *list = json_pack("{s:[s]}", "allowed_origins", "https://shop.example.com");
    assert_true(sb_widget_origin_allowed(open, "https://anything.example", NULL));
    assert_true(sb_widget_origin_allowed(list, "https://shop.example.com", NULL));
    assert_true(sb_widget_origin_allowed(list, "HTTPS://SHOP.EXAMPLE.COM", NULL));
    assert_false(sb_widget_origin_allowed(list, "https://evil.example", NULL));
    assert_false(sb_widget_origin_allowed(list, "https://shop.example.com.evil.example", NULL));
    assert_false(sb_widget_origin_allowed(list, "null", NULL));
    assert_true(sb_widget_origin_allowed(list, "http://support.local:8080", "http://support.local:8080"));
    assert_true(sb_widget_origin_allowed(list, NULL, NULL)); /* not a page on another site */
    json_decref(open);
    json_decref(list);
}

int main(void)
{
    if (sodium_init() < 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hmac_rfc4231),
        cmocka_unit_test(test_hash_ok),
        cmocka_unit_test(test_settings_check),
        cmocka_unit_test(test_origins),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
