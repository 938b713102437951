/* Agents, credentials, teams, organisations and contacts. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/internal.h"
#include "store/store.h"

/* Hashes are stored as lowercase hex text: portable across engines. */
static void to_hex(const unsigned char hash[32], char hex[65])
{
    sodium_bin2hex(hex, 65, hash, 32);
}

/* ---- agents ---- */

#define AGENT_COLUMNS                                                                              \
    "a.id, a.email, a.name, a.role, a.status, a.active AS active__bool,"                           \
    " (SELECT json_group_array(team_id) FROM (SELECT team_id FROM team_members m"                  \
    "   WHERE m.agent_id = a.id ORDER BY team_id)) AS team_ids__json,"                             \
    " a.max_open, a.timezone, a.shift_json AS shift__json, a.last_assigned_at," /* routing */      \
    " (SELECT COUNT(*) FROM conversations c WHERE c.assignee_id = a.id"                            \
    "   AND c.status IN ('open','pending','on_hold')) AS open_count,"                              \
    " a.created_at, a.updated_at"

sb_err sb_store_agent_insert(sb_db *w, const char *email, const char *name, const char *role,
                             const char *password_hash, int64_t now, int64_t *id_out)
{
    sb_stmt *s = sb_db_prepare(w, "INSERT INTO agents(email, name, role, password_hash, created_at, updated_at)"
                                  " VALUES (?, ?, ?, ?, ?, ?) RETURNING id");
    if (!s)
        return SB_E_INTERNAL;
    sb_db_bind_text(s, 1, email);
    sb_db_bind_text(s, 2, name);
    sb_db_bind_text(s, 3, role);
    sb_db_bind_opt_text(s, 4, password_hash);
    sb_db_bind_int(s, 5, now);
    sb_db_bind_int(s, 6, now);
    return step_returning_id(s, id_out);
}

json_t *sb_store_agent_get(sb_db *db, int64_t id)
{
    sb_stmt *s = sb_db_prepare(db, "SELECT " AGENT_COLUMNS " FROM agents a WHERE a.id = ?");
    if (!s)
        return NULL;
    sb_db_bind_int(s, 1, id);
    return one_row(s);
}

json_t *sb_store_agent_list(sb_db *db)
{
    sb_stmt *s = sb_db_prepare(db, "SELECT " AGENT_COLUMNS " FROM agents a ORDER BY a.id");
    return s ? sb_store_rows_json(s) : NULL;
}

/* Reads id, role, active and password_hash from a prepared, bound agent query. */
static sb_err read_credentials(sb_stmt *s, int64_t *id, sb_role *role, bool *active, char **password_hash)
{
    sb_err err = SB_E_NOT_FOUND;
    if (sb_db_step(s) == SB_DB_ROW) {
        *id = sb_db_col_int(s, 0);
        int r = sb_role_parse(sb_db_col_text(s, 1));
        *role = r < 0 ? SB_ROLE_TRAINEE : (sb_role)r;
        *active = sb_db_col_int(s, 2) != 0;
        *password_hash = sb_db_col_null(s, 3) ? NULL : strdup(sb_db_col_text(s, 3));
        err = SB_OK;
    }
    sb_db_reset(s);
    return err;
}

sb_err sb_store_agent_credentials(sb_db *db, const char *email, int64_t *id, sb_role *role,
                                  bool *active, char **password_hash)
{
    sb_stmt *s = sb_db_prepare(db, "SELECT id, role, active, password_hash FROM agents WHERE email = ?");
    if (!s)
        return SB_E_INTERNAL;
    sb_db_bind_text(s, 1, email);
    return read_credentials(s, id, role, active, password_hash);
}

sb_err sb_store_agent_credentials_by_id(sb_db *db, int64_t agent_id, int64_t *id, sb_role *role, bool *active,
                                        char **password_hash)
{
    sb_stmt *s = sb_db_prepare(db, "SELECT id, role, active, password_hash FROM agents WHERE id = ?");
    if (!s)
        return SB_E_INTERNAL;
    sb_db_bind_int(s, 1, agent_id);
    return read_credentials(s, id, role, active, password_hash);
}

sb_err sb_store_sessions_delete_agent(sb_db *w, int64_t agent_id, const unsigned char keep[32])
{
    sb_stmt *s = sb_db_prepare(w, "DELETE FROM sessions WHERE agent_id = ? AND (? IS NULL OR session_hash <> ?)");
    if (!s)
        return SB_E_INTERNAL;
    char hex[65];
    sb_db_bind_int(s, 1, agent_id);
    if (keep) {
        to_hex(keep, hex);
        sb_db_bind_text(s, 2, hex);
        sb_db_bind_text(s, 3, hex);
    }
    return step_done(s);
}

sb_err sb_store_token_revoke(sb_db *w, int64_t id, int64_t agent_id, int64_t now)
{
    sb_stmt *s = sb_db_prepare(w, "UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND (? = 0 OR agent_id = ?)"
                                  " AND revoked_at IS NULL");
    if (!s)
        return SB_E_INTERNAL;
    sb_db_bind_int(s, 1, now);
    sb_db_bind_int(s, 2, id);
    sb_db_bind_int(s, 3, agent_id);
    sb_db_bind_int(s, 4, agent_id);
    sb_err err = step_done(s);
    if (err == SB_OK && sb_db_changes(w) == 0)
        return SB_E_NOT_FOUND;
    return err;
}

json_t *sb_store_token_list(sb_db *db, int64_t agent_id)
{
    sb_stmt *s = sb_db_prepare(db, "SELECT id, agent_id, scope, created_at, revoked_at FROM api_tokens"
                                   " WHERE (?1 = 0 OR agent_id = ?1) ORDER BY id");
    if (!s)
        return NULL;
    sb_db_bind_int(s, 1, agent_id);
    return sb_store_rows_json(s);
}

sb_err sb_store_agent_update(sb_db *w, int64_t id, const char *name, const char *role,
                             const char *status, int active, const char *password_hash, int64_t now)
{
    /* NULL / -1 keep the current value. */
    sb_stmt *s = sb_db_prepare(w, "UPDATE agents SET name = COALESCE(?1, name), role = COALESCE(?2, role),"
                                  " status = COALESCE(?3, status), active = COALESCE(?4, active),"
                                  " password_hash = COALESCE(?5, password_hash), updated_at = ?6 WHERE id = ?7");
    if (!s)
        return SB_E_INTERNAL;
    sb_db_bind_opt_text(s, 1, name);
    sb_db_bind_opt_text(s, 2, role);
    sb_db_bind_opt_text(s, 3, status);
    if (active >= 0)
        sb_db_bind_int(s, 4, active);
    sb_db_bind_opt_text(s, 5, password_hash);
    sb_db_bind_int(s, 6, now);
    sb_db_bind_int(s, 7, id);
    sb_err err = step_done(s);
    if (err == SB_OK && sb_db_changes(w) == 0)
        return SB_E_NOT_FOUND;
    return err;
}

bool sb_store_agent_is_active(sb_db *db, int64_t id)
{
    return exists(db, "SELECT 1 FROM agents WHERE id = ? AND active = 1", id);
}

/* ---- credentials ---- */


sb_err sb_store_token_insert(sb_db *w, int64_t agent_id, const unsigned char hash[32],
                             const char *scope, int64_t now, int64_t *id_out)
{
    sb_stmt *s = sb_db_prepare(w, "INSERT INTO api_tokens(agent_id, token_hash, scope, created_at)"
                         " VALUES (?, ?, ?, ?) RETURNING id");
    if (!s)
        return SB_E_INTERNAL;
    char hex[65];
    to_hex(hash, hex);
    sb_db_bind_int(s, 1, agent_id);
    sb_db_bind_text(s, 2, hex);
    sb_db_bind_text(s, 3, scope);
    sb_db_bind_int(s, 4, now);
    return step_returning_id(s, id_out);
}

static void principal_from_row(sb_stmt *s, sb_principal *p)
{
    memset(p, 0, sizeof *p);
    p->agent_id = sb_db_col_int(s, 0);
    int r = sb_role_parse(sb_db_col_text(s, 1));
    p->role = r < 0 ? SB_ROLE_TRAINEE : (sb_role)r;
    p->active = sb_db_col_int(s, 2) != 0;
}

sb_err sb_store_token_lookup(sb_db *db, const unsigned char hash[32], sb_principal *p)
{
    sb_stmt *s = sb_db_prepare(db, "SELECT a.id, a.role, a.active, t.scope FROM api_tokens t"
                                   " JOIN agents a ON a.id = t.agent_id"
                                   " WHERE t.token_hash = ? AND t.revoked_at IS NULL");
    if (!s)
        return SB_E_INTERNAL;
    char hex[65];
    to_hex(hash, hex);
    sb_db_bind_text(s, 1, hex);
    sb_err err = SB_E_UNAUTHORIZED;
    if (sb_db_step(s) == SB_DB_ROW) {
        principal_from_row(s, p);
        p->read_only = strcmp(sb_db_col_text(s, 3), "read") == 0;
        err = p->active ? SB_OK : SB_E_UNAUTHORIZED;
    }
    sb_db_reset(s);
    return err;
}

sb_err sb_store_session_insert(sb_db *w, int64_t agent_id, const unsigned char hash[32],
                               const char *csrf, int64_t now, int64_t expires)
{
    sb_stmt *s = sb_db_prepare(w, "INSERT INTO sessions(agent_id, session_hash, csrf_token, created_at, expires_at)"
                                  " VALUES (?, ?, ?, ?, ?)");
    if (!s)
        return SB_E_INTERNAL;
    char hex[65];
    to_hex(hash, hex);
    sb_db_bind_int(s, 1, agent_id);
    sb_db_bind_text(s, 2, hex);
    sb_db_bind_text(s, 3, csrf);
    sb_db_bind_int(s, 4, now);
    sb_db_bind_int(s, 5, expires);
    return step_done(s);
}

sb_err sb_store_session_lookup(sb_db *db, const unsigned char hash[32], int64_t now, sb_principal *p)
{
    sb_stmt *s = sb_db_prepare(db, "SELECT a.id, a.role, a.active, s.csrf_token FROM sessions s"
                                   " JOIN agents a ON a.id = s.agent_id"
                                   " WHERE s.session_hash = ? AND s.expires_at > ?");
    if (!s)
        return SB_E_INTERNAL;
    char hex[65];
    to_hex(hash, hex);
    sb_db_bind_text(s, 1, hex);
    sb_db_bind_int(s, 2, now);
    sb_err err = SB_E_UNAUTHORIZED;
    if (sb_db_step(s) == SB_DB_ROW) {
        principal_from_row(s, p);
        snprintf(p->csrf, sizeof p->csrf, "%s", sb_db_col_text(s, 3));
        err = p->active ? SB_OK : SB_E_UNAUTHORIZED;
    }
    sb_db_reset(s);
    return err;
}

sb_err sb_store_session_delete(sb_db *w, const unsigned char hash[32])
{
    sb_stmt *s = sb_db_prepare(w, "DELETE FROM sessions WHERE session_hash = ?");
    if (!s)
        return SB_E_INTERNAL;
    char hex[65];
    to_hex(hash, hex);
    sb_db_bind_text(s, 1, hex);
    return step_done(s);
}

/* ---- teams ---- */

#define TEAM_COLUMNS                                                                               \
    "t.id, t.name, t.tier, t.description,"                                                         \
    " (SELECT json_group_array(agent_id) FROM (SELECT agent_id FROM team_members m"                \
    "   WHERE m.team_id = t.id ORDER BY agent_id)) AS member_ids__json,"                           \
    " t.strategy, t.supervisor_id, t.escalation_team_id, t.oncall_json AS oncall__json," /* routing */ \
    " t.created_at, t.updated_at"

sb_err sb_store_team_insert(sb_db *w, const char *name, const char *tier, const char *desc,
                            int64_t now, int64_t *id_out)
{
    sb_stmt *s = sb_db_prepare(w, "INSERT INTO teams(name, tier, description, created_at, updated_at)"
                                  " VALUES (?, ?, ?, ?, ?) RETURNING id");
    if (!s)
        return SB_E_INTERNAL;
    sb_db_bind_text(s, 1, name);
    sb_db_bind_text(s, 2, tier);
    sb_db_bind_text(s, 3, desc ? desc : "");
    sb_db_bind_int(s, 4, now);
    sb_db_bind_int(s, 5, now);
    return step_returning_id(s, id_out);
}

sb_err sb_store_team_update(sb_db *w, int64_t id, const char *name, const char *tier,
                            const char *desc, int64_t now)
{
    sb_stmt *s = sb_db_prepare(w, "UPDATE teams SET name = COALESCE(?1, name), tier = COALESCE(?2, tier),"
                                  " description = COALESCE(?3, description), updated_at = ?4 WHERE id = ?5");
    if (!s)
        return SB_E_INTERNAL;
    sb_db_bind_opt_text(s, 1, name);
    sb_db_bind_opt_text(s, 2, tier);
    sb_db_bind_opt_text(s, 3, desc);
    sb_db_bind_int(s, 4, now);
    sb_db_bind_int(s, 5, id);
    sb_err err = step_done(s);
    if (err == SB_OK && sb_db_changes(w) == 0)
        return SB_E_NOT_FOUND;
    return err;
}

sb_err sb_store_team_set_members(sb_db *w, int64_t id, const int64_t *agent_ids, size_t n)
{
    sb_stmt *d = sb_db_prepare(w, "DELETE FROM team_members WHERE team_id = ?");
    if (!d)
        return SB_E_INTERNAL;
    sb_db_bind_int(d, 1, id);
    sb_err err = step_done(d);
    for (size_t i = 0; err == SB_OK && i < n; i++) {
        sb_stmt *s = sb_db_prepare(w, "INSERT OR IGNORE INTO team_members(team_id, agent_id) VALUES (?, ?)");
        if (!s)
            return SB_E_INTERNAL;
        sb_db_bind_int(s, 1, id);
        sb_db_bind_int(s, 2, agent_ids[i]);
        err = step_done(s);
    }
    return err == SB_E_CONFLICT ? SB_E_VALIDATION : err;
}

sb_err sb_store_team_delete(sb_db *w, int64_t id)
{
    sb_stmt *s = sb_db_prepare(w, "DELETE FROM teams WHERE id = ?");
    if (!s)
        return SB_E_INTERNAL;
    sb_db_bind_int(s, 1, id);
    sb_err err = step_done(s);
    if (err == SB_OK && sb_db_changes(w) == 0)
        return SB_E_NOT_FOUND;
    return err;
}

json_t *sb_store_team_get(sb_db *db, int64_t id)
{
    sb_stmt *s = sb_db_prepare(db, "SELECT " TEAM_COLUMNS " FROM teams t WHERE t.id = ?");
    if (!s)
        return NULL;
    sb_db_bind_int(s, 1, id);
    return one_row(s);
}

json_t *sb_store_team_list(sb_db *db)
{
    sb_stmt *s = sb_db_prepare(db, "SELECT " TEAM_COLUMNS " FROM teams t ORDER BY t.id");
    return s ? sb_store_rows_json(s) : NULL;
}

bool sb_store_team_exists(sb_db *db, int64_t id)
{
    return exists(db, "SELECT 1 FROM teams WHERE id = ?", id);
}

/* ---- organisations ---- */

#define ORG_COLUMNS "o.id, o.name, o.domain, o.account_manager_id, o.notes, o.created_at, o.updated_at"

sb_err sb_store_org_insert(sb_db *w, const char *name, const char *domain, int64_t manager_id,
                           const char *notes, int64_t now, int64_t *id_out)
{
    sb_stmt *s = sb_db_prepare(w, "INSERT INTO organizations(name, domain, account_manager_id, notes,"
                                  " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING id");
    if (!s)
        return SB_E_INTERNAL;
    sb_db_bind_text(s, 1, name);
    sb_db_bind_opt_text(s, 2, domain);
    sb_db_bind_id(s, 3, manager_id);
    sb_db_bind_text(s, 4, notes ? notes : "");
    sb_db_bind_int(s, 5, now);
    sb_db_bind_int(s, 6, now);
    return step_returning_id(s, id_out);
}

sb_err sb_store_org_update(sb_db *w, int64_t id, const char *name, const char *domain,
                           int64_t manager_id, const char *notes, int64_t now)
{
    /* manager_id: 0 keep, -1 clear, >0 set. domain: NULL keep, "" clear. */
    sb_stmt *s = sb_db_prepare(w, "UPDATE organizations SET name = COALESCE(?1, name),"
                                  " domain = CASE WHEN ?2 IS NULL THEN domain WHEN ?2 = '' THEN NULL ELSE ?2 END,"
                                  " account_manager_id = CASE WHEN ?3 = 0 THEN account_manager_id"
                                  "   WHEN ?3 < 0 THEN NULL ELSE ?3 END,"
                                  " notes = COALESCE(?4, notes), updated_at = ?5 WHERE id = ?6");
    if (!s)
        return SB_E_INTERNAL;
    sb_db_bind_opt_text(s, 1, name);
    sb_db_bind_opt_text(s, 2, domain);
    sb_db_bind_int(s, 3, manager_id);
    sb_db_bind_opt_text(s, 4, notes);
    sb_db_bind_int(s, 5, now);
    sb_db_bind_int(s, 6, id);
    sb_err err = step_done(s);
    if (err == SB_OK && sb_db_changes(w) == 0)
        return SB_E_NOT_FOUND;
    return err;
}

sb_err sb_store_org_delete(sb_db *w, int64_t id)
{
    sb_stmt *s = sb_db_prepare(w, "DELETE FROM organizations WHERE id = ?");
    if (!s)
        return SB_E_INTERNAL;
    sb_db_bind_int(s, 1, id);
    sb_err err = step_done(s);
    if (err == SB_OK && sb_db_changes(w) == 0)
        return SB_E_NOT_FOUND;
    return err;
}

json_t *sb_store_org_get(sb_db *db, int64_t id)
{
    sb_stmt *s = sb_db_prepare(db, "SELECT " ORG_COLUMNS " FROM organizations o WHERE o.id = ?");
    if (!s)
        return NULL;
    sb_db_bind_int(s, 1, id);
    return one_row(s);
}

json_t *sb_store_org_list(sb_db *db)
{
    sb_stmt *s = sb_db_prepare(db, "SELECT " ORG_COLUMNS " FROM organizations o ORDER BY o.id");
    return s ? sb_store_rows_json(s) : NULL;
}

bool sb_store_org_exists(sb_db *db, int64_t id)
{
    return exists(db, "SELECT 1 FROM organizations WHERE id = ?", id);
}

/* ---- contacts ---- */

#define CONTACT_COLUMNS                                                                            \
    "c.id, c.name, c.email, c.phone, c.organization_id,"                                           \
    " (SELECT json_group_array(json_object('kind', kind, 'value', value)) FROM"                    \
    "   (SELECT kind, value FROM contact_identities i WHERE i.contact_id = c.id ORDER BY i.id))"   \
    "   AS identities__json,"                                                                      \
    " c.created_at, c.updated_at"

sb_err sb_store_contact_insert(sb_db *w, const char *name, const char *email, const char *phone,
                               int64_t org_id, int64_t now, int64_t *id_out)
{
    sb_stmt *s = sb_db_prepare(w, "INSERT INTO contacts(name, email, phone, organization_id, created_at,"
                                  " updated_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING id");
    if (!s)
        return SB_E_INTERNAL;
    sb_db_bind_text(s, 1, name ? name : "");
    sb_db_bind_opt_text(s, 2, email);
    sb_db_bind_opt_text(s, 3, phone);
    sb_db_bind_id(s, 4, org_id);
    sb_db_bind_int(s, 5, now);
    sb_db_bind_int(s, 6, now);
    return step_returning_id(s, id_out);
}

sb_err sb_store_contact_update(sb_db *w, int64_t id, const char *name, const char *email,
                               const char *phone, int64_t org_id, int64_t now)
{
    /* NULL keeps, "" clears (email, phone); org_id 0 keeps, -1 clears. */
    sb_stmt *s = sb_db_prepare(w, "UPDATE contacts SET name = COALESCE(?1, name),"
                                  " email = CASE WHEN ?2 IS NULL THEN email WHEN ?2 = '' THEN NULL ELSE ?2 END,"
                                  " phone = CASE WHEN ?3 IS NULL THEN phone WHEN ?3 = '' THEN NULL ELSE ?3 END,"
                                  " organization_id = CASE WHEN ?4 = 0 THEN organization_id"
                                  "   WHEN ?4 < 0 THEN NULL ELSE ?4 END,"
                                  " updated_at = ?5 WHERE id = ?6");
    if (!s)
        return SB_E_INTERNAL;
    sb_db_bind_opt_text(s, 1, name);
    sb_db_bind_opt_text(s, 2, email);
    sb_db_bind_opt_text(s, 3, phone);
    sb_db_bind_int(s, 4, org_id);
    sb_db_bind_int(s, 5, now);
    sb_db_bind_int(s, 6, id);
    sb_err err = step_done(s);
    if (err == SB_OK && sb_db_changes(w) == 0)
        return SB_E_NOT_FOUND;
    return err;
}

sb_err sb_store_contact_delete(sb_db *w, int64_t id)
{
    if (exists(w, "SELECT 1 FROM conversations WHERE contact_id = ? LIMIT 1", id))
        return SB_E_CONFLICT;
    sb_stmt *s = sb_db_prepare(w, "DELETE FROM contacts WHERE id = ?");
    if (!s)
        return SB_E_INTERNAL;
    sb_db_bind_int(s, 1, id);
    sb_err err = step_done(s);
    if (err == SB_OK && sb_db_changes(w) == 0)
        return SB_E_NOT_FOUND;
    return err;
}

sb_err sb_store_identity_add(sb_db *w, int64_t contact_id, const char *kind, const char *value)
{
    int64_t owner = sb_store_contact_find(w, kind, value);
    if (owner == contact_id)
        return SB_OK;
    if (owner > 0)
        return SB_E_CONFLICT;
    sb_stmt *s = sb_db_prepare(w, "INSERT INTO contact_identities(contact_id, kind, value) VALUES (?, ?, ?)");
    if (!s)
        return SB_E_INTERNAL;
    sb_db_bind_int(s, 1, contact_id);
    sb_db_bind_text(s, 2, kind);
    sb_db_bind_text(s, 3, value);
    return step_done(s);
}

sb_err sb_store_identity_clear(sb_db *w, int64_t contact_id)
{
    sb_stmt *s = sb_db_prepare(w, "DELETE FROM contact_identities WHERE contact_id = ?");
    if (!s)
        return SB_E_INTERNAL;
    sb_db_bind_int(s, 1, contact_id);
    return step_done(s);
}

int64_t sb_store_contact_find(sb_db *db, const char *kind, const char *value)
{
    sb_stmt *s = sb_db_prepare(db, "SELECT contact_id FROM contact_identities WHERE kind = ? AND value = ?");
    if (!s)
        return 0;
    sb_db_bind_text(s, 1, kind);
    sb_db_bind_text(s, 2, value);
    int64_t id = sb_db_step(s) == SB_DB_ROW ? sb_db_col_int(s, 0) : 0;
    sb_db_reset(s);
    return id;
}

json_t *sb_store_contact_get(sb_db *db, int64_t id)
{
    sb_stmt *s = sb_db_prepare(db, "SELECT " CONTACT_COLUMNS " FROM contacts c WHERE c.id = ?");
    if (!s)
        return NULL;
    sb_db_bind_int(s, 1, id);
    return one_row(s);
}

json_t *sb_store_contact_list(sb_db *db, const char *q, int64_t org_id, int64_t after_id, int limit)
{
    sb_stmt *s = sb_db_prepare(db, "SELECT " CONTACT_COLUMNS " FROM contacts c WHERE c.id > ?1"
                                   " AND (?2 IS NULL OR c.name LIKE ?2 ESCAPE '\\' OR c.email LIKE ?2 ESCAPE '\\'"
                                   "      OR c.phone LIKE ?2 ESCAPE '\\')"
                                   " AND (?3 = 0 OR c.organization_id = ?3)"
                                   " ORDER BY c.id LIMIT ?4");
    if (!s)
        return NULL;
    sb_db_bind_int(s, 1, after_id);
    if (q) {
        /* Substring match: escape LIKE's wildcards in the user's text. */
        size_t n = strlen(q);
        char *pat = malloc(2 * n + 3);
        if (!pat) {
            sb_db_reset(s);
            return NULL;
        }
        char *p = pat;
        *p++ = '%';
        for (size_t i = 0; i < n; i++) {
            if (q[i] == '%' || q[i] == '_' || q[i] == '\\')
                *p++ = '\\';
            *p++ = q[i];
        }
        *p++ = '%';
        *p = '\0';
        sb_db_bind_text(s, 2, pat);
        free(pat);
    }
    sb_db_bind_int(s, 3, org_id);
    sb_db_bind_int(s, 4, limit);
    return sb_store_rows_json(s);
}

json_t *sb_store_conv_ids_with_team(sb_db *db, int64_t team_id)
{
    sb_stmt *s = sb_db_prepare(db, "SELECT id FROM conversations WHERE team_id = ?");
    if (!s)
        return NULL;
    sb_db_bind_int(s, 1, team_id);
    json_t *ids = json_array();
    while (sb_db_step(s) == SB_DB_ROW)
        json_array_append_new(ids, json_integer(sb_db_col_int(s, 0)));
    sb_db_reset(s);
    return ids;
}
