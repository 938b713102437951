/* SLA job kinds: the clock timer, the auto-close timer, webhook deliveries (signed, retried
 * with backoff by the runner) and alert mail. */
#include "jobs/sla_jobs.h"

#include <curl/curl.h>
#include <glib.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "channels/email/outbound.h"
#include "service/sla.h"
#include "store/store_sla.h"

sb_job_result sb_sla_check_job(sb_jobs *jobs, sb_job *job, char *err, size_t errlen)
{
    sb_sla_check_op op = {.conversation_id = json_integer_value(json_object_get(job->payload, "conversation_id"))};
    if (sb_store_write(sb_jobs_store(jobs), sb_svc_sla_check, &op) != SB_OK) {
        snprintf(err, errlen, "sla check failed: %s", op.errmsg);
        return SB_JOB_RETRY;
    }
    job->reschedule_at = op.next_ms;
    return SB_JOB_DONE;
}

sb_job_result sb_autoclose_job(sb_jobs *jobs, sb_job *job, char *err, size_t errlen)
{
    sb_autoclose_op op = {.conversation_id = json_integer_value(json_object_get(job->payload, "conversation_id")),
                          .solved_ms = json_integer_value(json_object_get(job->payload, "solved_ms"))};
    if (sb_store_write(sb_jobs_store(jobs), sb_svc_autoclose, &op) != SB_OK) {
        snprintf(err, errlen, "auto-close failed: %s", op.errmsg);
        return SB_JOB_RETRY;
    }
    job->reschedule_at = op.reschedule_ms;
    return SB_JOB_DONE;
}

static size_t discard(char *p, size_t size, size_t n, void *ctx)
{
    (void)p;
    (void)ctx;
    return size * n;
}

sb_job_result sb_webhook_deliver_job(sb_jobs *jobs, sb_job *job, char *err, size_t errlen)
{
    sb_db *db = sb_store_reader(sb_jobs_store(jobs));
    json_t *hook = db ? sb_store_webhook_get(db, json_integer_value(json_object_get(job->payload, "webhook_id")), true)
                      : NULL;
    const char *body = json_string_value(json_object_get(job->payload, "body"));
    if (!hook || !json_is_true(json_object_get(hook, "active")) || !body) {
        json_decref(hook);
        return SB_JOB_DONE; /* deleted or switched off since: nothing to deliver */
    }
    const char *url = json_string_value(json_object_get(hook, "url"));
    const char *secret = json_string_value(json_object_get(hook, "secret"));
    unsigned char mac[crypto_auth_hmacsha256_BYTES];
    crypto_auth_hmacsha256_state st;
    crypto_auth_hmacsha256_init(&st, (const unsigned char *)secret, strlen(secret));
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)body, strlen(body));
    crypto_auth_hmacsha256_final(&st, mac);
    char hex[2 * sizeof mac + 1], sig[100];
    sodium_bin2hex(hex, sizeof hex, mac, sizeof mac);
    snprintf(sig, sizeof sig, "X-Switchboard-Signature: sha256=%s", hex);
    char idh[64];
    snprintf(idh, sizeof idh, "X-Switchboard-Delivery: %lld", (long long)job->id);
    sb_job_result res = SB_JOB_RETRY;
    CURL *c = curl_easy_init();
    if (!c) {
        snprintf(err, errlen, "cannot initialise libcurl");
        json_decref(hook);
        return SB_JOB_RETRY;
    }
    struct curl_slist *h = NULL;
    h = curl_slist_append(h, "Content-Type: application/json");
    h = curl_slist_append(h, "User-Agent: Switchboard-Webhook/1");
    h = curl_slist_append(h, sig);
    h = curl_slist_append(h, idh);
    char curl_err[CURL_ERROR_SIZE] = "";
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 10L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 20L);
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, curl_err);
    CURLcode rc = curl_easy_perform(c);
    long code = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
    if (rc == CURLE_OK && code >= 200 && code < 300)
        res = SB_JOB_DONE;
    else if (rc == CURLE_OK) {
        snprintf(err, errlen, "webhook %s answered HTTP %ld", url, code);
        /* The receiver refuses this request for good (bad URL, gone, forbidden): retrying the
         * same body cannot help. Timeouts and rate limits are worth another try. */
        if (code >= 400 && code < 500 && code != 408 && code != 429)
            res = SB_JOB_FAIL;
    }
    else
        snprintf(err, errlen, "webhook %s: %s", url, curl_err[0] ? curl_err : curl_easy_strerror(rc));
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    json_decref(hook);
    return res;
}

sb_job_result sb_alert_email_job(sb_jobs *jobs, sb_job *job, char *err, size_t errlen)
{
    sb_db *db = sb_store_reader(sb_jobs_store(jobs));
    if (!db)
        return SB_JOB_RETRY;
    char *mbid = sb_store_setting_get(db, SB_SETTING_ALERT_MAILBOX);
    json_t *mb = mbid && *mbid ? sb_store_mailbox_secret(db, strtoll(mbid, NULL, 10)) : NULL;
    free(mbid);
    const char *smtp = mb ? json_string_value(json_object_get(mb, "smtp_url")) : NULL;
    if (!smtp || !*smtp) {
        snprintf(err, errlen, "no alert mailbox with an SMTP server (setting %s)", SB_SETTING_ALERT_MAILBOX);
        json_decref(mb);
        return SB_JOB_RETRY; /* configured later, the alert still goes out */
    }
    const char *from = json_string_value(json_object_get(mb, "address"));
    const char *to = json_string_value(json_object_get(job->payload, "to"));
    char msgid[200], rnd[17];
    unsigned char raw[8];
    randombytes_buf(raw, sizeof raw);
    sodium_bin2hex(rnd, sizeof rnd, raw, sizeof raw);
    const char *at = strrchr(from, '@');
    snprintf(msgid, sizeof msgid, "sb.alert.%lld.%s@%s", (long long)job->id, rnd, at ? at + 1 : "switchboard.invalid");
    sb_email_compose m = {
        .from_name = "Switchboard alerts",
        .from_addr = from,
        .to_addr = to,
        .subject = json_string_value(json_object_get(job->payload, "subject")),
        .message_id = msgid,
        .markdown = json_string_value(json_object_get(job->payload, "text")),
        .automatic = 1,
    };
    char *text = sb_email_compose_message(&m);
    sb_job_result res = SB_JOB_RETRY;
    if (text) {
        const char *rcpts[] = {to, NULL};
        int sent = sb_email_smtp_send(smtp, json_string_value(json_object_get(mb, "smtp_user")),
                                      json_string_value(json_object_get(mb, "smtp_password")), from, rcpts, text, err,
                                      errlen);
        res = sent == 0 ? SB_JOB_DONE : sent == 2 ? SB_JOB_FAIL : SB_JOB_RETRY;
        g_free(text);
    }
    json_decref(mb);
    return res;
}
