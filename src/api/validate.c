/* Input validation shared by every handler. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "core/conversation.h"

int sb_api_need_object(sb_req *r)
{
    if (!r->body)
        return sb_req_fail(r, SB_E_INVALID_JSON, "the body is empty; send a JSON object");
    if (!json_is_object(r->body))
        return sb_req_fail(r, SB_E_BAD_REQUEST, "the body must be a JSON object");
    return SB_OK;
}

int sb_api_only(sb_req *r, const char *const *allowed)
{
    const char *key;
    json_t *v;
    json_object_foreach(r->body, key, v)
    {
        bool ok = false;
        for (const char *const *a = allowed; *a && !ok; a++)
            ok = strcmp(*a, key) == 0;
        if (!ok)
            return sb_req_fail(r, SB_E_VALIDATION, "unknown field \"%.64s\"", key);
    }
    return SB_OK;
}

int sb_api_str(sb_req *r, const char *key, bool required, bool allow_empty, size_t maxlen, const char **out)
{
    *out = NULL;
    json_t *v = json_object_get(r->body, key);
    if (!v || json_is_null(v)) {
        if (required)
            return sb_req_fail(r, SB_E_VALIDATION, "\"%s\" is required", key);
        return SB_OK;
    }
    if (!json_is_string(v))
        return sb_req_fail(r, SB_E_BAD_REQUEST, "\"%s\" must be a string", key);
    size_t n = json_string_length(v);
    if (n == 0 && !allow_empty)
        return sb_req_fail(r, SB_E_VALIDATION, "\"%s\" must not be empty", key);
    if (n > maxlen)
        return sb_req_fail(r, SB_E_VALIDATION, "\"%s\" is longer than %zu bytes", key, maxlen);
    if (memchr(json_string_value(v), '\0', n))
        return sb_req_fail(r, SB_E_VALIDATION, "\"%s\" contains a NUL character", key);
    *out = json_string_value(v);
    return SB_OK;
}

int sb_api_id(sb_req *r, const char *key, bool *present, int64_t *out)
{
    *present = false;
    *out = 0;
    json_t *v = json_object_get(r->body, key);
    if (!v)
        return SB_OK;
    *present = true;
    if (json_is_null(v))
        return SB_OK;
    if (!json_is_integer(v))
        return sb_req_fail(r, SB_E_BAD_REQUEST, "\"%s\" must be an integer id or null", key);
    if (json_integer_value(v) <= 0)
        return sb_req_fail(r, SB_E_VALIDATION, "\"%s\" must be a positive id", key);
    *out = json_integer_value(v);
    return SB_OK;
}

int sb_api_bool(sb_req *r, const char *key, bool *present, bool *out)
{
    json_t *v = json_object_get(r->body, key);
    *present = v != NULL;
    *out = false;
    if (!v)
        return SB_OK;
    if (!json_is_boolean(v))
        return sb_req_fail(r, SB_E_BAD_REQUEST, "\"%s\" must be true or false", key);
    *out = json_is_true(v);
    return SB_OK;
}

static int parse_int(const char *s, int64_t *out)
{
    if (!s || !*s)
        return -1;
    char *end;
    long long v = strtoll(s, &end, 10);
    if (*end || v < 0)
        return -1;
    *out = v;
    return 0;
}

int sb_api_query_limit(sb_req *r, int def, int max, int *out)
{
    const char *s = sb_req_query(r, "limit");
    *out = def;
    if (!s)
        return SB_OK;
    int64_t v;
    if (parse_int(s, &v) < 0 || v < 1 || v > max)
        return sb_req_fail(r, SB_E_BAD_REQUEST, "limit must be an integer from 1 to %d", max);
    *out = (int)v;
    return SB_OK;
}

int sb_api_query_id(sb_req *r, const char *key, int64_t *out)
{
    const char *s = sb_req_query(r, key);
    *out = 0;
    if (!s || !*s)
        return SB_OK;
    if (strcmp(s, "none") == 0) {
        *out = -1;
        return SB_OK;
    }
    int64_t v;
    if (parse_int(s, &v) < 0 || v == 0)
        return sb_req_fail(r, SB_E_BAD_REQUEST, "%s must be an id or \"none\"", key);
    *out = v;
    return SB_OK;
}

sb_actor sb_api_actor(sb_req *r)
{
    sb_actor a = {"agent", r->who.agent_id};
    return a;
}

int sb_api_not_found(sb_req *r, const char *what, int64_t id)
{
    return sb_req_fail(r, SB_E_NOT_FOUND, "%s %lld not found", what, (long long)id);
}

bool sb_api_safe_filename(const char *name)
{
    if (!name || !*name || strlen(name) > 255)
        return false;
    for (const unsigned char *p = (const unsigned char *)name; *p; p++)
        if (*p < 0x20 || *p == 0x7f || *p == '/' || *p == '\\')
            return false;
    return true;
}

/* RFC 2045: token "/" token, where a token is printable ASCII without specials. */
bool sb_api_mime_type_ok(const char *type)
{
    static const char specials[] = "()<>@,;:\\\"/[]?= ";
    int slashes = 0;
    size_t seg = 0;
    for (const unsigned char *p = (const unsigned char *)type; *p; p++) {
        if (*p == '/') {
            if (!seg || ++slashes > 1)
                return false;
            seg = 0;
            continue;
        }
        if (*p <= 0x20 || *p >= 0x7f || strchr(specials, *p))
            return false;
        seg++;
    }
    return slashes == 1 && seg > 0 && strlen(type) <= 127;
}

int sb_api_query_statuses(sb_req *r, char list[128], char one[16])
{
    const char *q = sb_req_query(r, "status");
    list[0] = one[0] = '\0';
    if (!q || !*q)
        return SB_OK;
    if (strlen(q) + 3 > 128)
        return sb_req_fail(r, SB_E_BAD_REQUEST, "status list too long");
    char tmp[128];
    snprintf(tmp, sizeof tmp, "%s", q);
    snprintf(list, 128, ",");
    int count = 0;
    for (char *save = NULL, *tok = strtok_r(tmp, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        if (sb_status_parse(tok) < 0)
            return sb_req_fail(r, SB_E_BAD_REQUEST, "unknown status \"%.32s\"", tok);
        strncat(list, tok, 128 - strlen(list) - 1);
        strncat(list, ",", 128 - strlen(list) - 1);
        if (!count++)
            snprintf(one, 16, "%s", tok);
    }
    if (count != 1)
        one[0] = '\0';
    return SB_OK;
}
