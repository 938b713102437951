/* realtime/: the SSE hub. Committed events arrive from the store's commit hook and are
 * fanned out to parked event streams; a stream that reconnects with Last-Event-ID first
 * replays what it missed from the events table, in bounded chunks. */
#ifndef SB_REALTIME_HUB_H
#define SB_REALTIME_HUB_H

#include "http/http.h"
#include "store/store.h"

/* per_agent: open streams one agent may hold (0: 32). */
sb_hub *sb_hub_new(sb_store *st, unsigned heartbeat_s, unsigned per_agent);
void sb_hub_free(sb_hub *hub);
/* Called from the store's commit hook with the writer connection (for reading events that
 * another process committed, which are published first, in order). */
void sb_hub_publish(sb_hub *hub, sb_db *w, const sb_event *events, size_t n);
/* Opens an event stream on r, replaying events after last_id (-1: only new events). */
int sb_hub_open_stream(sb_hub *hub, sb_req *r, int64_t last_id);
/* Opens a widget visitor's stream: only the events of contact_id that a customer may see
 * (not internal, not for one agent), in a reduced form ({"type","conversation_id",
 * "message_id"}); token_hash is the visitor token's SHA-256, re-checked like an agent's. */
int sb_hub_open_visitor_stream(sb_hub *hub, sb_req *r, int64_t contact_id, const unsigned char token_hash[32],
                               int64_t last_id);

/* Ephemeral events (typing, presence): sent only to the live streams of the audience (for
 * visitors: only those of contact_id), never stored or replayed, framed without an `id:`.
 * json is sent as given: for visitors it must be customer-safe. */
#define SB_HUB_AGENTS 1u
#define SB_HUB_VISITORS 2u
void sb_hub_ephemeral(sb_hub *hub, const char *type, const char *json, int64_t conversation_id, int64_t contact_id,
                      unsigned audience);
/* Re-checks every stream's credentials now (after a logout, revocation or deactivation). */
void sb_hub_recheck(sb_hub *hub);
/* Ends every stream and refuses new ones (shutdown). */
void sb_hub_close_all(sb_hub *hub);
unsigned sb_hub_connections(sb_hub *hub);

#endif
