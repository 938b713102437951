/* Report facts and scans. The fact table is clustered by (created_at, conversation_id), so a
 * creation range is one contiguous read; resolutions and the backlog have covering or partial
 * indexes (migration 9). */
#include "store/store_reports.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/internal.h"

static void copy(char *dst, size_t n, const char *src)
{
    snprintf(dst, n, "%s", src ? src : "");
}

static int64_t col_opt(sb_stmt *s, int c, int64_t none)
{
    return sb_db_col_null(s, c) ? none : sb_db_col_int(s, c);
}

sb_err sb_store_rep_source(sb_db *w, int64_t id, sb_rep_fact *f, char **sla_data, int64_t *policy_id)
{
    *sla_data = NULL;
    *policy_id = 0;
    sb_stmt *s = sb_db_prepare(
        w, "SELECT created_at, channel, team_id, assignee_id, status, priority,"
           " CASE WHEN json_valid(fields_json) THEN json_extract(fields_json, '$.category') END,"
           " CASE WHEN status IN ('solved','closed') THEN COALESCE(NULLIF(solved_at, 0), closed_at) END,"
           " sla_data, CASE WHEN json_valid(sla_json) THEN json_extract(sla_json, '$.policy_id') END,"
           " COALESCE((SELECT ',' || group_concat(tag_id, ',') || ',' FROM conversation_tags"
           "   WHERE conversation_id = c.id), ''),"
           " (SELECT min(m.created_at) FROM messages m WHERE m.conversation_id = c.id AND m.direction = 'out'"
           "   AND m.internal = 0 AND m.kind = 'message' AND m.author_type = 'agent')"
           " FROM conversations c WHERE id = ?");
    if (!s)
        return SB_E_INTERNAL;
    sb_db_bind_int(s, 1, id);
    int rc = sb_db_step(s);
    if (rc != SB_DB_ROW) {
        sb_db_reset(s);
        return rc == SB_DB_DONE ? SB_E_NOT_FOUND : SB_E_INTERNAL;
    }
    memset(f, 0, sizeof *f);
    f->conversation_id = id;
    f->created_at = sb_db_col_int(s, 0);
    copy(f->channel, sizeof f->channel, sb_db_col_text(s, 1));
    f->team_id = col_opt(s, 2, 0);
    f->assignee_id = col_opt(s, 3, 0);
    copy(f->status, sizeof f->status, sb_db_col_text(s, 4));
    copy(f->priority, sizeof f->priority, sb_db_col_text(s, 5));
    const char *cat = sb_db_col_null(s, 6) ? NULL : sb_db_col_text(s, 6);
    copy(f->category, sizeof f->category, cat);
    /* a long category is cut at a character boundary, never inside a UTF-8 sequence */
    size_t n = strlen(f->category);
    if (cat && n < strlen(cat)) {
        const unsigned char *c = (const unsigned char *)f->category;
        size_t start = n;
        while (start > 0 && (c[start - 1] & 0xC0) == 0x80)
            start--;
        if (start > 0) {
            unsigned char lead = c[start - 1];
            size_t need = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
            if (n - (start - 1) < need)
                f->category[start - 1] = 0;
        }
    }
    f->resolved_at = col_opt(s, 7, 0);
    if (!sb_db_col_null(s, 8))
        *sla_data = strdup(sb_db_col_text(s, 8));
    *policy_id = col_opt(s, 9, 0);
    copy(f->tag_ids, sizeof f->tag_ids, sb_db_col_text(s, 10));
    f->first_response_at = col_opt(s, 11, 0);
    f->frt_wall_s = f->frt_bus_s = f->res_wall_s = f->res_bus_s = -1;
    sb_db_reset(s);
    return SB_OK;
}

#define FACT_COLUMNS                                                                                                   \
    "conversation_id, created_at, channel, team_id, assignee_id, status, category, tag_ids, first_response_at,"       \
    " frt_wall_s, frt_bus_s, resolved_at, res_wall_s, res_bus_s, sla_first, sla_next, sla_res"

sb_err sb_store_rep_fact_get(sb_db *db, int64_t id, sb_rep_fact *f)
{
    sb_stmt *s = sb_db_prepare(db, "SELECT " FACT_COLUMNS " FROM conv_facts WHERE conversation_id = ?");
    if (!s)
        return SB_E_INTERNAL;
    sb_db_bind_int(s, 1, id);
    int rc = sb_db_step(s);
    if (rc != SB_DB_ROW) {
        sb_db_reset(s);
        return rc == SB_DB_DONE ? SB_E_NOT_FOUND : SB_E_INTERNAL;
    }
    memset(f, 0, sizeof *f);
    f->conversation_id = sb_db_col_int(s, 0);
    f->created_at = sb_db_col_int(s, 1);
    copy(f->channel, sizeof f->channel, sb_db_col_text(s, 2));
    f->team_id = col_opt(s, 3, 0);
    f->assignee_id = col_opt(s, 4, 0);
    copy(f->status, sizeof f->status, sb_db_col_text(s, 5));
    copy(f->category, sizeof f->category, sb_db_col_null(s, 6) ? NULL : sb_db_col_text(s, 6));
    copy(f->tag_ids, sizeof f->tag_ids, sb_db_col_text(s, 7));
    f->first_response_at = col_opt(s, 8, 0);
    f->frt_wall_s = col_opt(s, 9, -1);
    f->frt_bus_s = col_opt(s, 10, -1);
    f->resolved_at = col_opt(s, 11, 0);
    f->res_wall_s = col_opt(s, 12, -1);
    f->res_bus_s = col_opt(s, 13, -1);
    for (int i = 0; i < 3; i++)
        f->sla[i] = (int)sb_db_col_int(s, 14 + i);
    sb_db_reset(s);
    return SB_OK;
}

static void bind_opt_int(sb_stmt *s, int i, int64_t v, int64_t none)
{
    if (v == none)
        sb_db_bind_null(s, i);
    else
        sb_db_bind_int(s, i, v);
}

sb_err sb_store_rep_fact_put(sb_db *w, const sb_rep_fact *f)
{
    sb_stmt *s = sb_db_prepare(w, "INSERT OR REPLACE INTO conv_facts (" FACT_COLUMNS ")"
                                  " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)");
    if (!s)
        return SB_E_INTERNAL;
    sb_db_bind_int(s, 1, f->conversation_id);
    sb_db_bind_int(s, 2, f->created_at);
    sb_db_bind_text(s, 3, f->channel);
    sb_db_bind_id(s, 4, f->team_id);
    sb_db_bind_id(s, 5, f->assignee_id);
    sb_db_bind_text(s, 6, f->status);
    sb_db_bind_opt_text(s, 7, f->category[0] ? f->category : NULL);
    sb_db_bind_text(s, 8, f->tag_ids);
    bind_opt_int(s, 9, f->first_response_at, 0);
    bind_opt_int(s, 10, f->frt_wall_s, -1);
    bind_opt_int(s, 11, f->frt_bus_s, -1);
    bind_opt_int(s, 12, f->resolved_at, 0);
    bind_opt_int(s, 13, f->res_wall_s, -1);
    bind_opt_int(s, 14, f->res_bus_s, -1);
    for (int i = 0; i < 3; i++)
        sb_db_bind_int(s, 15 + i, f->sla[i]);
    return step_done(s);
}

/* ---- scans ---- */

/* Each scan's SQL is built once per combination of filters, so that a row pays only for the
 * filters in use (a million rows per request make every opcode count). ?1 from, ?2 to, ?3 team,
 * ?4 agent, ?5 channel, ?6 ",tag_id,". The strings are the statement cache's keys: static. */
enum { F_TEAM = 1, F_AGENT = 2, F_CHANNEL = 4, F_TAG = 8, F_ALL = 16 };

#define CREATED_FROM " FROM conv_facts WHERE created_at >= ?1 AND created_at < ?2"

static const char *const scan_base[] = {
    [SB_REP_SCAN_CREATED_AT] = "SELECT created_at" CREATED_FROM,
    [SB_REP_SCAN_CREATED_TIMES] = "SELECT created_at, COALESCE(assignee_id, 0), COALESCE(frt_wall_s, -1),"
                                  " COALESCE(frt_bus_s, -1)" CREATED_FROM,
    [SB_REP_SCAN_CREATED_SLA] = "SELECT created_at, sla_first, sla_next, sla_res" CREATED_FROM,
    [SB_REP_SCAN_CREATED_CATEGORY] = "SELECT created_at, category" CREATED_FROM " AND category IS NOT NULL",
    [SB_REP_SCAN_CREATED_TAGS] = "SELECT created_at, tag_ids" CREATED_FROM " AND tag_ids <> ''",
    [SB_REP_SCAN_RESOLVED] = "SELECT resolved_at, COALESCE(assignee_id, 0), COALESCE(res_wall_s, -1), COALESCE(res_bus_s, -1)"
                             " FROM conv_facts INDEXED BY conv_facts_resolved"
                             " WHERE resolved_at IS NOT NULL AND resolved_at >= ?1 AND resolved_at < ?2",
    [SB_REP_SCAN_BACKLOG] = "SELECT created_at FROM conv_facts WHERE status IN ('open','pending','on_hold')",
    /* CSAT: the fact row is joined only for a channel or tag filter */
    [SB_REP_SCAN_CSAT] = "SELECT cs.rated_at, COALESCE(cs.agent_id, 0), cs.rating FROM csat cs",
};
#define NKINDS (sizeof scan_base / sizeof scan_base[0])
#define SQL_MAX 768

static char scan_sql[NKINDS][F_ALL][SQL_MAX];
static pthread_once_t scan_once = PTHREAD_ONCE_INIT;

static void build_scans(void)
{
    for (size_t k = 0; k < NKINDS; k++) {
        for (int m = 0; m < F_ALL; m++) {
            bool csat = k == SB_REP_SCAN_CSAT;
            const char *p = csat ? "f." : "";
            char *out = scan_sql[k][m];
            int n = snprintf(out, SQL_MAX, "%s", scan_base[k]);
            if (csat)
                n += snprintf(out + n, SQL_MAX - (size_t)n, "%s WHERE cs.rated_at >= ?1 AND cs.rated_at < ?2 AND"
                                                             " cs.rating IS NOT NULL",
                              m & (F_CHANNEL | F_TAG) ? " JOIN conv_facts f ON f.conversation_id = cs.conversation_id" : "");
            if (m & F_TEAM)
                n += snprintf(out + n, SQL_MAX - (size_t)n, " AND %steam_id = ?3", csat ? "cs." : "");
            if (m & F_AGENT)
                n += snprintf(out + n, SQL_MAX - (size_t)n, " AND %s = ?4", csat ? "cs.agent_id" : "assignee_id");
            if (m & F_CHANNEL)
                n += snprintf(out + n, SQL_MAX - (size_t)n, " AND %schannel = ?5", p);
            if (m & F_TAG)
                snprintf(out + n, SQL_MAX - (size_t)n, " AND instr(%stag_ids, ?6) > 0", p);
        }
    }
}

sb_err sb_store_rep_scan(sb_db *db, sb_rep_scan_kind kind, const sb_rep_filter *f, sb_rep_row_fn fn, void *ctx)
{
    if (f->tag_id < 0)
        return SB_OK; /* an unknown tag matches nothing */
    pthread_once(&scan_once, build_scans);
    int mask = (f->team_id ? F_TEAM : 0) | (f->agent_id ? F_AGENT : 0) | (f->channel ? F_CHANNEL : 0) |
               (f->tag_id ? F_TAG : 0);
    sb_stmt *s = sb_db_prepare(db, scan_sql[kind][mask]);
    if (!s)
        return SB_E_INTERNAL;
    char tag[32];
    if (kind != SB_REP_SCAN_BACKLOG) {
        sb_db_bind_int(s, 1, f->from);
        sb_db_bind_int(s, 2, f->to);
    }
    if (mask & F_TEAM)
        sb_db_bind_int(s, 3, f->team_id);
    if (mask & F_AGENT)
        sb_db_bind_int(s, 4, f->agent_id);
    if (mask & F_CHANNEL)
        sb_db_bind_text(s, 5, f->channel);
    if (mask & F_TAG) {
        snprintf(tag, sizeof tag, ",%lld,", (long long)f->tag_id);
        sb_db_bind_text(s, 6, tag);
    }
    int rc;
    while ((rc = sb_db_step(s)) == SB_DB_ROW) {
        sb_rep_row row = {.at = sb_db_col_int(s, 0), .wall_s = -1, .bus_s = -1};
        switch (kind) {
        case SB_REP_SCAN_CREATED_TIMES:
        case SB_REP_SCAN_RESOLVED:
            row.agent_id = sb_db_col_int(s, 1);
            row.wall_s = sb_db_col_int(s, 2);
            row.bus_s = sb_db_col_int(s, 3);
            break;
        case SB_REP_SCAN_CREATED_SLA:
            for (int i = 0; i < 3; i++)
                row.sla[i] = (int)sb_db_col_int(s, 1 + i);
            break;
        case SB_REP_SCAN_CREATED_CATEGORY:
            row.category = sb_db_col_text(s, 1);
            break;
        case SB_REP_SCAN_CREATED_TAGS:
            row.tag_ids = sb_db_col_text(s, 1);
            break;
        case SB_REP_SCAN_CSAT:
            row.agent_id = sb_db_col_int(s, 1);
            row.rating = sb_db_col_text(s, 2);
            break;
        default:
            break;
        }
        if (fn(ctx, &row) != 0) {
            rc = SB_DB_DONE;
            break;
        }
    }
    sb_db_reset(s);
    return rc == SB_DB_DONE ? SB_OK : SB_E_INTERNAL;
}

int64_t sb_store_rep_tag_id(sb_db *db, const char *name)
{
    sb_stmt *s = sb_db_prepare(db, "SELECT id FROM tags WHERE name = ?");
    if (!s)
        return 0;
    sb_db_bind_text(s, 1, name);
    int64_t id = sb_db_step(s) == SB_DB_ROW ? sb_db_col_int(s, 0) : 0;
    sb_db_reset(s);
    return id;
}

static json_t *names(sb_db *db, const char *sql)
{
    sb_stmt *s = sb_db_prepare(db, sql);
    json_t *out = json_object();
    if (!s)
        return out;
    while (sb_db_step(s) == SB_DB_ROW) {
        char key[32];
        snprintf(key, sizeof key, "%lld", (long long)sb_db_col_int(s, 0));
        json_object_set_new(out, key, json_string(sb_db_col_text(s, 1)));
    }
    sb_db_reset(s);
    return out;
}

json_t *sb_store_rep_tag_names(sb_db *db) { return names(db, "SELECT id, name FROM tags"); }
json_t *sb_store_rep_agent_names(sb_db *db) { return names(db, "SELECT id, name FROM agents"); }
