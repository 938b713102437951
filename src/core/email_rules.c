#include "core/email_rules.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int64_t sb_email_token_parse(const char *address, char sig[SB_REPLY_SIG_LEN + 1])
{
    if (!address)
        return 0;
    const char *at = strchr(address, '@');
    const char *plus = memchr(address, '+', at ? (size_t)(at - address) : 0);
    if (!at || !plus || (plus[1] != 'c' && plus[1] != 'C'))
        return 0;
    const char *p = plus + 2;
    int64_t id = 0;
    int digits = 0;
    while (p < at && isdigit((unsigned char)*p) && digits < 18) {
        id = id * 10 + (*p - '0');
        p++;
        digits++;
    }
    if (!digits || id <= 0 || p >= at || *p != '-')
        return 0;
    p++;
    if (at - p != SB_REPLY_SIG_LEN)
        return 0;
    for (int i = 0; i < SB_REPLY_SIG_LEN; i++) {
        char c = (char)tolower((unsigned char)p[i]);
        if (!isxdigit((unsigned char)c))
            return 0;
        sig[i] = c;
    }
    sig[SB_REPLY_SIG_LEN] = '\0';
    return id;
}

int sb_email_token_address(const char *mailbox, int64_t conversation_id, const char *sig, char *out, size_t n)
{
    const char *at = strchr(mailbox, '@');
    if (!at)
        return -1;
    int w = snprintf(out, n, "%.*s+c%lld-%s%s", (int)(at - mailbox), mailbox, (long long)conversation_id, sig, at);
    return w < 0 || (size_t)w >= n ? -1 : 0;
}

int64_t sb_email_subject_marker(const char *subject)
{
    if (!subject)
        return 0;
    for (const char *p = strstr(subject, "[#"); p; p = strstr(p + 1, "[#")) {
        const char *d = p + 2;
        int64_t id = 0;
        int digits = 0;
        while (isdigit((unsigned char)*d) && digits < 18) {
            id = id * 10 + (*d - '0');
            d++;
            digits++;
        }
        if (digits && *d == ']' && id > 0)
            return id;
    }
    return 0;
}

/* Skips "Re:", "RE :", "Fwd:", "AW:", "Sv:" ... prefixes (also repeated ones). */
static const char *skip_prefixes(const char *s)
{
    static const char *const prefixes[] = {"re", "fw", "fwd", "aw", "sv", "vs", "wg", "tr", "odp", "ответ", NULL};
    for (;;) {
        while (*s == ' ' || *s == '\t')
            s++;
        const char *matched = NULL;
        for (const char *const *p = prefixes; *p; p++) {
            size_t n = strlen(*p);
            if (strncasecmp(s, *p, n) == 0) {
                const char *q = s + n;
                while (*q == ' ')
                    q++;
                if (*q == ':') {
                    matched = q + 1;
                    break;
                }
            }
        }
        if (!matched)
            return s;
        s = matched;
    }
}

char *sb_email_reply_subject(const char *subject, int64_t conversation_id)
{
    const char *base = skip_prefixes(subject ? subject : "");
    char marker[32];
    snprintf(marker, sizeof marker, "[#%lld]", (long long)conversation_id);
    bool has_marker = strstr(base, marker) != NULL;
    size_t n = strlen(base) + strlen(marker) + 8;
    char *out = malloc(n);
    if (!out)
        return NULL;
    if (has_marker)
        snprintf(out, n, "Re: %s", base);
    else
        snprintf(out, n, "Re: %s%s%s", base, *base ? " " : "", marker);
    return out;
}

bool sb_email_may_autorespond(const sb_email_signals *s)
{
    return !(s->auto_submitted || s->precedence_bulk || s->x_autoreply || s->list_mail || s->from_robot ||
             s->is_bounce || s->sender_missing);
}

bool sb_email_autoreply_rate_ok(int sent_in_window, int max)
{
    return sent_in_window < max;
}
