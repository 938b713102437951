#include "core/kb_text.h"

#include <libstemmer.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "util/utf8.h"

bool sb_kb_locale_valid(const char *l)
{
    if (!l)
        return false;
    size_t i = 0;
    while (l[i] >= 'a' && l[i] <= 'z')
        i++;
    if (i < 2 || i > 3)
        return false;
    if (l[i] == '\0')
        return true;
    if (l[i] != '-')
        return false;
    size_t j = ++i;
    while ((l[i] >= 'a' && l[i] <= 'z') || (l[i] >= 'A' && l[i] <= 'Z') || (l[i] >= '0' && l[i] <= '9'))
        i++;
    return l[i] == '\0' && i - j >= 2 && i - j <= 8 && i <= SB_KB_LOCALE_MAX;
}

static const struct {
    const char *lang, *algo;
} stemmers[] = {
    {"en", "english"}, {"ru", "russian"}, {"es", "spanish"},   {"id", "indonesian"}, {"de", "german"},
    {"fr", "french"},  {"it", "italian"}, {"pt", "portuguese"}, {"nl", "dutch"},     {"sv", "swedish"},
    {"da", "danish"},  {"no", "norwegian"}, {"nb", "norwegian"}, {"fi", "finnish"},  {"hu", "hungarian"},
    {"ro", "romanian"}, {"tr", "turkish"}, {"el", "greek"},    {"ar", "arabic"},     {"ca", "catalan"},
    {"lt", "lithuanian"}, {"sr", "serbian"}, {"ga", "irish"},  {"hi", "hindi"},      {"ne", "nepali"},
    {"ta", "tamil"},   {"hy", "armenian"}, {"eu", "basque"},   {"yi", "yiddish"},
};

static size_t lang_len(const char *locale)
{
    size_t n = strcspn(locale, "-");
    return n;
}

const char *sb_kb_stemmer_for(const char *locale)
{
    if (!locale)
        return NULL;
    size_t n = lang_len(locale);
    for (size_t i = 0; i < sizeof stemmers / sizeof stemmers[0]; i++)
        if (strlen(stemmers[i].lang) == n && strncmp(stemmers[i].lang, locale, n) == 0)
            return stemmers[i].algo;
    return NULL;
}

/* Small lists: the words that carry no topic in support questions. */
static const char *const stop_en[] = {
    "a", "about", "am", "an", "and", "any", "are", "as", "at", "be", "been", "but", "by", "can", "could",
    "do", "does", "for", "from", "had", "has", "have", "he", "her", "here", "him", "his", "how",
    "i", "i'd", "i'm", "if", "in", "into", "is", "it", "it's", "its", "just", "me", "my", "of", "on", "or",
    "our", "please", "she", "should", "so", "some", "that", "the", "their", "them", "then", "there", "these",
    "they", "this", "to", "up", "us", "was", "we", "were", "what", "when", "where", "which", "who", "why",
    "will", "with", "would", "you", "your", "im", "id", "ive", "i've", "want", "need", "help", "tell", "know",
    "like", "hi", "hello", "thanks", "thank", "let", "see", "way", "one", "much", "many", NULL};
static const char *const stop_ru[] = {
    "а", "в", "во", "вы", "да", "для", "до", "его", "ее", "её", "если", "есть", "же", "за", "и", "из", "или",
    "им", "их", "к", "как", "ли", "мне", "мой", "моя", "мы", "на", "не", "нет", "но", "о", "об", "он", "она",
    "они", "от", "по", "с", "со", "так", "то", "у", "уже", "что", "это", "я", "меня", "можно", "как", "где",
    "пожалуйста", "здравствуйте", NULL};
static const char *const stop_es[] = {"a", "de", "el", "en", "la", "las", "lo", "los", "mi", "no", "por",
                                       "que", "se", "un", "una", "y", "o", "con", "para", "como", "es", NULL};
static const char *const stop_uk[] = {"а", "в", "і", "й", "та", "на", "не", "що", "як", "я", "з", "до",
                                       "у", "це", "мені", "мій", "моя", "для", "чи", "будь", "ласка", NULL};
static const char *const stop_id[] = {"yang", "dan", "di", "ke", "dari", "saya", "ini", "itu", "untuk",
                                       "dengan", "apa", "bagaimana", "tidak", "bisa", NULL};

bool sb_kb_stopword(const char *locale, const char *word)
{
    const char *const *list = NULL;
    size_t n = locale ? lang_len(locale) : 0;
    if (n == 2 && strncmp(locale, "en", 2) == 0)
        list = stop_en;
    else if (n == 2 && strncmp(locale, "ru", 2) == 0)
        list = stop_ru;
    else if (n == 2 && strncmp(locale, "es", 2) == 0)
        list = stop_es;
    else if (n == 2 && strncmp(locale, "uk", 2) == 0)
        list = stop_uk;
    else if (n == 2 && strncmp(locale, "id", 2) == 0)
        list = stop_id;
    if (!list)
        return false;
    for (; *list; list++)
        if (strcmp(*list, word) == 0)
            return true;
    return false;
}

/* ---- UTF-8 ---- */

static uint32_t utf8_next(const unsigned char **p)
{
    const unsigned char *s = *p;
    uint32_t c = s[0];
    int n = 0;
    if (c < 0x80) {
        *p = s + 1;
        return c;
    }
    if ((c & 0xE0) == 0xC0) {
        c &= 0x1F;
        n = 1;
    } else if ((c & 0xF0) == 0xE0) {
        c &= 0x0F;
        n = 2;
    } else if ((c & 0xF8) == 0xF0) {
        c &= 0x07;
        n = 3;
    } else {
        *p = s + 1;
        return 0xFFFD;
    }
    for (int i = 1; i <= n; i++) {
        if ((s[i] & 0xC0) != 0x80) {
            *p = s + i;
            return 0xFFFD;
        }
        c = (c << 6) | (s[i] & 0x3F);
    }
    *p = s + n + 1;
    return c;
}

size_t sb_kb_utf8_len(const char *s)
{
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p;) {
        utf8_next(&p);
        n++;
    }
    return n;
}

static uint32_t fold(uint32_t c)
{
    if (c >= 'A' && c <= 'Z')
        return c + 32;
    if ((c >= 0xC0 && c <= 0xDE && c != 0xD7))
        return c + 32;
    if (c >= 0x100 && c <= 0x17F && c != 0x130 && c != 0x131 && c != 0x138 && c != 0x149 && c != 0x178)
        return (c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17E) ? (c & 1 ? c + 1 : c) : (c | 1);
    if (c >= 0x391 && c <= 0x3AB && c != 0x3A2)
        return c + 32;
    if (c >= 0x410 && c <= 0x42F)
        return c + 32;
    if (c >= 0x400 && c <= 0x40F)
        return c + 80;
    if (c >= 0x460 && c <= 0x4FF)
        return c | 1; /* Cyrillic supplement pairs (Ґ/ґ ...) */
    if (c == 0x451) /* ё is folded to е, as users type it */
        return 0x435;
    return c;
}

static bool is_word_char(uint32_t c)
{
    if (c < 0x80)
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    if (c < 0xC0) /* Latin-1 punctuation and symbols */
        return c == 0xAA || c == 0xB5 || c == 0xBA;
    if (c == 0xD7 || c == 0xF7)
        return false;
    if (c >= 0x2000 && c <= 0x2BFF) /* general punctuation, symbols, arrows */
        return false;
    if (c >= 0x3000 && c <= 0x303F)
        return false;
    if (c == 0xFFFD || (c >= 0xFE00 && c <= 0xFE0F) || c >= 0x1F000)
        return false;
    return true;
}

#define TERMS_OUT_MAX (4u << 20) /* the terms of one article translation */

/* Calls emit for each folded word (NUL-terminated, at most SB_KB_TERM_MAX bytes). */
static void split_words(const char *text, void (*emit)(void *ctx, const char *w, size_t n), void *ctx)
{
    char word[SB_KB_TERM_MAX + 4];
    size_t wl = 0;
    const unsigned char *p = (const unsigned char *)text;
    while (true) {
        uint32_t c = *p ? utf8_next(&p) : 0;
        /* An apostrophe inside a word (don't, it's) stays part of it. */
        bool apostrophe = (c == '\'' || c == 0x2019) && wl > 0 && *p && is_word_char(*p < 0x80 ? *p : 0x100);
        if (c && (is_word_char(c) || apostrophe)) {
            char enc[4];
            size_t n = apostrophe ? (enc[0] = '\'', 1) : sb_utf8_put(fold(c), enc);
            if (wl + n <= SB_KB_TERM_MAX) {
                memcpy(word + wl, enc, n);
                wl += n;
            }
            continue;
        }
        if (wl) {
            word[wl] = '\0';
            emit(ctx, word, wl);
            wl = 0;
        }
        if (!c)
            break;
    }
}

typedef struct {
    const char *locale;
    struct sb_stemmer *stemmer;
    sb_buf out, stops;
    size_t count, max;
    bool keep_stops;
} terms_ctx;

static void add_term(terms_ctx *t, sb_buf *b, const char *w, size_t n)
{
    if (t->stemmer) {
        const sb_symbol *s = sb_stemmer_stem(t->stemmer, (const sb_symbol *)w, (int)n);
        if (s) {
            w = (const char *)s;
            n = (size_t)sb_stemmer_length(t->stemmer);
        }
    }
    if (b->len)
        sb_buf_append(b, " ", 1);
    sb_buf_append(b, w, n);
}

static void on_word(void *ctx, const char *w, size_t n)
{
    terms_ctx *t = ctx;
    /* Apostrophes are not kept in terms: "don't" and "dont" are one term. */
    char clean[SB_KB_TERM_MAX + 4];
    size_t j = 0;
    for (size_t i = 0; i < n; i++)
        if (w[i] != '\'')
            clean[j++] = w[i];
    clean[j] = '\0';
    if (!j)
        return;
    if (sb_kb_stopword(t->locale, w) || sb_kb_stopword(t->locale, clean)) {
        if (t->stops.len < 4096)
            add_term(t, &t->stops, clean, j);
        return;
    }
    if (t->max && t->count >= t->max)
        return;
    add_term(t, &t->out, clean, j);
    t->count++;
}

char *sb_kb_terms(const char *locale, const char *text, size_t max_terms)
{
    terms_ctx t = {.locale = locale, .max = max_terms};
    sb_buf_init(&t.out, TERMS_OUT_MAX);
    sb_buf_init(&t.stops, TERMS_OUT_MAX);
    const char *algo = sb_kb_stemmer_for(locale);
    if (algo)
        t.stemmer = sb_stemmer_new(algo, "UTF_8");
    split_words(text ? text : "", on_word, &t);
    if (t.stemmer)
        sb_stemmer_delete(t.stemmer);
    /* A text of stop words only is searched by them. */
    sb_buf *res = !t.out.len && t.stops.len ? &t.stops : &t.out;
    sb_buf_release(res == &t.out ? &t.stops : &t.out);
    if (res->failed) {
        sb_buf_release(res);
        return NULL;
    }
    return sb_buf_detach(res, NULL);
}

/* ---- typo tolerance ---- */

#define ED_MAX 64

static size_t decode_all(const char *s, uint32_t *out)
{
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p && n < ED_MAX;)
        out[n++] = utf8_next(&p);
    return n;
}

int sb_kb_edit_distance(const char *a, const char *b, int limit)
{
    uint32_t x[ED_MAX], y[ED_MAX];
    size_t n = decode_all(a, x), m = decode_all(b, y);
    if ((size_t)abs((int)n - (int)m) > (size_t)limit)
        return limit + 1;
    int d[ED_MAX + 1][ED_MAX + 1];
    for (size_t i = 0; i <= n; i++)
        d[i][0] = (int)i;
    for (size_t j = 0; j <= m; j++)
        d[0][j] = (int)j;
    for (size_t i = 1; i <= n; i++) {
        int row_min = d[i][0];
        for (size_t j = 1; j <= m; j++) {
            int cost = x[i - 1] == y[j - 1] ? 0 : 1;
            int v = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < v)
                v = d[i][j - 1] + 1;
            if (d[i - 1][j - 1] + cost < v)
                v = d[i - 1][j - 1] + cost;
            if (i > 1 && j > 1 && x[i - 1] == y[j - 2] && x[i - 2] == y[j - 1] && d[i - 2][j - 2] + 1 < v)
                v = d[i - 2][j - 2] + 1;
            d[i][j] = v;
            if (v < row_min)
                row_min = v;
        }
        if (row_min > limit)
            return limit + 1;
    }
    return d[n][m] > limit ? limit + 1 : d[n][m];
}

int sb_kb_typo_budget(const char *term)
{
    size_t n = sb_kb_utf8_len(term);
    if (n < 4)
        return 0;
    return n <= 7 ? 1 : 2;
}
