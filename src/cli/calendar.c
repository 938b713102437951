/* `switchboard calendar`: business-hours arithmetic on a calendar file (docs/calendars.md).
 *   calendar due --calendar FILE --from T --minutes N      prints the due instant (RFC 3339 UTC)
 *   calendar between --calendar FILE --from A --to B       prints business minutes (integer)
 *   calendar check --calendar FILE                         validates the file
 * Exit 0 on success, 2 on bad usage or input (options, instants, minutes, a result out of
 * range), 1 when the calendar file cannot be read or is not a valid calendar. */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/calendar.h"
#include "util/time.h"
#include "util/tz.h"

#define EXIT_USAGE 2
#define EXIT_CALENDAR 1
#define MAX_CALENDAR_FILE (1u << 20)

static void usage(FILE *f)
{
    fputs("usage:\n"
          "  switchboard calendar due --calendar FILE --from T --minutes N\n"
          "  switchboard calendar between --calendar FILE --from A --to B\n"
          "  switchboard calendar check --calendar FILE\n"
          "T, A, B: RFC 3339 instants (2026-11-23T10:00:00Z or with an offset, +02:00).\n"
          "FILE: a JSON calendar, see docs/calendars.md.\n",
          f);
}

/* Loads, validates and attaches the time zone; prints why not. 0 or -1. */
static int load_calendar(const char *path, sb_calendar *cal, sb_tz **tz_out)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "switchboard calendar: cannot open %s: %s\n", path, strerror(errno));
        return -1;
    }
    char *text = malloc(MAX_CALENDAR_FILE + 1);
    size_t len = text ? fread(text, 1, MAX_CALENDAR_FILE + 1, f) : 0;
    int bad_read = !text || ferror(f);
    fclose(f);
    if (bad_read || len > MAX_CALENDAR_FILE) {
        fprintf(stderr, "switchboard calendar: %s: %s\n", path,
                bad_read ? "cannot read the file" : "larger than 1 MiB");
        free(text);
        return -1;
    }
    json_error_t jerr;
    json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    free(text);
    if (!root) {
        fprintf(stderr, "switchboard calendar: %s:%d:%d: invalid JSON: %s\n", path, jerr.line, jerr.column,
                jerr.text);
        return -1;
    }
    char err[256] = "";
    sb_err rc = sb_cal_from_json(cal, root, err, sizeof err);
    json_decref(root);
    if (rc != SB_OK) {
        fprintf(stderr, "switchboard calendar: %s: invalid calendar: %s\n", path, err);
        return -1;
    }
    sb_tz *tz = sb_tz_open(cal->timezone);
    if (!tz) {
        fprintf(stderr, "switchboard calendar: %s: invalid calendar: unknown time zone \"%s\" (not in tzdata)\n",
                path, cal->timezone);
        return -1;
    }
    cal->tz = (sb_cal_tz){.utc_offset_s = sb_tz_offset, .next_change_s = sb_tz_next_change, .ctx = tz};
    *tz_out = tz;
    return 0;
}

/* RFC 3339 instant into whole seconds (a fraction is dropped: floor). */
static int parse_instant(const char *opt, const char *s, int64_t *out)
{
    int64_t ms;
    if (sb_time_parse(s, &ms) != 0) {
        fprintf(stderr, "switchboard calendar: %s \"%s\" is not an RFC 3339 instant (e.g. 2026-11-23T10:00:00Z)\n",
                opt, s);
        return -1;
    }
    *out = ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000);
    if (*out < SB_CAL_MIN_S || *out > SB_CAL_MAX_S) {
        fprintf(stderr, "switchboard calendar: %s \"%s\" is outside years 0001-9999\n", opt, s);
        return -1;
    }
    return 0;
}

/* "YYYY-MM-DDTHH:MM:SSZ" with a four-digit year even before 1000. */
static void format_utc(int64_t t, char *out, size_t n)
{
    int64_t days = t >= 0 ? t / 86400 : -((-t + 86399) / 86400), secs = t - days * 86400;
    /* civil from days (Howard Hinnant) */
    int64_t z = days + 719468, era = (z >= 0 ? z : z - 146096) / 146097, doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365, doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153, d = doy - (153 * mp + 2) / 5 + 1, m = mp < 10 ? mp + 3 : mp - 9;
    int64_t y = yoe + era * 400 + (m <= 2);
    snprintf(out, n, "%04d-%02d-%02dT%02d:%02d:%02dZ", (int)y, (int)m, (int)d, (int)(secs / 3600),
             (int)(secs / 60 % 60), (int)(secs % 60));
}

static int parse_minutes(const char *s, int64_t *out)
{
    const char *p = s;
    int64_t v = 0;
    if (!*p)
        goto bad;
    for (; *p; p++) {
        if (*p < '0' || *p > '9' || v > (SB_CAL_MAX_S - SB_CAL_MIN_S) / 60)
            goto bad;
        v = v * 10 + (*p - '0');
    }
    if (v > (SB_CAL_MAX_S - SB_CAL_MIN_S) / 60)
        goto bad;
    *out = v;
    return 0;
bad:
    fprintf(stderr, "switchboard calendar: --minutes \"%s\" is not a whole number of minutes >= 0\n", s);
    return -1;
}

static int cmd_due(int argc, char **argv)
{
    static const char *const with_value[] = {"--calendar", "--from", "--minutes", NULL};
    if (sb_cli_check(argc, argv, with_value, NULL) < 0)
        return EXIT_USAGE;
    const char *file = sb_cli_opt(argc, argv, "--calendar"), *from_s = sb_cli_opt(argc, argv, "--from"),
               *min_s = sb_cli_opt(argc, argv, "--minutes");
    if (!file || !from_s || !min_s) {
        fprintf(stderr, "usage: switchboard calendar due --calendar FILE --from T --minutes N\n");
        return EXIT_USAGE;
    }
    int64_t from, minutes, due;
    if (parse_instant("--from", from_s, &from) < 0 || parse_minutes(min_s, &minutes) < 0)
        return EXIT_USAGE;
    sb_calendar *cal = malloc(sizeof *cal);
    sb_tz *tz = NULL;
    int code = EXIT_CALENDAR;
    if (!cal) {
        fprintf(stderr, "switchboard calendar: out of memory\n");
        return EXIT_CALENDAR;
    }
    if (load_calendar(file, cal, &tz) == 0) {
        if (sb_cal_add_minutes(cal, from, minutes, &due) == SB_OK) {
            char out[80];
            format_utc(due, out, sizeof out);
            printf("%s\n", out);
            code = 0;
        } else {
            fprintf(stderr, "switchboard calendar: the due instant is after 9999-12-31T23:59:59Z\n");
            code = EXIT_USAGE;
        }
    }
    sb_tz_free(tz);
    free(cal);
    return code;
}

static int cmd_between(int argc, char **argv)
{
    static const char *const with_value[] = {"--calendar", "--from", "--to", NULL};
    if (sb_cli_check(argc, argv, with_value, NULL) < 0)
        return EXIT_USAGE;
    const char *file = sb_cli_opt(argc, argv, "--calendar"), *from_s = sb_cli_opt(argc, argv, "--from"),
               *to_s = sb_cli_opt(argc, argv, "--to");
    if (!file || !from_s || !to_s) {
        fprintf(stderr, "usage: switchboard calendar between --calendar FILE --from A --to B\n");
        return EXIT_USAGE;
    }
    int64_t a, b;
    if (parse_instant("--from", from_s, &a) < 0 || parse_instant("--to", to_s, &b) < 0)
        return EXIT_USAGE;
    sb_calendar *cal = malloc(sizeof *cal);
    sb_tz *tz = NULL;
    int code = EXIT_CALENDAR;
    if (!cal) {
        fprintf(stderr, "switchboard calendar: out of memory\n");
        return EXIT_CALENDAR;
    }
    if (load_calendar(file, cal, &tz) == 0) {
        printf("%lld\n", (long long)sb_cal_minutes_between(cal, a, b));
        code = 0;
    }
    sb_tz_free(tz);
    free(cal);
    return code;
}

static int cmd_check(int argc, char **argv)
{
    static const char *const with_value[] = {"--calendar", NULL};
    if (sb_cli_check(argc, argv, with_value, NULL) < 0)
        return EXIT_USAGE;
    const char *file = sb_cli_opt(argc, argv, "--calendar");
    if (!file) {
        fprintf(stderr, "usage: switchboard calendar check --calendar FILE\n");
        return EXIT_USAGE;
    }
    sb_calendar *cal = malloc(sizeof *cal);
    sb_tz *tz = NULL;
    int code = EXIT_CALENDAR;
    if (!cal) {
        fprintf(stderr, "switchboard calendar: out of memory\n");
        return EXIT_CALENDAR;
    }
    if (load_calendar(file, cal, &tz) == 0) {
        printf("ok: %s, %lld:%02lld open hours a week, %u holiday entries\n", cal->timezone,
               (long long)(cal->week_open_s / 3600), (long long)(cal->week_open_s / 60 % 60),
               (unsigned)cal->n_holidays);
        code = 0;
    }
    sb_tz_free(tz);
    free(cal);
    return code;
}

int sb_cli_calendar(int argc, char **argv)
{
    if (argc < 1) {
        usage(stderr);
        return EXIT_USAGE;
    }
    const char *sub = argv[0];
    if (strcmp(sub, "--help") == 0 || strcmp(sub, "help") == 0 || sb_cli_flag(argc - 1, argv + 1, "--help")) {
        usage(stdout);
        return 0;
    }
    if (strcmp(sub, "due") == 0)
        return cmd_due(argc - 1, argv + 1);
    if (strcmp(sub, "between") == 0)
        return cmd_between(argc - 1, argv + 1);
    if (strcmp(sub, "check") == 0)
        return cmd_check(argc - 1, argv + 1);
    fprintf(stderr, "switchboard calendar: unknown subcommand \"%s\"\n", sub);
    usage(stderr);
    return EXIT_USAGE;
}
