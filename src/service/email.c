/* Email rules in the service: threading an inbound message, the conversation it joins or
 * opens, acknowledgements with loop protection, bounces, and queueing outbound replies. */
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/conversation.h"
#include "core/after_hours.h"
#include "service/internal.h"
#include "service/kb.h"
#include "service/sla.h"
#include "util/buf.h"

#define ACK_MAX_PER_HOUR 5
#define REPLY_KEY "reply_token_key"

/* ---- reply tokens ---- */

static pthread_mutex_t key_mu = PTHREAD_MUTEX_INITIALIZER;
static unsigned char reply_key[32];
static bool reply_key_loaded;

static void load_reply_key(sb_db *db)
{
    pthread_mutex_lock(&key_mu);
    if (!reply_key_loaded) {
        char *hex = sb_store_setting_get(db, REPLY_KEY);
        if (hex && sodium_hex2bin(reply_key, sizeof reply_key, hex, strlen(hex), NULL, NULL, NULL) == 0) {
            reply_key_loaded = true;
        } else if (sb_store_of(db)) { /* the writer: create the key once */
            char newhex[65];
            randombytes_buf(reply_key, sizeof reply_key);
            sodium_bin2hex(newhex, sizeof newhex, reply_key, sizeof reply_key);
            reply_key_loaded = sb_store_setting_put(db, REPLY_KEY, newhex) == SB_OK;
        }
        free(hex);
    }
    pthread_mutex_unlock(&key_mu);
}

sb_err sb_svc_init_keys(sb_db *w, void *arg)
{
    (void)arg;
    load_reply_key(w);
    if (!reply_key_loaded)
        return SB_E_INTERNAL;
    return sb_svc_public_key_init(w); /* the customers' resolution and survey links (widget too) */
}

void sb_svc_reply_sig(sb_db *db, int64_t conversation_id, char sig[SB_REPLY_SIG_LEN + 1])
{
    load_reply_key(db);
    if (!reply_key_loaded) { /* never sign with a key we do not have: such a token matches nothing */
        memset(sig, 'x', SB_REPLY_SIG_LEN);
        sig[SB_REPLY_SIG_LEN] = '\0';
        return;
    }
    char msg[32];
    unsigned char mac[crypto_auth_hmacsha256_BYTES];
    int n = snprintf(msg, sizeof msg, "c%lld", (long long)conversation_id);
    crypto_auth_hmacsha256(mac, (const unsigned char *)msg, (unsigned long long)n, reply_key);
    char hex[2 * crypto_auth_hmacsha256_BYTES + 1];
    sodium_bin2hex(hex, sizeof hex, mac, sizeof mac);
    memcpy(sig, hex, SB_REPLY_SIG_LEN);
    sig[SB_REPLY_SIG_LEN] = '\0';
}

void sb_svc_sign(sb_db *db, const char *msg, char out[65])
{
    load_reply_key(db);
    unsigned char mac[crypto_auth_hmacsha256_BYTES];
    if (!reply_key_loaded) { /* no key: a signature that nothing verifies */
        memset(out, 'x', 64);
        out[64] = '\0';
        return;
    }
    crypto_auth_hmacsha256(mac, (const unsigned char *)msg, strlen(msg), reply_key);
    sodium_bin2hex(out, 65, mac, sizeof mac);
}

bool sb_svc_sign_ok(sb_db *db, const char *msg, const char *sig)
{
    if (!sig || strlen(sig) != 64)
        return false;
    char want[65];
    sb_svc_sign(db, msg, want);
    return reply_key_loaded && sodium_memcmp(want, sig, 64) == 0;
}

/* ---- outbound ---- */

static const char *domain_of(const char *address)
{
    const char *at = address ? strrchr(address, '@') : NULL;
    return at && at[1] ? at + 1 : "switchboard.invalid";
}

sb_err sb_svc_email_queue_reply(sb_db *w, const sb_conv *c, int64_t message_id, int64_t now)
{
    json_t *mb = c->mailbox_id ? sb_store_mailbox_get(w, c->mailbox_id) : NULL;
    char rfc_id[160], rnd[17];
    unsigned char raw[8];
    randombytes_buf(raw, sizeof raw);
    sodium_bin2hex(rnd, sizeof rnd, raw, sizeof raw);
    snprintf(rfc_id, sizeof rfc_id, "sb.%lld.%s@%s", (long long)message_id, rnd,
             domain_of(mb ? json_string_value(json_object_get(mb, "address")) : NULL));
    json_decref(mb);
    sb_err err = sb_store_email_id_add(w, rfc_id, c->mailbox_id, c->id, message_id, true);
    if (err != SB_OK)
        return err;
    /* The timeline shows the Message-ID the customer's mail client will see. */
    json_t *row = sb_store_message_row(w, message_id);
    json_t *meta = row ? json_object_get(row, "email") : NULL;
    meta = json_is_object(meta) ? json_incref(meta) : json_object();
    json_object_set_new(meta, "message_id", json_string(rfc_id));
    char *text = json_dumps(meta, JSON_COMPACT);
    err = text ? sb_store_message_set_email(w, message_id, text) : SB_E_INTERNAL;
    free(text);
    json_decref(meta);
    json_decref(row);
    if (err != SB_OK)
        return err;
    json_t *payload = json_pack("{s:I}", "message_id", (json_int_t)message_id);
    char key[48];
    snprintf(key, sizeof key, "email.send:%lld", (long long)message_id);
    err = sb_store_job_enqueue(w, "email.send", payload, now, 12, key, now, NULL);
    json_decref(payload);
    return err;
}

sb_err sb_svc_delivery_result(sb_db *w, void *arg)
{
    sb_delivery_op *op = arg;
    int64_t now = sb_now();
    json_t *m = sb_store_message_row(w, op->message_id);
    if (!m)
        return SB_E_NOT_FOUND;
    int64_t conv_id = json_integer_value(json_object_get(m, "conversation_id"));
    /* A bounce that arrived first is the better news: an attempt's result never undoes it. */
    const char *current = json_string_value(json_object_get(m, "delivery_status"));
    bool bounced = current && strcmp(current, "bounced") == 0;
    json_decref(m);
    if (bounced)
        return SB_OK;
    sb_err err = sb_store_message_set_delivery(w, op->message_id, op->status, op->error);
    if (err != SB_OK)
        return err;
    sb_actor system = {"system", 0};
    if (strcmp(op->status, "sent") != 0)
        err = sb_svc_system_message(w, conv_id, &system, now, "Delivery of message %lld failed: %s",
                                    (long long)op->message_id, op->error ? op->error : "unknown error");
    if (err == SB_OK) {
        json_t *full = sb_store_message_get(w, op->message_id);
        json_t *data = json_pack("{s:o, s:s}", "message", full ? full : json_null(), "status", op->status);
        sb_event_in ev = {.type = "message.delivery", .conversation_id = conv_id, .internal = true,
                          .actor_type = "system", .data = data, .now = now};
        err = sb_store_event_append(w, &ev, NULL);
        json_decref(data);
    }
    return err;
}

/* ---- inbound ---- */

static bool same_addr(const char *a, const char *b)
{
    return a && b && strcasecmp(a, b) == 0;
}

/* The mailbox: the MTA's hint, else the first To/Cc address (or its +token base) we own. */
static int64_t find_mailbox(sb_db *w, const sb_email_ingest_op *op)
{
    if (op->mailbox_hint) {
        int64_t id = sb_store_mailbox_find(w, op->mailbox_hint);
        if (id)
            return id;
    }
    for (int pass = 0; pass < 2; pass++) {
        const sb_email_address *list = pass ? op->cc : op->to;
        size_t n = pass ? op->ncc : op->nto;
        for (size_t i = 0; i < n; i++) {
            char base[320];
            const char *a = list[i].addr, *plus = strchr(a, '+'), *at = strchr(a, '@');
            if (plus && at && plus < at)
                snprintf(base, sizeof base, "%.*s%s", (int)(plus - a), a, at);
            else
                snprintf(base, sizeof base, "%s", a);
            int64_t id = sb_store_mailbox_find(w, base);
            if (id)
                return id;
        }
    }
    return 0;
}

static bool sender_belongs(sb_db *w, const sb_conv *c, const char *from)
{
    json_t *contact = sb_store_contact_get(w, c->contact_id);
    bool ok = false;
    if (contact) {
        size_t i;
        json_t *ident;
        json_array_foreach(json_object_get(contact, "identities"), i, ident)
        {
            if (strcmp(json_string_value(json_object_get(ident, "kind")), "email") == 0 &&
                same_addr(json_string_value(json_object_get(ident, "value")), from))
                ok = true;
        }
        json_decref(contact);
    }
    return ok || sb_store_conv_cc_has(w, c->id, from);
}

/* Threading: our Message-IDs first, then the signed reply address, then the subject marker
 * (only for a sender who is already part of that conversation). */
/* The conversation an inbound message continues, and whether the evidence is strong enough
 * to let the message change who is on the thread. Trusted: it answers a Message-ID we sent
 * (random, known only to the recipients) or writes to the signed reply address. Weaker, and
 * only for a sender who already belongs to the conversation: an inbound Message-ID of the
 * thread, or the [#id] subject marker (From can be forged; ids are sequential). */
static int64_t thread(sb_db *w, const sb_email_ingest_op *op, bool *trusted)
{
    *trusted = false;
    int64_t conv;
    const char *ids[101];
    size_t nids = 0;
    if (op->in_reply_to)
        ids[nids++] = op->in_reply_to;
    for (size_t i = op->nreferences; i-- > 0 && nids < 101;)
        ids[nids++] = op->references[i];
    for (size_t i = 0; i < nids; i++)
        if ((conv = sb_store_email_id_conversation(w, ids[i], 1, NULL))) {
            *trusted = true;
            return conv;
        }
    for (int pass = 0; pass < 2; pass++) {
        const sb_email_address *list = pass ? op->cc : op->to;
        size_t n = pass ? op->ncc : op->nto;
        for (size_t i = 0; i < n; i++) {
            char sig[SB_REPLY_SIG_LEN + 1], want[SB_REPLY_SIG_LEN + 1];
            int64_t id = sb_email_token_parse(list[i].addr, sig);
            if (!id)
                continue;
            sb_svc_reply_sig(w, id, want);
            if (sodium_memcmp(sig, want, SB_REPLY_SIG_LEN) == 0) {
                sb_conv c;
                if (sb_store_conv_load(w, id, &c) == SB_OK) {
                    sb_conv_release(&c);
                    *trusted = true;
                    return id;
                }
            }
        }
    }
    int64_t candidates[102];
    size_t nc = 0;
    for (size_t i = 0; i < nids; i++)
        if ((conv = sb_store_email_id_conversation(w, ids[i], 0, NULL)))
            candidates[nc++] = conv;
    int64_t marked = sb_email_subject_marker(op->subject);
    if (marked)
        candidates[nc++] = marked;
    for (size_t i = 0; i < nc; i++) {
        sb_conv c;
        if (sb_store_conv_load(w, candidates[i], &c) == SB_OK) {
            bool ok = sender_belongs(w, &c, op->from.addr);
            sb_conv_release(&c);
            if (ok)
                return candidates[i];
        }
    }
    return 0;
}

/* Whether message msg came from `from` (its contact's address, or one of our mailboxes for
 * our own mail): a Message-ID alone is the sender's to choose, not proof of identity. */
static bool same_sender(sb_db *w, int64_t msg, const char *from)
{
    json_t *m = sb_store_message_row(w, msg);
    bool same = false;
    if (m && strcmp(json_string_value(json_object_get(m, "author_type")), "contact") == 0) {
        json_t *contact = sb_store_contact_get(w, json_integer_value(json_object_get(m, "author_id")));
        size_t i;
        json_t *ident;
        json_array_foreach(json_object_get(contact, "identities"), i, ident)
        {
            if (strcmp(json_string_value(json_object_get(ident, "kind")), "email") == 0 &&
                same_addr(json_string_value(json_object_get(ident, "value")), from))
                same = true;
        }
        json_decref(contact);
    } else if (m) {
        same = sb_store_mailbox_find(w, from ? from : "") != 0;
    }
    json_decref(m);
    return same;
}

static sb_err resolve_sender(sb_db *w, sb_email_ingest_op *op, int64_t now, int64_t *contact_id)
{
    const char *addr = op->from.addr;
    if (!addr || !*addr) {
        /* No usable sender: a contact of its own, so the message is still shown. */
        return sb_store_contact_insert(w, "Unknown sender", NULL, NULL, 0, now, contact_id);
    }
    int64_t id = sb_store_contact_find(w, "email", addr);
    if (id) {
        *contact_id = id;
        return SB_OK;
    }
    sb_err err = sb_store_contact_insert(w, op->from.name ? op->from.name : "", addr, NULL, 0, now, &id);
    if (err == SB_OK)
        err = sb_store_identity_add(w, id, "email", addr);
    if (err != SB_OK)
        return err;
    json_t *c = sb_store_contact_get(w, id);
    err = sb_svc_emit(w, "contact.created", 0, id, false, &op->actor, "contact", c, now);
    json_decref(c);
    *contact_id = id;
    return err;
}

static char *email_json(const sb_email_ingest_op *op)
{
    json_t *to = json_array(), *cc = json_array();
    for (size_t i = 0; i < op->nto; i++)
        json_array_append_new(to, json_pack("{s:s, s:s}", "address", op->to[i].addr, "name",
                                            op->to[i].name ? op->to[i].name : ""));
    for (size_t i = 0; i < op->ncc; i++)
        json_array_append_new(cc, json_pack("{s:s, s:s}", "address", op->cc[i].addr, "name",
                                            op->cc[i].name ? op->cc[i].name : ""));
    json_t *o = json_pack("{s:s?, s:{s:s, s:s}, s:o, s:o, s:s, s:s?, s:i, s:b, s:b}", "message_id",
                          op->rfc_message_id, "from", "address", op->from.addr ? op->from.addr : "", "name",
                          op->from.name ? op->from.name : "", "to", to, "cc", cc, "subject",
                          op->subject ? op->subject : "", "warning", op->warning, "remote_images",
                          (int)op->remote_images, "automatic", !sb_email_may_autorespond(&op->signals),
                          "bounce", op->signals.is_bounce);
    char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    return text;
}

static sb_err add_cc(sb_db *w, sb_email_ingest_op *op, const sb_conv *c, int64_t mailbox_id)
{
    json_t *mb = mailbox_id ? sb_store_mailbox_get(w, mailbox_id) : NULL;
    const char *ours = mb ? json_string_value(json_object_get(mb, "address")) : NULL;
    json_t *customer = sb_store_contact_get(w, c->contact_id);
    const char *customer_email = customer ? json_string_value(json_object_get(customer, "email")) : NULL;
    sb_err err = SB_OK;
    /* Everyone on the thread but us and the customer gets the replies too. */
    for (int pass = 0; pass < 2 && err == SB_OK; pass++) {
        const sb_email_address *list = pass ? op->cc : op->to;
        size_t n = pass ? op->ncc : op->nto;
        for (size_t i = 0; i < n && err == SB_OK; i++) {
            const char *a = list[i].addr;
            char sig[SB_REPLY_SIG_LEN + 1];
            if (same_addr(a, ours) || sb_email_token_parse(a, sig) || sb_store_mailbox_find(w, a) ||
                same_addr(a, op->from.addr) || same_addr(a, customer_email))
                continue;
            if (strlen(a) > 254)
                continue;
            err = sb_store_conv_cc_add(w, c->id, a, list[i].name);
        }
    }
    json_decref(customer);
    json_decref(mb);
    return err;
}

/* The acknowledgement of a new conversation and, outside the mailbox's business hours (SLA
 * hook: service/sla.c), the after-hours reply instead, also for a message that continues one. */
static sb_err acknowledge(sb_db *w, sb_email_ingest_op *op, const sb_conv *c, int64_t now, bool continuing)
{
    json_t *mb = sb_store_mailbox_get(w, c->mailbox_id);
    char scope[48], *after_hours = NULL;
    snprintf(scope, sizeof scope, "mailbox:%lld", (long long)c->mailbox_id);
    if (mb && sb_svc_after_hours_text(w, scope, sb_ah_guess_locale(op->text_new ? op->text_new : op->subject), now,
                                      &after_hours) != SB_OK)
        after_hours = NULL;
    if (!mb || (!after_hours && (continuing || !json_is_true(json_object_get(mb, "ack_enabled"))))) {
        json_decref(mb);
        return SB_OK;
    }
    sb_err err = SB_OK;
    if (!sb_email_may_autorespond(&op->signals) ||
        !sb_email_autoreply_rate_ok(sb_store_autoreply_count(w, op->from.addr, now - 3600 * 1000), ACK_MAX_PER_HOUR))
        goto out;
    const char *tpl = json_string_value(json_object_get(mb, "ack_template"));
    sb_buf body;
    sb_buf_init(&body, 64 * 1024);
    if (!tpl || !*tpl) /* echoes nothing of the sender's: a forged From cannot turn it into spam */
        tpl = "Hello,\n\nwe received your message and will answer soon. "
              "Your request number is #{{conversation_id}}.\n";
    for (const char *p = tpl; *p;) {
        if (strncmp(p, "{{name}}", 8) == 0) {
            sb_buf_puts(&body, op->from.name && *op->from.name ? op->from.name : "there");
            p += 8;
        } else if (strncmp(p, "{{subject}}", 11) == 0) {
            sb_buf_puts(&body, op->subject ? op->subject : "");
            p += 11;
        } else if (strncmp(p, "{{conversation_id}}", 19) == 0) {
            sb_buf_printf(&body, "%lld", (long long)c->id);
            p += 19;
        } else {
            sb_buf_append(&body, p, 1);
            p++;
        }
    }
    if (after_hours) {
        sb_buf_reset(&body);
        sb_buf_puts(&body, after_hours);
    }
    sb_message_in m = {.conversation_id = c->id, .direction = "out", .kind = "message", .author_type = "system",
                       .body_text = body.data ? body.data : "", .delivery_status = "pending",
                       .email_json = "{\"automatic\":true}"};
    int64_t id;
    sb_actor system = {"system", 0};
    if ((err = sb_store_message_insert(w, &m, now, &id)) == SB_OK &&
        (err = sb_svc_email_queue_reply(w, c, id, now)) == SB_OK &&
        (err = sb_store_autoreply_log(w, op->from.addr, now)) == SB_OK)
        err = sb_svc_emit_message(w, id, c->contact_id, false, &system, now);
    sb_buf_release(&body);
    op->acknowledged = err == SB_OK;
out:
    free(after_hours);
    json_decref(mb);
    return err;
}

static sb_err store_message(sb_db *w, sb_email_ingest_op *op, int64_t conv_id, int64_t contact_id,
                            int64_t mailbox_id, int64_t now, bool internal_note)
{
    char *meta = email_json(op);
    sb_message_in m = {
        .conversation_id = conv_id,
        .direction = "in",
        .internal = internal_note,
        .kind = internal_note ? "note" : "message",
        .author_type = "contact",
        .author_id = contact_id,
        .body_text = op->text_new ? op->text_new : "",
        .body_full = op->text_full && op->text_new && strcmp(op->text_full, op->text_new) != 0 ? op->text_full : NULL,
        .body_html = op->html,
        .email_json = meta,
        .raw = op->raw,
        .raw_len = op->raw_len,
    };
    sb_err err = sb_store_message_insert(w, &m, now, &op->message_id);
    free(meta);
    for (size_t i = 0; err == SB_OK && i < op->natts; i++)
        err = sb_store_attachment_insert(w, op->message_id, op->atts[i].filename, op->atts[i].content_type,
                                         op->atts[i].size, op->atts[i].sha256, op->atts[i].is_inline,
                                         op->atts[i].content_id, now);
    if (err == SB_OK && op->rfc_message_id)
        err = sb_store_email_id_add(w, op->rfc_message_id, mailbox_id, conv_id, op->message_id, false);
    return err;
}

sb_err sb_svc_email_ingest(sb_db *w, void *arg)
{
    sb_email_ingest_op *op = arg;
    int64_t now = sb_now();
    sb_err err;
    /* The same message again (an MTA retry after we committed but before it heard back). */
    if (op->rfc_message_id) {
        /* Our own mail coming back (an alias that forwards to us, a list we wrote to). */
        int64_t msg = 0, conv = sb_store_email_id_conversation(w, op->rfc_message_id, 1, &msg);
        if (!conv)
            conv = sb_store_email_id_conversation(w, op->rfc_message_id, 0, &msg);
        if (conv && msg && same_sender(w, msg, op->from.addr)) {
            op->conversation_id = conv;
            op->message_id = msg;
            op->duplicate = true;
            return SB_OK;
        }
    }
    int64_t mailbox_id = find_mailbox(w, op);
    int64_t contact_id = 0;
    if ((err = resolve_sender(w, op, now, &contact_id)) != SB_OK)
        return err;
    sb_actor customer = {"contact", contact_id};

    /* A bounce of one of our replies goes to that conversation as an internal note. */
    if (op->signals.is_bounce && op->bounced_message_id) {
        int64_t bounced_msg = 0;
        int64_t conv = sb_store_email_id_conversation(w, op->bounced_message_id, 1, &bounced_msg);
        if (conv) {
            op->conversation_id = conv;
            if ((err = store_message(w, op, conv, contact_id, mailbox_id, now, true)) != SB_OK)
                return err;
            if (bounced_msg) {
                char why[200];
                snprintf(why, sizeof why, "bounced%s%s%s%s", op->bounced_recipient ? " by " : "",
                         op->bounced_recipient ? op->bounced_recipient : "", op->bounce_status ? ": " : "",
                         op->bounce_status ? op->bounce_status : "");
                sb_delivery_op d = {.message_id = bounced_msg, .status = "bounced", .error = why};
                if ((err = sb_svc_delivery_result(w, &d)) != SB_OK)
                    return err;
            }
            return sb_svc_emit_message(w, op->message_id, 0, true, &customer, now);
        }
    }

    bool trusted = false;
    int64_t conv_id = thread(w, op, &trusted);
    bool from_us = op->from.addr && sb_store_mailbox_find(w, op->from.addr);
    if (from_us)
        op->signals.from_robot = true; /* never acknowledge ourselves */
    sb_conv c;
    memset(&c, 0, sizeof c);
    if (conv_id && (err = sb_store_conv_load(w, conv_id, &c)) != SB_OK)
        return err;
    if (conv_id && sb_inbound_effect_for(c.status) == SB_INBOUND_NEW_CONVERSATION) {
        /* A reply to a closed conversation opens a follow-up. */
        sb_conv_release(&c);
        memset(&c, 0, sizeof c);
        c.follow_up_of = conv_id;
        conv_id = 0;
    }
    if (!conv_id) {
        json_t *mb = mailbox_id ? sb_store_mailbox_get(w, mailbox_id) : NULL;
        int64_t team = mb ? json_integer_value(json_object_get(mb, "team_id")) : 0;
        json_decref(mb);
        sb_conv n = {
            .subject = (char *)(op->subject && *op->subject ? op->subject : "(no subject)"),
            .status = SB_STATUS_OPEN,
            .priority = SB_PRIORITY_NORMAL,
            .contact_id = contact_id,
            .team_id = team,
            .channel = "email",
            .follow_up_of = c.follow_up_of,
            .mailbox_id = mailbox_id,
        };
        if ((err = sb_store_conv_insert(w, &n, now)) != SB_OK)
            return err;
        op->created = true;
        op->conversation_id = n.id;
        if ((err = store_message(w, op, n.id, contact_id, mailbox_id, now, false)) != SB_OK ||
            (err = add_cc(w, op, &n, mailbox_id)) != SB_OK ||
            (err = sb_svc_emit_conversation(w, "conversation.created", n.id, &customer, NULL, now)) != SB_OK ||
            (err = sb_svc_emit_message(w, op->message_id, contact_id, false, &customer, now)) != SB_OK ||
            (err = sb_svc_route_new(w, n.id, false, now)) != SB_OK) /* routing (issue 5 B) */
            return err;
        if ((err = mailbox_id ? acknowledge(w, op, &n, now, false) : SB_OK) != SB_OK)
            return err;
        /* The answer bot (issue 6) may answer a new question; never automatic mail. */
        return sb_email_may_autorespond(&op->signals) ? sb_svc_bot_queue(w, n.id) : SB_OK;
    }
    op->conversation_id = c.id;
    if (from_us) {
        /* Mail from our own address into a thread: kept for the agents, changes nothing. */
        if ((err = store_message(w, op, c.id, contact_id, c.mailbox_id, now, true)) == SB_OK)
            err = sb_svc_emit_message(w, op->message_id, c.contact_id, true, &customer, now);
        goto out;
    }
    if ((err = store_message(w, op, c.id, contact_id, c.mailbox_id ? c.mailbox_id : mailbox_id, now, false)) != SB_OK ||
        (trusted && (err = add_cc(w, op, &c, c.mailbox_id)) != SB_OK) ||
        (err = sb_svc_emit_message(w, op->message_id, c.contact_id, false, &customer, now)) != SB_OK)
        goto out;
    if (sb_inbound_effect_for(c.status) == SB_INBOUND_REOPEN) {
        err = sb_svc_reopen(w, &c, &customer, now);
    } else {
        err = sb_svc_emit_conversation(w, "conversation.updated", c.id, &customer, NULL, now);
    }
    if (err == SB_OK && c.mailbox_id)
        err = acknowledge(w, op, &c, now, true);
out:
    sb_conv_release(&c);
    return err;
}

/* ---- mailboxes ---- */

sb_err sb_svc_mailbox_write(sb_db *w, void *arg)
{
    sb_mailbox_op *op = arg;
    int64_t now = sb_now();
    sb_err err;
    json_t *team = json_object_get(op->fields, "team_id");
    if (team && json_integer_value(team) > 0 && !sb_store_team_exists(w, json_integer_value(team)))
        return sb_svc_fail(op->errmsg, SB_E_VALIDATION, "team_id %lld does not exist", (long long)json_integer_value(team));
    if (op->kind == 0) {
        err = sb_store_mailbox_insert(w, op->fields, now, &op->id);
        if (err == SB_E_CONFLICT)
            return sb_svc_fail(op->errmsg, err, "the mailbox %s exists", json_string_value(json_object_get(op->fields, "address")));
    } else if (op->kind == 1) {
        err = sb_store_mailbox_update(w, op->id, op->fields, now);
    } else {
        err = sb_store_mailbox_delete(w, op->id);
    }
    if (err == SB_E_NOT_FOUND)
        return sb_svc_fail(op->errmsg, err, "mailbox %lld not found", (long long)op->id);
    if (err != SB_OK)
        return err;
    if (op->kind != 2) {
        /* Polling starts (or its settings apply) with the next run of the job. */
        json_t *mb = sb_store_mailbox_secret(w, op->id);
        const char *imap = mb ? json_string_value(json_object_get(mb, "imap_url")) : NULL;
        if (imap && *imap) {
            char key[48];
            snprintf(key, sizeof key, "imap.poll:%lld", (long long)op->id);
            json_t *payload = json_pack("{s:I}", "mailbox_id", (json_int_t)op->id);
            err = sb_store_job_enqueue(w, "imap.poll", payload, now, 1000000, key, now, NULL);
            json_decref(payload);
        }
        json_decref(mb);
    }
    return err;
}

