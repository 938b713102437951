/* Email endpoints: inbound raw messages, mailboxes, attachment and raw-message downloads. */
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api/api.h"
#include "channels/email/inbound.h"
#include "store/blobs.h"

#define MAX_DOWNLOAD (64u << 20)

int sb_api_inbound_email(sb_req *r)
{
    if (r->raw_len == 0)
        return sb_req_fail(r, SB_E_VALIDATION, "the body must be a raw RFC 5322 message");
    const char *mailbox = sb_req_query(r, "mailbox");
    if (mailbox && (!*mailbox || strlen(mailbox) > 254))
        mailbox = NULL;
    sb_email_inbound *in = NULL;
    char err[300];
    int rc = sb_email_inbound_prepare(sb_store_data_dir(r->app->store), r->raw, r->raw_len, mailbox, &in, err,
                                      sizeof err);
    if (rc != SB_OK)
        return sb_req_fail(r, (sb_err)rc, "%s", err);
    sb_email_ingest_op *op = sb_email_inbound_op(in);
    op->actor = sb_api_actor(r);
    return sb_req_submit(r, sb_svc_email_ingest, in, sb_email_inbound_free, op->errmsg);
}

int sb_api_inbound_email_finish(sb_req *r)
{
    sb_email_ingest_op *op = sb_email_inbound_op(r->op);
    return sb_req_json(r, op->duplicate ? 200 : 201,
                       json_pack("{s:I, s:I, s:b, s:b, s:b}", "conversation_id", (json_int_t)op->conversation_id,
                                 "message_id", (json_int_t)op->message_id, "duplicate", op->duplicate, "created",
                                 op->created, "acknowledged", op->acknowledged));
}

/* ---- mailboxes ---- */

static void mailbox_op_free(void *p)
{
    sb_mailbox_op *op = p;
    json_decref(op->fields);
    free(op);
}

static int mailbox_fields(sb_req *r, bool create)
{
    static const char *const fields[] = {"address", "name", "team_id", "smtp_url", "smtp_user", "smtp_password",
                                         "imap_url", "imap_user", "imap_password", "imap_poll_seconds",
                                         "ack_enabled", "ack_template", NULL};
    const char *v;
    bool present, b;
    int64_t id;
    int rc;
    if ((rc = sb_api_need_object(r)) != SB_OK || (rc = sb_api_only(r, fields)) != SB_OK ||
        (rc = sb_api_str(r, "address", create, false, 254, &v)) != SB_OK)
        return rc;
    if (v && (!strchr(v, '@') || strpbrk(v, " <>\"+,;")))
        return sb_req_fail(r, SB_E_VALIDATION, "address must be a plain email address (no +tag)");
    if (!create && v)
        return sb_req_fail(r, SB_E_VALIDATION, "the address of a mailbox cannot change; add a new mailbox");
    if ((rc = sb_api_str(r, "name", false, true, 200, &v)) != SB_OK ||
        (rc = sb_api_id(r, "team_id", &present, &id)) != SB_OK ||
        (rc = sb_api_str(r, "smtp_url", false, false, 500, &v)) != SB_OK)
        return rc;
    if (v && strncmp(v, "smtp://", 7) != 0 && strncmp(v, "smtps://", 8) != 0)
        return sb_req_fail(r, SB_E_VALIDATION, "smtp_url must start with smtp:// or smtps://");
    if ((rc = sb_api_str(r, "smtp_user", false, true, 200, &v)) != SB_OK ||
        (rc = sb_api_str(r, "smtp_password", false, true, 500, &v)) != SB_OK ||
        (rc = sb_api_str(r, "imap_url", false, false, 500, &v)) != SB_OK)
        return rc;
    if (v && strncmp(v, "imap://", 7) != 0 && strncmp(v, "imaps://", 8) != 0)
        return sb_req_fail(r, SB_E_VALIDATION, "imap_url must start with imap:// or imaps:// and name the folder");
    if ((rc = sb_api_str(r, "imap_user", false, true, 200, &v)) != SB_OK ||
        (rc = sb_api_str(r, "imap_password", false, true, 500, &v)) != SB_OK ||
        (rc = sb_api_bool(r, "ack_enabled", &present, &b)) != SB_OK ||
        (rc = sb_api_str(r, "ack_template", false, true, 10000, &v)) != SB_OK)
        return rc;
    json_t *poll = json_object_get(r->body, "imap_poll_seconds");
    if (poll && (!json_is_integer(poll) || json_integer_value(poll) < 1 || json_integer_value(poll) > 86400))
        return sb_req_fail(r, SB_E_VALIDATION, "imap_poll_seconds must be 1 to 86400");
    return SB_OK;
}

static int submit_mailbox(sb_req *r, int kind, int64_t id)
{
    sb_mailbox_op *op = calloc(1, sizeof *op);
    if (!op)
        return sb_req_fail(r, SB_E_INTERNAL, "out of memory");
    op->fields = r->body ? json_incref(r->body) : json_object();
    op->kind = kind;
    op->id = id;
    return sb_req_submit(r, sb_svc_mailbox_write, op, mailbox_op_free, op->errmsg);
}

int sb_api_mailboxes_list(sb_req *r)
{
    json_t *items = sb_store_mailbox_list(sb_req_db(r));
    if (!items)
        return sb_req_fail(r, SB_E_INTERNAL, "query failed");
    return sb_req_json(r, 200, json_pack("{s:o, s:n}", "items", items, "next_cursor"));
}

int sb_api_mailbox_get(sb_req *r)
{
    json_t *mb = sb_store_mailbox_get(sb_req_db(r), r->ids[0]);
    return mb ? sb_req_json(r, 200, mb) : sb_api_not_found(r, "mailbox", r->ids[0]);
}

int sb_api_mailbox_create(sb_req *r)
{
    int rc = mailbox_fields(r, true);
    return rc != SB_OK ? rc : submit_mailbox(r, 0, 0);
}

int sb_api_mailbox_update(sb_req *r)
{
    int rc = mailbox_fields(r, false);
    return rc != SB_OK ? rc : submit_mailbox(r, 1, r->ids[0]);
}

int sb_api_mailbox_delete(sb_req *r)
{
    return submit_mailbox(r, 2, r->ids[0]);
}

int sb_api_mailbox_finish(sb_req *r)
{
    sb_mailbox_op *op = r->op;
    if (op->kind == 2) {
        r->status = 204;
        return SB_OK;
    }
    json_t *mb = sb_store_mailbox_get(sb_req_db(r), op->id);
    return mb ? sb_req_json(r, op->kind == 0 ? 201 : 200, mb) : sb_req_fail(r, SB_E_INTERNAL, "mailbox vanished");
}

/* ---- downloads ---- */

/* Types a browser could execute are served as plain bytes. */
static const char *safe_type(const char *t)
{
    static const char *const ok[] = {"image/png", "image/jpeg", "image/gif", "image/webp", "application/pdf",
                                     "text/plain", "text/csv", "application/zip", NULL};
    for (const char *const *p = ok; *p; p++)
        if (t && strcasecmp(t, *p) == 0)
            return *p;
    return "application/octet-stream";
}

/* Queues a download (takes data): never rendered in the page, scripts sandboxed. */
static int queue_file(sb_req *r, char *data, size_t len, const char *type, const char *filename, bool inline_ok)
{
    struct MHD_Response *resp = MHD_create_response_from_buffer(len, data, MHD_RESPMEM_MUST_FREE);
    if (!resp) {
        free(data);
        return sb_req_fail(r, SB_E_INTERNAL, "out of memory");
    }
    const char *ct = safe_type(type);
    char disp[600], clean[256];
    size_t j = 0;
    for (const char *p = filename ? filename : "file"; *p && j < sizeof clean - 1; p++)
        clean[j++] = (*p == '"' || *p == '\\' || (unsigned char)*p < 0x20) ? '_' : *p;
    clean[j] = '\0';
    bool show = inline_ok && strncmp(ct, "image/", 6) == 0;
    snprintf(disp, sizeof disp, "%s; filename=\"%s\"", show ? "inline" : "attachment", clean);
    MHD_add_response_header(resp, "Content-Type", ct);
    MHD_add_response_header(resp, "Content-Disposition", disp);
    MHD_add_response_header(resp, "Content-Security-Policy", "default-src 'none'; sandbox");
    r->resp_bytes = len;
    return sb_req_queue_stream(r, resp);
}

static int send_blob(sb_req *r, json_t *attachment)
{
    char *data = NULL;
    size_t len = 0;
    if (sb_blob_get(sb_store_data_dir(r->app->store), json_string_value(json_object_get(attachment, "sha256")),
                    MAX_DOWNLOAD, &data, &len) < 0)
        return sb_req_fail(r, SB_E_NOT_FOUND, "the file is not in the store");
    return queue_file(r, data, len, json_string_value(json_object_get(attachment, "content_type")),
                      json_string_value(json_object_get(attachment, "filename")), true);
}

int sb_api_attachment_get(sb_req *r)
{
    json_t *a = sb_store_attachment_get(sb_req_db(r), r->ids[0]);
    if (!a)
        return sb_api_not_found(r, "attachment", r->ids[0]);
    int rc = send_blob(r, a);
    json_decref(a);
    return rc;
}

int sb_api_blob_get(sb_req *r)
{
    const char *sha = r->path + strlen("/api/v1/blobs/");
    json_t *a = sb_blob_valid_name(sha) ? sb_store_attachment_by_sha(sb_req_db(r), sha) : NULL;
    if (!a)
        return sb_req_fail(r, SB_E_NOT_FOUND, "no such file");
    int rc = send_blob(r, a);
    json_decref(a);
    return rc;
}

int sb_api_message_raw(sb_req *r)
{
    char *data = NULL;
    size_t len = 0;
    if (sb_store_raw_get(sb_req_db(r), r->ids[0], &data, &len) < 0)
        return sb_req_fail(r, SB_E_NOT_FOUND, "message %lld has no raw email", (long long)r->ids[0]);
    char name[64];
    snprintf(name, sizeof name, "message-%lld.eml", (long long)r->ids[0]);
    return queue_file(r, data, len, "application/octet-stream", name, false);
}

/* ---- uploads: files an agent attaches to a reply ---- */

int sb_api_upload(sb_req *r)
{
    const char *name = sb_req_query(r, "filename");
    if (!sb_api_safe_filename(name))
        return sb_req_fail(r, SB_E_VALIDATION,
                           "give ?filename= (at most 255 bytes, no slashes or control characters)");
    if (r->raw_len == 0)
        return sb_req_fail(r, SB_E_VALIDATION, "the body is the file, and it is empty");
    const char *type = sb_req_header(r, "Content-Type");
    char base[128];
    snprintf(base, sizeof base, "%s", type ? type : "");
    base[strcspn(base, "; ")] = '\0'; /* parameters (charset=...) are not kept */
    type = sb_api_mime_type_ok(base) ? base : "application/octet-stream";
    char hex[65];
    if (sb_blob_put(sb_store_data_dir(r->app->store), r->raw, r->raw_len, hex) < 0)
        return sb_req_fail(r, SB_E_INTERNAL, "cannot store the file");
    return sb_req_json(r, 201,
                       json_pack("{s:s, s:s, s:s, s:I}", "sha256", hex, "filename", name, "content_type", type, "size",
                                 (json_int_t)r->raw_len));
}
