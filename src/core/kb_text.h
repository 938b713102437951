/* Text rules of the knowledge base: locales, word splitting, case folding, stop words,
 * Snowball stemming (libstemmer: pure computation, no I/O) and edit distance for typo
 * tolerance. Article text and queries go through the same sb_kb_terms(), so what was
 * indexed is what is searched. */
#ifndef SB_CORE_KB_TEXT_H
#define SB_CORE_KB_TEXT_H

#include <stdbool.h>
#include <stddef.h>

#define SB_KB_LOCALE_MAX 15  /* "pt-BR", "zh-Hant" ... */
#define SB_KB_TERM_MAX 64    /* bytes of one term; longer words are cut */

/* A locale tag: 2-3 lowercase letters, optionally "-" and 2-8 letters or digits. */
bool sb_kb_locale_valid(const char *locale);
/* The Snowball algorithm used for a locale ("english", "russian", ...), or NULL when
 * libstemmer has none (plain tokenization, e.g. Ukrainian). Looks at the language part. */
const char *sb_kb_stemmer_for(const char *locale);
/* Whether the (folded, unstemmed) word is a stop word of the locale's language. */
bool sb_kb_stopword(const char *locale, const char *word);

/* Splits text into words, folds case (ASCII, Latin-1, Latin Extended-A, Greek, Cyrillic),
 * drops stop words, stems, and returns the terms separated by single spaces (malloc'd,
 * "" when no term; NULL on allocation failure). At most max_terms terms (0: unlimited).
 * When every word is a stop word, the stop words are kept so a query still has terms. */
char *sb_kb_terms(const char *locale, const char *text, size_t max_terms);

/* Damerau-Levenshtein (optimal string alignment) distance between two UTF-8 strings,
 * counted in code points; returns limit + 1 as soon as it exceeds limit. */
int sb_kb_edit_distance(const char *a, const char *b, int limit);
/* The edit distance a query term may be corrected by: 0 for terms under 4 code points,
 * 1 up to 7, 2 beyond. */
int sb_kb_typo_budget(const char *term);
/* Code points in a UTF-8 string. */
size_t sb_kb_utf8_len(const char *s);

#endif
