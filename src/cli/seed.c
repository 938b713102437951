/* `switchboard dev seed`: fills a database with synthetic conversations for benchmarks,
 * through the store's domain operations, in large transactions. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/conversation.h"
#include "service/reports.h"
#include "store/store.h"
#include "util/log.h"
#include "util/time.h"

typedef struct {
    int first, count, messages;
    unsigned seed;
} seed_job;

static const char *const words[] = {"invoice", "refund", "password", "login", "delivery", "order", "account",
                                    "payment", "shipping", "address", "cancel", "error", "crash", "export",
                                    "report", "upgrade", "billing", "café", "Київ", "timeout"};
#define NWORDS (sizeof words / sizeof words[0])

static unsigned next_rand(unsigned *s)
{
    *s = *s * 1103515245u + 12345u;
    return *s >> 16;
}

static sb_err seed_fn(sb_db *w, void *arg)
{
    seed_job *j = arg;
    int64_t now = sb_time_now_ms();
    char subject[128], body[512], email[64];
    for (int i = 0; i < j->count; i++) {
        int n = j->first + i;
        snprintf(email, sizeof email, "customer%d@example.com", n % 20000);
        int64_t contact = sb_store_contact_find(w, "email", email);
        if (!contact) {
            if (sb_store_contact_insert(w, "Customer", email, NULL, 0, now, &contact) != SB_OK ||
                sb_store_identity_add(w, contact, "email", email) != SB_OK)
                return SB_E_INTERNAL;
        }
        snprintf(subject, sizeof subject, "%s %s problem #%d", words[next_rand(&j->seed) % NWORDS],
                 words[next_rand(&j->seed) % NWORDS], n);
        int r = (int)(next_rand(&j->seed) % 100);
        sb_conv c = {
            .subject = subject,
            .status = r < 60 ? SB_STATUS_OPEN : r < 75 ? SB_STATUS_PENDING : r < 90 ? SB_STATUS_SOLVED : SB_STATUS_CLOSED,
            .priority = r % 50 == 0 ? SB_PRIORITY_URGENT : SB_PRIORITY_NORMAL,
            .priority_reason = r % 50 == 0 ? "seeded" : NULL,
            .contact_id = contact,
            .channel = "email",
        };
        if (sb_store_conv_insert(w, &c, now) != SB_OK)
            return SB_E_INTERNAL;
        for (int m = 0; m < j->messages; m++) {
            snprintf(body, sizeof body,
                     "Hello, this is message %d about my %s. The %s page shows an %s when I try to %s. "
                     "Could you please check my %s? Thanks.",
                     m, words[next_rand(&j->seed) % NWORDS], words[next_rand(&j->seed) % NWORDS],
                     words[next_rand(&j->seed) % NWORDS], words[next_rand(&j->seed) % NWORDS],
                     words[next_rand(&j->seed) % NWORDS]);
            sb_message_in msg = {
                .conversation_id = c.id,
                .direction = m % 2 ? "out" : "in",
                .kind = "message",
                .author_type = m % 2 ? "system" : "contact",
                .author_id = m % 2 ? 0 : contact,
                .body_text = body,
            };
            if (sb_store_message_insert(w, &msg, now, NULL) != SB_OK)
                return SB_E_INTERNAL;
        }
        if (sb_svc_reports_sync(w, c.id, now) != SB_OK) /* the reports see seeded conversations too */
            return SB_E_INTERNAL;
    }
    return SB_OK;
}

int sb_cli_dev(int argc, char **argv)
{
    if (argc < 1 || strcmp(argv[0], "seed") != 0) {
        fprintf(stderr, "usage: switchboard dev seed --data DIR --conversations N --messages M\n");
        return 2;
    }
    static const char *const with_value[] = {"--data", "--conversations", "--messages", NULL};
    argc--, argv++;
    if (sb_cli_check(argc, argv, with_value, NULL) < 0)
        return 2;
    const char *data = sb_cli_opt(argc, argv, "--data");
    const char *nc = sb_cli_opt(argc, argv, "--conversations"), *nm = sb_cli_opt(argc, argv, "--messages");
    if (!data || !nc) {
        fprintf(stderr, "switchboard dev seed: --data and --conversations are required\n");
        return 2;
    }
    int convs = atoi(nc), msgs = nm ? atoi(nm) : 5;
    if (convs <= 0 || msgs < 0 || msgs > 1000) {
        fprintf(stderr, "switchboard dev seed: bad counts\n");
        return 2;
    }
    char err[512];
    sb_store *st;
    sb_log_level = SB_LOG_WARN;
    if (sb_store_open(data, &st, err, sizeof err) < 0) {
        fprintf(stderr, "switchboard dev seed: %s\n", err);
        return 1;
    }
    seed_job j = {.messages = msgs, .seed = 42};
    for (int done = 0; done < convs; done += j.count) {
        j.first = done;
        j.count = convs - done < 2000 ? convs - done : 2000;
        if (sb_store_write(st, seed_fn, &j) != SB_OK) {
            fprintf(stderr, "switchboard dev seed: write failed\n");
            sb_store_close(st);
            return 1;
        }
    }
    sb_store_close(st);
    printf("seeded %d conversations with %d messages each\n", convs, msgs);
    return 0;
}
