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
    char type[48];
    char *json;              /* the whole event object, rendered once */
    size_t json_len;
} sb_event;

typedef void (*sb_store_commit_hook)(void *ctx, const sb_event *events, size_t n);

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
    int64_t id, assignee_id, team_id, contact_id, follow_up_of;
    int status, priority;
    char *subject, *priority_reason, *channel;
    int64_t created_at, solved_at, closed_at;
} sb_conv;
void sb_conv_release(sb_conv *c);

sb_err sb_store_conv_insert(sb_db *w, sb_conv *c, int64_t now);
sb_err sb_store_conv_load(sb_db *db, int64_t id, sb_conv *out);
/* Writes back every mutable field of c. */
sb_err sb_store_conv_save(sb_db *w, const sb_conv *c, int64_t now);
sb_err sb_store_conv_set_tags(sb_db *w, int64_t id, json_t *names, int64_t now);
json_t *sb_store_conv_get(sb_db *db, int64_t id); /* with contact embedded */

typedef struct {
    const char *statuses; /* ",open,pending," or NULL */
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
    const char *body_text;
    const char *body_html;
} sb_message_in;
sb_err sb_store_message_insert(sb_db *w, const sb_message_in *m, int64_t now, int64_t *id_out);
json_t *sb_store_message_get(sb_db *db, int64_t id);
int sb_store_message_list_json(sb_db *db, int64_t conversation_id, int64_t after_id, int max, sb_buf *out,
                               int64_t *last_id);

/* ---- tags ---- */
sb_err sb_store_tag_ensure(sb_db *w, const char *name, int64_t now, int64_t *id_out);
sb_err sb_store_tag_insert(sb_db *w, const char *name, const char *color, int64_t now, int64_t *id_out);
sb_err sb_store_tag_update(sb_db *w, int64_t id, const char *name, const char *color, int64_t now);
/* Removes the tag from every conversation; returns their ids (caller frees) for events. */
sb_err sb_store_tag_delete(sb_db *w, int64_t id, int64_t now, int64_t **conv_ids, size_t *n);
json_t *sb_store_tag_get(sb_db *db, int64_t id);
json_t *sb_store_tag_list(sb_db *db);

/* ---- search ---- */
/* `fts_query` is already in the engine's safe syntax (see service). statuses like the filter. */
json_t *sb_store_search(sb_db *db, const char *fts_query, const char *statuses, int limit);

/* Loads every row of a one-off statement as JSON objects (helper for store_*.c). */
json_t *sb_store_rows_json(sb_stmt *st);

#endif
