/* Conversations, messages, tags and search. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/conversation.h"
#include "store/internal.h"
#include "store/store.h"

static char *dup_col(sb_stmt *s, int c)
{
    return sb_db_col_null(s, c) ? NULL : strdup(sb_db_col_text(s, c));
}

void sb_conv_release(sb_conv *c)
{
    free(c->subject);
    free(c->priority_reason);
    free(c->channel);
    c->subject = c->priority_reason = c->channel = NULL;
}

static sb_err fts_put(sb_db *w, int64_t rowid, int64_t conv, int64_t msg, const char *subject,
                      const char *body)
{
    const sb_db_dialect *d = sb_db_active->dialect;
    sb_stmt *del = sb_db_prepare(w, d->fts_delete_sql);
    if (!del)
        return SB_E_INTERNAL;
    sb_db_bind_int(del, 1, rowid);
    sb_err err = step_done(del);
    if (err != SB_OK)
        return err;
    sb_stmt *s = sb_db_prepare(w, d->fts_insert_sql);
    if (!s)
        return SB_E_INTERNAL;
    sb_db_bind_int(s, 1, rowid);
    sb_db_bind_int(s, 2, conv);
    sb_db_bind_int(s, 3, msg);
    sb_db_bind_text(s, 4, subject ? subject : "");
    sb_db_bind_text(s, 5, body ? body : "");
    return step_done(s);
}

sb_err sb_store_conv_insert(sb_db *w, sb_conv *c, int64_t now)
{
    sb_stmt *s = sb_db_prepare(w, "INSERT INTO conversations(subject, status, priority, priority_reason,"
                                  " queue_rank, assignee_id, team_id, contact_id, channel, follow_up_of,"
                                  " created_at, updated_at, mailbox_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                                  " RETURNING id");
    if (!s)
        return SB_E_INTERNAL;
    sb_db_bind_text(s, 1, c->subject ? c->subject : "");
    sb_db_bind_text(s, 2, sb_status_name(c->status));
    sb_db_bind_text(s, 3, sb_priority_name(c->priority));
    sb_db_bind_opt_text(s, 4, c->priority_reason);
    sb_db_bind_int(s, 5, sb_queue_rank(c->priority));
    sb_db_bind_id(s, 6, c->assignee_id);
    sb_db_bind_id(s, 7, c->team_id);
    sb_db_bind_int(s, 8, c->contact_id);
    sb_db_bind_text(s, 9, c->channel ? c->channel : "api");
    sb_db_bind_id(s, 10, c->follow_up_of);
    sb_db_bind_int(s, 11, now);
    sb_db_bind_int(s, 12, now);
    sb_db_bind_id(s, 13, c->mailbox_id);
    int rc = sb_db_step(s);
    c->id = rc == SB_DB_ROW ? sb_db_col_int(s, 0) : 0;
    sb_db_reset(s);
    if (rc != SB_DB_ROW)
        return rc == SB_DB_CONSTRAINT ? SB_E_VALIDATION : SB_E_INTERNAL;
    c->created_at = now;
    return fts_put(w, -c->id, c->id, 0, c->subject, NULL);
}

sb_err sb_store_conv_load(sb_db *db, int64_t id, sb_conv *out)
{
    memset(out, 0, sizeof *out);
    sb_stmt *s = sb_db_prepare(db, "SELECT id, subject, status, priority, priority_reason, assignee_id, team_id,"
                                   " contact_id, channel, follow_up_of, created_at, solved_at, closed_at, mailbox_id"
                                   " FROM conversations WHERE id = ?");
    if (!s)
        return SB_E_INTERNAL;
    sb_db_bind_int(s, 1, id);
    sb_err err = SB_E_NOT_FOUND;
    if (sb_db_step(s) == SB_DB_ROW) {
        out->id = sb_db_col_int(s, 0);
        out->subject = dup_col(s, 1);
        out->status = sb_status_parse(sb_db_col_text(s, 2));
        out->priority = sb_priority_parse(sb_db_col_text(s, 3));
        out->priority_reason = dup_col(s, 4);
        out->assignee_id = sb_db_col_int(s, 5);
        out->team_id = sb_db_col_int(s, 6);
        out->contact_id = sb_db_col_int(s, 7);
        out->channel = dup_col(s, 8);
        out->follow_up_of = sb_db_col_int(s, 9);
        out->created_at = sb_db_col_int(s, 10);
        out->solved_at = sb_db_col_int(s, 11);
        out->closed_at = sb_db_col_int(s, 12);
        out->mailbox_id = sb_db_col_int(s, 13);
        err = SB_OK;
    }
    sb_db_reset(s);
    return err;
}

sb_err sb_store_conv_save(sb_db *w, const sb_conv *c, int64_t now)
{
    sb_stmt *s = sb_db_prepare(w, "UPDATE conversations SET subject = ?, status = ?, priority = ?,"
                                  " priority_reason = ?, queue_rank = ?, assignee_id = ?, team_id = ?,"
                                  " solved_at = ?, closed_at = ?, updated_at = ? WHERE id = ?");
    if (!s)
        return SB_E_INTERNAL;
    sb_db_bind_text(s, 1, c->subject ? c->subject : "");
    sb_db_bind_text(s, 2, sb_status_name(c->status));
    sb_db_bind_text(s, 3, sb_priority_name(c->priority));
    sb_db_bind_opt_text(s, 4, c->priority_reason);
    sb_db_bind_int(s, 5, sb_queue_rank(c->priority));
    sb_db_bind_id(s, 6, c->assignee_id);
    sb_db_bind_id(s, 7, c->team_id);
    sb_db_bind_id(s, 8, c->solved_at);
    sb_db_bind_id(s, 9, c->closed_at);
    sb_db_bind_int(s, 10, now);
    sb_db_bind_int(s, 11, c->id);
    sb_err err = step_done(s);
    if (err != SB_OK)
        return err == SB_E_CONFLICT ? SB_E_VALIDATION : err;
    return fts_put(w, -c->id, c->id, 0, c->subject, NULL);
}

static sb_err rewrite_tags_json(sb_db *w, const int64_t *ids, size_t n, int64_t now);

sb_err sb_store_conv_set_tags(sb_db *w, int64_t id, json_t *names, int64_t now, json_t *created)
{
    sb_stmt *d = sb_db_prepare(w, "DELETE FROM conversation_tags WHERE conversation_id = ?");
    if (!d)
        return SB_E_INTERNAL;
    sb_db_bind_int(d, 1, id);
    sb_err err = step_done(d);
    size_t i;
    json_t *v;
    json_array_foreach(names, i, v)
    {
        if (err != SB_OK)
            break;
        int64_t tag_id;
        bool is_new = false;
        err = sb_store_tag_ensure(w, json_string_value(v), now, &tag_id, &is_new);
        if (err != SB_OK)
            break;
        if (is_new && created)
            json_array_append_new(created, json_integer(tag_id));
        sb_stmt *s = sb_db_prepare(w, "INSERT OR IGNORE INTO conversation_tags(conversation_id, tag_id) VALUES (?, ?)");
        if (!s)
            return SB_E_INTERNAL;
        sb_db_bind_int(s, 1, id);
        sb_db_bind_int(s, 2, tag_id);
        err = step_done(s);
    }
    if (err != SB_OK)
        return err;
    return rewrite_tags_json(w, &id, 1, now);
}

#define CONV_COLUMNS                                                                               \
    "c.id, c.subject, c.status, c.priority, c.priority_reason, c.assignee_id, c.team_id,"          \
    " c.contact_id, c.channel, c.follow_up_of, c.tags_json AS tags__json, c.message_count,"        \
    " c.created_at, c.updated_at, c.last_message_at, c.solved_at, c.closed_at, c.mailbox_id,"     \
    " c.fields_json AS fields__json,"                                                              \
    " c.sla_json AS sla__json, (SELECT json_object('rating', rating, 'comment', comment, 'agent_id',"  \
    "   agent_id, 'sent_at', strftime('%Y-%m-%dT%H:%M:%SZ', sent_at / 1000, 'unixepoch'), 'rated_at',"  \
    "   strftime('%Y-%m-%dT%H:%M:%SZ', rated_at / 1000, 'unixepoch')) FROM csat"                      \
    "   WHERE conversation_id = c.id) AS csat__json,"                                              \
    " (SELECT json_group_array(json_object('address', address, 'name', name)) FROM conversation_cc" \
    "   WHERE conversation_id = c.id) AS cc__json"

json_t *sb_store_conv_get(sb_db *db, int64_t id)
{
    sb_stmt *s = sb_db_prepare(db, "SELECT " CONV_COLUMNS " FROM conversations c WHERE c.id = ?");
    if (!s)
        return NULL;
    sb_db_bind_int(s, 1, id);
    json_t *o = sb_db_step(s) == SB_DB_ROW ? sb_db_row_json(s) : NULL;
    sb_db_reset(s);
    if (o) {
        json_t *contact = sb_store_contact_get(db, json_integer_value(json_object_get(o, "contact_id")));
        json_object_set_new(o, "contact", contact ? contact : json_null());
    }
    return o;
}

/* ---- messages ---- */

#define MESSAGE_COLUMNS                                                                            \
    "m.id, m.conversation_id, m.direction, m.internal AS internal__bool, m.kind,"                  \
    " json_object('type', m.author_type, 'id', m.author_id, 'name',"                               \
    "   CASE m.author_type WHEN 'agent' THEN (SELECT name FROM agents WHERE id = m.author_id)"     \
    "   WHEN 'contact' THEN (SELECT name FROM contacts WHERE id = m.author_id) END) AS author__json," \
    " m.body_text, m.body_html, m.body_full, m.created_at,"                                        \
    " (SELECT json_group_array(json_object('id', a.id, 'filename', a.filename, 'content_type',"    \
    "   a.content_type, 'size', a.size, 'inline', json(CASE WHEN a.inline THEN 'true' ELSE 'false' END)," \
    "   'content_id', a.content_id, 'url', '/api/v1/attachments/' || a.id))"                       \
    "   FROM attachments a WHERE a.message_id = m.id) AS attachments__json,"                       \
    " m.email_json AS email__json,"                                                                \
    " CASE WHEN m.raw_size IS NULL THEN NULL ELSE '/api/v1/messages/' || m.id || '/raw' END AS raw_url," \
    " CASE WHEN m.delivery_status IS NULL THEN NULL ELSE"                                          \
    "   json_object('status', m.delivery_status, 'error', m.delivery_error) END AS delivery__json"

sb_err sb_store_message_insert(sb_db *w, const sb_message_in *m, int64_t now, int64_t *id_out)
{
    sb_stmt *s = sb_db_prepare(w, "INSERT INTO messages(conversation_id, direction, internal, kind,"
                                  " author_type, author_id, body_text, body_html, created_at, body_full,"
                                  " email_json, raw_size, delivery_status)"
                                  " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id");
    if (!s)
        return SB_E_INTERNAL;
    sb_db_bind_int(s, 1, m->conversation_id);
    sb_db_bind_text(s, 2, m->direction);
    sb_db_bind_int(s, 3, m->internal);
    sb_db_bind_text(s, 4, m->kind);
    sb_db_bind_text(s, 5, m->author_type);
    sb_db_bind_id(s, 6, m->author_id);
    sb_db_bind_text(s, 7, m->body_text ? m->body_text : "");
    sb_db_bind_opt_text(s, 8, m->body_html);
    sb_db_bind_int(s, 9, now);
    sb_db_bind_opt_text(s, 10, m->body_full);
    sb_db_bind_opt_text(s, 11, m->email_json);
    if (m->raw)
        sb_db_bind_int(s, 12, (int64_t)m->raw_len);
    sb_db_bind_opt_text(s, 13, m->delivery_status);
    int rc = sb_db_step(s);
    int64_t id = rc == SB_DB_ROW ? sb_db_col_int(s, 0) : 0;
    sb_db_reset(s);
    if (rc != SB_DB_ROW)
        return SB_E_INTERNAL;
    if (id_out)
        *id_out = id;
    if (m->raw) {
        sb_stmt *r = sb_db_prepare(w, "INSERT INTO raw_emails(message_id, data) VALUES (?, ?)");
        if (!r)
            return SB_E_INTERNAL;
        sb_db_bind_int(r, 1, id);
        sb_db_active->bind_blob(r, 2, m->raw, m->raw_len);
        sb_err rerr = step_done(r);
        if (rerr != SB_OK)
            return rerr;
    }
    bool counts = strcmp(m->kind, "system") != 0;
    sb_stmt *u = sb_db_prepare(w, "UPDATE conversations SET message_count = message_count + ?1,"
                                  " last_message_at = CASE WHEN ?1 THEN ?2 ELSE last_message_at END,"
                                  " updated_at = ?2 WHERE id = ?3");
    if (!u)
        return SB_E_INTERNAL;
    sb_db_bind_int(u, 1, counts);
    sb_db_bind_int(u, 2, now);
    sb_db_bind_int(u, 3, m->conversation_id);
    sb_err err = step_done(u);
    if (err != SB_OK || !counts)
        return err;
    return fts_put(w, id, m->conversation_id, id, NULL, m->body_full ? m->body_full : m->body_text);
}

json_t *sb_store_message_get(sb_db *db, int64_t id)
{
    sb_stmt *s = sb_db_prepare(db, "SELECT " MESSAGE_COLUMNS " FROM messages m WHERE m.id = ?");
    if (!s)
        return NULL;
    sb_db_bind_int(s, 1, id);
    json_t *o = sb_db_step(s) == SB_DB_ROW ? sb_db_row_json(s) : NULL;
    sb_db_reset(s);
    return o;
}

/* ---- tags ---- */

sb_err sb_store_tag_ensure(sb_db *w, const char *name, int64_t now, int64_t *id_out, bool *created)
{
    *created = false;
    sb_stmt *s = sb_db_prepare(w, "SELECT id FROM tags WHERE name = ?");
    if (!s)
        return SB_E_INTERNAL;
    sb_db_bind_text(s, 1, name);
    int64_t id = sb_db_step(s) == SB_DB_ROW ? sb_db_col_int(s, 0) : 0;
    sb_db_reset(s);
    if (id) {
        *id_out = id;
        return SB_OK;
    }
    *created = true;
    return sb_store_tag_insert(w, name, NULL, now, id_out);
}

sb_err sb_store_tag_insert(sb_db *w, const char *name, const char *color, int64_t now, int64_t *id_out)
{
    sb_stmt *s = sb_db_prepare(w, "INSERT INTO tags(name, color, created_at) VALUES (?, ?, ?) RETURNING id");
    if (!s)
        return SB_E_INTERNAL;
    sb_db_bind_text(s, 1, name);
    sb_db_bind_opt_text(s, 2, color);
    sb_db_bind_int(s, 3, now);
    int rc = sb_db_step(s);
    int64_t id = rc == SB_DB_ROW ? sb_db_col_int(s, 0) : 0;
    sb_db_reset(s);
    if (rc != SB_DB_ROW)
        return rc == SB_DB_CONSTRAINT ? SB_E_CONFLICT : SB_E_INTERNAL;
    *id_out = id;
    return SB_OK;
}

/* The conversations carrying a tag (caller frees *ids). */
static sb_err tag_conversations(sb_db *w, int64_t tag_id, int64_t **ids, size_t *n)
{
    sb_stmt *q = sb_db_prepare(w, "SELECT conversation_id FROM conversation_tags WHERE tag_id = ?");
    if (!q)
        return SB_E_INTERNAL;
    sb_db_bind_int(q, 1, tag_id);
    size_t cap = 16, k = 0;
    int64_t *v = malloc(cap * sizeof *v);
    while (v && sb_db_step(q) == SB_DB_ROW) {
        if (k == cap) {
            int64_t *nv = realloc(v, (cap *= 2) * sizeof *v);
            if (!nv) {
                free(v);
                v = NULL;
                break;
            }
            v = nv;
        }
        v[k++] = sb_db_col_int(q, 0);
    }
    sb_db_reset(q);
    if (!v)
        return SB_E_INTERNAL;
    *ids = v;
    *n = k;
    return SB_OK;
}

/* The denormalised tags_json keeps list reads to one query: rebuilt for these conversations. */
static sb_err rewrite_tags_json(sb_db *w, const int64_t *ids, size_t n, int64_t now)
{
    for (size_t i = 0; i < n; i++) {
        sb_stmt *u = sb_db_prepare(w, "UPDATE conversations SET tags_json = (SELECT json_group_array(name) FROM"
                                      " (SELECT t.name FROM conversation_tags ct JOIN tags t ON t.id = ct.tag_id"
                                      "  WHERE ct.conversation_id = ?1 ORDER BY t.name COLLATE NOCASE)),"
                                      " updated_at = ?2 WHERE id = ?1");
        if (!u)
            return SB_E_INTERNAL;
        sb_db_bind_int(u, 1, ids[i]);
        sb_db_bind_int(u, 2, now);
        sb_err err = step_done(u);
        if (err != SB_OK)
            return err;
    }
    return SB_OK;
}

sb_err sb_store_tag_update(sb_db *w, int64_t id, const char *name, const char *color, int64_t now)
{
    sb_stmt *s = sb_db_prepare(w, "UPDATE tags SET name = COALESCE(?1, name),"
                                  " color = CASE WHEN ?2 IS NULL THEN color WHEN ?2 = '' THEN NULL ELSE ?2 END"
                                  " WHERE id = ?3");
    if (!s)
        return SB_E_INTERNAL;
    sb_db_bind_opt_text(s, 1, name);
    sb_db_bind_opt_text(s, 2, color);
    sb_db_bind_int(s, 3, id);
    sb_err err = step_done(s);
    if (err != SB_OK)
        return err;
    if (sb_db_changes(w) == 0)
        return SB_E_NOT_FOUND;
    if (!name)
        return SB_OK;
    int64_t *ids = NULL;
    size_t n = 0;
    err = tag_conversations(w, id, &ids, &n);
    if (err == SB_OK)
        err = rewrite_tags_json(w, ids, n, now);
    free(ids);
    return err;
}

sb_err sb_store_tag_delete(sb_db *w, int64_t id, int64_t now, int64_t **conv_ids, size_t *n)
{
    sb_err err = tag_conversations(w, id, conv_ids, n);
    if (err != SB_OK)
        return err;
    sb_stmt *d1 = sb_db_prepare(w, "DELETE FROM conversation_tags WHERE tag_id = ?");
    sb_stmt *d2 = sb_db_prepare(w, "DELETE FROM tags WHERE id = ?");
    if (!d1 || !d2)
        return SB_E_INTERNAL;
    sb_db_bind_int(d1, 1, id);
    if ((err = step_done(d1)) != SB_OK)
        return err;
    sb_db_bind_int(d2, 1, id);
    if ((err = step_done(d2)) != SB_OK)
        return err;
    if (sb_db_changes(w) == 0)
        return SB_E_NOT_FOUND;
    return rewrite_tags_json(w, *conv_ids, *n, now);
}

#define TAG_COLUMNS                                                                                \
    "t.id, t.name, t.color, (SELECT COUNT(*) FROM conversation_tags ct WHERE ct.tag_id = t.id)"    \
    " AS conversation_count, t.created_at"

json_t *sb_store_tag_get(sb_db *db, int64_t id)
{
    sb_stmt *s = sb_db_prepare(db, "SELECT " TAG_COLUMNS " FROM tags t WHERE t.id = ?");
    if (!s)
        return NULL;
    sb_db_bind_int(s, 1, id);
    json_t *o = sb_db_step(s) == SB_DB_ROW ? sb_db_row_json(s) : NULL;
    sb_db_reset(s);
    return o;
}

json_t *sb_store_tag_list(sb_db *db)
{
    sb_stmt *s = sb_db_prepare(db, "SELECT " TAG_COLUMNS " FROM tags t ORDER BY t.name COLLATE NOCASE");
    return s ? sb_store_rows_json(s) : NULL;
}

/* ---- search ---- */

json_t *sb_store_search(sb_db *db, const char *fts_query, const char *statuses, int limit)
{
    sb_stmt *s = sb_db_prepare(db, sb_db_active->dialect->search_sql);
    if (!s)
        return NULL;
    sb_db_bind_text(s, 1, fts_query);
    sb_db_bind_opt_text(s, 2, statuses);
    sb_db_bind_int(s, 3, limit);
    return sb_store_rows_json(s);
}

/* ---- hot list reads rendered by the engine ---- */

static int append_rows(sb_stmt *s, int max, sb_buf *out, int *last_rank, int64_t *last_id)
{
    int n = 0, rc;
    while ((rc = sb_db_step(s)) == SB_DB_ROW) {
        if (n < max) {
            if (n)
                sb_buf_puts(out, ",");
            sb_buf_puts(out, sb_db_col_text(s, 0));
            if (last_rank)
                *last_rank = (int)sb_db_col_int(s, 1);
            *last_id = sb_db_col_int(s, last_rank ? 2 : 1);
        }
        n++;
    }
    sb_db_reset(s);
    return rc == SB_DB_DONE && !out->failed ? n : -1;
}

int sb_store_conv_list_json(sb_db *db, const sb_conv_filter *f, int max, sb_buf *out, int *last_rank,
                            int64_t *last_id)
{
    /* One status ("open") walks its own index range in queue order; several statuses walk the
     * queue order and filter. */
    sb_stmt *s = sb_db_prepare(db, f->status ? sb_db_active->dialect->conv_list_status_json_sql
                                             : sb_db_active->dialect->conv_list_json_sql);
    if (!s)
        return -1;
    sb_db_bind_opt_text(s, 1, f->status ? f->status : f->statuses);
    sb_db_bind_int(s, 2, f->assignee_id);
    sb_db_bind_int(s, 3, f->team_id);
    sb_db_bind_int(s, 4, f->contact_id);
    sb_db_bind_opt_text(s, 5, f->priority);
    sb_db_bind_opt_text(s, 6, f->tag);
    sb_db_bind_int(s, 7, f->after_id ? f->after_rank : -1);
    sb_db_bind_int(s, 8, f->after_id);
    sb_db_bind_int(s, 9, max + 1);
    return append_rows(s, max, out, last_rank, last_id);
}

int sb_store_message_list_json(sb_db *db, int64_t conversation_id, int64_t after_id, int max, sb_buf *out,
                               int64_t *last_id)
{
    sb_stmt *s = sb_db_prepare(db, sb_db_active->dialect->message_list_json_sql);
    if (!s)
        return -1;
    sb_db_bind_int(s, 1, conversation_id);
    sb_db_bind_int(s, 2, after_id);
    sb_db_bind_int(s, 3, max + 1);
    return append_rows(s, max, out, NULL, last_id);
}
