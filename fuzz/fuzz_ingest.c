/* libFuzzer target for the email ingest path, as channels/email/inbound.c runs it:
 * sb_mime_parse -> sb_html_sanitize (cid: rewrites on) -> sb_html_to_text when there is no
 * plain text -> sb_text_quote_start. Besides the sanitizers' findings it traps on broken
 * promises of the headers: invalid UTF-8, a quote start past the end, data missing from a
 * part that is not truncated. Built and run by scripts/fuzz.sh (see fuzz/README.md). */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "channels/email/html.h"
#include "channels/email/mime.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                        \
    do {                                                                   \
        if (!(cond)) {                                                     \
            fprintf(stderr, "fuzz_ingest: check failed: %s (%s:%d)\n",     \
                    #cond, __FILE__, __LINE__);                            \
            abort();                                                       \
        }                                                                  \
    } while (0)

static void check_utf8(const char *s)
{
    if (s)
        CHECK(g_utf8_validate(s, -1, NULL));
}

typedef struct {
    const sb_mime_message *m;
    char url[96];
} cid_ctx;

static const char *resolve_cid(void *ctx, const char *content_id)
{
    cid_ctx *c = ctx;
    for (size_t i = 0; i < c->m->nparts; i++) {
        const sb_mime_part *p = &c->m->parts[i];
        if (p->content_id && p->data && !strcmp(p->content_id, content_id)) {
            snprintf(c->url, sizeof c->url, "/api/v1/blobs/%064zu", i);
            return c->url;
        }
    }
    return NULL;
}

static void check_message(const sb_mime_message *m)
{
    check_utf8(m->warning);
    if (!m->parsed) {
        CHECK(m->warning != NULL);
        return;
    }
    CHECK(m->subject && m->text && m->from.name && m->from.addr);
    CHECK(*m->from.addr || m->warning);
    check_utf8(m->subject);
    check_utf8(m->text);
    check_utf8(m->html);
    check_utf8(m->message_id);
    check_utf8(m->in_reply_to);
    check_utf8(m->from.name);
    check_utf8(m->from.addr);
    check_utf8(m->reply_to.name);
    check_utf8(m->reply_to.addr);
    for (size_t i = 0; i < m->nreferences; i++)
        check_utf8(m->references[i]);
    for (size_t i = 0; i < m->nto; i++) {
        check_utf8(m->to[i].name);
        check_utf8(m->to[i].addr);
    }
    for (size_t i = 0; i < m->ncc; i++) {
        check_utf8(m->cc[i].name);
        check_utf8(m->cc[i].addr);
    }
    for (size_t i = 0; i < m->nparts; i++) {
        const sb_mime_part *p = &m->parts[i];
        CHECK(p->filename && *p->filename && !strchr(p->filename, '/'));
        check_utf8(p->filename);
        check_utf8(p->content_type);
        check_utf8(p->content_id);
        CHECK(p->truncated == (p->data == NULL));
        if (p->data && p->size) { /* touch both ends: ASan checks the length */
            volatile unsigned char ends = (unsigned char)(p->data[0] ^ p->data[p->size - 1]);
            (void)ends;
        }
    }
    check_utf8(m->bounced_message_id);
    check_utf8(m->bounced_recipient);
    check_utf8(m->bounce_status);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sb_mime_init();
    sb_mime_limits lim;
    sb_mime_limits_default(&lim);
    /* One input in four runs with tiny limits, so the limit paths get fuzzed too. The
     * choice comes from the length, not the bytes, so seeds keep their meaning. */
    if (size % 4 == 3) {
        lim.max_parts = 6;
        lim.max_depth = 3;
        lim.max_attachment = 100;
        lim.max_body = 300;
        lim.max_addresses = 2;
    }
    sb_mime_message m;
    if (sb_mime_parse((const char *)data, size, &lim, &m) != 0)
        return 0;
    check_message(&m);
    if (!m.parsed)
        goto out;

    char *text_from_html = NULL;
    if (m.html) {
        cid_ctx cc = {.m = &m};
        sb_html_opts opts = {.resolve_cid = resolve_cid, .cid_ctx = &cc, .max_output = 0};
        sb_html_result r;
        memset(&r, 0, sizeof r);
        if (sb_html_sanitize(m.html, strlen(m.html), &opts, &r) == 0) {
            check_utf8(r.html);
            sb_html_result_release(&r);
        }
    }
    const char *text = m.text;
    if (!*text && m.html) {
        text_from_html = sb_html_to_text(m.html, strlen(m.html));
        check_utf8(text_from_html);
        text = text_from_html ? text_from_html : "";
    }
    size_t q = sb_text_quote_start(text);
    CHECK(q <= strlen(text));
    free(text_from_html);
out:
    sb_mime_release(&m);
    return 0;
}
