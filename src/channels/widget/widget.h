/* The live-chat widget channel: its settings (settings key "widget"), identity verification
 * (HMAC-SHA256 of the site's user id with the widget secret), and the writer operations that
 * create visitor sessions and update what a visitor tells about themselves. Conversations and
 * messages go through the service's own operations (channel "widget"). See docs/widget.md. */
#ifndef SB_CHANNELS_WIDGET_WIDGET_H
#define SB_CHANNELS_WIDGET_WIDGET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "service/service.h"

#define SB_WIDGET_TITLE_MAX 80
#define SB_WIDGET_GREETING_MAX 500
#define SB_WIDGET_ORIGINS_MAX 50
#define SB_WIDGET_ORIGIN_LEN 200
#define SB_WIDGET_USER_ID_MAX 200
#define SB_WIDGET_NAME_MAX 200
#define SB_WIDGET_EMAIL_MAX 254
/* New visitor sessions per client address and window: a returning visitor reuses its token,
 * so only scripts that mint tokens in bulk meet this. */
#define SB_WIDGET_SESSIONS_PER_IP 60
#define SB_WIDGET_SESSIONS_WINDOW_S 600

/* The settings with defaults filled in: {enabled, title, greeting, accent_color, secret,
 * allowed_origins}; secret is "" until first created. Caller owns the result. */
json_t *sb_widget_settings_load(sb_db *db);
/* What any site may read: no secret, no origins. New reference. */
json_t *sb_widget_settings_public(const json_t *settings);
/* Checks an admin's patch; on error writes the message (naming the field) and returns false. */
bool sb_widget_settings_check(const json_t *patch, char *err, size_t errlen);
/* Whether a request from `origin` (NULL: not from a browser page on another site) may use
 * the widget; `self` is this server's own origin (pages it serves always may). */
bool sb_widget_origin_allowed(const json_t *settings, const char *origin, const char *self);
/* Constant-time check of hex HMAC-SHA256(secret, user_id). */
bool sb_widget_user_hash_ok(const char *secret, const char *user_id, const char *user_hash);
/* Hex HMAC-SHA256(secret, user_id) into out (65 bytes); for tests and docs. */
void sb_widget_user_hash(const char *secret, const char *user_id, char out[65]);

/* Settings write: merges `patch` (checked), or makes a new secret (rotate), or only makes
 * sure a secret exists. out: the settings after the write. */
typedef struct {
    json_t *patch; /* borrowed; NULL for none */
    bool rotate;
    json_t *out;
    char errmsg[SB_ERRMSG];
} sb_widget_settings_op;
sb_err sb_widget_settings_tx(sb_db *w, void *op);

/* A visitor session. With a valid existing token (its hash in `existing`), the visitor is
 * reused unless a verified user_id names another contact. Otherwise a new visitor row with
 * token hash `fresh` names a new anonymous contact ("Visitor N", name/email as unverified lead
 * details) or, when verified, the contact with identity (widget, user_id), made if new. */
typedef struct {
    unsigned char fresh[32];
    bool has_existing;
    unsigned char existing[32];
    const char *name, *email; /* optional */
    const char *user_id;      /* set only after the caller verified its hash */
    /* out */
    bool reused; /* the existing token stays valid and is the session's token */
    int64_t visitor_id, contact_id;
    bool verified;
    char errmsg[SB_ERRMSG];
} sb_widget_session_op;
sb_err sb_widget_session_tx(sb_db *w, void *op);

/* A visitor leaves their name and/or email: stored on their contact as lead details, never
 * as an identity (an unverified email must not merge them with anyone). */
typedef struct {
    int64_t contact_id;
    bool verified; /* a verified contact's email is only filled in when it has none */
    const char *name, *email;
    char errmsg[SB_ERRMSG];
} sb_widget_me_op;
sb_err sb_widget_me_tx(sb_db *w, void *op);

#endif
