/* Inbound HTML made safe to show to agents, with gumbo: an allow-list of elements and
 * attributes, no script or event handlers, no javascript: or data: URLs (except inline
 * base64 data:image png/gif/jpeg/webp), links with rel="noopener noreferrer" target="_blank",
 * remote images blocked until an agent asks, cid: references rewritten to attachment URLs.
 * Also: plain text from HTML (for search and previews) and where quoted history starts. */
#ifndef SB_CHANNELS_EMAIL_HTML_H
#define SB_CHANNELS_EMAIL_HTML_H

#include <stdbool.h>
#include <stddef.h>

/* Resolves "cid:xyz" (given as "xyz") to a URL, or NULL when unknown. */
typedef const char *(*sb_html_cid_fn)(void *ctx, const char *content_id);

typedef struct {
    sb_html_cid_fn resolve_cid;
    void *cid_ctx;
    size_t max_output; /* bytes of sanitised HTML (default 4 MiB); longer input is cut */
} sb_html_opts;

typedef struct {
    char *html;                 /* sanitised HTML fragment (no <html>/<head>/<body>) */
    unsigned remote_images;     /* <img> with http(s) src: kept as data-sb-remote-src, src removed */
    bool has_quote;             /* the fragment contains quoted history, wrapped in
                                   <div class="sb-quoted">...</div> */
} sb_html_result;

/* Returns 0, or -1 when out of memory. Input need not be well-formed or UTF-8 clean. */
int sb_html_sanitize(const char *html, size_t len, const sb_html_opts *opts, sb_html_result *out);
void sb_html_result_release(sb_html_result *r);

/* Readable plain text of an HTML document: block elements become line breaks, links keep
 * their text, script/style dropped, entities decoded, whitespace collapsed. Caller frees. */
char *sb_html_to_text(const char *html, size_t len);

/* Offset in `text` where quoted history begins ("On ... wrote:", "-----Original Message-----",
 * "From: ... Sent: ...", a run of "> " lines at the end, and their translations in common
 * languages), or strlen(text) when there is none; 0 when the whole text is history. A
 * signature or "Sent from my ..." line directly above the history counts as part of it. */
size_t sb_text_quote_start(const char *text);

#endif
