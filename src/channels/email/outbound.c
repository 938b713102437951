#include "channels/email/outbound.h"

#include <cmark-gfm.h>
#include <curl/curl.h>
#include <gmime/gmime.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "channels/email/mime.h"
#include "core/email_rules.h"
#include "service/service.h"
#include "store/blobs.h"
#include "util/buf.h"
#include "util/log.h"

char *sb_markdown_to_html(const char *markdown)
{
    /* CMARK_OPT_DEFAULT is safe: raw HTML and dangerous URLs are not rendered. */
    char *html = cmark_markdown_to_html(markdown, strlen(markdown), CMARK_OPT_DEFAULT | CMARK_OPT_HARDBREAKS);
    if (!html)
        return NULL;
    char *copy = strdup(html);
    cmark_get_default_mem_allocator()->free(html);
    return copy;
}

static void add_address(GMimeMessage *msg, GMimeAddressType type, const char *name, const char *addr)
{
    InternetAddressList *list = g_mime_message_get_addresses(msg, type);
    InternetAddress *ia = internet_address_mailbox_new(name ? name : "", addr);
    internet_address_list_add(list, ia);
    g_object_unref(ia);
}

char *sb_email_compose_message(const sb_email_compose *m)
{
    sb_mime_init();
    GMimeMessage *msg = g_mime_message_new(FALSE);
    add_address(msg, GMIME_ADDRESS_TYPE_FROM, m->from_name, m->from_addr);
    add_address(msg, GMIME_ADDRESS_TYPE_TO, m->to_name, m->to_addr);
    if (m->reply_to)
        add_address(msg, GMIME_ADDRESS_TYPE_REPLY_TO, m->from_name, m->reply_to);
    for (const char *const *cc = m->cc; cc && *cc; cc++)
        add_address(msg, GMIME_ADDRESS_TYPE_CC, NULL, *cc);
    g_mime_message_set_subject(msg, m->subject, "utf-8");
    g_mime_message_set_message_id(msg, m->message_id);
    GDateTime *now = g_date_time_new_now_utc();
    g_mime_message_set_date(msg, now);
    g_date_time_unref(now);
    GMimeObject *obj = GMIME_OBJECT(msg);
    if (m->in_reply_to) {
        char buf[1024];
        snprintf(buf, sizeof buf, "<%s>", m->in_reply_to);
        g_mime_object_set_header(obj, "In-Reply-To", buf, NULL);
    }
    if (m->references && m->references[0]) {
        sb_buf refs;
        sb_buf_init(&refs, 16 * 1024);
        for (const char *const *r = m->references; *r; r++)
            sb_buf_printf(&refs, "%s<%s>", r == m->references ? "" : " ", *r);
        if (!refs.failed)
            g_mime_object_set_header(obj, "References", refs.data, NULL);
        sb_buf_release(&refs);
    }
    if (m->automatic)
        g_mime_object_set_header(obj, "Auto-Submitted", "auto-replied", NULL);
    char conv[32];
    snprintf(conv, sizeof conv, "%lld", m->conversation_id);
    g_mime_object_set_header(obj, "X-Switchboard-Conversation", conv, NULL);

    GMimeTextPart *plain = g_mime_text_part_new_with_subtype("plain");
    g_mime_text_part_set_text(plain, m->markdown);
    g_mime_part_set_content_encoding(GMIME_PART(plain), GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE);
    char *body = sb_markdown_to_html(m->markdown);
    sb_buf html;
    sb_buf_init(&html, 8u << 20);
    sb_buf_printf(&html, "<!DOCTYPE html><html><head><meta charset=\"utf-8\"></head><body>%s</body></html>\n",
                  body ? body : "");
    free(body);
    GMimeTextPart *rich = g_mime_text_part_new_with_subtype("html");
    g_mime_text_part_set_text(rich, html.data ? html.data : "");
    g_mime_part_set_content_encoding(GMIME_PART(rich), GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE);
    sb_buf_release(&html);
    GMimeMultipart *alt = g_mime_multipart_new_with_subtype("alternative");
    g_mime_multipart_add(alt, GMIME_OBJECT(plain));
    g_mime_multipart_add(alt, GMIME_OBJECT(rich));
    g_object_unref(plain);
    g_object_unref(rich);
    if (m->nfiles) {
        GMimeMultipart *mixed = g_mime_multipart_new_with_subtype("mixed");
        g_mime_multipart_add(mixed, GMIME_OBJECT(alt));
        for (size_t i = 0; i < m->nfiles; i++) {
            const sb_email_file *f = &m->files[i];
            GMimeContentType *ct = g_mime_content_type_parse(NULL, f->content_type);
            GMimePart *part = g_mime_part_new_with_type(g_mime_content_type_get_media_type(ct),
                                                        g_mime_content_type_get_media_subtype(ct));
            g_object_unref(ct);
            GMimeStream *stream = g_mime_stream_mem_new_with_buffer(f->data, f->size);
            GMimeDataWrapper *content = g_mime_data_wrapper_new_with_stream(stream, GMIME_CONTENT_ENCODING_DEFAULT);
            g_object_unref(stream);
            g_mime_part_set_content(part, content);
            g_object_unref(content);
            g_mime_part_set_filename(part, f->filename); /* RFC 2231 for non-ASCII names */
            g_mime_part_set_content_encoding(part, GMIME_CONTENT_ENCODING_BASE64);
            g_mime_multipart_add(mixed, GMIME_OBJECT(part));
            g_object_unref(part);
        }
        g_mime_message_set_mime_part(msg, GMIME_OBJECT(mixed));
        g_object_unref(mixed);
    } else {
        g_mime_message_set_mime_part(msg, GMIME_OBJECT(alt));
    }
    g_object_unref(alt);

    GMimeFormatOptions *fo = g_mime_format_options_clone(NULL);
    g_mime_format_options_set_newline_format(fo, GMIME_NEWLINE_FORMAT_DOS);
    char *text = g_mime_object_to_string(obj, fo);
    g_mime_format_options_free(fo);
    g_object_unref(msg);
    return text;
}

/* ---- SMTP ---- */

/* libcurl before 8.2 (Debian 12 has 7.88) spells it with three Ls. */
#ifdef CURLOPT_MAIL_RCPT_ALLOWFAILS
#define SB_CURLOPT_RCPT_ALLOWFAILS CURLOPT_MAIL_RCPT_ALLOWFAILS
#else
#define SB_CURLOPT_RCPT_ALLOWFAILS CURLOPT_MAIL_RCPT_ALLLOWFAILS
#endif

typedef struct {
    const char *data;
    size_t len, off;
} upload;

static size_t read_upload(char *buf, size_t size, size_t nmemb, void *arg)
{
    upload *u = arg;
    size_t n = size * nmemb, left = u->len - u->off;
    if (n > left)
        n = left;
    memcpy(buf, u->data + u->off, n);
    u->off += n;
    return n;
}

/* 0 sent; 1 temporary failure; 2 permanent failure. */
int sb_email_smtp_send(const char *url, const char *user, const char *password, const char *from,
                     const char *const *rcpts, const char *message, char *err, size_t errlen)
{
    CURL *c = curl_easy_init();
    if (!c) {
        snprintf(err, errlen, "cannot initialise libcurl");
        return 1;
    }
    char envelope[400];
    snprintf(envelope, sizeof envelope, "<%s>", from);
    struct curl_slist *list = NULL;
    for (const char *const *r = rcpts; *r; r++) {
        char a[400];
        snprintf(a, sizeof a, "<%s>", *r);
        list = curl_slist_append(list, a);
    }
    upload u = {message, strlen(message), 0};
    char curl_err[CURL_ERROR_SIZE] = "";
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_MAIL_FROM, envelope);
    curl_easy_setopt(c, CURLOPT_MAIL_RCPT, list);
    curl_easy_setopt(c, CURLOPT_READFUNCTION, read_upload);
    curl_easy_setopt(c, CURLOPT_READDATA, &u);
    curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(c, CURLOPT_USE_SSL, (long)CURLUSESSL_TRY);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 15L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 120L);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, curl_err);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
    /* A refused Cc (a typo, a gone colleague) must not cut the customer off: the server's
     * refusal of some recipients is fine as long as one (the customer, listed first) takes it. */
    curl_easy_setopt(c, SB_CURLOPT_RCPT_ALLOWFAILS, 1L);
    if (user && *user) {
        curl_easy_setopt(c, CURLOPT_USERNAME, user);
        curl_easy_setopt(c, CURLOPT_PASSWORD, password ? password : "");
    }
    CURLcode rc = curl_easy_perform(c);
    long code = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
    curl_slist_free_all(list);
    curl_easy_cleanup(c);
    if (rc == CURLE_OK)
        return 0;
    snprintf(err, errlen, "SMTP %ld: %s", code, curl_err[0] ? curl_err : curl_easy_strerror(rc));
    /* 5xx is the server's final word (unknown user, rejected content); anything else may pass later. */
    return code >= 500 && code < 600 ? 2 : 1;
}

static const char *contact_email(json_t *contact)
{
    const char *e = json_string_value(json_object_get(contact, "email"));
    if (e && *e)
        return e;
    size_t i;
    json_t *id;
    json_array_foreach(json_object_get(contact, "identities"), i, id)
    {
        if (strcmp(json_string_value(json_object_get(id, "kind")), "email") == 0)
            return json_string_value(json_object_get(id, "value"));
    }
    return NULL;
}

static void record(sb_jobs *jobs, int64_t message_id, const char *status, const char *error)
{
    sb_delivery_op d = {.message_id = message_id, .status = status, .error = error};
    if (sb_store_write(sb_jobs_store(jobs), sb_svc_delivery_result, &d) != SB_OK)
        sb_error("msg=\"cannot record delivery\" message=%lld status=%s", (long long)message_id, status);
}

sb_job_result sb_email_send_job(sb_jobs *jobs, sb_job *job, char *err, size_t errlen)
{
    int64_t message_id = json_integer_value(json_object_get(job->payload, "message_id"));
    sb_db *db = sb_store_reader(sb_jobs_store(jobs));
    sb_job_result res = SB_JOB_FAIL;
    json_t *msg = NULL, *mailbox = NULL, *contact = NULL, *ids = NULL, *cc = NULL, *author = NULL, *atts = NULL;
    sb_email_file *files = NULL;
    char **datas = NULL;
    char *rfc_id = NULL, *subject = NULL, *text = NULL;
    const char **refs = NULL, **ccs = NULL, **rcpts = NULL;
    sb_conv c;
    memset(&c, 0, sizeof c);
    if (!db || !(msg = sb_store_message_row(db, message_id))) {
        snprintf(err, errlen, "message %lld not found", (long long)message_id);
        goto out;
    }
    if (sb_store_conv_load(db, json_integer_value(json_object_get(msg, "conversation_id")), &c) != SB_OK) {
        snprintf(err, errlen, "conversation not found");
        goto out;
    }
    if (!c.mailbox_id || !(mailbox = sb_store_mailbox_secret(db, c.mailbox_id))) {
        snprintf(err, errlen, "the conversation has no mailbox to send from");
        goto out;
    }
    const char *smtp = json_string_value(json_object_get(mailbox, "smtp_url"));
    if (!smtp || !*smtp) {
        snprintf(err, errlen, "mailbox %s has no SMTP server configured",
                 json_string_value(json_object_get(mailbox, "address")));
        goto out;
    }
    contact = sb_store_contact_get(db, c.contact_id);
    const char *to = contact ? contact_email(contact) : NULL;
    if (!to) {
        snprintf(err, errlen, "the customer has no email address");
        goto out;
    }
    rfc_id = sb_store_email_id_of_message(db, message_id);
    ids = sb_store_email_ids_of(db, c.id);
    cc = sb_store_conv_cc_list(db, c.id);
    size_t nids = json_array_size(ids), ncc = json_array_size(cc);
    refs = calloc(nids + 1, sizeof *refs);
    ccs = calloc(ncc + 1, sizeof *ccs);
    rcpts = calloc(ncc + 2, sizeof *rcpts);
    if (!rfc_id || !refs || !ccs || !rcpts) {
        snprintf(err, errlen, "out of memory or missing Message-ID");
        res = SB_JOB_RETRY;
        goto out;
    }
    /* References: the thread so far (at most the last 20), In-Reply-To: the customer's latest. */
    const char *in_reply_to = NULL;
    size_t nrefs = 0, start = nids > 21 ? nids - 21 : 0;
    for (size_t i = start; i < nids; i++) {
        json_t *e = json_array_get(ids, i);
        const char *id = json_string_value(json_object_get(e, "id"));
        if (strcmp(id, rfc_id) == 0)
            continue;
        refs[nrefs++] = id;
        if (!json_is_true(json_object_get(e, "outbound")))
            in_reply_to = id;
    }
    rcpts[0] = to;
    size_t nrc = 1, nccs = 0;
    for (size_t i = 0; i < ncc; i++) {
        const char *a = json_string_value(json_object_get(json_array_get(cc, i), "address"));
        if (a && strlen(a) <= 254 && !strpbrk(a, "\r\n<>"))
            ccs[nccs++] = rcpts[nrc++] = a;
    }
    const char *mb_addr = json_string_value(json_object_get(mailbox, "address"));
    const char *mb_name = json_string_value(json_object_get(mailbox, "name"));
    char from_name[300], reply_to[400], sig[SB_REPLY_SIG_LEN + 1];
    if (strcmp(json_string_value(json_object_get(msg, "author_type")), "agent") == 0 &&
        (author = sb_store_agent_get(db, json_integer_value(json_object_get(msg, "author_id")))))
        snprintf(from_name, sizeof from_name, "%s%s%s%s", json_string_value(json_object_get(author, "name")),
                 mb_name && *mb_name ? " (" : "", mb_name && *mb_name ? mb_name : "", mb_name && *mb_name ? ")" : "");
    else
        snprintf(from_name, sizeof from_name, "%s", mb_name ? mb_name : "");
    sb_svc_reply_sig(db, c.id, sig);
    if (sb_email_token_address(mb_addr, c.id, sig, reply_to, sizeof reply_to) < 0)
        reply_to[0] = '\0';
    subject = sb_email_reply_subject(c.subject, c.id);
    json_t *meta = json_object_get(msg, "email");
    sb_email_compose m = {
        .from_name = from_name,
        .from_addr = mb_addr,
        .reply_to = reply_to[0] ? reply_to : NULL,
        .to_name = json_string_value(json_object_get(contact, "name")),
        .to_addr = to,
        .cc = ccs,
        .subject = subject ? subject : "",
        .message_id = rfc_id,
        .in_reply_to = in_reply_to,
        .references = refs,
        .markdown = json_string_value(json_object_get(msg, "body_text")),
        .automatic = json_is_true(json_object_get(meta, "automatic")),
        .conversation_id = c.id,
    };
    atts = sb_store_attachments_of(db, message_id);
    size_t natt = json_array_size(atts);
    files = calloc(natt + 1, sizeof *files);
    datas = calloc(natt + 1, sizeof *datas);
    if (!files || !datas) {
        snprintf(err, errlen, "out of memory");
        res = SB_JOB_RETRY;
        goto out;
    }
    for (size_t i = 0; i < natt; i++) {
        json_t *a = json_array_get(atts, i);
        size_t len = 0;
        if (sb_blob_get(sb_store_data_dir(sb_jobs_store(jobs)), json_string_value(json_object_get(a, "sha256")),
                        64u << 20, &datas[i], &len) < 0) {
            snprintf(err, errlen, "attachment %s is missing from the store",
                     json_string_value(json_object_get(a, "filename")));
            goto out; /* permanent: the file is gone */
        }
        files[i] = (sb_email_file){.filename = json_string_value(json_object_get(a, "filename")),
                                   .content_type = json_string_value(json_object_get(a, "content_type")),
                                   .data = datas[i], .size = len};
    }
    m.files = files;
    m.nfiles = natt;
    text = sb_email_compose_message(&m);
    if (!text) {
        snprintf(err, errlen, "cannot compose the message");
        res = SB_JOB_RETRY;
        goto out;
    }
    int sent = sb_email_smtp_send(smtp, json_string_value(json_object_get(mailbox, "smtp_user")),
                         json_string_value(json_object_get(mailbox, "smtp_password")), mb_addr, rcpts, text, err,
                         errlen);
    if (sent == 0) {
        record(jobs, message_id, "sent", NULL);
        res = SB_JOB_DONE;
    } else {
        res = sent == 1 ? SB_JOB_RETRY : SB_JOB_FAIL;
    }
out:
    sb_conv_release(&c);
    json_decref(msg);
    json_decref(mailbox);
    json_decref(contact);
    json_decref(ids);
    json_decref(cc);
    json_decref(author);
    free(rfc_id);
    free(subject);
    g_free(text);
    free(refs);
    free(ccs);
    free(rcpts);
    for (size_t i = 0; datas && i < json_array_size(atts); i++)
        free(datas[i]);
    free(datas);
    free(files);
    json_decref(atts);
    return res;
}

void sb_email_send_failed(sb_jobs *jobs, sb_job *job, const char *err)
{
    record(jobs, json_integer_value(json_object_get(job->payload, "message_id")), "failed", err);
}
