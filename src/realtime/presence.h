/* Who is viewing or typing in which conversation, in memory only: entries expire unless
 * renewed (clients repeat "viewing" every 15 s), so a closed tab disappears by itself. */
#ifndef SB_REALTIME_PRESENCE_H
#define SB_REALTIME_PRESENCE_H

#include <stdint.h>

#include <jansson.h>

#define SB_PRESENCE_MAX 10000 /* entries; the oldest are dropped beyond it */

/* Records agent's state ("viewing", "typing", "left" removes) and returns the other agents
 * present in the conversation: [{"agent":{"id","name"},"state","mode"}]. */
json_t *sb_presence_update(int64_t conversation_id, int64_t agent_id, const char *name, const char *state,
                           const char *mode, int64_t now_ms);

#endif
