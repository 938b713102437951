#include "core/macro.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"

const char *const sb_macro_placeholders[] = {
    "contact.name",      "contact.first_name",    "contact.email",         "contact.phone",
    "organization.name", "agent.name",            "agent.first_name",      "agent.email",
    "conversation.id",   "conversation.subject",  "conversation.status",   "conversation.priority",
    "conversation.channel", NULL};

#define MACRO_OUT_MAX (1u << 20) /* an expansion; bodies are at most 64 KiB */

static void put(sb_buf *b, const char *s, size_t n)
{
    sb_buf_append(b, s, n);
}

/* The text, or NULL when it outgrew the cap or memory ran out. */
static char *finish(sb_buf *b)
{
    if (b->failed) {
        sb_buf_release(b);
        return NULL;
    }
    return sb_buf_detach(b, NULL);
}

static void put_escaped(sb_buf *b, const char *s)
{
    for (; s && *s; s++) {
        /* Characters that start Markdown or HTML constructs; newlines would start blocks. */
        if (strchr("\\`*_[]<>#|~!&{}", *s)) {
            put(b, "\\", 1);
            put(b, s, 1);
        } else if (*s == '\n' || *s == '\r') {
            put(b, " ", 1);
        } else {
            put(b, s, 1);
        }
    }
}

char *sb_macro_escape_text(const char *s)
{
    sb_buf b;
    sb_buf_init(&b, MACRO_OUT_MAX);
    put_escaped(&b, s);
    return finish(&b);
}

/* Parses "{{ key }}" at p; on success sets key (trimmed) and returns the length consumed. */
static size_t parse_placeholder(const char *p, char key[SB_MACRO_PLACEHOLDER_MAX + 1])
{
    if (p[0] != '{' || p[1] != '{')
        return 0;
    const char *end = strstr(p + 2, "}}");
    if (!end)
        return 0;
    const char *a = p + 2, *z = end;
    while (a < z && isspace((unsigned char)*a))
        a++;
    while (z > a && isspace((unsigned char)z[-1]))
        z--;
    size_t n = (size_t)(z - a);
    if (n == 0 || n > SB_MACRO_PLACEHOLDER_MAX)
        return 0;
    for (const char *q = a; q < z; q++)
        if (!(isalnum((unsigned char)*q) || *q == '.' || *q == '_' || *q == ':'))
            return 0;
    memcpy(key, a, n);
    key[n] = '\0';
    return (size_t)(end + 2 - p);
}

static bool known(const char *key, int64_t *article_id)
{
    *article_id = 0;
    if (strncmp(key, "article:", 8) == 0) {
        const char *d = key + 8;
        if (*d < '1' || *d > '9' || strlen(d) > 18)
            return false;
        for (const char *q = d; *q; q++)
            if (!isdigit((unsigned char)*q))
                return false;
        *article_id = strtoll(d, NULL, 10);
        return true;
    }
    for (const char *const *k = sb_macro_placeholders; *k; k++)
        if (strcmp(*k, key) == 0)
            return true;
    return false;
}

bool sb_macro_validate(const char *tmpl, char *err, size_t errlen)
{
    if (!tmpl)
        return true;
    for (const char *p = tmpl; (p = strstr(p, "{{")) != NULL;) {
        char key[SB_MACRO_PLACEHOLDER_MAX + 1];
        size_t n = parse_placeholder(p, key);
        int64_t id;
        if (!n) {
            snprintf(err, errlen, "malformed placeholder at byte %zu (use {{name}})", (size_t)(p - tmpl));
            return false;
        }
        if (!known(key, &id)) {
            snprintf(err, errlen, "unknown placeholder {{%s}}", key);
            return false;
        }
        p += n;
    }
    return true;
}

char *sb_macro_expand(const char *tmpl, sb_macro_lookup lookup, void *ctx, const char *link_base)
{
    sb_buf b;
    sb_buf_init(&b, MACRO_OUT_MAX);
    const char *p = tmpl ? tmpl : "";
    while (*p) {
        const char *open = strstr(p, "{{");
        if (!open) {
            put(&b, p, strlen(p));
            break;
        }
        put(&b, p, (size_t)(open - p));
        char key[SB_MACRO_PLACEHOLDER_MAX + 1];
        size_t n = parse_placeholder(open, key);
        int64_t id;
        if (!n || !known(key, &id)) {
            put(&b, open, 2);
            p = open + 2;
            continue;
        }
        if (id) {
            const char *title = lookup ? lookup(ctx, "article", id) : NULL;
            char link[128];
            snprintf(link, sizeof link, "%s%lld", link_base ? link_base : "/help/articles/", (long long)id);
            put(&b, "[", 1);
            if (title && *title)
                put_escaped(&b, title);
            else
                put(&b, link, strlen(link));
            put(&b, "](", 2);
            put(&b, link, strlen(link));
            put(&b, ")", 1);
        } else {
            put_escaped(&b, lookup ? lookup(ctx, key, 0) : NULL);
        }
        p = open + n;
    }
    return finish(&b);
}
