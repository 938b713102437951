/* SLA clocks: pure arithmetic over a business-hours calendar (core/calendar.h).
 *
 * A conversation has up to three clocks, each against a target in business seconds:
 *   first response - starts when the conversation starts; met by the first public agent reply;
 *   next response  - starts at a customer message after the first response was met (and no
 *                    next-response clock is running); met by the next public agent reply;
 *   resolution     - starts when the conversation starts; met when it becomes solved or
 *                    closed; a reopen resumes it with the business time already used.
 * While the conversation is pending (waiting on the customer) - or on_hold when the policy says
 * so - every running clock pauses: the business time used so far is kept and counting resumes
 * when the conversation is open again. A clock is breached once its used business time reaches
 * its target; the breach is remembered even when the clock is later met (met late). A clock is
 * in warning once its used time reaches the warning threshold.
 *
 * Instants are seconds since the epoch (UTC). No I/O, no allocation. See docs/sla.md. */
#ifndef SB_CORE_SLA_H
#define SB_CORE_SLA_H

#include <stdbool.h>
#include <stdint.h>

#include "core/calendar.h"

typedef enum { SB_SLA_FIRST = 0, SB_SLA_NEXT, SB_SLA_RESOLUTION, SB_SLA_N } sb_sla_target;

typedef struct {
    int64_t target_s[SB_SLA_N]; /* business seconds; 0 = no such target */
    bool pause_on_hold;
    int warn_percent;           /* warn at this share of the target (1..99), or 0 */
    int64_t warn_before_s;      /* else warn this many business seconds before due, or 0 (no warning) */
} sb_sla_policy;

typedef struct {
    bool active;       /* counting toward its target (started, not yet met or stopped) */
    bool met;          /* stopped by the event that satisfies it */
    bool breached;     /* reached its target (sticky) */
    bool warned;       /* reached its warning threshold (sticky while active) */
    int64_t elapsed_s; /* business seconds used in finished spans */
    int64_t since;     /* start of the running span; -1 while paused */
    int64_t met_at;
} sb_sla_clock;

typedef struct {
    sb_sla_clock c[SB_SLA_N];
    bool started;
    bool paused;
    int status; /* sb_status last applied */
} sb_sla_state;

typedef enum {
    SB_SLA_EV_START = 0, /* conversation created (status in .status) */
    SB_SLA_EV_STATUS,    /* status changed to .status */
    SB_SLA_EV_CUSTOMER,  /* public customer message */
    SB_SLA_EV_AGENT,     /* public agent reply */
} sb_sla_event_kind;

typedef struct {
    sb_sla_event_kind kind;
    int64_t at;
    int status;
} sb_sla_event;

typedef enum { SB_SLA_OK = 0, SB_SLA_WARNING, SB_SLA_BREACHED, SB_SLA_PAUSED, SB_SLA_MET } sb_sla_status;

/* What the clocks say at an instant. */
typedef struct {
    int64_t due[SB_SLA_N];     /* for running clocks; 0 when not running (paused, met, none) */
    int64_t warn_at[SB_SLA_N]; /* when the warning threshold is (was) reached; 0 as for due */
    bool breached[SB_SLA_N];
    bool warning[SB_SLA_N];    /* active, past the warning threshold, not breached */
    sb_sla_status status;
    int64_t next_check;        /* the earliest warning or due instant after `now`; 0 when none */
    int64_t nearest_due;       /* the earliest due instant of a running clock; 0 when none */
} sb_sla_view;

const char *sb_sla_status_name(sb_sla_status s);
const char *sb_sla_target_name(sb_sla_target t);

void sb_sla_init(sb_sla_state *s);
/* Applies one event (events must come in time order). Breaches and warnings reached before the
 * event are recorded first, so a clock met late stays breached. */
void sb_sla_apply(sb_sla_state *s, const sb_sla_policy *p, const sb_calendar *cal, const sb_sla_event *ev);
/* Evaluates the clocks at `now` (>= the last event), records new breaches and warnings in s,
 * and fills v. */
void sb_sla_evaluate(sb_sla_state *s, const sb_sla_policy *p, const sb_calendar *cal, int64_t now, sb_sla_view *v);
/* Business seconds clock t has used by `now`. */
int64_t sb_sla_used(const sb_sla_state *s, const sb_calendar *cal, sb_sla_target t, int64_t now);

#endif
