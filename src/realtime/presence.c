#include "realtime/presence.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#define VIEW_TTL_MS 30000
#define TYPING_TTL_MS 6000

typedef struct {
    int64_t conversation_id, agent_id, expires;
    char name[96];
    char state[8];
    char mode[8];
} entry;

static entry entries[SB_PRESENCE_MAX];
static size_t count;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;

json_t *sb_presence_update(int64_t conversation_id, int64_t agent_id, const char *name, const char *state,
                           const char *mode, int64_t now_ms)
{
    json_t *others = json_array();
    pthread_mutex_lock(&mu);
    size_t k = 0;
    entry *mine = NULL;
    for (size_t i = 0; i < count; i++) { /* compacts expired entries as it goes */
        if (entries[i].expires <= now_ms)
            continue;
        if (k != i)
            entries[k] = entries[i];
        entry *e = &entries[k++];
        if (e->conversation_id != conversation_id)
            continue;
        if (e->agent_id == agent_id)
            mine = e;
        else
            json_array_append_new(others, json_pack("{s:{s:I, s:s}, s:s, s:s}", "agent", "id", (json_int_t)e->agent_id,
                                                    "name", e->name, "state", e->state, "mode", e->mode));
    }
    count = k;
    bool left = strcmp(state, "left") == 0;
    if (left && mine) {
        *mine = entries[--count];
    } else if (!left) {
        if (!mine) {
            if (count == SB_PRESENCE_MAX) { /* full: forget the oldest */
                memmove(entries, entries + 1, (count - 1) * sizeof entries[0]);
                count--;
            }
            mine = &entries[count++];
        }
        mine->conversation_id = conversation_id;
        mine->agent_id = agent_id;
        mine->expires = now_ms + (strcmp(state, "typing") == 0 ? TYPING_TTL_MS : VIEW_TTL_MS);
        snprintf(mine->name, sizeof mine->name, "%s", name);
        snprintf(mine->state, sizeof mine->state, "%s", state);
        snprintf(mine->mode, sizeof mine->mode, "%s", mode);
    }
    pthread_mutex_unlock(&mu);
    return others;
}
