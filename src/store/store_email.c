/* Email: attachments, Message-IDs for threading, Cc participants, mailboxes, automatic-mail
 * log, settings. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/internal.h"
#include "store/store.h"

sb_err sb_store_message_set_delivery(sb_db *w, int64_t message_id, const char *status, const char *error)
{
    sb_stmt *s = sb_db_prepare(w, "UPDATE messages SET delivery_status = ?, delivery_error = ? WHERE id = ?");
    if (!s)
        return SB_E_INTERNAL;
    sb_db_bind_text(s, 1, status);
    sb_db_bind_opt_text(s, 2, error);
    sb_db_bind_int(s, 3, message_id);
    return step_done(s);
}

json_t *sb_store_message_row(sb_db *db, int64_t message_id)
{
    sb_stmt *s = sb_db_prepare(db, "SELECT id, conversation_id, kind, direction, internal, author_type, author_id,"
                                   " body_text, delivery_status, email_json AS email__json"
                                   " FROM messages WHERE id = ?");
    if (!s)
        return NULL;
    sb_db_bind_int(s, 1, message_id);
    return one_row(s);
}

sb_err sb_store_attachment_insert(sb_db *w, int64_t message_id, const char *filename, const char *content_type,
                                  int64_t size, const char *sha256, bool is_inline, const char *content_id,
                                  int64_t now)
{
    sb_stmt *s = sb_db_prepare(w, "INSERT INTO attachments(message_id, filename, content_type, size, sha256,"
                                  " inline, content_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
    if (!s)
        return SB_E_INTERNAL;
    sb_db_bind_int(s, 1, message_id);
    sb_db_bind_text(s, 2, filename);
    sb_db_bind_text(s, 3, content_type);
    sb_db_bind_int(s, 4, size);
    sb_db_bind_text(s, 5, sha256);
    sb_db_bind_int(s, 6, is_inline);
    sb_db_bind_opt_text(s, 7, content_id);
    sb_db_bind_int(s, 8, now);
    return step_done(s);
}

json_t *sb_store_attachment_get(sb_db *db, int64_t id)
{
    sb_stmt *s = sb_db_prepare(db, "SELECT a.id, a.message_id, a.filename, a.content_type, a.size, a.sha256,"
                                   " m.conversation_id FROM attachments a JOIN messages m ON m.id = a.message_id"
                                   " WHERE a.id = ?");
    if (!s)
        return NULL;
    sb_db_bind_int(s, 1, id);
    return one_row(s);
}

json_t *sb_store_attachment_by_sha(sb_db *db, const char *sha256)
{
    sb_stmt *s = sb_db_prepare(db, "SELECT a.id, a.message_id, a.filename, a.content_type, a.size, a.sha256"
                                   " FROM attachments a WHERE a.sha256 = ? ORDER BY a.id LIMIT 1");
    if (!s)
        return NULL;
    sb_db_bind_text(s, 1, sha256);
    return one_row(s);
}

sb_err sb_store_email_id_add(sb_db *w, const char *rfc_id, int64_t mailbox_id, int64_t conversation_id,
                             int64_t message_id, bool outbound)
{
    sb_stmt *s = sb_db_prepare(w, "INSERT OR IGNORE INTO email_ids(rfc_message_id, mailbox_id, conversation_id,"
                                  " message_id, outbound) VALUES (?, ?, ?, ?, ?)");
    if (!s)
        return SB_E_INTERNAL;
    sb_db_bind_text(s, 1, rfc_id);
    sb_db_bind_id(s, 2, mailbox_id);
    sb_db_bind_int(s, 3, conversation_id);
    sb_db_bind_id(s, 4, message_id);
    sb_db_bind_int(s, 5, outbound);
    return step_done(s);
}

int64_t sb_store_email_id_conversation(sb_db *db, const char *rfc_id, int outbound, int64_t *message_id)
{
    sb_stmt *s = sb_db_prepare(db, "SELECT conversation_id, message_id FROM email_ids WHERE rfc_message_id = ?"
                                   " AND (?2 < 0 OR outbound = ?2) ORDER BY conversation_id DESC LIMIT 1");
    if (!s)
        return 0;
    sb_db_bind_text(s, 1, rfc_id);
    sb_db_bind_int(s, 2, outbound);
    int64_t conv = 0;
    if (sb_db_step(s) == SB_DB_ROW) {
        conv = sb_db_col_int(s, 0);
        if (message_id)
            *message_id = sb_db_col_int(s, 1);
    }
    sb_db_reset(s);
    return conv;
}

json_t *sb_store_email_ids_of(sb_db *db, int64_t conversation_id)
{
    sb_stmt *s = sb_db_prepare(db, "SELECT rfc_message_id AS id, outbound AS outbound__bool FROM email_ids"
                                   " WHERE conversation_id = ? ORDER BY COALESCE(message_id, 0), rowid");
    if (!s)
        return NULL;
    sb_db_bind_int(s, 1, conversation_id);
    return sb_store_rows_json(s);
}

char *sb_store_email_id_of_message(sb_db *db, int64_t message_id)
{
    sb_stmt *s = sb_db_prepare(db, "SELECT rfc_message_id FROM email_ids WHERE message_id = ? AND outbound = 1");
    if (!s)
        return NULL;
    sb_db_bind_int(s, 1, message_id);
    char *id = sb_db_step(s) == SB_DB_ROW ? strdup(sb_db_col_text(s, 0)) : NULL;
    sb_db_reset(s);
    return id;
}

sb_err sb_store_conv_cc_add(sb_db *w, int64_t conversation_id, const char *address, const char *name)
{
    sb_stmt *s = sb_db_prepare(w, "INSERT OR IGNORE INTO conversation_cc(conversation_id, address, name)"
                                  " VALUES (?, ?, ?)");
    if (!s)
        return SB_E_INTERNAL;
    sb_db_bind_int(s, 1, conversation_id);
    sb_db_bind_text(s, 2, address);
    sb_db_bind_text(s, 3, name ? name : "");
    return step_done(s);
}

json_t *sb_store_conv_cc_list(sb_db *db, int64_t conversation_id)
{
    sb_stmt *s = sb_db_prepare(db, "SELECT address, name FROM conversation_cc WHERE conversation_id = ?"
                                   " ORDER BY rowid");
    if (!s)
        return NULL;
    sb_db_bind_int(s, 1, conversation_id);
    return sb_store_rows_json(s);
}

bool sb_store_conv_cc_has(sb_db *db, int64_t conversation_id, const char *address)
{
    sb_stmt *s = sb_db_prepare(db, "SELECT 1 FROM conversation_cc WHERE conversation_id = ? AND address = ?");
    if (!s)
        return false;
    sb_db_bind_int(s, 1, conversation_id);
    sb_db_bind_text(s, 2, address);
    bool found = sb_db_step(s) == SB_DB_ROW;
    sb_db_reset(s);
    return found;
}

/* ---- mailboxes ---- */

static const char *field(json_t *f, const char *k)
{
    return json_string_value(json_object_get(f, k));
}

sb_err sb_store_mailbox_insert(sb_db *w, json_t *f, int64_t now, int64_t *id_out)
{
    sb_stmt *s = sb_db_prepare(w, "INSERT INTO mailboxes(address, name, team_id, smtp_url, smtp_user, smtp_password,"
                                  " imap_url, imap_user, imap_password, imap_poll_seconds, ack_enabled, ack_template,"
                                  " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                                  " RETURNING id");
    if (!s)
        return SB_E_INTERNAL;
    json_t *poll = json_object_get(f, "imap_poll_seconds");
    sb_db_bind_text(s, 1, field(f, "address"));
    sb_db_bind_text(s, 2, field(f, "name") ? field(f, "name") : "");
    sb_db_bind_id(s, 3, json_integer_value(json_object_get(f, "team_id")));
    sb_db_bind_opt_text(s, 4, field(f, "smtp_url"));
    sb_db_bind_opt_text(s, 5, field(f, "smtp_user"));
    sb_db_bind_opt_text(s, 6, field(f, "smtp_password"));
    sb_db_bind_opt_text(s, 7, field(f, "imap_url"));
    sb_db_bind_opt_text(s, 8, field(f, "imap_user"));
    sb_db_bind_opt_text(s, 9, field(f, "imap_password"));
    sb_db_bind_int(s, 10, poll ? json_integer_value(poll) : 60);
    sb_db_bind_int(s, 11, json_is_true(json_object_get(f, "ack_enabled")));
    sb_db_bind_text(s, 12, field(f, "ack_template") ? field(f, "ack_template") : "");
    sb_db_bind_int(s, 13, now);
    sb_db_bind_int(s, 14, now);
    int rc = sb_db_step(s);
    int64_t id = rc == SB_DB_ROW ? sb_db_col_int(s, 0) : 0;
    sb_db_reset(s);
    if (rc != SB_DB_ROW)
        return rc == SB_DB_CONSTRAINT ? SB_E_CONFLICT : SB_E_INTERNAL;
    *id_out = id;
    return SB_OK;
}

sb_err sb_store_mailbox_update(sb_db *w, int64_t id, json_t *f, int64_t now)
{
    /* A key that is present (even null) replaces the value; absent keys keep it. */
    static const char *const text_cols[] = {"name", "smtp_url", "smtp_user", "smtp_password", "imap_url",
                                            "imap_user", "imap_password", "ack_template", NULL};
    static const char *const sql[] = {
        "UPDATE mailboxes SET name = COALESCE(?, '') WHERE id = ?",
        "UPDATE mailboxes SET smtp_url = ? WHERE id = ?",
        "UPDATE mailboxes SET smtp_user = ? WHERE id = ?",
        "UPDATE mailboxes SET smtp_password = ? WHERE id = ?",
        "UPDATE mailboxes SET imap_url = ? WHERE id = ?",
        "UPDATE mailboxes SET imap_user = ? WHERE id = ?",
        "UPDATE mailboxes SET imap_password = ? WHERE id = ?",
        "UPDATE mailboxes SET ack_template = COALESCE(?, '') WHERE id = ?",
    };
    sb_err err = SB_OK;
    for (int i = 0; text_cols[i] && err == SB_OK; i++) {
        if (!json_object_get(f, text_cols[i]))
            continue;
        sb_stmt *s = sb_db_prepare(w, sql[i]);
        if (!s)
            return SB_E_INTERNAL;
        sb_db_bind_opt_text(s, 1, field(f, text_cols[i]));
        sb_db_bind_int(s, 2, id);
        err = step_done(s);
    }
    sb_stmt *s = sb_db_prepare(w, "UPDATE mailboxes SET"
                                  " team_id = CASE WHEN ?1 = 0 THEN team_id WHEN ?1 < 0 THEN NULL ELSE ?1 END,"
                                  " imap_poll_seconds = COALESCE(?2, imap_poll_seconds),"
                                  " ack_enabled = COALESCE(?3, ack_enabled), updated_at = ?4 WHERE id = ?5");
    if (!s || err != SB_OK)
        return err != SB_OK ? err : SB_E_INTERNAL;
    json_t *team = json_object_get(f, "team_id"), *poll = json_object_get(f, "imap_poll_seconds"),
           *ack = json_object_get(f, "ack_enabled");
    sb_db_bind_int(s, 1, !team ? 0 : json_is_null(team) ? -1 : json_integer_value(team));
    if (poll)
        sb_db_bind_int(s, 2, json_integer_value(poll));
    if (ack)
        sb_db_bind_int(s, 3, json_is_true(ack));
    sb_db_bind_int(s, 4, now);
    sb_db_bind_int(s, 5, id);
    err = step_done(s);
    if (err == SB_OK && sb_db_changes(w) == 0)
        return SB_E_NOT_FOUND;
    return err;
}

sb_err sb_store_mailbox_delete(sb_db *w, int64_t id)
{
    sb_stmt *u = sb_db_prepare(w, "UPDATE conversations SET mailbox_id = NULL WHERE mailbox_id = ?");
    if (!u)
        return SB_E_INTERNAL;
    sb_db_bind_int(u, 1, id);
    sb_err err = step_done(u);
    sb_stmt *s = sb_db_prepare(w, "DELETE FROM mailboxes WHERE id = ?");
    if (!s || err != SB_OK)
        return SB_E_INTERNAL;
    sb_db_bind_int(s, 1, id);
    err = step_done(s);
    if (err == SB_OK && sb_db_changes(w) == 0)
        return SB_E_NOT_FOUND;
    return err;
}

#define MAILBOX_PUBLIC \
    "id, address, name, team_id, smtp_url, smtp_user, smtp_password IS NOT NULL AS smtp_password_set__bool," \
    " imap_url, imap_user, imap_password IS NOT NULL AS imap_password_set__bool, imap_poll_seconds,"         \
    " ack_enabled AS ack_enabled__bool, ack_template, created_at, updated_at"

int64_t sb_store_mailbox_default(sb_db *db)
{
    sb_stmt *s = sb_db_prepare(db, "SELECT id FROM mailboxes WHERE smtp_url IS NOT NULL AND smtp_url <> ''"
                                   " ORDER BY id LIMIT 1");
    if (!s)
        return 0;
    int64_t id = sb_db_step(s) == SB_DB_ROW ? sb_db_col_int(s, 0) : 0;
    sb_db_reset(s);
    return id;
}

json_t *sb_store_mailbox_get(sb_db *db, int64_t id)
{
    sb_stmt *s = sb_db_prepare(db, "SELECT " MAILBOX_PUBLIC " FROM mailboxes WHERE id = ?");
    if (!s)
        return NULL;
    sb_db_bind_int(s, 1, id);
    return one_row(s);
}

json_t *sb_store_mailbox_list(sb_db *db)
{
    sb_stmt *s = sb_db_prepare(db, "SELECT " MAILBOX_PUBLIC " FROM mailboxes ORDER BY id");
    return s ? sb_store_rows_json(s) : NULL;
}

json_t *sb_store_mailbox_secret(sb_db *db, int64_t id)
{
    sb_stmt *s = sb_db_prepare(db, "SELECT id, address, name, team_id, smtp_url, smtp_user, smtp_password,"
                                   " imap_url, imap_user, imap_password, imap_poll_seconds,"
                                   " ack_enabled AS ack_enabled__bool, ack_template FROM mailboxes WHERE id = ?");
    if (!s)
        return NULL;
    sb_db_bind_int(s, 1, id);
    return one_row(s);
}

int64_t sb_store_mailbox_find(sb_db *db, const char *address)
{
    sb_stmt *s = sb_db_prepare(db, "SELECT id FROM mailboxes WHERE address = ?");
    if (!s)
        return 0;
    sb_db_bind_text(s, 1, address);
    int64_t id = sb_db_step(s) == SB_DB_ROW ? sb_db_col_int(s, 0) : 0;
    sb_db_reset(s);
    return id;
}

int sb_store_autoreply_count(sb_db *db, const char *address, int64_t since)
{
    sb_stmt *s = sb_db_prepare(db, "SELECT COUNT(*) FROM auto_replies WHERE address = ? AND sent_at >= ?");
    if (!s)
        return 0;
    sb_db_bind_text(s, 1, address);
    sb_db_bind_int(s, 2, since);
    int n = sb_db_step(s) == SB_DB_ROW ? (int)sb_db_col_int(s, 0) : 0;
    sb_db_reset(s);
    return n;
}

sb_err sb_store_autoreply_log(sb_db *w, const char *address, int64_t now)
{
    sb_stmt *s = sb_db_prepare(w, "INSERT INTO auto_replies(address, sent_at) VALUES (?, ?)");
    if (!s)
        return SB_E_INTERNAL;
    sb_db_bind_text(s, 1, address);
    sb_db_bind_int(s, 2, now);
    return step_done(s);
}

char *sb_store_setting_get(sb_db *db, const char *key)
{
    sb_stmt *s = sb_db_prepare(db, "SELECT value FROM settings WHERE key = ?");
    if (!s)
        return NULL;
    sb_db_bind_text(s, 1, key);
    char *v = sb_db_step(s) == SB_DB_ROW ? strdup(sb_db_col_text(s, 0)) : NULL;
    sb_db_reset(s);
    return v;
}

sb_err sb_store_setting_put(sb_db *w, const char *key, const char *value)
{
    sb_stmt *s = sb_db_prepare(w, "INSERT INTO settings(key, value) VALUES (?1, ?2)"
                                  " ON CONFLICT(key) DO UPDATE SET value = ?2");
    if (!s)
        return SB_E_INTERNAL;
    sb_db_bind_text(s, 1, key);
    sb_db_bind_text(s, 2, value);
    return step_done(s);
}

sb_err sb_store_message_set_email(sb_db *w, int64_t message_id, const char *email_json)
{
    sb_stmt *s = sb_db_prepare(w, "UPDATE messages SET email_json = ? WHERE id = ?");
    if (!s)
        return SB_E_INTERNAL;
    sb_db_bind_opt_text(s, 1, email_json);
    sb_db_bind_int(s, 2, message_id);
    return step_done(s);
}

int sb_store_raw_get(sb_db *db, int64_t message_id, char **data, size_t *len)
{
    sb_stmt *s = sb_db_prepare(db, "SELECT data FROM raw_emails WHERE message_id = ?");
    if (!s)
        return -1;
    sb_db_bind_int(s, 1, message_id);
    int rc = -1;
    if (sb_db_step(s) == SB_DB_ROW) {
        size_t n = 0;
        const void *p = sb_db_active->column_blob(s, 0, &n);
        *data = malloc(n + 1);
        if (*data) {
            if (n)
                memcpy(*data, p, n);
            (*data)[n] = '\0';
            *len = n;
            rc = 0;
        }
    }
    sb_db_reset(s);
    return rc;
}

json_t *sb_store_attachments_of(sb_db *db, int64_t message_id)
{
    sb_stmt *s = sb_db_prepare(db, "SELECT id, filename, content_type, size, sha256 FROM attachments"
                                   " WHERE message_id = ? ORDER BY id");
    if (!s)
        return NULL;
    sb_db_bind_int(s, 1, message_id);
    return sb_store_rows_json(s);
}
