/* Inbound HTML made safe to show to agents (see html.h).
 *
 * Pipeline, all of it linear in the input and none of it recursive:
 *   1. guard: a pre-pass over the raw HTML that bounds what gumbo will see: open elements
 *      (gumbo scans its stack of open elements on many tags, so 100,000 nested <div>s cost
 *      it minutes), unclosed formatting elements (each is re-opened in every new block) and
 *      attributes per tag (gumbo checks duplicates pairwise). Tags beyond the bounds are
 *      removed or turned into text.
 *   2. parse: gumbo with a tracked allocator under a memory and CPU budget. If the budget runs
 *      out, the document is shown as escaped plain text instead (fallback_text). The tree is
 *      freed by freeing the allocator's blocks, never by gumbo's recursive destructor.
 *   3. walk: an explicit-stack walk re-serialises an allow-list of elements and attributes,
 *      wrapping quoted history in <div class="sb-quoted">, or extracts plain text.
 * Plain-text quote detection (sb_text_quote_start) works on lines and is independent. */
#include "channels/email/html.h"

#include <gumbo.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "util/buf.h"
#include "util/utf8.h"

/* ------------------------------------------------------------------------ */
/* Limits                                                                   */
/* ------------------------------------------------------------------------ */

#define HTML_MAX_INPUT ((size_t)8 << 20)       /* bytes of HTML handed to the parser */
#define HTML_DEFAULT_OUTPUT ((size_t)4 << 20)  /* sb_html_opts.max_output default */
#define HTML_MAX_DEPTH 100                     /* deeper elements are flattened to text */
#define HTML_MAX_STYLE 1024                    /* bytes of filtered style kept per element */

#define GUARD_MAX_OPEN 192      /* open elements the parser may see */
#define GUARD_MAX_FORMATTING 16 /* unclosed formatting elements (b, font, ...) */
#define GUARD_MAX_ATTRS 64      /* attributes per tag */
#define GUARD_NAME_MAX 24       /* tag names this long or longer never match an end tag */

#define PARSE_MEM_BASE ((size_t)64 << 20) /* parser memory: base + per input byte */
#define PARSE_MEM_PER_BYTE 48
#define PARSE_CPU_BASE_NS 2000000000LL    /* parser CPU time: base + per MiB of input */
#define PARSE_CPU_PER_MIB_NS 1000000000LL

#define WINDOW_CHARS 600 /* text looked at to recognise a quote header */
#define WINDOW_NODES 300
#define QUICK_CHARS 80   /* a first look: does the text start like a header? */
#define QUICK_NODES 40
#define WINDOW_SCAN_BYTES 16384
#define BLANK_SCAN_BYTES 4096 /* longer white-space-only text counts as content */
#define SCAN_NODES 300   /* nodes looked at to decide whether siblings hold content */

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* ------------------------------------------------------------------------ */
/* Characters                                                               */
/* ------------------------------------------------------------------------ */

static bool is_alpha(int c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_digit(int c)
{
    return c >= '0' && c <= '9';
}

static bool is_html_space(int c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

static int lower(int c)
{
    return (c >= 'A' && c <= 'Z') ? c + ('a' - 'A') : c;
}

/* Length (1-4) of the well-formed UTF-8 sequence at s, storing its code point, or 0. */
static size_t utf8_decode(const unsigned char *s, size_t n, uint32_t *cp)
{
    unsigned c = s[0];
    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    size_t len;
    uint32_t v, min;
    if (c >= 0xC2 && c <= 0xDF) {
        len = 2, v = c & 0x1F, min = 0x80;
    } else if (c >= 0xE0 && c <= 0xEF) {
        len = 3, v = c & 0x0F, min = 0x800;
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4, v = c & 0x07, min = 0x10000;
    } else {
        return 0;
    }
    if (n < len)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        v = (v << 6) | (s[i] & 0x3F);
    }
    if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
        return 0;
    *cp = v;
    return len;
}

/* Lower case for matching mail-client phrases: ASCII, Latin-1, Latin Extended-A, Cyrillic.
 * No-break space becomes a space. */
static uint32_t fold_cp(uint32_t c)
{
    if (c < 0x80)
        return (uint32_t)lower((int)c);
    if (c == 0xA0)
        return ' ';
    if (c >= 0xC0 && c <= 0xDE && c != 0xD7)
        return c + 0x20;
    if ((c >= 0x100 && c <= 0x137) || (c >= 0x14A && c <= 0x177))
        return c | 1;
    if ((c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17E))
        return (c & 1) ? c + 1 : c;
    if (c >= 0x410 && c <= 0x42F)
        return c + 0x20;
    if (c >= 0x400 && c <= 0x40F)
        return c + 0x50;
    if (c == 0x490)
        return 0x491;
    return c;
}

/* Folds s[0..n) into dst (NUL-terminated, at most cap-1 bytes, never splitting a character);
 * drops '*' when drop_stars (Markdown bold around "*From:*"). Returns the length. */
static size_t fold_into(const char *s, size_t n, char *dst, size_t cap, bool drop_stars)
{
    size_t o = 0, i = 0;
    while (i < n) {
        uint32_t cp;
        size_t k = utf8_decode((const unsigned char *)s + i, n - i, &cp);
        char tmp[4];
        size_t m;
        if (k == 0) {
            tmp[0] = s[i];
            m = 1;
            k = 1;
        } else if (drop_stars && cp == '*') {
            i += k;
            continue;
        } else {
            m = sb_utf8_put(fold_cp(cp), tmp);
        }
        if (o + m + 1 > cap)
            break;
        memcpy(dst + o, tmp, m);
        o += m;
        i += k;
    }
    dst[o] = '\0';
    return o;
}

/* ------------------------------------------------------------------------ */
/* Escaping                                                                 */
/* ------------------------------------------------------------------------ */

/* Appends s[0..n) escaped for HTML text or a quoted attribute (& < > " '), with invalid UTF-8
 * replaced by U+FFFD and control characters dropped, writing at most `room` bytes. Returns the
 * number of input bytes consumed (n unless the room ran out). */
static size_t escape_into(sb_buf *b, const char *s, size_t n, size_t room)
{
    static const char fffd[] = "\xEF\xBF\xBD";
    size_t i = 0, run = 0;
    while (i < n) {
        unsigned char c = (unsigned char)s[i];
        const char *rep = NULL;
        size_t adv = 1;
        if (c < 0x80) {
            switch (c) {
            case '&': rep = "&amp;"; break;
            case '<': rep = "&lt;"; break;
            case '>': rep = "&gt;"; break;
            case '"': rep = "&quot;"; break;
            case '\'': rep = "&#39;"; break;
            default:
                if ((c < 0x20 && !is_html_space(c)) || c == 0x7F)
                    rep = "";
                break;
            }
        } else {
            uint32_t cp;
            adv = utf8_decode((const unsigned char *)s + i, n - i, &cp);
            if (adv == 0) {
                rep = fffd;
                adv = 1;
            }
        }
        if (!rep) {
            i += adv;
            continue;
        }
        size_t len = i - run;
        if (len > room) {
            len = room;
            while (len > 0 && ((unsigned char)s[run + len] & 0xC0) == 0x80)
                len--;
            sb_buf_append(b, s + run, len);
            return run + len;
        }
        sb_buf_append(b, s + run, len);
        room -= len;
        size_t rl = strlen(rep);
        if (rl > room)
            return i;
        sb_buf_append(b, rep, rl);
        room -= rl;
        i += adv;
        run = i;
    }
    size_t len = n - run;
    if (len > room) {
        len = room;
        while (len > 0 && ((unsigned char)s[run + len] & 0xC0) == 0x80)
            len--;
        sb_buf_append(b, s + run, len);
        return run + len;
    }
    sb_buf_append(b, s + run, len);
    return n;
}

static void put_escaped(sb_buf *b, const char *s, size_t n)
{
    escape_into(b, s, n, SIZE_MAX);
}

/* ------------------------------------------------------------------------ */
/* Node marks (quote wrappers): a small open-addressing map keyed by node     */
/* ------------------------------------------------------------------------ */

#define MARK_BOX 1  /* a wrapper opens before this node and closes after mark.box_end */
#define MARK_CONT 2 /* after this node, the rest of its parent is quoted history */

typedef struct {
    const GumboNode *key;
    const GumboNode *box_end;
    unsigned flags;
} node_mark;

typedef struct {
    node_mark *slots;
    size_t cap, used;
} mark_map;

static size_t ptr_hash(const void *p)
{
    uint64_t x = (uint64_t)(uintptr_t)p;
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    return (size_t)x;
}

static node_mark *marks_find(const mark_map *m, const GumboNode *key)
{
    if (!m->cap)
        return NULL;
    for (size_t i = ptr_hash(key) & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
        if (m->slots[i].key == key)
            return &m->slots[i];
        if (!m->slots[i].key)
            return NULL;
    }
}

/* The mark of key, created empty when absent; NULL when out of memory. */
static node_mark *marks_get(mark_map *m, const GumboNode *key)
{
    node_mark *found = marks_find(m, key);
    if (found)
        return found;
    if ((m->used + 1) * 2 > m->cap) {
        size_t cap = m->cap ? m->cap * 2 : 16;
        node_mark *slots = calloc(cap, sizeof *slots);
        if (!slots)
            return NULL;
        for (size_t i = 0; i < m->cap; i++) {
            if (!m->slots[i].key)
                continue;
            size_t j = ptr_hash(m->slots[i].key) & (cap - 1);
            while (slots[j].key)
                j = (j + 1) & (cap - 1);
            slots[j] = m->slots[i];
        }
        free(m->slots);
        m->slots = slots;
        m->cap = cap;
    }
    size_t i = ptr_hash(key) & (m->cap - 1);
    while (m->slots[i].key)
        i = (i + 1) & (m->cap - 1);
    m->slots[i].key = key;
    m->used++;
    return &m->slots[i];
}

/* ------------------------------------------------------------------------ */
/* Parser memory: every gumbo allocation is a tracked block under a budget    */
/* ------------------------------------------------------------------------ */

enum { PARSE_OK = 0, PARSE_TOO_BIG = 1, PARSE_NOMEM = -1 };

typedef struct arena_block {
    struct arena_block *prev, *next;
    size_t size;
    size_t pad; /* keeps the payload 16-byte aligned */
} arena_block;

typedef struct {
    arena_block head; /* sentinel of the circular list of live blocks */
    size_t live, budget;
    unsigned calls;
    int64_t cpu_deadline;
    int failure;
    jmp_buf escape;
} parse_arena;

static int64_t thread_cpu_ns(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) != 0)
        return 0;
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void arena_fail(parse_arena *a, int failure)
{
    a->failure = failure;
    longjmp(a->escape, 1);
}

static void *arena_alloc(void *ud, size_t n)
{
    parse_arena *a = ud;
    if (n > a->budget - a->live)
        arena_fail(a, PARSE_TOO_BIG);
    if ((++a->calls & 63) == 0 && thread_cpu_ns() > a->cpu_deadline)
        arena_fail(a, PARSE_TOO_BIG);
    arena_block *b = malloc(sizeof *b + n);
    if (!b)
        arena_fail(a, PARSE_NOMEM);
    b->size = n;
    b->next = a->head.next;
    b->prev = &a->head;
    a->head.next->prev = b;
    a->head.next = b;
    a->live += n;
    return b + 1;
}

static void arena_dealloc(void *ud, void *p)
{
    parse_arena *a = ud;
    if (!p)
        return;
    arena_block *b = (arena_block *)p - 1;
    b->prev->next = b->next;
    b->next->prev = b->prev;
    a->live -= b->size;
    free(b);
}

static void arena_init(parse_arena *a, size_t budget, int64_t cpu_ns)
{
    memset(a, 0, sizeof *a);
    a->head.next = a->head.prev = &a->head;
    a->budget = budget;
    a->cpu_deadline = thread_cpu_ns() + cpu_ns;
}

static void arena_release(parse_arena *a)
{
    if (!a->head.next)
        return;
    arena_block *b = a->head.next;
    while (b != &a->head) {
        arena_block *next = b->next;
        free(b);
        b = next;
    }
    a->head.next = a->head.prev = &a->head;
    a->live = 0;
}

/* ------------------------------------------------------------------------ */
/* Guard: the pre-pass that bounds nesting, formatting elements, attributes  */
/* ------------------------------------------------------------------------ */

/* The guard follows the HTML tokenizer exactly (tags, attributes, comments, raw text) and a
 * conservative model of the tree builder's stack of open elements: it may believe more
 * elements are open than gumbo does (then it removes tags a little early), never fewer.
 * <svg>, <math>, <select> and <template>, which the sanitiser drops whole and whose content
 * follows other rules (foreign content, CDATA), are cut out up to their end tag. Where the
 * model cannot be kept (such an element never closed, <frameset>, <plaintext>, escaped
 * script text) the document is "tainted": from there on every "<letter" counts as an open
 * element and nothing closes. What still slips through is caught by the parse budget. */

typedef struct {
    GumboTag tag;
    char name[GUARD_NAME_MAX]; /* lower-case; "" = too long, matches nothing */
} guard_entry;

typedef struct {
    const char *s;
    size_t n;
    sb_buf *out;
    size_t copied; /* s[0..copied) is already in out */
    bool rewriting;
    bool tainted;
    unsigned depth, formatting, tainted_open;
    guard_entry open[GUARD_MAX_OPEN];
} guard;

typedef struct {
    size_t end;        /* index just past the tag */
    bool complete;     /* false: the input ended inside the tag (the parser drops it) */
    bool self_closing; /* ends with "/>" */
    unsigned attrs;
    GumboTag tag;
    char name[GUARD_NAME_MAX];
} tag_scan;

/* Tokenizes the tag whose name starts at s[i], as the HTML tokenizer does. */
static void scan_tag(const char *s, size_t n, size_t i, tag_scan *t)
{
    size_t j = i;
    while (j < n && !is_html_space((unsigned char)s[j]) && s[j] != '/' && s[j] != '>')
        j++;
    size_t len = j - i;
    t->name[0] = '\0';
    t->tag = GUMBO_TAG_UNKNOWN;
    if (len < GUARD_NAME_MAX) {
        for (size_t k = 0; k < len; k++)
            t->name[k] = (char)lower((unsigned char)s[i + k]);
        t->name[len] = '\0';
        t->tag = gumbo_tagn_enum(t->name, (unsigned)len);
    }
    t->attrs = 0;
    t->complete = false;
    t->self_closing = false;
    t->end = n;
    for (;;) {
        bool slash = false;
        while (j < n && (is_html_space((unsigned char)s[j]) || s[j] == '/'))
            slash = s[j++] == '/';
        if (j >= n)
            return;
        if (s[j] == '>') {
            t->end = j + 1;
            t->complete = true;
            t->self_closing = slash;
            return;
        }
        t->attrs++;
        j++; /* the first character of a name may be anything, even '=' */
        while (j < n && !is_html_space((unsigned char)s[j]) && s[j] != '/' && s[j] != '>' && s[j] != '=')
            j++;
        while (j < n && is_html_space((unsigned char)s[j]))
            j++;
        if (j < n && s[j] == '=') {
            j++;
            while (j < n && is_html_space((unsigned char)s[j]))
                j++;
            if (j < n && (s[j] == '"' || s[j] == '\'')) {
                const char *q = memchr(s + j + 1, s[j], n - j - 1);
                if (!q)
                    return;
                j = (size_t)(q - s) + 1;
            } else {
                while (j < n && !is_html_space((unsigned char)s[j]) && s[j] != '>')
                    j++;
            }
        }
    }
}

static bool tag_in(GumboTag t, const GumboTag *set, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (set[i] == t)
            return true;
    return false;
}

#define TAG_IN(t, ...) tag_in((t), (const GumboTag[]){__VA_ARGS__}, sizeof((GumboTag[]){__VA_ARGS__}) / sizeof(GumboTag))

static bool is_void_tag(GumboTag t)
{
    return TAG_IN(t, GUMBO_TAG_AREA, GUMBO_TAG_BASE, GUMBO_TAG_BR, GUMBO_TAG_COL, GUMBO_TAG_EMBED,
                  GUMBO_TAG_HR, GUMBO_TAG_IMG, GUMBO_TAG_INPUT, GUMBO_TAG_KEYGEN, GUMBO_TAG_LINK,
                  GUMBO_TAG_META, GUMBO_TAG_PARAM, GUMBO_TAG_SOURCE, GUMBO_TAG_TRACK, GUMBO_TAG_WBR,
                  GUMBO_TAG_BASEFONT, GUMBO_TAG_BGSOUND, GUMBO_TAG_FRAME, GUMBO_TAG_IMAGE,
                  GUMBO_TAG_ISINDEX, GUMBO_TAG_MENUITEM);
}

static bool is_formatting_tag(GumboTag t)
{
    return TAG_IN(t, GUMBO_TAG_A, GUMBO_TAG_B, GUMBO_TAG_BIG, GUMBO_TAG_CODE, GUMBO_TAG_EM,
                  GUMBO_TAG_FONT, GUMBO_TAG_I, GUMBO_TAG_NOBR, GUMBO_TAG_S, GUMBO_TAG_SMALL,
                  GUMBO_TAG_STRIKE, GUMBO_TAG_STRONG, GUMBO_TAG_TT, GUMBO_TAG_U);
}

/* Start tags after which the tokenizer reads raw text up to the matching end tag. */
static bool is_rawtext_tag(GumboTag t)
{
    return TAG_IN(t, GUMBO_TAG_SCRIPT, GUMBO_TAG_STYLE, GUMBO_TAG_XMP, GUMBO_TAG_IFRAME,
                  GUMBO_TAG_NOEMBED, GUMBO_TAG_NOFRAMES, GUMBO_TAG_TEXTAREA, GUMBO_TAG_TITLE);
}

/* Elements that change how later tags are tokenized or placed in ways the guard does not
 * model. */
static bool is_taint_tag(GumboTag t)
{
    return TAG_IN(t, GUMBO_TAG_FRAMESET, GUMBO_TAG_PLAINTEXT);
}

/* Elements the sanitiser drops whole and whose content is parsed by other rules (foreign
 * content, <select>, <template>): the guard cuts them out when it finds their end tag. */
static bool is_cut_tag(GumboTag t)
{
    return TAG_IN(t, GUMBO_TAG_SVG, GUMBO_TAG_MATH, GUMBO_TAG_SELECT, GUMBO_TAG_TEMPLATE);
}

/* Start tags that never stay open inside themselves (the tree builder closes or ignores
 * them), so they need no place in the model. */
static bool is_uncounted_tag(GumboTag t)
{
    return TAG_IN(t, GUMBO_TAG_HTML, GUMBO_TAG_HEAD, GUMBO_TAG_BODY, GUMBO_TAG_TBODY,
                  GUMBO_TAG_THEAD, GUMBO_TAG_TFOOT, GUMBO_TAG_TR, GUMBO_TAG_CAPTION,
                  GUMBO_TAG_COLGROUP, GUMBO_TAG_OPTION);
}

static bool is_heading(GumboTag t)
{
    return TAG_IN(t, GUMBO_TAG_H1, GUMBO_TAG_H2, GUMBO_TAG_H3, GUMBO_TAG_H4, GUMBO_TAG_H5, GUMBO_TAG_H6);
}

/* The HTML "special" category (for the elements the model can hold). */
static bool is_special_tag(GumboTag t)
{
    return is_heading(t) ||
           TAG_IN(t, GUMBO_TAG_ADDRESS, GUMBO_TAG_APPLET, GUMBO_TAG_ARTICLE, GUMBO_TAG_ASIDE,
                  GUMBO_TAG_BLOCKQUOTE, GUMBO_TAG_BUTTON, GUMBO_TAG_CENTER, GUMBO_TAG_DD,
                  GUMBO_TAG_DETAILS, GUMBO_TAG_DIR, GUMBO_TAG_DIV, GUMBO_TAG_DL, GUMBO_TAG_DT,
                  GUMBO_TAG_FIELDSET, GUMBO_TAG_FIGCAPTION, GUMBO_TAG_FIGURE, GUMBO_TAG_FOOTER,
                  GUMBO_TAG_FORM, GUMBO_TAG_HEADER, GUMBO_TAG_HGROUP, GUMBO_TAG_LI,
                  GUMBO_TAG_LISTING, GUMBO_TAG_MAIN, GUMBO_TAG_MARQUEE, GUMBO_TAG_MENU,
                  GUMBO_TAG_NAV, GUMBO_TAG_NOSCRIPT, GUMBO_TAG_OBJECT, GUMBO_TAG_OL, GUMBO_TAG_P,
                  GUMBO_TAG_PRE, GUMBO_TAG_SECTION, GUMBO_TAG_SUMMARY, GUMBO_TAG_TABLE,
                  GUMBO_TAG_TD, GUMBO_TAG_TH, GUMBO_TAG_UL);
}

/* Start tags that close an open <p> ("close a p element" in the tree builder). */
static bool closes_p(GumboTag t)
{
    return is_heading(t) ||
           TAG_IN(t, GUMBO_TAG_ADDRESS, GUMBO_TAG_ARTICLE, GUMBO_TAG_ASIDE, GUMBO_TAG_BLOCKQUOTE,
                  GUMBO_TAG_CENTER, GUMBO_TAG_DETAILS, GUMBO_TAG_DIR, GUMBO_TAG_DIV, GUMBO_TAG_DL,
                  GUMBO_TAG_FIELDSET, GUMBO_TAG_FIGCAPTION, GUMBO_TAG_FIGURE, GUMBO_TAG_FOOTER,
                  GUMBO_TAG_HEADER, GUMBO_TAG_HGROUP, GUMBO_TAG_MAIN, GUMBO_TAG_MENU,
                  GUMBO_TAG_NAV, GUMBO_TAG_OL, GUMBO_TAG_P, GUMBO_TAG_SECTION, GUMBO_TAG_SUMMARY,
                  GUMBO_TAG_UL, GUMBO_TAG_PRE, GUMBO_TAG_LISTING, GUMBO_TAG_LI, GUMBO_TAG_DD,
                  GUMBO_TAG_DT); /* not <form>: a nested one is ignored, closing nothing */
}

/* End tags that, when their element is in scope, pop everything above it. */
static bool is_block_end_tag(GumboTag t)
{
    return is_heading(t) ||
           TAG_IN(t, GUMBO_TAG_ADDRESS, GUMBO_TAG_ARTICLE, GUMBO_TAG_ASIDE, GUMBO_TAG_BLOCKQUOTE,
                  GUMBO_TAG_BUTTON, GUMBO_TAG_CENTER, GUMBO_TAG_DETAILS, GUMBO_TAG_DIR,
                  GUMBO_TAG_DIV, GUMBO_TAG_DL, GUMBO_TAG_FIELDSET, GUMBO_TAG_FIGCAPTION,
                  GUMBO_TAG_FIGURE, GUMBO_TAG_FOOTER, GUMBO_TAG_HEADER, GUMBO_TAG_HGROUP,
                  GUMBO_TAG_LISTING, GUMBO_TAG_MAIN, GUMBO_TAG_MENU, GUMBO_TAG_NAV, GUMBO_TAG_OL,
                  GUMBO_TAG_PRE, GUMBO_TAG_SECTION, GUMBO_TAG_SUMMARY, GUMBO_TAG_UL, GUMBO_TAG_LI,
                  GUMBO_TAG_DD, GUMBO_TAG_DT, GUMBO_TAG_APPLET, GUMBO_TAG_MARQUEE, GUMBO_TAG_OBJECT);
}

static bool is_scope_boundary(GumboTag t)
{
    return TAG_IN(t, GUMBO_TAG_APPLET, GUMBO_TAG_CAPTION, GUMBO_TAG_HTML, GUMBO_TAG_TABLE,
                  GUMBO_TAG_TD, GUMBO_TAG_TH, GUMBO_TAG_MARQUEE, GUMBO_TAG_OBJECT, GUMBO_TAG_TEMPLATE);
}

static void guard_sync(guard *g, size_t upto)
{
    if (!g->rewriting) {
        g->rewriting = true;
        g->copied = 0;
    }
    sb_buf_append(g->out, g->s + g->copied, upto - g->copied);
    g->copied = upto;
}

/* Turns the '<' at p into text ("&lt;"): safe in every tokenizer state. */
static void guard_neutralize(guard *g, size_t p)
{
    guard_sync(g, p);
    sb_buf_puts(g->out, "&lt;");
    g->copied = p + 1;
}

/* Removes the whole tag s[p..end) (only used where the tokenizer state is known). */
static void guard_remove(guard *g, size_t p, size_t end)
{
    guard_sync(g, p);
    sb_buf *o = g->out;
    if (o->len && o->data[o->len - 1] == '<') { /* would start a tag with what follows */
        o->len--;
        o->data[o->len] = '\0';
        sb_buf_puts(o, "&lt;");
    }
    g->copied = end;
}

static bool entry_is(const guard_entry *e, const tag_scan *t)
{
    if (e->tag != t->tag)
        return false;
    if (t->tag != GUMBO_TAG_UNKNOWN)
        return true;
    return e->name[0] && strcmp(e->name, t->name) == 0;
}

static void guard_pop_to(guard *g, unsigned depth)
{
    while (g->depth > depth) {
        g->depth--;
        if (is_formatting_tag(g->open[g->depth].tag))
            g->formatting--;
    }
}

/* Depth after "close a p element" if a <p> is in button scope. */
static unsigned guard_close_p(const guard *g, unsigned depth)
{
    for (unsigned i = depth; i-- > 0;) {
        GumboTag t = g->open[i].tag;
        if (t == GUMBO_TAG_P)
            return i;
        if (is_scope_boundary(t) || t == GUMBO_TAG_BUTTON)
            break;
    }
    return depth;
}

/* Index of the innermost <table>, or -1. */
static int guard_table(const guard *g)
{
    for (unsigned i = g->depth; i-- > 0;)
        if (g->open[i].tag == GUMBO_TAG_TABLE)
            return (int)i;
    return -1;
}

/* Index of the open cell of the innermost table, or -1. */
static int guard_cell(const guard *g)
{
    int t = guard_table(g);
    if (t < 0)
        return -1;
    for (unsigned i = g->depth; i-- > (unsigned)t + 1;)
        if (g->open[i].tag == GUMBO_TAG_TD || g->open[i].tag == GUMBO_TAG_TH)
            return (int)i;
    return -1;
}

static void guard_push(guard *g, const tag_scan *t)
{
    guard_entry *e = &g->open[g->depth++];
    e->tag = t->tag;
    memcpy(e->name, t->name, sizeof e->name);
    if (is_formatting_tag(t->tag))
        g->formatting++;
}

/* Does s[0..n) contain needle, ignoring ASCII case? */
static bool strcasestr_n(const char *s, size_t n, const char *needle)
{
    size_t nl = strlen(needle);
    for (size_t i = 0; i + nl <= n; i++)
        if (strncasecmp(s + i, needle, nl) == 0)
            return true;
    return false;
}

/* Index just past the raw text that starts at `from` and ends before "</name". */
static size_t guard_rawtext_end(guard *g, size_t from, const tag_scan *t)
{
    size_t nl = strlen(t->name);
    for (size_t i = from; i + 2 + nl <= g->n; i++) {
        const char *lt = memchr(g->s + i, '<', g->n - i);
        if (!lt)
            break;
        i = (size_t)(lt - g->s);
        if (i + 2 + nl > g->n)
            break;
        if (g->s[i + 1] == '/' && strncasecmp(g->s + i + 2, t->name, nl) == 0) {
            size_t k = i + 2 + nl;
            if (k >= g->n || is_html_space((unsigned char)g->s[k]) || g->s[k] == '/' || g->s[k] == '>') {
                /* "<!--" then "<script" inside a script: the double-escaped state runs past
                 * this end tag */
                const char *esc = t->tag == GUMBO_TAG_SCRIPT ? memmem(g->s + from, i - from, "<!--", 4) : NULL;
                if (esc && strcasestr_n(esc, (size_t)(g->s + i - esc), "<script"))
                    g->tainted = true;
                return i;
            }
        }
    }
    return g->n;
}

/* Index just past the end tag that closes the element named t->name whose start tag ends at
 * `from` (same-name tags nest), or 0 when there is none. */
static size_t guard_matching_end(const guard *g, size_t from, const tag_scan *t)
{
    size_t nl = strlen(t->name);
    unsigned depth = 1;
    for (size_t i = from; i < g->n; i++) {
        const char *lt = memchr(g->s + i, '<', g->n - i);
        if (!lt)
            break;
        i = (size_t)(lt - g->s);
        bool end = i + 1 < g->n && g->s[i + 1] == '/';
        size_t k = i + 1 + end;
        if (k + nl >= g->n || strncasecmp(g->s + k, t->name, nl) != 0)
            continue;
        char c = g->s[k + nl];
        if (!is_html_space((unsigned char)c) && c != '/' && c != '>')
            continue;
        if (!end) {
            depth++;
            continue;
        }
        if (--depth == 0) {
            const char *gt = memchr(g->s + k, '>', g->n - k);
            return gt ? (size_t)(gt - g->s) + 1 : 0;
        }
    }
    return 0;
}

static size_t guard_start_tag(guard *g, size_t p)
{
    tag_scan t;
    scan_tag(g->s, g->n, p + 1, &t);
    if (!t.complete)
        return g->n;
    if (t.attrs > GUARD_MAX_ATTRS) {
        guard_remove(g, p, t.end);
        return t.end;
    }
    if (is_cut_tag(t.tag)) {
        size_t end = t.self_closing && t.tag != GUMBO_TAG_SELECT && t.tag != GUMBO_TAG_TEMPLATE
                         ? t.end
                         : guard_matching_end(g, t.end, &t);
        if (end) {
            guard_remove(g, p, end);
            return end;
        }
    }
    if (is_taint_tag(t.tag) || is_cut_tag(t.tag)) {
        g->tainted = true;
        return p; /* handled again in tainted mode */
    }
    if (is_rawtext_tag(t.tag))
        return guard_rawtext_end(g, t.end, &t);
    if (is_void_tag(t.tag))
        return t.end;
    if (is_uncounted_tag(t.tag) || t.tag == GUMBO_TAG_TD || t.tag == GUMBO_TAG_TH) {
        int cell = guard_cell(g);
        bool table_part = t.tag != GUMBO_TAG_HTML && t.tag != GUMBO_TAG_HEAD &&
                          t.tag != GUMBO_TAG_BODY && t.tag != GUMBO_TAG_OPTION;
        unsigned depth = table_part && cell >= 0 ? (unsigned)cell : g->depth;
        if (t.tag == GUMBO_TAG_TD || t.tag == GUMBO_TAG_TH) {
            if (guard_table(g) < 0)
                return t.end; /* ignored outside a table */
            if (depth >= GUARD_MAX_OPEN) {
                guard_remove(g, p, t.end);
                return t.end;
            }
        }
        guard_pop_to(g, depth); /* a new row or cell closes the open cell */
        if (t.tag == GUMBO_TAG_TD || t.tag == GUMBO_TAG_TH)
            guard_push(g, &t);
        return t.end;
    }
    unsigned depth = g->depth;
    if (t.tag == GUMBO_TAG_LI || t.tag == GUMBO_TAG_DD || t.tag == GUMBO_TAG_DT) {
        for (unsigned i = depth; i-- > 0;) {
            GumboTag o = g->open[i].tag;
            bool same = t.tag == GUMBO_TAG_LI ? o == GUMBO_TAG_LI : (o == GUMBO_TAG_DD || o == GUMBO_TAG_DT);
            if (same) {
                depth = i;
                break;
            }
            if (is_special_tag(o) && o != GUMBO_TAG_ADDRESS && o != GUMBO_TAG_DIV && o != GUMBO_TAG_P)
                break;
        }
    }
    if (closes_p(t.tag))
        depth = guard_close_p(g, depth);
    if (is_heading(t.tag) && depth > 0 && is_heading(g->open[depth - 1].tag))
        depth--;
    bool fmt = is_formatting_tag(t.tag);
    unsigned fmt_after = g->formatting;
    for (unsigned i = depth; i < g->depth; i++)
        if (is_formatting_tag(g->open[i].tag))
            fmt_after--;
    if (depth >= GUARD_MAX_OPEN || (fmt && fmt_after >= GUARD_MAX_FORMATTING)) {
        guard_remove(g, p, t.end);
        return t.end;
    }
    guard_pop_to(g, depth);
    guard_push(g, &t);
    return t.end;
}

static size_t guard_end_tag(guard *g, size_t p)
{
    tag_scan t;
    scan_tag(g->s, g->n, p + 2, &t);
    if (!t.complete)
        return g->n;
    GumboTag tag = t.tag;
    if (tag == GUMBO_TAG_P) {
        guard_pop_to(g, guard_close_p(g, g->depth));
        return t.end;
    }
    if (tag == GUMBO_TAG_TD || tag == GUMBO_TAG_TH) {
        int cell = guard_cell(g);
        if (cell >= 0 && g->open[cell].tag == tag)
            guard_pop_to(g, (unsigned)cell);
        return t.end;
    }
    if (TAG_IN(tag, GUMBO_TAG_TR, GUMBO_TAG_TBODY, GUMBO_TAG_THEAD, GUMBO_TAG_TFOOT, GUMBO_TAG_TABLE)) {
        int cell = guard_cell(g);
        if (cell >= 0)
            guard_pop_to(g, (unsigned)cell);
        if (tag == GUMBO_TAG_TABLE) {
            int table = guard_table(g);
            if (table >= 0)
                guard_pop_to(g, (unsigned)table);
        }
        return t.end;
    }
    if (is_void_tag(tag) || is_uncounted_tag(tag) || is_rawtext_tag(tag) || tag == GUMBO_TAG_FORM)
        return t.end;
    bool block = is_block_end_tag(tag);
    bool fmt = is_formatting_tag(tag);
    for (unsigned i = g->depth; i-- > 0;) {
        const guard_entry *e = &g->open[i];
        bool match = is_heading(tag) ? is_heading(e->tag) : entry_is(e, &t);
        if (match) {
            if (fmt) { /* adoption agency: closes only without a special element above */
                for (unsigned k = i + 1; k < g->depth; k++)
                    if (is_special_tag(g->open[k].tag))
                        return t.end;
            }
            guard_pop_to(g, i);
            return t.end;
        }
        if (block || fmt) {
            if (is_scope_boundary(e->tag) ||
                (tag == GUMBO_TAG_LI && (e->tag == GUMBO_TAG_OL || e->tag == GUMBO_TAG_UL)))
                return t.end;
        } else if (is_special_tag(e->tag)) {
            return t.end;
        }
    }
    return t.end;
}

/* In a tainted document every "<letter" may open an element, wherever it is. Over the bound,
 * a complete tag is removed (only a tag can be removed: what follows it was counted), a tag
 * the input ends inside is turned into text. Returns where to continue. */
static size_t guard_tainted_lt(guard *g, size_t p)
{
    if (p + 1 >= g->n || !is_alpha((unsigned char)g->s[p + 1]))
        return p + 1;
    if (g->depth + g->tainted_open < GUARD_MAX_OPEN) {
        g->tainted_open++;
        return p + 1; /* its attribute values may hold tags too, for all we know */
    }
    tag_scan t;
    scan_tag(g->s, g->n, p + 1, &t);
    if (!t.complete) {
        guard_neutralize(g, p);
        return p + 1;
    }
    guard_remove(g, p, t.end);
    return t.end;
}

static size_t skip_past(const guard *g, size_t from, const char *needle)
{
    const char *f = memmem(g->s + from, g->n - from, needle, strlen(needle));
    return f ? (size_t)(f - g->s) + strlen(needle) : g->n;
}

static size_t guard_comment_end(const guard *g, size_t p)
{
    size_t j = p + 4; /* after "<!--" */
    if (j < g->n && g->s[j] == '>')
        return j + 1;
    if (j + 1 < g->n && g->s[j] == '-' && g->s[j + 1] == '>')
        return j + 2;
    while (j + 2 < g->n) { /* the first "-->" or "--!>" */
        const char *dd = memmem(g->s + j, g->n - j, "--", 2);
        if (!dd)
            break;
        size_t k = (size_t)(dd - g->s) + 2;
        if (k < g->n && g->s[k] == '>')
            return k + 1;
        if (k + 1 < g->n && g->s[k] == '!' && g->s[k + 1] == '>')
            return k + 2;
        j = k - 1;
    }
    return g->n;
}

/* Runs the guard over html[0..len). On return *src and *srclen are what the parser should read:
 * the input itself, or out when something was removed. Returns -1 when out of memory. */
static int guard_input(const char *html, size_t len, sb_buf *out, const char **src, size_t *srclen)
{
    guard *g = calloc(1, sizeof *g);
    if (!g)
        return -1;
    g->s = html;
    g->n = len;
    g->out = out;
    size_t i = 0;
    while (i < len) {
        const char *lt = memchr(html + i, '<', len - i);
        if (!lt)
            break;
        size_t p = (size_t)(lt - html);
        if (g->tainted) {
            i = guard_tainted_lt(g, p);
            continue;
        }
        unsigned char c = p + 1 < len ? (unsigned char)html[p + 1] : 0;
        if (is_alpha(c)) {
            i = guard_start_tag(g, p);
        } else if (c == '/') {
            unsigned char d = p + 2 < len ? (unsigned char)html[p + 2] : 0;
            if (is_alpha(d))
                i = guard_end_tag(g, p);
            else if (d == '>')
                i = p + 3;
            else
                i = d ? skip_past(g, p + 2, ">") : len;
        } else if (c == '!') {
            if (p + 3 < len && html[p + 2] == '-' && html[p + 3] == '-')
                i = guard_comment_end(g, p);
            else
                i = skip_past(g, p + 2, ">");
        } else if (c == '?') {
            i = skip_past(g, p + 2, ">");
        } else {
            i = p + 1;
        }
    }
    bool rewrote = g->rewriting;
    if (rewrote)
        guard_sync(g, len);
    free(g);
    if (out->failed)
        return -1;
    *src = rewrote ? out->data : html;
    *srclen = rewrote ? out->len : len;
    return 0;
}

/* ------------------------------------------------------------------------ */
/* Parsing                                                                  */
/* ------------------------------------------------------------------------ */

typedef struct {
    parse_arena arena; /* outside the frame that calls setjmp: it survives the longjmp */
    sb_buf guarded;
    GumboOptions options;
    const char *src;
    size_t srclen;
    GumboOutput *output;
} parsed_doc;

/* The only frame with a setjmp: it reads nothing but d after a longjmp. */
static int parse_with_budget(parsed_doc *d)
{
    if (setjmp(d->arena.escape) != 0)
        return d->arena.failure;
    d->output = gumbo_parse_with_options(&d->options, d->src, d->srclen);
    return PARSE_OK;
}

/* Parses html under the budget. Returns PARSE_OK (d->output set), PARSE_TOO_BIG (use the text
 * fallback) or PARSE_NOMEM. Release with parsed_doc_release in every case. */
static int parse_document(parsed_doc *d, const char *html, size_t len)
{
    memset(d, 0, sizeof *d);
    sb_buf_init(&d->guarded, 0);
    if (len > HTML_MAX_INPUT)
        len = HTML_MAX_INPUT;
    if (guard_input(html, len, &d->guarded, &d->src, &d->srclen) < 0)
        return PARSE_NOMEM;
    int64_t cpu = PARSE_CPU_BASE_NS + (int64_t)(d->srclen >> 10) * (PARSE_CPU_PER_MIB_NS >> 10);
    arena_init(&d->arena, PARSE_MEM_BASE + PARSE_MEM_PER_BYTE * d->srclen, cpu);
    d->options = kGumboDefaultOptions;
    d->options.allocator = arena_alloc;
    d->options.deallocator = arena_dealloc;
    d->options.userdata = &d->arena;
    d->options.max_errors = 0; /* gumbo copies its whole stack into every recorded error */
    int rc = parse_with_budget(d);
    if (rc != PARSE_OK) {
        arena_release(&d->arena);
        d->output = NULL;
    }
    return rc;
}

static void parsed_doc_release(parsed_doc *d)
{
    arena_release(&d->arena); /* frees the whole tree: no recursion */
    d->output = NULL;
    sb_buf_release(&d->guarded);
}

/* ------------------------------------------------------------------------ */
/* Tree helpers                                                             */
/* ------------------------------------------------------------------------ */

static GumboVector *node_children(const GumboNode *n)
{
    if (n->type == GUMBO_NODE_DOCUMENT)
        return (GumboVector *)&n->v.document.children;
    if (n->type == GUMBO_NODE_ELEMENT || n->type == GUMBO_NODE_TEMPLATE)
        return (GumboVector *)&n->v.element.children;
    return NULL;
}

static bool is_element(const GumboNode *n)
{
    return n && (n->type == GUMBO_NODE_ELEMENT || n->type == GUMBO_NODE_TEMPLATE);
}

static bool is_text(const GumboNode *n)
{
    return n->type == GUMBO_NODE_TEXT || n->type == GUMBO_NODE_WHITESPACE || n->type == GUMBO_NODE_CDATA;
}

static GumboTag node_tag(const GumboNode *n)
{
    return is_element(n) ? n->v.element.tag : GUMBO_TAG_LAST;
}

static size_t index_in_parent(const GumboNode *n)
{
    GumboVector *kids = node_children(n->parent);
    size_t i = n->index_within_parent;
    if (i < kids->length && kids->data[i] == n)
        return i;
    for (i = 0; i < kids->length; i++)
        if (kids->data[i] == n)
            return i;
    return kids->length;
}

static GumboNode *sibling(const GumboNode *n, int dir)
{
    if (!n->parent)
        return NULL;
    GumboVector *kids = node_children(n->parent);
    size_t i = index_in_parent(n);
    if (dir < 0)
        return i > 0 && i <= kids->length ? kids->data[i - 1] : NULL;
    return i + 1 < kids->length ? kids->data[i + 1] : NULL;
}

/* Next node in document order; into n's children when descend; NULL when leaving root's
 * subtree (root NULL: the whole document). */
static GumboNode *next_node(const GumboNode *n, bool descend, const GumboNode *root)
{
    GumboVector *kids = node_children(n);
    if (descend && kids && kids->length)
        return kids->data[0];
    while (n && n != root) {
        GumboNode *s = sibling(n, 1);
        if (s)
            return s;
        n = n->parent;
    }
    return NULL;
}

static const char *attr(const GumboNode *n, const char *name)
{
    if (!is_element(n))
        return NULL;
    GumboAttribute *a = gumbo_get_attribute(&n->v.element.attributes, name);
    return a ? a->value : NULL;
}

static bool has_class(const GumboNode *n, const char *cls)
{
    const char *v = attr(n, "class");
    size_t cl = strlen(cls);
    while (v && *v) {
        while (*v && is_html_space((unsigned char)*v))
            v++;
        size_t k = 0;
        while (v[k] && !is_html_space((unsigned char)v[k]))
            k++;
        if (k == cl && strncasecmp(v, cls, cl) == 0)
            return true;
        v += k;
    }
    return false;
}

static bool id_is(const GumboNode *n, const char *id)
{
    const char *v = attr(n, "id");
    return v && strcasecmp(v, id) == 0;
}

/* ------------------------------------------------------------------------ */
/* The allow-list                                                           */
/* ------------------------------------------------------------------------ */

/* Elements: EL_ALLOW ones are written with their allowed attributes (attr_rules); EL_DROP
 * ones go with everything inside them; all others (unknown tags, html, body, label, marquee,
 * ...) are replaced by their content (EL_UNWRAP). Attributes never include id, class or name
 * from the input (they could clobber the agent UI's DOM) nor on* handlers; the only class
 * written is our own "sb-quoted". Links keep http, https and mailto; images keep data:image
 * (png, gif, jpeg, webp; base64), cid: through the resolver, and http(s) as
 * data-sb-remote-src until an agent loads them.
 *
 * Styles are filtered, not dropped: mail without its colours, fonts and spacing is hard to
 * read, and the subset (css_filter) is small enough to reason about: colour, background
 * colour, font weight/style/size/family, text decoration and alignment, margins, paddings and
 * borders, with values made only of words, numbers, #colours, quoted family names and
 * rgb()/hsl() — no url(), no other function (expression, calc, var, ...), no escapes, comments,
 * @, <, >, braces or semicolons, no negative margins, no position/display/z-index at all. A
 * declaration can thus load nothing, run nothing and not move out of the message's box. */
typedef enum { EL_UNWRAP = 0, EL_ALLOW, EL_DROP } element_kind;

static const unsigned char tag_kinds[GUMBO_TAG_LAST + 1] = {
    /* structure and text */
    [GUMBO_TAG_P] = EL_ALLOW, [GUMBO_TAG_DIV] = EL_ALLOW, [GUMBO_TAG_SPAN] = EL_ALLOW,
    [GUMBO_TAG_BR] = EL_ALLOW, [GUMBO_TAG_HR] = EL_ALLOW, [GUMBO_TAG_H1] = EL_ALLOW,
    [GUMBO_TAG_H2] = EL_ALLOW, [GUMBO_TAG_H3] = EL_ALLOW, [GUMBO_TAG_H4] = EL_ALLOW,
    [GUMBO_TAG_H5] = EL_ALLOW, [GUMBO_TAG_H6] = EL_ALLOW, [GUMBO_TAG_UL] = EL_ALLOW,
    [GUMBO_TAG_OL] = EL_ALLOW, [GUMBO_TAG_LI] = EL_ALLOW, [GUMBO_TAG_DL] = EL_ALLOW,
    [GUMBO_TAG_DT] = EL_ALLOW, [GUMBO_TAG_DD] = EL_ALLOW, [GUMBO_TAG_TABLE] = EL_ALLOW,
    [GUMBO_TAG_THEAD] = EL_ALLOW, [GUMBO_TAG_TBODY] = EL_ALLOW, [GUMBO_TAG_TFOOT] = EL_ALLOW,
    [GUMBO_TAG_TR] = EL_ALLOW, [GUMBO_TAG_TD] = EL_ALLOW, [GUMBO_TAG_TH] = EL_ALLOW,
    [GUMBO_TAG_CAPTION] = EL_ALLOW, [GUMBO_TAG_COLGROUP] = EL_ALLOW, [GUMBO_TAG_COL] = EL_ALLOW,
    [GUMBO_TAG_BLOCKQUOTE] = EL_ALLOW, [GUMBO_TAG_PRE] = EL_ALLOW, [GUMBO_TAG_CODE] = EL_ALLOW,
    [GUMBO_TAG_B] = EL_ALLOW, [GUMBO_TAG_STRONG] = EL_ALLOW, [GUMBO_TAG_I] = EL_ALLOW,
    [GUMBO_TAG_EM] = EL_ALLOW, [GUMBO_TAG_U] = EL_ALLOW, [GUMBO_TAG_S] = EL_ALLOW,
    [GUMBO_TAG_STRIKE] = EL_ALLOW, [GUMBO_TAG_SUB] = EL_ALLOW, [GUMBO_TAG_SUP] = EL_ALLOW,
    [GUMBO_TAG_SMALL] = EL_ALLOW, [GUMBO_TAG_BIG] = EL_ALLOW, [GUMBO_TAG_FONT] = EL_ALLOW,
    [GUMBO_TAG_CENTER] = EL_ALLOW, [GUMBO_TAG_A] = EL_ALLOW, [GUMBO_TAG_IMG] = EL_ALLOW,
    [GUMBO_TAG_ABBR] = EL_ALLOW, [GUMBO_TAG_ADDRESS] = EL_ALLOW, [GUMBO_TAG_CITE] = EL_ALLOW,
    [GUMBO_TAG_Q] = EL_ALLOW, [GUMBO_TAG_DEL] = EL_ALLOW, [GUMBO_TAG_INS] = EL_ALLOW,
    [GUMBO_TAG_MARK] = EL_ALLOW, [GUMBO_TAG_FIGURE] = EL_ALLOW, [GUMBO_TAG_FIGCAPTION] = EL_ALLOW,
    [GUMBO_TAG_SECTION] = EL_ALLOW, [GUMBO_TAG_ARTICLE] = EL_ALLOW, [GUMBO_TAG_HEADER] = EL_ALLOW,
    [GUMBO_TAG_FOOTER] = EL_ALLOW, [GUMBO_TAG_DETAILS] = EL_ALLOW, [GUMBO_TAG_SUMMARY] = EL_ALLOW,
    /* dropped with their content */
    [GUMBO_TAG_SCRIPT] = EL_DROP, [GUMBO_TAG_STYLE] = EL_DROP, [GUMBO_TAG_NOSCRIPT] = EL_DROP,
    [GUMBO_TAG_TEMPLATE] = EL_DROP, [GUMBO_TAG_IFRAME] = EL_DROP, [GUMBO_TAG_FRAME] = EL_DROP,
    [GUMBO_TAG_FRAMESET] = EL_DROP, [GUMBO_TAG_NOFRAMES] = EL_DROP, [GUMBO_TAG_OBJECT] = EL_DROP,
    [GUMBO_TAG_EMBED] = EL_DROP, [GUMBO_TAG_APPLET] = EL_DROP, [GUMBO_TAG_PARAM] = EL_DROP,
    [GUMBO_TAG_TITLE] = EL_DROP, [GUMBO_TAG_HEAD] = EL_DROP, [GUMBO_TAG_META] = EL_DROP,
    [GUMBO_TAG_LINK] = EL_DROP, [GUMBO_TAG_BASE] = EL_DROP, [GUMBO_TAG_BASEFONT] = EL_DROP,
    [GUMBO_TAG_BGSOUND] = EL_DROP, [GUMBO_TAG_FORM] = EL_DROP, [GUMBO_TAG_INPUT] = EL_DROP,
    [GUMBO_TAG_BUTTON] = EL_DROP, [GUMBO_TAG_SELECT] = EL_DROP, [GUMBO_TAG_TEXTAREA] = EL_DROP,
    [GUMBO_TAG_OPTION] = EL_DROP, [GUMBO_TAG_OPTGROUP] = EL_DROP, [GUMBO_TAG_DATALIST] = EL_DROP,
    [GUMBO_TAG_KEYGEN] = EL_DROP, [GUMBO_TAG_ISINDEX] = EL_DROP, [GUMBO_TAG_SVG] = EL_DROP,
    [GUMBO_TAG_MATH] = EL_DROP, [GUMBO_TAG_AUDIO] = EL_DROP, [GUMBO_TAG_VIDEO] = EL_DROP,
    [GUMBO_TAG_SOURCE] = EL_DROP, [GUMBO_TAG_TRACK] = EL_DROP, [GUMBO_TAG_CANVAS] = EL_DROP,
    [GUMBO_TAG_NOEMBED] = EL_DROP, [GUMBO_TAG_MENUITEM] = EL_DROP,
};

/* Tags gumbo 0.10 does not know but that must go with their content. */
static const char *const dropped_unknown[] = {"dialog", "portal", "fencedframe", "xml", "slot"};

static element_kind kind_of(const GumboNode *n)
{
    if (n->type == GUMBO_NODE_TEMPLATE)
        return EL_DROP;
    const GumboElement *e = &n->v.element;
    if (e->tag_namespace != GUMBO_NAMESPACE_HTML)
        return EL_DROP;
    if (e->tag != GUMBO_TAG_UNKNOWN)
        return (element_kind)tag_kinds[e->tag];
    GumboStringPiece name = e->original_tag;
    if (name.length)
        gumbo_tag_from_original_text(&name);
    for (size_t i = 0; i < ARRAY_LEN(dropped_unknown); i++)
        if (name.length == strlen(dropped_unknown[i]) &&
            strncasecmp(name.data, dropped_unknown[i], name.length) == 0)
            return EL_DROP;
    return EL_UNWRAP;
}

static bool is_void_element(GumboTag t)
{
    return t == GUMBO_TAG_BR || t == GUMBO_TAG_HR || t == GUMBO_TAG_IMG || t == GUMBO_TAG_COL;
}

static bool is_block_element(GumboTag t)
{
    return is_heading(t) ||
           TAG_IN(t, GUMBO_TAG_P, GUMBO_TAG_DIV, GUMBO_TAG_UL, GUMBO_TAG_OL, GUMBO_TAG_LI,
                  GUMBO_TAG_DL, GUMBO_TAG_DT, GUMBO_TAG_DD, GUMBO_TAG_TABLE, GUMBO_TAG_TR,
                  GUMBO_TAG_BLOCKQUOTE, GUMBO_TAG_PRE, GUMBO_TAG_HR, GUMBO_TAG_ADDRESS,
                  GUMBO_TAG_ARTICLE, GUMBO_TAG_ASIDE, GUMBO_TAG_CENTER, GUMBO_TAG_DETAILS,
                  GUMBO_TAG_SUMMARY, GUMBO_TAG_FIELDSET, GUMBO_TAG_FIGURE, GUMBO_TAG_FIGCAPTION,
                  GUMBO_TAG_FOOTER, GUMBO_TAG_HEADER, GUMBO_TAG_MAIN, GUMBO_TAG_NAV,
                  GUMBO_TAG_SECTION, GUMBO_TAG_CAPTION, GUMBO_TAG_THEAD, GUMBO_TAG_TBODY,
                  GUMBO_TAG_TFOOT, GUMBO_TAG_LISTING, GUMBO_TAG_XMP, GUMBO_TAG_PLAINTEXT,
                  GUMBO_TAG_BODY, GUMBO_TAG_HGROUP, GUMBO_TAG_MENU, GUMBO_TAG_DIR);
}

/* Parents in which a <div> would be moved by a browser's parser. */
static bool is_table_structure(GumboTag t)
{
    return TAG_IN(t, GUMBO_TAG_TABLE, GUMBO_TAG_TBODY, GUMBO_TAG_THEAD, GUMBO_TAG_TFOOT,
                  GUMBO_TAG_TR, GUMBO_TAG_COLGROUP);
}

/* ------------------------------------------------------------------------ */
/* URLs                                                                     */
/* ------------------------------------------------------------------------ */

typedef enum { URL_BAD, URL_HTTP, URL_MAILTO, URL_CID, URL_DATA_IMAGE } url_kind;

/* Normalises a URL as browsers read it (entities are already decoded by the parser: control
 * characters and whitespace around it, tabs and newlines inside it removed; inner spaces
 * percent-encoded) into clean, and classifies its scheme. Relative URLs are URL_BAD: a
 * fragment has no base to resolve against. */
static url_kind url_classify(const char *v, sb_buf *clean)
{
    sb_buf_reset(clean);
    size_t n = strlen(v);
    while (n && (unsigned char)v[n - 1] <= 0x20)
        n--;
    size_t i = 0;
    while (i < n && (unsigned char)v[i] <= 0x20)
        i++;
    for (; i < n; i++) {
        unsigned char c = (unsigned char)v[i];
        if (c < 0x20 || c == 0x7F)
            continue;
        if (c == ' ')
            sb_buf_puts(clean, "%20");
        else
            sb_buf_append(clean, &v[i], 1);
    }
    if (clean->failed || !clean->len)
        return URL_BAD;
    const char *u = clean->data;
    size_t k = 0;
    while (k < clean->len && (is_alpha((unsigned char)u[k]) || is_digit((unsigned char)u[k]) ||
                              u[k] == '+' || u[k] == '-' || u[k] == '.'))
        k++;
    if (k == 0 || k >= clean->len || u[k] != ':' || !is_alpha((unsigned char)u[0]))
        return URL_BAD;
    if ((k == 4 && strncasecmp(u, "http", 4) == 0) || (k == 5 && strncasecmp(u, "https", 5) == 0))
        return URL_HTTP;
    if (k == 6 && strncasecmp(u, "mailto", 6) == 0)
        return URL_MAILTO;
    if (k == 3 && strncasecmp(u, "cid", 3) == 0)
        return URL_CID;
    if (k == 4 && strncasecmp(u, "data", 4) == 0) {
        static const char *const types[] = {"image/png;base64,", "image/gif;base64,",
                                            "image/jpeg;base64,", "image/jpg;base64,",
                                            "image/webp;base64,"};
        const char *rest = u + 5;
        for (size_t t = 0; t < ARRAY_LEN(types); t++) {
            size_t tl = strlen(types[t]);
            if (strncasecmp(rest, types[t], tl) != 0)
                continue;
            for (const char *p = rest + tl; *p; p++)
                if (!is_alpha((unsigned char)*p) && !is_digit((unsigned char)*p) && *p != '+' &&
                    *p != '/' && *p != '=' && *p != '%')
                    return URL_BAD;
            return URL_DATA_IMAGE;
        }
    }
    return URL_BAD;
}

static int hex_value(int c)
{
    if (is_digit(c))
        return c - '0';
    c = lower(c);
    return (c >= 'a' && c <= 'f') ? c - 'a' + 10 : -1;
}

/* ------------------------------------------------------------------------ */
/* Styles: a safe subset of declarations                                    */
/* ------------------------------------------------------------------------ */

static const char *const css_properties[] = {
    "color", "background-color", "font-weight", "font-style", "text-decoration", "text-align",
    "font-size", "font-family",
};
static const char *const css_prefixes[] = {"margin", "padding", "border"};
static const char *const css_functions[] = {"rgb", "rgba", "hsl", "hsla"};
static const char *const css_banned[] = {
    "url", "expression", "javascript", "vbscript", "behavior", "behaviour", "binding",
    "import", "image", "attr", "var", "calc", "env", "element", "cross-fade",
};

static bool css_property_ok(const char *p, size_t n)
{
    for (size_t i = 0; i < ARRAY_LEN(css_properties); i++)
        if (n == strlen(css_properties[i]) && memcmp(p, css_properties[i], n) == 0)
            return true;
    for (size_t i = 0; i < ARRAY_LEN(css_prefixes); i++) {
        size_t l = strlen(css_prefixes[i]);
        if (n >= l && memcmp(p, css_prefixes[i], l) == 0 && (n == l || p[l] == '-'))
            return true;
    }
    return false;
}

/* A value made of words, numbers, colours, quoted family names and rgb()/hsl(): no url(,
 * expression, escapes, comments, @, <, >, ; or braces. */
static bool css_value_ok(const char *v, size_t n, bool no_negative)
{
    if (n == 0 || n > 256)
        return false;
    char low[260];
    size_t dq = 0, sq = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)v[i];
        bool ok = is_alpha(c) || is_digit(c) || c >= 0x80 || strchr(" \t#%.,()'\"+-!_", c);
        if (!ok || !c)
            return false;
        if (c == '"')
            dq++;
        if (c == '\'')
            sq++;
        if (c == '(') { /* only colour functions */
            size_t k = i;
            while (k > 0 && (is_alpha((unsigned char)v[k - 1]) || v[k - 1] == '-'))
                k--;
            bool fn = false;
            for (size_t f = 0; f < ARRAY_LEN(css_functions); f++)
                if (i - k == strlen(css_functions[f]) && strncasecmp(v + k, css_functions[f], i - k) == 0)
                    fn = true;
            if (!fn)
                return false;
        }
        if (no_negative && c == '-' && i + 1 < n && (is_digit((unsigned char)v[i + 1]) || v[i + 1] == '.'))
            return false;
        low[i] = (char)lower(c);
    }
    if (dq % 2 || sq % 2)
        return false;
    low[n] = '\0';
    for (size_t i = 0; i < ARRAY_LEN(css_banned); i++)
        if (strstr(low, css_banned[i]))
            return false;
    return true;
}

/* Appends the allowed declarations of style as "prop:value;..." to out. */
static void css_filter(const char *style, sb_buf *out)
{
    const char *p = style;
    while (*p && out->len < HTML_MAX_STYLE) {
        const char *semi = strchr(p, ';');
        const char *end = semi ? semi : p + strlen(p);
        const char *colon = memchr(p, ':', (size_t)(end - p));
        if (colon) {
            const char *ps = p, *pe = colon, *vs = colon + 1, *ve = end;
            while (ps < pe && is_html_space((unsigned char)*ps))
                ps++;
            while (pe > ps && is_html_space((unsigned char)pe[-1]))
                pe--;
            while (vs < ve && is_html_space((unsigned char)*vs))
                vs++;
            while (ve > vs && is_html_space((unsigned char)ve[-1]))
                ve--;
            char prop[32];
            size_t pl = (size_t)(pe - ps);
            bool ok = pl > 0 && pl < sizeof prop;
            for (size_t i = 0; ok && i < pl; i++) {
                prop[i] = (char)lower((unsigned char)ps[i]);
                ok = is_alpha((unsigned char)prop[i]) || prop[i] == '-';
            }
            if (ok && css_property_ok(prop, pl) &&
                css_value_ok(vs, (size_t)(ve - vs), strncmp(prop, "margin", 6) == 0)) {
                sb_buf_append(out, prop, pl);
                sb_buf_puts(out, ":");
                sb_buf_append(out, vs, (size_t)(ve - vs));
                sb_buf_puts(out, ";");
            }
        }
        p = semi ? semi + 1 : end;
    }
}

/* ------------------------------------------------------------------------ */
/* Attribute values                                                         */
/* ------------------------------------------------------------------------ */

typedef enum {
    V_TEXT, V_DIR, V_LANG, V_ALIGN, V_VALIGN, V_LENGTH, V_INT, V_COLOR, V_FONTSIZE, V_FACE,
    V_STYLE,
} attr_check;

/* GUMBO_TAG_LAST = any allowed element. <a href> and <img src> are handled apart. */
static const struct {
    GumboTag tag;
    const char *name;
    attr_check check;
} attr_rules[] = {
    {GUMBO_TAG_LAST, "dir", V_DIR},          {GUMBO_TAG_LAST, "lang", V_LANG},
    {GUMBO_TAG_LAST, "title", V_TEXT},       {GUMBO_TAG_LAST, "align", V_ALIGN},
    {GUMBO_TAG_LAST, "style", V_STYLE},      {GUMBO_TAG_IMG, "alt", V_TEXT},
    {GUMBO_TAG_IMG, "width", V_LENGTH},      {GUMBO_TAG_IMG, "height", V_LENGTH},
    {GUMBO_TAG_TD, "colspan", V_INT},        {GUMBO_TAG_TD, "rowspan", V_INT},
    {GUMBO_TAG_TD, "valign", V_VALIGN},      {GUMBO_TAG_TD, "width", V_LENGTH},
    {GUMBO_TAG_TH, "colspan", V_INT},        {GUMBO_TAG_TH, "rowspan", V_INT},
    {GUMBO_TAG_TH, "valign", V_VALIGN},      {GUMBO_TAG_TH, "width", V_LENGTH},
    {GUMBO_TAG_TABLE, "width", V_LENGTH},    {GUMBO_TAG_TABLE, "border", V_INT},
    {GUMBO_TAG_TABLE, "cellpadding", V_INT}, {GUMBO_TAG_TABLE, "cellspacing", V_INT},
    {GUMBO_TAG_COL, "span", V_INT},          {GUMBO_TAG_COL, "width", V_LENGTH},
    {GUMBO_TAG_COLGROUP, "span", V_INT},     {GUMBO_TAG_COLGROUP, "width", V_LENGTH},
    {GUMBO_TAG_FONT, "color", V_COLOR},      {GUMBO_TAG_FONT, "size", V_FONTSIZE},
    {GUMBO_TAG_FONT, "face", V_FACE},
};

static bool word_in(const char *v, const char *const *words, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strcasecmp(v, words[i]) == 0)
            return true;
    return false;
}

static bool chars_ok(const char *v, size_t max, const char *extra, bool alnum)
{
    size_t n = strlen(v);
    if (n == 0 || n > max)
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)v[i];
        if (!(alnum && (is_alpha(c) || is_digit(c))) && !strchr(extra, c))
            return false;
    }
    return true;
}

static bool value_ok(attr_check check, const char *v)
{
    static const char *const dirs[] = {"ltr", "rtl", "auto"};
    static const char *const aligns[] = {"left", "right", "center", "justify", "top", "middle",
                                         "bottom", "baseline", "absmiddle", "texttop", "absbottom"};
    static const char *const valigns[] = {"top", "middle", "bottom", "baseline"};
    switch (check) {
    case V_TEXT: return true;
    case V_DIR: return word_in(v, dirs, ARRAY_LEN(dirs));
    case V_LANG: return chars_ok(v, 35, "-_", true);
    case V_ALIGN: return word_in(v, aligns, ARRAY_LEN(aligns));
    case V_VALIGN: return word_in(v, valigns, ARRAY_LEN(valigns));
    case V_INT: return chars_ok(v, 5, "0123456789", false);
    case V_LENGTH: {
        size_t d = strspn(v, "0123456789");
        if (d == 0 || d > 5)
            return false;
        const char *r = v + d;
        if (*r == '.')
            r += 1 + strspn(r + 1, "0123456789");
        return !*r || strcmp(r, "%") == 0 || strcasecmp(r, "px") == 0;
    }
    case V_COLOR: return chars_ok(v, 20, "#", true);
    case V_FONTSIZE: return chars_ok(v, 2, "+-1234567", false);
    case V_FACE: return chars_ok(v, 200, " ,'\"-_.", true);
    case V_STYLE: return true;
    }
    return false;
}

/* ------------------------------------------------------------------------ */
/* Output with a size cap                                                   */
/* ------------------------------------------------------------------------ */

typedef struct {
    sb_buf buf;
    size_t max;     /* bytes of output allowed */
    size_t closers; /* bytes reserved for the end tags of everything open */
    bool full;      /* the output was cut */
    bool oom;
} emitter;

static void em_append(emitter *e, const char *s, size_t n)
{
    if (sb_buf_append(&e->buf, s, n) < 0) {
        e->oom = true;
        e->full = true;
    }
}

/* Appends markup whose end tag will need `closer` bytes, or marks the output full. */
static bool em_open(emitter *e, const char *s, size_t n, size_t closer)
{
    if (e->full || e->buf.len + n + closer + e->closers > e->max) {
        e->full = true;
        return false;
    }
    em_append(e, s, n);
    e->closers += closer;
    return !e->full;
}

static void em_close(emitter *e, const char *s)
{
    size_t n = strlen(s);
    e->closers -= n;
    em_append(e, s, n);
}

static void em_text(emitter *e, const char *s, size_t n)
{
    if (e->full)
        return;
    size_t room = e->max - e->buf.len - e->closers;
    if (escape_into(&e->buf, s, n, room) < n)
        e->full = true;
    if (e->buf.failed) {
        e->oom = true;
        e->full = true;
    }
}

/* ------------------------------------------------------------------------ */
/* Text windows: a bounded look at the text of a subtree or what follows    */
/* ------------------------------------------------------------------------ */

typedef struct {
    char text[WINDOW_CHARS + 8];
    size_t len;
    size_t scanned; /* bytes looked at, white space included */
    bool space;
} text_window;

static void window_put(text_window *w, const char *s, size_t n)
{
    if (w->scanned >= WINDOW_SCAN_BYTES)
        return;
    if (n > WINDOW_SCAN_BYTES - w->scanned)
        n = WINDOW_SCAN_BYTES - w->scanned;
    w->scanned += n;
    for (size_t i = 0; i < n && w->len < WINDOW_CHARS; i++) {
        unsigned char c = (unsigned char)s[i];
        bool nbsp = c == 0xC2 && i + 1 < n && (unsigned char)s[i + 1] == 0xA0;
        if (is_html_space(c) || nbsp) {
            w->space = true;
            i += nbsp;
            continue;
        }
        if (w->space && w->len && w->text[w->len - 1] != '\n')
            w->text[w->len++] = ' ';
        w->space = false;
        w->text[w->len++] = (char)c;
    }
    w->text[w->len] = '\0';
}

static void window_newline(text_window *w)
{
    if (w->len < WINDOW_CHARS && w->len && w->text[w->len - 1] != '\n')
        w->text[w->len++] = '\n';
    w->space = false;
    w->text[w->len] = '\0';
}

/* Fills w with the text from `from` on: its subtree only (subtree) or everything after it in
 * document order too. */
static void window_fill(text_window *w, const GumboNode *from, bool subtree, size_t max_chars,
                        unsigned max_nodes)
{
    memset(w, 0, sizeof *w);
    const GumboNode *root = subtree ? from : NULL;
    const GumboNode *n = from;
    unsigned visited = 0;
    while (n && visited++ < max_nodes && w->len < max_chars) {
        bool descend = true;
        if (is_element(n)) {
            if (kind_of(n) == EL_DROP) {
                descend = false;
            } else {
                GumboTag t = node_tag(n);
                if (t == GUMBO_TAG_BR || is_block_element(t))
                    window_newline(w);
            }
        } else if (is_text(n)) {
            window_put(w, n->v.text.text, strlen(n->v.text.text));
        }
        n = next_node(n, descend, root);
    }
}

/* Next line of w->text starting at *pos (advanced past it); false at the end. */
static bool window_line(const text_window *w, size_t *pos, const char **line, size_t *len)
{
    while (*pos < w->len && w->text[*pos] == '\n')
        (*pos)++;
    if (*pos >= w->len)
        return false;
    const char *s = w->text + *pos;
    const char *nl = memchr(s, '\n', w->len - *pos);
    *line = s;
    *len = nl ? (size_t)(nl - s) : w->len - *pos;
    *pos += *len;
    return true;
}

/* ------------------------------------------------------------------------ */
/* Phrases of quoted history (shared by HTML and plain text)                */
/* ------------------------------------------------------------------------ */

static const char *const from_labels[] = {
    "from", "von", "de", "da", "van", "od", "från", "fra", "frá", "от", "від", "发件人", "寄件者",
    "差出人", "lähettäjä", "feladó", "kimden", "afzender",
};
static const char *const other_labels[] = {
    "sent", "date", "to", "cc", "bcc", "subject", "reply-to", "gesendet", "datum", "an",
    "betreff", "envoyé", "à", "a", "objet", "enviado", "enviada", "fecha", "para", "asunto",
    "assunto", "data", "inviato", "oggetto", "risposta", "verzonden", "aan", "onderwerp",
    "wysłano", "do", "temat", "skickat", "till", "ämne", "sendt", "til", "emne", "отправлено",
    "дата", "кому", "тема", "копия", "надіслано", "发送时间", "日期", "收件人", "主题", "送信日時",
    "宛先", "件名", "lähetetty", "vastaanottaja", "aihe", "elküldve", "címzett", "tárgy",
    "gönderildi", "kime", "konu",
};

static const char *const history_markers[] = {
    "original message", "original message follows", "ursprüngliche nachricht",
    "mensaje original", "message d'origine", "messaggio originale", "oorspronkelijk bericht",
    "origineel bericht", "исходное сообщение", "mensagem original", "originalmeddelande",
    "opprinnelig melding", "oprindelig meddelelse", "wiadomość oryginalna",
    "oryginalna wiadomość", "původní zpráva", "原始邮件", "原始郵件", "forwarded message",
    "begin forwarded message", "weitergeleitete nachricht", "message transféré",
    "mensaje reenviado", "пересылаемое сообщение", "переслане повідомлення",
    "оригінальне повідомлення", "alkuperäinen viesti", "eredeti üzenet", "orijinal mesaj",
    "mensagem encaminhada", "doorgestuurd bericht", "videresendt melding",
    "vidarebefordrat meddelande", "messaggio inoltrato",
};

/* Words that end an attribution line ("On ..., X wrote:"), folded. */
static const char *const wrote_words[] = {
    "wrote", "writes", "a écrit", "escribió", "escribio", "schrieb", "schreef", "geschreven",
    "napisał", "napisał(a)", "napisała", "escreveu", "skrev", "ha scritto", "scrisse", "写道",
    "寫道", "пишет", "написал", "написал(а)", "написала", "пише", "написав", "kirjoitti",
    "napsal", "napsal(a)", "napsala", "írta", "yazdı", "skriver",
};
/* Words that appear inside an attribution ending in a colon ("X schrieb am ... Uhr:"). */
static const char *const wrote_inner[] = {
    "wrote", "schrieb", "skrev", "schreef", "escreveu", "escribió", "a écrit", "napisał",
    "написал", "пише", "ha scritto",
};
static const char *const attribution_openers[] = {
    "on ", "le ", "am ", "el ", "op ", "il ", "em ", "den ", "dnia ", "w dniu ", "dne ", "в ",
    "на ", "у ", "at ", "quoting ", "citando ", "zitat von ",
};
static const char *const device_signatures[] = {
    "sent from my ", "sent from outlook", "sent from mail for windows", "sent from yahoo mail",
    "sent from samsung", "sent from mailbox", "sent via ", "get outlook for ", "sendt fra min ",
    "skickat från min ", "envoyé de mon ", "envoyé depuis mon ", "enviado desde mi ",
    "enviado do meu ", "von meinem ", "gesendet von ", "verstuurd vanaf mijn ", "inviato da ",
    "wysłane z ", "отправлено с ", "отправлено из ", "надіслано з ", "从我的", "從我的",
};

static bool starts_with(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* Folded line: does it start with a header label and a colon? Returns 1 for a "From" label,
 * 2 + index for another label, 0 for none. */
static int label_of(const char *f)
{
    while (*f == ' ' || *f == '\t')
        f++;
    for (int pass = 0; pass < 2; pass++) {
        const char *const *list = pass ? other_labels : from_labels;
        size_t n = pass ? ARRAY_LEN(other_labels) : ARRAY_LEN(from_labels);
        for (size_t i = 0; i < n; i++) {
            size_t l = strlen(list[i]);
            if (strncmp(f, list[i], l) != 0)
                continue;
            const char *r = f + l;
            while (*r == ' ' || *r == '\t')
                r++;
            if (*r == ':' || starts_with(r, "\xEF\xBC\x9A"))
                return pass ? 2 + (int)i : 1;
        }
    }
    return 0;
}

/* Folded, trimmed line: "-----Original Message-----", "Begin forwarded message:", ... */
static bool is_history_marker(const char *f)
{
    size_t n = strlen(f);
    size_t dashes = 0;
    for (size_t i = 0; i < n; i++)
        dashes += f[i] == '-' || f[i] == '_' || f[i] == '=';
    bool colon = n && f[n - 1] == ':';
    if (dashes < 2 && !colon)
        return false;
    size_t a = 0, b = n;
    while (a < b && strchr(" \t-_=*:>", f[a]))
        a++;
    while (b > a && strchr(" \t-_=*:", f[b - 1]))
        b--;
    for (size_t i = 0; i < ARRAY_LEN(history_markers); i++)
        if (b - a == strlen(history_markers[i]) && memcmp(f + a, history_markers[i], b - a) == 0)
            return true;
    return false;
}

static bool has_digit(const char *s)
{
    for (; *s; s++)
        if (is_digit((unsigned char)*s))
            return true;
    return false;
}

static bool ends_with_word(const char *s, size_t n, const char *w)
{
    size_t l = strlen(w);
    if (l > n || memcmp(s + n - l, w, l) != 0)
        return false;
    if (l == n || (unsigned char)w[0] >= 0xE0) /* CJK: no spaces */
        return true;
    char c = s[n - l - 1];
    return c == ' ' || c == '"' || c == '\'' || c == '>' || c == ')' || c == ',' || c == ']';
}

/* Folded attribution candidate: "On <date>, <name> wrote:" and its translations, Gmail's
 * "2016-10-24 15:36 GMT+02:00 Name <addr>:", "X <addr> schrieb am <date> Uhr:". */
static bool is_attribution(const char *f)
{
    size_t n = strlen(f);
    if (n < 4 || n > 400)
        return false;
    size_t a = 0;
    while (a < n && strchr(" \t-*", f[a]))
        a++;
    const char *s = f + a;
    n -= a;
    bool digit = has_digit(s), at = strchr(s, '@') != NULL, lt = strchr(s, '<') != NULL;
    bool opener = false;
    for (size_t i = 0; i < ARRAY_LEN(attribution_openers); i++)
        opener |= starts_with(s, attribution_openers[i]);
    if (is_digit((unsigned char)s[0]) && n > 10 && is_digit((unsigned char)s[1]) &&
        is_digit((unsigned char)s[2]) && is_digit((unsigned char)s[3]) && (s[4] == '-' || s[4] == '/') &&
        (strstr(s, "gmt") || at))
        return true;
    if (!digit && !at && !opener)
        return false;
    size_t e = n;
    while (e && (s[e - 1] == ' ' || s[e - 1] == '\t'))
        e--;
    bool colon = false;
    if (e && s[e - 1] == ':') {
        colon = true;
        e--;
    } else if (e >= 3 && memcmp(s + e - 3, "\xEF\xBC\x9A", 3) == 0) {
        colon = true;
        e -= 3;
    }
    while (e && (s[e - 1] == ' ' || s[e - 1] == '-' || s[e - 1] == '\t'))
        e--;
    for (size_t i = 0; i < ARRAY_LEN(wrote_words); i++)
        if (ends_with_word(s, e, wrote_words[i]))
            return true;
    if (colon && digit && (at || lt)) {
        for (size_t i = 0; i < ARRAY_LEN(wrote_inner); i++) {
            char word[48];
            snprintf(word, sizeof word, " %s ", wrote_inner[i]);
            if (strstr(s, word))
                return true;
        }
    }
    return false;
}

/* A header block "From: ... Sent: ... To: ... Subject: ..." in the first lines of w.
 * Strong: starts with a From label and has two more labels; weak: starts with any label and
 * has one more. */
static bool window_is_header_block(const text_window *w, bool strong)
{
    size_t pos = 0, len;
    const char *line;
    int first = 0;
    unsigned others = 0, lines = 0;
    int seen[12];
    unsigned nseen = 0;
    while (lines < 12 && window_line(w, &pos, &line, &len)) {
        char f[256];
        fold_into(line, len, f, sizeof f, true);
        int l = label_of(f);
        if (lines++ == 0) {
            first = l;
            if (!l || (strong && l != 1))
                return false;
            seen[nseen++] = l;
            continue;
        }
        if (!l || l == 1)
            continue;
        bool dup = false;
        for (unsigned i = 0; i < nseen; i++)
            dup |= seen[i] == l;
        if (!dup && nseen < ARRAY_LEN(seen)) {
            seen[nseen++] = l;
            others++;
        }
    }
    return first && others >= (strong ? 2u : 1u);
}

static bool window_first_line(const text_window *w, char *f, size_t cap)
{
    size_t pos = 0, len;
    const char *line;
    if (!window_line(w, &pos, &line, &len))
        return false;
    fold_into(line, len, f, cap, true);
    return true;
}

/* ------------------------------------------------------------------------ */
/* Quoted history in HTML                                                   */
/* ------------------------------------------------------------------------ */

typedef struct {
    mark_map marks;
    const GumboNode *start; /* this node and everything after it is quoted history */
} quote_plan;

static bool is_blank_node(const GumboNode *n)
{
    if (n->type == GUMBO_NODE_WHITESPACE || n->type == GUMBO_NODE_COMMENT)
        return true;
    if (n->type == GUMBO_NODE_TEXT) {
        const unsigned char *start = (const unsigned char *)n->v.text.text;
        for (const unsigned char *p = start; *p; p++) {
            if (p - start >= BLANK_SCAN_BYTES)
                return false;
            if (is_html_space(*p))
                continue;
            if (p[0] == 0xC2 && p[1] == 0xA0) {
                p++;
                continue;
            }
            return false;
        }
        return true;
    }
    return false;
}

/* Does the subtree of n, or of each node of a sibling run, hold visible content? Bounded:
 * answers true when it would have to look too far. */
static bool subtree_has_content(const GumboNode *n, unsigned *budget)
{
    const GumboNode *c = n;
    while (c) {
        if ((*budget)-- == 0)
            return true;
        bool descend = true;
        if (is_element(c)) {
            element_kind k = kind_of(c);
            if (k == EL_DROP)
                descend = false;
            else if (node_tag(c) == GUMBO_TAG_IMG)
                return true;
        } else if (is_text(c) && !is_blank_node(c)) {
            return true;
        }
        c = next_node(c, descend, n);
    }
    return false;
}

static bool siblings_have_content(const GumboNode *n, int dir)
{
    unsigned budget = SCAN_NODES;
    for (const GumboNode *s = sibling(n, dir); s; s = sibling(s, dir))
        if (subtree_has_content(s, &budget))
            return true;
    return false;
}

/* The attribution right before a quote block ("On ... wrote:" in its own element or text), or
 * NULL. *whole tells whether that node holds nothing else (then it joins the wrapper). */
static const GumboNode *attribution_before(const GumboNode *box, bool *whole)
{
    const GumboNode *s = sibling(box, -1);
    for (int skip = 0; s && skip < 4; skip++) {
        if (is_blank_node(s) || node_tag(s) == GUMBO_TAG_BR)
            s = sibling(s, -1);
        else
            break;
    }
    *whole = false;
    if (!s)
        return NULL;
    if (is_element(s) && has_class(s, "moz-cite-prefix")) {
        *whole = true;
        return s;
    }
    if (is_element(s)) {
        GumboTag t = node_tag(s);
        if (kind_of(s) == EL_DROP || t == GUMBO_TAG_BLOCKQUOTE || t == GUMBO_TAG_TABLE)
            return NULL;
    } else if (!is_text(s)) {
        return NULL;
    }
    text_window w;
    window_fill(&w, s, true, WINDOW_CHARS, WINDOW_NODES);
    size_t pos = 0, len;
    const char *line, *last = NULL;
    size_t last_len = 0;
    unsigned lines = 0;
    while (window_line(&w, &pos, &line, &len)) {
        last = line;
        last_len = len;
        lines++;
    }
    if (!last || w.len >= WINDOW_CHARS)
        return NULL;
    char f[512];
    fold_into(last, last_len, f, sizeof f, false);
    size_t fl = strlen(f);
    bool attribution = is_attribution(f) ||
                       (fl && f[fl - 1] == ':' && strchr(f, '@') && has_digit(f));
    if (!attribution)
        return NULL;
    *whole = lines == 1;
    return s;
}

/* A self-contained quote block at n: returns where its wrapper starts (n or the attribution
 * before it) and sets *end, or NULL. */
static const GumboNode *quote_box_at(const GumboNode *n, const GumboNode **end)
{
    GumboTag t = node_tag(n);
    *end = n;
    if (t == GUMBO_TAG_BLOCKQUOTE) {
        const char *type = attr(n, "type");
        bool cite = (type && strcasecmp(type, "cite") == 0) || has_class(n, "gmail_quote");
        bool whole;
        const GumboNode *a = attribution_before(n, &whole);
        if (a && whole)
            return a;
        return (cite || a) ? n : NULL;
    }
    if (has_class(n, "gmail_quote") || has_class(n, "yahoo_quoted") || id_is(n, "OLK_SRC_BODY_SECTION"))
        return n;
    if (has_class(n, "moz-cite-prefix")) {
        const GumboNode *s = sibling(n, 1);
        while (s && is_blank_node(s))
            s = sibling(s, 1);
        if (s && node_tag(s) == GUMBO_TAG_BLOCKQUOTE)
            *end = s;
        return n;
    }
    return NULL;
}

/* Does n start the quoted history (a separator: everything after it is history)? */
static bool is_history_start(const GumboNode *n)
{
    if (is_text(n)) {
        if (is_blank_node(n))
            return false;
        text_window w;
        window_fill(&w, n, true, QUICK_CHARS, QUICK_NODES);
        char f[128];
        if (!window_first_line(&w, f, sizeof f))
            return false;
        if (is_history_marker(f))
            return true;
        if (label_of(f) != 1)
            return false;
        window_fill(&w, n, false, WINDOW_CHARS, WINDOW_NODES);
        return window_is_header_block(&w, true);
    }
    GumboTag t = node_tag(n);
    if ((t == GUMBO_TAG_DIV || t == GUMBO_TAG_SPAN || t == GUMBO_TAG_P) &&
        (id_is(n, "appendonsend") || id_is(n, "divRplyFwdMsg")))
        return true;
    text_window w;
    if (t == GUMBO_TAG_HR) {
        window_fill(&w, n, false, WINDOW_CHARS, WINDOW_NODES);
        return window_is_header_block(&w, false);
    }
    if (t != GUMBO_TAG_DIV && t != GUMBO_TAG_P)
        return false;
    window_fill(&w, n, true, QUICK_CHARS, QUICK_NODES);
    char f[128];
    if (!window_first_line(&w, f, sizeof f))
        return false;
    if (is_history_marker(f))
        return true;
    int l = label_of(f);
    if (!l)
        return false;
    const char *style = attr(n, "style");
    bool border = style && strcasestr(style, "border-top");
    if (!border && l != 1)
        return false;
    window_fill(&w, n, true, WINDOW_CHARS, WINDOW_NODES);
    return window_is_header_block(&w, !border);
}

/* Finds the quote blocks and the history start under body and marks them. -1: no memory. */
static int plan_quotes(quote_plan *q, const GumboNode *body)
{
    GumboVector *kids = node_children(body);
    const GumboNode *n = kids && kids->length ? kids->data[0] : NULL;
    while (n) {
        bool descend = true;
        if (is_element(n)) {
            if (kind_of(n) == EL_DROP) {
                descend = false;
            } else {
                const GumboNode *end;
                const GumboNode *start = quote_box_at(n, &end);
                if (start) {
                    node_mark *m = marks_get(&q->marks, start);
                    if (!m)
                        return -1;
                    m->flags |= MARK_BOX;
                    m->box_end = end;
                    n = next_node(end, false, body);
                    continue;
                }
                if (is_history_start(n)) {
                    q->start = n;
                    break;
                }
            }
        } else if (is_text(n) && is_history_start(n)) {
            q->start = n;
            break;
        }
        n = next_node(n, descend, body);
    }
    if (!q->start)
        return 0;
    const GumboNode *s = q->start;
    if (id_is(s, "divRplyFwdMsg")) { /* Outlook puts an <hr> right before it */
        const GumboNode *p = sibling(s, -1);
        while (p && is_blank_node(p))
            p = sibling(p, -1);
        if (p && node_tag(p) == GUMBO_TAG_HR)
            s = p;
    }
    /* Climb while the start is the first content of its parent. */
    for (;;) {
        const GumboNode *p = s->parent;
        if (!is_element(p) || node_tag(p) == GUMBO_TAG_BODY || node_tag(p) == GUMBO_TAG_HTML)
            break;
        if (!p->parent || (is_element(p->parent) && is_table_structure(node_tag(p->parent))))
            break;
        if (siblings_have_content(s, -1))
            break;
        s = p;
    }
    q->start = s;
    for (const GumboNode *a = s->parent; is_element(a) && node_tag(a) != GUMBO_TAG_BODY; a = a->parent) {
        if (!is_element(a->parent))
            break;
        if (is_table_structure(node_tag(a->parent)))
            continue;
        node_mark *m = marks_get(&q->marks, a);
        if (!m)
            return -1;
        m->flags |= MARK_CONT;
    }
    return 0;
}

/* ------------------------------------------------------------------------ */
/* Sanitiser                                                                */
/* ------------------------------------------------------------------------ */

typedef struct {
    const GumboNode *node;
    size_t next;            /* next child to visit */
    const char *close_tag;  /* end tag to write, NULL when the tag was not kept */
    const GumboNode *box_end; /* a quote wrapper is open until this child is done */
    bool rest_quoted;       /* a quote wrapper is open until this element ends */
} san_frame;

typedef struct {
    emitter em;
    sb_buf tag, url, style;
    const sb_html_opts *opts;
    quote_plan plan;
    unsigned quote_open;
    unsigned remote_images;
    bool has_quote;
    san_frame *stack;
    size_t sp, cap;
} sanitizer;

static const char WRAP_OPEN[] = "<div class=\"sb-quoted\">";
static const char WRAP_CLOSE[] = "</div>";

static bool san_push(sanitizer *z, const GumboNode *n, const char *close_tag)
{
    if (z->sp == z->cap) {
        size_t cap = z->cap ? z->cap * 2 : 64;
        san_frame *s = realloc(z->stack, cap * sizeof *s);
        if (!s) {
            z->em.oom = z->em.full = true;
            return false;
        }
        z->stack = s;
        z->cap = cap;
    }
    z->stack[z->sp++] = (san_frame){.node = n, .close_tag = close_tag};
    return true;
}

static bool wrap_open(sanitizer *z)
{
    if (!em_open(&z->em, WRAP_OPEN, sizeof WRAP_OPEN - 1, sizeof WRAP_CLOSE - 1))
        return false;
    z->quote_open++;
    z->has_quote = true;
    return true;
}

static void wrap_close(sanitizer *z)
{
    em_close(&z->em, WRAP_CLOSE);
    z->quote_open--;
}

static void before_child(sanitizer *z, san_frame *f, const GumboNode *child)
{
    if (z->quote_open || f->rest_quoted || f->box_end)
        return;
    if (child == z->plan.start) {
        f->rest_quoted = wrap_open(z);
        return;
    }
    const node_mark *m = marks_find(&z->plan.marks, child);
    if (m && (m->flags & MARK_BOX) && wrap_open(z))
        f->box_end = m->box_end;
}

static void after_child(sanitizer *z, san_frame *f, const GumboNode *child)
{
    if (f->box_end == child) {
        wrap_close(z);
        f->box_end = NULL;
    }
    if (z->quote_open || f->rest_quoted)
        return;
    const node_mark *m = marks_find(&z->plan.marks, child);
    if (m && (m->flags & MARK_CONT) && siblings_have_content(child, 1))
        f->rest_quoted = wrap_open(z);
}

static void finish_frame(sanitizer *z, san_frame *f)
{
    if (f->box_end) {
        wrap_close(z);
        f->box_end = NULL;
    }
    if (f->rest_quoted) {
        wrap_close(z);
        f->rest_quoted = false;
    }
    if (f->close_tag) {
        char end[24];
        snprintf(end, sizeof end, "</%s>", f->close_tag);
        em_close(&z->em, end);
    }
}

static void put_attr(sb_buf *t, const char *name, const char *value, size_t len)
{
    sb_buf_printf(t, " %s=\"", name);
    put_escaped(t, value, len);
    sb_buf_puts(t, "\"");
}

/* Writes the kept attributes of n into z->tag. False when the element must be left out (an
 * <img> without a usable source) or unwrapped (an <a> without a safe link). */
static bool put_attributes(sanitizer *z, const GumboNode *n, GumboTag tag)
{
    sb_buf *t = &z->tag;
    const GumboVector *attrs = &n->v.element.attributes;
    if (tag == GUMBO_TAG_A) {
        const char *href = attr(n, "href");
        url_kind k = href ? url_classify(href, &z->url) : URL_BAD;
        if (k != URL_HTTP && k != URL_MAILTO)
            return false;
        put_attr(t, "href", z->url.data, z->url.len);
    } else if (tag == GUMBO_TAG_IMG) {
        const char *src = attr(n, "src");
        url_kind k = src ? url_classify(src, &z->url) : URL_BAD;
        if (k == URL_HTTP) {
            put_attr(t, "data-sb-remote-src", z->url.data, z->url.len);
            z->remote_images++;
        } else if (k == URL_DATA_IMAGE) {
            put_attr(t, "src", z->url.data, z->url.len);
        } else if (k == URL_CID && z->opts->resolve_cid) {
            char *cid = strdup(z->url.data + 4);
            if (!cid) {
                z->em.oom = z->em.full = true;
                return false;
            }
            size_t o = 0;
            for (size_t i = 0; cid[i]; i++) { /* RFC 2392: a cid URL is %-encoded */
                int h1, h2;
                if (cid[i] == '%' && (h1 = hex_value((unsigned char)cid[i + 1])) >= 0 &&
                    (h2 = hex_value((unsigned char)cid[i + 2])) >= 0) {
                    cid[o++] = (char)(h1 * 16 + h2);
                    i += 2;
                } else {
                    cid[o++] = cid[i];
                }
            }
            cid[o] = '\0';
            char *id = cid;
            if (*id == '<' && o > 1 && id[o - 1] == '>') {
                id[o - 1] = '\0';
                id++;
            }
            const char *resolved = *id ? z->opts->resolve_cid(z->opts->cid_ctx, id) : NULL;
            free(cid);
            if (!resolved)
                return false;
            put_attr(t, "src", resolved, strlen(resolved));
        } else {
            return false;
        }
    }
    for (unsigned i = 0; i < attrs->length; i++) {
        const GumboAttribute *a = attrs->data[i];
        if (a->attr_namespace != GUMBO_ATTR_NAMESPACE_NONE)
            continue;
        for (size_t r = 0; r < ARRAY_LEN(attr_rules); r++) {
            if ((attr_rules[r].tag != GUMBO_TAG_LAST && attr_rules[r].tag != tag) ||
                strcmp(attr_rules[r].name, a->name) != 0)
                continue;
            if (attr_rules[r].check == V_STYLE) {
                sb_buf_reset(&z->style);
                css_filter(a->value, &z->style);
                if (z->style.len)
                    put_attr(t, "style", z->style.data, z->style.len);
            } else if (value_ok(attr_rules[r].check, a->value)) {
                put_attr(t, a->name, a->value, strlen(a->value));
            }
            break;
        }
    }
    if (tag == GUMBO_TAG_A)
        sb_buf_puts(t, " rel=\"noopener noreferrer\" target=\"_blank\"");
    return true;
}

enum { TAG_WRITTEN, TAG_UNWRAP, TAG_SKIP, TAG_STOP };

/* Writes the start tag of an allowed element. TAG_UNWRAP: keep the content, not the tag (an
 * <a> without a safe link); TAG_SKIP: leave the element out (an <img> without a usable
 * source); TAG_STOP: the output is full. */
static int write_start_tag(sanitizer *z, const GumboNode *n, GumboTag tag)
{
    const char *tn = gumbo_normalized_tagname(tag);
    sb_buf_reset(&z->tag);
    sb_buf_printf(&z->tag, "<%s", tn);
    if (!put_attributes(z, n, tag)) {
        if (z->em.oom)
            return TAG_STOP;
        return tag == GUMBO_TAG_IMG ? TAG_SKIP : TAG_UNWRAP;
    }
    sb_buf_puts(&z->tag, ">");
    const GumboVector *kids = node_children(n);
    if (tag == GUMBO_TAG_PRE && kids->length && is_text(kids->data[0]) &&
        ((const GumboNode *)kids->data[0])->v.text.text[0] == '\n')
        sb_buf_puts(&z->tag, "\n"); /* a browser drops one newline right after <pre> */
    if (z->tag.failed) {
        z->em.oom = z->em.full = true;
        return TAG_STOP;
    }
    size_t closer = is_void_element(tag) ? 0 : strlen(tn) + 3;
    return em_open(&z->em, z->tag.data, z->tag.len, closer) ? TAG_WRITTEN : TAG_STOP;
}

/* Visits one child of the frame on top of the stack. */
static void san_child(sanitizer *z, const GumboNode *child)
{
    before_child(z, &z->stack[z->sp - 1], child);
    if (z->em.full)
        return;
    if (!is_element(child)) { /* text; comments are dropped */
        if (is_text(child))
            em_text(&z->em, child->v.text.text, strlen(child->v.text.text));
        after_child(z, &z->stack[z->sp - 1], child);
        return;
    }
    element_kind kind = kind_of(child);
    GumboTag tag = node_tag(child);
    const char *name = NULL;
    if (kind == EL_DROP) {
        after_child(z, &z->stack[z->sp - 1], child);
        return;
    }
    if (kind == EL_ALLOW && z->sp <= HTML_MAX_DEPTH) {
        int r = write_start_tag(z, child, tag);
        if (r == TAG_STOP)
            return;
        if (r == TAG_SKIP) {
            after_child(z, &z->stack[z->sp - 1], child);
            return;
        }
        if (r == TAG_WRITTEN)
            name = gumbo_normalized_tagname(tag);
    }
    if (is_void_element(tag) || node_children(child)->length == 0) {
        if (name && !is_void_element(tag)) {
            char end[24];
            snprintf(end, sizeof end, "</%s>", name);
            em_close(&z->em, end);
        }
        after_child(z, &z->stack[z->sp - 1], child);
        return;
    }
    san_push(z, child, name);
}

static void sanitize_tree(sanitizer *z, const GumboNode *root)
{
    if (!san_push(z, root, NULL))
        return;
    while (z->sp && !z->em.full) {
        san_frame *f = &z->stack[z->sp - 1];
        GumboVector *kids = node_children(f->node);
        if (f->next < kids->length) {
            const GumboNode *child = kids->data[f->next++];
            san_child(z, child);
            continue;
        }
        const GumboNode *done = f->node;
        finish_frame(z, f);
        z->sp--;
        if (z->sp)
            after_child(z, &z->stack[z->sp - 1], done);
    }
    while (z->sp) { /* cut: close whatever is open */
        finish_frame(z, &z->stack[z->sp - 1]);
        z->sp--;
    }
}

/* ------------------------------------------------------------------------ */
/* Plain text                                                               */
/* ------------------------------------------------------------------------ */

typedef struct {
    sb_buf out;
    unsigned newlines; /* line breaks owed before the next visible character */
    bool space;        /* a space owed before the next visible character */
} text_sink;

static void sink_flush(text_sink *t)
{
    if (t->out.len) {
        if (t->newlines) {
            static const char nl[] = "\n\n\n";
            sb_buf_append(&t->out, nl, t->newlines > 3 ? 3 : t->newlines);
        } else if (t->space) {
            sb_buf_append(&t->out, " ", 1);
        }
    }
    t->newlines = 0;
    t->space = false;
}

static void sink_break(text_sink *t, unsigned at_least)
{
    if (t->newlines < at_least)
        t->newlines = at_least;
}

static void sink_br(text_sink *t)
{
    if (t->newlines < 3)
        t->newlines++;
}

/* Appends text, collapsing white space (or keeping it, inside <pre>). */
static void sink_text(text_sink *t, const char *s, size_t n, bool pre)
{
    static const char fffd[] = "\xEF\xBF\xBD";
    size_t i = 0;
    while (i < n) {
        unsigned char c = (unsigned char)s[i];
        uint32_t cp;
        size_t k = utf8_decode((const unsigned char *)s + i, n - i, &cp);
        if (k == 0) {
            sink_flush(t);
            sb_buf_append(&t->out, fffd, 3);
            i++;
            continue;
        }
        bool ws = is_html_space(c) || cp == 0xA0 || cp == 0x3000 || (cp >= 0x2000 && cp <= 0x200A);
        if (pre && (c == '\n' || c == '\r')) {
            if (c == '\n')
                sink_br(t);
            t->space = false;
        } else if (ws && !pre) {
            t->space = true;
        } else if ((c < 0x20 && c != '\t') || c == 0x7F) {
            /* control characters: dropped */
        } else {
            sink_flush(t);
            sb_buf_append(&t->out, s + i, k);
        }
        i += k;
    }
}

typedef struct {
    const GumboNode *node;
    size_t next;
    size_t link_start; /* out.len when an <a> opened */
    const char *href;  /* safe href of an <a>, or NULL */
} text_frame;

static void text_leave(text_sink *t, const text_frame *f, unsigned *pre)
{
    GumboTag tag = node_tag(f->node);
    if (tag == GUMBO_TAG_PRE && *pre)
        (*pre)--;
    if (tag == GUMBO_TAG_TD || tag == GUMBO_TAG_TH)
        t->space = true;
    else if (is_block_element(tag))
        sink_break(t, 1);
    if (tag == GUMBO_TAG_A && f->href) {
        const char *text = t->out.data ? t->out.data + f->link_start : "";
        size_t len = t->out.len - f->link_start;
        while (len && (*text == ' ' || *text == '\n')) {
            text++;
            len--;
        }
        const char *h = f->href;
        size_t hl = strlen(h);
        bool same = len == hl && memcmp(text, h, hl) == 0;
        if (!same && strncasecmp(h, "mailto:", 7) == 0)
            same = len == hl - 7 && memcmp(text, h + 7, hl - 7) == 0;
        if (!same && len && hl - (h[hl - 1] == '/') == len)
            same = memcmp(text, h, len) == 0; /* "http://x.org" for "http://x.org/" */
        if (!same && len) {
            t->space = false;
            sink_flush(t);
            sb_buf_puts(&t->out, " <");
            sb_buf_append(&t->out, h, hl);
            sb_buf_puts(&t->out, ">");
        }
    }
}

/* Plain text of the tree under root. Returns false when out of memory. */
static bool text_tree(text_sink *t, const GumboNode *root, sb_buf *url)
{
    size_t cap = 64, sp = 0;
    text_frame *stack = malloc(cap * sizeof *stack);
    char **hrefs = NULL; /* copies of link targets, freed at the end */
    size_t nhrefs = 0, caphrefs = 0;
    if (!stack)
        return false;
    unsigned pre = 0;
    bool ok = true;
    stack[sp++] = (text_frame){.node = root};
    while (sp && ok) {
        text_frame *f = &stack[sp - 1];
        GumboVector *kids = node_children(f->node);
        if (f->next >= kids->length) {
            text_leave(t, f, &pre);
            sp--;
            continue;
        }
        const GumboNode *c = kids->data[f->next++];
        if (is_text(c)) {
            sink_text(t, c->v.text.text, strlen(c->v.text.text), pre > 0);
            continue;
        }
        if (!is_element(c) || kind_of(c) == EL_DROP)
            continue;
        GumboTag tag = node_tag(c);
        if (tag == GUMBO_TAG_BR) {
            sink_br(t);
            continue;
        }
        if (is_block_element(tag))
            sink_break(t, 1);
        if (tag == GUMBO_TAG_LI) {
            sink_flush(t);
            sb_buf_puts(&t->out, "- ");
        }
        if (tag == GUMBO_TAG_PRE)
            pre++;
        if (sp == cap) {
            text_frame *s = realloc(stack, cap * 2 * sizeof *s);
            if (!s) {
                ok = false;
                break;
            }
            stack = s;
            cap *= 2;
        }
        text_frame nf = {.node = c};
        if (tag == GUMBO_TAG_A) {
            const char *href = attr(c, "href");
            url_kind k = href ? url_classify(href, url) : URL_BAD;
            if (k == URL_HTTP || k == URL_MAILTO) {
                if (nhrefs == caphrefs) {
                    size_t nc = caphrefs ? caphrefs * 2 : 16;
                    char **h = realloc(hrefs, nc * sizeof *h);
                    if (!h) {
                        ok = false;
                        break;
                    }
                    hrefs = h;
                    caphrefs = nc;
                }
                char *copy = strdup(url->data);
                if (!copy) {
                    ok = false;
                    break;
                }
                hrefs[nhrefs++] = copy;
                nf.href = copy;
            }
            nf.link_start = t->out.len;
        }
        stack[sp++] = nf;
    }
    for (size_t i = 0; i < nhrefs; i++)
        free(hrefs[i]);
    free(hrefs);
    free(stack);
    return ok && !t->out.failed;
}

/* ------------------------------------------------------------------------ */
/* Fallback: text without a tree, for documents over the parse budget       */
/* ------------------------------------------------------------------------ */

static size_t decode_entity(const char *s, size_t n, char *out, size_t *outlen)
{
    static const struct {
        const char *name;
        const char *text;
    } named[] = {{"amp;", "&"},   {"lt;", "<"},    {"gt;", ">"},
                 {"quot;", "\""}, {"apos;", "'"},  {"nbsp;", "\xC2\xA0"}};
    if (n < 3 || s[0] != '&')
        return 0;
    if (s[1] == '#') {
        size_t i = 2;
        uint32_t v = 0;
        bool hex = i < n && (s[i] == 'x' || s[i] == 'X');
        i += hex;
        size_t digits = 0;
        while (i < n && digits < 8 && (hex ? hex_value((unsigned char)s[i]) >= 0 : is_digit((unsigned char)s[i]))) {
            v = v * (hex ? 16 : 10) + (uint32_t)(hex ? hex_value((unsigned char)s[i]) : s[i] - '0');
            i++;
            digits++;
        }
        if (!digits)
            return 0;
        if (i < n && s[i] == ';')
            i++;
        if (v == 0 || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
            v = 0xFFFD;
        *outlen = sb_utf8_put(v, out);
        return i;
    }
    for (size_t i = 0; i < ARRAY_LEN(named); i++) {
        size_t l = strlen(named[i].name);
        if (n - 1 >= l && strncmp(s + 1, named[i].name, l) == 0) {
            *outlen = strlen(named[i].text);
            memcpy(out, named[i].text, *outlen);
            return 1 + l;
        }
    }
    return 0;
}

/* Text of raw HTML without a parser: tags removed (line breaks for block tags), comments and
 * script/style content skipped, a few entities decoded. */
static void fallback_text(text_sink *t, const char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        size_t j = i;
        while (j < n && s[j] != '<' && s[j] != '&')
            j++;
        sink_text(t, s + i, j - i, false);
        if (j >= n)
            break;
        if (s[j] == '&') {
            char buf[8];
            size_t len = 0, used = decode_entity(s + j, n - j, buf, &len);
            if (used) {
                sink_text(t, buf, len, false);
                i = j + used;
            } else {
                sink_text(t, "&", 1, false);
                i = j + 1;
            }
            continue;
        }
        size_t rest = n - j;
        if (rest >= 4 && memcmp(s + j, "<!--", 4) == 0) {
            const char *e = memmem(s + j + 4, rest - 4, "-->", 3);
            i = e ? (size_t)(e - s) + 3 : n;
            continue;
        }
        size_t end = rest > 1 && s[j + 1] == '/';
        if (rest > 1 + end && is_alpha((unsigned char)s[j + 1 + end])) {
            tag_scan ts;
            scan_tag(s, n, j + 1 + end, &ts);
            GumboTag tag = ts.tag;
            if (tag == GUMBO_TAG_BR)
                sink_br(t);
            else if (is_block_element(tag))
                sink_break(t, 1);
            else if (tag == GUMBO_TAG_TD || tag == GUMBO_TAG_TH)
                t->space = true;
            i = ts.end;
            if (!end && (is_rawtext_tag(tag) || tag == GUMBO_TAG_HEAD)) {
                char close[GUARD_NAME_MAX + 3];
                snprintf(close, sizeof close, "</%s", ts.name);
                size_t cl = strlen(close);
                size_t k = i;
                while (k + cl <= n && strncasecmp(s + k, close, cl) != 0)
                    k++;
                i = k + cl <= n ? k : n;
            }
            continue;
        }
        if (rest > 1 && (s[j + 1] == '!' || s[j + 1] == '?' || s[j + 1] == '/')) {
            const char *e = memchr(s + j, '>', rest);
            i = e ? (size_t)(e - s) + 1 : n;
            continue;
        }
        sink_text(t, "<", 1, false);
        i = j + 1;
    }
}

static int sanitize_fallback(emitter *em, const char *html, size_t len)
{
    text_sink t = {0};
    sb_buf_init(&t.out, 0);
    fallback_text(&t, html, len > HTML_MAX_INPUT ? HTML_MAX_INPUT : len);
    if (t.out.failed) {
        sb_buf_release(&t.out);
        return -1;
    }
    if (em_open(em, "<div>", 5, 6)) {
        const char *p = t.out.data ? t.out.data : "";
        const char *end = p + t.out.len;
        while (p < end && !em->full) {
            const char *nl = memchr(p, '\n', (size_t)(end - p));
            const char *stop = nl ? nl : end;
            em_text(em, p, (size_t)(stop - p));
            if (nl && !em->full && em_open(em, "<br>", 4, 0))
                p = nl + 1;
            else
                p = stop;
        }
        em_close(em, "</div>");
    }
    sb_buf_release(&t.out);
    return em->oom ? -1 : 0;
}

/* ------------------------------------------------------------------------ */
/* Public: sanitise                                                         */
/* ------------------------------------------------------------------------ */

static const GumboNode *find_body(const GumboOutput *out)
{
    const GumboNode *root = out->root;
    GumboVector *kids = node_children(root);
    for (size_t i = 0; kids && i < kids->length; i++)
        if (node_tag(kids->data[i]) == GUMBO_TAG_BODY)
            return kids->data[i];
    return root;
}

int sb_html_sanitize(const char *html, size_t len, const sb_html_opts *opts, sb_html_result *out)
{
    static const sb_html_opts no_opts = {0};
    memset(out, 0, sizeof *out);
    if (!opts)
        opts = &no_opts;
    if (!html)
        len = 0;
    sanitizer *z = calloc(1, sizeof *z);
    parsed_doc *d = calloc(1, sizeof *d);
    int rc = -1;
    if (!z || !d)
        goto out;
    z->opts = opts;
    z->em.max = opts->max_output ? opts->max_output : HTML_DEFAULT_OUTPUT;
    sb_buf_init(&z->em.buf, z->em.max);
    sb_buf_init(&z->tag, 0);
    sb_buf_init(&z->url, 0);
    sb_buf_init(&z->style, 0);
    sb_buf_append(&z->em.buf, "", 0); /* an empty result is "", never NULL */
    int parsed = parse_document(d, html ? html : "", len);
    if (parsed == PARSE_NOMEM)
        goto out;
    if (parsed == PARSE_TOO_BIG) {
        if (sanitize_fallback(&z->em, html ? html : "", len) < 0)
            goto out;
    } else {
        const GumboNode *body = find_body(d->output);
        if (plan_quotes(&z->plan, body) < 0)
            goto out;
        sanitize_tree(z, body);
        if (z->em.oom)
            goto out;
    }
    out->html = sb_buf_detach(&z->em.buf, NULL);
    if (!out->html)
        goto out;
    out->remote_images = z->remote_images;
    out->has_quote = z->has_quote;
    rc = 0;
out:
    if (d)
        parsed_doc_release(d);
    if (z) {
        sb_buf_release(&z->em.buf);
        sb_buf_release(&z->tag);
        sb_buf_release(&z->url);
        sb_buf_release(&z->style);
        free(z->plan.marks.slots);
        free(z->stack);
    }
    free(d);
    free(z);
    if (rc < 0)
        memset(out, 0, sizeof *out);
    return rc;
}

void sb_html_result_release(sb_html_result *r)
{
    if (!r)
        return;
    free(r->html);
    memset(r, 0, sizeof *r);
}

/* ------------------------------------------------------------------------ */
/* Public: plain text                                                       */
/* ------------------------------------------------------------------------ */

char *sb_html_to_text(const char *html, size_t len)
{
    if (!html)
        len = 0;
    parsed_doc *d = calloc(1, sizeof *d);
    if (!d)
        return NULL;
    text_sink t = {0};
    sb_buf url;
    sb_buf_init(&t.out, 0);
    sb_buf_init(&url, 0);
    char *result = NULL;
    int parsed = parse_document(d, html ? html : "", len);
    bool ok = false;
    if (parsed == PARSE_OK) {
        ok = text_tree(&t, find_body(d->output), &url);
    } else if (parsed == PARSE_TOO_BIG) {
        fallback_text(&t, html, len > HTML_MAX_INPUT ? HTML_MAX_INPUT : len);
        ok = !t.out.failed;
    }
    if (ok) {
        sb_buf_append(&t.out, "", 0);
        result = t.out.failed ? NULL : sb_buf_detach(&t.out, NULL);
    }
    sb_buf_release(&t.out);
    sb_buf_release(&url);
    parsed_doc_release(d);
    free(d);
    return result;
}

/* ------------------------------------------------------------------------ */
/* Public: where quoted history starts in plain text                         */
/* ------------------------------------------------------------------------ */

typedef struct {
    size_t start, end; /* [start, end) without the line break */
} text_line;

typedef struct {
    const char *text;
    text_line *lines;
    size_t n;
    size_t first_own; /* first line with the sender's own words, n when none */
} line_doc;

#define NO_LINE ((size_t)-1)
#define HEADER_JOIN_LINES 5 /* an attribution may wrap over this many more lines */
#define HEADER_BLOCK_LINES 10
#define SIGNATURE_LINES 8

static bool line_blank(const line_doc *d, size_t i)
{
    const unsigned char *p = (const unsigned char *)d->text + d->lines[i].start;
    const unsigned char *e = (const unsigned char *)d->text + d->lines[i].end;
    for (; p < e; p++) {
        if (is_html_space(*p) || *p == '\v')
            continue;
        if (p + 1 < e && p[0] == 0xC2 && p[1] == 0xA0) {
            p++;
            continue;
        }
        return false;
    }
    return true;
}

static bool line_quoted(const line_doc *d, size_t i)
{
    const char *p = d->text + d->lines[i].start, *e = d->text + d->lines[i].end;
    while (p < e && (*p == ' ' || *p == '\t'))
        p++;
    return p < e && *p == '>';
}

/* Folded line (trimmed), '*' dropped when stars; false for lines too long to matter. */
static bool line_fold(const line_doc *d, size_t i, char *f, size_t cap, bool stars)
{
    const char *p = d->text + d->lines[i].start, *e = d->text + d->lines[i].end;
    while (p < e && is_html_space((unsigned char)*p))
        p++;
    while (e > p && is_html_space((unsigned char)e[-1]))
        e--;
    if ((size_t)(e - p) >= cap / 2)
        return false;
    fold_into(p, (size_t)(e - p), f, cap, stars);
    return true;
}

static bool line_is_marker(const line_doc *d, size_t i)
{
    char f[256];
    return !line_quoted(d, i) && line_fold(d, i, f, sizeof f, true) && is_history_marker(f);
}

static bool line_is_signature_delimiter(const line_doc *d, size_t i)
{
    const char *p = d->text + d->lines[i].start;
    size_t n = d->lines[i].end - d->lines[i].start;
    while (n && (p[n - 1] == ' ' || p[n - 1] == '\t'))
        n--;
    return n == 2 && p[0] == '-' && p[1] == '-';
}

static bool line_is_device_signature(const line_doc *d, size_t i)
{
    char f[256];
    if (!line_fold(d, i, f, sizeof f, false) || strlen(f) > 100)
        return false;
    for (size_t k = 0; k < ARRAY_LEN(device_signatures); k++)
        if (starts_with(f, device_signatures[k]))
            return true;
    return false;
}

/* A line of rule characters ("_____", "-----", "=====") at least min long. */
static bool line_is_rule(const line_doc *d, size_t i, size_t min, const char *chars)
{
    size_t count = 0;
    for (size_t k = d->lines[i].start; k < d->lines[i].end; k++) {
        char c = d->text[k];
        if (strchr(chars, c))
            count++;
        else if (c != ' ' && c != '\t' && c != '\r')
            return false;
    }
    return count >= min;
}

static int line_label(const line_doc *d, size_t i)
{
    char f[256];
    if (line_quoted(d, i) || !line_fold(d, i, f, sizeof f, true))
        return 0;
    return label_of(f);
}

/* Does a folded line begin like an attribution ("On ...", "Le ...", a date)? */
static bool starts_attribution(const char *f)
{
    if (is_digit((unsigned char)f[0]))
        return true;
    for (size_t k = 0; k < ARRAY_LEN(attribution_openers); k++)
        if (starts_with(f, attribution_openers[k]))
            return true;
    return false;
}

/* Outlook's header block at line i: a From label, then at least two other labels. */
static bool outlook_header_at(const line_doc *d, size_t i)
{
    if (line_label(d, i) != 1)
        return false;
    int seen[HEADER_BLOCK_LINES];
    unsigned nseen = 0;
    for (size_t k = i + 1; k < d->n && k <= i + HEADER_BLOCK_LINES; k++) {
        int l = line_label(d, k);
        if (l < 2)
            continue;
        bool dup = false;
        for (unsigned s = 0; s < nseen; s++)
            dup |= seen[s] == l;
        if (!dup)
            seen[nseen++] = l;
        if (nseen >= 2)
            return true;
    }
    return false;
}

/* An attribution starting at line i ("On ... wrote:", possibly wrapped over a few lines);
 * sets *last to its last line. */
static bool attribution_at(const line_doc *d, size_t i, size_t *last)
{
    if (line_quoted(d, i) || line_blank(d, i))
        return false;
    char acc[1024];
    size_t len = 0;
    char f[512];
    if (!line_fold(d, i, f, sizeof f, false))
        return false;
    len = strlen(f);
    memcpy(acc, f, len + 1);
    if (is_attribution(acc)) {
        *last = i;
        return true;
    }
    bool opener = starts_attribution(acc) || strchr(acc, '@') || strchr(acc, '<');
    if (!opener || !(has_digit(acc) || strchr(acc, '@') || strchr(acc, '<')))
        return false;
    for (size_t j = i + 1; j < d->n && j <= i + HEADER_JOIN_LINES; j++) {
        if (line_blank(d, j))
            continue;
        if (!line_fold(d, j, f, sizeof f, false))
            return false;
        size_t fl = strlen(f);
        if (len + 1 + fl >= 400)
            return false;
        acc[len++] = ' ';
        memcpy(acc + len, f, fl + 1);
        len += fl;
        if (is_attribution(acc)) {
            /* A later line that is an attribution on its own starts the header instead. */
            for (size_t k = i + 1; k <= j; k++)
                if (!line_blank(d, k) && !line_quoted(d, k) && line_fold(d, k, f, sizeof f, false) &&
                    starts_attribution(f) && is_attribution(f))
                    return false;
            *last = j;
            return true;
        }
    }
    return false;
}

static bool any_header_at(const line_doc *d, size_t i)
{
    size_t last;
    return line_is_marker(d, i) || outlook_header_at(d, i) || attribution_at(d, i, &last);
}

/* After an attribution ending at `last`: a quote followed by more of the sender's own text
 * means an inline (interleaved) reply, not history at the bottom. */
static bool interleaved_after(const line_doc *d, size_t last)
{
    size_t k = last + 1;
    while (k < d->n && line_blank(d, k))
        k++;
    if (k >= d->n || !line_quoted(d, k))
        return false;
    while (k < d->n && (line_quoted(d, k) || line_blank(d, k)))
        k++;
    if (k >= d->n || line_is_signature_delimiter(d, k))
        return false;
    return !any_header_at(d, k);
}

/* Quoted history starting at line i, as the line where it begins, or NO_LINE. */
static size_t history_at(const line_doc *d, size_t i)
{
    if (line_blank(d, i) || line_quoted(d, i))
        return NO_LINE;
    if (line_is_marker(d, i))
        return i;
    if (line_is_rule(d, i, 10, "_")) {
        size_t k = i + 1;
        while (k < d->n && k <= i + 3 && line_blank(d, k))
            k++;
        if (k < d->n && line_label(d, k) == 1)
            return i;
    }
    if (outlook_header_at(d, i)) {
        size_t s = i, k = i;
        while (k > 0 && k + 3 > i && line_blank(d, k - 1))
            k--;
        if (k > 0 && line_is_rule(d, k - 1, 5, "-_=*~"))
            s = k - 1;
        return s;
    }
    size_t last;
    if (attribution_at(d, i, &last) && !interleaved_after(d, last))
        return i;
    return NO_LINE;
}

/* First line of a trailing run of "> " lines (a signature after it allowed), or NO_LINE. */
static size_t trailing_quote(const line_doc *d)
{
    size_t k = d->n;
    while (k > 0 && line_blank(d, k - 1))
        k--;
    for (size_t j = k, seen = 0; j > 0 && seen < SIGNATURE_LINES + 1; j--) {
        if (line_quoted(d, j - 1))
            break;
        if (line_is_signature_delimiter(d, j - 1)) {
            k = j - 1;
            while (k > 0 && line_blank(d, k - 1))
                k--;
            break;
        }
        seen += !line_blank(d, j - 1);
    }
    if (k == 0 || !line_quoted(d, k - 1))
        return NO_LINE;
    size_t f = k - 1;
    while (f > 0 && (line_quoted(d, f - 1) || line_blank(d, f - 1)))
        f--;
    while (line_blank(d, f))
        f++;
    return f;
}

/* Lines before `line` that are the sender's own words. */
static bool content_before(const line_doc *d, size_t line)
{
    return d->first_own < line;
}

static size_t first_own_line(const line_doc *d)
{
    for (size_t k = 0; k < d->n; k++)
        if (!line_blank(d, k) && !line_quoted(d, k) && !line_is_marker(d, k))
            return k;
    return d->n;
}

/* Moves the start up over the reply's own sign-off right above the history: a "-- " signature
 * block or a "Sent from my phone" line. */
static size_t include_sign_off(const line_doc *d, size_t s)
{
    for (;;) {
        size_t k = s;
        while (k > 0 && line_blank(d, k - 1))
            k--;
        if (k == 0)
            return s;
        if (line_is_device_signature(d, k - 1) && content_before(d, k - 1)) {
            s = k - 1;
            continue;
        }
        size_t seen = 0, j = k;
        while (j > 0 && seen <= SIGNATURE_LINES) {
            if (line_is_signature_delimiter(d, j - 1))
                break;
            if (line_quoted(d, j - 1))
                return s;
            seen += !line_blank(d, j - 1);
            j--;
        }
        if (j > 0 && seen <= SIGNATURE_LINES && line_is_signature_delimiter(d, j - 1) &&
            content_before(d, j - 1)) {
            s = j - 1;
            continue;
        }
        return s;
    }
}

size_t sb_text_quote_start(const char *text)
{
    if (!text)
        return 0;
    size_t len = strlen(text);
    size_t cap = 64;
    line_doc d = {.text = text, .lines = malloc(cap * sizeof(text_line))};
    if (!d.lines)
        return len;
    for (size_t p = 0; p < len || (p == len && d.n == 0);) {
        const char *nl = memchr(text + p, '\n', len - p);
        size_t e = nl ? (size_t)(nl - text) : len;
        if (d.n == cap) {
            text_line *l = realloc(d.lines, cap * 2 * sizeof *l);
            if (!l) {
                free(d.lines);
                return len;
            }
            d.lines = l;
            cap *= 2;
        }
        size_t ce = e;
        if (ce > p && text[ce - 1] == '\r')
            ce--;
        d.lines[d.n++] = (text_line){p, ce};
        p = e + 1;
        if (!nl)
            break;
    }
    d.first_own = first_own_line(&d);
    size_t found = NO_LINE;
    bool at_top = false; /* history with nothing of the sender's before it */
    for (size_t i = 0; i < d.n; i++) {
        size_t s = history_at(&d, i);
        if (s == NO_LINE)
            continue;
        if (content_before(&d, s)) {
            found = s;
            break;
        }
        at_top = true;
    }
    size_t trail = trailing_quote(&d);
    if (trail != NO_LINE) {
        if (content_before(&d, trail))
            found = found == NO_LINE || trail < found ? trail : found;
        else
            at_top = true;
    }
    size_t result = len;
    if (found != NO_LINE)
        result = d.lines[include_sign_off(&d, found)].start;
    else if (at_top)
        result = 0; /* all of it is history: callers keep the whole text */
    free(d.lines);
    return result;
}
