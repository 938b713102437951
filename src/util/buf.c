#include "util/buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SB_BUF_DEFAULT_LIMIT (64u << 20)

void sb_buf_init(sb_buf *b, size_t limit)
{
    memset(b, 0, sizeof *b);
    b->limit = limit ? limit : SB_BUF_DEFAULT_LIMIT;
}

void sb_buf_release(sb_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
    b->failed = 0;
}

void sb_buf_reset(sb_buf *b)
{
    b->len = 0;
    b->failed = 0;
    if (b->data)
        b->data[0] = '\0';
}

static int grow(sb_buf *b, size_t need)
{
    if (b->failed)
        return -1;
    if (need > b->limit) {
        b->failed = 1;
        return -1;
    }
    if (need + 1 <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < need + 1)
        cap *= 2;
    char *p = realloc(b->data, cap);
    if (!p) {
        b->failed = 1;
        return -1;
    }
    b->data = p;
    b->cap = cap;
    b->data[b->len] = '\0'; /* always a string, even before the first append */
    return 0;
}

int sb_buf_append(sb_buf *b, const void *data, size_t len)
{
    if (grow(b, b->len + len) < 0)
        return -1;
    if (len)
        memcpy(b->data + b->len, data, len);
    b->len += len;
    b->data[b->len] = '\0';
    return 0;
}

int sb_buf_puts(sb_buf *b, const char *s)
{
    return sb_buf_append(b, s, strlen(s));
}

int sb_buf_vprintf(sb_buf *b, const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    char small[256];
    int n = vsnprintf(small, sizeof small, fmt, ap2);
    va_end(ap2);
    if (n < 0)
        return -1;
    if ((size_t)n < sizeof small)
        return sb_buf_append(b, small, (size_t)n);
    if (grow(b, b->len + (size_t)n) < 0)
        return -1;
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
    return 0;
}

int sb_buf_printf(sb_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = sb_buf_vprintf(b, fmt, ap);
    va_end(ap);
    return rc;
}

char *sb_buf_detach(sb_buf *b, size_t *len)
{
    if (!b->data && grow(b, 0) < 0)
        return NULL;
    char *d = b->data;
    if (len)
        *len = b->len;
    b->data = NULL;
    b->len = b->cap = 0;
    return d;
}
