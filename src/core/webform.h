/* The web form's rules, free of I/O: its configuration (validated and normalised), the checks
 * on a submission, and the message body composed from the answers.
 *
 * A configuration is a JSON object:
 *   {"title","intro","lang","strings":{...},
 *    "fields":[{"name","type","label","required","options","placeholder","help","max_length"}]}
 * Besides the configured fields the form always has name (optional), email and subject
 * (required); configured fields may not take those names (nor the honeypot's). */
#ifndef SB_CORE_WEBFORM_H
#define SB_CORE_WEBFORM_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#define SB_WEBFORM_MAX_FIELDS 20
#define SB_WEBFORM_MAX_OPTIONS 50
#define SB_WEBFORM_OPTION_MAX 200      /* bytes of one select option */
#define SB_WEBFORM_LENGTH_CAP 10000    /* hard cap of a field's max_length, in characters */
#define SB_WEBFORM_LABEL_MAX 200       /* bytes of a label, placeholder or locale string */
#define SB_WEBFORM_HELP_MAX 1000       /* bytes of a help text */
#define SB_WEBFORM_TITLE_MAX 200
#define SB_WEBFORM_INTRO_MAX 4000
#define SB_WEBFORM_NAME_MAX 200        /* characters of the fixed fields */
#define SB_WEBFORM_EMAIL_MAX 254
#define SB_WEBFORM_SUBJECT_MAX 250

/* The name of the hidden field that only bots fill. */
#define SB_WEBFORM_HONEYPOT "website"

/* The configuration used until an admin stores one: category, product, link, description. */
json_t *sb_webform_config_default(void);

/* Validates a configuration and returns a normalised copy with every default filled in
 * (caller owns it), or NULL with the offending field's path (e.g. "fields[2].name") in
 * `field` and a sentence in `msg`. */
json_t *sb_webform_config_parse(const json_t *in, char *field, size_t fieldlen, char *msg, size_t msglen);

/* A locale string of a normalised configuration (always non-NULL for known keys). */
const char *sb_webform_string(const json_t *config, const char *key);

/* Checks a submission against a normalised configuration. `values` holds the submitted
 * values by name: "name", "email", "subject" and each configured field's name; strings, and
 * for the JSON endpoint also booleans (checkbox) and numbers (number). Adds the trimmed
 * fixed fields to `fixed` (name, email, subject; an absent name as ""), the typed,
 * normalised answers of the configured fields to `answers` (empty optional fields are left
 * out; an unchecked checkbox is false) and one message per invalid field to `errors`.
 * Returns the number of errors. */
size_t sb_webform_check(const json_t *config, const json_t *values, json_t *fixed, json_t *answers, json_t *errors);

/* The conversation's first message: the description (the first textarea field's answer)
 * followed by a "Label: value" line per other answer. Caller frees. */
char *sb_webform_body(const json_t *config, const json_t *answers);

/* Address syntax as a form accepts it: local@domain.tld, no spaces, at most 254 bytes. */
bool sb_webform_email_ok(const char *s);
/* An absolute http or https URL with a host, no spaces or control characters. */
bool sb_webform_url_ok(const char *s);
/* Unicode code points in a UTF-8 string (continuation bytes not counted). */
size_t sb_webform_chars(const char *s);

#endif
