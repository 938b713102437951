/* RFC 5322 / MIME parsing with GMime 3 (see mime.h). GMime does the heavy lifting (header
 * and MIME structure parsing, RFC 2047/2231 decoding, transfer encodings, iconv); this file
 * walks the result with explicit limits, turns every string into clean UTF-8 and adds what
 * GMime does not know about helpdesk mail: which part is the body, bounces and loop signals.
 *
 * Everything handed to the caller is allocated with malloc and freed by sb_mime_release. */
#include "channels/email/mime.h"

#include <errno.h>
#include <iconv.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <gmime/gmime.h>

#include "util/buf.h"

#define MIME_HEADER_SCAN (64u << 10) /* bytes searched for headers after leading junk */
#define MIME_EOL_SCAN (64u << 10)    /* bytes looked at to tell CR-only mail apart */
#define MIME_MAX_REFERENCES 100      /* References kept: the first and the newest */
#define MIME_MAX_ID 998              /* a Message-ID longer than a header line is junk */
#define MIME_MAX_FILENAME 255        /* bytes, as most file systems allow */
#define MIME_MAX_CHARSET 64
#define MIME_MAX_WARNING 2048
#define MIME_BOUNCE_SCAN (256u << 10) /* bytes of bounce text searched for the original */

/* ------------------------------------------------------------------------ */
/* Init and limits                                                          */
/* ------------------------------------------------------------------------ */

static pthread_once_t mime_once = PTHREAD_ONCE_INIT;

static void mime_init_once(void)
{
    g_mime_init();
}

void sb_mime_init(void)
{
    pthread_once(&mime_once, mime_init_once);
}

void sb_mime_limits_default(sb_mime_limits *lim)
{
    lim->max_parts = 200;
    lim->max_depth = 20;
    lim->max_attachment = 25u << 20;
    lim->max_body = 2u << 20;
    lim->max_addresses = 100;
}

/* ------------------------------------------------------------------------ */
/* Parse context and warnings                                               */
/* ------------------------------------------------------------------------ */

typedef enum {
    W_NOT_MAIL,
    W_SKIPPED_JUNK,
    W_MALFORMED,
    W_NO_FROM,
    W_TOO_MANY_PARTS,
    W_TOO_DEEP,
    W_BODY_CUT,
    W_ATTACHMENT_BIG,
    W_TOO_MANY_ADDRESSES,
    W_CHARSET,
    W_HEADER_CUT,
    W_COUNT
} mime_warning;

/* Shown to agents: say what happened to the message, not how the parser feels. */
static const char *const warning_text[W_COUNT] = {
    [W_NOT_MAIL] = "No message headers were found, the original is kept as received",
    [W_SKIPPED_JUNK] = "Data before the message headers was skipped",
    [W_MALFORMED] = "The MIME structure is damaged, so parts of the message may be missing",
    [W_NO_FROM] = "The message has no sender address",
    [W_TOO_MANY_PARTS] = "The message has too many parts, the rest were not read",
    [W_TOO_DEEP] = "Parts nested too deeply were not read",
    [W_BODY_CUT] = "The message text is too long and was cut",
    [W_ATTACHMENT_BIG] = "An attachment is too large and was not kept",
    [W_TOO_MANY_ADDRESSES] = "Only the first recipients were kept",
    [W_CHARSET] = "A part uses an unknown character set, its text was decoded by guess",
    [W_HEADER_CUT] = "A header line was too long and was cut",
};

/* GMime parser issues that mean content may be lost or misread. Invalid header names are
 * left out: GMime reports them for every placeholder body ("[original message here]"). */
#define GMIME_DAMAGE_MASK                                                                  \
    ((1u << GMIME_WARN_MALFORMED_MULTIPART) | (1u << GMIME_WARN_MALFORMED_MESSAGE) |      \
     (1u << GMIME_CRIT_MULTIPART_WITHOUT_BOUNDARY) | (1u << GMIME_CRIT_NESTING_OVERFLOW) | \
     (1u << GMIME_CRIT_PART_WITHOUT_HEADERS_OR_CONTENT))

/* One level of multipart/alternative: once a child gave text (or HTML), later children
 * may not give it again. Frames chain upwards through nested alternatives. */
typedef struct alt_frame {
    bool text_locked;
    bool html_locked;
    const struct alt_frame *up;
} alt_frame;

typedef struct {
    const sb_mime_limits *lim;
    sb_mime_message *m;
    GMimeParserOptions *opts;
    const char *input;      /* the bytes GMime parsed (warning offsets refer to them) */
    size_t input_len;
    unsigned warned;        /* bit per mime_warning already recorded */
    unsigned gmime_issues;  /* bit per GMimeParserWarning seen */
    gint64 bad_header_at;   /* offset of the first line GMime dropped as a bad header, or -1 */
    size_t walked;          /* MIME objects visited */
    bool stop;              /* max_parts reached */
    bool oom;
    sb_buf text, html;
    size_t ntext, nhtml;    /* body parts appended to text / html */
    size_t parts_cap;
    char *returned_id;      /* Message-ID of a returned / embedded message (malloc) */
    bool have_dsn;          /* a delivery-status part gave recipient and status */
    bool null_sender;       /* From: <> (RFC 5321 null reverse-path: a bounce or a robot) */
    bool untyped_report;    /* top-level multipart/report without a report-type */
} mime_ctx;

static void warn(mime_ctx *c, mime_warning w)
{
    c->warned |= 1u << w;
}

static void on_gmime_warning(gint64 offset, GMimeParserWarning code, const gchar *item,
                             gpointer user_data)
{
    (void)item;
    mime_ctx *c = user_data;
    if ((unsigned)code < 32)
        c->gmime_issues |= 1u << (unsigned)code;
    if (code == GMIME_CRIT_INVALID_HEADER_NAME && c->bad_header_at < 0 && offset >= 0)
        c->bad_header_at = offset;
}

static char *warnings_join(mime_ctx *c)
{
    if (!c->warned)
        return NULL;
    sb_buf b;
    sb_buf_init(&b, MIME_MAX_WARNING);
    for (int w = 0; w < W_COUNT; w++) {
        if (!(c->warned & (1u << w)))
            continue;
        if (b.len)
            sb_buf_puts(&b, "; ");
        sb_buf_puts(&b, warning_text[w]);
    }
    sb_buf_puts(&b, ".");
    if (b.failed) {
        sb_buf_release(&b);
        c->oom = true;
        return NULL;
    }
    return sb_buf_detach(&b, NULL);
}

/* ------------------------------------------------------------------------ */
/* UTF-8 cleaning                                                           */
/* ------------------------------------------------------------------------ */

/* Length of the well-formed UTF-8 sequence at p (1..4), or 0 when it is invalid or cut off
 * (Unicode table 3-7: no overlongs, no surrogates, nothing above U+10FFFF). */
static size_t utf8_seq(const unsigned char *p, size_t n)
{
    unsigned char b = p[0];
    if (b < 0x80)
        return 1;
    if (b < 0xC2)
        return 0;
    if (b < 0xE0)
        return (n >= 2 && (p[1] & 0xC0) == 0x80) ? 2 : 0;
    if (b < 0xF0) {
        if (n < 3 || (p[2] & 0xC0) != 0x80)
            return 0;
        if (b == 0xE0)
            return (p[1] >= 0xA0 && p[1] <= 0xBF) ? 3 : 0;
        if (b == 0xED)
            return (p[1] >= 0x80 && p[1] <= 0x9F) ? 3 : 0;
        return (p[1] & 0xC0) == 0x80 ? 3 : 0;
    }
    if (b < 0xF5) {
        if (n < 4 || (p[2] & 0xC0) != 0x80 || (p[3] & 0xC0) != 0x80)
            return 0;
        if (b == 0xF0)
            return (p[1] >= 0x90 && p[1] <= 0xBF) ? 4 : 0;
        if (b == 0xF4)
            return (p[1] >= 0x80 && p[1] <= 0x8F) ? 4 : 0;
        return (p[1] & 0xC0) == 0x80 ? 4 : 0;
    }
    return 0;
}

static bool utf8_valid(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < n) {
        size_t k = utf8_seq(p + i, n - i);
        if (!k)
            return false;
        i += k;
    }
    return true;
}

/* Largest k <= n such that s[0..k) does not end inside a UTF-8 sequence (s is valid). */
static size_t utf8_floor(const char *s, size_t n)
{
    while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
        n--;
    return n;
}

enum {
    CLEAN_LF = 1,      /* CRLF and lone CR become LF */
    CLEAN_ONELINE = 2, /* CR, LF and TAB become spaces; other C0 controls are dropped */
    CLEAN_NOBOM = 4,   /* drop a leading U+FEFF */
};

/* malloc'd copy of s[0..n) as valid UTF-8 without NUL: invalid bytes become U+FFFD. */
static char *clean_utf8(const char *s, size_t n, int flags, size_t *outlen)
{
    static const char repl[3] = {(char)0xEF, (char)0xBF, (char)0xBD};
    const unsigned char *p = (const unsigned char *)s;
    size_t need = 0;
    for (size_t i = 0; i < n;) {
        size_t k = utf8_seq(p + i, n - i);
        need += k ? k : 3;
        i += k ? k : 1;
    }
    char *out = malloc(need + 1);
    if (!out)
        return NULL;
    size_t o = 0;
    size_t i = 0;
    if ((flags & CLEAN_NOBOM) && n >= 3 && p[0] == 0xEF && p[1] == 0xBB && p[2] == 0xBF)
        i = 3;
    while (i < n) {
        size_t k = utf8_seq(p + i, n - i);
        if (!k) {
            memcpy(out + o, repl, 3);
            o += 3;
            i++;
            continue;
        }
        unsigned char ch = p[i];
        if (k == 1 && ch < 0x20) {
            if (ch == 0) {
                i++;
                continue;
            }
            if (flags & CLEAN_ONELINE) {
                if (ch == '\r' || ch == '\n' || ch == '\t')
                    out[o++] = ' ';
                i++;
                continue;
            }
            if ((flags & CLEAN_LF) && ch == '\r') {
                out[o++] = '\n';
                i += (i + 1 < n && p[i + 1] == '\n') ? 2 : 1;
                continue;
            }
        }
        memcpy(out + o, s + i, k);
        o += k;
        i += k;
    }
    out[o] = '\0';
    if (outlen)
        *outlen = o;
    return out;
}

/* Clean copy of a NUL-terminated string, or NULL (with c->oom set) when out of memory. */
static char *cstr(mime_ctx *c, const char *s, int flags)
{
    char *r = clean_utf8(s ? s : "", s ? strlen(s) : 0, flags, NULL);
    if (!r)
        c->oom = true;
    return r;
}

static char *trim_inplace(char *s)
{
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        s[--n] = '\0';
    size_t lead = strspn(s, " \t");
    if (lead)
        memmove(s, s + lead, n - lead + 1);
    return s;
}

/* ------------------------------------------------------------------------ */
/* Charsets                                                                 */
/* ------------------------------------------------------------------------ */

/* Labels that name no charset at all: decode such text by guess. */
static const char *const charset_unknown[] = {
    "us-ascii", "ascii", "ansi_x3.4-1968", "us-asci", "x-unknown", "unknown-8bit",
    "x-unknown-8bit", "unknown", "none", "default", "charset", "8bit", "7bit", "x-user-defined",
};

/* Real-world labels iconv does not know, and labels better read as their superset (as
 * browsers do: iso-8859-1 mail routinely carries windows-1252 quotes). */
static const struct {
    const char *label;
    const char *iconv;
} charset_alias[] = {
    {"unicode-1-1-utf-7", "UTF-7"}, {"unicode-2-0-utf-7", "UTF-7"},
    {"x-unicode-2-0-utf-7", "UTF-7"}, {"uft-8", "UTF-8"},
    {"utf8", "UTF-8"}, {"x-mac-cyrillic", "MAC-CYRILLIC"},
    {"x-mac-ukrainian", "MACUKRAINIAN"}, {"x-sjis", "CP932"},
    {"sjis", "CP932"}, {"windows-31j", "CP932"},
    {"ms_kanji", "CP932"}, {"ks_c_5601-1987", "CP949"},
    {"ks_c_5601", "CP949"}, {"x-euc-tw", "EUC-TW"},
    {"cp-850", "CP850"}, {"iso-8859-1", "WINDOWS-1252"},
    {"iso8859-1", "WINDOWS-1252"}, {"iso_8859-1", "WINDOWS-1252"},
    {"latin1", "WINDOWS-1252"}, {"gb2312", "GB18030"},
    {"gbk", "GB18030"}, {"x-gbk", "GB18030"},
    {"cn-gb", "GB18030"}, {"euc-cn", "GB18030"},
};

static bool iconv_known(const char *name)
{
    iconv_t cd = g_mime_iconv_open("UTF-8", name);
    if (cd == (iconv_t)-1)
        return false;
    g_mime_iconv_close(cd);
    return true;
}

/* The iconv name to convert `declared` with, or NULL when the text must be decoded by
 * guess. *unknown is set when a label was given but names nothing we can convert. */
static const char *charset_pick(const char *declared, char buf[MIME_MAX_CHARSET + 1],
                                bool *unknown)
{
    *unknown = false;
    if (!declared)
        return NULL;
    size_t n = 0;
    for (const char *p = declared; *p && n < MIME_MAX_CHARSET; p++) {
        char ch = *p;
        if (ch == '"' || ch == '\'' || ch == ' ' || ch == '\t')
            continue;
        if (ch == '*') /* RFC 2231 language suffix */
            break;
        buf[n++] = (char)g_ascii_tolower(ch);
    }
    buf[n] = '\0';
    if (!n)
        return NULL;
    for (size_t i = 0; i < G_N_ELEMENTS(charset_unknown); i++)
        if (!strcmp(buf, charset_unknown[i]))
            return NULL;
    for (size_t i = 0; i < G_N_ELEMENTS(charset_alias); i++)
        if (!strcmp(buf, charset_alias[i].label))
            return charset_alias[i].iconv;
    if (iconv_known(buf))
        return buf;
    if (strstr(buf, "utf-8") || strstr(buf, "utf8"))
        return "UTF-8";
    if (strstr(buf, "utf-7"))
        return "UTF-7";
    *unknown = true;
    return NULL;
}

/* Converts in[0..n) from `charset` to UTF-8 with GMime's iconv wrappers; bytes that do not
 * convert become U+FFFD. Returns NULL when iconv cannot open the charset. */
static GString *iconv_utf8(const char *charset, const char *in, size_t n, size_t *ninvalid)
{
    static const char repl[3] = {(char)0xEF, (char)0xBF, (char)0xBD};
    iconv_t cd = g_mime_iconv_open("UTF-8", charset);
    if (cd == (iconv_t)-1)
        return NULL;
    iconv(cd, NULL, NULL, NULL, NULL); /* cached descriptors may hold shift state */
    GString *out = g_string_sized_new(n + n / 2 + 16);
    char buf[4096];
    char *inp = (char *)in;
    size_t inleft = n;
    *ninvalid = 0;
    while (inleft > 0) {
        char *op = buf;
        size_t oleft = sizeof buf;
        size_t r = iconv(cd, &inp, &inleft, &op, &oleft);
        int err = errno;
        g_string_append_len(out, buf, (gssize)(op - buf));
        if (r != (size_t)-1 || err == E2BIG)
            continue;
        g_string_append_len(out, repl, 3);
        (*ninvalid)++;
        if (err == EILSEQ) {
            inp++;
            inleft--;
        } else {
            break; /* EINVAL: cut off at the end */
        }
    }
    char *op = buf;
    size_t oleft = sizeof buf;
    iconv(cd, NULL, NULL, &op, &oleft); /* return to the initial shift state */
    g_string_append_len(out, buf, (gssize)(op - buf));
    g_mime_iconv_close(cd);
    return out;
}

/* Clean copy of a converted buffer, which is freed. */
static char *from_gstring(mime_ctx *c, GString *g, int flags, size_t *outlen)
{
    char *r = clean_utf8(g->str, g->len, flags, outlen);
    g_string_free(g, TRUE);
    if (!r)
        c->oom = true;
    return r;
}

/* Text of undeclared (or unknown) charset: UTF-8 if it is, ISO-2022-JP if it looks like
 * it, UTF-16 by BOM, else GMime's best guess among the fallback charsets. */
static char *guess_utf8(mime_ctx *c, const char *in, size_t n, int flags, size_t *outlen)
{
    size_t bad = 0;
    GString *g;
    if (utf8_valid(in, n)) {
        if (memchr(in, 0x1B, n) && (g_strstr_len(in, (gssize)n, "\x1b$B") ||
                                     g_strstr_len(in, (gssize)n, "\x1b$@"))) {
            g = iconv_utf8("ISO-2022-JP", in, n, &bad);
            if (g && bad == 0)
                return from_gstring(c, g, flags, outlen);
            if (g)
                g_string_free(g, TRUE);
        }
        return from_gstring(c, g_string_new_len(in, (gssize)n), flags | CLEAN_NOBOM, outlen);
    }
    const unsigned char *u = (const unsigned char *)in;
    if (n >= 2 && ((u[0] == 0xFF && u[1] == 0xFE) || (u[0] == 0xFE && u[1] == 0xFF))) {
        g = iconv_utf8("UTF-16", in, n, &bad);
        if (g)
            return from_gstring(c, g, flags | CLEAN_NOBOM, outlen);
    }
    /* GMime's guess works on C strings: NUL bytes would cut the text short. */
    char *nonul = g_malloc(n + 1);
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (in[i])
            nonul[k++] = in[i];
    nonul[k] = '\0';
    char *guess = g_mime_utils_decode_8bit(c->opts, nonul, k);
    g_free(nonul);
    char *r = clean_utf8(guess, strlen(guess), flags, outlen);
    g_free(guess);
    if (!r)
        c->oom = true;
    return r;
}

/* in[0..n) in `charset` (may be NULL) as clean malloc'd UTF-8. */
static char *to_utf8(mime_ctx *c, const char *charset, const char *in, size_t n, int flags,
                     size_t *outlen)
{
    char buf[MIME_MAX_CHARSET + 1];
    bool unknown;
    const char *cs = charset_pick(charset, buf, &unknown);
    if (unknown)
        warn(c, W_CHARSET);
    if (!cs)
        return guess_utf8(c, in, n, flags, outlen);
    if (!g_ascii_strcasecmp(cs, "UTF-8")) {
        char *r = clean_utf8(in, n, flags | CLEAN_NOBOM, outlen);
        if (!r)
            c->oom = true;
        return r;
    }
    size_t bad = 0;
    GString *g = iconv_utf8(cs, in, n, &bad);
    if (!g)
        return guess_utf8(c, in, n, flags, outlen);
    char *r = clean_utf8(g->str, g->len, flags | CLEAN_NOBOM, outlen);
    g_string_free(g, TRUE);
    if (!r)
        c->oom = true;
    return r;
}

/* ------------------------------------------------------------------------ */
/* Headers                                                                  */
/* ------------------------------------------------------------------------ */

static size_t q_decode(const char *in, size_t n, unsigned char *out)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        if (in[i] == '_') {
            out[o++] = ' ';
        } else if (in[i] == '=' && i + 2 < n && g_ascii_isxdigit(in[i + 1]) &&
                   g_ascii_isxdigit(in[i + 2])) {
            out[o++] = (unsigned char)(g_ascii_xdigit_value(in[i + 1]) * 16 +
                                       g_ascii_xdigit_value(in[i + 2]));
            i += 2;
        } else {
            out[o++] = (unsigned char)in[i];
        }
    }
    return o;
}

/* GMime drops the 8-bit bytes of encoded words whose charset iconv does not know, and
 * knows no aliases such as unicode-1-1-utf-7. Rewrites those charsets to what
 * charset_pick chooses, or to a guess from the decoded bytes. Returns a g_malloc'd
 * string, or NULL when nothing needed rewriting. */
static char *fix_encoded_words(const char *raw)
{
    if (!strstr(raw, "=?"))
        return NULL;
    GString *out = NULL;
    const char *copied = raw;
    const char *p = raw;
    while ((p = strstr(p, "=?")) != NULL) {
        const char *cs = p + 2;
        const char *q = cs;
        while (*q && *q != '?' && q - cs <= MIME_MAX_CHARSET && !g_ascii_isspace(*q))
            q++;
        if (*q != '?' || q == cs || !q[1] || !strchr("BbQq", q[1]) || q[2] != '?') {
            p += 2;
            continue;
        }
        const char *payload = q + 3;
        const char *end = strstr(payload, "?=");
        if (!end)
            break;
        char label[MIME_MAX_CHARSET + 2];
        size_t ln = (size_t)(q - cs);
        memcpy(label, cs, ln);
        label[ln] = '\0';
        char buf[MIME_MAX_CHARSET + 1];
        bool unknown;
        const char *pick = charset_pick(label, buf, &unknown);
        const char *use = pick;
        if (!pick) {
            size_t pn = (size_t)(end - payload);
            unsigned char *dec = g_malloc(pn + 4);
            size_t dn;
            if (q[1] == 'B' || q[1] == 'b') {
                int state = 0;
                guint32 save = 0;
                dn = g_mime_encoding_base64_decode_step((const unsigned char *)payload, pn,
                                                        dec, &state, &save);
            } else {
                dn = q_decode(payload, pn, dec);
            }
            use = utf8_valid((const char *)dec, dn) ? "UTF-8" : "WINDOWS-1252";
            g_free(dec);
        }
        char *lang = strchr(label, '*');
        if (lang)
            *lang = '\0';
        if (g_ascii_strcasecmp(use, label) != 0) {
            if (!out)
                out = g_string_sized_new(strlen(raw) + 16);
            g_string_append_len(out, copied, (gssize)(cs - copied));
            g_string_append(out, use);
            copied = q;
        }
        p = end + 2;
    }
    if (!out)
        return NULL;
    g_string_append(out, copied);
    return g_string_free(out, FALSE);
}

static const char *raw_header(GMimeObject *obj, const char *name)
{
    GMimeHeaderList *hl = g_mime_object_get_header_list(obj);
    GMimeHeader *h = hl ? g_mime_header_list_get_header(hl, name) : NULL;
    return h ? g_mime_header_get_raw_value(h) : NULL;
}

/* Decoded, unfolded value of an unstructured header (Subject), clean one-line UTF-8 with
 * surrounding blanks trimmed; "" when absent. */
static char *header_text(mime_ctx *c, GMimeObject *obj, const char *name)
{
    const char *raw = raw_header(obj, name);
    if (!raw)
        return cstr(c, "", 0);
    char *fixed = fix_encoded_words(raw);
    char *unfolded = g_mime_utils_header_unfold(fixed ? fixed : raw);
    char *decoded = g_mime_utils_header_decode_text(c->opts, unfolded);
    char *r = cstr(c, decoded, CLEAN_ONELINE);
    g_free(decoded);
    g_free(unfolded);
    g_free(fixed);
    return r ? trim_inplace(r) : NULL;
}

/* Plain header value (GMime-decoded), or NULL. */
static const char *header_value(GMimeObject *obj, const char *name)
{
    return g_mime_object_get_header(obj, name);
}

/* First token of a header value, lowercased into buf: "auto-replied; x" -> "auto-replied". */
static const char *header_token(GMimeObject *obj, const char *name, char *buf, size_t size)
{
    const char *v = header_value(obj, name);
    if (!v)
        return NULL;
    while (*v == ' ' || *v == '\t')
        v++;
    size_t n = 0;
    while (v[n] && n + 1 < size && !strchr(" \t;,(\r\n", v[n])) {
        buf[n] = (char)g_ascii_tolower(v[n]);
        n++;
    }
    buf[n] = '\0';
    return buf;
}

/* Message ids in a header value, in order, without <>: "<a@b> <c@d>" and also the bare
 * or comma-separated forms mailers produce. Ids longer than MIME_MAX_ID are dropped. */
static GPtrArray *parse_ids(const char *v)
{
    GPtrArray *ids = g_ptr_array_new_with_free_func(g_free);
    if (!v)
        return ids;
    for (const char *p = v; (p = strchr(p, '<')) != NULL;) {
        const char *e = strchr(p + 1, '>');
        if (!e)
            break;
        GString *id = g_string_new(NULL);
        for (const char *s = p + 1; s < e; s++)
            if (!g_ascii_isspace(*s) && *s != '<')
                g_string_append_c(id, *s);
        if (id->len > 0 && id->len <= MIME_MAX_ID)
            g_ptr_array_add(ids, g_string_free(id, FALSE));
        else
            g_string_free(id, TRUE);
        p = e + 1;
    }
    if (ids->len > 0)
        return ids;
    /* No brackets at all: whitespace/comma separated tokens that look like ids. */
    char **tok = g_strsplit_set(v, " \t\r\n,", -1);
    for (size_t i = 0; tok[i]; i++) {
        size_t n = strlen(tok[i]);
        if (n > 0 && n <= MIME_MAX_ID && strchr(tok[i], '@') && tok[i][0] != '(')
            g_ptr_array_add(ids, g_strdup(tok[i]));
    }
    g_strfreev(tok);
    return ids;
}

/* First message id of a header, malloc'd clean, or NULL. */
static char *header_first_id(mime_ctx *c, GMimeObject *obj, const char *name)
{
    const char *v = header_value(obj, name);
    if (!v)
        return NULL;
    GPtrArray *ids = parse_ids(v);
    char *r = ids->len ? cstr(c, g_ptr_array_index(ids, 0), CLEAN_ONELINE) : NULL;
    g_ptr_array_unref(ids);
    return r;
}

static int set_references(mime_ctx *c, GMimeObject *obj)
{
    sb_mime_message *m = c->m;
    GPtrArray *ids = parse_ids(header_value(obj, "References"));
    size_t n = ids->len;
    if (n == 0)
        goto out;
    size_t keep = n > MIME_MAX_REFERENCES ? MIME_MAX_REFERENCES : n;
    m->references = calloc(keep, sizeof *m->references);
    if (!m->references) {
        c->oom = true;
        goto out;
    }
    /* Over the cap, keep the thread root and the newest ones (RFC 5322 3.6.4 style). */
    for (size_t i = 0; i < keep; i++) {
        size_t src = (n > keep && i > 0) ? n - keep + i : i;
        m->references[i] = cstr(c, g_ptr_array_index(ids, src), CLEAN_ONELINE);
        if (!m->references[i])
            goto out;
        m->nreferences++;
    }
out:
    g_ptr_array_unref(ids);
    return c->oom ? -1 : 0;
}

/* ------------------------------------------------------------------------ */
/* Addresses                                                                */
/* ------------------------------------------------------------------------ */

static void lower_domain(char *addr)
{
    char *at = strrchr(addr, '@');
    if (!at)
        return;
    for (char *p = at + 1; *p; p++)
        *p = (char)g_ascii_tolower(*p);
}

static int addr_fill(mime_ctx *c, sb_mime_addr *a, const char *name, const char *addr)
{
    a->name = cstr(c, name, CLEAN_ONELINE);
    a->addr = cstr(c, addr, CLEAN_ONELINE);
    if (!a->name || !a->addr)
        return -1;
    trim_inplace(a->name);
    trim_inplace(a->addr);
    lower_domain(a->addr);
    return 0;
}

/* Mailboxes of a list, groups flattened, in order. Does not take references. */
static void flatten_list(InternetAddressList *list, GPtrArray *out, int level)
{
    int n = list ? internet_address_list_length(list) : 0;
    for (int i = 0; i < n; i++) {
        InternetAddress *ia = internet_address_list_get_address(list, i);
        if (INTERNET_ADDRESS_IS_MAILBOX(ia))
            g_ptr_array_add(out, ia);
        else if (INTERNET_ADDRESS_IS_GROUP(ia) && level < 2)
            flatten_list(internet_address_group_get_members(INTERNET_ADDRESS_GROUP(ia)), out,
                         level + 1);
    }
}

/* Parses an address header from its raw value (so that unknown charsets in encoded words
 * can be fixed first). Caller unrefs the list; NULL when absent or unparseable. */
static InternetAddressList *header_addresses(mime_ctx *c, GMimeObject *obj, const char *name)
{
    const char *raw = raw_header(obj, name);
    if (!raw)
        return NULL;
    char *fixed = fix_encoded_words(raw);
    InternetAddressList *l = internet_address_list_parse(c->opts, fixed ? fixed : raw);
    g_free(fixed);
    return l;
}

/* When GMime cannot parse a sender header at all ("From: Bob bob@example.com"), take the
 * first word with an @ as the address and the rest as the name. */
static int addr_salvage(mime_ctx *c, GMimeObject *obj, const char *name, sb_mime_addr *a)
{
    const char *v = header_value(obj, name);
    if (!v || !strchr(v, '@'))
        return 0;
    char **tok = g_strsplit_set(v, " \t\r\n,;<>\"", -1);
    int rc = 0;
    for (size_t i = 0; tok[i]; i++) {
        if (strchr(tok[i], '@') && strlen(tok[i]) <= MIME_MAX_ID) {
            rc = addr_fill(c, a, "", tok[i]);
            break;
        }
    }
    g_strfreev(tok);
    return rc;
}

static int set_single(mime_ctx *c, GMimeObject *obj, const char *name, sb_mime_addr *a)
{
    InternetAddressList *l = header_addresses(c, obj, name);
    GPtrArray *boxes = g_ptr_array_new();
    flatten_list(l, boxes, 0);
    int rc = 0;
    if (boxes->len > 0) {
        InternetAddress *ia = g_ptr_array_index(boxes, 0);
        rc = addr_fill(c, a, internet_address_get_name(ia),
                       internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(ia)));
    } else {
        rc = addr_salvage(c, obj, name, a);
    }
    g_ptr_array_unref(boxes);
    if (l)
        g_object_unref(l);
    return rc;
}

static int set_list(mime_ctx *c, GMimeObject *obj, const char *name, sb_mime_addr **out,
                    size_t *nout, size_t *budget)
{
    InternetAddressList *l = header_addresses(c, obj, name);
    GPtrArray *boxes = g_ptr_array_new();
    flatten_list(l, boxes, 0);
    int rc = 0;
    size_t n = boxes->len;
    if (n > *budget) {
        warn(c, W_TOO_MANY_ADDRESSES);
        n = *budget;
    }
    if (n == 0)
        goto out;
    *out = calloc(n, sizeof **out);
    if (!*out) {
        rc = -1;
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        InternetAddress *ia = g_ptr_array_index(boxes, i);
        const char *addr = internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(ia));
        if (!addr || !*addr)
            continue;
        if (addr_fill(c, &(*out)[*nout], internet_address_get_name(ia), addr) < 0) {
            (*nout)++; /* so that release frees what was filled */
            rc = -1;
            goto out;
        }
        (*nout)++;
    }
    *budget -= *nout;
out:
    g_ptr_array_unref(boxes);
    if (l)
        g_object_unref(l);
    if (rc < 0)
        c->oom = true;
    return rc;
}

/* ------------------------------------------------------------------------ */
/* Loop and noise signals                                                   */
/* ------------------------------------------------------------------------ */

static bool local_part_is(const char *addr, const char *const *names, size_t n, bool prefix)
{
    if (!addr)
        return false;
    const char *at = strchr(addr, '@');
    size_t len = at ? (size_t)(at - addr) : strlen(addr);
    for (size_t i = 0; i < n; i++) {
        size_t k = strlen(names[i]);
        if (prefix ? (len >= k && !g_ascii_strncasecmp(addr, names[i], k))
                   : (len == k && !g_ascii_strncasecmp(addr, names[i], k)))
            return true;
    }
    return false;
}

static const char *const robot_exact[] = {"mailer-daemon", "mailer_daemon", "mailerdaemon",
                                          "postmaster", "mail-daemon"};
static const char *const robot_prefix[] = {"noreply", "no-reply", "no_reply", "donotreply",
                                           "do-not-reply", "do_not_reply"};

static bool token_in(const char *v, const char *const *list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(v, list[i]))
            return true;
    return false;
}

/* True when a comma/space separated header value holds one of the tokens. */
static bool value_has_token(const char *v, const char *const *list, size_t n)
{
    if (!v)
        return false;
    bool found = false;
    char **tok = g_strsplit_set(v, " \t,;", -1);
    for (size_t i = 0; tok[i] && !found; i++) {
        char *t = g_ascii_strdown(tok[i], -1);
        found = token_in(t, list, n);
        g_free(t);
    }
    g_strfreev(tok);
    return found;
}

static void set_signals(mime_ctx *c, GMimeObject *obj)
{
    sb_mime_message *m = c->m;
    char tok[64];
    const char *v = header_token(obj, "Auto-Submitted", tok, sizeof tok);
    m->auto_submitted = v && strcmp(v, "no") != 0;

    static const char *const bulk[] = {"bulk", "list", "junk"};
    v = header_token(obj, "Precedence", tok, sizeof tok);
    m->precedence_bulk = v && token_in(v, bulk, G_N_ELEMENTS(bulk));

    static const char *const suppress[] = {"all", "oof"};
    m->x_autoreply = header_value(obj, "X-Autoreply") || header_value(obj, "X-Autorespond") ||
                     value_has_token(header_value(obj, "X-Auto-Response-Suppress"), suppress,
                                     G_N_ELEMENTS(suppress));
    m->list_mail = header_value(obj, "List-Id") || header_value(obj, "List-Unsubscribe") ||
                   header_value(obj, "List-Post");
    m->from_robot =
        local_part_is(m->from.addr, robot_exact, G_N_ELEMENTS(robot_exact), false) ||
        local_part_is(m->from.addr, robot_prefix, G_N_ELEMENTS(robot_prefix), true);
}

/* ------------------------------------------------------------------------ */
/* Bounces                                                                  */
/* ------------------------------------------------------------------------ */

/* "5.1.1" at s (class 2, 4 or 5; up to three digits per field), its length, else 0.
 * s is NUL-terminated, so looking ahead stops at the end. */
static size_t status_code_at(const char *s)
{
    if (s[0] != '2' && s[0] != '4' && s[0] != '5')
        return 0;
    if (s[1] != '.')
        return 0;
    size_t i = 2, d = 0;
    while (g_ascii_isdigit(s[i]) && d < 3)
        i++, d++;
    if (!d || s[i] != '.')
        return 0;
    i++;
    d = 0;
    while (g_ascii_isdigit(s[i]) && d < 3)
        i++, d++;
    if (!d || g_ascii_isdigit(s[i]))
        return 0;
    return i;
}

/* First status code in the NUL-terminated s[0..n), clean malloc'd, or NULL. */
static char *find_status(mime_ctx *c, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (i > 0 && (g_ascii_isalnum(s[i - 1]) || s[i - 1] == '.'))
            continue;
        size_t k = status_code_at(s + i);
        if (k) {
            char *code = g_strndup(s + i, k);
            char *r = cstr(c, code, CLEAN_ONELINE);
            g_free(code);
            return r;
        }
    }
    return NULL;
}

/* Address of a Final-Recipient / Original-Recipient value ("rfc822; bob@example.com"). */
static char *dsn_address(mime_ctx *c, const char *v)
{
    const char *semi = strchr(v, ';');
    char *a = g_strdup(semi ? semi + 1 : v);
    g_strstrip(a);
    size_t n = strlen(a);
    if (n >= 2 && a[0] == '<' && a[n - 1] == '>') {
        memmove(a, a + 1, n - 2);
        a[n - 2] = '\0';
    }
    char *r = NULL;
    if (*a && strlen(a) <= MIME_MAX_ID) {
        r = cstr(c, a, CLEAN_ONELINE);
        if (r)
            lower_domain(trim_inplace(r));
    }
    g_free(a);
    return r;
}

/* Unfolded "Name: value" fields of a header-like block, one callback per field. */
typedef void (*field_fn)(mime_ctx *c, void *ctx, const char *name, const char *value,
                         bool blank_before);

static void scan_fields(mime_ctx *c, const char *s, size_t n, field_fn fn, void *ctx)
{
    GString *name = g_string_new(NULL), *value = g_string_new(NULL);
    bool blank = false, have = false, blank_before = false;
    size_t i = 0;
    while (i < n) {
        size_t e = i;
        while (e < n && s[e] != '\n')
            e++;
        size_t le = e;
        if (le > i && s[le - 1] == '\r')
            le--;
        if (le > i && (s[i] == ' ' || s[i] == '\t')) {
            if (have)
                g_string_append_len(value, s + i, (gssize)(le - i));
        } else {
            if (have)
                fn(c, ctx, name->str, g_strstrip(value->str), blank_before);
            have = false;
            const char *colon = memchr(s + i, ':', le - i);
            if (le == i) {
                blank = true;
            } else if (colon) {
                g_string_assign(name, "");
                g_string_append_len(name, s + i, (gssize)(colon - (s + i)));
                g_strstrip(name->str);
                g_string_assign(value, "");
                g_string_append_len(value, colon + 1, (gssize)(le - (size_t)(colon - s) - 1));
                have = true;
                blank_before = blank;
                blank = false;
            }
        }
        i = e + 1;
    }
    if (have)
        fn(c, ctx, name->str, g_strstrip(value->str), blank_before);
    g_string_free(name, TRUE);
    g_string_free(value, TRUE);
}

typedef struct {
    char *recipient, *status;
    bool failed;
} dsn_rcpt;

typedef struct {
    dsn_rcpt cur, best;
    bool best_set;
} dsn_state;

static void dsn_commit(dsn_state *d)
{
    if (!d->cur.recipient && !d->cur.status)
        return;
    /* The first failed recipient wins; otherwise the first one reported. */
    if (!d->best_set || (d->cur.failed && !d->best.failed)) {
        free(d->best.recipient);
        free(d->best.status);
        d->best = d->cur;
        d->best_set = true;
    } else {
        free(d->cur.recipient);
        free(d->cur.status);
    }
    memset(&d->cur, 0, sizeof d->cur);
}

static void dsn_field(mime_ctx *c, void *ctx, const char *name, const char *value,
                      bool blank_before)
{
    dsn_state *d = ctx;
    if (blank_before)
        dsn_commit(d);
    if (!g_ascii_strcasecmp(name, "Final-Recipient") ||
        !g_ascii_strcasecmp(name, "Original-Recipient")) {
        bool final = !g_ascii_strcasecmp(name, "Final-Recipient");
        if (final && d->cur.recipient)
            dsn_commit(d); /* no blank line between recipients */
        if (final || !d->cur.recipient) {
            free(d->cur.recipient);
            d->cur.recipient = dsn_address(c, value);
        }
    } else if (!g_ascii_strcasecmp(name, "Status") && !d->cur.status) {
        d->cur.status = find_status(c, value, strlen(value));
    } else if (!g_ascii_strcasecmp(name, "Action")) {
        d->cur.failed = !g_ascii_strncasecmp(value, "failed", 6);
    }
}

static void parse_delivery_status(mime_ctx *c, const char *s, size_t n)
{
    sb_mime_message *m = c->m;
    dsn_state d;
    memset(&d, 0, sizeof d);
    scan_fields(c, s, n, dsn_field, &d);
    dsn_commit(&d);
    m->is_bounce = true;
    if (!c->have_dsn && d.best_set) {
        m->bounced_recipient = d.best.recipient;
        m->bounce_status = d.best.status;
        c->have_dsn = true;
    } else {
        free(d.best.recipient);
        free(d.best.status);
    }
}

typedef struct {
    char *id;
    char *subject;
} headers_state;

static void headers_field(mime_ctx *c, void *ctx, const char *name, const char *value,
                          bool blank_before)
{
    (void)blank_before;
    headers_state *h = ctx;
    if (!h->id && (!g_ascii_strcasecmp(name, "Message-ID") ||
                   !g_ascii_strcasecmp(name, "Message-Id"))) {
        GPtrArray *ids = parse_ids(value);
        if (ids->len)
            h->id = cstr(c, g_ptr_array_index(ids, 0), CLEAN_ONELINE);
        g_ptr_array_unref(ids);
    } else if (!h->subject && !g_ascii_strcasecmp(name, "Subject")) {
        char *fixed = fix_encoded_words(value);
        char *dec = g_mime_utils_header_decode_text(c->opts, fixed ? fixed : value);
        h->subject = cstr(c, dec, CLEAN_ONELINE);
        g_free(dec);
        g_free(fixed);
    }
}

/* Message-ID (and Subject) from a raw header block: text/rfc822-headers, or a
 * message/rfc822 GMime kept opaque because it was transfer-encoded. Only the header block
 * is read: up to the first blank line. */
static void scan_returned_headers(mime_ctx *c, const char *s, size_t n, char **subject)
{
    /* the header block ends at the first blank line that follows a field */
    size_t end = n;
    bool seen_field = false;
    for (size_t i = 0; i < n;) {
        const char *nl = memchr(s + i, '\n', n - i);
        size_t le = nl ? (size_t)(nl - s) : n;
        bool blank = le == i || (le == i + 1 && s[i] == '\r');
        if (blank && seen_field) {
            end = i;
            break;
        }
        seen_field |= !blank;
        i = le + 1;
    }
    headers_state h = {0};
    scan_fields(c, s, end, headers_field, &h);
    if (h.id && !c->returned_id)
        c->returned_id = h.id;
    else
        free(h.id);
    if (subject)
        *subject = h.subject;
    else
        free(h.subject);
}

static bool subject_is_bounce(const char *subject)
{
    static const char *const pat[] = {
        "undeliver",          "delivery status",     "mail delivery failed",
        "delivery failure",   "delivery failed",     "failure notice",
        "returned mail",      "delivery has failed", "could not be delivered",
        "non-delivery",       "nondeliverable",      "not delivered",
        "mail system error",  "delivery problem",    "delivery notification",
        "mail failure",       "could not send",      "error sending",
        "errors from",        "delayed",             "unzustellbar",
        "non remis",          "не доставлен",        "недоставлен",
    };
    char *low = g_utf8_strdown(subject, -1);
    bool hit = false;
    for (size_t i = 0; i < G_N_ELEMENTS(pat) && !hit; i++)
        hit = strstr(low, pat[i]) != NULL;
    g_free(low);
    return hit;
}

/* Message-ID of the original message quoted in a bounce's text ("Message-ID: <...>"). */
static char *text_find_message_id(mime_ctx *c, const char *text)
{
    size_t n = strlen(text);
    if (n > MIME_BOUNCE_SCAN)
        n = MIME_BOUNCE_SCAN;
    for (size_t i = 0; i < n;) {
        const char *nl = memchr(text + i, '\n', n - i);
        size_t e = nl ? (size_t)(nl - text) : n;
        size_t j = i;
        while (j < e && (text[j] == ' ' || text[j] == '\t' || text[j] == '>'))
            j++;
        if (e - j > 11 && !g_ascii_strncasecmp(text + j, "message-id:", 11)) {
            char *val = g_strndup(text + j + 11, e - j - 11);
            GPtrArray *ids = parse_ids(val);
            char *r = NULL;
            if (ids->len && (!c->m->message_id ||
                             strcmp(g_ptr_array_index(ids, 0), c->m->message_id) != 0))
                r = cstr(c, g_ptr_array_index(ids, 0), CLEAN_ONELINE);
            g_ptr_array_unref(ids);
            g_free(val);
            if (r)
                return r;
        }
        i = e + 1;
    }
    return NULL;
}

/* Recipient of a non-standard bounce: Exim's X-Failed-Recipients, the "<bob@x>:" line
 * Postfix and qmail start their reports with, or an <address> on a line that talks about
 * delivery ("There was an error delivering your mail to <bob@x>"). */
static char *text_find_recipient(mime_ctx *c, GMimeObject *top, const char *text)
{
    static const char *const words[] = {"deliver", "recipient", "failed", "address"};
    const char *xf = header_value(top, "X-Failed-Recipients");
    if (xf) {
        char *r = dsn_address(c, xf);
        if (r) {
            char *comma = strchr(r, ',');
            if (comma)
                *comma = '\0';
            return trim_inplace(r);
        }
    }
    size_t n = strlen(text);
    if (n > MIME_BOUNCE_SCAN)
        n = MIME_BOUNCE_SCAN;
    for (size_t i = 0; i < n;) {
        const char *nl = memchr(text + i, '\n', n - i);
        size_t e = nl ? (size_t)(nl - text) : n;
        const char *lt = memchr(text + i, '<', e - i);
        const char *gt = lt ? memchr(lt, '>', (size_t)(text + e - lt)) : NULL;
        if (gt && memchr(lt, '@', (size_t)(gt - lt)) && gt - lt < 256) {
            size_t j = i;
            while (j < e && (text[j] == ' ' || text[j] == '\t'))
                j++;
            bool leading = text + j == lt && gt + 1 < text + e && gt[1] == ':';
            char *line = g_ascii_strdown(text + i, (gssize)(e - i));
            bool talk = false;
            for (size_t w = 0; w < G_N_ELEMENTS(words) && !talk; w++)
                talk = strstr(line, words[w]) != NULL;
            g_free(line);
            if (leading || talk) {
                char *a = g_strndup(lt + 1, (size_t)(gt - lt) - 1);
                char *r = dsn_address(c, a);
                g_free(a);
                return r;
            }
        }
        i = e + 1;
    }
    return NULL;
}

/* ------------------------------------------------------------------------ */
/* Parts                                                                    */
/* ------------------------------------------------------------------------ */

/* Decoded content of a leaf part. At most `cap` bytes are held: a larger part comes back
 * with *data NULL and its real decoded size. Memory stays bounded by the input because
 * a transfer encoding never decodes to more bytes than it encodes. */
static int part_content(mime_ctx *c, GMimePart *part, size_t cap, unsigned char **data,
                        size_t *size)
{
    *data = NULL;
    *size = 0;
    GMimeDataWrapper *w = g_mime_part_get_content(part);
    GMimeStream *src = w ? g_mime_data_wrapper_get_stream(w) : NULL;
    if (!src) {
        *data = malloc(1);
        if (!*data)
            goto oom;
        return 0;
    }
    gint64 enc = g_mime_stream_length(src);
    if (enc < 0 || (guint64)enc > cap) {
        GMimeStream *null = g_mime_stream_null_new();
        g_mime_data_wrapper_write_to_stream(w, null);
        size_t written = GMIME_STREAM_NULL(null)->written;
        g_object_unref(null);
        if (written > cap) {
            *size = written;
            return 0;
        }
    }
    GMimeStream *mem = g_mime_stream_mem_new();
    g_mime_data_wrapper_write_to_stream(w, mem);
    GByteArray *arr = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(mem));
    size_t len = arr ? arr->len : 0;
    if (len > cap) {
        *size = len;
        g_object_unref(mem);
        return 0;
    }
    *data = malloc(len + 1);
    if (!*data) {
        g_object_unref(mem);
        goto oom;
    }
    if (len)
        memcpy(*data, arr->data, len);
    (*data)[len] = 0;
    *size = len;
    g_object_unref(mem);
    return 0;
oom:
    c->oom = true;
    return -1;
}

static const struct {
    const char *type;
    const char *name;
} default_names[] = {
    {"image/png", "image.png"},
    {"image/jpeg", "image.jpg"},
    {"image/gif", "image.gif"},
    {"image/webp", "image.webp"},
    {"image/bmp", "image.bmp"},
    {"image/svg+xml", "image.svg"},
    {"text/plain", "attachment.txt"},
    {"text/html", "attachment.html"},
    {"text/calendar", "invite.ics"},
    {"text/rfc822-headers", "returned-headers.txt"},
    {"text/csv", "attachment.csv"},
    {"message/delivery-status", "delivery-status.txt"},
    {"message/global-delivery-status", "delivery-status.txt"},
    {"message/disposition-notification", "disposition-notification.txt"},
    {"message/feedback-report", "feedback-report.txt"},
    {"application/ms-tnef", "winmail.dat"},
    {"application/vnd.ms-tnef", "winmail.dat"},
    {"application/pdf", "attachment.pdf"},
    {"application/pgp-signature", "signature.asc"},
    {"application/pkcs7-signature", "smime.p7s"},
    {"application/x-pkcs7-signature", "smime.p7s"},
};

/* Safe file name: no directories, no control characters, not empty, at most
 * MIME_MAX_FILENAME bytes. Takes a clean UTF-8 string (malloc'd) and returns it or a
 * replacement; NULL only when out of memory. */
static char *safe_filename(mime_ctx *c, char *name, const char *content_type)
{
    if (name) {
        char *base = name;
        for (char *p = name; *p; p++)
            if (*p == '/' || *p == '\\')
                base = p + 1;
        memmove(name, base, strlen(base) + 1);
        for (char *p = name; *p; p++)
            if ((unsigned char)*p < 0x20 || *p == 0x7F)
                *p = '_';
        trim_inplace(name);
        size_t n = strlen(name);
        if (n > MIME_MAX_FILENAME) {
            /* keep the extension when it is short, so the file still opens */
            const char *dot = strrchr(name, '.');
            size_t ext = dot ? strlen(dot) : 0;
            if (ext > 16)
                ext = 0;
            size_t head = utf8_floor(name, MIME_MAX_FILENAME - ext);
            memmove(name + head, name + n - ext, ext + 1);
        }
        if (*name && strcmp(name, ".") && strcmp(name, ".."))
            return name;
        free(name);
    }
    const char *def = "attachment.bin";
    for (size_t i = 0; i < G_N_ELEMENTS(default_names); i++)
        if (content_type && !strcmp(content_type, default_names[i].type))
            def = default_names[i].name;
    return cstr(c, def, 0);
}

/* New zeroed entry in m->parts, or NULL when out of memory. */
static sb_mime_part *part_new(mime_ctx *c)
{
    sb_mime_message *m = c->m;
    if (m->nparts == c->parts_cap) {
        size_t cap = c->parts_cap ? c->parts_cap * 2 : 8;
        sb_mime_part *p = realloc(m->parts, cap * sizeof *p);
        if (!p) {
            c->oom = true;
            return NULL;
        }
        m->parts = p;
        c->parts_cap = cap;
    }
    sb_mime_part *p = &m->parts[m->nparts++];
    memset(p, 0, sizeof *p);
    return p;
}

static char *mime_type_of(mime_ctx *c, GMimeObject *obj)
{
    GMimeContentType *ct = g_mime_object_get_content_type(obj);
    char *t = ct ? g_mime_content_type_get_mime_type(ct) : g_strdup("application/octet-stream");
    char *r = cstr(c, t, CLEAN_ONELINE);
    g_free(t);
    if (r)
        for (char *p = r; *p; p++)
            *p = (char)g_ascii_tolower(*p);
    return r;
}

static char *content_id_of(mime_ctx *c, GMimeObject *obj)
{
    const char *cid = g_mime_object_get_content_id(obj);
    if (!cid)
        return NULL;
    while (*cid == '<' || *cid == ' ' || *cid == '\t')
        cid++;
    size_t n = strlen(cid);
    while (n > 0 && (cid[n - 1] == '>' || cid[n - 1] == ' ' || cid[n - 1] == '\t'))
        n--;
    if (!n || n > MIME_MAX_ID)
        return NULL;
    char *tmp = g_strndup(cid, n);
    char *r = cstr(c, tmp, CLEAN_ONELINE);
    g_free(tmp);
    return r;
}

/* Adds a leaf part as an attachment; `name` (clean, malloc'd, may be NULL) is taken. */
static sb_mime_part *add_leaf(mime_ctx *c, GMimePart *part, bool related_child, char *name,
                              const unsigned char *data, size_t size)
{
    GMimeObject *obj = GMIME_OBJECT(part);
    sb_mime_part *p = part_new(c);
    if (!p) {
        free(name);
        return NULL;
    }
    p->content_type = mime_type_of(c, obj);
    if (!p->content_type)
        return NULL;
    p->content_id = content_id_of(c, obj);
    const char *disp = g_mime_object_get_disposition(obj);
    p->is_inline = (disp && !g_ascii_strcasecmp(disp, "inline")) ||
                   (related_child && p->content_id);
    if (!name) {
        const char *fn = g_mime_part_get_filename(part);
        if (fn) {
            char *fixed = fix_encoded_words(fn);
            char *dec = NULL;
            if (fixed || strstr(fn, "=?"))
                dec = g_mime_utils_header_decode_text(c->opts, fixed ? fixed : fn);
            name = cstr(c, dec ? dec : fn, CLEAN_ONELINE);
            g_free(dec);
            g_free(fixed);
            if (!name)
                return NULL;
        }
    }
    p->filename = safe_filename(c, name, p->content_type);
    if (!p->filename)
        return NULL;
    if (data) { /* content already decoded by the caller */
        if (size > c->lim->max_attachment) {
            p->truncated = true;
            p->size = size;
            warn(c, W_ATTACHMENT_BIG);
            return p;
        }
        p->data = malloc(size + 1);
        if (!p->data) {
            c->oom = true;
            return NULL;
        }
        memcpy(p->data, data, size);
        p->data[size] = 0;
        p->size = size;
        return p;
    }
    if (part_content(c, part, c->lim->max_attachment, &p->data, &p->size) < 0)
        return NULL;
    if (!p->data) {
        p->truncated = true;
        warn(c, W_ATTACHMENT_BIG);
    }
    return p;
}

/* File name for an attached message: its subject + ".eml". */
static char *eml_name(mime_ctx *c, const char *subject)
{
    if (!subject || !*subject)
        return cstr(c, "message.eml", 0);
    size_t n = strlen(subject);
    if (n > MIME_MAX_FILENAME - 4)
        n = utf8_floor(subject, MIME_MAX_FILENAME - 4);
    char *r = malloc(n + 5);
    if (!r) {
        c->oom = true;
        return NULL;
    }
    memcpy(r, subject, n);
    memcpy(r + n, ".eml", 5);
    for (char *p = r; *p; p++)
        if (*p == '/' || *p == '\\' || *p == ':')
            *p = '_';
    return r;
}

/* message/rfc822 (or message/global) parsed by GMime: one .eml attachment. */
static void add_message_part(mime_ctx *c, GMimeMessagePart *mp)
{
    GMimeObject *obj = GMIME_OBJECT(mp);
    GMimeMessage *inner = g_mime_message_part_get_message(mp);
    char *subject = NULL, *name = NULL;
    if (inner) {
        GMimeObject *io = GMIME_OBJECT(inner);
        subject = header_text(c, io, "Subject");
        char *id = header_first_id(c, io, "Message-ID");
        if (id && !c->returned_id)
            c->returned_id = id;
        else
            free(id);
    }
    name = eml_name(c, subject);
    free(subject);
    if (!name)
        return;
    sb_mime_part *p = part_new(c);
    if (!p) {
        free(name);
        return;
    }
    p->filename = name;
    p->content_type = cstr(c, "message/rfc822", 0);
    p->content_id = content_id_of(c, obj);
    const char *disp = g_mime_object_get_disposition(obj);
    p->is_inline = disp && !g_ascii_strcasecmp(disp, "inline");
    if (!p->content_type)
        return;
    GMimeStream *mem = g_mime_stream_mem_new();
    if (inner)
        g_mime_object_write_to_stream(GMIME_OBJECT(inner), NULL, mem);
    GByteArray *arr = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(mem));
    size_t len = arr ? arr->len : 0;
    if (len > c->lim->max_attachment) {
        p->truncated = true;
        p->size = len;
        warn(c, W_ATTACHMENT_BIG);
    } else {
        p->data = malloc(len + 1);
        if (p->data) {
            if (len)
                memcpy(p->data, arr->data, len);
            p->data[len] = 0;
            p->size = len;
        } else {
            c->oom = true;
        }
    }
    g_object_unref(mem);
}

/* ------------------------------------------------------------------------ */
/* Body                                                                     */
/* ------------------------------------------------------------------------ */

static void body_append(mime_ctx *c, sb_buf *b, const char *s, size_t n)
{
    size_t max = c->lim->max_body;
    if (b->len > 0 && n > 0 && b->data[b->len - 1] != '\n' && b->len < max)
        sb_buf_append(b, "\n", 1);
    size_t room = b->len < max ? max - b->len : 0;
    if (n > room) {
        n = utf8_floor(s, room);
        warn(c, W_BODY_CUT);
    }
    if (sb_buf_append(b, s, n) < 0)
        c->oom = true;
}

static bool alt_locked(const alt_frame *a, bool html)
{
    for (; a; a = a->up)
        if (html ? a->html_locked : a->text_locked)
            return true;
    return false;
}

/* charset= of an HTML <meta> tag in the first bytes of a document, into buf, or NULL. */
static const char *html_meta_charset(const char *s, size_t n, char *buf, size_t size)
{
    if (n > 4096)
        n = 4096;
    char *low = g_ascii_strdown(s, (gssize)n);
    const char *r = NULL;
    for (const char *m = low; (m = strstr(m, "<meta")) != NULL; m += 5) {
        const char *end = strchr(m, '>');
        const char *cs = strstr(m, "charset=");
        if (!cs || (end && cs > end))
            continue;
        cs += 8;
        while (*cs == '"' || *cs == '\'' || *cs == ' ')
            cs++;
        size_t k = 0;
        while (k + 1 < size && (g_ascii_isalnum(cs[k]) || strchr("-_.:", cs[k])))
            k++;
        if (k) {
            memcpy(buf, cs, k);
            buf[k] = '\0';
            r = buf;
        }
        break;
    }
    g_free(low);
    return r;
}

static void add_body(mime_ctx *c, const char *charset, const unsigned char *raw, size_t n,
                     bool html)
{
    size_t len = 0;
    char pickbuf[MIME_MAX_CHARSET + 1], meta[MIME_MAX_CHARSET + 1];
    bool unknown;
    /* HTML often names its charset only in a <meta> tag; trust it when the MIME label
     * says nothing useful and the bytes are not UTF-8. */
    if (html && !charset_pick(charset, pickbuf, &unknown) &&
        !utf8_valid((const char *)raw, n)) {
        const char *m = html_meta_charset((const char *)raw, n, meta, sizeof meta);
        if (m)
            charset = m;
    }
    char *u = to_utf8(c, charset, (const char *)raw, n, CLEAN_LF, &len);
    if (!u)
        return;
    body_append(c, html ? &c->html : &c->text, u, len);
    if (html)
        c->nhtml++;
    else
        c->ntext++;
    free(u);
}

static bool is_type(GMimeObject *obj, const char *type, const char *subtype)
{
    GMimeContentType *ct = g_mime_object_get_content_type(obj);
    return ct && g_mime_content_type_is_type(ct, type, subtype);
}

static void walk(mime_ctx *c, GMimeObject *obj, size_t depth, const alt_frame *alt,
                 bool related_child);

static void walk_leaf(mime_ctx *c, GMimePart *part, const alt_frame *alt, bool related_child)
{
    GMimeObject *obj = GMIME_OBJECT(part);
    const char *disp = g_mime_object_get_disposition(obj);
    bool attachment = disp && !g_ascii_strcasecmp(disp, "attachment");
    const char *fname = g_mime_part_get_filename(part);

    bool dsn = is_type(obj, "message", "delivery-status") ||
               is_type(obj, "message", "global-delivery-status");
    bool rfc822_headers = is_type(obj, "text", "rfc822-headers") ||
                          is_type(obj, "message", "rfc822-headers") ||
                          is_type(obj, "message", "global-headers");
    bool opaque_message = is_type(obj, "message", "rfc822") || is_type(obj, "message", "global");
    if (dsn || rfc822_headers || opaque_message) {
        unsigned char *data;
        size_t size;
        if (part_content(c, part, SIZE_MAX, &data, &size) < 0)
            return;
        char *name = NULL;
        if (dsn) {
            parse_delivery_status(c, (const char *)data, size);
        } else {
            char *subject = NULL;
            scan_returned_headers(c, (const char *)data, size, opaque_message ? &subject : NULL);
            if (opaque_message) {
                name = eml_name(c, subject);
                free(subject);
            }
        }
        add_leaf(c, part, related_child, name, data, size);
        free(data);
        return;
    }

    bool plain = is_type(obj, "text", "plain");
    bool html = is_type(obj, "text", "html");
    if ((plain || html) && !attachment && !related_child &&
        (!fname || c->ntext + c->nhtml == 0)) {
        if (alt_locked(alt, html))
            return; /* an earlier alternative already gave this kind of body */
        unsigned char *data;
        size_t size;
        if (part_content(c, part, SIZE_MAX, &data, &size) < 0)
            return;
        add_body(c, g_mime_object_get_content_type_parameter(obj, "charset"), data, size, html);
        free(data);
        return;
    }
    /* Other renderings of the same content (text/enriched, text/watch-html...). */
    if (alt && !attachment && !fname && is_type(obj, "text", "*") &&
        !is_type(obj, "text", "calendar"))
        return;
    add_leaf(c, part, related_child, NULL, NULL, 0);
}

/* Index of the root of a multipart/related: the part named by start=, else the first. */
static int related_root(GMimeMultipart *mp)
{
    const char *start = g_mime_object_get_content_type_parameter(GMIME_OBJECT(mp), "start");
    if (!start)
        return 0;
    char *want = g_strdup(start);
    g_strstrip(want);
    char *w = want;
    size_t n = strlen(w);
    if (n >= 2 && w[0] == '<' && w[n - 1] == '>') {
        w[n - 1] = '\0';
        w++;
    }
    int root = 0;
    int count = g_mime_multipart_get_count(mp);
    for (int i = 0; i < count; i++) {
        const char *cid = g_mime_object_get_content_id(g_mime_multipart_get_part(mp, i));
        if (cid && !strcmp(cid, w)) {
            root = i;
            break;
        }
    }
    g_free(want);
    return root;
}

static void walk_multipart(mime_ctx *c, GMimeMultipart *mp, size_t depth, const alt_frame *alt,
                           bool related_child)
{
    GMimeObject *obj = GMIME_OBJECT(mp);
    int count = g_mime_multipart_get_count(mp);
    if (count <= 0) {
        /* Boundary never found: GMime leaves the content in the prologue. Show it as text
         * rather than nothing. */
        const char *pro = g_mime_multipart_get_prologue(mp);
        warn(c, W_MALFORMED);
        if (pro && *pro && !alt_locked(alt, false))
            add_body(c, NULL, (const unsigned char *)pro, strlen(pro), false);
        return;
    }
    if (is_type(obj, "multipart", "report")) {
        const char *rt = g_mime_object_get_content_type_parameter(obj, "report-type");
        if (rt && !g_ascii_strcasecmp(rt, "delivery-status"))
            c->m->is_bounce = true;
        if (!rt && depth == 0)
            c->untyped_report = true;
    }
    if (is_type(obj, "multipart", "alternative")) {
        alt_frame frame = {false, false, alt};
        for (int i = 0; i < count && !c->stop && !c->oom; i++) {
            size_t t0 = c->ntext, h0 = c->nhtml;
            walk(c, g_mime_multipart_get_part(mp, i), depth + 1, &frame, related_child);
            frame.text_locked |= c->ntext > t0;
            frame.html_locked |= c->nhtml > h0;
        }
        return;
    }
    int root = is_type(obj, "multipart", "related") ? related_root(mp) : -1;
    for (int i = 0; i < count && !c->stop && !c->oom; i++)
        walk(c, g_mime_multipart_get_part(mp, i), depth + 1, alt,
             related_child || (root >= 0 && i != root));
}

static void walk(mime_ctx *c, GMimeObject *obj, size_t depth, const alt_frame *alt,
                 bool related_child)
{
    if (c->stop || c->oom || !obj)
        return;
    if (depth > c->lim->max_depth) {
        warn(c, W_TOO_DEEP);
        return;
    }
    if (++c->walked > c->lim->max_parts) {
        warn(c, W_TOO_MANY_PARTS);
        c->stop = true;
        return;
    }
    if (GMIME_IS_MULTIPART(obj))
        walk_multipart(c, GMIME_MULTIPART(obj), depth, alt, related_child);
    else if (GMIME_IS_MESSAGE_PART(obj))
        add_message_part(c, GMIME_MESSAGE_PART(obj));
    else if (GMIME_IS_PART(obj))
        walk_leaf(c, GMIME_PART(obj), alt, related_child);
}

/* Inline images referenced from the HTML as cid: count as inline even when the sender put
 * them in multipart/mixed or marked them as attachments. */
static void mark_cid_inline(mime_ctx *c)
{
    sb_mime_message *m = c->m;
    if (!m->html)
        return;
    for (size_t i = 0; i < m->nparts; i++) {
        sb_mime_part *p = &m->parts[i];
        if (p->is_inline || !p->content_id)
            continue;
        char *needle = g_strconcat("cid:", p->content_id, NULL);
        p->is_inline = strstr(m->html, needle) != NULL;
        g_free(needle);
    }
}

/* ------------------------------------------------------------------------ */
/* Entry points                                                             */
/* ------------------------------------------------------------------------ */

/* CR-only mail (old Mac clients; a fifth of one corpus) is one long line to GMime: turn
 * lone CRs into LFs when they outnumber LFs. */
static bool cr_only(const char *raw, size_t len)
{
    size_t n = len < MIME_EOL_SCAN ? len : MIME_EOL_SCAN;
    size_t lone_cr = 0, lf = 0;
    for (size_t i = 0; i < n; i++) {
        if (raw[i] == '\n')
            lf++;
        else if (raw[i] == '\r' && (i + 1 >= len || raw[i + 1] != '\n'))
            lone_cr++;
    }
    return lone_cr > lf;
}

/* Offset of the first line after the first one that starts like a header field
 * ("Name:"), within MIME_HEADER_SCAN bytes; or -1. */
static long find_header_start(const char *s, size_t len)
{
    size_t n = len < MIME_HEADER_SCAN ? len : MIME_HEADER_SCAN;
    const char *nl = memchr(s, '\n', n);
    while (nl) {
        size_t i = (size_t)(nl - s) + 1;
        size_t k = i;
        while (k < n && k - i < 76 && s[k] > 32 && s[k] < 127 && s[k] != ':')
            k++;
        if (k > i && k < n && s[k] == ':')
            return (long)i;
        nl = i < n ? memchr(s + i, '\n', n - i) : NULL;
    }
    return -1;
}

static GMimeMessage *parse_at(mime_ctx *c, const char *data, size_t len)
{
    c->input = data;
    c->input_len = len;
    c->bad_header_at = -1;
    c->gmime_issues = 0;
    GMimeStream *stream = g_mime_stream_mem_new_with_buffer(data, len);
    GMimeParser *parser = g_mime_parser_new_with_stream(stream);
    g_mime_parser_set_format(parser, GMIME_FORMAT_MESSAGE);
    GMimeMessage *msg = g_mime_parser_construct_message(parser, c->opts);
    g_object_unref(parser);
    g_object_unref(stream);
    if (!msg)
        return NULL;
    /* GMime moves Content-* fields to the body part: a message that has only those is
     * still a message (a bare MIME entity); one with no field anywhere is not. */
    GMimeObject *body = g_mime_message_get_mime_part(msg);
    if (g_mime_header_list_get_count(g_mime_object_get_header_list(GMIME_OBJECT(msg))) <= 0 &&
        (!body || g_mime_header_list_get_count(g_mime_object_get_header_list(body)) <= 0)) {
        g_object_unref(msg);
        msg = NULL;
    }
    return msg;
}

static GMimeParserOptions *options_new(mime_ctx *c)
{
    static const char *fallback[] = {"UTF-8", "WINDOWS-1252", "ISO-8859-1", NULL};
    GMimeParserOptions *o = g_mime_parser_options_new();
    g_mime_parser_options_set_rfc2047_compliance_mode(o, GMIME_RFC_COMPLIANCE_LOOSE);
    g_mime_parser_options_set_parameter_compliance_mode(o, GMIME_RFC_COMPLIANCE_LOOSE);
    g_mime_parser_options_set_address_compliance_mode(o, GMIME_RFC_COMPLIANCE_LOOSE);
    g_mime_parser_options_set_allow_addresses_without_domain(o, TRUE);
    g_mime_parser_options_set_fallback_charsets(o, fallback);
    g_mime_parser_options_set_warning_callback(o, on_gmime_warning, c);
    return o;
}

static void extract(mime_ctx *c, GMimeMessage *msg)
{
    sb_mime_message *m = c->m;
    GMimeObject *top = GMIME_OBJECT(msg);

    m->message_id = header_first_id(c, top, "Message-ID");
    m->in_reply_to = header_first_id(c, top, "In-Reply-To");
    if (set_references(c, top) < 0)
        return;
    m->subject = header_text(c, top, "Subject");
    if (!m->subject)
        return;
    if (set_single(c, top, "From", &m->from) < 0)
        return;
    if (!m->from.addr && set_single(c, top, "Sender", &m->from) < 0)
        return;
    if (!m->from.addr) {
        const char *raw = header_value(top, "From");
        const char *nul = raw ? strstr(raw, "<>") : NULL;
        if (nul) {
            /* "MAILER-DAEMON <>": keep the name, the address stays empty */
            char *name = g_strndup(raw, (size_t)(nul - raw));
            m->from.name = cstr(c, g_strstrip(name), CLEAN_ONELINE);
            g_free(name);
            c->null_sender = true;
        } else {
            m->from.name = cstr(c, "", 0);
        }
        m->from.addr = cstr(c, "", 0);
        if (!m->from.name || !m->from.addr)
            return;
    }
    if (!*m->from.addr)
        warn(c, W_NO_FROM);
    if (set_single(c, top, "Reply-To", &m->reply_to) < 0)
        return;
    size_t budget = c->lim->max_addresses;
    if (set_list(c, top, "To", &m->to, &m->nto, &budget) < 0 ||
        set_list(c, top, "Cc", &m->cc, &m->ncc, &budget) < 0)
        return;
    GDateTime *date = g_mime_message_get_date(msg);
    if (date)
        m->date_ms = (long long)g_date_time_to_unix(date) * 1000 +
                     g_date_time_get_microsecond(date) / 1000;
    set_signals(c, top);
    m->from_robot |= c->null_sender;

    walk(c, g_mime_message_get_mime_part(msg), 0, NULL, false);
    if (c->oom)
        return;

    /* append "" first: sb_buf_detach leaves a never-written buffer unterminated */
    sb_buf_append(&c->text, "", 0);
    m->text = sb_buf_detach(&c->text, NULL);
    if (!m->text) {
        c->oom = true;
        return;
    }
    if (c->nhtml) {
        m->html = sb_buf_detach(&c->html, NULL);
        if (!m->html) {
            c->oom = true;
            return;
        }
    }
    mark_cid_inline(c);

    /* GMime drops header lines it cannot parse and, when the blank line before the body is
     * missing or not blank, the body after them. Nothing readable came out: show the text
     * from the first dropped line on rather than an empty message. */
    if (!*m->text && !m->html && m->nparts == 0 && c->bad_header_at >= 0 &&
        (size_t)c->bad_header_at < c->input_len) {
        size_t off = (size_t)c->bad_header_at;
        size_t len = 0;
        char *rest = to_utf8(c, NULL, c->input + off, c->input_len - off, CLEAN_LF, &len);
        if (!rest)
            return;
        if (len > c->lim->max_body) {
            rest[utf8_floor(rest, c->lim->max_body)] = '\0';
            warn(c, W_BODY_CUT);
        }
        free(m->text);
        m->text = rest;
        warn(c, W_MALFORMED);
    }

    /* Bounces that are not RFC 3464 reports: a robot sender and a telling subject. */
    if (!m->is_bounce &&
        (c->null_sender || c->untyped_report ||
         local_part_is(m->from.addr, robot_exact, G_N_ELEMENTS(robot_exact), false)) &&
        subject_is_bounce(m->subject))
        m->is_bounce = true;
    if (m->is_bounce) {
        if (c->returned_id) {
            m->bounced_message_id = c->returned_id;
            c->returned_id = NULL;
        } else {
            m->bounced_message_id = text_find_message_id(c, m->text);
        }
        if (!m->bounced_recipient)
            m->bounced_recipient = text_find_recipient(c, top, m->text);
        if (!m->bounce_status)
            m->bounce_status = find_status(c, m->text, strlen(m->text));
    }
}

#define HEADER_FIELD_MAX (64u << 10) /* one header with its continuation lines */
#define HEADER_BLOCK_MAX (1u << 20)  /* all top-level headers together */

/* GMime builds every address or id of a header before our limits apply: a 30 MiB Cc line
 * costs gigabytes. Returns a copy whose top-level header fields are cut to HEADER_FIELD_MAX
 * (and the block to HEADER_BLOCK_MAX), or NULL when nothing needs cutting. */
static char *cap_headers(const char *raw, size_t len, size_t *out_len)
{
    size_t end = 0; /* end of the header block */
    while (end < len) {
        const char *nl = memchr(raw + end, '\n', len - end);
        size_t line_end = nl ? (size_t)(nl - raw) + 1 : len;
        size_t content = line_end - end;
        if (content <= 2 && (raw[end] == '\n' || (raw[end] == '\r' && content == 2)))
            break;
        end = line_end;
    }
    bool needed = end > HEADER_BLOCK_MAX;
    for (size_t i = 0, field = 0; i < end && !needed; i++) {
        if (raw[i] == '\n' && i + 1 < end && raw[i + 1] != ' ' && raw[i + 1] != '\t')
            field = i + 1;
        else if (i - field > HEADER_FIELD_MAX)
            needed = true;
    }
    if (!needed)
        return NULL;
    char *copy = malloc(len + 2);
    if (!copy)
        return NULL;
    size_t o = 0, field = 0;
    for (size_t i = 0; i < end; i++) {
        bool starts = i == 0 || (raw[i - 1] == '\n' && raw[i] != ' ' && raw[i] != '\t');
        if (starts) {
            field = i;
            if (o >= HEADER_BLOCK_MAX)
                break; /* the remaining fields are dropped */
        }
        if (i - field < HEADER_FIELD_MAX)
            copy[o++] = raw[i];
        else if (i - field == HEADER_FIELD_MAX)
            copy[o++] = '\n'; /* the field ends here; the rest of it (continuations too) is dropped */
    }
    memcpy(copy + o, raw + end, len - end);
    o += len - end;
    copy[o] = '\0';
    *out_len = o;
    return copy;
}

int sb_mime_parse(const char *raw, size_t len, const sb_mime_limits *lim, sb_mime_message *out)
{
    sb_mime_init();
    memset(out, 0, sizeof *out);
    sb_mime_limits def;
    if (!lim) {
        sb_mime_limits_default(&def);
        lim = &def;
    }
    mime_ctx c;
    memset(&c, 0, sizeof c);
    c.lim = lim;
    c.m = out;
    sb_buf_init(&c.text, lim->max_body + 1);
    sb_buf_init(&c.html, lim->max_body + 1);
    c.opts = options_new(&c);

    char *normal = NULL, *capped = NULL;
    GMimeMessage *msg = NULL;
    if (!raw)
        len = 0;
    size_t capped_len = 0;
    if (len && (capped = cap_headers(raw, len, &capped_len)) != NULL) {
        raw = capped;
        len = capped_len;
        warn(&c, W_HEADER_CUT);
    }
    if (len && cr_only(raw, len)) {
        normal = malloc(len);
        if (!normal) {
            c.oom = true;
            goto out;
        }
        for (size_t i = 0; i < len; i++)
            normal[i] = (raw[i] == '\r' && (i + 1 >= len || raw[i + 1] != '\n')) ? '\n' : raw[i];
        raw = normal;
    }
    if (len)
        msg = parse_at(&c, raw, len);
    if (!msg && len) {
        long off = find_header_start(raw, len);
        if (off > 0) {
            msg = parse_at(&c, raw + off, len - (size_t)off);
            if (msg)
                warn(&c, W_SKIPPED_JUNK);
        }
    }
    if (!msg) {
        /* Nothing that looks like a message: the caller shows the raw bytes. */
        out->parsed = false;
        c.warned = 1u << W_NOT_MAIL;
        out->subject = cstr(&c, "", 0);
        out->text = cstr(&c, "", 0);
        out->from.name = cstr(&c, "", 0);
        out->from.addr = cstr(&c, "", 0);
        goto out;
    }
    out->parsed = true;
    extract(&c, msg);
    if (c.gmime_issues & GMIME_DAMAGE_MASK)
        warn(&c, W_MALFORMED);

out:
    if (!c.oom)
        out->warning = warnings_join(&c);
    if (msg)
        g_object_unref(msg);
    g_mime_parser_options_free(c.opts);
    sb_buf_release(&c.text);
    sb_buf_release(&c.html);
    free(c.returned_id);
    free(normal);
    free(capped);
    if (c.oom) {
        sb_mime_release(out);
        return -1;
    }
    return 0;
}

static void addr_release(sb_mime_addr *a)
{
    free(a->name);
    free(a->addr);
    a->name = a->addr = NULL;
}

void sb_mime_release(sb_mime_message *m)
{
    if (!m)
        return;
    free(m->warning);
    free(m->message_id);
    free(m->in_reply_to);
    for (size_t i = 0; i < m->nreferences; i++)
        free(m->references[i]);
    free(m->references);
    free(m->subject);
    addr_release(&m->from);
    addr_release(&m->reply_to);
    for (size_t i = 0; i < m->nto; i++)
        addr_release(&m->to[i]);
    free(m->to);
    for (size_t i = 0; i < m->ncc; i++)
        addr_release(&m->cc[i]);
    free(m->cc);
    free(m->text);
    free(m->html);
    for (size_t i = 0; i < m->nparts; i++) {
        free(m->parts[i].filename);
        free(m->parts[i].content_type);
        free(m->parts[i].content_id);
        free(m->parts[i].data);
    }
    free(m->parts);
    free(m->bounced_message_id);
    free(m->bounced_recipient);
    free(m->bounce_status);
    memset(m, 0, sizeof *m);
}
