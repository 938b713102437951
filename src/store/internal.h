/* Statement helpers shared by the store's own files (not for other layers). */
#ifndef SB_STORE_INTERNAL_H
#define SB_STORE_INTERNAL_H

#include "store/store.h"

static inline sb_err step_done(sb_stmt *s)
{
    int rc = sb_db_step(s);
    sb_db_reset(s);
    if (rc == SB_DB_DONE || rc == SB_DB_ROW)
        return SB_OK;
    return rc == SB_DB_CONSTRAINT ? SB_E_CONFLICT : SB_E_INTERNAL;
}

static inline sb_err step_returning_id(sb_stmt *s, int64_t *id_out)
{
    int rc = sb_db_step(s);
    int64_t id = rc == SB_DB_ROW ? sb_db_col_int(s, 0) : 0;
    sb_db_reset(s);
    if (rc == SB_DB_ROW) {
        if (id_out)
            *id_out = id;
        return SB_OK;
    }
    return rc == SB_DB_CONSTRAINT ? SB_E_CONFLICT : SB_E_INTERNAL;
}

static inline json_t *one_row(sb_stmt *s)
{
    json_t *o = sb_db_step(s) == SB_DB_ROW ? sb_db_row_json(s) : NULL;
    sb_db_reset(s);
    return o;
}

static inline bool exists(sb_db *db, const char *sql, int64_t id)
{
    sb_stmt *s = sb_db_prepare(db, sql);
    if (!s)
        return false;
    sb_db_bind_int(s, 1, id);
    bool found = sb_db_step(s) == SB_DB_ROW;
    sb_db_reset(s);
    return found;
}

#endif
