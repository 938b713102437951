/* /api/v1/conversations and their messages. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "core/conversation.h"
#include "store/blobs.h"
#include "util/buf.h"

#define MAX_SUBJECT 998
#define MAX_BODY (512 * 1024)
#define MAX_TAGS 50
#define MAX_TAG_LEN 64

static int parse_tags(sb_req *r, json_t **out)
{
    json_t *v = json_object_get(r->body, "tags");
    *out = NULL;
    if (!v)
        return SB_OK;
    if (!json_is_array(v))
        return sb_req_fail(r, SB_E_BAD_REQUEST, "\"tags\" must be an array of strings");
    if (json_array_size(v) > MAX_TAGS)
        return sb_req_fail(r, SB_E_VALIDATION, "at most %d tags", MAX_TAGS);
    size_t i;
    json_t *t;
    json_array_foreach(v, i, t)
    {
        if (!json_is_string(t))
            return sb_req_fail(r, SB_E_BAD_REQUEST, "\"tags\" must be an array of strings");
        size_t len = json_string_length(t);
        if (len == 0 || len > MAX_TAG_LEN || memchr(json_string_value(t), '\0', len))
            return sb_req_fail(r, SB_E_VALIDATION, "a tag must be 1 to %d bytes", MAX_TAG_LEN);
    }
    *out = v;
    return SB_OK;
}

static int parse_priority(sb_req *r, bool *present, int *out)
{
    const char *p;
    int rc = sb_api_str(r, "priority", false, false, 16, &p);
    *present = p != NULL;
    if (rc != SB_OK || !p)
        return rc;
    *out = sb_priority_parse(p);
    if (*out < 0)
        return sb_req_fail(r, SB_E_VALIDATION, "priority must be low, normal, high or urgent");
    return SB_OK;
}

int sb_api_conversations_list(sb_req *r)
{
    sb_conv_filter f = {0};
    int limit;
    char statuses[128], one[16];
    int rc;
    if ((rc = sb_api_query_statuses(r, statuses, one)) != SB_OK ||
        (rc = sb_api_query_id(r, "assignee_id", &f.assignee_id)) != SB_OK ||
        (rc = sb_api_query_id(r, "team_id", &f.team_id)) != SB_OK ||
        (rc = sb_api_query_id(r, "contact_id", &f.contact_id)) != SB_OK ||
        (rc = sb_api_query_limit(r, 25, 100, &limit)) != SB_OK)
        return rc;
    if (f.contact_id < 0)
        return sb_req_fail(r, SB_E_BAD_REQUEST, "contact_id must be an id");
    f.statuses = statuses[0] ? statuses : NULL;
    f.status = one[0] ? one : NULL;
    f.priority = sb_req_query(r, "priority");
    if (f.priority && !*f.priority)
        f.priority = NULL;
    if (f.priority && sb_priority_parse(f.priority) < 0)
        return sb_req_fail(r, SB_E_BAD_REQUEST, "unknown priority");
    f.tag = sb_req_query(r, "tag");
    if (f.tag && !*f.tag)
        f.tag = NULL;
    const char *sla_q = sb_req_query(r, "sla"), *sort_q = sb_req_query(r, "sort");
    if ((sla_q && *sla_q) || (sort_q && *sort_q)) /* SLA filter and order: api/sla.c */
        return sb_api_conversations_list_sla(r, &f, limit);
    const char *cursor = sb_req_query(r, "cursor");
    if (cursor && *cursor) {
        int rank;
        long long id;
        char extra;
        if (sscanf(cursor, "%d.%lld%c", &rank, &id, &extra) != 2 || rank < 0 || rank > 1 || id <= 0)
            return sb_req_fail(r, SB_E_BAD_REQUEST, "invalid cursor");
        f.after_rank = rank;
        f.after_id = id;
    }
    sb_buf out;
    sb_buf_init(&out, 64u << 20);
    sb_buf_puts(&out, "{\"items\":[");
    int last_rank = 0;
    int64_t last_id = 0;
    int n = sb_store_conv_list_json(sb_req_db(r), &f, limit, &out, &last_rank, &last_id);
    if (n < 0) {
        sb_buf_release(&out);
        return sb_req_fail(r, SB_E_INTERNAL, "query failed");
    }
    if (n > limit)
        sb_buf_printf(&out, "],\"next_cursor\":\"%d.%lld\"}", last_rank, (long long)last_id);
    else
        sb_buf_puts(&out, "],\"next_cursor\":null}");
    size_t len;
    char *text = sb_buf_detach(&out, &len);
    return sb_req_json_text(r, 200, text, len);
}

static void conv_create_free(void *op)
{
    free(op);
}

int sb_api_conversation_create(sb_req *r)
{
    static const char *const fields[] = {"subject", "body", "contact", "channel", "priority", "priority_reason",
                                         "team_id", "assignee_id", "tags", NULL};
    int rc;
    if ((rc = sb_api_need_object(r)) != SB_OK || (rc = sb_api_only(r, fields)) != SB_OK)
        return rc;
    sb_conv_create_op *op = calloc(1, sizeof *op);
    if (!op)
        return sb_req_fail(r, SB_E_INTERNAL, "out of memory");
    op->actor = sb_api_actor(r);
    op->priority = SB_PRIORITY_NORMAL;
    bool present;
    const char *channel;
    if ((rc = sb_api_str(r, "subject", true, false, MAX_SUBJECT, &op->subject)) != SB_OK ||
        (rc = sb_api_str(r, "body", false, true, MAX_BODY, &op->body)) != SB_OK ||
        (rc = sb_api_str(r, "channel", false, false, 32, &channel)) != SB_OK ||
        (rc = parse_priority(r, &present, &op->priority)) != SB_OK ||
        (rc = sb_api_str(r, "priority_reason", false, true, 1000, &op->priority_reason)) != SB_OK ||
        (rc = sb_api_id(r, "team_id", &present, &op->team_id)) != SB_OK ||
        (rc = sb_api_id(r, "assignee_id", &present, &op->assignee_id)) != SB_OK ||
        (rc = parse_tags(r, &op->tags)) != SB_OK)
        goto fail;
    op->channel = channel ? channel : "api";
    if (strcmp(op->channel, "api") != 0 && strcmp(op->channel, "email") != 0 && strcmp(op->channel, "widget") != 0 &&
        strcmp(op->channel, "webform") != 0 && strcmp(op->channel, "telegram") != 0 &&
        strcmp(op->channel, "slack") != 0 && strcmp(op->channel, "phone") != 0) {
        rc = sb_req_fail(r, SB_E_VALIDATION, "unknown channel \"%.32s\"", op->channel);
        goto fail;
    }
    if (!sb_priority_reason_ok(op->priority, op->priority_reason)) {
        rc = sb_req_fail(r, SB_E_VALIDATION, "urgent priority needs a priority_reason");
        goto fail;
    }
    json_t *contact = json_object_get(r->body, "contact");
    if (!json_is_object(contact)) {
        rc = sb_req_fail(r, contact ? SB_E_BAD_REQUEST : SB_E_VALIDATION, "\"contact\" must be an object with an email or id");
        goto fail;
    }
    json_t *cid = json_object_get(contact, "id"), *email = json_object_get(contact, "email"),
           *name = json_object_get(contact, "name");
    if ((cid && !json_is_integer(cid)) || (email && !json_is_string(email)) || (name && !json_is_string(name) && !json_is_null(name))) {
        rc = sb_req_fail(r, SB_E_BAD_REQUEST, "contact fields have the wrong type");
        goto fail;
    }
    op->contact_id = cid ? json_integer_value(cid) : 0;
    op->contact_email = json_string_value(email);
    op->contact_name = json_string_value(name);
    if (op->contact_id <= 0 && (!op->contact_email || !strchr(op->contact_email, '@') ||
                                json_string_length(email) > 254 || strchr(op->contact_email, ' '))) {
        rc = sb_req_fail(r, SB_E_VALIDATION, "contact.email must be an email address (or give contact.id)");
        goto fail;
    }
    if (op->contact_name && json_string_length(name) > 200) {
        rc = sb_req_fail(r, SB_E_VALIDATION, "contact.name is too long");
        goto fail;
    }
    if (!op->contact_name && op->contact_email)
        op->contact_name = "";
    return sb_req_submit(r, sb_svc_conv_create, op, conv_create_free, op->errmsg);
fail:
    free(op);
    return rc;
}

int sb_api_conversation_finish(sb_req *r)
{
    /* Create and update both answer with the conversation as it now is. */
    int64_t id = r->nids ? r->ids[0] : ((sb_conv_create_op *)r->op)->id;
    json_t *c = sb_store_conv_get(sb_req_db(r), id);
    if (!c)
        return sb_req_fail(r, SB_E_INTERNAL, "conversation vanished");
    return sb_req_json(r, r->nids ? 200 : 201, c);
}

int sb_api_conversation_get(sb_req *r)
{
    json_t *c = sb_store_conv_get(sb_req_db(r), r->ids[0]);
    if (!c)
        return sb_api_not_found(r, "conversation", r->ids[0]);
    return sb_req_json(r, 200, c);
}

int sb_api_conversation_update(sb_req *r)
{
    static const char *const fields[] = {"status", "priority", "priority_reason", "assignee_id", "team_id",
                                         "tags", "subject", NULL};
    int rc;
    if ((rc = sb_api_need_object(r)) != SB_OK || (rc = sb_api_only(r, fields)) != SB_OK)
        return rc;
    sb_conv_update_op *op = calloc(1, sizeof *op);
    if (!op)
        return sb_req_fail(r, SB_E_INTERNAL, "out of memory");
    op->actor = sb_api_actor(r);
    op->id = r->ids[0];
    const char *status;
    if ((rc = sb_api_str(r, "status", false, false, 16, &status)) != SB_OK ||
        (rc = parse_priority(r, &op->set_priority, &op->priority)) != SB_OK ||
        (rc = sb_api_str(r, "priority_reason", false, true, 1000, &op->priority_reason)) != SB_OK ||
        (rc = sb_api_id(r, "assignee_id", &op->set_assignee, &op->assignee_id)) != SB_OK ||
        (rc = sb_api_id(r, "team_id", &op->set_team, &op->team_id)) != SB_OK ||
        (rc = parse_tags(r, &op->tags)) != SB_OK ||
        (rc = sb_api_str(r, "subject", false, false, MAX_SUBJECT, &op->subject)) != SB_OK)
        goto fail;
    op->set_reason = json_object_get(r->body, "priority_reason") != NULL;
    op->set_tags = op->tags != NULL;
    op->set_subject = op->subject != NULL;
    if (status) {
        op->set_status = true;
        op->status = sb_status_parse(status);
        if (op->status < 0) {
            rc = sb_req_fail(r, SB_E_VALIDATION, "status must be open, pending, on_hold, solved or closed");
            goto fail;
        }
    }
    return sb_req_submit(r, sb_svc_conv_update, op, free, op->errmsg);
fail:
    free(op);
    return rc;
}

int sb_api_messages_list(sb_req *r)
{
    int limit, rc;
    if ((rc = sb_api_query_limit(r, 100, 500, &limit)) != SB_OK)
        return rc;
    const char *cursor = sb_req_query(r, "cursor");
    int64_t after = 0;
    if (cursor && *cursor) {
        char *end;
        long long v = strtoll(cursor, &end, 10);
        if (*end || v <= 0)
            return sb_req_fail(r, SB_E_BAD_REQUEST, "invalid cursor");
        after = v;
    }
    sb_db *db = sb_req_db(r);
    sb_buf out;
    sb_buf_init(&out, 256u << 20);
    sb_buf_puts(&out, "{\"items\":[");
    int64_t last_id = 0;
    int n = sb_store_message_list_json(db, r->ids[0], after, limit, &out, &last_id);
    if (n < 0) {
        sb_buf_release(&out);
        return sb_req_fail(r, SB_E_INTERNAL, "query failed");
    }
    if (n == 0 && after == 0) {
        /* Keeps 404 distinct from an empty conversation. */
        sb_conv c;
        if (sb_store_conv_load(db, r->ids[0], &c) != SB_OK) {
            sb_buf_release(&out);
            return sb_api_not_found(r, "conversation", r->ids[0]);
        }
        sb_conv_release(&c);
    }
    if (n > limit)
        sb_buf_printf(&out, "],\"next_cursor\":\"%lld\"}", (long long)last_id);
    else
        sb_buf_puts(&out, "],\"next_cursor\":null}");
    size_t len;
    char *text = sb_buf_detach(&out, &len);
    return sb_req_json_text(r, 200, text, len);
}

#define MAX_ATTACHMENTS 20

static void message_op_free(void *p)
{
    sb_message_op *op = p;
    if (op)
        free((void *)op->atts);
    free(op);
}

/* "attachments": [{"sha256", "filename", "content_type"}] naming files uploaded before. */
static int parse_attachments(sb_req *r, sb_message_op *op)
{
    json_t *list = json_object_get(r->body, "attachments");
    if (!list)
        return SB_OK;
    if (!json_is_array(list))
        return sb_req_fail(r, SB_E_BAD_REQUEST, "\"attachments\" must be an array");
    if (json_array_size(list) > MAX_ATTACHMENTS)
        return sb_req_fail(r, SB_E_VALIDATION, "at most %d attachments", MAX_ATTACHMENTS);
    if (op->inbound || op->internal)
        return sb_req_fail(r, SB_E_VALIDATION, "attachments go with replies");
    sb_email_attachment *atts = calloc(json_array_size(list) + 1, sizeof *atts);
    if (!atts)
        return sb_req_fail(r, SB_E_INTERNAL, "out of memory");
    op->atts = atts;
    size_t i;
    json_t *a;
    json_array_foreach(list, i, a)
    {
        const char *sha = json_string_value(json_object_get(a, "sha256"));
        const char *name = json_string_value(json_object_get(a, "filename"));
        const char *type = json_string_value(json_object_get(a, "content_type"));
        if (!sha || !name || !*name || strlen(name) > 255 || (type && strlen(type) > 127))
            return sb_req_fail(r, SB_E_VALIDATION, "each attachment needs sha256 and filename (from POST /api/v1/uploads)");
        if (!sb_api_safe_filename(name) || (type && !sb_api_mime_type_ok(type)))
            return sb_req_fail(r, SB_E_VALIDATION, "attachment names may not contain control characters or slashes, "
                                                   "and content_type must be type/subtype");
        long long size = sb_blob_size(sb_store_data_dir(r->app->store), sha);
        if (size < 0)
            return sb_req_fail(r, SB_E_VALIDATION, "attachment %.64s was not uploaded", sha);
        atts[i] = (sb_email_attachment){.filename = name, .content_type = type ? type : "application/octet-stream",
                                        .sha256 = sha, .size = size};
        op->natts++;
    }
    return SB_OK;
}

/* "mentions": [agent ids], only on internal notes. */
static int parse_mentions(sb_req *r, sb_message_op *op)
{
    json_t *list = json_object_get(r->body, "mentions");
    if (!list || json_is_null(list))
        return SB_OK;
    if (!json_is_array(list))
        return sb_req_fail(r, SB_E_BAD_REQUEST, "mentions must be an array of agent ids");
    if (json_array_size(list) && !op->internal)
        return sb_req_fail(r, SB_E_VALIDATION, "mentions: only internal notes mention agents");
    if (json_array_size(list) > SB_MENTIONS_MAX)
        return sb_req_fail(r, SB_E_VALIDATION, "mentions: at most %d agents", SB_MENTIONS_MAX);
    size_t i;
    json_t *v;
    json_array_foreach(list, i, v) {
        if (!json_is_integer(v) || json_integer_value(v) <= 0)
            return sb_req_fail(r, SB_E_VALIDATION, "mentions: agent ids are positive integers");
        op->mentions[op->nmentions++] = json_integer_value(v);
    }
    return SB_OK;
}

int sb_api_message_create(sb_req *r)
{
    static const char *const fields[] = {"body", "internal", "status", "direction", "attachments", "mentions", NULL};
    int rc;
    if ((rc = sb_api_need_object(r)) != SB_OK || (rc = sb_api_only(r, fields)) != SB_OK)
        return rc;
    sb_message_op *op = calloc(1, sizeof *op);
    if (!op)
        return sb_req_fail(r, SB_E_INTERNAL, "out of memory");
    op->actor = sb_api_actor(r);
    op->conversation_id = r->ids[0];
    op->set_status = -1;
    bool present;
    const char *status, *direction;
    if ((rc = sb_api_str(r, "body", true, false, MAX_BODY, &op->body)) != SB_OK ||
        (rc = sb_api_bool(r, "internal", &present, &op->internal)) != SB_OK ||
        (rc = sb_api_str(r, "status", false, false, 16, &status)) != SB_OK ||
        (rc = sb_api_str(r, "direction", false, false, 8, &direction)) != SB_OK)
        goto fail;
    if (direction && strcmp(direction, "in") != 0 && strcmp(direction, "out") != 0) {
        rc = sb_req_fail(r, SB_E_VALIDATION, "direction must be in or out");
        goto fail;
    }
    op->inbound = direction && strcmp(direction, "in") == 0;
    if (op->inbound && (op->internal || status)) {
        rc = sb_req_fail(r, SB_E_VALIDATION, "an inbound message cannot be internal or set a status");
        goto fail;
    }
    if (status && (op->set_status = sb_status_parse(status)) < 0) {
        rc = sb_req_fail(r, SB_E_VALIDATION, "status must be open, pending, on_hold, solved or closed");
        goto fail;
    }
    if ((rc = parse_attachments(r, op)) != SB_OK || (rc = parse_mentions(r, op)) != SB_OK)
        goto fail;
    return sb_req_submit(r, sb_svc_message_create, op, message_op_free, op->errmsg);
fail:
    message_op_free(op);
    return rc;
}

int sb_api_message_finish(sb_req *r)
{
    sb_message_op *op = r->op;
    json_t *m = sb_store_message_get(sb_req_db(r), op->message_id);
    if (!m)
        return sb_req_fail(r, SB_E_INTERNAL, "message vanished");
    return sb_req_json(r, 201, m);
}
