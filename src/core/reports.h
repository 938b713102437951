/* Reports: the pure parts of the figures (percentiles, backlog age buckets, local-time
 * buckets, CSAT score, trend, CSV fields). No I/O, no allocation. See docs/reports.md. */
#ifndef SB_CORE_REPORTS_H
#define SB_CORE_REPORTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Nearest-rank percentile: the value at rank ceil(pct/100 * n) (1-based) of v sorted
 * ascending, so the median of an even count is the lower middle value. Reorders v (average
 * O(n) selection, no full sort). pct 1..100. Returns false when n == 0. */
bool sb_rep_percentile(int64_t *v, size_t n, int pct, int64_t *out);

/* Backlog age buckets: <1h, 1-4h, 4-24h, 1-3d, 3-7d, >7d. */
#define SB_REP_AGE_BUCKETS 6
int sb_rep_age_bucket(int64_t age_s);
const char *sb_rep_age_label(int bucket);

/* Local calendar arithmetic for an instant and the UTC offset in effect at it. */
int64_t sb_rep_local_day(int64_t utc_s, int offset_s);  /* days since 1970-01-01, local */
int64_t sb_rep_local_hour(int64_t utc_s, int offset_s); /* hours since 1970-01-01T00, local */
int sb_rep_weekday(int64_t day);                       /* 0 = Monday ... 6 = Sunday */
void sb_rep_civil(int64_t day, int *y, int *m, int *d); /* proleptic Gregorian date of a day */

/* The CSAT score: share of excellent + good among rated surveys, or -1 when none. */
double sb_rep_csat_score(int64_t excellent, int64_t good, int64_t okay, int64_t poor);
/* Change from the previous period, in percent (rounded to 0.1), or false when prev is 0. */
bool sb_rep_change_percent(int64_t cur, int64_t prev, double *out);

/* One RFC 4180 CSV field: quoted when it holds a comma, quote, CR or LF (quotes doubled), and
 * safe against formula injection: a value starting with = + - @ (or TAB/CR) gets a leading
 * single quote and is then quoted. Writes at most cap-1 bytes and a NUL like snprintf;
 * returns the full length. 2 * strlen(in) + 4 bytes always suffice. */
size_t sb_rep_csv_field(const char *in, char *out, size_t cap);

#endif
