/* HTML form bodies (application/x-www-form-urlencoded and multipart/form-data), decoded by
 * libmicrohttpd's post processor from a body the server already collected (raw_body routes). */
#ifndef SB_HTTP_FORM_H
#define SB_HTTP_FORM_H

#include <stdbool.h>
#include <stddef.h>

#include "http/http.h"

#define SB_FORM_MAX_PAIRS 64 /* further fields are ignored */
#define SB_FORM_KEY_MAX 64   /* longer field names are ignored */

typedef struct {
    char key[SB_FORM_KEY_MAX + 1];
    char *val; /* NUL-terminated; may hold other NUL bytes (len says) */
    size_t len;
} sb_form_pair;

typedef struct {
    sb_form_pair pairs[SB_FORM_MAX_PAIRS];
    size_t n;
    bool failed;  /* out of memory */
    int current;  /* pair receiving data, -1 when a duplicate or file is skipped */
} sb_form;

/* Decodes r->raw by the request's Content-Type. SB_OK, or 400 (sets r's error) when the
 * type is not a form or the body is malformed. Call sb_form_release afterwards either way.
 * A repeated field keeps its first value; uploaded files are skipped. */
int sb_req_form(sb_req *r, sb_form *f);
/* The value of key, or NULL when absent. */
const char *sb_form_get(const sb_form *f, const char *key, size_t *len);
void sb_form_release(sb_form *f);

#endif
