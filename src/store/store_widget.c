/* The chat widget's visitors and the customer-safe views of their conversations: only
 * non-internal messages, agents by display name, nothing of other contacts. */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "store/internal.h"
#include "store/store.h"

sb_err sb_store_widget_visitor_lookup(sb_db *db, const unsigned char hash[32], sb_widget_visitor *out)
{
    char hex[65];
    sodium_bin2hex(hex, sizeof hex, hash, 32); /* stored as hex, like the agents' tokens */
    sb_stmt *s = sb_db_prepare(db, "SELECT id, contact_id, verified FROM widget_visitors WHERE token_hash = ?");
    if (!s)
        return SB_E_INTERNAL;
    sb_db_bind_text(s, 1, hex);
    sb_err err = SB_E_UNAUTHORIZED;
    if (sb_db_step(s) == SB_DB_ROW) {
        out->id = sb_db_col_int(s, 0);
        out->contact_id = sb_db_col_int(s, 1);
        out->verified = sb_db_col_int(s, 2) != 0;
        err = SB_OK;
    }
    sb_db_reset(s);
    return err;
}

sb_err sb_store_widget_visitor_insert(sb_db *w, const unsigned char hash[32], int64_t contact_id, bool verified,
                                      int64_t now, int64_t *id_out)
{
    char hex[65];
    sodium_bin2hex(hex, sizeof hex, hash, 32);
    sb_stmt *s = sb_db_prepare(w, "INSERT INTO widget_visitors(token_hash, contact_id, verified, created_at,"
                                  " last_seen_at) VALUES (?, ?, ?, ?, ?) RETURNING id");
    if (!s)
        return SB_E_INTERNAL;
    sb_db_bind_text(s, 1, hex);
    sb_db_bind_int(s, 2, contact_id);
    sb_db_bind_int(s, 3, verified);
    sb_db_bind_int(s, 4, now);
    sb_db_bind_int(s, 5, now);
    return step_returning_id(s, id_out);
}

sb_err sb_store_widget_visitor_touch(sb_db *w, int64_t id, int64_t now)
{
    sb_stmt *s = sb_db_prepare(w, "UPDATE widget_visitors SET last_seen_at = ? WHERE id = ?");
    if (!s)
        return SB_E_INTERNAL;
    sb_db_bind_int(s, 1, now);
    sb_db_bind_int(s, 2, id);
    return step_done(s);
}

int64_t sb_store_widget_visitor_next_number(sb_db *db)
{
    sb_stmt *s = sb_db_prepare(db, "SELECT COALESCE(MAX(id), 0) + 1 FROM widget_visitors");
    if (!s)
        return 1;
    int64_t n = sb_db_step(s) == SB_DB_ROW ? sb_db_col_int(s, 0) : 1;
    sb_db_reset(s);
    return n;
}

#define WIDGET_CONV_COLUMNS "c.id, c.subject, c.status, c.created_at, c.updated_at, c.last_message_at"

json_t *sb_store_widget_conversations(sb_db *db, int64_t contact_id, int limit)
{
    sb_stmt *s = sb_db_prepare(db, "SELECT " WIDGET_CONV_COLUMNS " FROM conversations c"
                                   " WHERE c.contact_id = ? AND c.channel = 'widget' ORDER BY c.id DESC LIMIT ?");
    if (!s)
        return NULL;
    sb_db_bind_int(s, 1, contact_id);
    sb_db_bind_int(s, 2, limit);
    return sb_store_rows_json(s);
}

json_t *sb_store_widget_conversation(sb_db *db, int64_t id, int64_t contact_id)
{
    sb_stmt *s = sb_db_prepare(db, "SELECT " WIDGET_CONV_COLUMNS " FROM conversations c"
                                   " WHERE c.id = ? AND c.contact_id = ? AND c.channel = 'widget'");
    if (!s)
        return NULL;
    sb_db_bind_int(s, 1, id);
    sb_db_bind_int(s, 2, contact_id);
    return one_row(s);
}

/* Never internal notes or system lines; an agent appears by display name only. */
json_t *sb_store_widget_messages(sb_db *db, int64_t conversation_id, int64_t after_id, int limit)
{
    sb_stmt *s = sb_db_prepare(
        db, "SELECT m.id, m.direction,"
            " CASE WHEN m.author_type = 'agent' THEN (SELECT name FROM agents WHERE id = m.author_id) END AS author,"
            " m.body_text AS body, m.created_at,"
            " (SELECT json_group_array(json_object('id', a.id, 'filename', a.filename,"
            "   'content_type', a.content_type, 'size', a.size)) FROM attachments a"
            "   WHERE a.message_id = m.id AND a.inline = 0) AS attachments__json"
            " FROM messages m WHERE m.conversation_id = ? AND m.internal = 0 AND m.kind = 'message' AND m.id > ?"
            " ORDER BY m.id LIMIT ?");
    if (!s)
        return NULL;
    sb_db_bind_int(s, 1, conversation_id);
    sb_db_bind_int(s, 2, after_id);
    sb_db_bind_int(s, 3, limit);
    return sb_store_rows_json(s);
}

json_t *sb_store_widget_attachment(sb_db *db, int64_t id, int64_t contact_id)
{
    sb_stmt *s = sb_db_prepare(db, "SELECT a.filename, a.content_type, a.sha256 FROM attachments a"
                                   " JOIN messages m ON m.id = a.message_id"
                                   " JOIN conversations c ON c.id = m.conversation_id"
                                   " WHERE a.id = ? AND c.contact_id = ? AND c.channel = 'widget'"
                                   " AND m.internal = 0 AND m.kind = 'message'");
    if (!s)
        return NULL;
    sb_db_bind_int(s, 1, id);
    sb_db_bind_int(s, 2, contact_id);
    return one_row(s);
}
