/* HTML escaping: the one function every server-rendered page uses for every value. */
#ifndef SB_UTIL_HTML_H
#define SB_UTIL_HTML_H

#include <stddef.h>

#include "util/buf.h"

/* Appends s (len bytes) to b with & < > " ' escaped, so the result is safe both as element
 * text and inside a double- or single-quoted attribute value. NUL bytes and other C0 control
 * characters except tab, LF and CR become U+FFFD (HTML forbids them). Returns 0 or -1 as
 * sb_buf_append does. */
int sb_html_escape_n(sb_buf *b, const char *s, size_t len);
/* The same for a NUL-terminated string; NULL appends nothing. */
int sb_html_escape(sb_buf *b, const char *s);

#endif
