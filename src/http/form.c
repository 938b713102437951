#include "http/form.h"

#include <microhttpd.h>
#include <stdlib.h>
#include <string.h>

static enum MHD_Result on_value(void *cls, enum MHD_ValueKind kind, const char *key, const char *filename,
                                const char *content_type, const char *transfer_encoding, const char *data,
                                uint64_t off, size_t size)
{
    sb_form *f = cls;
    if (off == 0) {
        f->current = -1;
        if (filename || !key || strlen(key) > SB_FORM_KEY_MAX || f->n >= SB_FORM_MAX_PAIRS ||
            sb_form_get(f, key, NULL))
            return MHD_YES; /* skipped: a file, an oversized name, too many, or a repeat */
        sb_form_pair *p = &f->pairs[f->n];
        memcpy(p->key, key, strlen(key) + 1);
        p->val = NULL;
        p->len = 0;
        f->current = (int)f->n++;
    }
    if (f->current < 0 || size == 0)
        return MHD_YES;
    sb_form_pair *p = &f->pairs[f->current];
    /* The body is capped by the route, so a value never grows beyond it. */
    char *v = realloc(p->val, p->len + size + 1);
    if (!v) {
        f->failed = true;
        return MHD_NO;
    }
    memcpy(v + p->len, data, size);
    p->len += size;
    v[p->len] = '\0';
    p->val = v;
    return MHD_YES;
}

int sb_req_form(sb_req *r, sb_form *f)
{
    memset(f, 0, sizeof *f);
    f->current = -1;
    struct MHD_PostProcessor *pp = MHD_create_post_processor(sb_req_connection(r), 4096, on_value, f);
    if (!pp)
        return sb_req_fail(r, SB_E_BAD_REQUEST,
                           "send the form as application/x-www-form-urlencoded or multipart/form-data");
    enum MHD_Result ok = r->raw_len ? MHD_post_process(pp, r->raw, r->raw_len) : MHD_YES;
    /* Destroying flushes the last value; it reports a truncated or malformed body. */
    if (MHD_destroy_post_processor(pp) != MHD_YES)
        ok = MHD_NO;
    if (f->failed)
        return sb_req_fail(r, SB_E_INTERNAL, "out of memory");
    if (ok != MHD_YES)
        return sb_req_fail(r, SB_E_BAD_REQUEST, "the form body is malformed");
    return SB_OK;
}

const char *sb_form_get(const sb_form *f, const char *key, size_t *len)
{
    for (size_t i = 0; i < f->n; i++) {
        if (strcmp(f->pairs[i].key, key) == 0) {
            if (len)
                *len = f->pairs[i].len;
            return f->pairs[i].val ? f->pairs[i].val : "";
        }
    }
    return NULL;
}

void sb_form_release(sb_form *f)
{
    for (size_t i = 0; i < f->n; i++)
        free(f->pairs[i].val);
    f->n = 0;
}
