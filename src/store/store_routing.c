/* Routing: the facts routing needs (conversation, account manager, team members with their
 * load), agent and team routing settings, routing rules, team queues. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/internal.h"
#include "store/store.h"

/* Conversations that count against an agent's capacity: everything not solved or closed. */
#define OPEN_COUNT(agent)                                                                          \
    "(SELECT COUNT(*) FROM conversations oc WHERE oc.assignee_id = " agent                       \
    " AND oc.status IN ('open','pending','on_hold'))"

json_t *sb_store_route_conv(sb_db *db, int64_t conv_id)
{
    sb_stmt *s = sb_db_prepare(db,
        "SELECT c.id, c.subject, c.status, c.priority, c.channel, c.mailbox_id, c.team_id, c.assignee_id,"
        " c.tags_json AS tags__json,"
        " CASE WHEN json_valid(c.fields_json) AND json_type(c.fields_json, '$.category') = 'text'"
        "   THEN json_extract(c.fields_json, '$.category') END AS category,"
        " k.organization_id, o.account_manager_id, m.team_id AS mailbox_team_id"
        " FROM conversations c JOIN contacts k ON k.id = c.contact_id"
        " LEFT JOIN organizations o ON o.id = k.organization_id"
        " LEFT JOIN mailboxes m ON m.id = c.mailbox_id"
        " WHERE c.id = ?");
    if (!s)
        return NULL;
    sb_db_bind_int(s, 1, conv_id);
    return one_row(s);
}

/* open_count is counted only where it matters (a capacity is set, or ?2: least-loaded needs
 * everyone's): counting a busy agent's conversations on every routing is the costly part. The
 * shift stays text: the service caches the calendars it parses, keyed by that text. */
#define ROUTE_AGENT_COLUMNS                                                                        \
    "a.id, a.name, a.active AS active__bool, a.status, a.max_open, a.timezone, a.shift_json AS shift_text," \
    " a.assign_seq, CASE WHEN ?2 OR a.max_open IS NOT NULL THEN " OPEN_COUNT("a.id") " ELSE 0 END AS open_count"

json_t *sb_store_route_agents(sb_db *db, int64_t team_id, bool counts)
{
    sb_stmt *s = sb_db_prepare(db, "SELECT " ROUTE_AGENT_COLUMNS " FROM team_members tm"
                                   " JOIN agents a ON a.id = tm.agent_id WHERE tm.team_id = ?1 ORDER BY a.id");
    if (!s)
        return NULL;
    sb_db_bind_int(s, 1, team_id);
    sb_db_bind_int(s, 2, counts);
    return sb_store_rows_json(s);
}

json_t *sb_store_route_agent(sb_db *db, int64_t agent_id)
{
    sb_stmt *s = sb_db_prepare(db, "SELECT " ROUTE_AGENT_COLUMNS " FROM agents a WHERE a.id = ?1");
    if (!s)
        return NULL;
    sb_db_bind_int(s, 1, agent_id);
    sb_db_bind_int(s, 2, 0);
    return one_row(s);
}

sb_err sb_store_conv_set_owner(sb_db *w, int64_t conv_id, int64_t team_id, int64_t assignee_id, int64_t now)
{
    /* Only the owner columns: the subject's full-text row stays as it is. */
    sb_stmt *s = sb_db_prepare(w, "UPDATE conversations SET team_id = ?, assignee_id = ?, updated_at = ? WHERE id = ?");
    if (!s)
        return SB_E_INTERNAL;
    sb_db_bind_id(s, 1, team_id);
    sb_db_bind_id(s, 2, assignee_id);
    sb_db_bind_int(s, 3, now);
    sb_db_bind_int(s, 4, conv_id);
    sb_err err = step_done(s);
    return err == SB_E_CONFLICT ? SB_E_VALIDATION : err;
}

sb_err sb_store_agent_mark_assigned(sb_db *w, int64_t agent_id, int64_t now)
{
    sb_stmt *s = sb_db_prepare(w, "UPDATE agents SET assign_seq = (SELECT COALESCE(MAX(assign_seq), 0) + 1 FROM agents),"
                                  " last_assigned_at = ? WHERE id = ?");
    if (!s)
        return SB_E_INTERNAL;
    sb_db_bind_int(s, 1, now);
    sb_db_bind_int(s, 2, agent_id);
    return step_done(s);
}

/* Runs "UPDATE <table> SET <col> = ? WHERE id = ?" with the value as text, NULL or integer. */
static sb_err set_column(sb_db *w, const char *sql, int64_t id, json_t *v)
{
    sb_stmt *s = sb_db_prepare(w, sql);
    if (!s)
        return SB_E_INTERNAL;
    if (!v || json_is_null(v))
        sb_db_bind_null(s, 1);
    else if (json_is_integer(v))
        sb_db_bind_int(s, 1, json_integer_value(v));
    else if (json_is_string(v))
        sb_db_bind_text(s, 1, json_string_value(v));
    else {
        char *text = json_dumps(v, JSON_COMPACT);
        if (!text) {
            sb_db_reset(s);
            return SB_E_INTERNAL;
        }
        sb_db_bind_text(s, 1, text);
        sb_db_bind_int(s, 2, id);
        sb_err err = step_done(s);
        free(text);
        return err;
    }
    sb_db_bind_int(s, 2, id);
    return step_done(s);
}

sb_err sb_store_agent_set_routing(sb_db *w, int64_t id, json_t *f)
{
    sb_err err = SB_OK;
    json_t *v;
    if (err == SB_OK && (v = json_object_get(f, "max_open")))
        err = set_column(w, "UPDATE agents SET max_open = ? WHERE id = ?", id, v);
    if (err == SB_OK && (v = json_object_get(f, "timezone")))
        err = set_column(w, "UPDATE agents SET timezone = COALESCE(?, 'UTC') WHERE id = ?", id, v);
    if (err == SB_OK && (v = json_object_get(f, "shift")))
        err = set_column(w, "UPDATE agents SET shift_json = ? WHERE id = ?", id, v);
    return err;
}

sb_err sb_store_team_set_routing(sb_db *w, int64_t id, json_t *f)
{
    sb_err err = SB_OK;
    json_t *v;
    if (err == SB_OK && (v = json_object_get(f, "strategy")))
        err = set_column(w, "UPDATE teams SET strategy = COALESCE(?, 'round_robin') WHERE id = ?", id, v);
    if (err == SB_OK && (v = json_object_get(f, "supervisor_id")))
        err = set_column(w, "UPDATE teams SET supervisor_id = ? WHERE id = ?", id, v);
    if (err == SB_OK && (v = json_object_get(f, "escalation_team_id")))
        err = set_column(w, "UPDATE teams SET escalation_team_id = ? WHERE id = ?", id, v);
    if (err == SB_OK && (v = json_object_get(f, "oncall")))
        err = set_column(w, "UPDATE teams SET oncall_json = ? WHERE id = ?", id, v);
    return err;
}

json_t *sb_store_team_routing(sb_db *db, int64_t id)
{
    sb_stmt *s = sb_db_prepare(db, "SELECT id, name, tier, strategy, supervisor_id, escalation_team_id,"
                                   " oncall_json AS oncall__json FROM teams WHERE id = ?");
    if (!s)
        return NULL;
    sb_db_bind_int(s, 1, id);
    return one_row(s);
}

int64_t sb_store_team_first_of_tier(sb_db *db, const char *tier)
{
    sb_stmt *s = sb_db_prepare(db, "SELECT id FROM teams WHERE tier = ? ORDER BY id LIMIT 1");
    if (!s)
        return 0;
    sb_db_bind_text(s, 1, tier);
    int64_t id = sb_db_step(s) == SB_DB_ROW ? sb_db_col_int(s, 0) : 0;
    sb_db_reset(s);
    return id;
}

json_t *sb_store_agent_team_ids(sb_db *db, int64_t agent_id)
{
    sb_stmt *s = sb_db_prepare(db, "SELECT team_id AS id FROM team_members WHERE agent_id = ? ORDER BY team_id");
    if (!s)
        return NULL;
    sb_db_bind_int(s, 1, agent_id);
    return sb_store_rows_json(s);
}

json_t *sb_store_team_queue(sb_db *db, int64_t team_id, int limit)
{
    /* The queue order of the inbox: urgent first, then first in, first out. */
    sb_stmt *s = sb_db_prepare(db, "SELECT id FROM conversations WHERE team_id = ? AND status = 'open'"
                                   " AND assignee_id IS NULL ORDER BY queue_rank, id LIMIT ?");
    if (!s)
        return NULL;
    sb_db_bind_int(s, 1, team_id);
    sb_db_bind_int(s, 2, limit);
    return sb_store_rows_json(s);
}

json_t *sb_store_teams_with_queue(sb_db *db)
{
    sb_stmt *s = sb_db_prepare(db, "SELECT DISTINCT c.team_id AS id FROM conversations c"
                                   " JOIN teams t ON t.id = c.team_id AND t.strategy <> 'manual'"
                                   " WHERE c.status = 'open' AND c.assignee_id IS NULL AND c.team_id IS NOT NULL"
                                   " ORDER BY c.team_id");
    return s ? sb_store_rows_json(s) : NULL;
}

/* ---- rules ---- */

#define RULE_COLUMNS                                                                               \
    "id, position, name, conditions_json AS conditions__json, team_id, enabled AS enabled__bool,"  \
    " created_at, updated_at"

json_t *sb_store_rule_list(sb_db *db, bool enabled_only)
{
    sb_stmt *s = sb_db_prepare(db, "SELECT " RULE_COLUMNS " FROM routing_rules WHERE (? = 0 OR enabled = 1)"
                                   " ORDER BY position, id");
    if (!s)
        return NULL;
    sb_db_bind_int(s, 1, enabled_only);
    return sb_store_rows_json(s);
}

json_t *sb_store_rules_for_routing(sb_db *db)
{
    sb_stmt *s = sb_db_prepare(db, "SELECT id, name, team_id, conditions_json AS conditions FROM routing_rules"
                                   " WHERE enabled = 1 ORDER BY position, id");
    return s ? sb_store_rows_json(s) : NULL;
}

sb_err sb_store_rules_fingerprint(sb_db *db, int64_t fp[4])
{
    sb_stmt *s = sb_db_prepare(db, "SELECT COUNT(*), COALESCE(SUM(id * position), 0), COALESCE(SUM(updated_at), 0),"
                                   " COALESCE(SUM(length(conditions_json) + team_id * 7919 + length(name)), 0)"
                                   " FROM routing_rules WHERE enabled = 1");
    if (!s)
        return SB_E_INTERNAL;
    sb_err err = SB_E_INTERNAL;
    if (sb_db_step(s) == SB_DB_ROW) {
        for (int i = 0; i < 4; i++)
            fp[i] = sb_db_col_int(s, i);
        err = SB_OK;
    }
    sb_db_reset(s);
    return err;
}

json_t *sb_store_rule_get(sb_db *db, int64_t id)
{
    sb_stmt *s = sb_db_prepare(db, "SELECT " RULE_COLUMNS " FROM routing_rules WHERE id = ?");
    if (!s)
        return NULL;
    sb_db_bind_int(s, 1, id);
    return one_row(s);
}

int64_t sb_store_rule_count(sb_db *db)
{
    sb_stmt *s = sb_db_prepare(db, "SELECT COUNT(*) FROM routing_rules");
    if (!s)
        return -1;
    int64_t n = sb_db_step(s) == SB_DB_ROW ? sb_db_col_int(s, 0) : -1;
    sb_db_reset(s);
    return n;
}

/* Positions are kept dense (1..n). place(w, id, pos) puts rule id at position pos (clamped;
 * pos <= 0 keeps its place) and renumbers the others around it. Few rules (a documented
 * limit), so renumbering row by row is cheap and engine-neutral. */
static sb_err place(sb_db *w, int64_t id, int64_t pos)
{
    sb_stmt *q = sb_db_prepare(w, "SELECT id FROM routing_rules ORDER BY position, id");
    if (!q)
        return SB_E_INTERNAL;
    json_t *rows = sb_store_rows_json(q);
    if (!rows)
        return SB_E_INTERNAL;
    size_t n = json_array_size(rows), k = 0;
    int64_t *order = calloc(n + 1, sizeof *order);
    if (!order) {
        json_decref(rows);
        return SB_E_INTERNAL;
    }
    for (size_t i = 0; i < n; i++) {
        int64_t rid = json_integer_value(json_object_get(json_array_get(rows, i), "id"));
        if (rid != id || pos <= 0)
            order[k++] = rid;
    }
    json_decref(rows);
    if (pos > 0) {
        size_t at = (size_t)pos - 1 > k ? k : (size_t)pos - 1;
        memmove(order + at + 1, order + at, (k - at) * sizeof *order);
        order[at] = id;
        k++;
    }
    sb_err err = SB_OK;
    for (size_t i = 0; err == SB_OK && i < k; i++) {
        sb_stmt *s = sb_db_prepare(w, "UPDATE routing_rules SET position = ? WHERE id = ? AND position <> ?");
        if (!s) {
            err = SB_E_INTERNAL;
            break;
        }
        sb_db_bind_int(s, 1, (int64_t)i + 1);
        sb_db_bind_int(s, 2, order[i]);
        sb_db_bind_int(s, 3, (int64_t)i + 1);
        err = step_done(s);
    }
    free(order);
    return err;
}

sb_err sb_store_rule_insert(sb_db *w, const char *name, const char *conditions, int64_t team_id, int64_t position,
                            bool enabled, int64_t now, int64_t *id_out)
{
    sb_err err;
    sb_stmt *s = sb_db_prepare(w, "INSERT INTO routing_rules(position, name, conditions_json, team_id, enabled,"
                                  " created_at, updated_at) VALUES ((SELECT COALESCE(MAX(position), 0) + 1"
                                  " FROM routing_rules), ?1, ?2, ?3, ?4, ?5, ?5) RETURNING id");
    if (!s)
        return SB_E_INTERNAL;
    sb_db_bind_text(s, 1, name ? name : "");
    sb_db_bind_text(s, 2, conditions ? conditions : "{}");
    sb_db_bind_int(s, 3, team_id);
    sb_db_bind_int(s, 4, enabled);
    sb_db_bind_int(s, 5, now);
    int64_t id = 0;
    if ((err = step_returning_id(s, &id)) != SB_OK)
        return err;
    if (id_out)
        *id_out = id;
    return place(w, id, position);
}

sb_err sb_store_rule_update(sb_db *w, int64_t id, const char *name, const char *conditions, int64_t team_id,
                            int64_t position, int enabled, int64_t now)
{
    sb_err err;
    sb_stmt *s = sb_db_prepare(w, "UPDATE routing_rules SET name = COALESCE(?1, name),"
                                  " conditions_json = COALESCE(?2, conditions_json),"
                                  " team_id = CASE WHEN ?3 > 0 THEN ?3 ELSE team_id END,"
                                  " enabled = CASE WHEN ?4 >= 0 THEN ?4 ELSE enabled END,"
                                  " updated_at = ?5 WHERE id = ?6");
    if (!s)
        return SB_E_INTERNAL;
    sb_db_bind_opt_text(s, 1, name);
    sb_db_bind_opt_text(s, 2, conditions);
    sb_db_bind_int(s, 3, team_id);
    sb_db_bind_int(s, 4, enabled);
    sb_db_bind_int(s, 5, now);
    sb_db_bind_int(s, 6, id);
    if ((err = step_done(s)) != SB_OK)
        return err;
    if (sb_db_changes(w) == 0)
        return SB_E_NOT_FOUND;
    return position > 0 ? place(w, id, position) : SB_OK;
}

sb_err sb_store_rule_delete(sb_db *w, int64_t id)
{
    sb_stmt *s = sb_db_prepare(w, "DELETE FROM routing_rules WHERE id = ?");
    if (!s)
        return SB_E_INTERNAL;
    sb_db_bind_int(s, 1, id);
    sb_err err = step_done(s);
    if (err == SB_OK && sb_db_changes(w) == 0)
        return SB_E_NOT_FOUND;
    return err == SB_OK ? place(w, 0, 0) : err;
}
