/* libFuzzer harness for the knowledge base's text code: word splitting, folding and
 * stemming (sb_kb_terms), edit distance, and macro validation and expansion. The first
 * input byte chooses the locale, so one harness covers every stemmer and the plain path.
 * Build and run: scripts/fuzz_kb.sh [SECONDS]. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/kb_text.h"
#include "core/macro.h"

static const char *const locales[] = {"en", "ru", "uk", "es", "id", "de", "zz", "pt-BR"};

static const char *lookup(void *ctx, const char *key, int64_t id)
{
    return id ? "[title] *x*" : (const char *)ctx;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > 65536)
        return 0;
    const char *locale = locales[data[0] % (sizeof locales / sizeof locales[0])];
    char *text = malloc(size);
    if (!text)
        return 0;
    memcpy(text, data + 1, size - 1);
    text[size - 1] = '\0';
    char *terms = sb_kb_terms(locale, text, data[0] & 0x80 ? 5 : 0);
    if (terms) {
        /* Terms are the index's words: no separators other than single spaces. */
        if (terms[0] == ' ' || strstr(terms, "  "))
            abort();
        free(terms);
    }
    size_t half = strlen(text) / 2;
    char a[80], b[80];
    snprintf(a, sizeof a, "%.*s", (int)(half < 79 ? half : 79), text);
    snprintf(b, sizeof b, "%s", text + half);
    int d = sb_kb_edit_distance(a, b, 2);
    if (d < 0 || d > 3)
        abort();
    char err[128];
    sb_macro_validate(text, err, sizeof err);
    char *out = sb_macro_expand(text, lookup, text, "/help/en/articles/");
    free(out);
    free(text);
    return 0;
}
