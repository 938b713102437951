/* After-hours promise formatting. */
#include "core/after_hours.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static int64_t floor_div(int64_t a, int64_t b)
{
    return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

/* Days since 1970-01-01 -> civil date (Howard Hinnant's algorithm). */
static void civil(int64_t z, int *y, int *m, int *d)
{
    z += 719468;
    int64_t era = floor_div(z, 146097);
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = (int)(yoe + era * 400 + (*m <= 2));
}

static bool is_ru(const char *locale)
{
    return locale && strncmp(locale, "ru", 2) == 0 && (locale[2] == '\0' || locale[2] == '-' || locale[2] == '_');
}

void sb_ah_promise(const sb_ah_when *w, char *out, size_t n)
{
    static const char *const en_wd[] = {"Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"};
    static const char *const en_mon[] = {"January", "February", "March",     "April",   "May",      "June",
                                         "July",    "August",   "September", "October", "November", "December"};
    static const char *const ru_wd[] = {"в понедельник", "во вторник", "в среду", "в четверг",
                                        "в пятницу",     "в субботу",  "в воскресенье"};
    static const char *const ru_mon[] = {"января", "февраля", "марта",    "апреля",  "мая",    "июня",
                                         "июля",   "августа", "сентября", "октября", "ноября", "декабря"};
    int64_t now_l = w->now_s + w->now_offset_s, open_l = w->open_s + w->open_offset_s;
    int64_t now_day = floor_div(now_l, 86400), open_day = floor_div(open_l, 86400);
    int64_t diff = open_day - now_day;
    int minute = (int)(open_l - open_day * 86400) / 60;
    int wd = (int)(((open_day + 3) % 7 + 7) % 7);
    int y, m, d;
    civil(open_day, &y, &m, &d);
    char when[160], zone[120] = "";
    bool ru = is_ru(w->locale);
    if (w->tz_name && *w->tz_name)
        snprintf(zone, sizeof zone, ru ? " (время %s)" : " (%s time)", w->tz_name);
    if (diff <= 0)
        snprintf(when, sizeof when, ru ? "сегодня в %02d:%02d" : "today at %02d:%02d", minute / 60, minute % 60);
    else if (diff == 1)
        snprintf(when, sizeof when, ru ? "завтра в %02d:%02d" : "tomorrow at %02d:%02d", minute / 60, minute % 60);
    else if (diff < 7)
        snprintf(when, sizeof when, ru ? "%s в %02d:%02d" : "on %s at %02d:%02d", ru ? ru_wd[wd] : en_wd[wd],
                 minute / 60, minute % 60);
    else if (ru)
        snprintf(when, sizeof when, "%s, %d %s в %02d:%02d", ru_wd[wd], d, ru_mon[m - 1], minute / 60, minute % 60);
    else
        snprintf(when, sizeof when, "on %s, %d %s at %02d:%02d", en_wd[wd], d, en_mon[m - 1], minute / 60, minute % 60);
    snprintf(out, n, "%s%s", when, zone);
}

void sb_ah_render(const char *tpl, const sb_ah_when *w, char *out, size_t n)
{
    if (!n)
        return;
    char promise[300], time_s[16], date_s[32];
    sb_ah_promise(w, promise, sizeof promise);
    int64_t open_l = w->open_s + w->open_offset_s, day = floor_div(open_l, 86400);
    int minute = (int)(open_l - day * 86400) / 60, y, m, d;
    civil(day, &y, &m, &d);
    snprintf(time_s, sizeof time_s, "%02d:%02d", minute / 60, minute % 60);
    snprintf(date_s, sizeof date_s, "%04d-%02d-%02d", y, m, d);
    const struct {
        const char *key, *value;
    } vars[] = {{"{{next_open}}", promise},
                {"{{next_open_time}}", time_s},
                {"{{next_open_date}}", date_s},
                {"{{timezone}}", w->tz_name ? w->tz_name : ""}};
    size_t o = 0;
    for (const char *p = tpl; *p && o + 1 < n;) {
        bool done = false;
        for (size_t i = 0; i < sizeof vars / sizeof vars[0] && !done; i++) {
            size_t kl = strlen(vars[i].key);
            if (strncmp(p, vars[i].key, kl) == 0) {
                size_t vl = strlen(vars[i].value);
                if (vl > n - 1 - o)
                    vl = n - 1 - o;
                memcpy(out + o, vars[i].value, vl);
                o += vl;
                p += kl;
                done = true;
            }
        }
        if (!done)
            out[o++] = *p++;
    }
    /* never end inside a UTF-8 sequence */
    while (o > 0 && (o + 1 >= n) && ((unsigned char)out[o - 1] & 0x80)) {
        size_t k = o - 1;
        while (k > 0 && ((unsigned char)out[k] & 0xC0) == 0x80)
            k--;
        unsigned char lead = (unsigned char)out[k];
        size_t want = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
        if (o - k == want)
            break;
        o = k;
    }
    out[o] = '\0';
}

const char *sb_ah_pick_template(const json_t *templates, const char *locale)
{
    if (!json_is_object(templates) || json_object_size(templates) == 0)
        return NULL;
    const char *v;
    if (locale && (v = json_string_value(json_object_get(templates, locale))))
        return v;
    if (locale && strlen(locale) > 2) {
        char lang[3] = {locale[0], locale[1], '\0'};
        if ((v = json_string_value(json_object_get(templates, lang))))
            return v;
    }
    if ((v = json_string_value(json_object_get(templates, "en"))))
        return v;
    const char *key;
    json_t *val;
    json_object_foreach((json_t *)templates, key, val)
    {
        if (json_is_string(val))
            return json_string_value(val);
    }
    return NULL;
}

const char *sb_ah_guess_locale(const char *text)
{
    size_t cyr = 0, lat = 0;
    for (const unsigned char *p = (const unsigned char *)(text ? text : ""); *p && p < (const unsigned char *)text + 4096; p++) {
        if ((*p == 0xD0 || *p == 0xD1) && (p[1] & 0xC0) == 0x80) {
            cyr++;
            p++;
        } else if ((*p | 0x20) >= 'a' && (*p | 0x20) <= 'z') {
            lat++;
        }
    }
    return cyr > lat ? "ru" : "en";
}
