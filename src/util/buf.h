/* Growable byte buffer with a mandatory size cap. Always NUL-terminated. */
#ifndef SB_UTIL_BUF_H
#define SB_UTIL_BUF_H

#include <stdarg.h>
#include <stddef.h>

typedef struct {
    char *data;
    size_t len;
    size_t cap;   /* allocated bytes */
    size_t limit; /* hard maximum of len; 0 = 64 MiB */
    int failed;   /* set once an append hit the limit or ran out of memory */
} sb_buf;

void sb_buf_init(sb_buf *b, size_t limit);
void sb_buf_release(sb_buf *b);
void sb_buf_reset(sb_buf *b);
/* Appends return 0, or -1 (and set failed) when the limit would be passed. */
int sb_buf_append(sb_buf *b, const void *data, size_t len);
int sb_buf_puts(sb_buf *b, const char *s);
int sb_buf_printf(sb_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int sb_buf_vprintf(sb_buf *b, const char *fmt, va_list ap);
/* Hands the data to the caller (free() it); the buffer becomes empty. */
char *sb_buf_detach(sb_buf *b, size_t *len);

#endif
