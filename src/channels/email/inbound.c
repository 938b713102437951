#include "channels/email/inbound.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "channels/email/html.h"
#include "channels/email/mime.h"
#include "store/blobs.h"

struct sb_email_inbound {
    sb_email_ingest_op op; /* first: the request owns the whole struct through it */
    sb_mime_message mime;
    char (*att_sha)[65];
    sb_email_attachment *atts;
    sb_email_address *to, *cc;
    const char **refs;
    sb_html_result html;
    char *text_from_html;
    char *text_new;
    const char *data_dir;
};

typedef struct {
    sb_email_inbound *in;
    char url[128];
} cid_ctx;

static const char *resolve_cid(void *ctx, const char *content_id)
{
    cid_ctx *c = ctx;
    for (size_t i = 0; i < c->in->mime.nparts; i++) {
        const sb_mime_part *p = &c->in->mime.parts[i];
        if (p->content_id && p->data && strcmp(p->content_id, content_id) == 0 && c->in->att_sha[i][0]) {
            snprintf(c->url, sizeof c->url, "/api/v1/blobs/%s", c->in->att_sha[i]);
            return c->url;
        }
    }
    return NULL;
}

static sb_email_address *addresses(const sb_mime_addr *list, size_t n)
{
    sb_email_address *out = calloc(n + 1, sizeof *out);
    for (size_t i = 0; out && i < n; i++) {
        out[i].addr = list[i].addr;
        out[i].name = list[i].name;
    }
    return out;
}

int sb_email_inbound_prepare(const char *data_dir, const char *raw, size_t len, const char *mailbox_hint,
                             sb_email_inbound **out, char *err, size_t errlen)
{
    *out = NULL;
    sb_email_inbound *in = calloc(1, sizeof *in);
    if (!in) {
        snprintf(err, errlen, "out of memory");
        return SB_E_INTERNAL;
    }
    in->data_dir = data_dir;
    sb_mime_init();
    sb_mime_limits lim;
    sb_mime_limits_default(&lim);
    if (sb_mime_parse(raw, len, &lim, &in->mime) < 0) {
        snprintf(err, errlen, "out of memory while parsing");
        sb_email_inbound_free(in);
        return SB_E_INTERNAL;
    }
    if (!in->mime.parsed) {
        snprintf(err, errlen, "not an email message: %s", in->mime.warning ? in->mime.warning : "no header found");
        sb_email_inbound_free(in);
        return SB_E_VALIDATION;
    }
    /* The raw bytes go into the database with the message, in the same commit. */
    in->att_sha = calloc(in->mime.nparts + 1, sizeof *in->att_sha);
    in->atts = calloc(in->mime.nparts + 1, sizeof *in->atts);
    if (!in->att_sha || !in->atts) {
        snprintf(err, errlen, "out of memory");
        sb_email_inbound_free(in);
        return SB_E_INTERNAL;
    }
    size_t natts = 0;
    for (size_t i = 0; i < in->mime.nparts; i++) {
        const sb_mime_part *p = &in->mime.parts[i];
        if (!p->data)
            continue; /* over the size limit: named in the raw message only */
        if (sb_blob_put(data_dir, p->data, p->size, in->att_sha[i]) < 0) {
            snprintf(err, errlen, "cannot store an attachment");
            sb_email_inbound_free(in);
            return SB_E_INTERNAL;
        }
        in->atts[natts++] = (sb_email_attachment){
            .filename = p->filename, .content_type = p->content_type, .content_id = p->content_id,
            .sha256 = in->att_sha[i], .size = (int64_t)p->size, .is_inline = p->is_inline};
    }
    unsigned remote = 0;
    if (in->mime.html) {
        cid_ctx cc = {.in = in};
        sb_html_opts opts = {.resolve_cid = resolve_cid, .cid_ctx = &cc};
        if (sb_html_sanitize(in->mime.html, strlen(in->mime.html), &opts, &in->html) == 0)
            remote = in->html.remote_images;
        else
            memset(&in->html, 0, sizeof in->html);
    }
    const char *text = in->mime.text;
    if ((!text || !*text) && in->mime.html) {
        in->text_from_html = sb_html_to_text(in->mime.html, strlen(in->mime.html));
        text = in->text_from_html;
    }
    if (!text)
        text = "";
    size_t q = sb_text_quote_start(text);
    /* A message that is all quote (a bare forward) keeps its whole text. */
    in->text_new = q > 0 ? strndup(text, q) : strdup(text);
    if (in->text_new) {
        size_t n = strlen(in->text_new);
        while (n && (in->text_new[n - 1] == '\n' || in->text_new[n - 1] == ' ' || in->text_new[n - 1] == '\r'))
            in->text_new[--n] = '\0';
    }
    in->to = addresses(in->mime.to, in->mime.nto);
    in->cc = addresses(in->mime.cc, in->mime.ncc);
    in->refs = calloc(in->mime.nreferences + 1, sizeof *in->refs);
    if (!in->to || !in->cc || !in->refs || !in->text_new) {
        snprintf(err, errlen, "out of memory");
        sb_email_inbound_free(in);
        return SB_E_INTERNAL;
    }
    for (size_t i = 0; i < in->mime.nreferences; i++)
        in->refs[i] = in->mime.references[i];

    sb_email_ingest_op *op = &in->op;
    op->actor = (sb_actor){"system", 0};
    op->mailbox_hint = mailbox_hint;
    op->raw = raw;
    op->raw_len = len;
    op->warning = in->mime.warning;
    op->rfc_message_id = in->mime.message_id;
    op->in_reply_to = in->mime.in_reply_to;
    op->references = in->refs;
    op->nreferences = in->mime.nreferences;
    op->subject = in->mime.subject;
    op->from = (sb_email_address){in->mime.from.addr, in->mime.from.name};
    op->reply_to = (sb_email_address){in->mime.reply_to.addr, in->mime.reply_to.name};
    op->to = in->to;
    op->nto = in->mime.nto;
    op->cc = in->cc;
    op->ncc = in->mime.ncc;
    op->text_new = in->text_new;
    op->text_full = text;
    op->html = in->html.html;
    op->remote_images = remote;
    op->signals = (sb_email_signals){
        .auto_submitted = in->mime.auto_submitted,
        .precedence_bulk = in->mime.precedence_bulk,
        .x_autoreply = in->mime.x_autoreply,
        .list_mail = in->mime.list_mail,
        .from_robot = in->mime.from_robot,
        .is_bounce = in->mime.is_bounce,
        .sender_missing = !in->mime.from.addr || !*in->mime.from.addr,
    };
    op->bounced_message_id = in->mime.bounced_message_id;
    op->bounced_recipient = in->mime.bounced_recipient;
    op->bounce_status = in->mime.bounce_status;
    op->atts = in->atts;
    op->natts = natts;
    *out = in;
    return SB_OK;
}

sb_email_ingest_op *sb_email_inbound_op(sb_email_inbound *in)
{
    return &in->op;
}

void sb_email_inbound_free(void *arg)
{
    sb_email_inbound *in = arg;
    if (!in)
        return;
    sb_mime_release(&in->mime);
    free(in->att_sha);
    free(in->atts);
    free(in->to);
    free(in->cc);
    free(in->refs);
    sb_html_result_release(&in->html);
    free(in->text_from_html);
    free(in->text_new);
    free(in);
}
