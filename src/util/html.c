#include "util/html.h"

#include <string.h>

int sb_html_escape_n(sb_buf *b, const char *s, size_t len)
{
    size_t start = 0;
    int rc = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        const char *rep;
        switch (c) {
        case '&': rep = "&amp;"; break;
        case '<': rep = "&lt;"; break;
        case '>': rep = "&gt;"; break;
        case '"': rep = "&quot;"; break;
        case '\'': rep = "&#39;"; break;
        default:
            if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f)
                rep = "\xEF\xBF\xBD";
            else
                continue;
        }
        if (i > start)
            rc |= sb_buf_append(b, s + start, i - start);
        rc |= sb_buf_puts(b, rep);
        start = i + 1;
    }
    if (len > start)
        rc |= sb_buf_append(b, s + start, len - start);
    return rc ? -1 : 0;
}

int sb_html_escape(sb_buf *b, const char *s)
{
    return s ? sb_html_escape_n(b, s, strlen(s)) : 0;
}
