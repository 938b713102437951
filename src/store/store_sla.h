/* store/: SLA calendars and policies, conversation clocks, webhooks, after-hours settings and
 * CSAT (the SLA feature's own part of the store; see store.h for the conventions). */
#ifndef SB_STORE_STORE_SLA_H
#define SB_STORE_STORE_SLA_H

#include "store/store.h"

/* ---- calendars ---- */
sb_err sb_store_calendar_put(sb_db *w, int64_t id, const char *name, const char *definition, int64_t now,
                             int64_t *id_out); /* id 0 inserts; SB_E_CONFLICT on a taken name */
sb_err sb_store_calendar_delete(sb_db *w, int64_t id); /* SB_E_CONFLICT while in use */
json_t *sb_store_calendar_get(sb_db *db, int64_t id);  /* {id, name, definition(json), ...} */
json_t *sb_store_calendar_list(sb_db *db);

/* ---- SLA policies: fields as the API shows them (targets, conditions, ... as JSON) ---- */
sb_err sb_store_sla_policy_put(sb_db *w, int64_t id, json_t *fields, int64_t now, int64_t *id_out);
sb_err sb_store_sla_policy_delete(sb_db *w, int64_t id);
json_t *sb_store_sla_policy_get(sb_db *db, int64_t id);
json_t *sb_store_sla_policy_list(sb_db *db); /* in matching order: position, id */

/* ---- a conversation's clocks ---- */
/* {status, channel, assignee_id, team_id, organization_id, tags(json), created_at_ms, sla_data, sla_json} */
json_t *sb_store_sla_conv(sb_db *db, int64_t conversation_id);
/* Public messages after after_id: [{id, direction, author_type, at_ms}] oldest first. */
json_t *sb_store_sla_messages_after(sb_db *db, int64_t conversation_id, int64_t after_id);
sb_err sb_store_sla_save(sb_db *w, int64_t conversation_id, const char *sla_json, const char *state, int64_t due_ms,
                         const char *data);
/* Lists like sb_store_conv_list_json, restricted to SLA states (",warning,breached," or NULL) and
 * ordered by the queue (by_due false, keyset (rank,id)) or the nearest due instant (keyset (due,id)). */
int sb_store_conv_list_sla_json(sb_db *db, const sb_conv_filter *f, const char *sla_states, bool by_due,
                                int64_t after_key, int max, sb_buf *out, int64_t *last_key, int64_t *last_id);
/* Agents of a team (JSON array of ids). */
json_t *sb_store_team_member_ids(sb_db *db, int64_t team_id);

/* A timer: one queued job per unique_key, moved to run_at (unlike sb_store_job_enqueue, which
 * keeps a queued job's time). A running job is left alone (its handler plans the next run). */
sb_err sb_store_job_plan(sb_db *w, const char *kind, json_t *payload, int64_t run_at, const char *unique_key,
                         int64_t now);
sb_err sb_store_job_cancel(sb_db *w, const char *unique_key, int64_t now);

/* ---- webhooks ---- */
sb_err sb_store_webhook_put(sb_db *w, int64_t id, json_t *fields, int64_t now, int64_t *id_out);
sb_err sb_store_webhook_delete(sb_db *w, int64_t id);
json_t *sb_store_webhook_get(sb_db *db, int64_t id, bool with_secret);
json_t *sb_store_webhook_list(sb_db *db);

/* ---- after-hours replies: scope "mailbox:<id>" or "channel:<name>" ---- */
sb_err sb_store_after_hours_put(sb_db *w, const char *scope, int64_t calendar_id, bool enabled, json_t *templates,
                                int64_t now);
json_t *sb_store_after_hours_get(sb_db *db, const char *scope); /* NULL when not configured */

/* ---- CSAT ---- */
/* Records that the survey went out; false in *created when it already had. */
sb_err sb_store_csat_request(sb_db *w, int64_t conversation_id, int64_t agent_id, int64_t team_id, int64_t now,
                             bool *created);
sb_err sb_store_csat_rate(sb_db *w, int64_t conversation_id, const char *rating, const char *comment, int64_t now);
json_t *sb_store_csat_get(sb_db *db, int64_t conversation_id); /* NULL when no survey */
/* Answered ratings with rated_at in [from, to) (ms; 0 = open), optionally by agent/team. */
json_t *sb_store_csat_list(sb_db *db, int64_t from, int64_t to, int64_t agent_id, int64_t team_id);

#endif
