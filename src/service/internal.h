/* Helpers shared by the service's own files (not for other layers). */
#ifndef SB_SERVICE_INTERNAL_H
#define SB_SERVICE_INTERNAL_H

#include "service/service.h"

sb_err sb_svc_fail(char *errmsg, sb_err code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
sb_err sb_svc_emit(sb_db *w, const char *type, int64_t conv, int64_t contact, bool internal, const sb_actor *actor,
                   const char *key, json_t *obj, int64_t now);
sb_err sb_svc_emit_conversation(sb_db *w, const char *type, int64_t conv_id, const sb_actor *actor, json_t *changes,
                                int64_t now);
sb_err sb_svc_emit_message(sb_db *w, int64_t msg_id, int64_t contact_id, bool internal, const sb_actor *actor,
                           int64_t now);
sb_err sb_svc_system_message(sb_db *w, int64_t conv_id, const sb_actor *actor, int64_t now, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
void sb_svc_set_status(sb_conv *c, int status, int64_t now);
/* An inbound message reopened c (pending or solved): status, timeline note, event. */
sb_err sb_svc_reopen(sb_db *w, sb_conv *c, const sb_actor *customer, int64_t now);

/* Email: queue the delivery of an outbound message on an email conversation (gives it its
 * Message-ID, marks it pending, and enqueues the email.send job). */
sb_err sb_svc_email_queue_reply(sb_db *w, const sb_conv *c, int64_t message_id, int64_t now);

/* Routing hooks (service/routing.c), called inside the writer transaction:
 * a new conversation (team_given: the creator chose its team, so rules do not), and a
 * reopened one. Both do nothing when the conversation has an assignee. */
sb_err sb_svc_route_new(sb_db *w, int64_t conv_id, bool team_given, int64_t now);
sb_err sb_svc_route_reopened(sb_db *w, int64_t conv_id, int64_t now);
/* Agent and team routing fields of an entity write (capacity, shift, strategy, on-call, ...). */
sb_err sb_svc_routing_entity_write(sb_db *w, sb_entity_op *op, int64_t now);

#endif
