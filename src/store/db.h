/* The narrow, versioned database driver interface that store/ is written on.
 * One driver per engine (sqlite/ now, postgres/ later); callers use the inline
 * wrappers and never touch the dispatch. SQL uses '?' placeholders; a driver
 * rewrites them if its engine needs another style. */
#ifndef SB_STORE_DB_H
#define SB_STORE_DB_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "store/migrations.h"

typedef struct sb_db sb_db;     /* one connection */
typedef struct sb_stmt sb_stmt; /* a prepared statement, cached per connection */

enum { SB_DB_ROW = 1, SB_DB_DONE = 2, SB_DB_ERROR = -1, SB_DB_CONSTRAINT = -2, SB_DB_BUSY = -3 };

enum { SB_DB_OPEN_READONLY = 1 };

/* Few places differ between engines; they live in the dialect. */
typedef struct {
    const char *search_sql;      /* full-text search, see store_search.c */
    const char *fts_insert_sql;  /* (rowid: message id, or -conversation id for the subject; conversation_id, message_id, subject, body) */
    const char *fts_delete_sql; /* by rowid */
    /* Hot list reads render each item as JSON inside the engine (see store_conversations.c
     * for the parameters and the columns after the JSON text). */
    const char *conv_list_json_sql;
    const char *conv_list_status_json_sql; /* the same for exactly one status: an index range */
    const char *message_list_json_sql;
    const sb_migration *(*migrations)(int *count);
} sb_db_dialect;

typedef struct sb_db_driver {
    int version; /* 1 */
    const char *name;
    const sb_db_dialect *dialect;
    int (*open)(const char *path, int flags, sb_db **out, char *err, size_t errlen);
    void (*close)(sb_db *db);
    /* `sql` must outlive the connection (a string literal): it is the cache key. */
    sb_stmt *(*prepare)(sb_db *db, const char *sql);
    /* One-off statement, not cached; free with finalize. */
    sb_stmt *(*prepare_once)(sb_db *db, const char *sql);
    void (*finalize)(sb_stmt *st);
    void (*bind_int64)(sb_stmt *st, int idx, int64_t v);
    void (*bind_text)(sb_stmt *st, int idx, const char *s);
    void (*bind_null)(sb_stmt *st, int idx);
    void (*bind_blob)(sb_stmt *st, int idx, const void *data, size_t len);
    int (*step)(sb_stmt *st);
    /* Clears bindings and ends the statement's read; always call when done. */
    void (*reset)(sb_stmt *st);
    int64_t (*column_int64)(sb_stmt *st, int col);
    const char *(*column_text)(sb_stmt *st, int col);
    const void *(*column_blob)(sb_stmt *st, int col, size_t *len);
    int (*column_is_null)(sb_stmt *st, int col);
    /* The current row as a JSON object, see sb_db_row_json below. */
    json_t *(*row_json)(sb_stmt *st);
    int (*exec)(sb_db *db, const char *sql);
    int (*changes)(sb_db *db);
    const char *(*errmsg)(sb_db *db);
    void (*set_user)(sb_db *db, void *user);
    /* Whether a transaction is open (an engine may roll one back on its own after I/O errors). */
    int (*in_transaction)(sb_db *db);
    void *(*get_user)(sb_db *db);
} sb_db_driver;

extern const sb_db_driver sb_sqlite_driver;

/* The process uses one driver; set once at store open. */
extern const sb_db_driver *sb_db_active;

static inline sb_stmt *sb_db_prepare(sb_db *db, const char *sql) { return sb_db_active->prepare(db, sql); }
static inline void sb_db_bind_int(sb_stmt *st, int i, int64_t v) { sb_db_active->bind_int64(st, i, v); }
static inline void sb_db_bind_text(sb_stmt *st, int i, const char *s) { sb_db_active->bind_text(st, i, s); }
static inline void sb_db_bind_null(sb_stmt *st, int i) { sb_db_active->bind_null(st, i); }
static inline int sb_db_step(sb_stmt *st) { return sb_db_active->step(st); }
static inline void sb_db_reset(sb_stmt *st) { sb_db_active->reset(st); }
static inline int64_t sb_db_col_int(sb_stmt *st, int c) { return sb_db_active->column_int64(st, c); }
static inline const char *sb_db_col_text(sb_stmt *st, int c) { return sb_db_active->column_text(st, c); }
static inline int sb_db_col_null(sb_stmt *st, int c) { return sb_db_active->column_is_null(st, c); }
static inline int sb_db_exec(sb_db *db, const char *sql) { return sb_db_active->exec(db, sql); }
static inline int sb_db_changes(sb_db *db) { return sb_db_active->changes(db); }
static inline const char *sb_db_errmsg(sb_db *db) { return sb_db_active->errmsg(db); }

/* Row to JSON conventions (shared by every driver):
 *  - integer columns whose name ends in "_at" are epoch milliseconds -> RFC 3339 strings;
 *  - a column named "x__bool" becomes boolean "x";
 *  - a column named "x__json" holds JSON text and becomes the parsed value "x";
 *  - NULL -> null, integers -> integers, text -> strings. */
json_t *sb_db_row_json(sb_stmt *st);

/* Binds an optional integer: v <= 0 binds NULL. */
static inline void sb_db_bind_id(sb_stmt *st, int i, int64_t v)
{
    if (v > 0)
        sb_db_bind_int(st, i, v);
    else
        sb_db_bind_null(st, i);
}

static inline void sb_db_bind_opt_text(sb_stmt *st, int i, const char *s)
{
    if (s)
        sb_db_bind_text(st, i, s);
    else
        sb_db_bind_null(st, i);
}

#endif
