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

/* The clock every rule uses (a test clock may shift it later). */
int64_t sb_now(void);

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

/* A message on a conversation: an agent reply or note, or an inbound customer message. */
typedef struct {
    sb_actor actor;
    int64_t conversation_id;
    bool inbound, internal;
    const char *body;
    int set_status; /* -1 none, else sb_status to set after a reply */
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
    char errmsg[SB_ERRMSG];
} sb_entity_op;
sb_err sb_svc_entity_write(sb_db *w, void *op);

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

/* Turns free text into a safe full-text query: every word quoted, words ANDed, the last
 * one a prefix. Returns NULL when the text has no word. Caller frees. */
char *sb_svc_search_query(const char *text);

#endif
