/* Web form configuration, submission checks and the composed message body. */
#include "core/webform.h"

#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const type_names[] = {"text", "textarea", "select", "email", "url", "number", "checkbox"};

/* Locale strings: key, English default. */
static const char *const string_defaults[][2] = {
    {"name_label", "Your name"},
    {"email_label", "Email"},
    {"subject_label", "Subject"},
    {"submit", "Send"},
    {"required", "required"},
    {"choose", "Choose\xE2\x80\xA6"},
    {"error_summary", "Please correct the fields marked below."},
    {"thanks_title", "Thank you"},
    {"thanks_text", "We have received your request and will reply by email."},
    {"reference", "Your reference"},
    {"rate_limited", "Too many requests came from your network. Please try again later."},
};
#define NSTRINGS (sizeof string_defaults / sizeof string_defaults[0])

static const char *const reserved_names[] = {"name", "email", "subject", SB_WEBFORM_HONEYPOT};

size_t sb_webform_chars(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        if (((unsigned char)*s & 0xC0) != 0x80)
            n++;
    return n;
}

static bool has_ctl(const char *s, bool multiline)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == 0x7f)
            return true;
        if (*p < 0x20 && !(multiline && (*p == '\n' || *p == '\r' || *p == '\t')))
            return true;
    }
    return false;
}

/* ---- syntax ---- */

bool sb_webform_email_ok(const char *s)
{
    size_t len = strlen(s);
    if (len < 3 || len > SB_WEBFORM_EMAIL_MAX)
        return false;
    const char *at = strrchr(s, '@');
    if (!at || at == s || at - s > 64 || !at[1])
        return false;
    for (const char *p = s; p < at; p++) {
        unsigned char c = (unsigned char)*p;
        if (c <= 0x20 || c == 0x7f || strchr("\"(),:;<>@[\\]", c))
            return false;
        if (c == '.' && (p == s || p + 1 == at || p[1] == '.'))
            return false;
    }
    /* domain: at least two dot-separated labels of letters, digits, hyphens or UTF-8 */
    const char *label = at + 1;
    int labels = 0;
    for (const char *p = at + 1;; p++) {
        if (*p == '.' || *p == '\0') {
            size_t n = (size_t)(p - label);
            if (n == 0 || n > 63 || label[0] == '-' || p[-1] == '-')
                return false;
            labels++;
            if (!*p)
                break;
            label = p + 1;
            continue;
        }
        unsigned char c = (unsigned char)*p;
        if (!(isalnum(c) || c == '-' || c >= 0x80))
            return false;
    }
    return labels >= 2;
}

bool sb_webform_url_ok(const char *s)
{
    size_t skip;
    if (strncasecmp(s, "https://", 8) == 0)
        skip = 8;
    else if (strncasecmp(s, "http://", 7) == 0)
        skip = 7;
    else
        return false;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p <= 0x20 || *p == 0x7f || *p == '"' || *p == '<' || *p == '>' || *p == '\\')
            return false;
    const char *host = s + skip;
    size_t hlen = strcspn(host, "/?#");
    const char *at = memchr(host, '@', hlen); /* user info is allowed, the host must follow */
    if (at) {
        hlen -= (size_t)(at + 1 - host);
        host = at + 1;
    }
    if (hlen == 0 || host[0] == ':' || host[0] == '.')
        return false;
    return true;
}

/* ---- configuration ---- */

static json_t *make_field(const char *name, const char *type, const char *label, bool required)
{
    return json_pack("{s:s, s:s, s:s, s:b}", "name", name, "type", type, "label", label, "required", required);
}

json_t *sb_webform_config_default(void)
{
    json_t *fields = json_array();
    json_t *cat = make_field("category", "select", "Category", true);
    json_object_set_new(cat, "options",
                        json_pack("[s,s,s,s,s]", "Billing", "Technical problem", "Account and access",
                                  "Feature request", "Other"));
    json_array_append_new(fields, cat);
    json_t *product = make_field("product", "text", "Product", false);
    json_object_set_new(product, "help", json_string("The product or plan your request is about."));
    json_array_append_new(fields, product);
    json_t *link = make_field("link", "url", "Link", false);
    json_object_set_new(link, "placeholder", json_string("https://"));
    json_object_set_new(link, "help", json_string("A page where the problem shows, if there is one."));
    json_array_append_new(fields, link);
    json_t *desc = make_field("description", "textarea", "Description", true);
    json_object_set_new(desc, "help", json_string("What happened, and what did you expect?"));
    json_array_append_new(fields, desc);
    json_t *in = json_pack("{s:s, s:s, s:o}", "title", "Contact support", "intro",
                           "Tell us what you need and we will get back to you by email.", "fields", fields);
    char f[64], m[256];
    json_t *out = sb_webform_config_parse(in, f, sizeof f, m, sizeof m);
    json_decref(in);
    return out;
}

typedef struct {
    char *field;
    size_t fieldlen;
    char *msg;
    size_t msglen;
} cfg_err;

static json_t *cfg_fail(cfg_err *e, const char *field, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static json_t *cfg_fail(cfg_err *e, const char *field, const char *fmt, ...)
{
    snprintf(e->field, e->fieldlen, "%s", field);
    va_list ap;
    va_start(ap, fmt);
    char text[200];
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    snprintf(e->msg, e->msglen, "%s %s", field, text);
    return NULL;
}

/* A string member of min..max bytes; absent or null gives def (an error when def is NULL). */
static int cfg_str(const json_t *obj, const char *key, size_t min, size_t max, bool multiline, const char **out,
                   const char *def)
{
    json_t *v = json_object_get(obj, key);
    *out = def;
    if (!v || json_is_null(v))
        return def ? 0 : -1;
    if (!json_is_string(v))
        return -1;
    size_t n = json_string_length(v);
    const char *s = json_string_value(v);
    if (n < min || n > max || strlen(s) != n || has_ctl(s, multiline))
        return -1;
    *out = s;
    return 0;
}

static bool only_keys(const json_t *obj, const char *const *allowed, const char **bad)
{
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)obj, k, v)
    {
        bool ok = false;
        for (size_t i = 0; allowed[i]; i++)
            if (strcmp(k, allowed[i]) == 0)
                ok = true;
        if (!ok) {
            *bad = k;
            return false;
        }
    }
    return true;
}

static int type_index(const char *t)
{
    for (size_t i = 0; i < sizeof type_names / sizeof type_names[0]; i++)
        if (strcmp(t, type_names[i]) == 0)
            return (int)i;
    return -1;
}

static bool name_ok(const char *s)
{
    size_t n = strlen(s);
    if (n < 1 || n > 32)
        return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_'))
            return false;
    return true;
}

static json_t *parse_field(const json_t *f, size_t idx, cfg_err *e)
{
    static const char *const keys[] = {"name", "type", "label", "required", "options", "placeholder", "help",
                                       "max_length", NULL};
    char path[32], sub[96];
    snprintf(path, sizeof path, "fields[%zu]", idx);
    if (!json_is_object(f))
        return cfg_fail(e, path, "must be an object");
    const char *bad, *name, *type, *label, *placeholder, *help;
    if (!only_keys(f, keys, &bad)) {
        snprintf(sub, sizeof sub, "%s.%.40s", path, bad);
        return cfg_fail(e, sub, "is not a field setting (name, type, label, required, options, placeholder, help, max_length)");
    }
    snprintf(sub, sizeof sub, "%s.name", path);
    if (cfg_str(f, "name", 1, 32, false, &name, NULL) || !name_ok(name))
        return cfg_fail(e, sub, "must be 1 to 32 characters of a-z, 0-9 and _");
    for (size_t i = 0; i < sizeof reserved_names / sizeof reserved_names[0]; i++)
        if (strcmp(name, reserved_names[i]) == 0)
            return cfg_fail(e, sub, "\"%s\" is reserved for a built-in field", name);
    snprintf(sub, sizeof sub, "%s.type", path);
    int t = -1;
    if (cfg_str(f, "type", 1, 16, false, &type, NULL) || (t = type_index(type)) < 0)
        return cfg_fail(e, sub, "must be one of text, textarea, select, email, url, number, checkbox");
    snprintf(sub, sizeof sub, "%s.label", path);
    if (cfg_str(f, "label", 1, SB_WEBFORM_LABEL_MAX, false, &label, NULL))
        return cfg_fail(e, sub, "must be a text of 1 to %d bytes", SB_WEBFORM_LABEL_MAX);
    snprintf(sub, sizeof sub, "%s.placeholder", path);
    if (cfg_str(f, "placeholder", 0, SB_WEBFORM_LABEL_MAX, false, &placeholder, ""))
        return cfg_fail(e, sub, "must be a text of at most %d bytes", SB_WEBFORM_LABEL_MAX);
    snprintf(sub, sizeof sub, "%s.help", path);
    if (cfg_str(f, "help", 0, SB_WEBFORM_HELP_MAX, false, &help, ""))
        return cfg_fail(e, sub, "must be a text of at most %d bytes", SB_WEBFORM_HELP_MAX);
    json_t *req = json_object_get(f, "required");
    snprintf(sub, sizeof sub, "%s.required", path);
    if (req && !json_is_boolean(req) && !json_is_null(req))
        return cfg_fail(e, sub, "must be true or false");
    json_int_t deflen = t == 1 ? 5000 : t == 4 ? 1000 : t == 5 ? 50 : 200;
    json_t *ml = json_object_get(f, "max_length");
    snprintf(sub, sizeof sub, "%s.max_length", path);
    if (ml && !json_is_null(ml)) {
        if (!json_is_integer(ml) || json_integer_value(ml) < 1 || json_integer_value(ml) > SB_WEBFORM_LENGTH_CAP)
            return cfg_fail(e, sub, "must be an integer from 1 to %d", SB_WEBFORM_LENGTH_CAP);
        deflen = json_integer_value(ml);
    }
    json_t *opts = json_object_get(f, "options");
    snprintf(sub, sizeof sub, "%s.options", path);
    json_t *options = NULL;
    if (t == 2) {
        if (!json_is_array(opts) || json_array_size(opts) < 1 || json_array_size(opts) > SB_WEBFORM_MAX_OPTIONS)
            return cfg_fail(e, sub, "must be a list of 1 to %d options", SB_WEBFORM_MAX_OPTIONS);
        size_t i, j;
        json_t *o, *p;
        json_array_foreach(opts, i, o)
        {
            size_t n = json_is_string(o) ? json_string_length(o) : 0;
            if (n < 1 || n > SB_WEBFORM_OPTION_MAX || strlen(json_string_value(o)) != n ||
                has_ctl(json_string_value(o), false)) {
                snprintf(sub, sizeof sub, "%s.options[%zu]", path, i);
                return cfg_fail(e, sub, "must be a text of 1 to %d bytes", SB_WEBFORM_OPTION_MAX);
            }
            json_array_foreach(opts, j, p)
            {
                if (j < i && json_equal(o, p)) {
                    snprintf(sub, sizeof sub, "%s.options[%zu]", path, i);
                    return cfg_fail(e, sub, "repeats the option \"%.60s\"", json_string_value(o));
                }
            }
        }
        options = json_deep_copy(opts);
    } else if (opts && !json_is_null(opts)) {
        return cfg_fail(e, sub, "are only for select fields");
    }
    json_t *out = json_pack("{s:s, s:s, s:s, s:b, s:s, s:s}", "name", name, "type", type_names[t], "label", label,
                            "required", json_is_true(req), "placeholder", placeholder, "help", help);
    if (t != 6) /* a checkbox has no length */
        json_object_set_new(out, "max_length", json_integer(deflen));
    if (options)
        json_object_set_new(out, "options", options);
    return out;
}

static bool lang_ok(const char *s)
{
    size_t n = strlen(s);
    if (n < 2 || n > 16)
        return false;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && *s != '-')
            return false;
    return true;
}

json_t *sb_webform_config_parse(const json_t *in, char *field, size_t fieldlen, char *msg, size_t msglen)
{
    static const char *const keys[] = {"title", "intro", "lang", "strings", "fields", NULL};
    cfg_err e = {field, fieldlen, msg, msglen};
    field[0] = msg[0] = '\0';
    if (!json_is_object(in))
        return cfg_fail(&e, "(body)", "must be a JSON object");
    const char *bad, *title, *intro, *lang;
    if (!only_keys(in, keys, &bad)) {
        char k[64];
        snprintf(k, sizeof k, "%.40s", bad);
        return cfg_fail(&e, k, "is not a form setting (title, intro, lang, strings, fields)");
    }
    if (cfg_str(in, "title", 1, SB_WEBFORM_TITLE_MAX, false, &title, "Contact us"))
        return cfg_fail(&e, "title", "must be a text of 1 to %d bytes", SB_WEBFORM_TITLE_MAX);
    if (cfg_str(in, "intro", 0, SB_WEBFORM_INTRO_MAX, true, &intro, ""))
        return cfg_fail(&e, "intro", "must be a text of at most %d bytes", SB_WEBFORM_INTRO_MAX);
    if (cfg_str(in, "lang", 2, 16, false, &lang, "en") || !lang_ok(lang))
        return cfg_fail(&e, "lang", "must be a language tag such as en or pt-BR");
    json_t *strings = json_object_get(in, "strings");
    if (strings && !json_is_null(strings) && !json_is_object(strings))
        return cfg_fail(&e, "strings", "must be an object of texts");
    json_t *out_strings = json_object();
    const char *k;
    json_t *v;
    if (json_is_object(strings)) {
        json_object_foreach(strings, k, v)
        {
            size_t i = 0;
            while (i < NSTRINGS && strcmp(k, string_defaults[i][0]) != 0)
                i++;
            char path[96];
            snprintf(path, sizeof path, "strings.%.40s", k);
            if (i == NSTRINGS) {
                json_decref(out_strings);
                return cfg_fail(&e, path, "is not a known text");
            }
        }
    }
    for (size_t i = 0; i < NSTRINGS; i++) {
        const char *s;
        if (cfg_str(strings, string_defaults[i][0], 1, SB_WEBFORM_LABEL_MAX, false, &s, string_defaults[i][1])) {
            char path[96];
            snprintf(path, sizeof path, "strings.%s", string_defaults[i][0]);
            json_decref(out_strings);
            return cfg_fail(&e, path, "must be a text of 1 to %d bytes", SB_WEBFORM_LABEL_MAX);
        }
        json_object_set_new(out_strings, string_defaults[i][0], json_string(s));
    }
    json_t *fields = json_object_get(in, "fields");
    if (!json_is_array(fields) || json_array_size(fields) > SB_WEBFORM_MAX_FIELDS) {
        json_decref(out_strings);
        return cfg_fail(&e, "fields", "must be a list of at most %d fields", SB_WEBFORM_MAX_FIELDS);
    }
    json_t *out_fields = json_array();
    size_t i;
    json_t *f;
    json_array_foreach(fields, i, f)
    {
        json_t *nf = parse_field(f, i, &e);
        if (!nf)
            goto fail;
        const char *name = json_string_value(json_object_get(nf, "name"));
        for (size_t j = 0; j < json_array_size(out_fields); j++) {
            if (strcmp(name, json_string_value(json_object_get(json_array_get(out_fields, j), "name"))) == 0) {
                char path[64];
                snprintf(path, sizeof path, "fields[%zu].name", i);
                cfg_fail(&e, path, "repeats the field name \"%s\"", name);
                json_decref(nf);
                goto fail;
            }
        }
        json_array_append_new(out_fields, nf);
    }
    return json_pack("{s:s, s:s, s:s, s:o, s:o}", "title", title, "intro", intro, "lang", lang, "strings", out_strings,
                     "fields", out_fields);
fail:
    json_decref(out_strings);
    json_decref(out_fields);
    return NULL;
}

const char *sb_webform_string(const json_t *config, const char *key)
{
    const char *s = json_string_value(json_object_get(json_object_get(config, "strings"), key));
    if (s)
        return s;
    for (size_t i = 0; i < NSTRINGS; i++)
        if (strcmp(key, string_defaults[i][0]) == 0)
            return string_defaults[i][1];
    return "";
}

/* ---- submissions ---- */

static void add_error(json_t *errors, const char *key, const char *label, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void add_error(json_t *errors, const char *key, const char *label, const char *fmt, ...)
{
    char text[160], line[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    snprintf(line, sizeof line, "%s %s", label, text);
    json_object_set_new(errors, key, json_string(line));
}

/* Copies s without surrounding white space (and, for multi-line text, with CRLF as LF). */
static char *clean(const char *s, bool multiline)
{
    while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
        s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n' || s[n - 1] == '\r'))
        n--;
    char *out = malloc(n + 1);
    if (!out)
        return NULL;
    size_t j = 0;
    for (size_t i = 0; i < n; i++) {
        if (multiline && s[i] == '\r') {
            out[j++] = '\n';
            if (i + 1 < n && s[i + 1] == '\n')
                i++;
            continue;
        }
        out[j++] = s[i];
    }
    out[j] = '\0';
    return out;
}

/* One text value: NULL when absent or empty (after trimming); -1 in *bad on a wrong type. */
static char *text_value(const json_t *v, bool multiline, bool *bad)
{
    *bad = false;
    if (!v || json_is_null(v))
        return NULL;
    if (!json_is_string(v)) {
        *bad = true;
        return NULL;
    }
    if (strlen(json_string_value(v)) != json_string_length(v)) {
        *bad = true;
        return NULL;
    }
    char *s = clean(json_string_value(v), multiline);
    if (s && !*s) {
        free(s);
        return NULL;
    }
    return s;
}

static void check_fixed(const json_t *config, const json_t *values, json_t *fixed, json_t *errors, const char *key,
                        const char *label_key, bool required, size_t max, bool email)
{
    const char *label = sb_webform_string(config, label_key);
    bool bad;
    char *s = text_value(json_object_get(values, key), false, &bad);
    if (bad)
        add_error(errors, key, label, "must be text.");
    else if (!s && required)
        add_error(errors, key, label, "is required.");
    else if (s && has_ctl(s, false))
        add_error(errors, key, label, "contains control characters.");
    else if (s && sb_webform_chars(s) > max)
        add_error(errors, key, label, "must be at most %zu characters.", max);
    else if (s && email && !sb_webform_email_ok(s))
        add_error(errors, key, label, "must be an email address such as name@example.com.");
    else
        json_object_set_new(fixed, key, json_string(s ? s : ""));
    free(s);
}

static void check_field(const json_t *f, const json_t *values, json_t *answers, json_t *errors)
{
    const char *name = json_string_value(json_object_get(f, "name"));
    const char *type = json_string_value(json_object_get(f, "type"));
    const char *label = json_string_value(json_object_get(f, "label"));
    bool required = json_is_true(json_object_get(f, "required"));
    size_t max = (size_t)json_integer_value(json_object_get(f, "max_length"));
    json_t *v = json_object_get(values, name);
    if (strcmp(type, "checkbox") == 0) {
        bool on = false;
        if (json_is_boolean(v)) {
            on = json_is_true(v);
        } else if (json_is_string(v)) {
            const char *s = json_string_value(v);
            if (strcmp(s, "on") == 0 || strcmp(s, "1") == 0 || strcmp(s, "true") == 0 || strcmp(s, "yes") == 0)
                on = true;
            else if (*s && strcmp(s, "0") != 0 && strcmp(s, "false") != 0 && strcmp(s, "off") != 0 &&
                     strcmp(s, "no") != 0) {
                add_error(errors, name, label, "must be checked or not.");
                return;
            }
        } else if (v && !json_is_null(v)) {
            add_error(errors, name, label, "must be true or false.");
            return;
        }
        if (required && !on) {
            add_error(errors, name, label, "must be checked.");
            return;
        }
        json_object_set_new(answers, name, json_boolean(on));
        return;
    }
    bool multiline = strcmp(type, "textarea") == 0;
    bool is_number = strcmp(type, "number") == 0;
    bool bad;
    char *s;
    if (is_number && json_is_number(v)) {
        double d = json_number_value(v);
        if (!isfinite(d)) {
            add_error(errors, name, label, "must be a number.");
            return;
        }
        json_object_set(answers, name, v);
        return;
    }
    s = text_value(v, multiline, &bad);
    if (bad) {
        add_error(errors, name, label, "must be %s.", is_number ? "a number" : "text");
        goto out;
    }
    if (!s) {
        if (required)
            add_error(errors, name, label, "is required.");
        goto out;
    }
    if (has_ctl(s, multiline)) {
        add_error(errors, name, label, "contains control characters.");
        goto out;
    }
    if (sb_webform_chars(s) > max) {
        add_error(errors, name, label, "must be at most %zu characters.", max);
        goto out;
    }
    if (strcmp(type, "select") == 0) {
        size_t i;
        json_t *o;
        bool found = false;
        json_array_foreach(json_object_get(f, "options"), i, o) found |= strcmp(json_string_value(o), s) == 0;
        if (!found) {
            add_error(errors, name, label, "must be one of the listed choices.");
            goto out;
        }
    } else if (strcmp(type, "email") == 0 && !sb_webform_email_ok(s)) {
        add_error(errors, name, label, "must be an email address such as name@example.com.");
        goto out;
    } else if (strcmp(type, "url") == 0 && !sb_webform_url_ok(s)) {
        add_error(errors, name, label, "must be a web address starting with http:// or https://.");
        goto out;
    } else if (is_number) {
        char *end;
        double d = strtod(s, &end);
        if (*end || end == s || !isfinite(d) || !(isdigit((unsigned char)s[0]) || s[0] == '-' || s[0] == '+')) {
            add_error(errors, name, label, "must be a number.");
            goto out;
        }
        if (d == floor(d) && fabs(d) < 9.0e15)
            json_object_set_new(answers, name, json_integer((json_int_t)d));
        else
            json_object_set_new(answers, name, json_real(d));
        goto out;
    }
    json_object_set_new(answers, name, json_string(s));
out:
    free(s);
}

size_t sb_webform_check(const json_t *config, const json_t *values, json_t *fixed, json_t *answers, json_t *errors)
{
    check_fixed(config, values, fixed, errors, "name", "name_label", false, SB_WEBFORM_NAME_MAX, false);
    check_fixed(config, values, fixed, errors, "email", "email_label", true, SB_WEBFORM_EMAIL_MAX, true);
    check_fixed(config, values, fixed, errors, "subject", "subject_label", true, SB_WEBFORM_SUBJECT_MAX, false);
    size_t i;
    json_t *f;
    json_array_foreach(json_object_get(config, "fields"), i, f) check_field(f, values, answers, errors);
    return json_object_size(errors);
}

static const json_t *description_field(const json_t *config)
{
    size_t i;
    json_t *f;
    json_array_foreach(json_object_get(config, "fields"), i, f)
    {
        if (strcmp(json_string_value(json_object_get(f, "type")), "textarea") == 0)
            return f;
    }
    return NULL;
}

char *sb_webform_body(const json_t *config, const json_t *answers)
{
    const json_t *desc = description_field(config);
    const char *desc_text = desc ? json_string_value(json_object_get(answers, json_string_value(json_object_get(desc, "name")))) : NULL;
    size_t cap = 64 + (desc_text ? strlen(desc_text) : 0);
    size_t i;
    json_t *f;
    json_array_foreach(json_object_get(config, "fields"), i, f)
    {
        json_t *v = json_object_get(answers, json_string_value(json_object_get(f, "name")));
        cap += strlen(json_string_value(json_object_get(f, "label"))) + 8 + (json_is_string(v) ? json_string_length(v) : 40);
    }
    char *out = malloc(cap);
    if (!out)
        return NULL;
    size_t len = 0;
    out[0] = '\0';
    if (desc_text)
        len += (size_t)snprintf(out + len, cap - len, "%s\n\n", desc_text);
    json_array_foreach(json_object_get(config, "fields"), i, f)
    {
        if (f == desc)
            continue;
        const char *label = json_string_value(json_object_get(f, "label"));
        json_t *v = json_object_get(answers, json_string_value(json_object_get(f, "name")));
        if (!v)
            continue;
        if (json_is_string(v))
            len += (size_t)snprintf(out + len, cap - len, "%s: %s\n", label, json_string_value(v));
        else if (json_is_boolean(v))
            len += (size_t)snprintf(out + len, cap - len, "%s: %s\n", label, json_is_true(v) ? "Yes" : "No");
        else if (json_is_integer(v))
            len += (size_t)snprintf(out + len, cap - len, "%s: %lld\n", label, (long long)json_integer_value(v));
        else if (json_is_real(v))
            len += (size_t)snprintf(out + len, cap - len, "%s: %.17g\n", label, json_real_value(v));
    }
    while (len && out[len - 1] == '\n')
        out[--len] = '\0';
    return out;
}
