/* SQLite driver: WAL, prepared statements cached per connection by SQL pointer. */
#include <pthread.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/db.h"
#include "util/log.h"
#include "util/time.h"

#define STMT_CACHE_SLOTS 512 /* power of two, well above the number of SQL strings */

struct sb_stmt {
    sqlite3_stmt *st;
    sb_db *db;
};

struct sb_db {
    sqlite3 *h;
    void *user;
    struct {
        const char *sql;
        sb_stmt stmt;
    } cache[STMT_CACHE_SLOTS];
};

/* Epoch milliseconds -> RFC 3339 UTC text (NULL stays NULL). */
#define TS(col) "strftime('%Y-%m-%dT%H:%M:%SZ', " col " / 1000, 'unixepoch')"

static const sb_db_dialect sqlite_dialect = {
    .search_sql =
        "SELECT f.conversation_id, NULLIF(f.message_id, 0) AS message_id, c.subject, c.status,"
        " snippet(search_fts, -1, '[', ']', '…', 12) AS snippet, bm25(search_fts, 4.0, 1.0) AS rank"
        " FROM search_fts f JOIN conversations c ON c.id = f.conversation_id"
        " WHERE search_fts MATCH ?1 AND (?2 IS NULL OR instr(?2, ',' || c.status || ',') > 0)"
        " ORDER BY rank LIMIT ?3",
    .fts_insert_sql =
        "INSERT INTO search_fts(rowid, conversation_id, message_id, subject, body) VALUES (?, ?, ?, ?, ?)",
    .fts_delete_sql =
        "DELETE FROM search_fts WHERE rowid = ?",
    .conv_list_json_sql =
        "SELECT c.list_json, c.queue_rank, c.id FROM conversations c"
        " WHERE (?1 IS NULL OR instr(?1, ',' || c.status || ',') > 0)"
        " AND (?2 = 0 OR (?2 = -1 AND c.assignee_id IS NULL) OR c.assignee_id = ?2)"
        " AND (?3 = 0 OR (?3 = -1 AND c.team_id IS NULL) OR c.team_id = ?3)"
        " AND (?4 = 0 OR c.contact_id = ?4)"
        " AND (?5 IS NULL OR c.priority = ?5)"
        " AND (?6 IS NULL OR c.id IN (SELECT ct.conversation_id FROM conversation_tags ct"
        "      JOIN tags t ON t.id = ct.tag_id WHERE t.name = ?6))"
        " AND (c.queue_rank > ?7 OR (c.queue_rank = ?7 AND c.id > ?8))"
        " ORDER BY c.queue_rank, c.id LIMIT ?9",
    .conv_list_status_json_sql =
        "SELECT c.list_json, c.queue_rank, c.id FROM conversations c"
        " WHERE c.status = ?1"
        " AND (?2 = 0 OR (?2 = -1 AND c.assignee_id IS NULL) OR c.assignee_id = ?2)"
        " AND (?3 = 0 OR (?3 = -1 AND c.team_id IS NULL) OR c.team_id = ?3)"
        " AND (?4 = 0 OR c.contact_id = ?4)"
        " AND (?5 IS NULL OR c.priority = ?5)"
        " AND (?6 IS NULL OR c.id IN (SELECT ct.conversation_id FROM conversation_tags ct"
        "      JOIN tags t ON t.id = ct.tag_id WHERE t.name = ?6))"
        " AND (c.queue_rank > ?7 OR (c.queue_rank = ?7 AND c.id > ?8))"
        " ORDER BY c.queue_rank, c.id LIMIT ?9",
    .message_list_json_sql =
        "SELECT json_object('id', m.id, 'conversation_id', m.conversation_id, 'direction', m.direction,"
        " 'internal', json(CASE WHEN m.internal THEN 'true' ELSE 'false' END), 'kind', m.kind,"
        " 'author', json_object('type', m.author_type, 'id', m.author_id, 'name',"
        "   CASE m.author_type WHEN 'agent' THEN (SELECT name FROM agents WHERE id = m.author_id)"
        "   WHEN 'contact' THEN (SELECT name FROM contacts WHERE id = m.author_id) END),"
        " 'body_text', m.body_text, 'body_html', m.body_html, 'body_full', m.body_full,"
        " 'created_at', " TS("m.created_at") ","
        " 'attachments', json((SELECT json_group_array(json_object('id', a.id, 'filename', a.filename,"
        "   'content_type', a.content_type, 'size', a.size,"
        "   'inline', json(CASE WHEN a.inline THEN 'true' ELSE 'false' END), 'content_id', a.content_id,"
        "   'url', '/api/v1/attachments/' || a.id)) FROM attachments a WHERE a.message_id = m.id)),"
        " 'email', json(m.email_json),"
        " 'raw_url', CASE WHEN m.raw_size IS NULL THEN NULL ELSE '/api/v1/messages/' || m.id || '/raw' END,"
        " 'delivery', CASE WHEN m.delivery_status IS NULL THEN NULL ELSE"
        "   json_object('status', m.delivery_status, 'error', m.delivery_error) END),"
        " m.id FROM messages m WHERE m.conversation_id = ?1 AND m.id > ?2 ORDER BY m.id LIMIT ?3",
    .migrations = sb_sqlite_migrations,
};

static void sq_global_init(void)
{
    /* Connections are never shared between threads, and the allocator's statistics take a
     * global mutex on every malloc: both would serialise the readers. */
    sqlite3_config(SQLITE_CONFIG_MULTITHREAD);
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    sqlite3_initialize();
}

static int sq_open(const char *path, int flags, sb_db **out, char *err, size_t errlen)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, sq_global_init);
    sb_db *db = calloc(1, sizeof *db);
    if (!db) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    int oflags = SQLITE_OPEN_NOMUTEX |
                 ((flags & SB_DB_OPEN_READONLY) ? SQLITE_OPEN_READONLY
                                                : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    if (sqlite3_open_v2(path, &db->h, oflags, NULL) != SQLITE_OK) {
        snprintf(err, errlen, "cannot open %s: %s", path, db->h ? sqlite3_errmsg(db->h) : "?");
        sqlite3_close(db->h);
        free(db);
        return -1;
    }
    sqlite3_busy_timeout(db->h, 10000);
    sqlite3_extended_result_codes(db->h, 1);
    const char *pragmas =
        (flags & SB_DB_OPEN_READONLY)
            ? "PRAGMA foreign_keys=ON; PRAGMA cache_size=-16000; PRAGMA mmap_size=268435456;"
            : "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;"
              " PRAGMA cache_size=-32000; PRAGMA mmap_size=268435456; PRAGMA temp_store=MEMORY;"
              " PRAGMA wal_autocheckpoint=4000;";
    char *msg = NULL;
    if (sqlite3_exec(db->h, pragmas, NULL, NULL, &msg) != SQLITE_OK) {
        snprintf(err, errlen, "cannot configure %s: %s", path, msg ? msg : "?");
        sqlite3_free(msg);
        sqlite3_close(db->h);
        free(db);
        return -1;
    }
    *out = db;
    return 0;
}

static void sq_close(sb_db *db)
{
    if (!db)
        return;
    for (int i = 0; i < STMT_CACHE_SLOTS; i++)
        if (db->cache[i].sql)
            sqlite3_finalize(db->cache[i].stmt.st);
    sqlite3_close(db->h);
    free(db);
}

static sb_stmt *sq_prepare(sb_db *db, const char *sql)
{
    uintptr_t hash = (uintptr_t)sql;
    hash ^= hash >> 17;
    hash *= 0x9E3779B1u;
    for (unsigned probe = 0; probe < STMT_CACHE_SLOTS; probe++) {
        unsigned slot = (unsigned)(hash + probe) & (STMT_CACHE_SLOTS - 1);
        if (db->cache[slot].sql == sql)
            return &db->cache[slot].stmt;
        if (!db->cache[slot].sql) {
            sqlite3_stmt *st;
            if (sqlite3_prepare_v3(db->h, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL) != SQLITE_OK) {
                sb_error("msg=\"prepare failed\" err=\"%s\" sql=\"%.120s\"", sqlite3_errmsg(db->h), sql);
                return NULL;
            }
            db->cache[slot].sql = sql;
            db->cache[slot].stmt.st = st;
            db->cache[slot].stmt.db = db;
            return &db->cache[slot].stmt;
        }
    }
    sb_error("msg=\"statement cache full\"");
    return NULL;
}

static sb_stmt *sq_prepare_once(sb_db *db, const char *sql)
{
    sb_stmt *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    if (sqlite3_prepare_v2(db->h, sql, -1, &s->st, NULL) != SQLITE_OK) {
        sb_error("msg=\"prepare failed\" err=\"%s\"", sqlite3_errmsg(db->h));
        free(s);
        return NULL;
    }
    s->db = db;
    return s;
}

static void sq_finalize(sb_stmt *s)
{
    if (!s)
        return;
    sqlite3_finalize(s->st);
    free(s);
}

static void sq_bind_int64(sb_stmt *s, int i, int64_t v) { sqlite3_bind_int64(s->st, i, v); }
static void sq_bind_text(sb_stmt *s, int i, const char *t) { sqlite3_bind_text(s->st, i, t, -1, SQLITE_TRANSIENT); }
static void sq_bind_null(sb_stmt *s, int i) { sqlite3_bind_null(s->st, i); }
static void sq_bind_blob(sb_stmt *s, int i, const void *d, size_t n)
{
    sqlite3_bind_blob64(s->st, i, d, (sqlite3_uint64)n, SQLITE_TRANSIENT);
}
static const void *sq_col_blob(sb_stmt *s, int c, size_t *n)
{
    const void *p = sqlite3_column_blob(s->st, c);
    *n = (size_t)sqlite3_column_bytes(s->st, c);
    return p;
}

static int sq_step(sb_stmt *s)
{
    int rc = sqlite3_step(s->st);
    switch (rc & 0xff) {
    case SQLITE_ROW:
        return SB_DB_ROW;
    case SQLITE_DONE:
        return SB_DB_DONE;
    case SQLITE_CONSTRAINT:
        return SB_DB_CONSTRAINT;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        sb_warn("msg=\"database busy\" err=\"%s\"", sqlite3_errmsg(s->db->h));
        return SB_DB_BUSY;
    default:
        sb_error("msg=\"step failed\" err=\"%s\" sql=\"%.120s\"", sqlite3_errmsg(s->db->h), sqlite3_sql(s->st));
        return SB_DB_ERROR;
    }
}

static void sq_reset(sb_stmt *s)
{
    sqlite3_reset(s->st);
    sqlite3_clear_bindings(s->st);
}

static int64_t sq_col_int(sb_stmt *s, int c) { return sqlite3_column_int64(s->st, c); }
static const char *sq_col_text(sb_stmt *s, int c) { return (const char *)sqlite3_column_text(s->st, c); }
static int sq_col_null(sb_stmt *s, int c) { return sqlite3_column_type(s->st, c) == SQLITE_NULL; }

static json_t *sq_row_json(sb_stmt *s)
{
    json_t *obj = json_object();
    int n = sqlite3_column_count(s->st);
    for (int c = 0; c < n; c++) {
        const char *name = sqlite3_column_name(s->st, c);
        size_t nlen = strlen(name);
        int type = sqlite3_column_type(s->st, c);
        char key[64];
        json_t *v;
        if (nlen > 6 && strcmp(name + nlen - 6, "__bool") == 0) {
            snprintf(key, sizeof key, "%.*s", (int)(nlen - 6), name);
            v = json_boolean(sqlite3_column_int64(s->st, c) != 0);
            json_object_set_new(obj, key, v);
            continue;
        }
        if (nlen > 6 && strcmp(name + nlen - 6, "__json") == 0) {
            snprintf(key, sizeof key, "%.*s", (int)(nlen - 6), name);
            v = NULL;
            if (type != SQLITE_NULL) {
                const char *txt = (const char *)sqlite3_column_text(s->st, c);
                v = json_loadb(txt, (size_t)sqlite3_column_bytes(s->st, c), 0, NULL);
            }
            json_object_set_new(obj, key, v ? v : json_null());
            continue;
        }
        switch (type) {
        case SQLITE_NULL:
            v = json_null();
            break;
        case SQLITE_INTEGER:
            if (nlen > 3 && strcmp(name + nlen - 3, "_at") == 0) {
                char ts[32];
                sb_time_format(sqlite3_column_int64(s->st, c), ts, sizeof ts);
                v = json_string(ts);
            } else {
                v = json_integer(sqlite3_column_int64(s->st, c));
            }
            break;
        case SQLITE_FLOAT:
            v = json_real(sqlite3_column_double(s->st, c));
            break;
        default:
            v = json_stringn_nocheck((const char *)sqlite3_column_text(s->st, c),
                                     (size_t)sqlite3_column_bytes(s->st, c));
            break;
        }
        json_object_set_new_nocheck(obj, name, v);
    }
    return obj;
}

static int sq_exec(sb_db *db, const char *sql)
{
    char *msg = NULL;
    int rc = sqlite3_exec(db->h, sql, NULL, NULL, &msg);
    if (rc != SQLITE_OK) {
        sb_error("msg=\"exec failed\" err=\"%s\" sql=\"%.80s\"", msg ? msg : "?", sql);
        sqlite3_free(msg);
        return (rc & 0xff) == SQLITE_CONSTRAINT ? SB_DB_CONSTRAINT : SB_DB_ERROR;
    }
    return 0;
}

static int sq_changes(sb_db *db) { return sqlite3_changes(db->h); }
static const char *sq_errmsg(sb_db *db) { return sqlite3_errmsg(db->h); }
static void sq_set_user(sb_db *db, void *u) { db->user = u; }
static void *sq_get_user(sb_db *db) { return db->user; }
static int sq_in_transaction(sb_db *db) { return !sqlite3_get_autocommit(db->h); }

const sb_db_driver sb_sqlite_driver = {
    .version = 1,
    .name = "sqlite",
    .dialect = &sqlite_dialect,
    .open = sq_open,
    .close = sq_close,
    .prepare = sq_prepare,
    .prepare_once = sq_prepare_once,
    .finalize = sq_finalize,
    .bind_int64 = sq_bind_int64,
    .bind_text = sq_bind_text,
    .bind_null = sq_bind_null,
    .bind_blob = sq_bind_blob,
    .step = sq_step,
    .reset = sq_reset,
    .column_int64 = sq_col_int,
    .column_text = sq_col_text,
    .column_blob = sq_col_blob,
    .column_is_null = sq_col_null,
    .row_json = sq_row_json,
    .exec = sq_exec,
    .changes = sq_changes,
    .errmsg = sq_errmsg,
    .set_user = sq_set_user,
    .get_user = sq_get_user,
    .in_transaction = sq_in_transaction,
};

const sb_db_driver *sb_db_active = &sb_sqlite_driver;

json_t *sb_db_row_json(sb_stmt *st) { return sb_db_active->row_json(st); }
