/* SLA calendars and policies, conversation clocks, webhooks, after-hours settings, CSAT. */
#include "store/store_sla.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/internal.h"

static char *dump(json_t *v, const char *dflt)
{
    char *t = v ? json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
    return t ? t : strdup(dflt);
}

/* ---- calendars ---- */

sb_err sb_store_calendar_put(sb_db *w, int64_t id, const char *name, const char *definition, int64_t now,
                             int64_t *id_out)
{
    sb_stmt *s = sb_db_prepare(w, id ? "UPDATE calendars SET name = COALESCE(?1, name), definition = COALESCE(?2, definition),"
                                       " updated_at = ?3 WHERE id = ?4 RETURNING id"
                                     : "INSERT INTO calendars(name, definition, created_at, updated_at)"
                                       " VALUES (?1, ?2, ?3, ?3) RETURNING id");
    if (!s)
        return SB_E_INTERNAL;
    sb_db_bind_opt_text(s, 1, name);
    sb_db_bind_opt_text(s, 2, definition);
    sb_db_bind_int(s, 3, now);
    if (id)
        sb_db_bind_int(s, 4, id);
    int64_t got = 0;
    sb_err err = step_returning_id(s, &got);
    if (err == SB_OK && id_out)
        *id_out = got;
    if (err == SB_E_INTERNAL && id && !got)
        return SB_E_NOT_FOUND;
    return err;
}

sb_err sb_store_calendar_delete(sb_db *w, int64_t id)
{
    if (exists(w, "SELECT 1 FROM sla_policies WHERE calendar_id = ?", id) ||
        exists(w, "SELECT 1 FROM after_hours WHERE calendar_id = ?", id))
        return SB_E_CONFLICT;
    sb_stmt *s = sb_db_prepare(w, "DELETE FROM calendars WHERE id = ?");
    if (!s)
        return SB_E_INTERNAL;
    sb_db_bind_int(s, 1, id);
    sb_err err = step_done(s);
    return err == SB_OK && sb_db_changes(w) == 0 ? SB_E_NOT_FOUND : err;
}

#define CAL_COLUMNS "id, name, definition AS definition__json, created_at, updated_at"

json_t *sb_store_calendar_get(sb_db *db, int64_t id)
{
    sb_stmt *s = sb_db_prepare(db, "SELECT " CAL_COLUMNS " FROM calendars WHERE id = ?");
    if (!s)
        return NULL;
    sb_db_bind_int(s, 1, id);
    return one_row(s);
}

json_t *sb_store_calendar_list(sb_db *db)
{
    sb_stmt *s = sb_db_prepare(db, "SELECT " CAL_COLUMNS " FROM calendars ORDER BY id");
    return s ? sb_store_rows_json(s) : NULL;
}

/* ---- policies ---- */

#define POLICY_COLUMNS                                                                             \
    "id, name, position, is_default AS is_default__bool, calendar_id, targets_json AS targets__json," \
    " conditions_json AS conditions__json, pause_on_hold AS pause_on_hold__bool, warn_percent,"      \
    " warn_before_minutes, alert_agent_ids_json AS alert_agent_ids__json,"                           \
    " alert_emails_json AS alert_emails__json, created_at, updated_at"

sb_err sb_store_sla_policy_put(sb_db *w, int64_t id, json_t *f, int64_t now, int64_t *id_out)
{
    sb_stmt *s = sb_db_prepare(
        w, id ? "UPDATE sla_policies SET name = COALESCE(?1, name), position = COALESCE(?2, position),"
                " is_default = COALESCE(?3, is_default), calendar_id = CASE WHEN ?4 = -1 THEN NULL"
                "   WHEN ?4 IS NULL THEN calendar_id ELSE ?4 END,"
                " targets_json = COALESCE(?5, targets_json), conditions_json = COALESCE(?6, conditions_json),"
                " pause_on_hold = COALESCE(?7, pause_on_hold), warn_percent = COALESCE(?8, warn_percent),"
                " warn_before_minutes = COALESCE(?9, warn_before_minutes),"
                " alert_agent_ids_json = COALESCE(?10, alert_agent_ids_json),"
                " alert_emails_json = COALESCE(?11, alert_emails_json), updated_at = ?12 WHERE id = ?13 RETURNING id"
              : "INSERT INTO sla_policies(name, position, is_default, calendar_id, targets_json, conditions_json,"
                " pause_on_hold, warn_percent, warn_before_minutes, alert_agent_ids_json, alert_emails_json,"
                " created_at, updated_at) VALUES (?1, COALESCE(?2, 0), COALESCE(?3, 0), NULLIF(?4, -1),"
                " COALESCE(?5, '{}'), COALESCE(?6, '{}'), COALESCE(?7, 0), COALESCE(?8, 0), COALESCE(?9, 0),"
                " COALESCE(?10, '[]'), COALESCE(?11, '[]'), ?12, ?12) RETURNING id");
    if (!s)
        return SB_E_INTERNAL;
    static const char *const json_keys[] = {"targets", "conditions", NULL, NULL, NULL, "alert_agent_ids", "alert_emails"};
    json_t *v;
    sb_db_bind_opt_text(s, 1, json_string_value(json_object_get(f, "name")));
    if ((v = json_object_get(f, "position")))
        sb_db_bind_int(s, 2, json_integer_value(v));
    else
        sb_db_bind_null(s, 2);
    if ((v = json_object_get(f, "is_default")))
        sb_db_bind_int(s, 3, json_is_true(v));
    else
        sb_db_bind_null(s, 3);
    if ((v = json_object_get(f, "calendar_id")))
        sb_db_bind_int(s, 4, json_is_null(v) ? -1 : json_integer_value(v));
    else
        sb_db_bind_null(s, 4);
    char *texts[7] = {0};
    for (int i = 0; i < 7; i++) {
        if (!json_keys[i])
            continue;
        if ((v = json_object_get(f, json_keys[i])))
            texts[i] = dump(v, "null");
        sb_db_bind_opt_text(s, i == 0 ? 5 : i == 1 ? 6 : i == 5 ? 10 : 11, texts[i]);
    }
    if ((v = json_object_get(f, "pause_on_hold")))
        sb_db_bind_int(s, 7, json_is_true(v));
    else
        sb_db_bind_null(s, 7);
    if ((v = json_object_get(f, "warn_percent")))
        sb_db_bind_int(s, 8, json_integer_value(v));
    else
        sb_db_bind_null(s, 8);
    if ((v = json_object_get(f, "warn_before_minutes")))
        sb_db_bind_int(s, 9, json_integer_value(v));
    else
        sb_db_bind_null(s, 9);
    sb_db_bind_int(s, 12, now);
    if (id)
        sb_db_bind_int(s, 13, id);
    int64_t got = 0;
    sb_err err = step_returning_id(s, &got);
    for (int i = 0; i < 7; i++)
        free(texts[i]);
    if (err == SB_E_INTERNAL && id && !got)
        return SB_E_NOT_FOUND;
    if (err == SB_OK && id_out)
        *id_out = got;
    return err;
}

sb_err sb_store_sla_policy_delete(sb_db *w, int64_t id)
{
    sb_stmt *s = sb_db_prepare(w, "DELETE FROM sla_policies WHERE id = ?");
    if (!s)
        return SB_E_INTERNAL;
    sb_db_bind_int(s, 1, id);
    sb_err err = step_done(s);
    return err == SB_OK && sb_db_changes(w) == 0 ? SB_E_NOT_FOUND : err;
}

json_t *sb_store_sla_policy_get(sb_db *db, int64_t id)
{
    sb_stmt *s = sb_db_prepare(db, "SELECT " POLICY_COLUMNS " FROM sla_policies WHERE id = ?");
    if (!s)
        return NULL;
    sb_db_bind_int(s, 1, id);
    return one_row(s);
}

json_t *sb_store_sla_policy_list(sb_db *db)
{
    sb_stmt *s = sb_db_prepare(db, "SELECT " POLICY_COLUMNS " FROM sla_policies ORDER BY position, id");
    return s ? sb_store_rows_json(s) : NULL;
}

/* ---- clocks ---- */

json_t *sb_store_sla_conv(sb_db *db, int64_t id)
{
    sb_stmt *s = sb_db_prepare(db, "SELECT c.status, c.channel, c.priority, c.assignee_id, c.team_id,"
                                   " ct.organization_id, c.tags_json AS tags__json, c.created_at AS created_ms,"
                                   " c.mailbox_id, c.sla_data, c.sla_json FROM conversations c"
                                   " JOIN contacts ct ON ct.id = c.contact_id WHERE c.id = ?");
    if (!s)
        return NULL;
    sb_db_bind_int(s, 1, id);
    return one_row(s);
}

json_t *sb_store_sla_messages_after(sb_db *db, int64_t conversation_id, int64_t after_id)
{
    sb_stmt *s = sb_db_prepare(db, "SELECT id, direction, author_type, created_at AS at_ms FROM messages"
                                   " WHERE conversation_id = ? AND id > ? AND kind = 'message' AND internal = 0"
                                   " ORDER BY id");
    if (!s)
        return NULL;
    sb_db_bind_int(s, 1, conversation_id);
    sb_db_bind_int(s, 2, after_id);
    return sb_store_rows_json(s);
}

sb_err sb_store_sla_save(sb_db *w, int64_t id, const char *sla_json, const char *state, int64_t due_ms,
                         const char *data)
{
    sb_stmt *s = sb_db_prepare(w, "UPDATE conversations SET sla_json = ?, sla_state = ?, sla_due = ?, sla_data = ?"
                                  " WHERE id = ?");
    if (!s)
        return SB_E_INTERNAL;
    sb_db_bind_opt_text(s, 1, sla_json);
    sb_db_bind_opt_text(s, 2, state);
    sb_db_bind_int(s, 3, due_ms);
    sb_db_bind_opt_text(s, 4, data);
    sb_db_bind_int(s, 5, id);
    return step_done(s);
}

#define LIST_FILTERS                                                                               \
    " WHERE (?1 IS NULL OR instr(?1, ',' || c.status || ',') > 0)"                                 \
    " AND (?2 = 0 OR (?2 = -1 AND c.assignee_id IS NULL) OR c.assignee_id = ?2)"                   \
    " AND (?3 = 0 OR (?3 = -1 AND c.team_id IS NULL) OR c.team_id = ?3)"                           \
    " AND (?4 = 0 OR c.contact_id = ?4)"                                                           \
    " AND (?5 IS NULL OR c.priority = ?5)"                                                         \
    " AND (?6 IS NULL OR c.id IN (SELECT ct.conversation_id FROM conversation_tags ct"             \
    "      JOIN tags t ON t.id = ct.tag_id WHERE t.name = ?6))"                                    \
    " AND (?7 IS NULL OR instr(?7, ',' || c.sla_state || ',') > 0)"

int sb_store_conv_list_sla_json(sb_db *db, const sb_conv_filter *f, const char *sla_states, bool by_due,
                                int64_t after_key, int max, sb_buf *out, int64_t *last_key, int64_t *last_id)
{
    sb_stmt *s = sb_db_prepare(db, by_due ? "SELECT c.list_json, c.sla_due, c.id FROM conversations c" LIST_FILTERS
                                            " AND (c.sla_due > ?8 OR (c.sla_due = ?8 AND c.id > ?9))"
                                            " ORDER BY c.sla_due, c.id LIMIT ?10"
                                          : "SELECT c.list_json, c.queue_rank, c.id FROM conversations c" LIST_FILTERS
                                            " AND (c.queue_rank > ?8 OR (c.queue_rank = ?8 AND c.id > ?9))"
                                            " ORDER BY c.queue_rank, c.id LIMIT ?10");
    if (!s)
        return -1;
    sb_db_bind_opt_text(s, 1, f->statuses ? f->statuses : NULL);
    sb_db_bind_int(s, 2, f->assignee_id);
    sb_db_bind_int(s, 3, f->team_id);
    sb_db_bind_int(s, 4, f->contact_id);
    sb_db_bind_opt_text(s, 5, f->priority);
    sb_db_bind_opt_text(s, 6, f->tag);
    sb_db_bind_opt_text(s, 7, sla_states);
    sb_db_bind_int(s, 8, f->after_id ? after_key : -1);
    sb_db_bind_int(s, 9, f->after_id);
    sb_db_bind_int(s, 10, max + 1);
    int n = 0, rc;
    while ((rc = sb_db_step(s)) == SB_DB_ROW) {
        if (n < max) {
            if (n)
                sb_buf_puts(out, ",");
            sb_buf_puts(out, sb_db_col_text(s, 0));
            *last_key = sb_db_col_int(s, 1);
            *last_id = sb_db_col_int(s, 2);
        }
        n++;
    }
    sb_db_reset(s);
    return rc == SB_DB_DONE && !out->failed ? n : -1;
}

json_t *sb_store_team_member_ids(sb_db *db, int64_t team_id)
{
    sb_stmt *s = sb_db_prepare(db, "SELECT json_group_array(m.agent_id) AS ids__json FROM team_members m"
                                   " JOIN agents a ON a.id = m.agent_id WHERE m.team_id = ? AND a.active");
    if (!s)
        return NULL;
    sb_db_bind_int(s, 1, team_id);
    json_t *row = one_row(s);
    json_t *ids = row ? json_incref(json_object_get(row, "ids")) : NULL;
    json_decref(row);
    return ids;
}

sb_err sb_store_job_plan(sb_db *w, const char *kind, json_t *payload, int64_t run_at, const char *key, int64_t now)
{
    char *text = dump(payload, "{}");
    sb_stmt *s = sb_db_prepare(w, "INSERT INTO jobs(kind, payload, run_at, max_attempts, unique_key, created_at, updated_at)"
                                  " VALUES (?1, ?2, ?3, 10, ?4, ?5, ?5)"
                                  " ON CONFLICT(unique_key) DO UPDATE SET state = 'queued', run_at = excluded.run_at,"
                                  "   attempts = 0, payload = excluded.payload, updated_at = excluded.updated_at"
                                  "   WHERE jobs.state <> 'running'");
    if (!s) {
        free(text);
        return SB_E_INTERNAL;
    }
    sb_db_bind_text(s, 1, kind);
    sb_db_bind_text(s, 2, text);
    sb_db_bind_int(s, 3, run_at);
    sb_db_bind_text(s, 4, key);
    sb_db_bind_int(s, 5, now);
    sb_err err = step_done(s);
    free(text);
    return err;
}

sb_err sb_store_job_cancel(sb_db *w, const char *key, int64_t now)
{
    sb_stmt *s = sb_db_prepare(w, "UPDATE jobs SET state = 'done', last_error = 'cancelled', updated_at = ?"
                                  " WHERE unique_key = ? AND state = 'queued'");
    if (!s)
        return SB_E_INTERNAL;
    sb_db_bind_int(s, 1, now);
    sb_db_bind_text(s, 2, key);
    return step_done(s);
}

/* ---- webhooks ---- */

sb_err sb_store_webhook_put(sb_db *w, int64_t id, json_t *f, int64_t now, int64_t *id_out)
{
    sb_stmt *s = sb_db_prepare(w, id ? "UPDATE webhooks SET url = COALESCE(?1, url), secret = COALESCE(?2, secret),"
                                       " events_json = COALESCE(?3, events_json), active = COALESCE(?4, active),"
                                       " updated_at = ?5 WHERE id = ?6 RETURNING id"
                                     : "INSERT INTO webhooks(url, secret, events_json, active, created_at, updated_at)"
                                       " VALUES (?1, ?2, COALESCE(?3, '[\"*\"]'), COALESCE(?4, 1), ?5, ?5) RETURNING id");
    if (!s)
        return SB_E_INTERNAL;
    json_t *ev = json_object_get(f, "events"), *act = json_object_get(f, "active");
    char *evt = ev ? dump(ev, "[\"*\"]") : NULL;
    sb_db_bind_opt_text(s, 1, json_string_value(json_object_get(f, "url")));
    sb_db_bind_opt_text(s, 2, json_string_value(json_object_get(f, "secret")));
    sb_db_bind_opt_text(s, 3, evt);
    if (act)
        sb_db_bind_int(s, 4, json_is_true(act));
    else
        sb_db_bind_null(s, 4);
    sb_db_bind_int(s, 5, now);
    if (id)
        sb_db_bind_int(s, 6, id);
    int64_t got = 0;
    sb_err err = step_returning_id(s, &got);
    free(evt);
    if (err == SB_E_INTERNAL && id && !got)
        return SB_E_NOT_FOUND;
    if (err == SB_OK && id_out)
        *id_out = got;
    return err;
}

sb_err sb_store_webhook_delete(sb_db *w, int64_t id)
{
    sb_stmt *s = sb_db_prepare(w, "DELETE FROM webhooks WHERE id = ?");
    if (!s)
        return SB_E_INTERNAL;
    sb_db_bind_int(s, 1, id);
    sb_err err = step_done(s);
    return err == SB_OK && sb_db_changes(w) == 0 ? SB_E_NOT_FOUND : err;
}

json_t *sb_store_webhook_get(sb_db *db, int64_t id, bool with_secret)
{
    sb_stmt *s = sb_db_prepare(db, "SELECT id, url, secret, events_json AS events__json, active AS active__bool,"
                                   " created_at, updated_at FROM webhooks WHERE id = ?");
    if (!s)
        return NULL;
    sb_db_bind_int(s, 1, id);
    json_t *o = one_row(s);
    if (o && !with_secret)
        json_object_del(o, "secret");
    return o;
}

json_t *sb_store_webhook_list(sb_db *db)
{
    sb_stmt *s = sb_db_prepare(db, "SELECT id, url, events_json AS events__json, active AS active__bool,"
                                   " created_at, updated_at FROM webhooks ORDER BY id");
    return s ? sb_store_rows_json(s) : NULL;
}

/* ---- after hours ---- */

sb_err sb_store_after_hours_put(sb_db *w, const char *scope, int64_t calendar_id, bool enabled, json_t *templates,
                                int64_t now)
{
    char *t = dump(templates, "{}");
    sb_stmt *s = sb_db_prepare(w, "INSERT INTO after_hours(scope, calendar_id, enabled, templates_json, updated_at)"
                                  " VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT(scope) DO UPDATE SET"
                                  " calendar_id = excluded.calendar_id, enabled = excluded.enabled,"
                                  " templates_json = excluded.templates_json, updated_at = excluded.updated_at");
    if (!s) {
        free(t);
        return SB_E_INTERNAL;
    }
    sb_db_bind_text(s, 1, scope);
    sb_db_bind_id(s, 2, calendar_id);
    sb_db_bind_int(s, 3, enabled);
    sb_db_bind_text(s, 4, t);
    sb_db_bind_int(s, 5, now);
    sb_err err = step_done(s);
    free(t);
    return err;
}

json_t *sb_store_after_hours_get(sb_db *db, const char *scope)
{
    sb_stmt *s = sb_db_prepare(db, "SELECT scope, calendar_id, enabled AS enabled__bool,"
                                   " templates_json AS templates__json, updated_at FROM after_hours WHERE scope = ?");
    if (!s)
        return NULL;
    sb_db_bind_text(s, 1, scope);
    return one_row(s);
}

/* ---- CSAT ---- */

sb_err sb_store_csat_request(sb_db *w, int64_t conversation_id, int64_t agent_id, int64_t team_id, int64_t now,
                             bool *created)
{
    sb_stmt *s = sb_db_prepare(w, "INSERT OR IGNORE INTO csat(conversation_id, agent_id, team_id, sent_at)"
                                  " VALUES (?, ?, ?, ?)");
    if (!s)
        return SB_E_INTERNAL;
    sb_db_bind_int(s, 1, conversation_id);
    sb_db_bind_id(s, 2, agent_id);
    sb_db_bind_id(s, 3, team_id);
    sb_db_bind_int(s, 4, now);
    sb_err err = step_done(s);
    *created = err == SB_OK && sb_db_changes(w) > 0;
    return err;
}

sb_err sb_store_csat_rate(sb_db *w, int64_t conversation_id, const char *rating, const char *comment, int64_t now)
{
    sb_stmt *s = sb_db_prepare(w, "UPDATE csat SET rating = COALESCE(?1, rating), comment = COALESCE(?2, comment),"
                                  " rated_at = ?3 WHERE conversation_id = ?4");
    if (!s)
        return SB_E_INTERNAL;
    sb_db_bind_opt_text(s, 1, rating);
    sb_db_bind_opt_text(s, 2, comment);
    sb_db_bind_int(s, 3, now);
    sb_db_bind_int(s, 4, conversation_id);
    sb_err err = step_done(s);
    return err == SB_OK && sb_db_changes(w) == 0 ? SB_E_NOT_FOUND : err;
}

#define CSAT_COLUMNS "conversation_id, agent_id, team_id, rating, comment, sent_at, rated_at"

json_t *sb_store_csat_get(sb_db *db, int64_t conversation_id)
{
    sb_stmt *s = sb_db_prepare(db, "SELECT " CSAT_COLUMNS " FROM csat WHERE conversation_id = ?");
    if (!s)
        return NULL;
    sb_db_bind_int(s, 1, conversation_id);
    return one_row(s);
}

json_t *sb_store_csat_list(sb_db *db, int64_t from, int64_t to, int64_t agent_id, int64_t team_id)
{
    sb_stmt *s = sb_db_prepare(db, "SELECT " CSAT_COLUMNS " FROM csat WHERE rating IS NOT NULL"
                                   " AND (?1 = 0 OR rated_at >= ?1) AND (?2 = 0 OR rated_at < ?2)"
                                   " AND (?3 = 0 OR agent_id = ?3) AND (?4 = 0 OR team_id = ?4)"
                                   " ORDER BY rated_at, conversation_id LIMIT 100000");
    if (!s)
        return NULL;
    sb_db_bind_int(s, 1, from);
    sb_db_bind_int(s, 2, to);
    sb_db_bind_int(s, 3, agent_id);
    sb_db_bind_int(s, 4, team_id);
    return sb_store_rows_json(s);
}
