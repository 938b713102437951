/* Conversation workflow rules: statuses, priorities, queue order, reopen on inbound.
 * Pure code: no I/O, no allocation. */
#ifndef SB_CORE_CONVERSATION_H
#define SB_CORE_CONVERSATION_H

#include <stdbool.h>
#include <stdint.h>

typedef enum {
    SB_STATUS_OPEN = 0,
    SB_STATUS_PENDING,  /* waiting on the customer */
    SB_STATUS_ON_HOLD,  /* waiting on an internal task */
    SB_STATUS_SOLVED,
    SB_STATUS_CLOSED,
    SB_STATUS_COUNT
} sb_status;

typedef enum {
    SB_PRIORITY_LOW = 0,
    SB_PRIORITY_NORMAL,
    SB_PRIORITY_HIGH,
    SB_PRIORITY_URGENT,
    SB_PRIORITY_COUNT
} sb_priority;

/* Name <-> enum. Parsing returns -1 for an unknown name (or NULL). */
const char *sb_status_name(sb_status s);
int sb_status_parse(const char *name);
const char *sb_priority_name(sb_priority p);
int sb_priority_parse(const char *name);

/* Whether an explicit status change from `from` to `to` is legal.
 * Setting the current status again is legal (a no-op). closed is final. */
bool sb_status_transition_allowed(sb_status from, sb_status to);

/* What an inbound customer message does to a conversation in status `s`. */
typedef enum {
    SB_INBOUND_KEEP = 0,   /* append, status unchanged (open, on_hold) */
    SB_INBOUND_REOPEN,     /* append and set status open (pending, solved) */
    SB_INBOUND_NEW_CONVERSATION /* closed: start a follow-up conversation */
} sb_inbound_effect;
sb_inbound_effect sb_inbound_effect_for(sb_status s);

/* Urgent needs a written reason: returns true when the pair is acceptable.
 * A reason made only of whitespace does not count. */
bool sb_priority_reason_ok(sb_priority p, const char *reason);

/* Queue rank: urgent jumps the queue, everything else is first in, first out. */
int sb_queue_rank(sb_priority p); /* 0 for urgent, 1 otherwise */

typedef struct {
    sb_priority priority;
    int64_t id; /* ids grow with creation time: lower id = older */
} sb_queue_key;

/* qsort-style comparison: negative when a comes before b in the queue. */
int sb_queue_compare(const sb_queue_key *a, const sb_queue_key *b);

#endif
