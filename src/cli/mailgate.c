/* `switchboard mailgate`: delivers one message from an MTA's pipe transport. Exit codes follow
 * sysexits.h so that the MTA retries (75) or bounces (65) correctly: nothing is lost. */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "util/buf.h"

#define EX_OK 0
#define EX_USAGE 64
#define EX_DATAERR 65
#define EX_TEMPFAIL 75
#define MAX_MESSAGE (30u << 20)

static size_t keep_reply(char *data, size_t size, size_t nmemb, void *arg)
{
    sb_buf *b = arg;
    sb_buf_append(b, data, size * nmemb); /* capped; an overflow only shortens the diagnostic */
    return size * nmemb;
}

int sb_cli_mailgate(int argc, char **argv)
{
    static const char *const with_value[] = {"--url", "--token", "--mailbox", "--timeout", NULL};
    if (sb_cli_check(argc, argv, with_value, NULL) < 0)
        return EX_USAGE;
    const char *url = sb_cli_opt(argc, argv, "--url"), *token = sb_cli_opt(argc, argv, "--token"),
               *mailbox = sb_cli_opt(argc, argv, "--mailbox"), *timeout = sb_cli_opt(argc, argv, "--timeout");
    if (!url || !token) {
        fprintf(stderr, "usage: switchboard mailgate --url URL --token T [--mailbox ADDRESS] < message\n");
        return EX_USAGE;
    }
    sb_buf msg;
    sb_buf_init(&msg, MAX_MESSAGE);
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, stdin)) > 0) {
        if (sb_buf_append(&msg, chunk, n) < 0) {
            fprintf(stderr, "switchboard mailgate: message larger than %u bytes\n", MAX_MESSAGE);
            sb_buf_release(&msg);
            return EX_DATAERR;
        }
    }
    if (ferror(stdin)) {
        fprintf(stderr, "switchboard mailgate: cannot read the message\n");
        sb_buf_release(&msg);
        return EX_TEMPFAIL;
    }
    if (msg.len == 0) {
        fprintf(stderr, "switchboard mailgate: empty message\n");
        sb_buf_release(&msg);
        return EX_DATAERR;
    }
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        sb_buf_release(&msg);
        return EX_TEMPFAIL;
    }
    CURL *c = curl_easy_init();
    sb_buf target, auth, reply;
    sb_buf_init(&target, 8192);
    sb_buf_init(&auth, 1024);
    sb_buf_init(&reply, 4096);
    size_t ulen = strlen(url);
    sb_buf_printf(&target, "%.*s/api/v1/inbound/email", (int)(ulen && url[ulen - 1] == '/' ? ulen - 1 : ulen), url);
    if (mailbox && c) {
        char *esc = curl_easy_escape(c, mailbox, 0);
        sb_buf_printf(&target, "?mailbox=%s", esc ? esc : "");
        curl_free(esc);
    }
    sb_buf_printf(&auth, "Authorization: Bearer %s", token);
    struct curl_slist *headers = curl_slist_append(NULL, auth.data);
    headers = curl_slist_append(headers, "Content-Type: message/rfc822");
    headers = curl_slist_append(headers, "Expect:");
    int code = EX_TEMPFAIL;
    long status = 0;
    if (c && !target.failed && !auth.failed) {
        char err[CURL_ERROR_SIZE] = "";
        curl_easy_setopt(c, CURLOPT_URL, target.data);
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, msg.data);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)msg.len);
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, keep_reply);
        curl_easy_setopt(c, CURLOPT_WRITEDATA, &reply);
        curl_easy_setopt(c, CURLOPT_ERRORBUFFER, err);
        curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 10L);
        curl_easy_setopt(c, CURLOPT_TIMEOUT, timeout ? atol(timeout) : 120L);
        curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
        CURLcode rc = curl_easy_perform(c);
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
        if (rc != CURLE_OK) {
            fprintf(stderr, "switchboard mailgate: %s (will retry)\n", err[0] ? err : curl_easy_strerror(rc));
        } else if (status == 200 || status == 201) {
            code = EX_OK;
        } else if (status == 400 || status == 413 || status == 415 || status == 422) {
            fprintf(stderr, "switchboard mailgate: rejected (%ld): %s\n", status, reply.data ? reply.data : "");
            code = EX_DATAERR;
        } else {
            fprintf(stderr, "switchboard mailgate: server answered %ld (will retry): %s\n", status,
                    reply.data ? reply.data : "");
        }
    }
    curl_slist_free_all(headers);
    if (c)
        curl_easy_cleanup(c);
    curl_global_cleanup();
    sb_buf_release(&msg);
    sb_buf_release(&target);
    sb_buf_release(&auth);
    sb_buf_release(&reply);
    return code;
}
