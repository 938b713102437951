/* store/: durable domain operations. Nothing above this layer sees SQL or the engine.
 *
 * Threads: every write runs on the single writer thread, inside a transaction shared by a
 * batch of writes (group commit), via sb_store_submit/sb_store_write with a callback that
 * receives the writer connection. Reads use the calling thread's own read connection
 * (sb_store_reader). Read results are jansson objects shaped as the API shows them; the
 * caller owns them (json_decref). */
#ifndef SB_STORE_STORE_H
#define SB_STORE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "core/error.h"
#include "store/db.h"
#include "util/buf.h"

typedef struct sb_store sb_store;

/* A committed event, as handed to the commit hook (and replayed from the table). */
typedef struct {
    int64_t id;
    int64_t conversation_id; /* 0 if none */
    int64_t contact_id;      /* 0 if none: who may see it besides agents */
    bool internal;           /* never shown to customers */
    int64_t agent_id;        /* 0: every agent; else only this agent (notifications) */
    char type[48];
    char *json;              /* the whole event object, rendered once */
    size_t json_len;
} sb_event;

/* Runs on the writer thread after every committed batch (events may be empty); w may be used
 * for reads only. */
typedef void (*sb_store_commit_hook)(void *ctx, sb_db *w, const sb_event *events, size_t n);

typedef sb_err (*sb_write_fn)(sb_db *w, void *arg);
typedef void (*sb_write_done_fn)(void *arg, sb_err rc);

typedef struct {
    uint64_t batches;
    uint64_t writes;
    uint64_t batch_size_le[8]; /* cumulative buckets: 1,2,4,8,16,32,64,+Inf */
    uint64_t failed_commits;
} sb_store_stats;

int sb_store_open(const char *data_dir, sb_store **out, char *err, size_t errlen);
/* Drains queued writes, stops the writer, closes every connection. */
void sb_store_close(sb_store *st);
const char *sb_store_data_dir(sb_store *st);
/* The store a writer connection belongs to (NULL for readers). */
sb_store *sb_store_of(sb_db *db);
void sb_store_set_commit_hook(sb_store *st, sb_store_commit_hook hook, void *ctx);
void sb_store_get_stats(sb_store *st, sb_store_stats *out);

/* The calling thread's read connection (opened on first use). NULL on failure. */
sb_db *sb_store_reader(sb_store *st);

/* Queues fn to run on the writer thread in a savepoint of the next batch; done runs on the
 * writer thread after the batch committed (rc SB_OK) or after fn failed (its rc). */
sb_err sb_store_submit(sb_store *st, sb_write_fn fn, sb_write_done_fn done, void *arg);
/* Same, waiting for the commit. */
sb_err sb_store_write(sb_store *st, sb_write_fn fn, void *arg);

/* ---- events (writer) ---- */
typedef struct {
    const char *type;
    int64_t conversation_id, contact_id;
    bool internal;
    int64_t agent_id; /* 0: every agent may see it; else only this agent */
    const char *actor_type; /* agent, contact, system */
    int64_t actor_id;
    json_t *data; /* borrowed */
    int64_t now;
} sb_event_in;
sb_err sb_store_event_append(sb_db *w, const sb_event_in *ev, int64_t *id_out);
/* Events with after < id <= upto, oldest first, at most limit; each rendered as in the hook. */
sb_err sb_store_events_after(sb_db *r, int64_t after, int64_t upto, int limit, sb_event **out, size_t *n);
int64_t sb_store_events_max_id(sb_db *r);
void sb_event_release(sb_event *ev);

/* ---- agents and auth ---- */
typedef enum { SB_ROLE_TRAINEE = 0, SB_ROLE_AGENT, SB_ROLE_SUPERVISOR, SB_ROLE_ADMIN } sb_role;
const char *sb_role_name(sb_role r);
int sb_role_parse(const char *name);

typedef struct {
    int64_t agent_id;
    sb_role role;
    bool active;
    bool read_only; /* token scope "read" */
    char csrf[65];  /* session auth only */
} sb_principal;

sb_err sb_store_agent_insert(sb_db *w, const char *email, const char *name, const char *role,
                             const char *password_hash, int64_t now, int64_t *id_out);
json_t *sb_store_agent_get(sb_db *db, int64_t id);
json_t *sb_store_agent_list(sb_db *db);
/* For login: the agent's id, role, active flag and password hash (malloc'd or NULL). */
sb_err sb_store_agent_credentials(sb_db *db, const char *email, int64_t *id, sb_role *role,
                                  bool *active, char **password_hash);
sb_err sb_store_agent_credentials_by_id(sb_db *db, int64_t agent_id, int64_t *id, sb_role *role, bool *active,
                                        char **password_hash);
/* Ends every session of the agent except `keep` (NULL: all). */
sb_err sb_store_sessions_delete_agent(sb_db *w, int64_t agent_id, const unsigned char keep[32]);
/* Revokes token id (of agent_id, or of anyone when agent_id is 0). */
sb_err sb_store_token_revoke(sb_db *w, int64_t id, int64_t agent_id, int64_t now);
json_t *sb_store_token_list(sb_db *db, int64_t agent_id);
sb_err sb_store_agent_update(sb_db *w, int64_t id, const char *name, const char *role,
                             const char *status, int active, const char *password_hash, int64_t now);
bool sb_store_agent_is_active(sb_db *db, int64_t id);

sb_err sb_store_token_insert(sb_db *w, int64_t agent_id, const unsigned char hash[32],
                             const char *scope, int64_t now, int64_t *id_out);
sb_err sb_store_token_lookup(sb_db *db, const unsigned char hash[32], sb_principal *p);
sb_err sb_store_session_insert(sb_db *w, int64_t agent_id, const unsigned char hash[32],
                               const char *csrf, int64_t now, int64_t expires);
sb_err sb_store_session_lookup(sb_db *db, const unsigned char hash[32], int64_t now, sb_principal *p);
sb_err sb_store_session_delete(sb_db *w, const unsigned char hash[32]);

/* ---- teams and organisations ---- */
sb_err sb_store_team_insert(sb_db *w, const char *name, const char *tier, const char *desc,
                            int64_t now, int64_t *id_out);
sb_err sb_store_team_update(sb_db *w, int64_t id, const char *name, const char *tier,
                            const char *desc, int64_t now);
sb_err sb_store_team_set_members(sb_db *w, int64_t id, const int64_t *agent_ids, size_t n);
sb_err sb_store_team_delete(sb_db *w, int64_t id);
json_t *sb_store_team_get(sb_db *db, int64_t id);
json_t *sb_store_team_list(sb_db *db);
bool sb_store_team_exists(sb_db *db, int64_t id);
json_t *sb_store_conv_ids_with_team(sb_db *db, int64_t team_id); /* array of ids */

sb_err sb_store_org_insert(sb_db *w, const char *name, const char *domain, int64_t manager_id,
                           const char *notes, int64_t now, int64_t *id_out);
sb_err sb_store_org_update(sb_db *w, int64_t id, const char *name, const char *domain,
                           int64_t manager_id, const char *notes, int64_t now);
sb_err sb_store_org_delete(sb_db *w, int64_t id);
json_t *sb_store_org_get(sb_db *db, int64_t id);
json_t *sb_store_org_list(sb_db *db);
bool sb_store_org_exists(sb_db *db, int64_t id);

/* ---- contacts ---- */
sb_err sb_store_contact_insert(sb_db *w, const char *name, const char *email, const char *phone,
                               int64_t org_id, int64_t now, int64_t *id_out);
sb_err sb_store_contact_update(sb_db *w, int64_t id, const char *name, const char *email,
                               const char *phone, int64_t org_id, int64_t now);
sb_err sb_store_contact_delete(sb_db *w, int64_t id);
/* Adds an identity; SB_E_CONFLICT when another contact has it. */
sb_err sb_store_identity_add(sb_db *w, int64_t contact_id, const char *kind, const char *value);
sb_err sb_store_identity_clear(sb_db *w, int64_t contact_id);
int64_t sb_store_contact_find(sb_db *db, const char *kind, const char *value);
json_t *sb_store_contact_get(sb_db *db, int64_t id);
json_t *sb_store_contact_list(sb_db *db, const char *q, int64_t org_id, int64_t after_id, int limit);

/* ---- conversations and messages ---- */
typedef struct {
    int64_t id, assignee_id, team_id, contact_id, follow_up_of, mailbox_id;
    int status, priority;
    char *subject, *priority_reason, *channel;
    int64_t created_at, solved_at, closed_at;
} sb_conv;
void sb_conv_release(sb_conv *c);

sb_err sb_store_conv_insert(sb_db *w, sb_conv *c, int64_t now);
sb_err sb_store_conv_load(sb_db *db, int64_t id, sb_conv *out);
/* Writes back every mutable field of c. */
sb_err sb_store_conv_save(sb_db *w, const sb_conv *c, int64_t now);
/* Replaces the tags; ids of tags it had to create are appended to `created` (may be NULL). */
sb_err sb_store_conv_set_tags(sb_db *w, int64_t id, json_t *names, int64_t now, json_t *created);
json_t *sb_store_conv_get(sb_db *db, int64_t id); /* with contact embedded */

typedef struct {
    const char *statuses; /* ",open,pending," or NULL */
    const char *status;   /* set too when exactly one status is asked for */
    int64_t assignee_id;  /* 0 any, -1 none */
    int64_t team_id;      /* 0 any, -1 none */
    int64_t contact_id;   /* 0 any */
    const char *priority; /* NULL any */
    const char *tag;      /* NULL any */
    int after_rank;       /* keyset cursor: (after_rank, after_id); after_id 0 = start */
    int64_t after_id;
} sb_conv_filter;
/* The hot path: appends up to max items as comma-separated JSON objects to out, rendered by
 * the engine. Returns the number of matching rows seen (max + 1 means there are more), or -1;
 * last_rank and last_id receive the keyset of the last item appended. f->limit is ignored. */
int sb_store_conv_list_json(sb_db *db, const sb_conv_filter *f, int max, sb_buf *out, int *last_rank,
                            int64_t *last_id);

typedef struct {
    int64_t conversation_id;
    const char *direction;   /* in, out */
    bool internal;
    const char *kind;        /* message, note, system */
    const char *author_type; /* agent, contact, system */
    int64_t author_id;
    const char *body_text;   /* what the timeline shows (for email: without quoted history) */
    const char *body_html;   /* sanitised HTML or NULL */
    const char *body_full;   /* the whole text when body_text is a part of it, else NULL */
    const char *email_json;  /* email metadata (JSON text) or NULL */
    const char *raw;         /* the raw email, stored with the message, or NULL */
    size_t raw_len;
    const char *delivery_status; /* outbound deliveries: pending, sent, failed, bounced */
} sb_message_in;
sb_err sb_store_message_insert(sb_db *w, const sb_message_in *m, int64_t now, int64_t *id_out);
json_t *sb_store_message_get(sb_db *db, int64_t id);
int sb_store_message_list_json(sb_db *db, int64_t conversation_id, int64_t after_id, int max, sb_buf *out,
                               int64_t *last_id);

sb_err sb_store_message_set_email(sb_db *w, int64_t message_id, const char *email_json);
sb_err sb_store_message_set_delivery(sb_db *w, int64_t message_id, const char *status, const char *error);
/* For deliveries: the message's conversation, kind, direction, author and text (NULL if missing). */
json_t *sb_store_message_row(sb_db *db, int64_t message_id);

/* ---- email ---- */
sb_err sb_store_attachment_insert(sb_db *w, int64_t message_id, const char *filename, const char *content_type,
                                  int64_t size, const char *sha256, bool is_inline, const char *content_id,
                                  int64_t now);
/* Attachment metadata by id, or by content digest (for blob downloads). */
json_t *sb_store_attachment_get(sb_db *db, int64_t id);
json_t *sb_store_attachment_by_sha(sb_db *db, const char *sha256);
json_t *sb_store_attachments_of(sb_db *db, int64_t message_id);
sb_err sb_store_email_id_add(sb_db *w, const char *rfc_id, int64_t mailbox_id, int64_t conversation_id,
                             int64_t message_id, bool outbound);
/* The conversation a Message-ID belongs to (0 if unknown); outbound: -1 any, 0 inbound, 1 ours. */
int64_t sb_store_email_id_conversation(sb_db *db, const char *rfc_id, int outbound, int64_t *message_id);
/* Message-IDs of a conversation, oldest first, as a JSON array of {id, outbound}. */
json_t *sb_store_email_ids_of(sb_db *db, int64_t conversation_id);
/* The Message-ID we gave an outbound message, or NULL (caller frees). */
char *sb_store_email_id_of_message(sb_db *db, int64_t message_id);
sb_err sb_store_conv_cc_add(sb_db *w, int64_t conversation_id, const char *address, const char *name);
json_t *sb_store_conv_cc_list(sb_db *db, int64_t conversation_id);
bool sb_store_conv_cc_has(sb_db *db, int64_t conversation_id, const char *address);

sb_err sb_store_mailbox_insert(sb_db *w, json_t *fields, int64_t now, int64_t *id_out);
sb_err sb_store_mailbox_update(sb_db *w, int64_t id, json_t *fields, int64_t now);
sb_err sb_store_mailbox_delete(sb_db *w, int64_t id);
/* Public view (no passwords). */
json_t *sb_store_mailbox_get(sb_db *db, int64_t id);
json_t *sb_store_mailbox_list(sb_db *db);
/* Everything, secrets included: for the delivery and polling jobs only. */
json_t *sb_store_mailbox_secret(sb_db *db, int64_t id);
int64_t sb_store_mailbox_find(sb_db *db, const char *address);

/* The raw email of a message: a malloc'd copy; 0, or -1 when it has none. */
int sb_store_raw_get(sb_db *db, int64_t message_id, char **data, size_t *len);

/* Automatic mail log for the per-sender rate limit. */
int sb_store_autoreply_count(sb_db *db, const char *address, int64_t since);
sb_err sb_store_autoreply_log(sb_db *w, const char *address, int64_t now);

/* Settings: small named values (secrets, keys). NULL when absent; caller frees. */
char *sb_store_setting_get(sb_db *db, const char *key);
sb_err sb_store_setting_put(sb_db *w, const char *key, const char *value);

/* ---- tags ---- */
sb_err sb_store_tag_ensure(sb_db *w, const char *name, int64_t now, int64_t *id_out, bool *created);
sb_err sb_store_tag_insert(sb_db *w, const char *name, const char *color, int64_t now, int64_t *id_out);
sb_err sb_store_tag_update(sb_db *w, int64_t id, const char *name, const char *color, int64_t now);
/* Removes the tag from every conversation; returns their ids (caller frees) for events. */
sb_err sb_store_tag_delete(sb_db *w, int64_t id, int64_t now, int64_t **conv_ids, size_t *n);
json_t *sb_store_tag_get(sb_db *db, int64_t id);
json_t *sb_store_tag_list(sb_db *db);

/* ---- jobs ---- */
typedef struct {
    int64_t id;
    char kind[48];
    json_t *payload; /* owned */
    int attempts, max_attempts;
    int64_t reschedule_at; /* set by a recurring job's handler: run again then */
} sb_job;
void sb_job_release(sb_job *job);
/* unique_key (optional) keeps one job per key: an existing queued or running one is left
 * alone (*id_out 0), a finished one is queued again. */
sb_err sb_store_job_enqueue(sb_db *w, const char *kind, json_t *payload, int64_t run_at, int max_attempts,
                            const char *unique_key, int64_t now, int64_t *id_out);
/* Claims the most overdue job (SB_E_NOT_FOUND when none is due). */
sb_err sb_store_job_claim(sb_db *w, int64_t now, sb_job *job);
/* state: done, failed, or queued again at run_at. */
sb_err sb_store_job_finish(sb_db *w, int64_t id, const char *state, const char *error, int64_t run_at, int64_t now);
sb_err sb_store_jobs_recover(sb_db *w, int64_t now);
int64_t sb_store_job_next_due(sb_db *db); /* 0 when nothing is queued */
/* [{kind, state, n}] for jobs not done (queued, running, failed): for monitoring. */
json_t *sb_store_job_counts(sb_db *db);

/* ---- search ---- */
/* `fts_query` is already in the engine's safe syntax (see service). statuses like the filter. */
json_t *sb_store_search(sb_db *db, const char *fts_query, const char *statuses, int limit);

/* Loads every row of a one-off statement as JSON objects (helper for store_*.c). */
json_t *sb_store_rows_json(sb_stmt *st);

/* ---- workspace: agent notifications ---- */
sb_err sb_store_notification_insert(sb_db *w, int64_t agent_id, const char *kind, int64_t conversation_id,
                                    const char *text, int64_t now, int64_t *id_out);
json_t *sb_store_notification_get(sb_db *db, int64_t id);
json_t *sb_store_notification_list(sb_db *db, int64_t agent_id, bool unread_only, int64_t before_id, int limit);
int64_t sb_store_notification_unread(sb_db *db, int64_t agent_id);
sb_err sb_store_notification_read(sb_db *w, int64_t agent_id, int64_t id, int64_t now);
/* The inbox views' sizes for one agent: mine, unassigned, all_open, urgent, pending, solved,
 * teams [{id, name, open}]. */
json_t *sb_store_view_counts(sb_db *db, int64_t agent_id);

/* ---- chat widget: visitors (token stored as its SHA-256) and customer-safe reads ---- */
typedef struct {
    int64_t id, contact_id;
    bool verified;
} sb_widget_visitor;
/* SB_E_UNAUTHORIZED when no visitor has this token. */
sb_err sb_store_widget_visitor_lookup(sb_db *db, const unsigned char hash[32], sb_widget_visitor *out);
sb_err sb_store_widget_visitor_insert(sb_db *w, const unsigned char hash[32], int64_t contact_id, bool verified,
                                      int64_t now, int64_t *id_out);
sb_err sb_store_widget_visitor_touch(sb_db *w, int64_t id, int64_t now);
int64_t sb_store_widget_visitor_next_number(sb_db *db);
/* The contact's widget conversations, newest first; one of them (NULL when not theirs). */
json_t *sb_store_widget_conversations(sb_db *db, int64_t contact_id, int limit);
json_t *sb_store_widget_conversation(sb_db *db, int64_t id, int64_t contact_id);
/* Customer-visible messages: [{id, direction, author (agent display name or null), body,
 * created_at, attachments:[{id, filename, content_type, size}]}]. */
json_t *sb_store_widget_messages(sb_db *db, int64_t conversation_id, int64_t after_id, int limit);
/* {filename, content_type, sha256} of an attachment the contact may download, else NULL. */
json_t *sb_store_widget_attachment(sb_db *db, int64_t id, int64_t contact_id);
/* ---- web form ---- */
/* Stores a conversation's structured answers (a JSON object as text, or NULL). */
sb_err sb_store_conv_set_fields(sb_db *w, int64_t id, const char *fields_json);

/* ---- routing (store_routing.c) ---- */
/* The routing view of a conversation: id, subject, status, priority, channel, mailbox_id,
 * team_id, assignee_id, tags, category (fields_json.category), organization_id,
 * account_manager_id, mailbox_team_id. NULL when missing. */
json_t *sb_store_route_conv(sb_db *db, int64_t conv_id);
/* Routing state of the members of a team (by id), or of one agent: id, name, active, status,
 * max_open, timezone, shift_text (JSON text or null), assign_seq, open_count (assigned and not
 * solved or closed; counted only for agents with a max_open, or for everyone when counts). */
json_t *sb_store_route_agents(sb_db *db, int64_t team_id, bool counts);
json_t *sb_store_route_agent(sb_db *db, int64_t agent_id);
/* Sets a conversation's team and assignee (0 = none) and nothing else. */
sb_err sb_store_conv_set_owner(sb_db *w, int64_t conv_id, int64_t team_id, int64_t assignee_id, int64_t now);
/* Records a routed assignment: the agent moves to the end of every round-robin order. */
sb_err sb_store_agent_mark_assigned(sb_db *w, int64_t agent_id, int64_t now);
/* Routing settings present in fields (validated): agents max_open, timezone, shift; teams
 * strategy, supervisor_id, escalation_team_id, oncall. null clears. */
sb_err sb_store_agent_set_routing(sb_db *w, int64_t id, json_t *fields);
sb_err sb_store_team_set_routing(sb_db *w, int64_t id, json_t *fields);
/* id, name, tier, strategy, supervisor_id, escalation_team_id, oncall; NULL when missing. */
json_t *sb_store_team_routing(sb_db *db, int64_t id);
int64_t sb_store_team_first_of_tier(sb_db *db, const char *tier); /* 0 when none */
json_t *sb_store_agent_team_ids(sb_db *db, int64_t agent_id);    /* [{id}] */
/* Open, unassigned conversations of a team in queue order, at most limit: [{id}]. */
json_t *sb_store_team_queue(sb_db *db, int64_t team_id, int limit);
/* Teams (not manual) with open, unassigned conversations: [{id}]. */
json_t *sb_store_teams_with_queue(sb_db *db);
/* Routing rules in order (position, id). */
json_t *sb_store_rule_list(sb_db *db, bool enabled_only);
json_t *sb_store_rule_get(sb_db *db, int64_t id);
/* Enabled rules in order, as routing needs them: id, name, team_id, conditions (JSON text). */
json_t *sb_store_rules_for_routing(sb_db *db);
/* Changes whenever the enabled rules, their order, conditions or teams change: lets the
 * service keep the parsed rules between routings. */
sb_err sb_store_rules_fingerprint(sb_db *db, int64_t fp[4]);
int64_t sb_store_rule_count(sb_db *db);
/* position <= 0: last (insert) or unchanged (update); enabled -1: unchanged. Positions stay 1..n. */
sb_err sb_store_rule_insert(sb_db *w, const char *name, const char *conditions, int64_t team_id, int64_t position,
                            bool enabled, int64_t now, int64_t *id_out);
sb_err sb_store_rule_update(sb_db *w, int64_t id, const char *name, const char *conditions, int64_t team_id,
                            int64_t position, int enabled, int64_t now);
sb_err sb_store_rule_delete(sb_db *w, int64_t id);

#endif
