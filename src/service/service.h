/* service/: the domain operations every entry point (API, channels, jobs, CLI) calls.
 * Write operations are "tx" functions that run on the store's writer thread inside a
 * batch transaction: they apply core/ rules, persist through store/, and append events.
 * Each takes one op struct holding its input, its output and a human error message. */
#ifndef SB_SERVICE_SERVICE_H
#define SB_SERVICE_SERVICE_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "core/error.h"
#include "store/store.h"

/* The clock every rule uses: wall time, shifted by the test clock when `serve --test-clock`
 * enabled it (tests only). */
int64_t sb_now(void);
void sb_clock_enable_test(void);
bool sb_clock_test_enabled(void);
/* Sets the test clock to now_ms; it keeps running from there. */
void sb_clock_set(int64_t now_ms);

/* In-app notification for one agent: a row in notifications and a notification.created event
 * that only that agent's streams receive. Call inside a writer transaction. */
sb_err sb_svc_notify(sb_db *w, int64_t agent_id, const char *kind, int64_t conversation_id, const char *text);

typedef struct {
    const char *type; /* agent, contact, system */
    int64_t id;
} sb_actor;

#define SB_ERRMSG 256

/* Conversation create: subject, first inbound message, contact by id or email. */
typedef struct {
    sb_actor actor;
    const char *subject, *body, *channel;
    int priority; /* sb_priority */
    const char *priority_reason;
    int64_t contact_id;
    const char *contact_email, *contact_name;
    int64_t team_id, assignee_id;
    json_t *tags; /* array of strings, or NULL */
    int64_t follow_up_of;
    int64_t mailbox_id;
    const char *fields_json; /* structured answers (web form), a JSON object as text, or NULL */
    /* out */
    int64_t id, message_id;
    char errmsg[SB_ERRMSG];
} sb_conv_create_op;
sb_err sb_svc_conv_create(sb_db *w, void *op);

/* Conversation update: only the fields flagged set_* change. */
typedef struct {
    sb_actor actor;
    int64_t id;
    bool set_status, set_priority, set_reason, set_assignee, set_team, set_tags, set_subject;
    int status, priority;
    const char *priority_reason;
    int64_t assignee_id, team_id; /* 0 = none */
    json_t *tags;
    const char *subject;
    char errmsg[SB_ERRMSG];
} sb_conv_update_op;
sb_err sb_svc_conv_update(sb_db *w, void *op);

typedef struct {
    const char *filename, *content_type, *content_id, *sha256;
    int64_t size;
    bool is_inline;
} sb_email_attachment;

#define SB_MENTIONS_MAX 20

/* A message on a conversation: an agent reply or note, or an inbound customer message. */
typedef struct {
    sb_actor actor;
    int64_t conversation_id;
    bool inbound, internal;
    const char *body;
    int set_status; /* -1 none, else sb_status to set after a reply */
    const sb_email_attachment *atts; /* uploaded files to attach (validated by the caller) */
    size_t natts;
    int64_t mentions[SB_MENTIONS_MAX]; /* agents @mentioned in a note: each is notified */
    size_t nmentions;
    /* out: the conversation may differ when inbound on a closed one */
    int64_t message_id, out_conversation_id;
    char errmsg[SB_ERRMSG];
} sb_message_op;
sb_err sb_svc_message_create(sb_db *w, void *op);

/* Generic entity write for agents, teams, organisations, contacts and tags: the API
 * validated `fields`; the service persists them and appends the event. */
typedef enum { SB_ENT_AGENT, SB_ENT_TEAM, SB_ENT_ORG, SB_ENT_CONTACT, SB_ENT_TAG } sb_entity;
typedef enum { SB_OP_CREATE, SB_OP_UPDATE, SB_OP_DELETE } sb_op_kind;
typedef struct {
    sb_actor actor;
    sb_entity entity;
    sb_op_kind kind;
    int64_t id;     /* update/delete; out for create */
    json_t *fields; /* borrowed */
    char *password_hash; /* agents: already hashed outside the writer */
    bool keep_session;   /* on a password change, the session to keep (the one making it) */
    unsigned char session_hash[32];
    char errmsg[SB_ERRMSG];
} sb_entity_op;
sb_err sb_svc_entity_write(sb_db *w, void *op);
/* The entity as the API shows it, or NULL. */
json_t *sb_svc_entity_get(sb_db *db, sb_entity e, int64_t id);

/* Credentials. */
typedef struct {
    int64_t agent_id;
    unsigned char hash[32];
    const char *scope;
    int64_t id;
} sb_token_op;
sb_err sb_svc_token_create(sb_db *w, void *op);

typedef struct {
    int64_t agent_id;
    unsigned char hash[32];
    char csrf[65];
    int64_t expires;
    bool remove;
} sb_session_op;
sb_err sb_svc_session_write(sb_db *w, void *op);

/* ---- email ---- */
#include "core/email_rules.h"

typedef struct {
    const char *addr, *name;
} sb_email_address;

/* An inbound email, parsed, sanitised and with its raw bytes and attachments already in the
 * blob store: threading, contact, conversation, message, events, acknowledgement. */
typedef struct {
    sb_actor actor;
    const char *mailbox_hint; /* the mailbox address the MTA delivered to, or NULL */
    const char *raw;          /* the raw message, stored in the same transaction */
    size_t raw_len;
    const char *warning;      /* parse problems shown to agents, or NULL */
    const char *rfc_message_id, *in_reply_to;
    const char *const *references;
    size_t nreferences;
    const char *subject;
    sb_email_address from, reply_to;
    const sb_email_address *to, *cc;
    size_t nto, ncc;
    const char *text_new, *text_full, *html;
    unsigned remote_images;
    sb_email_signals signals;
    const char *bounced_message_id, *bounced_recipient, *bounce_status;
    const sb_email_attachment *atts;
    size_t natts;
    /* out */
    int64_t conversation_id, message_id;
    bool duplicate, created, acknowledged;
    char errmsg[SB_ERRMSG];
} sb_email_ingest_op;
sb_err sb_svc_email_ingest(sb_db *w, void *op);

/* The outcome of a delivery job. */
typedef struct {
    int64_t message_id;
    const char *status; /* sent, failed */
    const char *error;
} sb_delivery_op;
sb_err sb_svc_delivery_result(sb_db *w, void *op);

/* Mailbox create (kind 0), update (1) or delete (2); an IMAP mailbox gets its poll job. */
typedef struct {
    json_t *fields;
    int64_t id;
    int kind;
    char errmsg[SB_ERRMSG];
} sb_mailbox_op;
sb_err sb_svc_mailbox_write(sb_db *w, void *op);

/* Creates the installation's secret keys on first start (run once through the writer). */
sb_err sb_svc_init_keys(sb_db *w, void *arg);

/* ---- web form ---- */
/* Stores a validated, normalised form configuration (settings key "webform"). */
typedef struct {
    char *config_json; /* owned */
    char errmsg[SB_ERRMSG];
} sb_webform_config_op;
sb_err sb_svc_webform_config_put(sb_db *w, void *op);
/* The stored configuration, or the default; caller frees. NULL only when out of memory. */
json_t *sb_svc_webform_config(sb_db *db);

/* The signature of a conversation's reply address (support+c<id>-<sig>@...). */
void sb_svc_reply_sig(sb_db *db, int64_t conversation_id, char sig[SB_REPLY_SIG_LEN + 1]);

/* Turns free text into a safe full-text query: every word quoted, words ANDed, the last
 * one a prefix. Returns NULL when the text has no word. Caller frees. */
char *sb_svc_search_query(const char *text);

/* ---- routing, escalation, on-call (service/routing.c; see docs/routing.md) ---- */
#include "core/oncall.h"

/* The agent on call for a team at at_ms (an override, else the rotation), or 0 when the team
 * has no rotation, nobody is on call then, or that agent is deactivated. Any connection. */
int64_t sb_svc_oncall_agent(sb_db *db, int64_t team_id, int64_t at_ms);
/* The answer of GET /teams/{id}/oncall: team_id, at, agent_id, source, from, to, turn. */
json_t *sb_svc_oncall_json(sb_db *db, int64_t team_id, int64_t at_ms);
/* Parses and checks a rotation (docs/routing.md); the time zone is resolved. */
sb_err sb_svc_oncall_parse(const json_t *j, sb_oncall *oc, char *err, size_t errlen);
/* Checks an agent's shift schedule (a calendar without "timezone") in time zone tz. */
sb_err sb_svc_shift_check(const char *tz, const json_t *shift, char *err, size_t errlen);
bool sb_svc_timezone_ok(const char *tz);

/* POST /conversations/{id}/route: routes an unassigned conversation again. */
typedef struct {
    sb_actor actor;
    int64_t conversation_id;
    /* out */
    int64_t team_id, assignee_id, rule_id;
    const char *reason;
    char errmsg[SB_ERRMSG];
} sb_route_op;
sb_err sb_svc_route(sb_db *w, void *op);

/* POST /conversations/{id}/escalate: to the next tier's team, or to the team's supervisor. */
typedef struct {
    sb_actor actor;
    int64_t conversation_id;
    bool to_supervisor;
    const char *reason;
    /* out */
    int64_t team_id, assignee_id, notified_agent_id;
    const char *routing_reason;
    char errmsg[SB_ERRMSG];
} sb_escalate_op;
sb_err sb_svc_escalate(sb_db *w, void *op);

/* An agent sets their status (online, away, offline); coming online takes queued work. */
typedef struct {
    sb_actor actor;
    int64_t agent_id;
    const char *status;
    char errmsg[SB_ERRMSG];
} sb_agent_status_op;
sb_err sb_svc_agent_status(sb_db *w, void *op);

/* Routing rules: create (kind 0), update (1), delete (2); fields validated by the API. */
typedef struct {
    sb_actor actor;
    int kind;
    int64_t id; /* in for update/delete, out for create */
    json_t *fields;
    char errmsg[SB_ERRMSG];
} sb_rule_op;
sb_err sb_svc_rule_write(sb_db *w, void *op);

/* The routing sweep job: assigns queued conversations of every team to whoever became
 * eligible (capacity freed, shift started). *more: something is still queued. */
typedef struct {
    int assigned;
    bool more;
} sb_sweep_op;
sb_err sb_svc_routing_sweep(sb_db *w, void *op);
#define SB_ROUTING_SWEEP_MS 60000 /* how often queues are swept while something waits */
#define SB_ROUTING_MAX_RULES 200

#endif
