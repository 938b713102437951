/* What the browser front end needs beyond the core objects: agent notifications. */
#include "store/internal.h"
#include "store/store.h"

sb_err sb_store_notification_insert(sb_db *w, int64_t agent_id, const char *kind, int64_t conversation_id,
                                    const char *text, int64_t now, int64_t *id_out)
{
    sb_stmt *s = sb_db_prepare(w, "INSERT INTO notifications(agent_id, kind, conversation_id, text, created_at)"
                                  " VALUES (?, ?, ?, ?, ?) RETURNING id");
    if (!s)
        return SB_E_INTERNAL;
    sb_db_bind_int(s, 1, agent_id);
    sb_db_bind_text(s, 2, kind);
    sb_db_bind_id(s, 3, conversation_id);
    sb_db_bind_text(s, 4, text);
    sb_db_bind_int(s, 5, now);
    return step_returning_id(s, id_out);
}

#define NOTIFICATION_COLUMNS "id, kind, conversation_id, text, created_at, read_at"

json_t *sb_store_notification_get(sb_db *db, int64_t id)
{
    sb_stmt *s = sb_db_prepare(db, "SELECT " NOTIFICATION_COLUMNS " FROM notifications WHERE id = ?");
    if (!s)
        return NULL;
    sb_db_bind_int(s, 1, id);
    return one_row(s);
}

json_t *sb_store_notification_list(sb_db *db, int64_t agent_id, bool unread_only, int64_t before_id, int limit)
{
    sb_stmt *s = sb_db_prepare(db, "SELECT " NOTIFICATION_COLUMNS " FROM notifications"
                                   " WHERE agent_id = ? AND id < ? AND (? = 0 OR read_at IS NULL)"
                                   " ORDER BY id DESC LIMIT ?");
    if (!s)
        return NULL;
    sb_db_bind_int(s, 1, agent_id);
    sb_db_bind_int(s, 2, before_id > 0 ? before_id : INT64_MAX);
    sb_db_bind_int(s, 3, unread_only);
    sb_db_bind_int(s, 4, limit);
    return sb_store_rows_json(s);
}

int64_t sb_store_notification_unread(sb_db *db, int64_t agent_id)
{
    sb_stmt *s = sb_db_prepare(db, "SELECT count(*) FROM notifications WHERE agent_id = ? AND read_at IS NULL");
    if (!s)
        return 0;
    sb_db_bind_int(s, 1, agent_id);
    int64_t n = sb_db_step(s) == SB_DB_ROW ? sb_db_col_int(s, 0) : 0;
    sb_db_reset(s);
    return n;
}

/* Marks one (id > 0) or all of an agent's notifications read. */
sb_err sb_store_notification_read(sb_db *w, int64_t agent_id, int64_t id, int64_t now)
{
    sb_stmt *s = sb_db_prepare(w, "UPDATE notifications SET read_at = ? WHERE agent_id = ? AND read_at IS NULL"
                                  " AND (? = 0 OR id = ?)");
    if (!s)
        return SB_E_INTERNAL;
    sb_db_bind_int(s, 1, now);
    sb_db_bind_int(s, 2, agent_id);
    sb_db_bind_int(s, 3, id);
    sb_db_bind_int(s, 4, id);
    return step_done(s);
}

/* ---- inbox view counts ---- */

static int64_t count_of(sb_db *db, const char *sql, int64_t arg)
{
    sb_stmt *s = sb_db_prepare(db, sql);
    if (!s)
        return -1;
    if (arg)
        sb_db_bind_int(s, 1, arg);
    int64_t n = sb_db_step(s) == SB_DB_ROW ? sb_db_col_int(s, 0) : -1;
    sb_db_reset(s);
    return n;
}

/* Each count is one index range (see the conv_* indexes). */
json_t *sb_store_view_counts(sb_db *db, int64_t agent_id)
{
    json_t *o = json_object();
    json_object_set_new(o, "mine", json_integer(count_of(db,
        "SELECT count(*) FROM conversations WHERE assignee_id = ? AND status IN ('open','pending','on_hold')", agent_id)));
    json_object_set_new(o, "unassigned", json_integer(count_of(db,
        "SELECT count(*) FROM conversations WHERE assignee_id IS NULL AND status = 'open'", 0)));
    json_object_set_new(o, "all_open", json_integer(count_of(db,
        "SELECT count(*) FROM conversations WHERE status = 'open'", 0)));
    json_object_set_new(o, "urgent", json_integer(count_of(db,
        "SELECT count(*) FROM conversations WHERE status = 'open' AND priority = 'urgent'", 0)));
    json_object_set_new(o, "pending", json_integer(count_of(db,
        "SELECT count(*) FROM conversations WHERE status = 'pending'", 0)));
    json_object_set_new(o, "solved", json_integer(count_of(db,
        "SELECT count(*) FROM conversations WHERE status = 'solved'", 0)));
    json_object_set_new(o, "sla_at_risk", json_integer(count_of(db,
        "SELECT count(*) FROM conversations WHERE sla_state IN ('warning','breached')"
        " AND status IN ('open','pending','on_hold')", 0)));
    sb_stmt *s = sb_db_prepare(db, "SELECT t.id, t.name, (SELECT count(*) FROM conversations c"
                                   "  WHERE c.team_id = t.id AND c.status = 'open') AS open"
                                   " FROM team_members m JOIN teams t ON t.id = m.team_id"
                                   " WHERE m.agent_id = ? ORDER BY t.name");
    if (s) {
        sb_db_bind_int(s, 1, agent_id);
        json_object_set_new(o, "teams", sb_store_rows_json(s));
    }
    return o;
}
