/* Pure email rules: reply-address tokens and subject markers for threading, reply subjects,
 * and whether a message may get an automatic answer (RFC 3834 loop protection). */
#ifndef SB_CORE_EMAIL_RULES_H
#define SB_CORE_EMAIL_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SB_REPLY_SIG_LEN 10 /* hex characters of the token's signature */

/* "support+c123-0a1b2c3d4e@example.com" -> conversation 123 and its signature.
 * Returns the conversation id, or 0 when the address carries no token. */
int64_t sb_email_token_parse(const char *address, char sig[SB_REPLY_SIG_LEN + 1]);
/* "support@example.com", 123, sig -> "support+c123-<sig>@example.com". 0, or -1 if out is short. */
int sb_email_token_address(const char *mailbox, int64_t conversation_id, const char *sig, char *out, size_t n);

/* The conversation number in a subject marker "[#123]", or 0. */
int64_t sb_email_subject_marker(const char *subject);
/* "Re: <subject> [#id]" without stacking "Re:" prefixes or markers. Caller frees. */
char *sb_email_reply_subject(const char *subject, int64_t conversation_id);

typedef struct {
    bool auto_submitted, precedence_bulk, x_autoreply, list_mail, from_robot, is_bounce;
    bool sender_missing;
} sb_email_signals;

/* RFC 3834: never answer automatic, bulk, list or robot mail, bounces, or mail without a sender. */
bool sb_email_may_autorespond(const sb_email_signals *s);

/* Per-sender rate limit for automatic mail: at most `max` per `window_ms`. */
bool sb_email_autoreply_rate_ok(int sent_in_window, int max);

#endif
