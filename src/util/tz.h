/* Time zones from the system's tzdata, through GLib's GTimeZone: the UTC offset in effect at
 * an instant, and how far ahead it is sure not to change. The two functions have the shape of
 * an offset provider (see core/calendar.h's sb_cal_tz) with an sb_tz * as the context.
 *
 * Thread-safe: an sb_tz is immutable once opened and may be shared by any number of threads;
 * only sb_tz_free must not race with its users. No project knowledge. */
#ifndef SB_UTIL_TZ_H
#define SB_UTIL_TZ_H

#include <stdint.h>

typedef struct sb_tz sb_tz;

/* Opens an IANA zone ("Europe/Kyiv", "America/New_York", "UTC") from tzdata ($TZDIR or
 * /usr/share/zoneinfo). Costs about a millisecond (it tabulates the transitions from 1970 to
 * 2100 so that lookups are binary searches): keep one per zone rather than one per request. NULL when the name is malformed (only letters, digits, '_', '-', '+'
 * and '/'-separated segments; no "..", no absolute path, no POSIX TZ rule strings) or no such
 * zone is installed. Free with sb_tz_free. */
sb_tz *sb_tz_open(const char *name);
void sb_tz_free(sb_tz *tz);
/* The name given to sb_tz_open. */
const char *sb_tz_name(const sb_tz *tz);

/* Seconds east of UTC in effect at the instant utc_s (seconds since the epoch). ctx: sb_tz *. */
int sb_tz_offset(void *ctx, int64_t utc_s);
/* An instant > utc_s such that the offset is the same from utc_s up to (not including) it:
 * the exact next transition (from a table made at open for 1970-2100; found through GLib
 * elsewhere, when within a year), or a safe horizon when none is near. ctx: sb_tz *. */
int64_t sb_tz_next_change(void *ctx, int64_t utc_s);

#endif
