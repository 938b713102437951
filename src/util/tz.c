/* Time zones over GLib's GTimeZone. GLib finds an instant's interval (the span between two
 * transitions of the zone) but has no call that lists transitions, and it finds it with a
 * linear scan. Interval indices only grow with time, so a probe that lands in the same
 * interval proves that nothing changed before it: sb_tz_open uses that to bisect every
 * transition between TABLE_FROM and TABLE_TO once (a few thousand probes), and then answers
 * from that sorted table with a binary search. Outside the table it asks GLib directly. */
#include "util/tz.h"

#include <fcntl.h>
#include <glib.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NAME_MAX_LEN 64
#define DAY_S 86400
#define TABLE_FROM 0LL           /* 1970-01-01T00:00:00Z */
#define TABLE_TO 4102444800LL    /* 2100-01-01T00:00:00Z */
#define TABLE_MAX 1024           /* transitions kept: tzdata has at most ~4 a year */

struct sb_tz {
    GTimeZone *zone;
    char name[NAME_MAX_LEN];
    /* transitions in (TABLE_FROM, TABLE_TO]: the offset is off[k] from at[k] on */
    size_t n;
    int64_t at[TABLE_MAX];
    int32_t off[TABLE_MAX];
    int32_t off_from; /* the offset at TABLE_FROM */
};

static bool name_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n >= NAME_MAX_LEN)
        return false;
    if (!((s[0] >= 'A' && s[0] <= 'Z') || (s[0] >= 'a' && s[0] <= 'z')))
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
                  c == '-' || c == '+' || c == '/';
        if (!ok || (c == '/' && (s[i + 1] == '/' || s[i + 1] == '\0')))
            return false;
    }
    return true;
}

/* Whether tzdata holds a compiled zone (a TZif file) under that name. GLib would otherwise
 * read a name it cannot find as a POSIX TZ rule ("ABC3" = three hours west of UTC). */
static bool in_tzdata(const char *name)
{
    const char *dir = getenv("TZDIR");
    char path[PATH_MAX];
    int n = snprintf(path, sizeof path, "%s/%s", dir && *dir ? dir : "/usr/share/zoneinfo", name);
    if (n < 0 || (size_t)n >= sizeof path)
        return false;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    char magic[4];
    ssize_t got = read(fd, magic, sizeof magic);
    close(fd);
    return got == (ssize_t)sizeof magic && memcmp(magic, "TZif", 4) == 0;
}

static int interval_at(const sb_tz *tz, int64_t utc_s)
{
    return g_time_zone_find_interval(tz->zone, G_TIME_TYPE_UNIVERSAL, (gint64)utc_s);
}

static int glib_offset(const sb_tz *tz, int64_t utc_s)
{
    int i = interval_at(tz, utc_s);
    return i < 0 ? 0 : (int)g_time_zone_get_offset(tz->zone, i);
}

/* Records, in order, every instant in (lo, hi] where the interval changes. */
static void bisect(sb_tz *tz, int64_t lo, int ilo, int64_t hi, int ihi)
{
    if (ilo == ihi || tz->n >= TABLE_MAX)
        return;
    if (hi - lo == 1) {
        tz->at[tz->n] = hi;
        tz->off[tz->n++] = glib_offset(tz, hi);
        return;
    }
    int64_t mid = lo + (hi - lo) / 2;
    int imid = interval_at(tz, mid);
    bisect(tz, lo, ilo, mid, imid);
    bisect(tz, mid, imid, hi, ihi);
}

sb_tz *sb_tz_open(const char *name)
{
    if (!name || !name_ok(name) || !in_tzdata(name))
        return NULL;
    GTimeZone *zone = g_time_zone_new_identifier(name);
    if (!zone)
        return NULL;
    sb_tz *tz = calloc(1, sizeof *tz);
    if (!tz) {
        g_time_zone_unref(zone);
        return NULL;
    }
    tz->zone = zone;
    snprintf(tz->name, sizeof tz->name, "%s", name);
    tz->off_from = glib_offset(tz, TABLE_FROM);
    bisect(tz, TABLE_FROM, interval_at(tz, TABLE_FROM), TABLE_TO, interval_at(tz, TABLE_TO));
    return tz;
}

void sb_tz_free(sb_tz *tz)
{
    if (!tz)
        return;
    g_time_zone_unref(tz->zone);
    free(tz);
}

const char *sb_tz_name(const sb_tz *tz)
{
    return tz->name;
}

/* Whether the table answers for t, which needs a full table and TABLE_FROM <= t < TABLE_TO. */
static bool in_table(const sb_tz *tz, int64_t t)
{
    return tz->n < TABLE_MAX && t >= TABLE_FROM && t < TABLE_TO;
}

/* The number of transitions at or before t. */
static size_t table_rank(const sb_tz *tz, int64_t t)
{
    size_t lo = 0, hi = tz->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (tz->at[mid] <= t)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

int sb_tz_offset(void *ctx, int64_t utc_s)
{
    const sb_tz *tz = ctx;
    if (!in_table(tz, utc_s))
        return glib_offset(tz, utc_s);
    size_t k = table_rank(tz, utc_s);
    return k ? tz->off[k - 1] : tz->off_from;
}

int64_t sb_tz_next_change(void *ctx, int64_t utc_s)
{
    const sb_tz *tz = ctx;
    if (in_table(tz, utc_s)) {
        size_t k = table_rank(tz, utc_s);
        return k < tz->n ? tz->at[k] : TABLE_TO; /* nothing changes before the table's end */
    }
    static const int64_t probes[] = {DAY_S, 32 * DAY_S, 366 * DAY_S};
    int i = interval_at(tz, utc_s);
    int64_t lo = utc_s, hi = lo;
    bool found = false;
    for (size_t k = 0; k < sizeof probes / sizeof probes[0] && !found; k++) {
        hi = utc_s + probes[k];
        found = interval_at(tz, hi) != i;
        if (!found)
            lo = hi;
    }
    if (!found)
        return lo; /* no transition within a year */
    while (hi - lo > 1) { /* interval(lo) == i, interval(hi) != i */
        int64_t mid = lo + (hi - lo) / 2;
        if (interval_at(tz, mid) == i)
            lo = mid;
        else
            hi = mid;
    }
    return hi;
}
