/* Knowledge base, help-center activity, answer bot and macros: the domain operations. */
#include "service/kb.h"

#include <cmark-gfm-core-extensions.h>
#include <cmark-gfm.h>
#include <math.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/bot.h"
#include "core/conversation.h"
#include "core/kb_text.h"
#include "core/macro.h"
#include "service/internal.h"
#include "store/blobs.h"
#include "util/buf.h"

/* ---- settings ---- */

static void setting_str(sb_db *db, const char *key, char *out, size_t n, const char *def)
{
    char *v = sb_store_setting_get(db, key);
    snprintf(out, n, "%s", v ? v : def);
    free(v);
}

void sb_kb_settings_load(sb_db *db, sb_kb_settings *s)
{
    memset(s, 0, sizeof *s);
    char buf[1024];
    setting_str(db, "kb.locales", buf, sizeof buf, "[\"en\"]");
    json_t *arr = json_loads(buf, 0, NULL);
    size_t i;
    json_t *v;
    json_array_foreach(arr, i, v)
    {
        if (s->nlocales < SB_KB_LOCALES_MAX && json_is_string(v) && sb_kb_locale_valid(json_string_value(v)))
            snprintf(s->locales[s->nlocales++], sizeof s->locales[0], "%s", json_string_value(v));
    }
    json_decref(arr);
    if (!s->nlocales)
        snprintf(s->locales[s->nlocales++], sizeof s->locales[0], "en");
    setting_str(db, "kb.default_locale", s->default_locale, sizeof s->default_locale, s->locales[0]);
    setting_str(db, "bot.enabled", buf, sizeof buf, "1");
    s->bot_enabled = strcmp(buf, "1") == 0;
    setting_str(db, "bot.channels", buf, sizeof buf, "[\"widget\",\"webform\",\"email\"]");
    arr = json_loads(buf, 0, NULL);
    size_t j = (size_t)snprintf(s->bot_channels, sizeof s->bot_channels, ",");
    json_array_foreach(arr, i, v)
    {
        if (json_is_string(v) && j + json_string_length(v) + 2 < sizeof s->bot_channels)
            j += (size_t)snprintf(s->bot_channels + j, sizeof s->bot_channels - j, "%s,", json_string_value(v));
    }
    json_decref(arr);
    setting_str(db, "bot.threshold", buf, sizeof buf, "");
    s->bot_threshold = buf[0] ? strtod(buf, NULL) : SB_BOT_DEFAULT_THRESHOLD;
    setting_str(db, "kb.base_url", s->base_url, sizeof s->base_url, "");
}

bool sb_kb_locale_enabled(const sb_kb_settings *s, const char *locale)
{
    for (int i = 0; locale && i < s->nlocales; i++)
        if (strcmp(s->locales[i], locale) == 0)
            return true;
    return false;
}

json_t *sb_kb_settings_json(const sb_kb_settings *s)
{
    json_t *locales = json_array(), *channels = json_array();
    for (int i = 0; i < s->nlocales; i++)
        json_array_append_new(locales, json_string(s->locales[i]));
    char tmp[256];
    snprintf(tmp, sizeof tmp, "%s", s->bot_channels);
    for (char *save = NULL, *t = strtok_r(tmp, ",", &save); t; t = strtok_r(NULL, ",", &save))
        json_array_append_new(channels, json_string(t));
    return json_pack("{s:o, s:s, s:b, s:o, s:f, s:s}", "locales", locales, "default_locale", s->default_locale,
                     "bot_enabled", s->bot_enabled, "bot_channels", channels, "bot_threshold", s->bot_threshold,
                     "base_url", s->base_url);
}

/* ---- Markdown ---- */

static pthread_once_t cmark_once = PTHREAD_ONCE_INIT;
static void cmark_init(void)
{
    cmark_gfm_core_extensions_ensure_registered();
}

char *sb_svc_kb_render(const char *markdown)
{
    pthread_once(&cmark_once, cmark_init);
    int opts = CMARK_OPT_SAFE | CMARK_OPT_VALIDATE_UTF8;
    cmark_parser *p = cmark_parser_new(opts);
    if (!p)
        return NULL;
    static const char *const exts[] = {"table", "strikethrough", "autolink", "tagfilter"};
    for (size_t i = 0; i < sizeof exts / sizeof exts[0]; i++) {
        cmark_syntax_extension *e = cmark_find_syntax_extension(exts[i]);
        if (e)
            cmark_parser_attach_syntax_extension(p, e);
    }
    cmark_parser_feed(p, markdown, strlen(markdown));
    cmark_node *doc = cmark_parser_finish(p);
    char *html = doc ? cmark_render_html(doc, opts, cmark_parser_get_syntax_extensions(p)) : NULL;
    char *copy = html ? strdup(html) : NULL;
    if (html)
        cmark_get_default_mem_allocator()->free(html);
    if (doc)
        cmark_node_free(doc);
    cmark_parser_free(p);
    return copy;
}

/* ---- query building: stem, look up, correct typos ---- */

#define QT_MAX SB_BOT_MAX_TERMS
#define QT_ALTS 3

typedef struct {
    char term[SB_KB_TERM_MAX + 1];
    char alt[QT_ALTS][SB_KB_TERM_MAX + 1];
    int alt_dist[QT_ALTS];
    long alt_docs[QT_ALTS];
    int nalt;
    long docs; /* of the term, or of its best correction */
    char prefix[SB_KB_TERM_MAX + 1]; /* the last word as typed (folded, unstemmed): a prefix too */
} qterm;

typedef struct {
    qterm *t;
    int budget;
} near_ctx;

static void on_vocab(void *ctx, const char *term, long docs)
{
    near_ctx *c = ctx;
    if (strncmp(term, "zzloc", 5) == 0 || strncmp(term, "zzvis", 5) == 0)
        return;
    int d = sb_kb_edit_distance(c->t->term, term, c->budget);
    if (d > c->budget || d == 0)
        return;
    /* Keep the closest, then the most common. */
    int slot = c->t->nalt < QT_ALTS ? c->t->nalt++ : QT_ALTS - 1;
    if (slot == QT_ALTS - 1 && c->t->nalt == QT_ALTS &&
        (c->t->alt_dist[slot] < d || (c->t->alt_dist[slot] == d && c->t->alt_docs[slot] >= docs)) &&
        c->t->alt[slot][0])
        return;
    snprintf(c->t->alt[slot], sizeof c->t->alt[slot], "%s", term);
    c->t->alt_dist[slot] = d;
    c->t->alt_docs[slot] = docs;
    for (int i = slot; i > 0; i--) { /* keep sorted */
        bool better = c->t->alt_dist[i] < c->t->alt_dist[i - 1] ||
                      (c->t->alt_dist[i] == c->t->alt_dist[i - 1] && c->t->alt_docs[i] > c->t->alt_docs[i - 1]);
        if (!better)
            break;
        char tmp[SB_KB_TERM_MAX + 1];
        memcpy(tmp, c->t->alt[i], sizeof tmp);
        memcpy(c->t->alt[i], c->t->alt[i - 1], sizeof tmp);
        memcpy(c->t->alt[i - 1], tmp, sizeof tmp);
        int td = c->t->alt_dist[i];
        c->t->alt_dist[i] = c->t->alt_dist[i - 1];
        c->t->alt_dist[i - 1] = td;
        long tl = c->t->alt_docs[i];
        c->t->alt_docs[i] = c->t->alt_docs[i - 1];
        c->t->alt_docs[i - 1] = tl;
    }
}

static void find_near(sb_db *db, qterm *t)
{
    int budget = sb_kb_typo_budget(t->term);
    if (!budget)
        return;
    /* Candidates share the first character: a range scan of the vocabulary. */
    size_t n = 1;
    unsigned char c0 = (unsigned char)t->term[0];
    if (c0 >= 0xF0)
        n = 4;
    else if (c0 >= 0xE0)
        n = 3;
    else if (c0 >= 0xC0)
        n = 2;
    char from[8] = {0}, to[8] = {0};
    memcpy(from, t->term, n);
    memcpy(to, t->term, n);
    to[n - 1] = (char)((unsigned char)to[n - 1] + 1);
    near_ctx ctx = {t, budget};
    sb_store_kb_terms_between(db, from, to, on_vocab, &ctx);
    if (t->nalt)
        t->docs = t->alt_docs[0];
}

/* Stems text into distinct terms with their document counts; corrects unknown words of
 * short queries. Returns the number of terms. */
static int build_terms(sb_db *db, const char *locale, const char *text, bool typo_all, qterm *qt)
{
    char *terms = sb_kb_terms(locale, text, 64);
    int n = 0;
    if (!terms)
        return 0;
    for (char *save = NULL, *w = strtok_r(terms, " ", &save); w && n < QT_MAX; w = strtok_r(NULL, " ", &save)) {
        bool dup = false;
        for (int i = 0; i < n && !dup; i++)
            dup = strcmp(qt[i].term, w) == 0;
        if (dup)
            continue;
        memset(&qt[n], 0, sizeof qt[n]);
        snprintf(qt[n].term, sizeof qt[n].term, "%s", w);
        n++;
    }
    free(terms);
    /* The last word unstemmed, for prefix matching of what is still being typed. */
    char *plain = n ? sb_kb_terms("zz", text, 0) : NULL;
    const char *last = plain ? strrchr(plain, ' ') : NULL;
    last = last ? last + 1 : plain;
    if (last && *last && !sb_kb_stopword(locale, last) && sb_kb_utf8_len(last) >= 3)
        snprintf(qt[n - 1].prefix, sizeof qt[n - 1].prefix, "%s", last);
    free(plain);
    bool typo = typo_all || n <= 4;
    for (int i = 0; i < n; i++) {
        qt[i].docs = sb_store_kb_term_docs(db, qt[i].term);
        if (!qt[i].docs && typo)
            find_near(db, &qt[i]);
    }
    return n;
}

static void append_term_expr(sb_buf *b, const qterm *t, bool prefix)
{
    bool group = t->nalt > 0 || prefix;
    if (group)
        sb_buf_puts(b, "(");
    sb_buf_printf(b, "\"%s\"", t->term);
    if (prefix)
        sb_buf_printf(b, " OR \"%s\"*", t->term);
    if (prefix && t->prefix[0] && strcmp(t->prefix, t->term) != 0)
        sb_buf_printf(b, " OR \"%s\"*", t->prefix); /* "kqaby" is stemmed "kqabi" */
    for (int i = 0; i < t->nalt; i++)
        sb_buf_printf(b, " OR \"%s\"", t->alt[i]);
    if (group)
        sb_buf_puts(b, ")");
}

static char *fts_expr(const qterm *qt, int n, bool any, bool last_prefix)
{
    sb_buf b;
    sb_buf_init(&b, 64 * 1024);
    for (int i = 0; i < n; i++) {
        if (i)
            sb_buf_puts(&b, any ? " OR " : " AND ");
        append_term_expr(&b, &qt[i], last_prefix && i == n - 1 && sb_kb_utf8_len(qt[i].term) >= 3);
    }
    if (b.failed) {
        sb_buf_release(&b);
        return NULL;
    }
    return sb_buf_detach(&b, NULL);
}

static json_t *hits_json(const sb_kb_hit *h, size_t n)
{
    json_t *items = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(items, json_pack("{s:I, s:s, s:s, s:f}", "id", (json_int_t)h[i].article_id, "title",
                                               h[i].title, "locale", h[i].locale, "score",
                                               round(h[i].bm25 * 1000.0) / 1000.0));
    return items;
}

static size_t run_search(sb_db *db, const qterm *qt, int n, const char *locale, bool agent, int limit, sb_kb_hit **hits)
{
    size_t nh = 0;
    *hits = NULL;
    char *q = fts_expr(qt, n, false, true);
    if (q && sb_store_kb_search(db, q, locale, agent, limit, false, hits, &nh) == SB_OK && nh == 0 && n > 1) {
        free(*hits);
        *hits = NULL;
        free(q);
        q = fts_expr(qt, n, true, true); /* nothing has every word: rank by any */
        if (q)
            sb_store_kb_search(db, q, locale, agent, limit, false, hits, &nh);
    }
    free(q);
    return nh;
}

json_t *sb_svc_kb_search(sb_db *db, const char *text, const char *locale, bool agent, int limit, int *nres)
{
    sb_kb_settings s;
    sb_kb_settings_load(db, &s);
    if (!locale || !*locale)
        locale = s.default_locale;
    qterm qt[QT_MAX];
    int n = build_terms(db, locale, text, false, qt);
    *nres = 0;
    if (n == 0)
        return json_array();
    sb_kb_hit *hits = NULL;
    size_t nh = run_search(db, qt, n, locale, agent, limit, &hits);
    if (nh == 0 && strcmp(locale, s.default_locale) != 0) { /* fall back to the default locale */
        sb_kb_hits_free(hits, nh);
        n = build_terms(db, s.default_locale, text, false, qt);
        nh = n ? run_search(db, qt, n, s.default_locale, agent, limit, &hits) : 0;
    }
    json_t *items = hits_json(hits, nh);
    sb_kb_hits_free(hits, nh);
    *nres = (int)nh;
    return items;
}

/* Counts the query terms (or their typo corrections) in a space-separated term list;
 * returns the number of terms in the list. */
static double count_terms(const char *list, const qterm *qt, int n, double weight, double *tf)
{
    double len = 0;
    for (const char *p = list; p && *p;) {
        const char *sp = strchr(p, ' ');
        size_t wl = sp ? (size_t)(sp - p) : strlen(p);
        if (wl) {
            len += weight;
            for (int i = 0; i < n; i++) {
                bool m = strlen(qt[i].term) == wl && memcmp(qt[i].term, p, wl) == 0;
                for (int a = 0; a < qt[i].nalt && !m; a++)
                    m = strlen(qt[i].alt[a]) == wl && memcmp(qt[i].alt[a], p, wl) == 0;
                if (m)
                    tf[i] += weight;
            }
        }
        p = sp ? sp + 1 : NULL;
    }
    return len;
}

json_t *sb_svc_bot_answer(sb_db *db, const char *question, const char *locale, bool agent)
{
    sb_kb_settings s;
    sb_kb_settings_load(db, &s);
    if (!locale || !sb_kb_locale_enabled(&s, locale))
        locale = s.default_locale;
    qterm qt[QT_MAX];
    int n = build_terms(db, locale, question, true, qt);
    sb_kb_hit *hits = NULL;
    size_t nh = 0;
    if (n > 0) {
        char *q = fts_expr(qt, n, true, false);
        if (q)
            sb_store_kb_search(db, q, locale, agent, SB_BOT_CANDIDATES, true, &hits, &nh);
        free(q);
    }
    sb_bot_query bq = {.nterms = (size_t)n};
    long total = sb_store_kb_doc_count(db);
    for (int i = 0; i < n; i++)
        bq.idf[i] = sb_bot_idf(qt[i].docs, total);
    sb_bot_candidate cands[SB_BOT_CANDIDATES];
    for (size_t k = 0; k < nh; k++) {
        memset(&cands[k], 0, sizeof cands[k]);
        cands[k].bm25 = hits[k].bm25;
        cands[k].len = count_terms(hits[k].title_terms, qt, n, SB_BOT_TITLE_WEIGHT, cands[k].tf) +
                       count_terms(hits[k].body_terms, qt, n, 1.0, cands[k].tf);
        for (int i = 0; i < n; i++)
            if (cands[k].tf[i] > 0)
                cands[k].matched_mask |= 1u << i;
    }
    double conf = sb_bot_rank(&bq, cands, nh);
    json_t *arts = json_array();
    for (size_t k = 0; k < nh && k < 3; k++) {
        const sb_kb_hit *h = &hits[cands[k].rank_in];
        json_array_append_new(arts, json_pack("{s:I, s:s, s:f}", "id", (json_int_t)h->article_id, "title", h->title,
                                              "score",
                                              round(sb_bot_display_score(cands, nh, k, conf) * 1000.0) / 1000.0));
    }
    sb_kb_hits_free(hits, nh);
    return json_pack("{s:b, s:f, s:s, s:o}", "confident", nh > 0 && conf >= s.bot_threshold, "confidence",
                     round(conf * 1000.0) / 1000.0, "locale", locale, "articles", arts);
}

/* ---- ops ---- */

sb_kb_op *sb_kb_op_new(sb_kb_kind kind)
{
    sb_kb_op *op = calloc(1, sizeof *op);
    if (op) {
        op->kind = kind;
        op->role = -1;
        op->actor = (sb_actor){"system", 0};
    }
    return op;
}

void sb_kb_op_free(void *arg)
{
    sb_kb_op *op = arg;
    if (!op)
        return;
    json_decref(op->in);
    json_decref(op->out);
    free(op->question);
    free(op->locale);
    free(op->visitor);
    free(op->source);
    free(op->token);
    free(op);
}

static void async_done(void *arg, sb_err rc)
{
    sb_kb_op_free(arg);
}

void sb_svc_kb_submit_async(sb_store *st, sb_kb_op *op)
{
    if (sb_store_submit(st, sb_svc_kb_write, async_done, op) != SB_OK)
        sb_kb_op_free(op);
}

/* Input helpers: wrong JSON type -> 400, bad value -> 422. */
static sb_err in_str(sb_kb_op *op, const char *key, bool required, size_t max, const char **out)
{
    json_t *v = json_object_get(op->in, key);
    *out = NULL;
    if (!v || json_is_null(v)) {
        if (required)
            return sb_svc_fail(op->errmsg, SB_E_VALIDATION, "\"%s\" is required", key);
        return SB_OK;
    }
    if (!json_is_string(v))
        return sb_svc_fail(op->errmsg, SB_E_BAD_REQUEST, "\"%s\" must be a string", key);
    size_t n = json_string_length(v);
    if ((required && n == 0) || n > max || memchr(json_string_value(v), '\0', n))
        return sb_svc_fail(op->errmsg, SB_E_VALIDATION, "\"%s\" must be 1 to %zu bytes", key, max);
    *out = json_string_value(v);
    return SB_OK;
}

static bool is_supervisor(const sb_kb_op *op)
{
    return op->role >= SB_ROLE_SUPERVISOR;
}

static sb_err tags_json(sb_kb_op *op, char **out)
{
    json_t *v = json_object_get(op->in, "tags");
    *out = NULL;
    if (!v)
        return SB_OK;
    if (!json_is_array(v))
        return sb_svc_fail(op->errmsg, SB_E_BAD_REQUEST, "\"tags\" must be an array of strings");
    if (json_array_size(v) > SB_KB_TAGS_MAX)
        return sb_svc_fail(op->errmsg, SB_E_VALIDATION, "\"tags\": at most %d", SB_KB_TAGS_MAX);
    json_t *clean = json_array();
    size_t i;
    json_t *t;
    json_array_foreach(v, i, t)
    {
        if (!json_is_string(t) || json_string_length(t) == 0 || json_string_length(t) > 64) {
            json_decref(clean);
            return sb_svc_fail(op->errmsg, SB_E_VALIDATION, "\"tags\": each tag is 1 to 64 bytes");
        }
        bool dup = false;
        size_t j;
        json_t *u;
        json_array_foreach(clean, j, u) dup = dup || strcmp(json_string_value(u), json_string_value(t)) == 0;
        if (!dup)
            json_array_append(clean, t);
    }
    *out = json_dumps(clean, JSON_COMPACT);
    json_decref(clean);
    return SB_OK;
}

static sb_err files_check(sb_db *w, sb_kb_op *op, json_t **out)
{
    json_t *v = json_object_get(op->in, "files");
    *out = NULL;
    if (!v)
        return SB_OK;
    if (!json_is_array(v) || json_array_size(v) > SB_KB_FILES_MAX)
        return sb_svc_fail(op->errmsg, SB_E_VALIDATION, "\"files\" must be an array of at most %d uploads",
                           SB_KB_FILES_MAX);
    json_t *clean = json_array();
    const char *dir = sb_store_data_dir(sb_store_of(w));
    size_t i;
    json_t *f;
    json_array_foreach(v, i, f)
    {
        const char *sha = json_string_value(json_object_get(f, "sha256"));
        const char *name = json_string_value(json_object_get(f, "filename"));
        const char *type = json_string_value(json_object_get(f, "content_type"));
        long long size = sha && sb_blob_valid_name(sha) && dir ? sb_blob_size(dir, sha) : -1;
        if (size < 0) {
            json_decref(clean);
            return sb_svc_fail(op->errmsg, SB_E_VALIDATION, "\"files\"[%zu]: sha256 of an upload is required", i);
        }
        if (!name || !*name || strlen(name) > 255 || strpbrk(name, "/\\\"\r\n")) {
            json_decref(clean);
            return sb_svc_fail(op->errmsg, SB_E_VALIDATION, "\"files\"[%zu]: a filename is required", i);
        }
        json_array_append_new(clean, json_pack("{s:s, s:s, s:s, s:I}", "sha256", sha, "filename", name,
                                               "content_type", type && strlen(type) < 100 ? type : "application/octet-stream",
                                               "size", (json_int_t)size));
    }
    *out = clean;
    return SB_OK;
}

static sb_err resolve_category(sb_db *w, sb_kb_op *op, int64_t now, int64_t *category_id)
{
    json_t *v = json_object_get(op->in, "category");
    json_t *vid = json_object_get(op->in, "category_id");
    *category_id = -1; /* keep */
    if (vid && !json_is_null(vid)) {
        if (!json_is_integer(vid) || json_integer_value(vid) <= 0)
            return sb_svc_fail(op->errmsg, SB_E_BAD_REQUEST, "\"category_id\" must be an id");
        json_t *c = sb_store_kb_category_get(w, json_integer_value(vid));
        if (!c)
            return sb_svc_fail(op->errmsg, SB_E_VALIDATION, "\"category_id\": no category %lld",
                               (long long)json_integer_value(vid));
        json_decref(c);
        *category_id = json_integer_value(vid);
        return SB_OK;
    }
    if (vid && json_is_null(vid))
        *category_id = 0;
    if (!v)
        return SB_OK;
    if (json_is_null(v)) {
        *category_id = 0;
        return SB_OK;
    }
    if (!json_is_string(v))
        return sb_svc_fail(op->errmsg, SB_E_BAD_REQUEST, "\"category\" must be a category name");
    const char *name = json_string_value(v);
    if (!*name || strlen(name) > 100)
        return sb_svc_fail(op->errmsg, SB_E_VALIDATION, "\"category\" must be 1 to 100 bytes");
    int64_t id = sb_store_kb_category_find(w, name);
    if (!id && sb_store_kb_category_insert(w, 0, name, "", 0, NULL, now, &id) != SB_OK)
        return sb_svc_fail(op->errmsg, SB_E_INTERNAL, "cannot create category");
    *category_id = id;
    return SB_OK;
}

static sb_err save_translation(sb_db *w, sb_kb_op *op, int64_t article_id, const char *locale, const char *title,
                               const char *body, const char *status, int64_t now)
{
    char *html = sb_svc_kb_render(body);
    char *tt = sb_kb_terms(locale, title, 0);
    char *tb = sb_kb_terms(locale, body, 0);
    sb_err err = SB_E_INTERNAL;
    if (html && tt && tb) {
        sb_kb_translation_in t = {article_id, locale, title, body, html, status, tt, tb, op->actor.id};
        err = sb_store_kb_translation_save(w, &t, now, NULL);
    }
    free(html);
    free(tt);
    free(tb);
    return err == SB_OK ? SB_OK : sb_svc_fail(op->errmsg, err, "cannot save the translation");
}

static sb_err check_status(sb_kb_op *op, const char *status)
{
    if (status && strcmp(status, "draft") != 0 && strcmp(status, "published") != 0)
        return sb_svc_fail(op->errmsg, SB_E_VALIDATION, "\"status\" must be draft or published");
    if (status && strcmp(status, "published") == 0 && !is_supervisor(op))
        return sb_svc_fail(op->errmsg, SB_E_FORBIDDEN, "agents save drafts; a supervisor or admin publishes");
    return SB_OK;
}

static sb_err emit_article(sb_db *w, sb_kb_op *op, const char *type, int64_t id, const char *locale, int64_t now)
{
    json_t *o = sb_store_kb_article_get(w, id, locale, NULL, true);
    if (!o && strcmp(type, "article.deleted") != 0)
        return SB_E_INTERNAL;
    if (!o)
        o = json_pack("{s:I}", "id", (json_int_t)id);
    json_object_del(o, "body_html");
    json_object_del(o, "body_markdown");
    sb_err err = sb_svc_emit(w, type, 0, 0, true, &op->actor, "article", o, now);
    if (strcmp(type, "article.deleted") != 0) {
        json_decref(op->out);
        op->out = sb_store_kb_article_get(w, id, locale, NULL, true);
    }
    json_decref(o);
    return err;
}

static sb_err article_create(sb_db *w, sb_kb_op *op, int64_t now)
{
    const char *title, *body, *locale, *visibility, *status;
    sb_err err;
    if ((err = in_str(op, "title", true, SB_KB_TITLE_MAX, &title)) != SB_OK ||
        (err = in_str(op, "body_markdown", false, SB_KB_BODY_MAX, &body)) != SB_OK ||
        (err = in_str(op, "locale", false, SB_KB_LOCALE_MAX, &locale)) != SB_OK ||
        (err = in_str(op, "visibility", false, 16, &visibility)) != SB_OK ||
        (err = in_str(op, "status", false, 16, &status)) != SB_OK)
        return err;
    sb_kb_settings s;
    sb_kb_settings_load(w, &s);
    if (!locale)
        locale = s.default_locale;
    if (!sb_kb_locale_valid(locale))
        return sb_svc_fail(op->errmsg, SB_E_VALIDATION, "\"locale\" must be a language tag like en or pt-BR");
    if (!visibility)
        visibility = "public";
    if (strcmp(visibility, "public") != 0 && strcmp(visibility, "internal") != 0)
        return sb_svc_fail(op->errmsg, SB_E_VALIDATION, "\"visibility\" must be public or internal");
    if (!status)
        status = "draft";
    if ((err = check_status(op, status)) != SB_OK)
        return err;
    char *tags = NULL;
    json_t *files = NULL;
    int64_t category_id, id;
    if ((err = tags_json(op, &tags)) != SB_OK || (err = files_check(w, op, &files)) != SB_OK ||
        (err = resolve_category(w, op, now, &category_id)) != SB_OK)
        goto out;
    if ((err = sb_store_kb_article_insert(w, category_id > 0 ? category_id : 0, visibility, tags, op->actor.id, now,
                                          &id)) != SB_OK ||
        (err = save_translation(w, op, id, locale, title, body ? body : "", status, now)) != SB_OK)
        goto out;
    if (files && (err = sb_store_kb_files_set(w, id, files)) != SB_OK)
        goto out;
    op->id = id;
    op->status = 201;
    err = emit_article(w, op, "article.created", id, locale, now);
out:
    free(tags);
    json_decref(files);
    return err;
}

static sb_err article_update(sb_db *w, sb_kb_op *op, int64_t now)
{
    if (!sb_store_kb_article_exists(w, op->id))
        return sb_svc_fail(op->errmsg, SB_E_NOT_FOUND, "article %lld not found", (long long)op->id);
    const char *title, *body, *locale, *visibility, *status;
    sb_err err;
    if ((err = in_str(op, "title", false, SB_KB_TITLE_MAX, &title)) != SB_OK ||
        (err = in_str(op, "body_markdown", false, SB_KB_BODY_MAX, &body)) != SB_OK ||
        (err = in_str(op, "locale", false, SB_KB_LOCALE_MAX, &locale)) != SB_OK ||
        (err = in_str(op, "visibility", false, 16, &visibility)) != SB_OK ||
        (err = in_str(op, "status", false, 16, &status)) != SB_OK)
        return err;
    if (title && !*title)
        return sb_svc_fail(op->errmsg, SB_E_VALIDATION, "\"title\" must not be empty");
    sb_kb_settings s;
    sb_kb_settings_load(w, &s);
    if (!locale)
        locale = s.default_locale;
    if (!sb_kb_locale_valid(locale))
        return sb_svc_fail(op->errmsg, SB_E_VALIDATION, "\"locale\" must be a language tag like en or pt-BR");
    if (visibility && strcmp(visibility, "public") != 0 && strcmp(visibility, "internal") != 0)
        return sb_svc_fail(op->errmsg, SB_E_VALIDATION, "\"visibility\" must be public or internal");
    if ((err = check_status(op, status)) != SB_OK)
        return err;
    json_t *cur = sb_store_kb_translation_get(w, op->id, locale);
    const char *cur_status = cur ? json_string_value(json_object_get(cur, "status")) : NULL;
    bool content = title || body || status;
    if (!is_supervisor(op) && cur_status && strcmp(cur_status, "published") == 0 && content) {
        json_decref(cur);
        return sb_svc_fail(op->errmsg, SB_E_FORBIDDEN,
                           "this translation is published: a supervisor or admin changes it (agents edit drafts)");
    }
    if (!is_supervisor(op) && visibility) {
        json_decref(cur);
        return sb_svc_fail(op->errmsg, SB_E_FORBIDDEN, "a supervisor or admin changes an article's visibility");
    }
    if (!cur && content && (!title || !body)) {
        json_decref(cur);
        return sb_svc_fail(op->errmsg, SB_E_VALIDATION, "a new translation (%s) needs \"title\" and \"body_markdown\"",
                           locale);
    }
    char *tags = NULL;
    json_t *files = NULL;
    int64_t category_id;
    if ((err = tags_json(op, &tags)) != SB_OK || (err = files_check(w, op, &files)) != SB_OK ||
        (err = resolve_category(w, op, now, &category_id)) != SB_OK)
        goto out;
    if (content) {
        const char *t = title ? title : json_string_value(json_object_get(cur, "title"));
        const char *b = body ? body : json_string_value(json_object_get(cur, "body_markdown"));
        const char *st = status ? status : (cur_status ? cur_status : "draft");
        if ((err = save_translation(w, op, op->id, locale, t, b, st, now)) != SB_OK)
            goto out;
    }
    if ((err = sb_store_kb_article_update(w, op->id, category_id, visibility, tags, now)) != SB_OK)
        goto out;
    if (files && (err = sb_store_kb_files_set(w, op->id, files)) != SB_OK)
        goto out;
    op->status = 200;
    err = emit_article(w, op, "article.updated", op->id, locale, now);
out:
    json_decref(cur);
    free(tags);
    json_decref(files);
    return err;
}

static sb_err version_restore(sb_db *w, sb_kb_op *op, int64_t now)
{
    json_t *v = sb_store_kb_version_get(w, op->id, op->id2);
    if (!v)
        return sb_svc_fail(op->errmsg, SB_E_NOT_FOUND, "article %lld has no version %lld", (long long)op->id,
                           (long long)op->id2);
    const char *locale = json_string_value(json_object_get(v, "locale"));
    json_t *cur = sb_store_kb_translation_get(w, op->id, locale);
    const char *status = cur ? json_string_value(json_object_get(cur, "status")) : "draft";
    sb_err err = save_translation(w, op, op->id, locale, json_string_value(json_object_get(v, "title")),
                                  json_string_value(json_object_get(v, "body_markdown")), status, now);
    if (err == SB_OK) {
        op->status = 200;
        err = emit_article(w, op, "article.updated", op->id, locale, now);
    }
    json_decref(cur);
    json_decref(v);
    return err;
}

static sb_err category_write(sb_db *w, sb_kb_op *op, int64_t now)
{
    if (op->kind == SB_KB_CATEGORY_DELETE) {
        json_t *c = sb_store_kb_category_get(w, op->id);
        if (!c)
            return sb_svc_fail(op->errmsg, SB_E_NOT_FOUND, "category %lld not found", (long long)op->id);
        json_decref(c);
        op->status = 204;
        return sb_store_kb_category_delete(w, op->id);
    }
    const char *name, *desc;
    sb_err err;
    if ((err = in_str(op, "name", op->kind == SB_KB_CATEGORY_CREATE, 100, &name)) != SB_OK ||
        (err = in_str(op, "description", false, 2000, &desc)) != SB_OK)
        return err;
    json_t *pos = json_object_get(op->in, "position"), *parent = json_object_get(op->in, "parent_id");
    json_t *names = json_object_get(op->in, "names");
    if (pos && (!json_is_integer(pos) || json_integer_value(pos) < 0 || json_integer_value(pos) > 1000000))
        return sb_svc_fail(op->errmsg, SB_E_VALIDATION, "\"position\" must be an integer 0 to 1000000");
    if (names && !json_is_object(names))
        return sb_svc_fail(op->errmsg, SB_E_BAD_REQUEST, "\"names\" must map locales to names");
    const char *k;
    json_t *nv;
    json_object_foreach(names, k, nv)
    {
        if (!sb_kb_locale_valid(k) || !json_is_string(nv) || json_string_length(nv) == 0 || json_string_length(nv) > 100)
            return sb_svc_fail(op->errmsg, SB_E_VALIDATION, "\"names\": each locale maps to a name of 1 to 100 bytes");
    }
    char *names_json = names ? json_dumps(names, JSON_COMPACT) : NULL;
    int64_t parent_id = 0;
    if (parent && !json_is_null(parent)) {
        if (op->kind != SB_KB_CATEGORY_CREATE) {
            free(names_json);
            return sb_svc_fail(op->errmsg, SB_E_VALIDATION, "\"parent_id\" is set when a section is created");
        }
        json_t *p = json_is_integer(parent) ? sb_store_kb_category_get(w, json_integer_value(parent)) : NULL;
        bool top = p && json_is_null(json_object_get(p, "parent_id"));
        json_decref(p);
        if (!top) {
            free(names_json);
            return sb_svc_fail(op->errmsg, SB_E_VALIDATION, "\"parent_id\" must be a top-level category");
        }
        parent_id = json_integer_value(parent);
    }
    if (op->kind == SB_KB_CATEGORY_CREATE) {
        err = sb_store_kb_category_insert(w, parent_id, name, desc, pos ? json_integer_value(pos) : 0, names_json, now,
                                          &op->id);
        op->status = 201;
    } else {
        json_t *c = sb_store_kb_category_get(w, op->id);
        if (!c) {
            free(names_json);
            return sb_svc_fail(op->errmsg, SB_E_NOT_FOUND, "category %lld not found", (long long)op->id);
        }
        json_decref(c);
        err = sb_store_kb_category_update(w, op->id, name, desc, pos ? json_integer_value(pos) : -1, names_json, now);
        op->status = 200;
    }
    free(names_json);
    if (err == SB_E_CONFLICT)
        return sb_svc_fail(op->errmsg, err, "a category with this name exists there");
    if (err != SB_OK)
        return err;
    op->out = sb_store_kb_category_get(w, op->id);
    return SB_OK;
}

static sb_err settings_put(sb_db *w, sb_kb_op *op)
{
    sb_kb_settings s;
    sb_kb_settings_load(w, &s);
    json_t *v;
    sb_err err = SB_OK;
    if ((v = json_object_get(op->in, "locales"))) {
        if (!json_is_array(v) || json_array_size(v) == 0 || json_array_size(v) > SB_KB_LOCALES_MAX)
            return sb_svc_fail(op->errmsg, SB_E_VALIDATION, "\"locales\" must list 1 to %d locales", SB_KB_LOCALES_MAX);
        size_t i;
        json_t *l;
        json_array_foreach(v, i, l) if (!json_is_string(l) || !sb_kb_locale_valid(json_string_value(l))) return sb_svc_fail(
            op->errmsg, SB_E_VALIDATION, "\"locales\"[%zu] is not a language tag", i);
        s.nlocales = 0;
        json_array_foreach(v, i, l) snprintf(s.locales[s.nlocales++], sizeof s.locales[0], "%s", json_string_value(l));
    }
    if ((v = json_object_get(op->in, "default_locale"))) {
        if (!json_is_string(v))
            return sb_svc_fail(op->errmsg, SB_E_BAD_REQUEST, "\"default_locale\" must be a string");
        snprintf(s.default_locale, sizeof s.default_locale, "%s", json_string_value(v));
    }
    if (!sb_kb_locale_enabled(&s, s.default_locale))
        return sb_svc_fail(op->errmsg, SB_E_VALIDATION, "\"default_locale\" must be one of \"locales\"");
    if ((v = json_object_get(op->in, "bot_enabled"))) {
        if (!json_is_boolean(v))
            return sb_svc_fail(op->errmsg, SB_E_BAD_REQUEST, "\"bot_enabled\" must be true or false");
        s.bot_enabled = json_is_true(v);
    }
    char *channels = NULL;
    if ((v = json_object_get(op->in, "bot_channels"))) {
        if (!json_is_array(v) || json_array_size(v) > 16)
            return sb_svc_fail(op->errmsg, SB_E_VALIDATION, "\"bot_channels\" must list at most 16 channels");
        size_t i;
        json_t *c;
        json_array_foreach(v, i, c)
        {
            const char *t = json_string_value(c);
            if (!t || !*t || strlen(t) > 20 || strspn(t, "abcdefghijklmnopqrstuvwxyz_") != strlen(t))
                return sb_svc_fail(op->errmsg, SB_E_VALIDATION, "\"bot_channels\"[%zu] is not a channel name", i);
        }
        channels = json_dumps(v, JSON_COMPACT);
    }
    if ((v = json_object_get(op->in, "bot_threshold"))) {
        if (!json_is_number(v) || json_number_value(v) < 0 || json_number_value(v) > 1) {
            free(channels);
            return sb_svc_fail(op->errmsg, SB_E_VALIDATION, "\"bot_threshold\" must be a number from 0 to 1");
        }
        s.bot_threshold = json_number_value(v);
    }
    if ((v = json_object_get(op->in, "base_url"))) {
        const char *u = json_string_value(v);
        if (!u || strlen(u) > 200 || (*u && strncmp(u, "http://", 7) != 0 && strncmp(u, "https://", 8) != 0) ||
            strpbrk(u, " \"<>'\r\n")) {
            free(channels);
            return sb_svc_fail(op->errmsg, SB_E_VALIDATION, "\"base_url\" must be an http(s) URL or empty");
        }
        snprintf(s.base_url, sizeof s.base_url, "%s", u);
        size_t n = strlen(s.base_url);
        if (n && s.base_url[n - 1] == '/')
            s.base_url[n - 1] = '\0';
    }
    json_t *locales = json_array();
    for (int i = 0; i < s.nlocales; i++)
        json_array_append_new(locales, json_string(s.locales[i]));
    char *lj = json_dumps(locales, JSON_COMPACT), thr[32];
    json_decref(locales);
    snprintf(thr, sizeof thr, "%.4f", s.bot_threshold);
    if ((err = sb_store_setting_put(w, "kb.locales", lj)) == SB_OK &&
        (err = sb_store_setting_put(w, "kb.default_locale", s.default_locale)) == SB_OK &&
        (err = sb_store_setting_put(w, "bot.enabled", s.bot_enabled ? "1" : "0")) == SB_OK &&
        (err = sb_store_setting_put(w, "bot.threshold", thr)) == SB_OK &&
        (err = sb_store_setting_put(w, "kb.base_url", s.base_url)) == SB_OK && channels)
        err = sb_store_setting_put(w, "bot.channels", channels);
    free(lj);
    free(channels);
    if (err != SB_OK)
        return err;
    sb_kb_settings_load(w, &s);
    op->out = sb_kb_settings_json(&s);
    op->status = 200;
    return SB_OK;
}

/* ---- macros ---- */

static bool macro_visible(const sb_kb_op *op, json_t *m)
{
    json_t *owner = json_object_get(m, "owner_id");
    return json_is_null(owner) || json_integer_value(owner) == op->actor.id;
}

static sb_err check_actions(sb_db *w, sb_kb_op *op, json_t *a)
{
    static const char *const keys[] = {"status", "priority", "priority_reason", "add_tags", "remove_tags",
                                       "team_id", "assignee_id", NULL};
    if (!json_is_object(a))
        return sb_svc_fail(op->errmsg, SB_E_BAD_REQUEST, "\"actions\" must be an object");
    const char *k;
    json_t *v;
    json_object_foreach(a, k, v)
    {
        bool ok = false;
        for (const char *const *p = keys; *p && !ok; p++)
            ok = strcmp(*p, k) == 0;
        if (!ok)
            return sb_svc_fail(op->errmsg, SB_E_VALIDATION, "\"actions\": unknown action \"%s\"", k);
    }
    if ((v = json_object_get(a, "status")) && (!json_is_string(v) || sb_status_parse(json_string_value(v)) < 0))
        return sb_svc_fail(op->errmsg, SB_E_VALIDATION, "\"actions\".status: unknown status");
    if ((v = json_object_get(a, "priority"))) {
        int p = json_is_string(v) ? sb_priority_parse(json_string_value(v)) : -1;
        if (p < 0)
            return sb_svc_fail(op->errmsg, SB_E_VALIDATION, "\"actions\".priority: low, normal, high or urgent");
        json_t *r = json_object_get(a, "priority_reason");
        if (!sb_priority_reason_ok(p, json_string_value(r)))
            return sb_svc_fail(op->errmsg, SB_E_VALIDATION, "\"actions\": urgent priority needs a priority_reason");
    }
    if ((v = json_object_get(a, "priority_reason")) && (!json_is_string(v) || json_string_length(v) > 500))
        return sb_svc_fail(op->errmsg, SB_E_VALIDATION, "\"actions\".priority_reason must be a string");
    static const char *const tag_keys[] = {"add_tags", "remove_tags"};
    for (int i = 0; i < 2; i++) {
        if (!(v = json_object_get(a, tag_keys[i])))
            continue;
        if (!json_is_array(v) || json_array_size(v) > 50)
            return sb_svc_fail(op->errmsg, SB_E_VALIDATION, "\"actions\".%s must list at most 50 tags", tag_keys[i]);
        size_t j;
        json_t *t;
        json_array_foreach(v, j, t) if (!json_is_string(t) || json_string_length(t) == 0 || json_string_length(t) > 64) return sb_svc_fail(
            op->errmsg, SB_E_VALIDATION, "\"actions\".%s: each tag is 1 to 64 bytes", tag_keys[i]);
    }
    if ((v = json_object_get(a, "team_id")) && !json_is_null(v) &&
        (!json_is_integer(v) || !sb_store_team_exists(w, json_integer_value(v))))
        return sb_svc_fail(op->errmsg, SB_E_VALIDATION, "\"actions\".team_id: no such team");
    if ((v = json_object_get(a, "assignee_id")) && !json_is_null(v) &&
        (!json_is_integer(v) || !sb_store_agent_is_active(w, json_integer_value(v))))
        return sb_svc_fail(op->errmsg, SB_E_VALIDATION, "\"actions\".assignee_id: no such active agent");
    return SB_OK;
}

static sb_err macro_write(sb_db *w, sb_kb_op *op, int64_t now)
{
    json_t *m = NULL;
    if (op->kind != SB_KB_MACRO_CREATE) {
        m = sb_store_macro_get(w, op->id);
        if (!m || !macro_visible(op, m)) {
            json_decref(m);
            return sb_svc_fail(op->errmsg, SB_E_NOT_FOUND, "macro %lld not found", (long long)op->id);
        }
        bool shared = json_is_null(json_object_get(m, "owner_id"));
        json_decref(m);
        if (shared && !is_supervisor(op))
            return sb_svc_fail(op->errmsg, SB_E_FORBIDDEN, "a supervisor or admin changes shared macros");
        if (op->kind == SB_KB_MACRO_DELETE) {
            op->status = 204;
            return sb_store_macro_delete(w, op->id);
        }
    }
    const char *name, *body, *scope;
    sb_err err;
    if ((err = in_str(op, "name", op->kind == SB_KB_MACRO_CREATE, 100, &name)) != SB_OK ||
        (err = in_str(op, "scope", false, 16, &scope)) != SB_OK)
        return err;
    json_t *bv = json_object_get(op->in, "body");
    if (bv && !json_is_string(bv))
        return sb_svc_fail(op->errmsg, SB_E_BAD_REQUEST, "\"body\" must be a string");
    body = json_string_value(bv);
    if (body && strlen(body) > SB_MACRO_BODY_MAX)
        return sb_svc_fail(op->errmsg, SB_E_VALIDATION, "\"body\" is longer than %d bytes", SB_MACRO_BODY_MAX);
    char perr[200];
    if (body && !sb_macro_validate(body, perr, sizeof perr))
        return sb_svc_fail(op->errmsg, SB_E_VALIDATION, "\"body\": %s", perr);
    if (scope && strcmp(scope, "personal") != 0 && strcmp(scope, "shared") != 0)
        return sb_svc_fail(op->errmsg, SB_E_VALIDATION, "\"scope\" must be personal or shared");
    if (scope && strcmp(scope, "shared") == 0 && !is_supervisor(op))
        return sb_svc_fail(op->errmsg, SB_E_FORBIDDEN, "a supervisor or admin creates shared macros");
    json_t *actions = json_object_get(op->in, "actions");
    if (actions && (err = check_actions(w, op, actions)) != SB_OK)
        return err;
    char *aj = actions ? json_dumps(actions, JSON_COMPACT) : NULL;
    int64_t owner = scope && strcmp(scope, "shared") == 0 ? 0 : op->actor.id;
    if (op->kind == SB_KB_MACRO_CREATE) {
        err = sb_store_macro_insert(w, name, body, aj, owner, now, &op->id);
        op->status = 201;
    } else {
        err = sb_store_macro_update(w, op->id, name, body, aj, scope != NULL, owner, now);
        op->status = 200;
    }
    free(aj);
    if (err == SB_E_CONFLICT)
        return sb_svc_fail(op->errmsg, err, "a macro with this name exists");
    if (err != SB_OK)
        return err;
    op->out = sb_store_macro_get(w, op->id);
    return SB_OK;
}

typedef struct {
    sb_db *db;
    json_t *conv, *contact, *org, *agent;
    char buf[64], first[256];
    const char *fallback;
    json_t *articles; /* keeps looked-up titles alive */
} macro_ctx;

static const char *first_word(char *out, size_t n, const char *name)
{
    if (!name)
        return NULL;
    snprintf(out, n, "%s", name);
    out[strcspn(out, " ")] = '\0';
    return out;
}

static const char *macro_lookup(void *arg, const char *key, int64_t article_id)
{
    macro_ctx *c = arg;
    if (article_id) {
        json_t *a = sb_store_kb_article_get(c->db, article_id, c->fallback, c->fallback, false);
        if (!a)
            return NULL;
        json_array_append_new(c->articles, a);
        return json_string_value(json_object_get(a, "title"));
    }
    if (strcmp(key, "contact.name") == 0)
        return json_string_value(json_object_get(c->contact, "name"));
    if (strcmp(key, "contact.first_name") == 0)
        return first_word(c->first, sizeof c->first, json_string_value(json_object_get(c->contact, "name")));
    if (strcmp(key, "contact.email") == 0)
        return json_string_value(json_object_get(c->contact, "email"));
    if (strcmp(key, "contact.phone") == 0)
        return json_string_value(json_object_get(c->contact, "phone"));
    if (strcmp(key, "organization.name") == 0)
        return json_string_value(json_object_get(c->org, "name"));
    if (strcmp(key, "agent.name") == 0)
        return json_string_value(json_object_get(c->agent, "name"));
    if (strcmp(key, "agent.first_name") == 0)
        return first_word(c->first, sizeof c->first, json_string_value(json_object_get(c->agent, "name")));
    if (strcmp(key, "agent.email") == 0)
        return json_string_value(json_object_get(c->agent, "email"));
    if (strcmp(key, "conversation.id") == 0) {
        snprintf(c->buf, sizeof c->buf, "%lld", (long long)json_integer_value(json_object_get(c->conv, "id")));
        return c->buf;
    }
    if (strncmp(key, "conversation.", 13) == 0)
        return json_string_value(json_object_get(c->conv, key + 13));
    return NULL;
}

static sb_err macro_apply(sb_db *w, sb_kb_op *op, int64_t now)
{
    json_t *m = sb_store_macro_get(w, op->id2);
    if (!m || !macro_visible(op, m)) {
        json_decref(m);
        return sb_svc_fail(op->errmsg, SB_E_NOT_FOUND, "macro %lld not found", (long long)op->id2);
    }
    macro_ctx c = {.db = w, .articles = json_array()};
    c.conv = sb_store_conv_get(w, op->id);
    sb_err err = SB_OK;
    if (!c.conv) {
        err = sb_svc_fail(op->errmsg, SB_E_NOT_FOUND, "conversation %lld not found", (long long)op->id);
        goto out;
    }
    c.contact = sb_store_contact_get(w, json_integer_value(json_object_get(c.conv, "contact_id")));
    int64_t org_id = json_integer_value(json_object_get(c.contact, "organization_id"));
    c.org = org_id ? sb_store_org_get(w, org_id) : NULL;
    c.agent = sb_store_agent_get(w, op->actor.id);
    sb_kb_settings s;
    sb_kb_settings_load(w, &s);
    c.fallback = s.default_locale;
    char link_base[400];
    snprintf(link_base, sizeof link_base, "%s/help/%s/articles/", s.base_url, s.default_locale);
    char *body = sb_macro_expand(json_string_value(json_object_get(m, "body")), macro_lookup, &c, link_base);
    if (!body) {
        err = SB_E_INTERNAL;
        goto out;
    }
    json_t *actions = json_object_get(m, "actions");
    if (!op->preview && json_object_size(actions)) {
        if (op->role < SB_ROLE_AGENT) {
            free(body);
            err = sb_svc_fail(op->errmsg, SB_E_FORBIDDEN, "trainees preview macros; their replies go through review");
            goto out;
        }
        sb_conv_update_op u = {.actor = op->actor, .id = op->id};
        json_t *v;
        if ((v = json_object_get(actions, "status"))) {
            u.set_status = true;
            u.status = sb_status_parse(json_string_value(v));
        }
        if ((v = json_object_get(actions, "priority"))) {
            u.set_priority = u.set_reason = true;
            u.priority = sb_priority_parse(json_string_value(v));
            u.priority_reason = json_string_value(json_object_get(actions, "priority_reason"));
        }
        if ((v = json_object_get(actions, "team_id"))) {
            u.set_team = true;
            u.team_id = json_integer_value(v);
        }
        if ((v = json_object_get(actions, "assignee_id"))) {
            u.set_assignee = true;
            u.assignee_id = json_integer_value(v);
        }
        json_t *tags = NULL;
        json_t *add = json_object_get(actions, "add_tags"), *rem = json_object_get(actions, "remove_tags");
        if (add || rem) {
            tags = json_array();
            size_t i, j;
            json_t *t, *r;
            json_array_foreach(json_object_get(c.conv, "tags"), i, t)
            {
                bool drop = false;
                json_array_foreach(rem, j, r) drop = drop || strcasecmp(json_string_value(r), json_string_value(t)) == 0;
                if (!drop)
                    json_array_append(tags, t);
            }
            json_array_foreach(add, i, t)
            {
                bool have = false;
                json_array_foreach(tags, j, r) have = have || strcasecmp(json_string_value(r), json_string_value(t)) == 0;
                if (!have)
                    json_array_append(tags, t);
            }
            u.set_tags = true;
            u.tags = tags;
        }
        err = sb_svc_conv_update(w, &u);
        json_decref(tags);
        if (err != SB_OK) {
            snprintf(op->errmsg, SB_ERRMSG, "%s", u.errmsg);
            free(body);
            goto out;
        }
    }
    if (!op->preview && (err = sb_store_macro_used(w, op->id2, now)) != SB_OK) {
        free(body);
        goto out;
    }
    json_t *conv = sb_store_conv_get(w, op->id);
    op->out = json_pack("{s:s, s:b, s:O, s:o, s:I}", "body", body, "preview", op->preview, "actions", actions,
                        "conversation", conv ? conv : json_null(), "macro_id", (json_int_t)op->id2);
    free(body);
    op->status = 200;
out:
    json_decref(m);
    json_decref(c.conv);
    json_decref(c.contact);
    json_decref(c.org);
    json_decref(c.agent);
    json_decref(c.articles);
    return err;
}

/* ---- answer bot on conversations ---- */

static void sha_hex(const char *token, char hex[65])
{
    unsigned char h[32];
    crypto_hash_sha256(h, (const unsigned char *)token, strlen(token));
    sodium_bin2hex(hex, 65, h, 32);
}

static bool channel_in(const char *list, const char *channel)
{
    char pat[48];
    snprintf(pat, sizeof pat, ",%s,", channel ? channel : "");
    return strstr(list, pat) != NULL;
}

sb_err sb_svc_bot_offer(sb_db *w, int64_t conversation_id, const char *question, const char *locale,
                        int64_t *attempt_id, char token[65], char *errmsg)
{
    *attempt_id = 0;
    token[0] = '\0';
    sb_conv c;
    sb_err err = sb_store_conv_load(w, conversation_id, &c);
    if (err != SB_OK)
        return sb_svc_fail(errmsg, err, "conversation %lld not found", (long long)conversation_id);
    sb_kb_settings s;
    sb_kb_settings_load(w, &s);
    sb_bot_gate g = {
        .enabled = s.bot_enabled,
        .channel_allowed = channel_in(s.bot_channels, c.channel),
        .urgent = c.priority == SB_PRIORITY_URGENT,
        .agent_replied = sb_store_conv_agent_replied(w, c.id),
        .already_offered = sb_store_bot_offered(w, c.id),
    };
    /* An email cannot carry relative links: on email the bot needs base_url. */
    if (c.channel && strcmp(c.channel, "email") == 0 && !s.base_url[0])
        g.channel_allowed = false;
    sb_bot_verdict verdict = sb_bot_may_answer(&g);
    char *text = NULL;
    json_t *ans = NULL;
    if (verdict != SB_BOT_MAY_ANSWER) {
        snprintf(errmsg, SB_ERRMSG, "%s", sb_bot_verdict_name(verdict));
        goto out;
    }
    text = question && *question ? strdup(question) : sb_store_conv_question_text(w, c.id);
    if (!text) {
        err = SB_E_INTERNAL;
        goto out;
    }
    ans = sb_svc_bot_answer(w, text, locale, false);
    bool confident = json_is_true(json_object_get(ans, "confident"));
    const char *loc = json_string_value(json_object_get(ans, "locale"));
    unsigned char raw[32];
    randombytes_buf(raw, sizeof raw);
    sodium_bin2hex(token, 65, raw, sizeof raw);
    char hash[65];
    sha_hex(token, hash);
    char *arts = json_dumps(json_object_get(ans, "articles"), JSON_COMPACT);
    err = sb_store_bot_attempt_insert(w, c.id, loc, text, confident, json_number_value(json_object_get(ans, "confidence")),
                                      arts, hash, sb_now(), attempt_id);
    free(arts);
    if (err != SB_OK || !confident) {
        snprintf(errmsg, SB_ERRMSG, "%s", confident ? "cannot record the attempt" : "not_confident");
        if (!confident)
            token[0] = '\0';
        goto out;
    }
    sb_buf b;
    sb_buf_init(&b, 64 * 1024);
    sb_buf_puts(&b, "These articles may answer your question:\n\n");
    size_t i;
    json_t *a;
    json_array_foreach(json_object_get(ans, "articles"), i, a)
    {
        char *title = sb_macro_escape_text(json_string_value(json_object_get(a, "title")));
        sb_buf_printf(&b, "- [%s](%s/help/%s/articles/%lld)\n", title ? title : "", s.base_url, loc,
                      (long long)json_integer_value(json_object_get(a, "id")));
        free(title);
    }
    sb_buf_printf(&b, "\nDid this solve it? Yes / No, talk to a person: %s/help/bot/%lld?t=%s\n", s.base_url,
                  (long long)*attempt_id, token);
    sb_message_op m = {.actor = {"system", 0},
                       .conversation_id = c.id,
                       .body = b.data,
                       .set_status = c.status == SB_STATUS_OPEN ? SB_STATUS_PENDING : -1};
    err = sb_svc_message_create(w, &m);
    sb_buf_release(&b);
    if (err != SB_OK) {
        snprintf(errmsg, SB_ERRMSG, "%s", m.errmsg);
        goto out;
    }
    err = sb_store_bot_attempt_set_message(w, *attempt_id, m.message_id);
out:
    free(text);
    json_decref(ans);
    sb_conv_release(&c);
    return err;
}

sb_err sb_svc_bot_queue(sb_db *w, int64_t conversation_id)
{
    char key[48];
    snprintf(key, sizeof key, "bot.offer:%lld", (long long)conversation_id);
    json_t *payload = json_pack("{s:I}", "conversation_id", (json_int_t)conversation_id);
    int64_t now = sb_now();
    sb_err err = sb_store_job_enqueue(w, "bot.offer", payload, now, 3, key, now, NULL);
    json_decref(payload);
    return err;
}

static sb_err bot_offer_op(sb_db *w, sb_kb_op *op)
{
    int64_t attempt = 0;
    char token[65];
    char msg[SB_ERRMSG] = "";
    sb_err err = sb_svc_bot_offer(w, op->id, op->question, op->locale, &attempt, token, msg);
    if (err != SB_OK) {
        snprintf(op->errmsg, SB_ERRMSG, "%s", msg);
        return err;
    }
    json_t *att = attempt ? sb_store_bot_attempt_get(w, attempt) : NULL;
    if (att)
        json_object_del(att, "token_hash");
    op->out = json_pack("{s:b, s:s, s:o, s:o}", "offered", token[0] != '\0', "reason", token[0] ? "offered" : msg,
                        "attempt", att ? att : json_null(), "token", token[0] ? json_string(token) : json_null());
    op->status = 200;
    return SB_OK;
}

static sb_err bot_feedback(sb_db *w, sb_kb_op *op, int64_t now)
{
    json_t *a = sb_store_bot_attempt_get(w, op->id);
    const char *stored = a ? json_string_value(json_object_get(a, "token_hash")) : NULL;
    char hash[65];
    sha_hex(op->token ? op->token : "", hash);
    if (!stored || strlen(stored) != 64 || sodium_memcmp(stored, hash, 64) != 0) {
        json_decref(a);
        return sb_svc_fail(op->errmsg, SB_E_NOT_FOUND, "no such bot answer (or a wrong token)");
    }
    int64_t conv_id = json_integer_value(json_object_get(a, "conversation_id"));
    json_decref(a);
    sb_err err = sb_store_bot_attempt_decide(w, op->id, op->helpful ? "accepted" : "rejected", now);
    if (err == SB_E_CONFLICT)
        return sb_svc_fail(op->errmsg, err, "this answer was already rated");
    if (err != SB_OK)
        return err;
    json_t *conv = sb_store_conv_get(w, conv_id);
    if (!conv)
        return SB_E_INTERNAL;
    sb_actor customer = {"contact", json_integer_value(json_object_get(conv, "contact_id"))};
    int64_t assignee = json_integer_value(json_object_get(conv, "assignee_id"));
    const char *status = json_string_value(json_object_get(conv, "status"));
    json_t *tags = json_deep_copy(json_object_get(conv, "tags"));
    json_array_append_new(tags, json_string(op->helpful ? "bot-resolved" : "bot-handoff"));
    sb_conv_update_op u = {.actor = customer, .id = conv_id, .set_tags = true, .tags = tags};
    int target = op->helpful ? SB_STATUS_SOLVED : SB_STATUS_OPEN;
    /* A late "Yes" must not close what a person has taken over since the bot answered (made it
     * urgent, or replied): the answer is recorded, the conversation left as it is. */
    bool taken_over = op->helpful && (strcmp(json_string_value(json_object_get(conv, "priority")), "urgent") == 0 ||
                                      sb_store_conv_agent_replied(w, conv_id));
    if (status && strcmp(status, "closed") != 0 && !taken_over) {
        u.set_status = true;
        u.status = target;
    }
    u.set_tags = !taken_over;
    err = sb_svc_conv_update(w, &u);
    json_decref(tags);
    json_decref(conv);
    if (err != SB_OK)
        return sb_svc_fail(op->errmsg, err, "%s", u.errmsg);
    if (!op->helpful)
        err = sb_svc_system_message(w, conv_id, &customer, now,
                                    "The customer said the answer bot's reply did not solve it: handed to the queue");
    if (!op->helpful && err == SB_OK && assignee > 0)
        err = sb_svc_notify(w, assignee, "bot_handoff", conv_id, "The answer bot's reply did not help: the customer asks for a person");
    op->out = json_pack("{s:s, s:I}", "outcome", op->helpful ? "accepted" : "rejected", "conversation_id",
                        (json_int_t)conv_id);
    op->status = 200;
    return err;
}

/* ---- dispatch ---- */

sb_err sb_svc_kb_write(sb_db *w, void *arg)
{
    sb_kb_op *op = arg;
    int64_t now = sb_now();
    switch (op->kind) {
    case SB_KB_ARTICLE_CREATE:
        return article_create(w, op, now);
    case SB_KB_ARTICLE_UPDATE:
        return article_update(w, op, now);
    case SB_KB_ARTICLE_DELETE: {
        if (!sb_store_kb_article_exists(w, op->id))
            return sb_svc_fail(op->errmsg, SB_E_NOT_FOUND, "article %lld not found", (long long)op->id);
        sb_err err = sb_store_kb_article_delete(w, op->id);
        op->status = 204;
        return err == SB_OK ? emit_article(w, op, "article.deleted", op->id, NULL, now) : err;
    }
    case SB_KB_TRANSLATION_DELETE: {
        if (!sb_store_kb_article_exists(w, op->id))
            return sb_svc_fail(op->errmsg, SB_E_NOT_FOUND, "article %lld not found", (long long)op->id);
        json_t *o = sb_store_kb_article_get(w, op->id, NULL, NULL, true);
        size_t n = json_array_size(json_object_get(o, "translations"));
        json_decref(o);
        if (n <= 1)
            return sb_svc_fail(op->errmsg, SB_E_VALIDATION, "the last translation goes with the article (DELETE it)");
        sb_err err = sb_store_kb_translation_delete(w, op->id, op->locale);
        if (err == SB_E_NOT_FOUND)
            return sb_svc_fail(op->errmsg, err, "article %lld has no %s translation", (long long)op->id, op->locale);
        op->status = 204;
        return err == SB_OK ? emit_article(w, op, "article.updated", op->id, NULL, now) : err;
    }
    case SB_KB_VERSION_RESTORE:
        return version_restore(w, op, now);
    case SB_KB_CATEGORY_CREATE:
    case SB_KB_CATEGORY_UPDATE:
    case SB_KB_CATEGORY_DELETE:
        return category_write(w, op, now);
    case SB_KB_SETTINGS_PUT:
        return settings_put(w, op);
    case SB_KB_VOTE: {
        json_t *a = sb_store_kb_article_get(w, op->id, op->locale, op->locale, false);
        if (!a)
            return sb_svc_fail(op->errmsg, SB_E_NOT_FOUND, "article %lld not found", (long long)op->id);
        json_decref(a);
        op->status = 200;
        return sb_store_kb_vote(w, op->id, op->visitor, op->helpful, now);
    }
    case SB_KB_VIEW:
        return sb_store_kb_view(w, op->id, op->locale ? op->locale : "", op->visitor, op->source ? op->source : "api",
                                now);
    case SB_KB_SEARCH_LOG:
        return sb_store_kb_search_log(w, op->question ? op->question : "", op->locale ? op->locale : "", op->results,
                                      op->source ? op->source : "api", now);
    case SB_KB_BOT_LOG: {
        char *arts = json_dumps(json_object_get(op->in, "articles"), JSON_COMPACT);
        sb_err err = sb_store_bot_attempt_insert(
            w, 0, json_string_value(json_object_get(op->in, "locale")), op->question ? op->question : "",
            json_is_true(json_object_get(op->in, "confident")), json_number_value(json_object_get(op->in, "confidence")),
            arts, NULL, now, NULL);
        free(arts);
        return err;
    }
    case SB_KB_MACRO_CREATE:
    case SB_KB_MACRO_UPDATE:
    case SB_KB_MACRO_DELETE:
        return macro_write(w, op, now);
    case SB_KB_MACRO_APPLY:
        return macro_apply(w, op, now);
    case SB_KB_BOT_OFFER:
        return bot_offer_op(w, op);
    case SB_KB_BOT_FEEDBACK:
        return bot_feedback(w, op, now);
    case SB_KB_VISITOR_LINK:
    {
        sb_conv c;
        if (sb_store_conv_load(w, op->id, &c) != SB_OK)
            return sb_svc_fail(op->errmsg, SB_E_NOT_FOUND, "conversation %lld not found", (long long)op->id);
        sb_conv_release(&c);
        op->status = 204;
        return sb_store_kb_visitor_link(w, op->visitor, op->id, now);
    }
    }
    return SB_E_INTERNAL;
}
