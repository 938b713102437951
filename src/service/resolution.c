/* Resolution confirmation and CSAT: signed links for the customer, the confirmation request
 * and auto-close timer on solve, the survey on close, and the customer's answers. */
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/conversation.h"
#include "service/internal.h"
#include "service/sla.h"
#include "store/store_sla.h"

#define TOKEN_KEY "public_token_key"
#define TOKEN_MAC_HEX 32 /* 128 bits of HMAC-SHA256 */

/* ---- tokens: "<conversation id>-<hex HMAC of purpose:id>" ---- */

static pthread_mutex_t key_mu = PTHREAD_MUTEX_INITIALIZER;
static unsigned char key[32];
static bool key_loaded;

static bool load_key(sb_db *db)
{
    pthread_mutex_lock(&key_mu);
    if (!key_loaded) {
        char *hex = sb_store_setting_get(db, TOKEN_KEY);
        if (hex && sodium_hex2bin(key, sizeof key, hex, strlen(hex), NULL, NULL, NULL) == 0)
            key_loaded = true;
        free(hex);
    }
    bool ok = key_loaded;
    pthread_mutex_unlock(&key_mu);
    return ok;
}

sb_err sb_svc_public_key_init(sb_db *w)
{
    if (load_key(w))
        return SB_OK;
    unsigned char k[32];
    char hex[65];
    randombytes_buf(k, sizeof k);
    sodium_bin2hex(hex, sizeof hex, k, sizeof k);
    sb_err err = sb_store_setting_put(w, TOKEN_KEY, hex);
    /* Loaded after the write: a rolled-back transaction would leave a key nobody stored. The
     * writer reads its own uncommitted row, and a failed batch fails this write too. */
    if (err == SB_OK && !load_key(w))
        err = SB_E_INTERNAL;
    return err;
}

static void mac_hex(char purpose, int64_t id, char out[TOKEN_MAC_HEX + 1])
{
    char msg[48];
    int n = snprintf(msg, sizeof msg, "%c:%lld", purpose, (long long)id);
    unsigned char mac[crypto_auth_hmacsha256_BYTES];
    crypto_auth_hmacsha256(mac, (const unsigned char *)msg, (unsigned long long)n, key);
    char hex[2 * crypto_auth_hmacsha256_BYTES + 1];
    sodium_bin2hex(hex, sizeof hex, mac, sizeof mac);
    memcpy(out, hex, TOKEN_MAC_HEX);
    out[TOKEN_MAC_HEX] = '\0';
}

void sb_svc_public_token(sb_db *db, char purpose, int64_t id, char out[96])
{
    char mac[TOKEN_MAC_HEX + 1];
    if (!load_key(db)) {
        snprintf(out, 96, "invalid");
        return;
    }
    mac_hex(purpose, id, mac);
    snprintf(out, 96, "%lld-%s", (long long)id, mac);
}

int64_t sb_svc_public_token_check(sb_db *db, char purpose, const char *token)
{
    if (!token || strlen(token) > 60 || !load_key(db))
        return 0;
    char *end;
    long long id = strtoll(token, &end, 10);
    if (id <= 0 || *end != '-' || strlen(end + 1) != TOKEN_MAC_HEX)
        return 0;
    char want[TOKEN_MAC_HEX + 1];
    mac_hex(purpose, id, want);
    return sodium_memcmp(want, end + 1, TOKEN_MAC_HEX) == 0 ? id : 0;
}

/* ---- automatic mail on the conversation ---- */

static int64_t setting_int(sb_db *db, const char *key_name, int64_t dflt)
{
    char *v = sb_store_setting_get(db, key_name);
    int64_t n = v && *v ? strtoll(v, NULL, 10) : dflt;
    free(v);
    return n;
}

/* Mail goes only where links can point (a public base URL) and the customer wrote by email. */
static sb_err customer_mail(sb_db *w, const sb_conv *c, const char *text, int64_t now)
{
    sb_message_in m = {.conversation_id = c->id, .direction = "out", .kind = "message", .author_type = "system",
                       .body_text = text, .delivery_status = "pending", .email_json = "{\"automatic\":true}"};
    int64_t id;
    sb_actor system = {"system", 0};
    sb_err err = sb_store_message_insert(w, &m, now, &id);
    if (err == SB_OK)
        err = sb_svc_email_queue_reply(w, c, id, now);
    if (err == SB_OK)
        err = sb_svc_emit_message(w, id, c->contact_id, false, &system, now);
    return err;
}

static bool by_email(const sb_conv *c)
{
    return c->channel && strcmp(c->channel, "email") == 0 && c->mailbox_id;
}

sb_err sb_svc_resolution_on_solved(sb_db *w, int64_t conv_id, int64_t now)
{
    sb_conv c;
    sb_err err = sb_store_conv_load(w, conv_id, &c);
    if (err != SB_OK)
        return err;
    int64_t days = setting_int(w, SB_SETTING_AUTOCLOSE_DAYS, SB_AUTOCLOSE_DEFAULT_DAYS);
    char key_name[48];
    snprintf(key_name, sizeof key_name, "autoclose:%lld", (long long)conv_id);
    if (days > 0) {
        json_t *payload = json_pack("{s:I, s:I}", "conversation_id", (json_int_t)conv_id, "solved_ms", (json_int_t)now);
        err = sb_store_job_plan(w, "resolution.autoclose", payload, now + days * 86400000LL, key_name, now);
        json_decref(payload);
    }
    char *base = sb_store_setting_get(w, SB_SETTING_BASE_URL);
    if (err == SB_OK && base && *base && by_email(&c) && (err = sb_svc_public_key_init(w)) == SB_OK) {
        char token[96], text[1200];
        sb_svc_public_token(w, 'r', conv_id, token);
        snprintf(text, sizeof text,
                 "Hello,\n\nwe believe your request is solved. Is it?\n\n"
                 "Please tell us here: %s/r/%s\n\n"
                 "If we do not hear from you within %lld day%s, we will consider it solved. "
                 "You can also simply reply to this email if you still need help.\n",
                 base, token, (long long)days, days == 1 ? "" : "s");
        err = customer_mail(w, &c, text, now);
    }
    free(base);
    sb_conv_release(&c);
    return err;
}

sb_err sb_svc_csat_on_closed(sb_db *w, int64_t conv_id, int64_t now)
{
    sb_conv c;
    sb_err err = sb_store_conv_load(w, conv_id, &c);
    if (err != SB_OK)
        return err;
    char key_name[48];
    snprintf(key_name, sizeof key_name, "autoclose:%lld", (long long)conv_id);
    bool created = false;
    if ((err = sb_store_job_cancel(w, key_name, now)) == SB_OK)
        err = sb_store_csat_request(w, conv_id, c.assignee_id, c.team_id, now, &created);
    char *base = sb_store_setting_get(w, SB_SETTING_BASE_URL);
    if (err == SB_OK && created && base && *base && by_email(&c) && (err = sb_svc_public_key_init(w)) == SB_OK) {
        char token[96], text[2000];
        sb_svc_public_token(w, 's', conv_id, token);
        snprintf(text, sizeof text,
                 "Hello,\n\nhow would you rate the help you received?\n\n"
                 "- Excellent: %s/csat/%s?rating=excellent\n"
                 "- Good: %s/csat/%s?rating=good\n"
                 "- Okay: %s/csat/%s?rating=okay\n"
                 "- Poor: %s/csat/%s?rating=poor\n\n"
                 "Thank you!\n",
                 base, token, base, token, base, token, base, token);
        err = customer_mail(w, &c, text, now);
    }
    if (err == SB_OK && created) {
        json_t *data = json_pack("{s:I}", "conversation_id", (json_int_t)conv_id);
        sb_actor system = {"system", 0};
        err = sb_svc_emit(w, "csat.requested", conv_id, 0, true, &system, "csat", data, now);
        json_decref(data);
    }
    free(base);
    sb_conv_release(&c);
    return err;
}

/* ---- status changes on the customer's or the timer's behalf ---- */

static sb_err change_status(sb_db *w, sb_conv *c, int status, const sb_actor *actor, const char *why, int64_t now)
{
    int old = c->status;
    sb_svc_set_status(c, status, now);
    sb_err err;
    if ((err = sb_store_conv_save(w, c, now)) != SB_OK ||
        (err = sb_svc_system_message(w, c->id, actor, now, "%s (was %s)", why, sb_status_name(old))) != SB_OK)
        return err;
    json_t *changes = json_pack("[s]", "status");
    err = sb_svc_emit_conversation(w, "conversation.updated", c->id, actor, changes, now);
    json_decref(changes);
    return err;
}

sb_err sb_svc_autoclose(sb_db *w, void *arg)
{
    sb_autoclose_op *op = arg;
    int64_t now = sb_now();
    op->reschedule_ms = 0;
    sb_conv c;
    if (sb_store_conv_load(w, op->conversation_id, &c) != SB_OK)
        return SB_OK;
    sb_err err = SB_OK;
    if (c.status == SB_STATUS_SOLVED) {
        int64_t days = setting_int(w, SB_SETTING_AUTOCLOSE_DAYS, SB_AUTOCLOSE_DEFAULT_DAYS);
        int64_t when = c.solved_at + days * 86400000LL;
        if (days <= 0) {
            /* auto-close switched off since */
        } else if (c.solved_at != op->solved_ms && when > now) {
            op->reschedule_ms = when; /* solved again later: wait for that */
        } else if (when <= now) {
            sb_actor system = {"system", 0};
            err = change_status(w, &c, SB_STATUS_CLOSED, &system, "Closed automatically: no answer to the solution", now);
        } else {
            op->reschedule_ms = when;
        }
    }
    sb_conv_release(&c);
    return err;
}

sb_err sb_svc_resolution_answer(sb_db *w, void *arg)
{
    sb_resolution_op *op = arg;
    int64_t now = sb_now();
    op->conversation_id = sb_svc_public_token_check(w, 'r', op->token);
    if (!op->conversation_id)
        return sb_svc_fail(op->errmsg, SB_E_NOT_FOUND, "this link is not valid");
    sb_conv c;
    if (sb_store_conv_load(w, op->conversation_id, &c) != SB_OK)
        return sb_svc_fail(op->errmsg, SB_E_NOT_FOUND, "this link is not valid");
    sb_actor customer = {"contact", c.contact_id};
    sb_err err = SB_OK;
    if (c.status == SB_STATUS_CLOSED) {
        op->outcome = "already closed";
    } else if (c.status != SB_STATUS_SOLVED) {
        op->outcome = "already reopened"; /* an agent or a reply got there first: nothing to confirm */
    } else if (op->solved) {
        op->outcome = "closed";
        err = change_status(w, &c, SB_STATUS_CLOSED, &customer, "The customer confirmed the solution", now);
    } else {
        op->outcome = "reopened";
        err = change_status(w, &c, SB_STATUS_OPEN, &customer, "The customer still needs help", now);
    }
    sb_conv_release(&c);
    return err;
}

sb_err sb_svc_csat_answer(sb_db *w, void *arg)
{
    sb_csat_op *op = arg;
    int64_t now = sb_now();
    op->conversation_id = sb_svc_public_token_check(w, 's', op->token);
    if (!op->conversation_id)
        return sb_svc_fail(op->errmsg, SB_E_NOT_FOUND, "this link is not valid");
    sb_err err = sb_store_csat_rate(w, op->conversation_id, op->rating, op->comment, now);
    if (err == SB_E_NOT_FOUND)
        return sb_svc_fail(op->errmsg, err, "this link is not valid");
    if (err != SB_OK)
        return err;
    json_t *csat = sb_store_csat_get(w, op->conversation_id);
    sb_actor system = {"system", 0};
    err = sb_svc_emit(w, "csat.rated", op->conversation_id, 0, true, &system, "csat", csat, now);
    json_decref(csat);
    return err;
}
