/* After-hours replies: the promise of when the team answers ("tomorrow at 09:00 (Europe/Kyiv
 * time)") and the template rendering. Pure code: the caller passes the instants and the UTC
 * offsets in effect at them (from the calendar's time zone). Locales: en (default) and ru. */
#ifndef SB_CORE_AFTER_HOURS_H
#define SB_CORE_AFTER_HOURS_H

#include <stddef.h>
#include <stdint.h>

#define SB_AH_TEMPLATE_MAX 4000 /* bytes of one template */

typedef struct {
    const char *locale;  /* "en", "ru", "ru-RU"...; unknown languages get English */
    int64_t now_s;       /* the message's arrival */
    int now_offset_s;    /* UTC offset at now_s in the calendar's zone */
    int64_t open_s;      /* the next opening instant */
    int open_offset_s;   /* UTC offset at open_s */
    const char *tz_name; /* shown after the time, or NULL/"" */
} sb_ah_when;

/* Writes the human-readable promise ("today at 14:00", "tomorrow at 09:00", "on Monday at
 * 09:00", "on Monday, 7 December at 09:00", each followed by " (ZONE time)"). */
void sb_ah_promise(const sb_ah_when *w, char *out, size_t n);

/* Expands {{next_open}} (the promise), {{next_open_time}} (HH:MM), {{next_open_date}}
 * (YYYY-MM-DD, local) and {{timezone}} in tpl into out (truncated at n). */
void sb_ah_render(const char *tpl, const sb_ah_when *w, char *out, size_t n);

/* The template for a locale: templates[locale], then its language ("ru" for "ru-RU"), then "en",
 * then the first one. Returns NULL when there is none. templates is a JSON object of strings. */
#include <jansson.h>
const char *sb_ah_pick_template(const json_t *templates, const char *locale);

/* A language guess for messages that carry none: "ru" when the text has more Cyrillic letters
 * than Latin ones (in its first 4 KiB), else "en". */
const char *sb_ah_guess_locale(const char *text);

#endif
