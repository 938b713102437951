/* Macro templates: "Hi {{contact.name}}, see {{article:12}}". Expansion is pure: the caller
 * supplies values through a lookup callback. Values are inserted as text: Markdown
 * punctuation in them is escaped, so a contact named "*x* <script>" stays literal in the
 * rendered reply. Unknown placeholders are rejected when a macro is saved. */
#ifndef SB_CORE_MACRO_H
#define SB_CORE_MACRO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SB_MACRO_BODY_MAX (64 * 1024)
#define SB_MACRO_PLACEHOLDER_MAX 64

/* The placeholders a template may use (NULL-terminated); "article:<id>" comes on top. */
extern const char *const sb_macro_placeholders[];

/* The value of a placeholder key ("contact.name"), or NULL when it has none (inserted as
 * ""). For "article:<id>" the lookup gets key "article" and the id, and returns the
 * article's title; the link is made from link_base. */
typedef const char *(*sb_macro_lookup)(void *ctx, const char *key, int64_t article_id);

/* Checks a template: every {{...}} is known and well-formed. Returns true, or false with a
 * message in err. */
bool sb_macro_validate(const char *tmpl, char *err, size_t errlen);

/* Expands tmpl; article links become "[Title](<link_base><id>)". Returns a malloc'd string
 * or NULL (allocation failure). Malformed placeholders are copied literally. */
char *sb_macro_expand(const char *tmpl, sb_macro_lookup lookup, void *ctx, const char *link_base);

/* Appends s to a malloc'd string with Markdown punctuation escaped (helper, exported for
 * tests): returns the escaped copy. */
char *sb_macro_escape_text(const char *s);

#endif
