/* Unit tests for channels/email/mime: hand-made messages for every case the parser must
 * handle (charsets, RFC 2047/2231, transfer encodings, multipart shapes, bounces, loop
 * signals, limits, line endings, junk). Charset conversions are also checked against
 * GMime's reference texts in ../shared/data/charset-gmime-filters when present. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <glib.h>
#include <pthread.h>

#include "channels/email/mime.h"

/* ------------------------------------------------------------------------ */
/* Helpers                                                                  */
/* ------------------------------------------------------------------------ */

static void assert_clean(const char *s)
{
    if (s)
        assert_true(g_utf8_validate(s, -1, NULL));
}

/* Every string of a result is valid UTF-8; the invariants of mime.h hold. */
static void assert_message_clean(const sb_mime_message *m)
{
    assert_clean(m->warning);
    assert_clean(m->message_id);
    assert_clean(m->in_reply_to);
    for (size_t i = 0; i < m->nreferences; i++) {
        assert_non_null(m->references[i]);
        assert_clean(m->references[i]);
        assert_null(strchr(m->references[i], '<'));
    }
    assert_non_null(m->subject);
    assert_clean(m->subject);
    assert_non_null(m->from.name);
    assert_non_null(m->from.addr);
    assert_clean(m->from.name);
    assert_clean(m->from.addr);
    assert_non_null(m->text);
    assert_clean(m->text);
    assert_null(strchr(m->text, '\r'));
    assert_clean(m->html);
    for (size_t i = 0; i < m->nto; i++)
        assert_clean(m->to[i].addr);
    for (size_t i = 0; i < m->ncc; i++)
        assert_clean(m->cc[i].addr);
    for (size_t i = 0; i < m->nparts; i++) {
        assert_non_null(m->parts[i].filename);
        assert_clean(m->parts[i].filename);
        assert_non_null(m->parts[i].content_type);
        assert_int_equal(m->parts[i].truncated, m->parts[i].data == NULL);
    }
    assert_clean(m->bounced_message_id);
    assert_clean(m->bounced_recipient);
    assert_clean(m->bounce_status);
    if (!m->parsed)
        assert_non_null(m->warning);
}

static void parse_lim(const char *raw, size_t len, const sb_mime_limits *lim, sb_mime_message *m)
{
    assert_int_equal(sb_mime_parse(raw, len, lim, m), 0);
    assert_message_clean(m);
}

static void parse(const char *raw, sb_mime_message *m)
{
    sb_mime_limits lim;
    sb_mime_limits_default(&lim);
    parse_lim(raw, strlen(raw), &lim, m);
}

static const sb_mime_part *find_part(const sb_mime_message *m, const char *content_type)
{
    for (size_t i = 0; i < m->nparts; i++)
        if (!strcmp(m->parts[i].content_type, content_type))
            return &m->parts[i];
    return NULL;
}

static char *data_dir(void)
{
    const char *env = getenv("SB_SHARED_DATA");
    if (env && *env)
        return g_strdup(env);
    return g_strdup(SB_SOURCE_DIR "/../shared/data");
}

/* Replaces every "\n" of a template with `eol`. */
static char *with_eol(const char *msg, const char *eol)
{
    GString *s = g_string_new(NULL);
    for (const char *p = msg; *p; p++) {
        if (*p == '\n')
            g_string_append(s, eol);
        else
            g_string_append_c(s, *p);
    }
    return g_string_free(s, FALSE);
}

#define HDR "From: Alice <alice@example.com>\nTo: support@example.com\nSubject: test\n"

/* ------------------------------------------------------------------------ */
/* Basics                                                                   */
/* ------------------------------------------------------------------------ */

static void test_init_twice_and_defaults(void **state)
{
    (void)state;
    sb_mime_init();
    sb_mime_init();
    sb_mime_limits lim;
    sb_mime_limits_default(&lim);
    assert_int_equal(lim.max_parts, 200);
    assert_int_equal(lim.max_depth, 20);
    assert_int_equal(lim.max_attachment, 25u << 20);
    assert_int_equal(lim.max_body, 2u << 20);
    assert_int_equal(lim.max_addresses, 100);
    /* release of a released (zeroed) message is harmless */
    sb_mime_message m;
    parse(HDR "\nhi\n", &m);
    sb_mime_release(&m);
    sb_mime_release(&m);
}

static void test_simple_headers(void **state)
{
    (void)state;
    sb_mime_message m;
    parse("Message-ID: <abc.123@Example.COM>\n"
          "In-Reply-To: <parent@example.com> (Alice's message)\n"
          "References: <root@example.com>\n <mid@example.com>,<parent@example.com>\n"
          "Date: Tue, 1 Jul 2025 10:20:30 +0200\n"
          "From: \"Alice Smith\" <Alice.Smith@Example.COM>\n"
          "Reply-To: Help Desk <help@Example.org>\n"
          "To: Support <support@example.com>, bob@EXAMPLE.net\n"
          "Cc: Team: carol@example.com, dave@example.com;, <eve@Example.com>\n"
          "Subject:   Hello   world  \n"
          "\n"
          "Body line\r\n",
          &m);
    assert_true(m.parsed);
    assert_null(m.warning);
    assert_string_equal(m.message_id, "abc.123@Example.COM");
    assert_string_equal(m.in_reply_to, "parent@example.com");
    assert_int_equal(m.nreferences, 3);
    assert_string_equal(m.references[0], "root@example.com");
    assert_string_equal(m.references[1], "mid@example.com");
    assert_string_equal(m.references[2], "parent@example.com");
    assert_string_equal(m.subject, "Hello   world");
    assert_string_equal(m.from.name, "Alice Smith");
    assert_string_equal(m.from.addr, "Alice.Smith@example.com");
    assert_string_equal(m.reply_to.name, "Help Desk");
    assert_string_equal(m.reply_to.addr, "help@example.org");
    assert_int_equal(m.nto, 2);
    assert_string_equal(m.to[0].name, "Support");
    assert_string_equal(m.to[1].addr, "bob@example.net");
    assert_string_equal(m.to[1].name, "");
    assert_int_equal(m.ncc, 3); /* the group is flattened */
    assert_string_equal(m.cc[0].addr, "carol@example.com");
    assert_string_equal(m.cc[2].addr, "eve@example.com");
    assert_int_equal(m.date_ms, 1751358030000LL);
    assert_string_equal(m.text, "Body line\n");
    assert_null(m.html);
    assert_int_equal(m.nparts, 0);
    assert_false(m.auto_submitted || m.precedence_bulk || m.x_autoreply || m.list_mail ||
                 m.from_robot || m.is_bounce);
    sb_mime_release(&m);
}

static void test_ids_without_brackets(void **state)
{
    (void)state;
    sb_mime_message m;
    parse("From: a@example.com\nMessage-ID: bare-id@example.com\n"
          "In-Reply-To: other@example.com\nReferences: r1@example.com r2@example.com\n\nx\n",
          &m);
    assert_string_equal(m.message_id, "bare-id@example.com");
    assert_string_equal(m.in_reply_to, "other@example.com");
    assert_int_equal(m.nreferences, 2);
    assert_string_equal(m.references[1], "r2@example.com");
    sb_mime_release(&m);
}

static void test_references_capped(void **state)
{
    (void)state;
    GString *raw = g_string_new("From: a@example.com\nReferences:");
    for (int i = 0; i < 300; i++)
        g_string_append_printf(raw, " <ref%d@example.com>\n", i);
    g_string_append(raw, "\nbody\n");
    sb_mime_message m;
    parse(raw->str, &m);
    assert_int_equal(m.nreferences, 100);
    assert_string_equal(m.references[0], "ref0@example.com");     /* thread root kept */
    assert_string_equal(m.references[99], "ref299@example.com");  /* and the newest */
    sb_mime_release(&m);
    g_string_free(raw, TRUE);
}

static void test_max_addresses(void **state)
{
    (void)state;
    GString *raw = g_string_new("From: a@example.com\nTo: ");
    for (int i = 0; i < 8; i++)
        g_string_append_printf(raw, "%su%d@example.com", i ? ", " : "", i);
    g_string_append(raw, "\nCc: c1@example.com, c2@example.com\n\nbody\n");
    sb_mime_limits lim;
    sb_mime_limits_default(&lim);
    lim.max_addresses = 9;
    sb_mime_message m;
    parse_lim(raw->str, raw->len, &lim, &m);
    assert_int_equal(m.nto, 8);
    assert_int_equal(m.ncc, 1);
    assert_non_null(m.warning);
    sb_mime_release(&m);
    g_string_free(raw, TRUE);
}

static void test_bad_date(void **state)
{
    (void)state;
    sb_mime_message m;
    parse("From: a@example.com\nDate: the day before yesterday\n\nx\n", &m);
    assert_true(m.parsed);
    assert_int_equal(m.date_ms, 0);
    sb_mime_release(&m);
}

/* ------------------------------------------------------------------------ */
/* Charsets and encoded words                                               */
/* ------------------------------------------------------------------------ */

static void test_latin1_quoted_printable_body(void **state)
{
    (void)state;
    sb_mime_message m;
    parse(HDR "MIME-Version: 1.0\n"
              "Content-Type: text/plain; charset=ISO-8859-1\n"
              "Content-Transfer-Encoding: quoted-printable\n\n"
              "Caf=E9 cr=E8me br=FBl=E9e, soft=\n"
              " break, equals =3D sign, =93quotes=94\n",
          &m);
    /* 0x93/0x94 are not Latin-1: read as windows-1252, as every mail client does */
    assert_string_equal(m.text, "Café crème brûlée, soft break, equals = sign, “quotes”\n");
    sb_mime_release(&m);
}

static void test_koi8r_subject(void **state)
{
    (void)state;
    sb_mime_message m;
    parse("From: a@example.com\nSubject: =?KOI8-R?B?8NLJ18XULCDNydI=?=\n\nx\n", &m);
    assert_string_equal(m.subject, "Привет, мир");
    sb_mime_release(&m);
}

static void test_windows1251_subject(void **state)
{
    (void)state;
    sb_mime_message m;
    parse("From: a@example.com\n"
          "Subject: =?windows-1251?Q?=D1=F7=B8=F2_=EE=EF=EB=E0=F7=E5=ED?= (#42)\n\nx\n",
          &m);
    assert_string_equal(m.subject, "Счёт оплачен (#42)");
    sb_mime_release(&m);
}

static void test_encoded_word_without_spaces(void **state)
{
    (void)state;
    sb_mime_message m;
    parse("From: a@example.com\nSubject: Re:=?utf-8?q?Caf=C3=A9?=ordered\n\nx\n", &m);
    assert_string_equal(m.subject, "Re:Caféordered");
    sb_mime_release(&m);
}

static void test_encoded_word_split_mid_character(void **state)
{
    (void)state;
    sb_mime_message m;
    /* "При" split inside the UTF-8 sequence of "р", in base64 and in Q */
    parse("From: a@example.com\nSubject: =?utf-8?b?0J/R?= =?utf-8?b?gNC4?=\n\nx\n", &m);
    assert_string_equal(m.subject, "При");
    sb_mime_release(&m);
    parse("From: a@example.com\nSubject: =?utf-8?q?caf=C3?=\n =?utf-8?q?=A9?=\n\nx\n", &m);
    assert_string_equal(m.subject, "café");
    sb_mime_release(&m);
}

static void test_encoded_word_unknown_charset(void **state)
{
    (void)state;
    sb_mime_message m;
    parse("From: a@example.com\nSubject: =?x-unknown?q?caf=E9?= ok\n\nx\n", &m);
    assert_string_equal(m.subject, "café ok");
    sb_mime_release(&m);
    parse("From: a@example.com\nSubject: =?x-bogus?q?caf=C3=A9?=\n\nx\n", &m);
    assert_string_equal(m.subject, "café");
    sb_mime_release(&m);
    /* Outlook's name for UTF-7 */
    parse("From: a@example.com\nSubject: =?unicode-1-1-utf-7?q?+AOk-t+AOk-?=\n\nx\n", &m);
    assert_string_equal(m.subject, "été");
    sb_mime_release(&m);
}

static void test_encoded_word_in_quoted_string(void **state)
{
    (void)state;
    sb_mime_message m;
    parse("From: \"=?utf-8?q?J=C3=B6rg_M=C3=BCller?=\" <Joerg@Example.COM>\n"
          "To: =?iso-8859-1?q?Andr=E9?= <andre@example.com>\n\nx\n",
          &m);
    assert_string_equal(m.from.name, "Jörg Müller");
    assert_string_equal(m.from.addr, "Joerg@example.com");
    assert_string_equal(m.to[0].name, "André");
    sb_mime_release(&m);
}

static void test_broken_encoded_words_stay_readable(void **state)
{
    (void)state;
    sb_mime_message m;
    /* unterminated word, bad base64, raw 8-bit bytes: kept readable, never invalid */
    parse("From: a@example.com\n"
          "Subject: =?utf-8?q?open caf\xe9 =?utf-8?b?!!!?= \xd0\x9f\xd1\x80\xd0\xb8\n\nx\n",
          &m);
    assert_true(m.parsed);
    assert_non_null(strstr(m.subject, "open"));
    assert_non_null(strstr(m.subject, "При"));
    sb_mime_release(&m);
}

static void test_undeclared_8bit_body(void **state)
{
    (void)state;
    sb_mime_message m;
    parse(HDR "\nna\xefve fa\xe7" "ade \x93" "ok\x94\n", &m);
    assert_string_equal(m.text, "naïve façade “ok”\n");
    sb_mime_release(&m);
    /* undeclared but valid UTF-8 stays as it is */
    parse(HDR "\nnaïve\n", &m);
    assert_string_equal(m.text, "naïve\n");
    sb_mime_release(&m);
}

static void test_invalid_utf8_and_nul_bytes(void **state)
{
    (void)state;
    static const char raw[] = HDR "Content-Type: text/plain; charset=utf-8\n\n"
                                  "ok \xff\xfe bad \xc3 cut\0 nul \xed\xa0\x80 surrogate\n";
    sb_mime_limits lim;
    sb_mime_limits_default(&lim);
    sb_mime_message m;
    parse_lim(raw, sizeof raw - 1, &lim, &m);
    assert_string_equal(m.text, "ok \xef\xbf\xbd\xef\xbf\xbd bad \xef\xbf\xbd cut nul "
                                "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd surrogate\n");
    sb_mime_release(&m);
}

static void test_unknown_body_charset(void **state)
{
    (void)state;
    sb_mime_message m;
    parse(HDR "Content-Type: text/plain; charset=x-no-such-charset\n\nplain ascii\n", &m);
    assert_string_equal(m.text, "plain ascii\n");
    assert_non_null(m.warning);
    sb_mime_release(&m);
    /* a misspelt UTF-8 label is still UTF-8 */
    parse(HDR "Content-Type: text/plain; charset=uft-8\n\nna\xc3\xafve\n", &m);
    assert_string_equal(m.text, "naïve\n");
    sb_mime_release(&m);
}

static void test_shift_jis_body(void **state)
{
    (void)state;
    sb_mime_message m;
    parse(HDR "Content-Type: text/plain; charset=Shift_JIS\nContent-Transfer-Encoding: 8bit\n\n"
              "\x93\xfa\x96\x7b\x8c\xea\x82\xcc\x83\x65\x83\x4c\x83\x58\x83\x67\n",
          &m);
    assert_string_equal(m.text, "日本語のテキスト\n");
    sb_mime_release(&m);
}

static void test_iso2022jp_body(void **state)
{
    (void)state;
    sb_mime_message m;
    parse(HDR "Content-Type: text/plain; charset=ISO-2022-JP\n\n"
              "\x1b" "$BF|K\\8l$N%F%-%9%H" "\x1b" "(B end\n",
          &m);
    assert_string_equal(m.text, "日本語のテキスト end\n");
    sb_mime_release(&m);
    /* Japanese bounces often omit the charset: the escape sequences give it away */
    parse(HDR "\n\x1b" "$BF|K\\8l" "\x1b" "(B\n", &m);
    assert_string_equal(m.text, "日本語\n");
    sb_mime_release(&m);
}

static void test_cjk_and_korean_bodies(void **state)
{
    (void)state;
    static const struct {
        const char *charset, *body, *want;
    } cases[] = {
        {"gb2312", "\xd6\xd0\xce\xc4\xd3\xca\xbc\xfe", "中文邮件"},
        {"GBK", "\xd6\xd0\xce\xc4\xd3\xca\xbc\xfe", "中文邮件"},
        {"gb18030", "\xd6\xd0\xce\xc4\xd3\xca\xbc\xfe", "中文邮件"},
        {"big5", "\xa4\xa4\xa4\xe5\xb6\x6c\xa5\xf3", "中文郵件"},
        {"euc-kr", "\xc7\xd1\xb1\xb9\xbe\xee\x20\xb8\xde\xc0\xcf", "한국어 메일"},
        {"ks_c_5601-1987", "\xc7\xd1\xb1\xb9\xbe\xee", "한국어"},
        {"koi8-u", "\xf0\xd2\xc9\xd7\xa6\xd4", "Привіт"},
        {"windows-1250", "\x8a\x9e\x9d", "Šžť"},
        {"iso-8859-2", "\xa9\xbe\xbb", "Šžť"},
        {"iso-8859-15", "\xa4", "€"},
        {"utf-7", "+BB8EQAQ4BDIENQRC +AOk-", "Привет é"},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        char *raw = g_strdup_printf(HDR "Content-Type: text/plain; charset=\"%s\"\n\n%s",
                                    cases[i].charset, cases[i].body);
        sb_mime_message m;
        parse(raw, &m);
        if (strcmp(m.text, cases[i].want) != 0)
            fail_msg("%s: got \"%s\"", cases[i].charset, m.text);
        sb_mime_release(&m);
        g_free(raw);
    }
}

static void test_utf16_body(void **state)
{
    (void)state;
    sb_mime_message m;
    parse(HDR "Content-Type: text/plain; charset=utf-16\nContent-Transfer-Encoding: base64\n\n"
              "//5IAGUAbABsAG8AIAAfBEAEOAQyBDUEQgQ=\n",
          &m);
    assert_string_equal(m.text, "Hello Привет");
    sb_mime_release(&m);
}

/* The reference texts GMime's own tests use: each encoding must give the UTF-8 text
 * byte for byte. */
static void test_reference_charset_texts(void **state)
{
    (void)state;
    static const struct {
        const char *file, *charset, *utf8;
    } refs[] = {
        {"cyrillic.koi8-r.txt", "koi8-r", "cyrillic.utf-8.txt"},
        {"cyrillic.cp1251.txt", "windows-1251", "cyrillic.utf-8.txt"},
        {"cyrillic.iso-8859-5.txt", "iso-8859-5", "cyrillic.utf-8.txt"},
        {"japanese.shift-jis.txt", "shift_jis", "japanese.utf-8.txt"},
        {"japanese.iso-2022-jp.txt", "iso-2022-jp", "japanese.utf-8.txt"},
        {"cyrillic.utf-8.txt", "utf-8", "cyrillic.utf-8.txt"},
    };
    char *root = data_dir();
    char *dir = g_build_filename(root, "charset-gmime-filters", "filters", NULL);
    g_free(root);
    if (!g_file_test(dir, G_FILE_TEST_IS_DIR)) {
        print_message("reference texts not found in %s, skipped\n", dir);
        g_free(dir);
        skip();
        return;
    }
    for (size_t i = 0; i < G_N_ELEMENTS(refs); i++) {
        char *src_path = g_build_filename(dir, refs[i].file, NULL);
        char *want_path = g_build_filename(dir, refs[i].utf8, NULL);
        gchar *src, *want;
        gsize src_len, want_len;
        assert_true(g_file_get_contents(src_path, &src, &src_len, NULL));
        assert_true(g_file_get_contents(want_path, &want, &want_len, NULL));
        /* once as base64, once as raw 8bit (iso-2022-jp is 7bit anyway) */
        for (int enc = 0; enc < 2; enc++) {
            char *b64 = g_base64_encode((const guchar *)src, src_len);
            char *raw = enc == 0
                            ? g_strdup_printf(HDR "Content-Type: text/plain; charset=%s\n"
                                                  "Content-Transfer-Encoding: base64\n\n%s\n",
                                              refs[i].charset, b64)
                            : g_strdup_printf(HDR "Content-Type: text/plain; charset=%s\n"
                                                  "Content-Transfer-Encoding: 8bit\n\n%.*s",
                                              refs[i].charset, (int)src_len, src);
            sb_mime_message m;
            parse(raw, &m);
            if (strlen(m.text) != want_len || memcmp(m.text, want, want_len) != 0)
                fail_msg("%s (%s): conversion differs from %s", refs[i].file,
                         enc ? "8bit" : "base64", refs[i].utf8);
            sb_mime_release(&m);
            g_free(raw);
            g_free(b64);
        }
        g_free(src);
        g_free(want);
        g_free(src_path);
        g_free(want_path);
    }
    /* The Big5 text is a lossy copy of the UTF-8 one (which has Japanese kanji Big5 lacks):
     * the conversion must give the reference minus those, in order. */
    {
        char *src_path = g_build_filename(dir, "chinese.big5.txt", NULL);
        char *want_path = g_build_filename(dir, "chinese.utf-8.txt", NULL);
        gchar *src, *want;
        gsize src_len, want_len;
        assert_true(g_file_get_contents(src_path, &src, &src_len, NULL));
        assert_true(g_file_get_contents(want_path, &want, &want_len, NULL));
        char *b64 = g_base64_encode((const guchar *)src, src_len);
        char *raw = g_strdup_printf(HDR "Content-Type: text/plain; charset=big5\n"
                                        "Content-Transfer-Encoding: base64\n\n%s\n",
                                    b64);
        sb_mime_message m;
        parse(raw, &m);
        const char *w = want;
        long kept = 0;
        for (const char *p = m.text; *p; p = g_utf8_next_char(p), kept++) {
            gunichar ch = g_utf8_get_char(p);
            while (*w && g_utf8_get_char(w) != ch)
                w = g_utf8_next_char(w);
            if (!*w)
                fail_msg("chinese.big5.txt: character %ld is not in the reference", kept);
            w = g_utf8_next_char(w);
        }
        assert_true(kept * 10 > g_utf8_strlen(want, -1) * 8);
        sb_mime_release(&m);
        g_free(raw);
        g_free(b64);
        g_free(src);
        g_free(want);
        g_free(src_path);
        g_free(want_path);
    }
    /* French fable in windows-1252 (no UTF-8 reference: check telling phrases) */
    char *fr_path = g_build_filename(dir, "french-fable.cp1252.txt", NULL);
    gchar *fr;
    gsize fr_len;
    assert_true(g_file_get_contents(fr_path, &fr, &fr_len, NULL));
    char *b64 = g_base64_encode((const guchar *)fr, fr_len);
    char *raw = g_strdup_printf(HDR "Content-Type: text/plain; charset=windows-1252\n"
                                    "Content-Transfer-Encoding: base64\n\n%s\n",
                                b64);
    sb_mime_message m;
    parse(raw, &m);
    assert_non_null(strstr(m.text, "Maître Corbeau, sur un arbre perché,\n"));
    assert_non_null(strstr(m.text, "par l’odeur alléché"));
    assert_non_null(strstr(m.text, "« Hé ! bonjour"));
    sb_mime_release(&m);
    g_free(raw);
    g_free(b64);
    g_free(fr);
    g_free(fr_path);
    g_free(dir);
}

/* ------------------------------------------------------------------------ */
/* Parts                                                                    */
/* ------------------------------------------------------------------------ */

static void test_rfc2231_filename(void **state)
{
    (void)state;
    sb_mime_message m;
    parse(HDR "Content-Type: multipart/mixed; boundary=XX\n\n"
              "--XX\nContent-Type: text/plain\n\nsee attached\n"
              "--XX\nContent-Type: application/pdf\n"
              "Content-Disposition: attachment;\n"
              " filename*0*=UTF-8''%D0%9E%D1%82%D1%87%D1%91%D1%82;\n"
              " filename*1*=%20%E2%84%962.pdf\n"
              "Content-Transfer-Encoding: base64\n\nJVBERi0xLjQK\n"
              "--XX\nContent-Type: application/octet-stream;\n"
              " name*=iso-8859-1'fr'r%E9sum%E9.txt\n\nx\n"
              "--XX\nContent-Type: image/png; name=\"=?utf-8?b?0KTQvtGC0L4ucG5n?=\"\n"
              "Content-Transfer-Encoding: base64\n\niVBORw0KGgo=\n"
              "--XX--\n",
          &m);
    assert_string_equal(m.text, "see attached"); /* the newline belongs to the boundary */
    assert_int_equal(m.nparts, 3);
    assert_string_equal(m.parts[0].filename, "Отчёт №2.pdf");
    assert_string_equal(m.parts[0].content_type, "application/pdf");
    assert_int_equal(m.parts[0].size, 9);
    assert_memory_equal(m.parts[0].data, "%PDF-1.4\n", 9);
    assert_false(m.parts[0].is_inline);
    assert_string_equal(m.parts[1].filename, "résumé.txt");
    assert_string_equal(m.parts[2].filename, "Фото.png"); /* RFC 2047 in a parameter */
    sb_mime_release(&m);
}

static void test_base64_attachment(void **state)
{
    (void)state;
    sb_mime_message m;
    parse(HDR "Content-Type: multipart/mixed; boundary=\"b1\"\n\n"
              "preamble\n--b1\nContent-Type: text/plain; charset=us-ascii\n\nHello\n"
              "--b1\nContent-Type: application/octet-stream; name=\"blob.bin\"\n"
              "Content-Disposition: attachment; filename=\"../../etc/blob.bin\"\n"
              "Content-Transfer-Encoding: base64\n\n"
              "AAECAwQFBgcICQoLDA0ODxAREhMUFRYX\nGBkaGxwdHh8gISIjJCUmJw==\n"
              "--b1--\nepilogue\n",
          &m);
    assert_string_equal(m.text, "Hello");
    assert_int_equal(m.nparts, 1);
    const sb_mime_part *p = &m.parts[0];
    assert_string_equal(p->filename, "blob.bin"); /* no directories */
    assert_string_equal(p->content_type, "application/octet-stream");
    assert_null(p->content_id);
    assert_false(p->truncated);
    assert_int_equal(p->size, 40);
    for (size_t i = 0; i < 40; i++)
        assert_int_equal(p->data[i], i);
    sb_mime_release(&m);
}

static void test_nested_alternative_related(void **state)
{
    (void)state;
    sb_mime_message m;
    parse(HDR "Content-Type: multipart/mixed; boundary=M\n\n"
              "--M\nContent-Type: multipart/alternative; boundary=A\n\n"
              "--A\nContent-Type: text/plain; charset=utf-8\n\nPlain version\n"
              "--A\nContent-Type: multipart/related; boundary=R; type=\"text/html\"\n\n"
              "--R\nContent-Type: text/html; charset=utf-8\n\n"
              "<p>HTML <img src=\"cid:logo@example.com\"></p>\n"
              "--R\nContent-Type: image/png\nContent-ID: <logo@example.com>\n"
              "Content-Transfer-Encoding: base64\n\niVBORw0KGgo=\n"
              "--R--\n"
              "--A--\n"
              "--M\nContent-Type: application/zip; name=files.zip\n"
              "Content-Disposition: attachment\nContent-Transfer-Encoding: base64\n\nUEsDBA==\n"
              "--M\nContent-Type: image/gif\nContent-ID: <mixed@example.com>\n"
              "Content-Disposition: attachment; filename=spacer.gif\n\nGIF89a\n"
              "--M--\n",
          &m);
    assert_string_equal(m.text, "Plain version");
    assert_string_equal(m.html, "<p>HTML <img src=\"cid:logo@example.com\"></p>");
    assert_int_equal(m.nparts, 3);
    const sb_mime_part *img = find_part(&m, "image/png");
    assert_non_null(img);
    assert_true(img->is_inline);
    assert_string_equal(img->content_id, "logo@example.com");
    assert_string_equal(img->filename, "image.png");
    assert_int_equal(img->size, 8);
    const sb_mime_part *zip = find_part(&m, "application/zip");
    assert_non_null(zip);
    assert_false(zip->is_inline);
    assert_string_equal(zip->filename, "files.zip");
    const sb_mime_part *gif = find_part(&m, "image/gif");
    assert_non_null(gif);
    assert_false(gif->is_inline); /* has a Content-ID, but the HTML never uses it */
    sb_mime_release(&m);
}

static void test_alternative_prefers_first_of_each_kind(void **state)
{
    (void)state;
    sb_mime_message m;
    parse(HDR "Content-Type: multipart/alternative; boundary=A\n\n"
              "--A\nContent-Type: text/plain\n\nplain\n"
              "--A\nContent-Type: text/enriched\n\n<bold>rich</bold>\n"
              "--A\nContent-Type: text/html\n\n<b>html</b>\n"
              "--A\nContent-Type: text/plain\n\nsecond plain\n"
              "--A--\n",
          &m);
    assert_string_equal(m.text, "plain");
    assert_string_equal(m.html, "<b>html</b>");
    assert_int_equal(m.nparts, 0);
    sb_mime_release(&m);
}

static void test_html_only(void **state)
{
    (void)state;
    sb_mime_message m;
    parse(HDR "Content-Type: text/html; charset=windows-1252\n\n<p>caf\xe9</p>\r\n", &m);
    assert_string_equal(m.text, "");
    assert_string_equal(m.html, "<p>café</p>\n");
    sb_mime_release(&m);
}

static void test_html_meta_charset(void **state)
{
    (void)state;
    sb_mime_message m;
    /* no MIME charset: the <meta> tag names windows-1251 */
    parse(HDR "Content-Type: text/html\n\n"
              "<html><head><meta http-equiv=\"Content-Type\" content=\"text/html; "
              "charset=windows-1251\"></head><body>\xcf\xf0\xe8\xe2\xe5\xf2</body></html>\n",
          &m);
    assert_non_null(strstr(m.html, "<body>Привет</body>"));
    sb_mime_release(&m);
}

static void test_mixed_text_parts_are_joined(void **state)
{
    (void)state;
    sb_mime_message m;
    /* Apple Mail: text, inline image, more text */
    parse(HDR "Content-Type: multipart/mixed; boundary=M\n\n"
              "--M\nContent-Type: text/plain\n\nBefore the picture"
              "\n--M\nContent-Type: image/jpeg; name=photo.jpg\nContent-Disposition: inline; "
              "filename=photo.jpg\nContent-Transfer-Encoding: base64\n\n/9j/4AAQ\n"
              "--M\nContent-Type: text/plain\n\nAfter the picture\n"
              "--M--\n",
          &m);
    assert_string_equal(m.text, "Before the picture\nAfter the picture");
    assert_int_equal(m.nparts, 1);
    assert_true(m.parts[0].is_inline);
    assert_string_equal(m.parts[0].filename, "photo.jpg");
    sb_mime_release(&m);
}

static void test_message_rfc822_attachment(void **state)
{
    (void)state;
    sb_mime_message m;
    parse(HDR "Content-Type: multipart/mixed; boundary=M\n\n"
              "--M\nContent-Type: text/plain\n\nForwarding this.\n"
              "--M\nContent-Type: message/rfc822\nContent-Disposition: attachment\n\n"
              "From: Bob <bob@example.com>\nSubject: =?utf-8?q?Original_/_caf=C3=A9?=\n"
              "Message-ID: <inner@example.com>\n\nInner body\n"
              "--M--\n",
          &m);
    assert_string_equal(m.text, "Forwarding this.");
    assert_int_equal(m.nparts, 1);
    const sb_mime_part *p = &m.parts[0];
    assert_string_equal(p->content_type, "message/rfc822");
    assert_string_equal(p->filename, "Original _ café.eml");
    assert_non_null(p->data);
    assert_non_null(strstr((const char *)p->data, "Inner body"));
    assert_non_null(strstr((const char *)p->data, "Message-ID: <inner@example.com>"));
    assert_false(m.is_bounce);
    assert_null(m.bounced_message_id);
    sb_mime_release(&m);
}

static void test_calendar_and_tnef_kept(void **state)
{
    (void)state;
    sb_mime_message m;
    parse(HDR "Content-Type: multipart/mixed; boundary=M\n\n"
              "--M\nContent-Type: multipart/alternative; boundary=A\n\n"
              "--A\nContent-Type: text/plain\n\nYou are invited\n"
              "--A\nContent-Type: text/calendar; method=REQUEST; charset=utf-8\n\n"
              "BEGIN:VCALENDAR\nMETHOD:REQUEST\nEND:VCALENDAR\n"
              "--A--\n"
              "--M\nContent-Type: application/ms-tnef\nContent-Transfer-Encoding: base64\n\n"
              "eJ8+IgEA\n"
              "--M--\n",
          &m);
    assert_string_equal(m.text, "You are invited");
    const sb_mime_part *cal = find_part(&m, "text/calendar");
    assert_non_null(cal);
    assert_string_equal(cal->filename, "invite.ics");
    assert_non_null(strstr((const char *)cal->data, "METHOD:REQUEST"));
    const sb_mime_part *tnef = find_part(&m, "application/ms-tnef");
    assert_non_null(tnef);
    assert_string_equal(tnef->filename, "winmail.dat");
    assert_int_equal(tnef->size, 6);
    sb_mime_release(&m);
}

static void test_text_attachment_not_body(void **state)
{
    (void)state;
    sb_mime_message m;
    parse(HDR "Content-Type: multipart/mixed; boundary=M\n\n"
              "--M\nContent-Type: text/plain\n\nbody\n"
              "--M\nContent-Type: text/plain; name=log.txt\n\nlog line\n"
              "--M\nContent-Type: text/html\nContent-Disposition: attachment\n\n<p>page</p>\n"
              "--M--\n",
          &m);
    assert_string_equal(m.text, "body");
    assert_null(m.html);
    assert_int_equal(m.nparts, 2);
    assert_string_equal(m.parts[0].filename, "log.txt");
    assert_string_equal(m.parts[1].filename, "attachment.html");
    sb_mime_release(&m);
}

static void test_multipart_without_parts_keeps_text(void **state)
{
    (void)state;
    sb_mime_message m;
    parse(HDR "Content-Type: multipart/mixed; boundary=never-used\n\nThe text is here.\n", &m);
    assert_true(m.parsed);
    assert_non_null(strstr(m.text, "The text is here."));
    assert_non_null(m.warning);
    sb_mime_release(&m);
}

/* ------------------------------------------------------------------------ */
/* Bounces                                                                  */
/* ------------------------------------------------------------------------ */

static void test_dsn(void **state)
{
    (void)state;
    sb_mime_message m;
    parse("From: Mail Delivery System <MAILER-DAEMON@mx.Example.net>\n"
          "To: support@example.com\nSubject: Undelivered Mail Returned to Sender\n"
          "Auto-Submitted: auto-replied\nMessage-ID: <bounce-1@mx.example.net>\n"
          "Content-Type: multipart/report; report-type=delivery-status; boundary=\"R\"\n\n"
          "--R\nContent-Type: text/plain\n\nI'm sorry to have to inform you...\n"
          "--R\nContent-Type: message/delivery-status\n\n"
          "Reporting-MTA: dns; mx.example.net\n\n"
          "Final-Recipient: rfc822; Bob@Example.COM\n"
          "Original-Recipient: rfc822;bob@example.com\n"
          "Action: failed\nStatus: 5.1.1\n"
          "Diagnostic-Code: smtp; 550 5.1.1 <bob@example.com>: Recipient address rejected\n"
          "--R\nContent-Type: text/rfc822-headers\n\n"
          "From: support@example.com\nTo: bob@example.com\n"
          "Message-ID:\n <reply-42.7@switchboard.example.com>\nSubject: Re: help\n"
          "--R--\n",
          &m);
    assert_true(m.is_bounce);
    assert_true(m.from_robot);
    assert_true(m.auto_submitted);
    assert_string_equal(m.bounced_message_id, "reply-42.7@switchboard.example.com");
    assert_string_equal(m.bounced_recipient, "Bob@example.com");
    assert_string_equal(m.bounce_status, "5.1.1");
    assert_string_equal(m.text, "I'm sorry to have to inform you...");
    assert_non_null(find_part(&m, "message/delivery-status"));
    assert_non_null(find_part(&m, "text/rfc822-headers"));
    sb_mime_release(&m);
}

static void test_dsn_with_returned_message_and_delay(void **state)
{
    (void)state;
    sb_mime_message m;
    parse("From: postmaster@example.net\nTo: support@example.com\nSubject: Delivery delayed\n"
          "Content-Type: multipart/report; report-type=\"Delivery-Status\"; boundary=R\n\n"
          "--R\nContent-Type: text/plain\n\nStill trying.\n"
          "--R\nContent-Type: message/delivery-status\n\n"
          "Reporting-MTA: dns; example.net\n"
          "Final-Recipient: rfc822; a@example.org\nAction: delayed\nStatus: 4.4.7\n\n"
          "Final-Recipient: rfc822; <b@example.org>\nAction: failed\nStatus: 5.2.2 (full)\n"
          "--R\nContent-Type: message/rfc822\n\n"
          "From: support@example.com\nSubject: Your ticket\nMessage-Id: <orig@example.com>\n\nHi\n"
          "--R--\n",
          &m);
    assert_true(m.is_bounce);
    assert_string_equal(m.bounced_message_id, "orig@example.com");
    assert_string_equal(m.bounced_recipient, "b@example.org"); /* the failed one wins */
    assert_string_equal(m.bounce_status, "5.2.2");
    const sb_mime_part *p = find_part(&m, "message/rfc822");
    assert_non_null(p);
    assert_string_equal(p->filename, "Your ticket.eml");
    sb_mime_release(&m);
}

static void test_nonstandard_bounce(void **state)
{
    (void)state;
    static const char *const subjects[] = {
        "Undelivered Mail Returned to Sender",
        "Delivery Status Notification (Failure)",
        "Mail delivery failed: returning message to sender",
    };
    for (size_t i = 0; i < G_N_ELEMENTS(subjects); i++) {
        char *raw = g_strdup_printf(
            "From: MAILER-DAEMON@mail.example.net\nTo: support@example.com\n"
            "Subject: %s\nMessage-ID: <own@mail.example.net>\n\n"
            "This message was created automatically by mail delivery software.\n\n"
            "A message that you sent could not be delivered to one or more of its\n"
            "recipients. This is a permanent error. The following address(es) failed:\n\n"
            "  <carol@example.org>: host mx.example.org said: 550 5.7.1 Rejected\n\n"
            "------ This is a copy of the message, including all the headers. ------\n"
            "From: support@example.com\n"
            "Message-ID: <reply-7@switchboard.example.com>\n"
            "Subject: Re: order\n",
            subjects[i]);
        sb_mime_message m;
        parse(raw, &m);
        assert_true(m.from_robot);
        assert_true(m.is_bounce);
        assert_string_equal(m.bounced_message_id, "reply-7@switchboard.example.com");
        assert_string_equal(m.bounced_recipient, "carol@example.org");
        assert_string_equal(m.bounce_status, "5.7.1");
        sb_mime_release(&m);
        g_free(raw);
    }
}

static void test_robot_sender_without_bounce(void **state)
{
    (void)state;
    sb_mime_message m;
    parse("From: Shop <no-reply@shop.example.com>\nSubject: Your order shipped\n\nYay\n", &m);
    assert_true(m.from_robot);
    assert_false(m.is_bounce);
    sb_mime_release(&m);
    parse("From: postmaster@example.com\nSubject: Question about DNS\n\nhello\n", &m);
    assert_true(m.from_robot);
    assert_false(m.is_bounce);
    sb_mime_release(&m);
    /* the null sender "<>" is a robot too */
    parse("From: MAILER-DAEMON <>\nSubject: Mail delivery failed\n\nsorry\n", &m);
    assert_true(m.from_robot);
    assert_true(m.is_bounce);
    assert_string_equal(m.from.addr, "");
    assert_string_equal(m.from.name, "MAILER-DAEMON");
    sb_mime_release(&m);
}

/* ------------------------------------------------------------------------ */
/* Loop and noise signals                                                   */
/* ------------------------------------------------------------------------ */

static void test_loop_signals(void **state)
{
    (void)state;
    static const struct {
        const char *header;
        int auto_submitted, bulk, xauto, list;
    } cases[] = {
        {"Auto-Submitted: auto-replied", 1, 0, 0, 0},
        {"Auto-Submitted: Auto-Generated; owner-email=\"x@y\"", 1, 0, 0, 0},
        {"Auto-Submitted: no", 0, 0, 0, 0},
        {"Auto-Submitted: No (comment)", 0, 0, 0, 0},
        {"Precedence: bulk", 0, 1, 0, 0},
        {"Precedence: JUNK", 0, 1, 0, 0},
        {"Precedence: list", 0, 1, 0, 0},
        {"Precedence: first-class", 0, 0, 0, 0},
        {"X-Autoreply: yes", 0, 0, 1, 0},
        {"X-Autorespond: Out of office", 0, 0, 1, 0},
        {"X-Auto-Response-Suppress: DR, OOF", 0, 0, 1, 0},
        {"X-Auto-Response-Suppress: All", 0, 0, 1, 0},
        {"X-Auto-Response-Suppress: DR", 0, 0, 0, 0},
        {"List-Id: Users <users.lists.example.org>", 0, 0, 0, 1},
        {"List-Unsubscribe: <mailto:leave@example.org>", 0, 0, 0, 1},
        {"List-Post: <mailto:users@example.org>", 0, 0, 0, 1},
        {"X-Mailer: Thunderbird", 0, 0, 0, 0},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        char *raw = g_strdup_printf("From: a@example.com\n%s\nSubject: s\n\nbody\n",
                                    cases[i].header);
        sb_mime_message m;
        parse(raw, &m);
        if (m.auto_submitted != cases[i].auto_submitted || m.precedence_bulk != cases[i].bulk ||
            m.x_autoreply != cases[i].xauto || m.list_mail != cases[i].list)
            fail_msg("signals wrong for \"%s\"", cases[i].header);
        assert_false(m.from_robot);
        sb_mime_release(&m);
        g_free(raw);
    }
}

/* ------------------------------------------------------------------------ */
/* Line endings, limits, junk                                               */
/* ------------------------------------------------------------------------ */

static void test_line_endings(void **state)
{
    (void)state;
    static const char tmpl[] =
        "From: Alice <alice@example.com>\nSubject: =?utf-8?q?Line_endings_=E2=9C=93?=\n"
        "Content-Type: multipart/mixed; boundary=B\n\n"
        "--B\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n\n"
        "Line one=\nstill one\nLine two\n"
        "--B\nContent-Type: application/octet-stream; name=a.bin\n"
        "Content-Transfer-Encoding: base64\n\nAAEC\nAwQF\n"
        "--B--\n";
    static const char *const eols[] = {"\n", "\r\n", "\r"};
    for (size_t i = 0; i < G_N_ELEMENTS(eols); i++) {
        char *raw = with_eol(tmpl, eols[i]);
        sb_mime_message m;
        parse(raw, &m);
        assert_true(m.parsed);
        assert_string_equal(m.subject, "Line endings ✓");
        assert_string_equal(m.from.addr, "alice@example.com");
        assert_string_equal(m.text, "Line onestill one\nLine two");
        assert_int_equal(m.nparts, 1);
        assert_int_equal(m.parts[0].size, 6);
        assert_memory_equal(m.parts[0].data, "\x00\x01\x02\x03\x04\x05", 6);
        sb_mime_release(&m);
        g_free(raw);
    }
}

static void test_attachment_over_limit(void **state)
{
    (void)state;
    static const char raw[] = HDR "Content-Type: multipart/mixed; boundary=B\n\n"
                                  "--B\nContent-Type: text/plain\n\nsee file\n"
                                  "--B\nContent-Type: application/pdf; name=big.pdf\n"
                                  "Content-Transfer-Encoding: base64\n\n"
                                  "QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFB\n"
                                  "--B\nContent-Type: application/pdf; name=small.pdf\n\nabc\n"
                                  "--B\nContent-Type: message/rfc822\n\n"
                                  "Subject: big inner\n\nlots of text in here\n"
                                  "--B--\n";
    sb_mime_limits lim;
    sb_mime_limits_default(&lim);
    lim.max_attachment = 10;
    sb_mime_message m;
    parse_lim(raw, sizeof raw - 1, &lim, &m);
    assert_int_equal(m.nparts, 3);
    assert_string_equal(m.parts[0].filename, "big.pdf");
    assert_true(m.parts[0].truncated);
    assert_null(m.parts[0].data);
    assert_int_equal(m.parts[0].size, 45); /* the real decoded size */
    assert_false(m.parts[1].truncated);
    assert_int_equal(m.parts[1].size, 3);
    assert_true(m.parts[2].truncated);
    assert_null(m.parts[2].data);
    assert_non_null(m.warning);
    assert_string_equal(m.text, "see file");
    sb_mime_release(&m);
}

static void test_body_over_limit(void **state)
{
    (void)state;
    GString *raw = g_string_new(HDR "Content-Type: text/plain; charset=utf-8\n\n");
    for (int i = 0; i < 100; i++)
        g_string_append(raw, "ж"); /* two bytes each */
    sb_mime_limits lim;
    sb_mime_limits_default(&lim);
    lim.max_body = 51;
    sb_mime_message m;
    parse_lim(raw->str, raw->len, &lim, &m);
    assert_int_equal(strlen(m.text), 50); /* cut at a character boundary */
    assert_non_null(m.warning);
    sb_mime_release(&m);
    g_string_free(raw, TRUE);
}

static char *nested_message(int levels)
{
    GString *s = g_string_new("From: a@example.com\nSubject: deep\n");
    for (int i = 0; i < levels; i++)
        g_string_append_printf(s, "Content-Type: multipart/mixed; boundary=\"b%d\"\n\n--b%d\n",
                               i, i);
    g_string_append(s, "Content-Type: text/plain\n\ndeep text\n");
    for (int i = levels - 1; i >= 0; i--)
        g_string_append_printf(s, "--b%d--\n", i);
    return g_string_free(s, FALSE);
}

static void test_nesting_deeper_than_limit(void **state)
{
    (void)state;
    char *raw = nested_message(30);
    sb_mime_message m;
    parse(raw, &m); /* max_depth 20 */
    assert_true(m.parsed);
    assert_string_equal(m.text, "");
    assert_non_null(m.warning);
    sb_mime_release(&m);

    sb_mime_limits lim;
    sb_mime_limits_default(&lim);
    lim.max_depth = 40;
    parse_lim(raw, strlen(raw), &lim, &m);
    assert_string_equal(m.text, "deep text");
    assert_null(m.warning);
    sb_mime_release(&m);
    g_free(raw);

    /* far beyond any sane depth: bounded by GMime and by us, no crash */
    raw = nested_message(5000);
    parse(raw, &m);
    assert_true(m.parsed);
    assert_non_null(m.warning);
    sb_mime_release(&m);
    g_free(raw);
}

static void test_more_parts_than_limit(void **state)
{
    (void)state;
    GString *raw = g_string_new(HDR "Content-Type: multipart/mixed; boundary=B\n\n");
    g_string_append(raw, "--B\nContent-Type: text/plain\n\nbody\n");
    for (int i = 0; i < 10; i++)
        g_string_append_printf(raw, "--B\nContent-Type: application/octet-stream; "
                                    "name=f%d.bin\n\ndata %d\n",
                               i, i);
    g_string_append(raw, "--B--\n");
    sb_mime_limits lim;
    sb_mime_limits_default(&lim);
    lim.max_parts = 5; /* the multipart itself, the text, three attachments */
    sb_mime_message m;
    parse_lim(raw->str, raw->len, &lim, &m);
    assert_true(m.parsed);
    assert_string_equal(m.text, "body");
    assert_int_equal(m.nparts, 3);
    assert_non_null(m.warning);
    sb_mime_release(&m);
    g_string_free(raw, TRUE);
}

static void test_no_body(void **state)
{
    (void)state;
    sb_mime_message m;
    parse(HDR "\n", &m);
    assert_true(m.parsed);
    assert_string_equal(m.subject, "test");
    assert_string_equal(m.text, "");
    assert_null(m.html);
    assert_int_equal(m.nparts, 0);
    assert_null(m.warning);
    sb_mime_release(&m);
}

static void test_header_only(void **state)
{
    (void)state;
    sb_mime_message m;
    parse("From: a@example.com\nSubject: only headers", &m);
    assert_true(m.parsed);
    assert_string_equal(m.subject, "only headers");
    assert_string_equal(m.from.addr, "a@example.com");
    assert_string_equal(m.text, "");
    sb_mime_release(&m);
}

static void test_missing_from(void **state)
{
    (void)state;
    sb_mime_message m;
    parse("To: support@example.com\nSubject: who am I\n\nhello\n", &m);
    assert_true(m.parsed);
    assert_string_equal(m.from.addr, "");
    assert_string_equal(m.from.name, "");
    assert_null(m.reply_to.addr);
    assert_non_null(m.warning);
    assert_string_equal(m.text, "hello\n");
    sb_mime_release(&m);
    /* a From GMime cannot parse still yields the address */
    parse("From: Bob Smith bob@Example.com\nSubject: s\n\nhi\n", &m);
    assert_string_equal(m.from.addr, "bob@example.com");
    assert_null(m.warning);
    sb_mime_release(&m);
}

static void test_binary_junk(void **state)
{
    (void)state;
    unsigned char junk[4096];
    guint32 seed = 12345;
    for (size_t i = 0; i < sizeof junk; i++) {
        seed = seed * 1103515245u + 12345u;
        junk[i] = (unsigned char)(seed >> 16);
    }
    junk[0] = 0x00;
    junk[1] = 0xff;
    sb_mime_limits lim;
    sb_mime_limits_default(&lim);
    sb_mime_message m;
    parse_lim((const char *)junk, sizeof junk, &lim, &m);
    assert_false(m.parsed);
    assert_non_null(m.warning);
    sb_mime_release(&m);
    /* empty input and plain prose are not mail either */
    parse_lim("", 0, &lim, &m);
    assert_false(m.parsed);
    assert_non_null(m.warning);
    sb_mime_release(&m);
    parse("Dear support team, my order never arrived.\n", &m);
    assert_false(m.parsed);
    sb_mime_release(&m);
}

static void test_leading_junk_skipped(void **state)
{
    (void)state;
    sb_mime_message m;
    parse("   \nFrom: a@example.com\nSubject: after junk\n\nbody\n", &m);
    assert_true(m.parsed);
    assert_string_equal(m.subject, "after junk");
    assert_non_null(m.warning);
    sb_mime_release(&m);
    /* an mbox "From " line is not junk */
    parse("From a@example.com Mon Jan  1 00:00:00 2024\nFrom: a@example.com\nSubject: mbox\n\n"
          "body\n",
          &m);
    assert_true(m.parsed);
    assert_string_equal(m.subject, "mbox");
    assert_null(m.warning);
    sb_mime_release(&m);
}

static void test_unterminated_header_block(void **state)
{
    (void)state;
    sb_mime_message m;
    /* the "blank" line holds a space, so GMime reads the text as broken header lines and
     * drops it: the text must still reach the agent */
    parse("From: a@example.com\nSubject: fake blank line\n \n"
          "The header is not properly terminated; the blank line\nhas a space in it.\n",
          &m);
    assert_true(m.parsed);
    assert_string_equal(m.subject, "fake blank line");
    assert_non_null(strstr(m.text, "has a space in it."));
    assert_non_null(m.warning);
    sb_mime_release(&m);
}

static void test_bare_mime_entity(void **state)
{
    (void)state;
    sb_mime_message m;
    /* only Content-* fields: still a message, without a sender */
    parse("Content-Type: text/plain; charset=utf-8\n\nhello\n", &m);
    assert_true(m.parsed);
    assert_string_equal(m.text, "hello\n");
    assert_non_null(m.warning);
    sb_mime_release(&m);
}

/* mime.h promises thread safety after sb_mime_init: parse mixed messages from several
 * threads at once (charset conversions share GMime's iconv cache). */
static const char *const thread_msgs[] = {
    "From: a@example.com\nSubject: =?koi8-r?b?8NLJ18XU?=\nContent-Type: text/plain; "
    "charset=iso-2022-jp\n\n\x1b$BF|K\\8l\x1b(B\n",
    "From: b@example.com\nContent-Type: multipart/alternative; boundary=A\n\n--A\n"
    "Content-Type: text/plain; charset=windows-1251\n\n\xcf\xf0\xe8\n--A\n"
    "Content-Type: text/html; charset=shift_jis\n\n\x93\xfa\x96\x7b\n--A--\n",
    "From: MAILER-DAEMON@example.com\nSubject: Undelivered Mail Returned to Sender\n\n"
    "Message-ID: <x@example.com>\n",
};

static void *parse_many(void *arg)
{
    (void)arg;
    sb_mime_limits lim;
    sb_mime_limits_default(&lim);
    for (int i = 0; i < 300; i++) {
        const char *raw = thread_msgs[i % G_N_ELEMENTS(thread_msgs)];
        sb_mime_message m;
        if (sb_mime_parse(raw, strlen(raw), &lim, &m) != 0 || !m.parsed ||
            !g_utf8_validate(m.text, -1, NULL))
            return (void *)1;
        sb_mime_release(&m);
    }
    return NULL;
}

static void test_threads(void **state)
{
    (void)state;
    pthread_t t[4];
    for (int i = 0; i < 4; i++)
        assert_int_equal(pthread_create(&t[i], NULL, parse_many, NULL), 0);
    for (int i = 0; i < 4; i++) {
        void *rc = NULL;
        assert_int_equal(pthread_join(t[i], &rc), 0);
        assert_null(rc);
    }
}

int main(void)
{
    sb_mime_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_init_twice_and_defaults),
        cmocka_unit_test(test_simple_headers),
        cmocka_unit_test(test_ids_without_brackets),
        cmocka_unit_test(test_references_capped),
        cmocka_unit_test(test_max_addresses),
        cmocka_unit_test(test_bad_date),
        cmocka_unit_test(test_latin1_quoted_printable_body),
        cmocka_unit_test(test_koi8r_subject),
        cmocka_unit_test(test_windows1251_subject),
        cmocka_unit_test(test_encoded_word_without_spaces),
        cmocka_unit_test(test_encoded_word_split_mid_character),
        cmocka_unit_test(test_encoded_word_unknown_charset),
        cmocka_unit_test(test_encoded_word_in_quoted_string),
        cmocka_unit_test(test_broken_encoded_words_stay_readable),
        cmocka_unit_test(test_undeclared_8bit_body),
        cmocka_unit_test(test_invalid_utf8_and_nul_bytes),
        cmocka_unit_test(test_unknown_body_charset),
        cmocka_unit_test(test_shift_jis_body),
        cmocka_unit_test(test_iso2022jp_body),
        cmocka_unit_test(test_cjk_and_korean_bodies),
        cmocka_unit_test(test_utf16_body),
        cmocka_unit_test(test_reference_charset_texts),
        cmocka_unit_test(test_rfc2231_filename),
        cmocka_unit_test(test_base64_attachment),
        cmocka_unit_test(test_nested_alternative_related),
        cmocka_unit_test(test_alternative_prefers_first_of_each_kind),
        cmocka_unit_test(test_html_only),
        cmocka_unit_test(test_html_meta_charset),
        cmocka_unit_test(test_mixed_text_parts_are_joined),
        cmocka_unit_test(test_message_rfc822_attachment),
        cmocka_unit_test(test_calendar_and_tnef_kept),
        cmocka_unit_test(test_text_attachment_not_body),
        cmocka_unit_test(test_multipart_without_parts_keeps_text),
        cmocka_unit_test(test_dsn),
        cmocka_unit_test(test_dsn_with_returned_message_and_delay),
        cmocka_unit_test(test_nonstandard_bounce),
        cmocka_unit_test(test_robot_sender_without_bounce),
        cmocka_unit_test(test_loop_signals),
        cmocka_unit_test(test_line_endings),
        cmocka_unit_test(test_attachment_over_limit),
        cmocka_unit_test(test_body_over_limit),
        cmocka_unit_test(test_nesting_deeper_than_limit),
        cmocka_unit_test(test_more_parts_than_limit),
        cmocka_unit_test(test_no_body),
        cmocka_unit_test(test_header_only),
        cmocka_unit_test(test_missing_from),
        cmocka_unit_test(test_binary_junk),
        cmocka_unit_test(test_leading_junk_skipped),
        cmocka_unit_test(test_unterminated_header_block),
        cmocka_unit_test(test_bare_mime_entity),
        cmocka_unit_test(test_threads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
