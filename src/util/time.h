/* Wall-clock time as milliseconds since the Unix epoch, and RFC 3339 UTC text. */
#ifndef SB_UTIL_TIME_H
#define SB_UTIL_TIME_H

#include <stddef.h>
#include <stdint.h>

int64_t sb_time_now_ms(void);
/* Monotonic clock in nanoseconds, for durations. */
int64_t sb_time_mono_ns(void);
/* "2026-11-23T10:00:00Z" (seconds precision) into out (>= 21 bytes). */
void sb_time_format(int64_t ms, char *out, size_t n);
/* "2026-11-23T10:00:00.123Z" into out (>= 25 bytes). */
void sb_time_format_ms(int64_t ms, char *out, size_t n);
/* Parses RFC 3339 (Z or ±hh:mm offset, optional fraction). 0 on success. */
int sb_time_parse(const char *s, int64_t *ms);

#endif
