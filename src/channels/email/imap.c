#include "channels/email/imap.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "channels/email/inbound.h"
#include "service/service.h"
#include "util/buf.h"
#include "util/log.h"

#define MAX_PER_POLL 200

static size_t collect(char *data, size_t size, size_t nmemb, void *arg)
{
    sb_buf *b = arg;
    return sb_buf_append(b, data, size * nmemb) == 0 ? size * nmemb : 0;
}

typedef struct {
    const char *url, *user, *password;
} imap_account;

/* A command on the account's folder, or (command NULL) a fetch of `url`. */
static CURLcode imap_request(const imap_account *a, const char *url, const char *command, sb_buf *out, char *err,
                             size_t errlen)
{
    CURL *c = curl_easy_init();
    if (!c)
        return CURLE_FAILED_INIT;
    char curl_err[CURL_ERROR_SIZE] = "";
    curl_easy_setopt(c, CURLOPT_URL, url);
    if (command)
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, command);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, out);
    curl_easy_setopt(c, CURLOPT_USE_SSL, (long)CURLUSESSL_TRY);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 15L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 120L);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, curl_err);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "imap,imaps");
    if (a->user && *a->user) {
        curl_easy_setopt(c, CURLOPT_USERNAME, a->user);
        curl_easy_setopt(c, CURLOPT_PASSWORD, a->password ? a->password : "");
    }
    CURLcode rc = curl_easy_perform(c);
    if (rc != CURLE_OK)
        snprintf(err, errlen, "IMAP %s: %s", command ? command : "FETCH", curl_err[0] ? curl_err : curl_easy_strerror(rc));
    curl_easy_cleanup(c);
    return rc;
}

static CURLcode imap_command(const imap_account *a, const char *command, sb_buf *out, char *err, size_t errlen)
{
    return imap_request(a, a->url, command, out, err, errlen);
}

/* "* SEARCH 3 7 9" -> uids (at most max). */
static size_t parse_search(const char *text, unsigned long *uids, size_t max)
{
    size_t n = 0;
    for (const char *p = strstr(text ? text : "", "* SEARCH"); p && n < max;) {
        p += 8;
        while (*p == ' ' && n < max) {
            char *end;
            unsigned long v = strtoul(p + 1, &end, 10);
            if (end == p + 1)
                break;
            uids[n++] = v;
            p = end;
        }
        p = strstr(p, "* SEARCH");
    }
    return n;
}

/* The folder's name: the last path segment of the URL ("imap://host:port/INBOX"). */
static const char *folder_of(const char *url)
{
    const char *p = strstr(url, "://");
    p = p ? strchr(p + 3, '/') : NULL;
    return p && p[1] ? p + 1 : "INBOX";
}

typedef struct {
    char key[48];
    char value[96];
} imap_state_op;

static sb_err save_state(sb_db *w, void *arg)
{
    imap_state_op *op = arg;
    return sb_store_setting_put(w, op->key, op->value);
}

#define IMAP_MAX_FAILURES 3

static void note_failure(sb_store *st, imap_state_op *op, unsigned long validity, unsigned long last,
                         unsigned long uid, unsigned long count)
{
    snprintf(op->value, sizeof op->value, "%lu:%lu:%lu:%lu", validity, last, uid, count);
    sb_store_write(st, save_state, op);
}

sb_job_result sb_imap_poll_job(sb_jobs *jobs, sb_job *job, char *err, size_t errlen)
{
    sb_store *st = sb_jobs_store(jobs);
    int64_t mailbox_id = json_integer_value(json_object_get(job->payload, "mailbox_id"));
    sb_db *db = sb_store_reader(st);
    json_t *mb = db ? sb_store_mailbox_secret(db, mailbox_id) : NULL;
    if (!mb || !json_string_value(json_object_get(mb, "imap_url"))) {
        json_decref(mb);
        snprintf(err, errlen, "mailbox %lld has no IMAP settings any more", (long long)mailbox_id);
        return SB_JOB_FAIL; /* not rescheduled: the mailbox changed */
    }
    json_int_t every = json_integer_value(json_object_get(mb, "imap_poll_seconds"));
    job->reschedule_at = sb_now() + (every > 0 ? every : 60) * 1000;
    imap_account a = {json_string_value(json_object_get(mb, "imap_url")),
                      json_string_value(json_object_get(mb, "imap_user")),
                      json_string_value(json_object_get(mb, "imap_password"))};
    const char *address = json_string_value(json_object_get(mb, "address"));
    sb_buf out;
    sb_buf_init(&out, 1u << 20);
    sb_job_result res = SB_JOB_DONE;
    unsigned long uids[MAX_PER_POLL];
    size_t n = 0;
    /* Where we are: "uidvalidity:last_uid" of the folder. A new folder (or a new UIDVALIDITY)
     * starts below its first unseen message; after that every UID above the last stored one is
     * imported, whatever its flags, so a message fetched (which marks it seen) but not yet
     * stored when the process died is fetched again. */
    imap_state_op st_op;
    snprintf(st_op.key, sizeof st_op.key, "imap:%lld", (long long)mailbox_id);
    char *state = sb_store_setting_get(db, st_op.key);
    unsigned long validity = 0, last = 0, have_validity = 0, fail_uid = 0, fail_count = 0;
    bool known = state != NULL;
    if (state)
        sscanf(state, "%lu:%lu:%lu:%lu", &have_validity, &last, &fail_uid, &fail_count);
    free(state);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "STATUS \"%.500s\" (UIDVALIDITY UIDNEXT)", folder_of(a.url));
    sb_buf_reset(&out);
    if (imap_command(&a, cmd, &out, err, errlen) != CURLE_OK) {
        res = SB_JOB_RETRY;
        goto out;
    }
    const char *v = out.data ? strstr(out.data, "UIDVALIDITY ") : NULL;
    validity = v ? strtoul(v + 12, NULL, 10) : 0;
    const char *nx = out.data ? strstr(out.data, "UIDNEXT ") : NULL;
    unsigned long uidnext = nx ? strtoul(nx + 8, NULL, 10) : 0;
    if (!known || validity != have_validity) {
        sb_buf_reset(&out);
        if (imap_command(&a, "UID SEARCH UNSEEN", &out, err, errlen) != CURLE_OK) {
            res = SB_JOB_RETRY;
            goto out;
        }
        n = parse_search(out.data, uids, MAX_PER_POLL);
        unsigned long first = 0;
        for (size_t i = 0; i < n; i++)
            if (!first || uids[i] < first)
                first = uids[i];
        if (!n) /* nothing unseen: start after the newest message */
            first = uidnext;
        last = first ? first - 1 : 0;
        fail_uid = fail_count = 0;
        snprintf(st_op.value, sizeof st_op.value, "%lu:%lu:0:0", validity, last);
        if (sb_store_write(st, save_state, &st_op) != SB_OK) {
            res = SB_JOB_RETRY;
            goto out;
        }
    }
    snprintf(cmd, sizeof cmd, "UID SEARCH UID %lu:*", last + 1);
    sb_buf_reset(&out);
    if (imap_command(&a, cmd, &out, err, errlen) != CURLE_OK) {
        res = SB_JOB_RETRY;
        goto out;
    }
    n = parse_search(out.data, uids, MAX_PER_POLL);
    for (size_t i = 0; i < n; i++) {
        if (uids[i] <= last)
            continue; /* "n:*" always names the newest message, even an old one */
        /* A message we cannot take (too large, or failing again and again) must not stop the
         * folder: it is skipped with a warning and stays on the mail server. */
        bool skip = fail_uid == uids[i] && fail_count >= IMAP_MAX_FAILURES;
        snprintf(cmd, sizeof cmd, "UID FETCH %lu RFC822.SIZE", uids[i]);
        sb_buf_reset(&out);
        if (!skip && imap_command(&a, cmd, &out, err, errlen) == CURLE_OK && out.data) {
            const char *sz = strstr(out.data, "RFC822.SIZE ");
            if (sz && strtoul(sz + 12, NULL, 10) > SB_IMAP_MAX_MESSAGE)
                skip = true;
        }
        if (skip) {
            sb_warn("msg=\"imap message skipped; it stays on the server\" mailbox=%lld uid=%lu reason=\"%s\"",
                    (long long)mailbox_id, uids[i], fail_count >= IMAP_MAX_FAILURES ? "failed repeatedly" : "too large");
            last = uids[i];
            fail_uid = fail_count = 0;
            snprintf(st_op.value, sizeof st_op.value, "%lu:%lu:0:0", validity, last);
            if (sb_store_write(st, save_state, &st_op) != SB_OK) {
                res = SB_JOB_RETRY;
                break;
            }
            continue;
        }
        char url[1200];
        sb_buf msg;
        sb_buf_init(&msg, SB_IMAP_MAX_MESSAGE + 4096);
        snprintf(url, sizeof url, "%s/;UID=%lu", a.url, uids[i]);
        if (imap_request(&a, url, NULL, &msg, err, errlen) != CURLE_OK || !msg.len) {
            sb_buf_release(&msg);
            note_failure(st, &st_op, validity, last, uids[i], fail_uid == uids[i] ? fail_count + 1 : 1);
            res = SB_JOB_RETRY;
            break;
        }
        bool stored = false;
        sb_email_inbound *in = NULL;
        char why[256];
        int rc = sb_email_inbound_prepare(sb_store_data_dir(st), msg.data, msg.len, address, &in, why, sizeof why);
        if (rc == SB_OK) {
            sb_email_ingest_op *op = sb_email_inbound_op(in);
            stored = sb_store_write(st, sb_svc_email_ingest, op) == SB_OK;
            if (stored)
                sb_info("msg=\"imap message stored\" mailbox=%lld uid=%lu conversation=%lld duplicate=%d",
                        (long long)mailbox_id, uids[i], (long long)op->conversation_id, op->duplicate);
        } else if (rc == SB_E_VALIDATION) {
            sb_warn("msg=\"imap message is not an email; skipped\" uid=%lu err=\"%s\"", uids[i], why);
            stored = true; /* it stays on the server */
        }
        sb_email_inbound_free(in);
        sb_buf_release(&msg);
        if (!stored) {
            snprintf(err, errlen, "could not store message uid %lu", uids[i]);
            note_failure(st, &st_op, validity, last, uids[i], fail_uid == uids[i] ? fail_count + 1 : 1);
            res = SB_JOB_RETRY;
            break;
        }
        last = uids[i];
        fail_uid = fail_count = 0;
        snprintf(st_op.value, sizeof st_op.value, "%lu:%lu:0:0", validity, last);
        if (sb_store_write(st, save_state, &st_op) != SB_OK) {
            res = SB_JOB_RETRY;
            break;
        }
        sb_buf_reset(&out);
        snprintf(cmd, sizeof cmd, "UID STORE %lu +FLAGS (\\Seen)", uids[i]);
        if (imap_command(&a, cmd, &out, err, errlen) != CURLE_OK) {
            res = SB_JOB_RETRY;
            break;
        }
    }
out:
    sb_buf_release(&out);
    json_decref(mb);
    if (res == SB_JOB_RETRY) {
        /* A poll never gives up: the next one is simply the next attempt. */
        sb_warn("msg=\"imap poll failed\" mailbox=%lld err=\"%s\"", (long long)mailbox_id, err);
        res = SB_JOB_DONE;
    }
    return res;
}
