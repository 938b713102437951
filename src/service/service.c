#include "service/service.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/conversation.h"
#include "service/internal.h"
#include "service/sla.h"
#include "util/buf.h"
#include "util/time.h"

sb_err sb_svc_fail(char *errmsg, sb_err code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(errmsg, SB_ERRMSG, fmt, ap);
    va_end(ap);
    return code;
}

sb_err sb_svc_emit(sb_db *w, const char *type, int64_t conv, int64_t contact, bool internal,
                   const sb_actor *actor, const char *key, json_t *obj, int64_t now)
{
    json_t *data = json_object();
    if (key && obj)
        json_object_set(data, key, obj);
    sb_event_in ev = {
        .type = type,
        .conversation_id = conv,
        .contact_id = contact,
        .internal = internal,
        .actor_type = actor->type,
        .actor_id = actor->id,
        .data = data,
        .now = now,
    };
    sb_err err = sb_store_event_append(w, &ev, NULL);
    json_decref(data);
    return err;
}

sb_err sb_svc_emit_conversation(sb_db *w, const char *type, int64_t conv_id, const sb_actor *actor,
                                json_t *changes, int64_t now)
{
    /* SLA hook: every conversation change brings its clocks up to date first (service/sla.c). */
    bool sla_changed = false;
    sb_err sla_err = sb_svc_sla_sync(w, conv_id, now, &sla_changed);
    if (sla_err != SB_OK)
        return sla_err;
    json_t *sla_changes = NULL;
    if (sla_changed) {
        sla_changes = changes ? json_copy(changes) : json_array();
        json_array_append_new(sla_changes, json_string("sla"));
        changes = sla_changes;
    }
    json_t *conv = sb_store_conv_get(w, conv_id);
    if (!conv) {
        json_decref(sla_changes);
        return SB_E_INTERNAL;
    }
    int64_t contact = json_integer_value(json_object_get(conv, "contact_id"));
    json_t *data = json_object();
    json_object_set_new(data, "conversation", conv);
    if (changes)
        json_object_set(data, "changes", changes);
    sb_event_in ev = {
        .type = type,
        .conversation_id = conv_id,
        .contact_id = contact,
        .internal = false,
        .actor_type = actor->type,
        .actor_id = actor->id,
        .data = data,
        .now = now,
    };
    sb_err err = sb_store_event_append(w, &ev, NULL);
    json_decref(data);
    json_decref(sla_changes);
    return err;
}

/* Events fan out to every open stream: long bodies travel as a prefix, and clients fetch the
 * whole message when they show it. */
#define EVENT_TEXT_MAX 4096

static void trim_for_event(json_t *msg)
{
    static const char *const keys[] = {"body_text", "body_html", "body_full"};
    bool cut = false;
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        json_t *v = json_object_get(msg, keys[i]);
        if (!json_is_string(v) || json_string_length(v) <= EVENT_TEXT_MAX)
            continue;
        const char *t = json_string_value(v);
        size_t n = EVENT_TEXT_MAX;
        while (n > 0 && ((unsigned char)t[n] & 0xC0) == 0x80)
            n--; /* do not split a UTF-8 sequence */
        if (strcmp(keys[i], "body_html") == 0) {
            json_object_set_new(msg, keys[i], json_null()); /* a cut HTML fragment is not safe to show */
        } else {
            json_object_set_new(msg, keys[i], json_stringn(t, n));
        }
        cut = true;
    }
    if (cut)
        json_object_set_new(msg, "truncated", json_true());
}

sb_err sb_svc_emit_message(sb_db *w, int64_t msg_id, int64_t contact_id, bool internal,
                           const sb_actor *actor, int64_t now)
{
    json_t *msg = sb_store_message_get(w, msg_id);
    if (!msg)
        return SB_E_INTERNAL;
    trim_for_event(msg);
    int64_t conv = json_integer_value(json_object_get(msg, "conversation_id"));
    sb_err err = sb_svc_emit(w, "message.created", conv, contact_id, internal, actor, "message", msg, now);
    json_decref(msg);
    return err;
}

sb_err sb_svc_system_message(sb_db *w, int64_t conv_id, const sb_actor *actor, int64_t now,
                             const char *fmt, ...)
{
    char text[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    sb_message_in m = {
        .conversation_id = conv_id,
        .direction = "out",
        .internal = true,
        .kind = "system",
        .author_type = actor->type,
        .author_id = actor->id,
        .body_text = text,
    };
    int64_t id;
    sb_err err = sb_store_message_insert(w, &m, now, &id);
    if (err == SB_OK)
        err = sb_svc_emit_message(w, id, 0, true, actor, now);
    return err;
}

static const char *agent_name(sb_db *db, int64_t id, char *buf, size_t n)
{
    json_t *a = sb_store_agent_get(db, id);
    snprintf(buf, n, "%s", a ? json_string_value(json_object_get(a, "name")) : "?");
    json_decref(a);
    return buf;
}

static const char *team_name(sb_db *db, int64_t id, char *buf, size_t n)
{
    json_t *t = sb_store_team_get(db, id);
    snprintf(buf, n, "%s", t ? json_string_value(json_object_get(t, "name")) : "?");
    json_decref(t);
    return buf;
}

/* ---- conversations ---- */

/* Tags are created on first use; each new one is announced like an explicitly created tag. */
static sb_err set_tags(sb_db *w, int64_t conv_id, json_t *names, const sb_actor *actor, int64_t now)
{
    json_t *created = json_array();
    sb_err err = sb_store_conv_set_tags(w, conv_id, names, now, created);
    size_t i;
    json_t *id;
    json_array_foreach(created, i, id)
    {
        if (err != SB_OK)
            break;
        json_t *tag = sb_store_tag_get(w, json_integer_value(id));
        err = sb_svc_emit(w, "tag.created", 0, 0, false, actor, "tag", tag, now);
        json_decref(tag);
    }
    json_decref(created);
    return err;
}

static sb_err resolve_contact(sb_db *w, sb_conv_create_op *op, int64_t now, int64_t *contact_id)
{
    if (op->contact_id > 0) {
        json_t *c = sb_store_contact_get(w, op->contact_id);
        if (!c)
            return sb_svc_fail(op->errmsg, SB_E_VALIDATION, "contact.id %lld does not exist", (long long)op->contact_id);
        json_decref(c);
        *contact_id = op->contact_id;
        return SB_OK;
    }
    int64_t id = sb_store_contact_find(w, "email", op->contact_email);
    if (id) {
        *contact_id = id;
        return SB_OK;
    }
    sb_err err = sb_store_contact_insert(w, op->contact_name, op->contact_email, NULL, 0, now, &id);
    if (err == SB_OK)
        err = sb_store_identity_add(w, id, "email", op->contact_email);
    if (err != SB_OK)
        return err;
    json_t *c = sb_store_contact_get(w, id);
    err = sb_svc_emit(w, "contact.created", 0, id, false, &op->actor, "contact", c, now);
    json_decref(c);
    *contact_id = id;
    return err;
}

static sb_err check_refs(sb_db *w, char *errmsg, int64_t assignee_id, int64_t team_id)
{
    if (assignee_id > 0 && !sb_store_agent_is_active(w, assignee_id))
        return sb_svc_fail(errmsg, SB_E_VALIDATION, "assignee_id %lld is not an active agent", (long long)assignee_id);
    if (team_id > 0 && !sb_store_team_exists(w, team_id))
        return sb_svc_fail(errmsg, SB_E_VALIDATION, "team_id %lld does not exist", (long long)team_id);
    return SB_OK;
}

sb_err sb_svc_conv_create(sb_db *w, void *arg)
{
    sb_conv_create_op *op = arg;
    int64_t now = sb_now();
    if (!sb_priority_reason_ok(op->priority, op->priority_reason))
        return sb_svc_fail(op->errmsg, SB_E_VALIDATION, "urgent priority needs a priority_reason");
    sb_err err = check_refs(w, op->errmsg, op->assignee_id, op->team_id);
    if (err != SB_OK)
        return err;
    int64_t contact_id = 0;
    if ((err = resolve_contact(w, op, now, &contact_id)) != SB_OK)
        return err;
    sb_conv c = {
        .subject = (char *)op->subject,
        .status = SB_STATUS_OPEN,
        .priority = op->priority,
        .priority_reason = op->priority == SB_PRIORITY_URGENT ? (char *)op->priority_reason : NULL,
        .assignee_id = op->assignee_id,
        .team_id = op->team_id,
        .contact_id = contact_id,
        .channel = (char *)(op->channel ? op->channel : "api"),
        .follow_up_of = op->follow_up_of,
        .mailbox_id = op->mailbox_id,
    };
    if ((err = sb_store_conv_insert(w, &c, now)) != SB_OK)
        return err;
    op->id = c.id;
    if (op->fields_json && (err = sb_store_conv_set_fields(w, c.id, op->fields_json)) != SB_OK)
        return err;
    if (op->tags && (err = set_tags(w, c.id, op->tags, &op->actor, now)) != SB_OK)
        return err;
    if (op->body && *op->body) {
        sb_message_in m = {
            .conversation_id = c.id,
            .direction = "in",
            .kind = "message",
            .author_type = "contact",
            .author_id = contact_id,
            .body_text = op->body,
        };
        if ((err = sb_store_message_insert(w, &m, now, &op->message_id)) != SB_OK)
            return err;
    }
    if ((err = sb_svc_emit_conversation(w, "conversation.created", c.id, &op->actor, NULL, now)) != SB_OK)
        return err;
    if (op->message_id)
        err = sb_svc_emit_message(w, op->message_id, contact_id, false, &op->actor, now);
    if (err == SB_OK) /* routing (issue 5 B): an owner when none was given */
        err = sb_svc_route_new(w, c.id, op->team_id > 0, now);
    return err;
}

sb_err sb_svc_reopen(sb_db *w, sb_conv *c, const sb_actor *customer, int64_t now)
{
    int old = c->status;
    sb_svc_set_status(c, SB_STATUS_OPEN, now);
    sb_err err;
    if ((err = sb_store_conv_save(w, c, now)) != SB_OK ||
        (err = sb_svc_system_message(w, c->id, customer, now, "Reopened by a customer message (was %s)",
                                     sb_status_name(old))) != SB_OK)
        return err;
    json_t *changes = json_pack("[s]", "status");
    err = sb_svc_emit_conversation(w, "conversation.updated", c->id, customer, changes, now);
    json_decref(changes);
    if (err == SB_OK && !c->assignee_id) /* routing (issue 5 B): a reopened one needs an owner */
        err = sb_svc_route_reopened(w, c->id, now);
    return err;
}

void sb_svc_set_status(sb_conv *c, int status, int64_t now)
{
    if (status == SB_STATUS_SOLVED)
        c->solved_at = now;
    else if (status == SB_STATUS_CLOSED)
        c->closed_at = now;
    else
        c->solved_at = 0;
    c->status = status;
}

sb_err sb_svc_conv_update(sb_db *w, void *arg)
{
    sb_conv_update_op *op = arg;
    int64_t now = sb_now();
    sb_conv c;
    sb_err err = sb_store_conv_load(w, op->id, &c);
    if (err != SB_OK)
        return sb_svc_fail(op->errmsg, err, "conversation %lld not found", (long long)op->id);
    json_t *changes = json_array();
    char name[256];
    int old_status = c.status, old_priority = c.priority;
    if (op->set_status && op->status != c.status) {
        if (!sb_status_transition_allowed(c.status, op->status)) {
            err = sb_svc_fail(op->errmsg, SB_E_TRANSITION, "cannot change status from %s to %s",
                       sb_status_name(c.status), sb_status_name(op->status));
            goto out;
        }
        sb_svc_set_status(&c, op->status, now);
        json_array_append_new(changes, json_string("status"));
    }
    int priority = op->set_priority ? op->priority : c.priority;
    const char *reason = op->set_reason ? op->priority_reason : c.priority_reason;
    if (op->set_priority || op->set_reason) {
        if (!sb_priority_reason_ok(priority, reason)) {
            err = sb_svc_fail(op->errmsg, SB_E_VALIDATION, "urgent priority needs a priority_reason");
            goto out;
        }
        char *new_reason = priority == SB_PRIORITY_URGENT && reason ? strdup(reason) : NULL;
        if (priority != c.priority)
            json_array_append_new(changes, json_string("priority"));
        if ((new_reason == NULL) != (c.priority_reason == NULL) ||
            (new_reason && strcmp(new_reason, c.priority_reason) != 0))
            json_array_append_new(changes, json_string("priority_reason"));
        free(c.priority_reason);
        c.priority_reason = new_reason;
        c.priority = priority;
    }
    if ((err = check_refs(w, op->errmsg, op->set_assignee ? op->assignee_id : 0,
                          op->set_team ? op->team_id : 0)) != SB_OK)
        goto out;
    int64_t old_assignee = c.assignee_id, old_team = c.team_id;
    if (op->set_assignee && op->assignee_id != c.assignee_id) {
        c.assignee_id = op->assignee_id;
        json_array_append_new(changes, json_string("assignee_id"));
    }
    if (op->set_team && op->team_id != c.team_id) {
        c.team_id = op->team_id;
        json_array_append_new(changes, json_string("team_id"));
    }
    if (op->set_subject && strcmp(op->subject, c.subject ? c.subject : "") != 0) {
        free(c.subject);
        c.subject = strdup(op->subject);
        json_array_append_new(changes, json_string("subject"));
    }
    if ((err = sb_store_conv_save(w, &c, now)) != SB_OK)
        goto out;
    if (op->set_tags) {
        if ((err = set_tags(w, c.id, op->tags, &op->actor, now)) != SB_OK)
            goto out;
        json_array_append_new(changes, json_string("tags"));
    }
    /* The timeline shows who changed what. */
    if (c.status != old_status &&
        (err = sb_svc_system_message(w, c.id, &op->actor, now, "Status changed from %s to %s",
                              sb_status_name(old_status), sb_status_name(c.status))) != SB_OK)
        goto out;
    if (c.assignee_id != old_assignee) {
        if (c.assignee_id)
            err = sb_svc_system_message(w, c.id, &op->actor, now, "Assigned to %s", agent_name(w, c.assignee_id, name, sizeof name));
        else
            err = sb_svc_system_message(w, c.id, &op->actor, now, "Unassigned");
        if (err != SB_OK)
            goto out;
    }
    if (c.team_id != old_team) {
        if (c.team_id)
            err = sb_svc_system_message(w, c.id, &op->actor, now, "Moved to team %s", team_name(w, c.team_id, name, sizeof name));
        else
            err = sb_svc_system_message(w, c.id, &op->actor, now, "Removed from its team");
        if (err != SB_OK)
            goto out;
    }
    if (c.priority != old_priority) {
        if (c.priority == SB_PRIORITY_URGENT)
            err = sb_svc_system_message(w, c.id, &op->actor, now, "Priority set to urgent: %s", c.priority_reason);
        else
            err = sb_svc_system_message(w, c.id, &op->actor, now, "Priority changed from %s to %s",
                                 sb_priority_name(old_priority), sb_priority_name(c.priority));
        if (err != SB_OK)
            goto out;
    }
    err = sb_svc_emit_conversation(w, "conversation.updated", c.id, &op->actor, changes, now);
out:
    json_decref(changes);
    sb_conv_release(&c);
    return err;
}

/* Every agent @mentioned in a note hears of it (once, not the author). */
static sb_err notify_mentions(sb_db *w, sb_message_op *op, const sb_conv *c)
{
    char author[256], text[512];
    agent_name(w, op->actor.id, author, sizeof author);
    for (size_t i = 0; i < op->nmentions; i++) {
        int64_t id = op->mentions[i];
        bool seen = id == op->actor.id && strcmp(op->actor.type, "agent") == 0;
        for (size_t j = 0; j < i && !seen; j++)
            seen = op->mentions[j] == id;
        if (seen)
            continue;
        json_t *a = sb_store_agent_get(w, id);
        bool active = a && json_is_true(json_object_get(a, "active"));
        json_decref(a);
        if (!active)
            return sb_svc_fail(op->errmsg, SB_E_VALIDATION, "mentions: no active agent %lld", (long long)id);
        snprintf(text, sizeof text, "%s mentioned you in a note on #%lld %.200s", author, (long long)c->id,
                 c->subject ? c->subject : "");
        sb_err err = sb_svc_notify(w, id, "mention", c->id, text);
        if (err)
            return err;
    }
    return SB_OK;
}

/* Uploaded files named by the op (replies, and inbound messages of channels like the widget). */
static sb_err insert_atts(sb_db *w, const sb_message_op *op, int64_t message_id, int64_t now)
{
    sb_err err = SB_OK;
    for (size_t i = 0; i < op->natts && err == SB_OK; i++)
        err = sb_store_attachment_insert(w, message_id, op->atts[i].filename, op->atts[i].content_type,
                                         op->atts[i].size, op->atts[i].sha256, false, NULL, now);
    return err;
}

sb_err sb_svc_message_create(sb_db *w, void *arg)
{
    sb_message_op *op = arg;
    int64_t now = sb_now();
    sb_conv c;
    sb_err err = sb_store_conv_load(w, op->conversation_id, &c);
    if (err != SB_OK)
        return sb_svc_fail(op->errmsg, err, "conversation %lld not found", (long long)op->conversation_id);
    op->out_conversation_id = c.id;
    sb_message_in m = {.conversation_id = c.id, .body_text = op->body};
    if (op->inbound) {
        sb_inbound_effect effect = sb_inbound_effect_for(c.status);
        sb_actor customer = {"contact", c.contact_id};
        if (effect == SB_INBOUND_NEW_CONVERSATION) {
            sb_conv_create_op cop = {
                .actor = op->actor,
                .subject = c.subject,
                .body = op->body,
                .channel = c.channel,
                .priority = SB_PRIORITY_NORMAL,
                .contact_id = c.contact_id,
                .team_id = c.team_id,
                .follow_up_of = c.id,
                .mailbox_id = c.mailbox_id,
            };
            err = sb_svc_conv_create(w, &cop);
            if (err != SB_OK)
                snprintf(op->errmsg, SB_ERRMSG, "%s", cop.errmsg);
            op->out_conversation_id = cop.id;
            op->message_id = cop.message_id;
            if (err == SB_OK)
                err = insert_atts(w, op, op->message_id, now);
            goto out;
        }
        m.direction = "in";
        m.kind = "message";
        m.author_type = "contact";
        m.author_id = c.contact_id;
        if ((err = sb_store_message_insert(w, &m, now, &op->message_id)) != SB_OK ||
            (err = insert_atts(w, op, op->message_id, now)) != SB_OK)
            goto out;
        if ((err = sb_svc_emit_message(w, op->message_id, c.contact_id, false, &customer, now)) != SB_OK)
            goto out;
        if (effect == SB_INBOUND_REOPEN)
            err = sb_svc_reopen(w, &c, &customer, now);
        goto out;
    }
    if (!op->internal && c.status == SB_STATUS_CLOSED) {
        err = sb_svc_fail(op->errmsg, SB_E_TRANSITION, "conversation %lld is closed; replies are not possible",
                   (long long)c.id);
        goto out;
    }
    if (op->set_status >= 0 && !sb_status_transition_allowed(c.status, op->set_status)) {
        err = sb_svc_fail(op->errmsg, SB_E_TRANSITION, "cannot change status from %s to %s",
                   sb_status_name(c.status), sb_status_name(op->set_status));
        goto out;
    }
    m.direction = "out";
    m.internal = op->internal;
    m.kind = op->internal ? "note" : "message";
    m.author_type = op->actor.type;
    m.author_id = op->actor.id;
    bool by_email = !op->internal && c.channel && strcmp(c.channel, "email") == 0;
    if (by_email)
        m.delivery_status = "pending";
    if ((err = sb_store_message_insert(w, &m, now, &op->message_id)) != SB_OK)
        goto out;
    if ((err = insert_atts(w, op, op->message_id, now)) != SB_OK)
        goto out;
    if (by_email && (err = sb_svc_email_queue_reply(w, &c, op->message_id, now)) != SB_OK)
        goto out;
    if ((err = sb_svc_emit_message(w, op->message_id, c.contact_id, op->internal, &op->actor, now)) != SB_OK)
        goto out;
    if (op->internal && (err = notify_mentions(w, op, &c)) != SB_OK)
        goto out;
    if (op->set_status >= 0 && op->set_status != c.status) {
        int old = c.status;
        sb_svc_set_status(&c, op->set_status, now);
        json_t *changes = json_pack("[s]", "status");
        if ((err = sb_store_conv_save(w, &c, now)) == SB_OK &&
            (err = sb_svc_system_message(w, c.id, &op->actor, now, "Status changed from %s to %s",
                                  sb_status_name(old), sb_status_name(c.status))) == SB_OK)
            err = sb_svc_emit_conversation(w, "conversation.updated", c.id, &op->actor, changes, now);
        json_decref(changes);
    } else {
        err = sb_svc_emit_conversation(w, "conversation.updated", c.id, &op->actor, NULL, now);
    }
out:
    sb_conv_release(&c);
    return err;
}

/* ---- entities ---- */

static const char *str_field(json_t *f, const char *key)
{
    return json_string_value(json_object_get(f, key));
}

/* 0 absent, -1 explicit null, else the id. */
static int64_t ref_field(json_t *f, const char *key)
{
    json_t *v = json_object_get(f, key);
    if (!v)
        return 0;
    if (json_is_null(v))
        return -1;
    return json_integer_value(v);
}

static sb_err set_members(sb_db *w, sb_entity_op *op, int64_t team_id)
{
    json_t *ids = json_object_get(op->fields, "member_ids");
    if (!ids)
        return SB_OK;
    size_t n = json_array_size(ids), i;
    int64_t *v = calloc(n + 1, sizeof *v);
    if (!v)
        return SB_E_INTERNAL;
    json_t *x;
    json_array_foreach(ids, i, x)
    {
        v[i] = json_integer_value(x);
        if (!sb_store_agent_is_active(w, v[i])) {
            long long bad = (long long)v[i];
            free(v);
            return sb_svc_fail(op->errmsg, SB_E_VALIDATION, "member_ids: %lld is not an active agent", bad);
        }
    }
    sb_err err = sb_store_team_set_members(w, team_id, v, n);
    free(v);
    return err;
}

static sb_err set_identities(sb_db *w, sb_entity_op *op, int64_t contact_id)
{
    json_t *ids = json_object_get(op->fields, "identities");
    const char *email = str_field(op->fields, "email");
    const char *phone = str_field(op->fields, "phone");
    sb_err err = SB_OK;
    if (ids && (err = sb_store_identity_clear(w, contact_id)) != SB_OK)
        return err;
    size_t i;
    json_t *x;
    json_array_foreach(ids, i, x)
    {
        const char *kind = str_field(x, "kind"), *value = str_field(x, "value");
        if ((err = sb_store_identity_add(w, contact_id, kind, value)) != SB_OK)
            return sb_svc_fail(op->errmsg, err, "identity %s:%s belongs to another contact", kind, value);
    }
    if (email && *email && (err = sb_store_identity_add(w, contact_id, "email", email)) != SB_OK)
        return sb_svc_fail(op->errmsg, err, "email %s belongs to another contact", email);
    if (phone && *phone && (err = sb_store_identity_add(w, contact_id, "phone", phone)) != SB_OK)
        return sb_svc_fail(op->errmsg, err, "phone %s belongs to another contact", phone);
    return SB_OK;
}

static const char *const entity_names[] = {"agent", "team", "organization", "contact", "tag"};

json_t *sb_svc_entity_get(sb_db *w, sb_entity e, int64_t id)
{
    switch (e) {
    case SB_ENT_AGENT: return sb_store_agent_get(w, id);
    case SB_ENT_TEAM: return sb_store_team_get(w, id);
    case SB_ENT_ORG: return sb_store_org_get(w, id);
    case SB_ENT_CONTACT: return sb_store_contact_get(w, id);
    case SB_ENT_TAG: return sb_store_tag_get(w, id);
    }
    return NULL;
}

static sb_err entity_create(sb_db *w, sb_entity_op *op, int64_t now)
{
    json_t *f = op->fields;
    sb_err err = SB_E_INTERNAL;
    const char *name = str_field(f, "name");
    switch (op->entity) {
    case SB_ENT_AGENT:
        err = sb_store_agent_insert(w, str_field(f, "email"), name, str_field(f, "role"), op->password_hash, now, &op->id);
        if (err == SB_E_CONFLICT)
            return sb_svc_fail(op->errmsg, err, "an agent with email %s exists", str_field(f, "email"));
        return err;
    case SB_ENT_TEAM: {
        const char *tier = str_field(f, "tier");
        err = sb_store_team_insert(w, name, tier ? tier : "L1", str_field(f, "description"), now, &op->id);
        if (err == SB_E_CONFLICT)
            return sb_svc_fail(op->errmsg, err, "a team named %s exists", name);
        return err == SB_OK ? set_members(w, op, op->id) : err;
    }
    case SB_ENT_ORG: {
        int64_t mgr = ref_field(f, "account_manager_id");
        if ((err = check_refs(w, op->errmsg, mgr, 0)) != SB_OK)
            return err;
        err = sb_store_org_insert(w, name, str_field(f, "domain"), mgr, str_field(f, "notes"), now, &op->id);
        if (err == SB_E_CONFLICT)
            return sb_svc_fail(op->errmsg, err, "an organization named %s exists", name);
        return err;
    }
    case SB_ENT_CONTACT: {
        int64_t org = ref_field(f, "organization_id");
        if (org > 0 && !sb_store_org_exists(w, org))
            return sb_svc_fail(op->errmsg, SB_E_VALIDATION, "organization_id %lld does not exist", (long long)org);
        err = sb_store_contact_insert(w, name, str_field(f, "email"), str_field(f, "phone"), org, now, &op->id);
        return err == SB_OK ? set_identities(w, op, op->id) : err;
    }
    case SB_ENT_TAG:
        err = sb_store_tag_insert(w, name, str_field(f, "color"), now, &op->id);
        if (err == SB_E_CONFLICT)
            return sb_svc_fail(op->errmsg, err, "a tag named %s exists", name);
        return err;
    }
    return err;
}

static sb_err entity_update(sb_db *w, sb_entity_op *op, int64_t now)
{
    json_t *f = op->fields;
    sb_err err = SB_E_INTERNAL;
    const char *name = str_field(f, "name");
    switch (op->entity) {
    case SB_ENT_AGENT: {
        json_t *active = json_object_get(f, "active");
        err = sb_store_agent_update(w, op->id, name, str_field(f, "role"), str_field(f, "status"),
                                    active ? json_is_true(active) : -1, op->password_hash, now);
        /* A new password ends every other session of the agent. */
        if (err == SB_OK && op->password_hash)
            err = sb_store_sessions_delete_agent(w, op->id, op->keep_session ? op->session_hash : NULL);
        break;
    }
    case SB_ENT_TEAM:
        err = sb_store_team_update(w, op->id, name, str_field(f, "tier"), str_field(f, "description"), now);
        if (err == SB_OK)
            err = set_members(w, op, op->id);
        break;
    case SB_ENT_ORG: {
        int64_t mgr = ref_field(f, "account_manager_id");
        if ((err = check_refs(w, op->errmsg, mgr, 0)) != SB_OK)
            return err;
        json_t *dom = json_object_get(f, "domain");
        err = sb_store_org_update(w, op->id, name, json_is_null(dom) ? "" : str_field(f, "domain"), mgr,
                                  str_field(f, "notes"), now);
        break;
    }
    case SB_ENT_CONTACT: {
        int64_t org = ref_field(f, "organization_id");
        if (org > 0 && !sb_store_org_exists(w, org))
            return sb_svc_fail(op->errmsg, SB_E_VALIDATION, "organization_id %lld does not exist", (long long)org);
        json_t *em = json_object_get(f, "email"), *ph = json_object_get(f, "phone");
        err = sb_store_contact_update(w, op->id, name, json_is_null(em) ? "" : str_field(f, "email"),
                                      json_is_null(ph) ? "" : str_field(f, "phone"), org, now);
        if (err == SB_OK)
            err = set_identities(w, op, op->id);
        break;
    }
    case SB_ENT_TAG: {
        json_t *color = json_object_get(f, "color");
        err = sb_store_tag_update(w, op->id, name, json_is_null(color) ? "" : str_field(f, "color"), now);
        break;
    }
    }
    if (err == SB_E_CONFLICT && !op->errmsg[0])
        return sb_svc_fail(op->errmsg, err, "the name is taken");
    return err;
}

static sb_err entity_delete(sb_db *w, sb_entity_op *op, int64_t now)
{
    switch (op->entity) {
    case SB_ENT_AGENT:
        return sb_store_agent_update(w, op->id, NULL, NULL, "offline", 0, NULL, now);
    case SB_ENT_TEAM: {
        json_t *ids = sb_store_conv_ids_with_team(w, op->id);
        sb_err err = sb_store_team_delete(w, op->id);
        size_t i;
        json_t *v;
        json_array_foreach(ids, i, v)
        {
            if (err != SB_OK)
                break;
            json_t *changes = json_pack("[s]", "team_id");
            err = sb_svc_emit_conversation(w, "conversation.updated", json_integer_value(v), &op->actor, changes, now);
            json_decref(changes);
        }
        json_decref(ids);
        return err;
    }
    case SB_ENT_ORG:
        return sb_store_org_delete(w, op->id);
    case SB_ENT_CONTACT: {
        sb_err err = sb_store_contact_delete(w, op->id);
        if (err == SB_E_CONFLICT)
            return sb_svc_fail(op->errmsg, err, "contact %lld still has conversations", (long long)op->id);
        return err;
    }
    case SB_ENT_TAG: {
        int64_t *ids = NULL;
        size_t n = 0;
        sb_err err = sb_store_tag_delete(w, op->id, now, &ids, &n);
        json_t *changes = json_pack("[s]", "tags");
        for (size_t i = 0; err == SB_OK && i < n; i++)
            err = sb_svc_emit_conversation(w, "conversation.updated", ids[i], &op->actor, changes, now);
        json_decref(changes);
        free(ids);
        return err;
    }
    }
    return SB_E_INTERNAL;
}

sb_err sb_svc_entity_write(sb_db *w, void *arg)
{
    sb_entity_op *op = arg;
    int64_t now = sb_now();
    json_t *before = op->kind == SB_OP_CREATE ? NULL : sb_svc_entity_get(w, op->entity, op->id);
    if (op->kind != SB_OP_CREATE && !before)
        return sb_svc_fail(op->errmsg, SB_E_NOT_FOUND, "%s %lld not found", entity_names[op->entity], (long long)op->id);
    sb_err err = op->kind == SB_OP_CREATE   ? entity_create(w, op, now)
                 : op->kind == SB_OP_UPDATE ? entity_update(w, op, now)
                                            : entity_delete(w, op, now);
    if (err == SB_OK && op->kind != SB_OP_DELETE) /* routing (issue 5 B): capacity, shift, strategy, on-call */
        err = sb_svc_routing_entity_write(w, op, now);
    if (err == SB_OK) {
        static const char *const verbs[] = {"created", "updated", "deleted"};
        char type[48];
        const char *verb = verbs[op->kind];
        if (op->entity == SB_ENT_AGENT && op->kind == SB_OP_DELETE)
            verb = "updated"; /* agents are deactivated, never removed */
        snprintf(type, sizeof type, "%s.%s", entity_names[op->entity], verb);
        json_t *after = op->kind == SB_OP_DELETE && op->entity != SB_ENT_AGENT ? json_incref(before)
                                                                               : sb_svc_entity_get(w, op->entity, op->id);
        err = sb_svc_emit(w, type, 0, op->entity == SB_ENT_CONTACT ? op->id : 0, false, &op->actor,
                   entity_names[op->entity], after, now);
        json_decref(after);
    }
    json_decref(before);
    return err;
}

sb_err sb_svc_token_create(sb_db *w, void *arg)
{
    sb_token_op *op = arg;
    return sb_store_token_insert(w, op->agent_id, op->hash, op->scope ? op->scope : "all", sb_now(), &op->id);
}

sb_err sb_svc_session_write(sb_db *w, void *arg)
{
    sb_session_op *op = arg;
    if (op->remove)
        return sb_store_session_delete(w, op->hash);
    return sb_store_session_insert(w, op->agent_id, op->hash, op->csrf, sb_now(), op->expires);
}

/* ---- search ---- */

char *sb_svc_search_query(const char *text)
{
    sb_buf b;
    sb_buf_init(&b, 4096);
    const unsigned char *p = (const unsigned char *)text;
    int words = 0;
    size_t last_len = 0;
    while (*p) {
        /* A word is a run of letters/digits (any non-ASCII byte counts as a letter). */
        while (*p && *p < 0x80 && !isalnum(*p))
            p++;
        const unsigned char *start = p;
        while (*p && (*p >= 0x80 || isalnum(*p)))
            p++;
        if (p == start)
            continue;
        last_len = 0;
        for (const unsigned char *q = start; q < p; q++)
            last_len += (*q & 0xC0) != 0x80; /* characters, not bytes */
        if (words++)
            sb_buf_puts(&b, " ");
        sb_buf_puts(&b, "\"");
        sb_buf_append(&b, start, (size_t)(p - start));
        sb_buf_puts(&b, "\"");
    }
    if (!words || b.failed) {
        sb_buf_release(&b);
        return NULL;
    }
    /* A prefix of one or two letters matches half the index: only longer ones are prefixes. */
    if (last_len >= 3)
        sb_buf_puts(&b, "*");
    return sb_buf_detach(&b, NULL);
}
