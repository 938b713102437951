#include "core/conversation.h"

#include <ctype.h>
#include <string.h>

static const char *const status_names[SB_STATUS_COUNT] = {
    "open", "pending", "on_hold", "solved", "closed",
};

static const char *const priority_names[SB_PRIORITY_COUNT] = {
    "low", "normal", "high", "urgent",
};

/* allowed[from][to]; the diagonal (no-op) is handled separately. */
static const bool allowed[SB_STATUS_COUNT][SB_STATUS_COUNT] = {
    /*               open   pending on_hold solved closed */
    [SB_STATUS_OPEN]    = {false, true,  true,  true,  false},
    [SB_STATUS_PENDING] = {true,  false, true,  true,  false},
    [SB_STATUS_ON_HOLD] = {true,  true,  false, true,  false},
    [SB_STATUS_SOLVED]  = {true,  false, false, false, true},
    [SB_STATUS_CLOSED]  = {false, false, false, false, false},
};

const char *sb_status_name(sb_status s)
{
    return (unsigned)s < SB_STATUS_COUNT ? status_names[s] : NULL;
}

int sb_status_parse(const char *name)
{
    if (!name)
        return -1;
    for (int i = 0; i < SB_STATUS_COUNT; i++)
        if (strcmp(name, status_names[i]) == 0)
            return i;
    return -1;
}

const char *sb_priority_name(sb_priority p)
{
    return (unsigned)p < SB_PRIORITY_COUNT ? priority_names[p] : NULL;
}

int sb_priority_parse(const char *name)
{
    if (!name)
        return -1;
    for (int i = 0; i < SB_PRIORITY_COUNT; i++)
        if (strcmp(name, priority_names[i]) == 0)
            return i;
    return -1;
}

bool sb_status_transition_allowed(sb_status from, sb_status to)
{
    if ((unsigned)from >= SB_STATUS_COUNT || (unsigned)to >= SB_STATUS_COUNT)
        return false;
    if (from == to)
        return true;
    return allowed[from][to];
}

sb_inbound_effect sb_inbound_effect_for(sb_status s)
{
    switch (s) {
    case SB_STATUS_PENDING:
    case SB_STATUS_SOLVED:
        return SB_INBOUND_REOPEN;
    case SB_STATUS_CLOSED:
        return SB_INBOUND_NEW_CONVERSATION;
    case SB_STATUS_OPEN:
    case SB_STATUS_ON_HOLD:
    default:
        return SB_INBOUND_KEEP;
    }
}

bool sb_priority_reason_ok(sb_priority p, const char *reason)
{
    if (p != SB_PRIORITY_URGENT)
        return true;
    if (!reason)
        return false;
    for (const char *c = reason; *c; c++)
        if (!isspace((unsigned char)*c))
            return true;
    return false;
}

int sb_queue_rank(sb_priority p)
{
    return p == SB_PRIORITY_URGENT ? 0 : 1;
}

int sb_queue_compare(const sb_queue_key *a, const sb_queue_key *b)
{
    int ra = sb_queue_rank(a->priority), rb = sb_queue_rank(b->priority);
    if (ra != rb)
        return ra < rb ? -1 : 1;
    if (a->id != b->id)
        return a->id < b->id ? -1 : 1;
    return 0;
}
