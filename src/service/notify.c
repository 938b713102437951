/* In-app notifications: mentions, escalations, SLA warnings. One agent sees each. */
#include "service/internal.h"
#include "service/service.h"

sb_err sb_svc_notify(sb_db *w, int64_t agent_id, const char *kind, int64_t conversation_id, const char *text)
{
    int64_t now = sb_now(), id = 0;
    sb_err err = sb_store_notification_insert(w, agent_id, kind, conversation_id, text, now, &id);
    if (err)
        return err;
    json_t *n = sb_store_notification_get(w, id);
    if (!n)
        return SB_E_INTERNAL;
    json_t *data = json_pack("{s:o}", "notification", n);
    sb_event_in ev = {
        .type = "notification.created",
        .conversation_id = conversation_id,
        .internal = true,
        .agent_id = agent_id,
        .actor_type = "system",
        .data = data,
        .now = now,
    };
    err = sb_store_event_append(w, &ev, NULL);
    json_decref(data);
    return err;
}
