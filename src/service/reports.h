/* service/: the reports' fact rows. See docs/reports.md. */
#ifndef SB_SERVICE_REPORTS_H
#define SB_SERVICE_REPORTS_H

#include <stdint.h>

#include "service/service.h"

/* The calendar business times are counted on when a conversation has no SLA policy (settings
 * key; its value a calendar id; absent: 24/7 in UTC, so business time equals wall time). */
#define SB_SETTING_REPORTS_CALENDAR "reports_calendar_id"

/* Brings the conversation's fact row up to date: channel, team, assignee, status, category,
 * tags, first response and resolution instants with their wall and business durations, and
 * the SLA outcome per target. Run inside a writer transaction, after the SLA sync (it reads
 * the clocks); called by sb_svc_emit_conversation, so every conversation change keeps it
 * current. Business durations are computed once per first response / resolution instant. */
sb_err sb_svc_reports_sync(sb_db *w, int64_t conversation_id, int64_t now_ms);

#endif
