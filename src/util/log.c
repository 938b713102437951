#include "util/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <time.h>

#include "util/time.h"

int sb_log_level = SB_LOG_INFO;

static const char *const level_names[] = {"error", "warn", "info", "debug"};

void sb_log_write(int level, const char *fmt, ...)
{
    char ts[40], line[2048];
    sb_time_format_ms(sb_time_now_ms(), ts, sizeof ts);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    /* One fprintf per line keeps lines whole across threads. */
    fprintf(stderr, "ts=%s level=%s %s\n", ts, level_names[level & 3], line);
}
