/* Report arithmetic. See reports.h. */
#include "core/reports.h"

#include <math.h>
#include <string.h>

static void swap(int64_t *a, int64_t *b)
{
    int64_t t = *a;
    *a = *b;
    *b = t;
}

/* Quickselect with a three-way partition (report values repeat a lot: many zeros, whole
 * minutes) and a median-of-three pivot: returns the k-th smallest (0-based). */
static int64_t select_kth(int64_t *v, size_t n, size_t k)
{
    int64_t lo = 0, hi = (int64_t)n - 1, kk = (int64_t)k;
    while (lo < hi) {
        int64_t mid = lo + (hi - lo) / 2;
        int64_t a = v[lo], b = v[mid], c = v[hi];
        int64_t pivot = a < b ? (b < c ? b : (a < c ? c : a)) : (a < c ? a : (b < c ? c : b));
        int64_t lt = lo, i = lo, gt = hi;
        while (i <= gt) {
            if (v[i] < pivot)
                swap(&v[lt++], &v[i++]);
            else if (v[i] > pivot)
                swap(&v[i], &v[gt--]);
            else
                i++;
        }
        if (kk < lt)
            hi = lt - 1;
        else if (kk > gt)
            lo = gt + 1;
        else
            return pivot;
    }
    return v[kk];
}

bool sb_rep_percentile(int64_t *v, size_t n, int pct, int64_t *out)
{
    if (n == 0 || pct < 1 || pct > 100)
        return false;
    /* rank = ceil(pct * n / 100), computed in integers */
    size_t rank = (size_t)(((unsigned long long)pct * n + 99) / 100);
    if (rank < 1)
        rank = 1;
    *out = select_kth(v, n, rank - 1);
    return true;
}

int sb_rep_age_bucket(int64_t age_s)
{
    static const int64_t limits[] = {3600, 4 * 3600, 24 * 3600, 3 * 86400, 7 * 86400};
    for (int i = 0; i < 5; i++)
        if (age_s < limits[i])
            return i;
    return 5;
}

const char *sb_rep_age_label(int bucket)
{
    static const char *const labels[] = {"<1h", "1-4h", "4-24h", "1-3d", "3-7d", ">7d"};
    return bucket >= 0 && bucket < SB_REP_AGE_BUCKETS ? labels[bucket] : "?";
}

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

int64_t sb_rep_local_day(int64_t utc_s, int offset_s) { return floor_div(utc_s + offset_s, 86400); }
int64_t sb_rep_local_hour(int64_t utc_s, int offset_s) { return floor_div(utc_s + offset_s, 3600); }

int sb_rep_weekday(int64_t day)
{
    int64_t w = (day + 3) % 7; /* 1970-01-01 was a Thursday */
    return (int)(w < 0 ? w + 7 : w);
}

/* Howard Hinnant's civil_from_days. */
void sb_rep_civil(int64_t day, int *y, int *m, int *d)
{
    int64_t z = day + 719468;
    int64_t era = floor_div(z, 146097);
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    int64_t dd = doy - (153 * mp + 2) / 5 + 1;
    int64_t mm = mp < 10 ? mp + 3 : mp - 9;
    *y = (int)(yoe + era * 400 + (mm <= 2));
    *m = (int)mm;
    *d = (int)dd;
}

double sb_rep_csat_score(int64_t excellent, int64_t good, int64_t okay, int64_t poor)
{
    int64_t n = excellent + good + okay + poor;
    return n > 0 ? (double)(excellent + good) / (double)n : -1.0;
}

bool sb_rep_change_percent(int64_t cur, int64_t prev, double *out)
{
    if (prev <= 0)
        return false;
    *out = round((double)(cur - prev) * 1000.0 / (double)prev) / 10.0;
    return true;
}

size_t sb_rep_csv_field(const char *in, char *out, size_t cap)
{
    bool formula = in[0] == '=' || in[0] == '+' || in[0] == '-' || in[0] == '@' || in[0] == '\t' || in[0] == '\r';
    bool quote = formula || strpbrk(in, ",\"\r\n") != NULL;
    size_t n = 0;
#define PUT(c)                                                                                                         \
    do {                                                                                                               \
        if (cap && n < cap - 1)                                                                                        \
            out[n] = (c);                                                                                              \
        n++;                                                                                                           \
    } while (0)
    if (quote)
        PUT('"');
    if (formula)
        PUT('\'');
    for (const char *p = in; *p; p++) {
        if (*p == '"')
            PUT('"');
        PUT(*p);
    }
    if (quote)
        PUT('"');
#undef PUT
    if (cap)
        out[n < cap ? n : cap - 1] = '\0';
    return n;
}
