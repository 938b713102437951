/* The web form's server-rendered pages: the form (with kept values and errors) and the
 * thank-you page. Every configured or submitted text goes through sb_html_escape; the pages
 * have no script and no style attributes, so a strict Content-Security-Policy holds. */
#ifndef SB_CHANNELS_WEBFORM_PAGE_H
#define SB_CHANNELS_WEBFORM_PAGE_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

/* The form. values (name -> submitted string or boolean) and errors (name -> message) may be
 * NULL; notice is an alert above the form, or NULL. Returns a malloc'd page, NULL when out
 * of memory. */
char *sb_webform_page_form(const json_t *config, const json_t *values, const json_t *errors, const char *notice,
                           size_t *len);
/* The thank-you page; the reference is left out when conversation_id is 0. */
char *sb_webform_page_thanks(const json_t *config, int64_t conversation_id, size_t *len);

/* The stylesheet served at /contact.css. */
extern const char sb_webform_css[];

#endif
