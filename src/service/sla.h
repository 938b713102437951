/* service/: SLA clocks, alerts, after-hours replies, resolution confirmation and CSAT.
 * Writer functions run inside a writer transaction (see service.h). See docs/sla.md. */
#ifndef SB_SERVICE_SLA_H
#define SB_SERVICE_SLA_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "core/calendar.h"
#include "service/service.h"

#define SB_SETTING_BASE_URL "public_base_url"       /* links in customer mail: http(s)://host[:port] */
#define SB_SETTING_AUTOCLOSE_DAYS "autoclose_days"  /* solved -> closed without an answer (default 3) */
#define SB_SETTING_ALERT_MAILBOX "alert_mailbox_id" /* the mailbox whose SMTP server sends alert mail */
#define SB_AUTOCLOSE_DEFAULT_DAYS 3
#define SB_WEBHOOK_URL_MAX 2048

/* A calendar by id, time zone resolved (zones are opened once and kept). id 0: 24/7 UTC.
 * SB_E_NOT_FOUND for an unknown id. */
sb_err sb_svc_calendar_load(sb_db *db, int64_t id, sb_calendar *out);
/* Validates a calendar definition (syntax and an installed time zone). */
sb_err sb_svc_calendar_validate(const json_t *definition, char *err, size_t errlen);

/* Brings a conversation's clocks up to date with its messages and status at now_ms: picks the
 * policy, applies what happened since the last sync, stores `sla`, plans the sla.check timer,
 * raises warnings and breaches, and starts the resolution/CSAT follow-ups on solve and close.
 * Idempotent. *changed tells whether the `sla` object changed. Called by
 * sb_svc_emit_conversation, so every conversation change keeps its clocks current. */
sb_err sb_svc_sla_sync(sb_db *w, int64_t conversation_id, int64_t now_ms, bool *changed);

/* Who hears of a breach: {"agent_ids":[...], "emails":[...]} from the policy's alert list.
 * Caller owns the result. The routing helper's on-call agent joins here at merge. */
json_t *sb_svc_sla_alert_recipients(sb_db *db, int64_t conversation_id, const json_t *policy, int64_t at_ms);

/* Queues a delivery of event `type` to every active webhook that subscribes to it. */
sb_err sb_svc_webhooks_fire(sb_db *w, const char *type, json_t *data, int64_t now_ms);

/* The after-hours reply for scope ("mailbox:<id>" or "channel:<name>") at now_ms in locale:
 * SB_OK with *out (malloc'd) when the scope has an enabled calendar that is closed at now_ms,
 * SB_E_NOT_FOUND when no reply is due (open, not configured, disabled). For the widget and web
 * form too. */
sb_err sb_svc_after_hours_text(sb_db *db, const char *scope, const char *locale, int64_t now_ms, char **out);

/* Signed public tokens for the customer's links: purpose 'r' (resolution) or 's' (survey).
 * check returns the conversation id, or 0 for a token that is not ours. */
void sb_svc_public_token(sb_db *db, char purpose, int64_t conversation_id, char out[96]);
int64_t sb_svc_public_token_check(sb_db *db, char purpose, const char *token);
/* Creates the token key once (writer). */
sb_err sb_svc_public_key_init(sb_db *w);

/* Hooks run by the sync when a conversation became solved / closed. */
sb_err sb_svc_resolution_on_solved(sb_db *w, int64_t conversation_id, int64_t now_ms);
sb_err sb_svc_csat_on_closed(sb_db *w, int64_t conversation_id, int64_t now_ms);

/* ---- writer operations ---- */

/* Configuration writes: calendars, policies, webhooks, after-hours, settings. */
typedef enum { SB_SLA_CAL, SB_SLA_POLICY, SB_SLA_WEBHOOK, SB_SLA_AFTER_HOURS, SB_SLA_SETTINGS } sb_sla_object;
typedef struct {
    sb_actor actor;
    sb_sla_object what;
    sb_op_kind kind;
    int64_t id;         /* update/delete; out for create */
    const char *scope;  /* after-hours */
    json_t *fields;     /* borrowed, validated by the API */
    char errmsg[SB_ERRMSG];
} sb_sla_config_op;
sb_err sb_svc_sla_config_write(sb_db *w, void *op);

/* The sla.check timer: re-evaluates the clocks; next_ms receives the next check (0 none). */
typedef struct {
    int64_t conversation_id;
    int64_t next_ms;
    char errmsg[SB_ERRMSG];
} sb_sla_check_op;
sb_err sb_svc_sla_check(sb_db *w, void *op);

/* The auto-close timer: closes a conversation still solved since solved_ms; reschedule_ms is set
 * when it was solved again later (the timer moves). */
typedef struct {
    int64_t conversation_id, solved_ms;
    int64_t reschedule_ms;
    char errmsg[SB_ERRMSG];
} sb_autoclose_op;
sb_err sb_svc_autoclose(sb_db *w, void *op);

/* The customer's answers from the public pages / JSON endpoints. */
typedef struct {
    const char *token;
    bool solved;
    int64_t conversation_id; /* out */
    const char *outcome;     /* out: "closed", "reopened", "already closed" */
    char errmsg[SB_ERRMSG];
} sb_resolution_op;
sb_err sb_svc_resolution_answer(sb_db *w, void *op);

typedef struct {
    const char *token, *rating, *comment; /* rating NULL keeps it (a comment only) */
    int64_t conversation_id;              /* out */
    char errmsg[SB_ERRMSG];
} sb_csat_op;
sb_err sb_svc_csat_answer(sb_db *w, void *op);

#endif
