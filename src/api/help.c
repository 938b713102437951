/* The help center at /help: server-rendered HTML per locale, no JavaScript of its own.
 * Everything shown comes from the public view of the store (published translations of
 * public articles), every value is HTML-escaped, article bodies are cmark-gfm output in
 * safe mode, and the pages carry a strict Content-Security-Policy. */
#include <microhttpd.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api/kb_api.h"
#include "core/kb_text.h"
#include "http/auth.h"
#include "service/kb.h"
#include "store/blobs.h"
#include "store/kb.h"
#include "util/buf.h"
#include "util/html.h"

#define HELP_CSP                                                                                    \
    "default-src 'none'; style-src 'self'; img-src 'self'; script-src 'self'; connect-src 'self';"  \
    " form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
#define VISITOR_COOKIE "sb_visitor"
#define PAGE_MAX (4u << 20)

/* ---- HTML output ---- */

/* Every value goes through the project's one escaping function. */
static void esc(sb_buf *b, const char *s)
{
    sb_html_escape(b, s);
}

static void url_esc(sb_buf *b, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *p = (const unsigned char *)s; p && *p; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || strchr("-_.~", *p)) {
            sb_buf_append(b, p, 1);
        } else {
            char e[3] = {'%', hex[*p >> 4], hex[*p & 15]};
            sb_buf_append(b, e, 3);
        }
    }
}

typedef struct {
    sb_req *r;
    sb_kb_settings s;
    char locale[16];
    char visitor[65];
    bool new_visitor;
    sb_buf b;
} page;

static const char *visitor_of(sb_req *r, char out[65], bool *fresh)
{
    const char *v = sb_req_cookie(r, VISITOR_COOKIE);
    *fresh = false;
    if (v && strlen(v) == 32 && strspn(v, "0123456789abcdef") == 32) {
        snprintf(out, 65, "%s", v);
        return out;
    }
    unsigned char raw[16];
    randombytes_buf(raw, sizeof raw);
    sodium_bin2hex(out, 65, raw, sizeof raw);
    *fresh = true;
    return out;
}

static void page_init(page *p, sb_req *r)
{
    memset(p, 0, sizeof *p);
    p->r = r;
    sb_kb_settings_load(sb_req_db(r), &p->s);
    visitor_of(r, p->visitor, &p->new_visitor);
    sb_buf_init(&p->b, PAGE_MAX);
}

static int send_html(page *p, unsigned status)
{
    sb_req *r = p->r;
    if (p->b.failed) {
        sb_buf_release(&p->b);
        return sb_req_fail(r, SB_E_INTERNAL, "the page is too large");
    }
    size_t len;
    char *text = sb_buf_detach(&p->b, &len);
    struct MHD_Response *resp = MHD_create_response_from_buffer(len, text, MHD_RESPMEM_MUST_FREE);
    if (!resp) {
        free(text);
        return sb_req_fail(r, SB_E_INTERNAL, "out of memory");
    }
    MHD_add_response_header(resp, "Content-Type", "text/html; charset=utf-8");
    MHD_add_response_header(resp, "Content-Security-Policy", HELP_CSP);
    MHD_add_response_header(resp, "X-Frame-Options", "DENY");
    if (p->new_visitor) {
        char cookie[200];
        snprintf(cookie, sizeof cookie, VISITOR_COOKIE "=%s; Path=/; Max-Age=31536000; SameSite=Lax; HttpOnly%s",
                 p->visitor, r->app->cfg.secure_cookies ? "; Secure" : "");
        MHD_add_response_header(resp, "Set-Cookie", cookie);
    }
    r->resp_bytes = len;
    return sb_req_queue_response(r, status, resp);
}

static const char *ui(const char *locale, const char *key);

static void head(page *p, const char *title)
{
    sb_buf *b = &p->b;
    sb_buf_puts(b, "<!DOCTYPE html>\n<html lang=\"");
    esc(b, p->locale);
    sb_buf_puts(b, "\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, "
                   "initial-scale=1\"><title>");
    esc(b, title);
    sb_buf_puts(b, " – ");
    esc(b, ui(p->locale, "help_center"));
    sb_buf_puts(b, "</title><link rel=\"stylesheet\" href=\"/help/help.css\"></head><body>"
                   "<header class=\"top\"><a class=\"brand\" href=\"/help/");
    esc(b, p->locale);
    sb_buf_puts(b, "\">");
    esc(b, ui(p->locale, "help_center"));
    sb_buf_puts(b, "</a><nav class=\"locales\">");
    for (int i = 0; i < p->s.nlocales; i++) {
        sb_buf_puts(b, "<a href=\"/help/");
        esc(b, p->s.locales[i]);
        sb_buf_puts(b, "\" hreflang=\"");
        esc(b, p->s.locales[i]);
        sb_buf_puts(b, strcmp(p->s.locales[i], p->locale) == 0 ? "\" class=\"current\">" : "\">");
        esc(b, p->s.locales[i]);
        sb_buf_puts(b, "</a> ");
    }
    sb_buf_puts(b, "</nav><form class=\"search\" method=\"get\" action=\"/help/");
    esc(b, p->locale);
    sb_buf_puts(b, "/search\"><input type=\"search\" name=\"q\" aria-label=\"");
    esc(b, ui(p->locale, "search"));
    sb_buf_puts(b, "\" placeholder=\"");
    esc(b, ui(p->locale, "search_placeholder"));
    sb_buf_puts(b, "\" maxlength=\"500\"><button type=\"submit\">");
    esc(b, ui(p->locale, "search"));
    sb_buf_puts(b, "</button></form></header><main>");
}

static void foot(page *p)
{
    sb_buf *b = &p->b;
    sb_buf_puts(b, "</main><footer><p>");
    esc(b, ui(p->locale, "contact_note"));
    sb_buf_puts(b, " <a href=\"/contact\">");
    esc(b, ui(p->locale, "contact"));
    sb_buf_puts(b, "</a></p><p class=\"chat-note\">");
    esc(b, ui(p->locale, "chat_note"));
    sb_buf_puts(b, "</p></footer><script src=\"/widget.js\" defer></script></body></html>\n");
}

/* Interface strings: English, with Russian, Ukrainian, Spanish and Indonesian. */
static const struct {
    const char *key, *en, *ru, *uk, *es, *id;
} strings[] = {
    {"help_center", "Help center", "Центр помощи", "Центр допомоги", "Centro de ayuda", "Pusat bantuan"},
    {"search", "Search", "Найти", "Знайти", "Buscar", "Cari"},
    {"search_placeholder", "Search articles", "Поиск по статьям", "Пошук статей", "Buscar artículos", "Cari artikel"},
    {"contact_note", "Still need help?", "Нужна помощь?", "Потрібна допомога?", "¿Necesitas ayuda?", "Masih butuh bantuan?"},
    {"contact", "Contact us", "Напишите нам", "Напишіть нам", "Contáctanos", "Hubungi kami"},
    {"chat_note", "You can also chat with us: use the chat button at the bottom of the page.",
     "Можно также написать в чат: кнопка внизу страницы.", "Можна також написати в чат: кнопка внизу сторінки.",
     "También puedes chatear con nosotros con el botón al pie de la página.",
     "Anda juga bisa mengobrol dengan kami lewat tombol di bawah halaman."},
    {"categories", "Categories", "Разделы", "Розділи", "Categorías", "Kategori"},
    {"articles", "Articles", "Статьи", "Статті", "Artículos", "Artikel"},
    {"related", "Related articles", "Похожие статьи", "Схожі статті", "Artículos relacionados", "Artikel terkait"},
    {"helpful", "Was this article helpful?", "Статья была полезной?", "Стаття була корисною?", "¿Te resultó útil este artículo?",
     "Apakah artikel ini membantu?"},
    {"yes", "Yes", "Да", "Так", "Sí", "Ya"},
    {"no", "No", "Нет", "Ні", "No", "Tidak"},
    {"thanks", "Thank you for your feedback.", "Спасибо за отзыв.", "Дякуємо за відгук.", "Gracias por tu opinión.",
     "Terima kasih atas masukan Anda."},
    {"no_results", "No articles match your search.", "Ничего не найдено.", "Нічого не знайдено.",
     "Ningún artículo coincide con tu búsqueda.", "Tidak ada artikel yang cocok."},
    {"results_for", "Results for", "Результаты поиска:", "Результати пошуку:", "Resultados para", "Hasil untuk"},
    {"not_found", "Page not found", "Страница не найдена", "Сторінку не знайдено", "Página no encontrada",
     "Halaman tidak ditemukan"},
    {"untranslated", "This article is not available in your language yet; here it is in",
     "Эта статья ещё не переведена; вот она на языке", "Ця стаття ще не перекладена; ось вона мовою",
     "Este artículo aún no está traducido; aquí está en", "Artikel ini belum diterjemahkan; ini versi bahasa"},
    {"attachments", "Attachments", "Файлы", "Файли", "Adjuntos", "Lampiran"},
    {"found_helpful", "people found this helpful", "считают статью полезной", "вважають статтю корисною",
     "personas lo encontraron útil", "orang merasa terbantu"},
    {"bot_question", "Did this solve your problem?", "Это решило вашу проблему?", "Це розв'язало вашу проблему?",
     "¿Esto resolvió tu problema?", "Apakah ini menyelesaikan masalah Anda?"},
    {"bot_yes", "Yes, it solved it", "Да, решило", "Так, розв'язало", "Sí, lo resolvió", "Ya, sudah selesai"},
    {"bot_no", "No, talk to a person", "Нет, нужен человек", "Ні, потрібна людина", "No, hablar con una persona",
     "Tidak, bicara dengan orang"},
    {"bot_accepted", "Great, we marked your question as solved.", "Отлично, вопрос отмечен как решённый.",
     "Чудово, питання позначено як розв'язане.", "Perfecto, marcamos tu pregunta como resuelta.",
     "Bagus, pertanyaan Anda ditandai selesai."},
    {"bot_rejected", "We passed your question to our team; a person will answer soon.",
     "Мы передали вопрос команде; скоро ответит человек.", "Ми передали питання команді; скоро відповість людина.",
     "Pasamos tu pregunta a nuestro equipo; una persona te responderá pronto.",
     "Pertanyaan Anda diteruskan ke tim kami; seseorang akan segera menjawab."},
};

static const char *ui(const char *locale, const char *key)
{
    for (size_t i = 0; i < sizeof strings / sizeof strings[0]; i++) {
        if (strcmp(strings[i].key, key) != 0)
            continue;
        if (strncmp(locale, "ru", 2) == 0)
            return strings[i].ru;
        if (strncmp(locale, "uk", 2) == 0)
            return strings[i].uk;
        if (strncmp(locale, "es", 2) == 0)
            return strings[i].es;
        if (strncmp(locale, "id", 2) == 0)
            return strings[i].id;
        return strings[i].en;
    }
    return key;
}

static int not_found(page *p)
{
    head(p, ui(p->locale, "not_found"));
    sb_buf_puts(&p->b, "<h1>");
    esc(&p->b, ui(p->locale, "not_found"));
    sb_buf_puts(&p->b, "</h1>");
    foot(p);
    return send_html(p, 404);
}

/* ---- locale ---- */

/* The locale of /help/<locale>/...; false when the segment is not an enabled locale. */
static bool path_locale(page *p)
{
    const char *s = p->r->path + strlen("/help/");
    size_t n = strcspn(s, "/");
    if (n == 0 || n >= sizeof p->locale)
        return false;
    memcpy(p->locale, s, n);
    p->locale[n] = '\0';
    return sb_kb_locale_enabled(&p->s, p->locale);
}

/* Accept-Language: the enabled locale with the highest q (exact tag, then language). */
static void negotiate(page *p)
{
    snprintf(p->locale, sizeof p->locale, "%s", p->s.default_locale);
    const char *al = sb_req_header(p->r, "Accept-Language");
    if (!al)
        return;
    double best_q = 0;
    char buf[512];
    snprintf(buf, sizeof buf, "%s", al);
    for (char *save = NULL, *part = strtok_r(buf, ",", &save); part; part = strtok_r(NULL, ",", &save)) {
        while (*part == ' ')
            part++;
        double q = 1.0;
        char *semi = strchr(part, ';');
        if (semi) {
            *semi = '\0';
            char *qs = strstr(semi + 1, "q=");
            if (qs)
                q = strtod(qs + 2, NULL);
        }
        size_t n = strcspn(part, " ");
        part[n] = '\0';
        for (int i = 0; i < p->s.nlocales; i++) {
            const char *l = p->s.locales[i];
            size_t ln = strcspn(l, "-"), pn = strcspn(part, "-");
            bool exact = strcasecmp(l, part) == 0;
            bool lang = ln == pn && strncasecmp(l, part, ln) == 0;
            double score = exact ? q : (lang ? q - 0.001 : 0);
            if (score > best_q) {
                best_q = score;
                snprintf(p->locale, sizeof p->locale, "%s", l);
            }
        }
    }
}

static const char *category_name(json_t *c, const char *locale)
{
    const char *n = json_string_value(json_object_get(json_object_get(c, "names"), locale));
    return n ? n : json_string_value(json_object_get(c, "name"));
}

static void article_link(page *p, json_t *a)
{
    sb_buf_puts(&p->b, "<li><a href=\"/help/");
    esc(&p->b, p->locale);
    sb_buf_printf(&p->b, "/articles/%lld\">", (long long)json_integer_value(json_object_get(a, "id")));
    esc(&p->b, json_string_value(json_object_get(a, "title")));
    sb_buf_puts(&p->b, "</a></li>");
}

/* ---- pages ---- */

int sb_api_help_home(sb_req *r)
{
    page p;
    page_init(&p, r);
    if (strcmp(r->path, "/help") == 0 || strcmp(r->path, "/help/") == 0)
        negotiate(&p);
    else if (!path_locale(&p))
        return not_found(&p);
    json_t *cats = sb_store_kb_category_list(sb_req_db(r), false, p.locale, p.s.default_locale);
    head(&p, ui(p.locale, "help_center"));
    sb_buf_puts(&p.b, "<h1>");
    esc(&p.b, ui(p.locale, "help_center"));
    sb_buf_puts(&p.b, "</h1><section class=\"categories\"><h2>");
    esc(&p.b, ui(p.locale, "categories"));
    sb_buf_puts(&p.b, "</h2><ul>");
    size_t i;
    json_t *c;
    json_array_foreach(cats, i, c)
    {
        if (!json_is_null(json_object_get(c, "parent_id")) || json_integer_value(json_object_get(c, "article_count")) == 0)
            continue;
        sb_buf_puts(&p.b, "<li><a href=\"/help/");
        esc(&p.b, p.locale);
        sb_buf_printf(&p.b, "/categories/%lld\">", (long long)json_integer_value(json_object_get(c, "id")));
        esc(&p.b, category_name(c, p.locale));
        sb_buf_printf(&p.b, "</a> <span class=\"count\">%lld</span>",
                      (long long)json_integer_value(json_object_get(c, "article_count")));
        const char *d = json_string_value(json_object_get(c, "description"));
        if (d && *d) {
            sb_buf_puts(&p.b, "<p>");
            esc(&p.b, d);
            sb_buf_puts(&p.b, "</p>");
        }
        sb_buf_puts(&p.b, "</li>");
    }
    sb_buf_puts(&p.b, "</ul></section>");
    json_decref(cats);
    sb_kb_filter f = {.locale = p.locale, .limit = 20};
    json_t *arts = sb_store_kb_article_list(sb_req_db(r), &f, p.s.default_locale, false);
    sb_buf_puts(&p.b, "<section class=\"articles\"><h2>");
    esc(&p.b, ui(p.locale, "articles"));
    sb_buf_puts(&p.b, "</h2><ul>");
    json_t *a;
    json_array_foreach(arts, i, a) article_link(&p, a);
    sb_buf_puts(&p.b, "</ul></section>");
    json_decref(arts);
    foot(&p);
    return send_html(&p, 200);
}

int sb_api_help_category(sb_req *r)
{
    page p;
    page_init(&p, r);
    if (!path_locale(&p))
        return not_found(&p);
    json_t *cat = sb_store_kb_category_get(sb_req_db(r), r->ids[0]);
    if (!cat)
        return not_found(&p);
    head(&p, category_name(cat, p.locale));
    sb_buf_puts(&p.b, "<h1>");
    esc(&p.b, category_name(cat, p.locale));
    sb_buf_puts(&p.b, "</h1>");
    const char *d = json_string_value(json_object_get(cat, "description"));
    if (d && *d) {
        sb_buf_puts(&p.b, "<p class=\"description\">");
        esc(&p.b, d);
        sb_buf_puts(&p.b, "</p>");
    }
    sb_kb_filter f = {.locale = p.locale, .category_id = r->ids[0], .limit = 200};
    json_t *arts = sb_store_kb_article_list(sb_req_db(r), &f, p.s.default_locale, false);
    sb_buf_puts(&p.b, "<ul class=\"articles\">");
    size_t i;
    json_t *a;
    json_array_foreach(arts, i, a) article_link(&p, a);
    sb_buf_puts(&p.b, "</ul>");
    json_decref(arts);
    json_decref(cat);
    foot(&p);
    return send_html(&p, 200);
}

static void log_view(page *p, int64_t id, const char *locale)
{
    sb_kb_op *op = sb_kb_op_new(SB_KB_VIEW);
    if (!op)
        return;
    op->id = id;
    op->locale = strdup(locale);
    op->visitor = strdup(p->visitor);
    op->source = strdup("help");
    sb_svc_kb_submit_async(p->r->app->store, op);
}

int sb_api_help_article_page(sb_req *r)
{
    page p;
    page_init(&p, r);
    if (!path_locale(&p))
        return not_found(&p);
    json_t *a = sb_store_kb_article_get(sb_req_db(r), r->ids[0], p.locale, p.s.default_locale, false);
    if (!a)
        return not_found(&p);
    const char *title = json_string_value(json_object_get(a, "title"));
    const char *shown = json_string_value(json_object_get(a, "locale"));
    head(&p, title);
    sb_buf_puts(&p.b, "<article><h1>");
    esc(&p.b, title);
    sb_buf_puts(&p.b, "</h1>");
    if (strcmp(shown, p.locale) != 0) {
        sb_buf_puts(&p.b, "<p class=\"notice\">");
        esc(&p.b, ui(p.locale, "untranslated"));
        sb_buf_puts(&p.b, " <span lang=\"");
        esc(&p.b, shown);
        sb_buf_puts(&p.b, "\">");
        esc(&p.b, shown);
        sb_buf_puts(&p.b, "</span>.</p>");
    }
    sb_buf_puts(&p.b, "<div class=\"body\" lang=\"");
    esc(&p.b, shown);
    sb_buf_puts(&p.b, "\">");
    /* cmark-gfm output in safe mode with the tagfilter extension: no raw HTML. */
    sb_buf_puts(&p.b, json_string_value(json_object_get(a, "body_html")));
    sb_buf_puts(&p.b, "</div>");
    json_t *files = json_object_get(a, "files");
    if (json_array_size(files)) {
        sb_buf_puts(&p.b, "<section class=\"files\"><h2>");
        esc(&p.b, ui(p.locale, "attachments"));
        sb_buf_puts(&p.b, "</h2><ul>");
        size_t i;
        json_t *f;
        json_array_foreach(files, i, f)
        {
            sb_buf_puts(&p.b, "<li><a href=\"/help/files/");
            esc(&p.b, json_string_value(json_object_get(f, "sha256")));
            sb_buf_puts(&p.b, "\">");
            esc(&p.b, json_string_value(json_object_get(f, "filename")));
            sb_buf_puts(&p.b, "</a></li>");
        }
        sb_buf_puts(&p.b, "</ul></section>");
    }
    sb_buf_puts(&p.b, "</article><section class=\"vote\">");
    const char *voted = sb_req_query(r, "voted");
    if (voted && *voted) {
        sb_buf_puts(&p.b, "<p class=\"thanks\">");
        esc(&p.b, ui(p.locale, "thanks"));
        sb_buf_puts(&p.b, "</p>");
    }
    sb_buf_puts(&p.b, "<form method=\"post\" action=\"/help/");
    esc(&p.b, p.locale);
    sb_buf_printf(&p.b, "/articles/%lld/vote\"><p>", (long long)r->ids[0]);
    esc(&p.b, ui(p.locale, "helpful"));
    sb_buf_puts(&p.b, "</p><button type=\"submit\" name=\"helpful\" value=\"yes\">");
    esc(&p.b, ui(p.locale, "yes"));
    sb_buf_puts(&p.b, "</button> <button type=\"submit\" name=\"helpful\" value=\"no\">");
    esc(&p.b, ui(p.locale, "no"));
    sb_buf_puts(&p.b, "</button></form>");
    long long yes = json_integer_value(json_object_get(a, "helpful_yes"));
    long long no = json_integer_value(json_object_get(a, "helpful_no"));
    if (yes + no > 0) {
        sb_buf_printf(&p.b, "<p class=\"votes\">%lld / %lld ", yes, yes + no);
        esc(&p.b, ui(p.locale, "found_helpful"));
        sb_buf_puts(&p.b, "</p>");
    }
    sb_buf_puts(&p.b, "</section>");
    json_t *rel = sb_store_kb_related(sb_req_db(r), r->ids[0], p.locale, p.s.default_locale, 5);
    if (json_array_size(rel)) {
        sb_buf_puts(&p.b, "<section class=\"related\"><h2>");
        esc(&p.b, ui(p.locale, "related"));
        sb_buf_puts(&p.b, "</h2><ul>");
        size_t i;
        json_t *x;
        json_array_foreach(rel, i, x) article_link(&p, x);
        sb_buf_puts(&p.b, "</ul></section>");
    }
    json_decref(rel);
    log_view(&p, r->ids[0], shown);
    json_decref(a);
    foot(&p);
    return send_html(&p, 200);
}

int sb_api_help_search(sb_req *r)
{
    page p;
    page_init(&p, r);
    if (!path_locale(&p))
        return not_found(&p);
    int rc = sb_api_kb_rate_limit(r, "search");
    if (rc != SB_OK) {
        sb_buf_release(&p.b);
        return rc;
    }
    const char *q = sb_req_query(r, "q");
    char qbuf[SB_KB_QUERY_MAX + 1];
    snprintf(qbuf, sizeof qbuf, "%s", q ? q : "");
    head(&p, ui(p.locale, "search"));
    if (qbuf[0]) {
        int n = 0;
        json_t *items = sb_svc_kb_search(sb_req_db(r), qbuf, p.locale, false, 20, &n);
        sb_buf_puts(&p.b, "<h1>");
        esc(&p.b, ui(p.locale, "results_for"));
        sb_buf_puts(&p.b, " “");
        esc(&p.b, qbuf);
        sb_buf_puts(&p.b, "”</h1>");
        if (!n) {
            sb_buf_puts(&p.b, "<p class=\"empty\">");
            esc(&p.b, ui(p.locale, "no_results"));
            sb_buf_puts(&p.b, "</p>");
        } else {
            sb_buf_puts(&p.b, "<ul class=\"results\">");
            size_t i;
            json_t *a;
            json_array_foreach(items, i, a) article_link(&p, a);
            sb_buf_puts(&p.b, "</ul>");
        }
        json_decref(items);
        sb_kb_op *op = sb_kb_op_new(SB_KB_SEARCH_LOG);
        if (op) {
            op->question = strdup(qbuf);
            op->locale = strdup(p.locale);
            op->results = n;
            op->source = strdup("help");
            sb_svc_kb_submit_async(r->app->store, op);
        }
    } else {
        sb_buf_puts(&p.b, "<h1>");
        esc(&p.b, ui(p.locale, "search"));
        sb_buf_puts(&p.b, "</h1>");
    }
    foot(&p);
    return send_html(&p, 200);
}

/* ---- form posts ---- */

/* The value of key in an application/x-www-form-urlencoded body, decoded into out. */
static bool form_value(const char *body, const char *key, char *out, size_t n)
{
    size_t kl = strlen(key);
    for (const char *p = body; p && *p;) {
        const char *amp = strchr(p, '&');
        size_t len = amp ? (size_t)(amp - p) : strlen(p);
        if (len > kl && strncmp(p, key, kl) == 0 && p[kl] == '=') {
            size_t j = 0;
            for (size_t i = kl + 1; i < len && j + 1 < n; i++) {
                char c = p[i];
                if (c == '+') {
                    c = ' ';
                } else if (c == '%' && i + 2 < len + 1 && p[i + 1] && p[i + 2]) {
                    char hex[3] = {p[i + 1], p[i + 2], 0};
                    c = (char)strtol(hex, NULL, 16);
                    i += 2;
                }
                out[j++] = c;
            }
            out[j] = '\0';
            return true;
        }
        p = amp ? amp + 1 : NULL;
    }
    return false;
}

int sb_api_help_vote(sb_req *r)
{
    int rc = sb_api_kb_rate_limit(r, "search");
    if (rc != SB_OK)
        return rc;
    char val[8], locale[16];
    const char *s = r->path + strlen("/help/");
    size_t n = strcspn(s, "/");
    if (n >= sizeof locale || !r->raw || !form_value(r->raw, "helpful", val, sizeof val) ||
        (strcmp(val, "yes") != 0 && strcmp(val, "no") != 0))
        return sb_req_fail(r, SB_E_VALIDATION, "send helpful=yes or helpful=no");
    memcpy(locale, s, n);
    locale[n] = '\0';
    sb_kb_op *op = sb_kb_op_new(SB_KB_VOTE);
    if (!op)
        return sb_req_fail(r, SB_E_INTERNAL, "out of memory");
    char visitor[65];
    bool fresh;
    visitor_of(r, visitor, &fresh);
    if (fresh) /* no cookie: one vote per client address */
        sb_api_client_ip(r, visitor, sizeof visitor);
    sb_kb_settings st;
    sb_kb_settings_load(sb_req_db(r), &st);
    op->id = r->ids[0];
    op->visitor = strdup(visitor);
    op->helpful = strcmp(val, "yes") == 0;
    op->locale = strdup(sb_kb_locale_enabled(&st, locale) ? locale : st.default_locale);
    return sb_req_submit(r, sb_svc_kb_write, op, sb_kb_op_free, op->errmsg);
}

static int redirect(sb_req *r, const char *location)
{
    struct MHD_Response *resp = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
    if (!resp)
        return sb_req_fail(r, SB_E_INTERNAL, "out of memory");
    MHD_add_response_header(resp, "Location", location);
    return sb_req_queue_response(r, 303, resp);
}

int sb_api_help_vote_finish(sb_req *r)
{
    sb_kb_op *op = r->op;
    char loc[128];
    snprintf(loc, sizeof loc, "/help/%s/articles/%lld?voted=1", op->locale, (long long)op->id);
    return redirect(r, loc);
}

static bool attempt_token_ok(sb_req *r, int64_t id, const char *token)
{
    json_t *a = sb_store_bot_attempt_get(sb_req_db(r), id);
    const char *stored = a ? json_string_value(json_object_get(a, "token_hash")) : NULL;
    unsigned char h[32];
    char hex[65];
    sb_auth_hash(token ? token : "", h);
    sodium_bin2hex(hex, sizeof hex, h, sizeof h);
    bool ok = stored && strlen(stored) == 64 && sodium_memcmp(stored, hex, 64) == 0;
    json_decref(a);
    return ok;
}

int sb_api_help_bot_page(sb_req *r)
{
    page p;
    page_init(&p, r);
    snprintf(p.locale, sizeof p.locale, "%s", p.s.default_locale);
    const char *t = sb_req_query(r, "t");
    if (!t || strlen(t) != 64 || !attempt_token_ok(r, r->ids[0], t))
        return not_found(&p);
    json_t *a = sb_store_bot_attempt_get(sb_req_db(r), r->ids[0]);
    const char *loc = json_string_value(json_object_get(a, "locale"));
    if (loc && sb_kb_locale_enabled(&p.s, loc))
        snprintf(p.locale, sizeof p.locale, "%s", loc);
    head(&p, ui(p.locale, "bot_question"));
    sb_buf_puts(&p.b, "<h1>");
    esc(&p.b, ui(p.locale, "bot_question"));
    sb_buf_puts(&p.b, "</h1><ul class=\"articles\">");
    size_t i;
    json_t *x;
    json_array_foreach(json_object_get(a, "articles"), i, x) article_link(&p, x);
    sb_buf_puts(&p.b, "</ul>");
    if (json_is_null(json_object_get(a, "outcome"))) {
        sb_buf_printf(&p.b, "<form method=\"post\" action=\"/help/bot/%lld\"><input type=\"hidden\" name=\"t\" value=\"",
                      (long long)r->ids[0]);
        esc(&p.b, t);
        sb_buf_puts(&p.b, "\"><button type=\"submit\" name=\"helpful\" value=\"yes\">");
        esc(&p.b, ui(p.locale, "bot_yes"));
        sb_buf_puts(&p.b, "</button> <button type=\"submit\" name=\"helpful\" value=\"no\">");
        esc(&p.b, ui(p.locale, "bot_no"));
        sb_buf_puts(&p.b, "</button></form>");
    } else {
        bool accepted = strcmp(json_string_value(json_object_get(a, "outcome")), "accepted") == 0;
        sb_buf_puts(&p.b, "<p class=\"thanks\">");
        esc(&p.b, ui(p.locale, accepted ? "bot_accepted" : "bot_rejected"));
        sb_buf_puts(&p.b, "</p>");
    }
    json_decref(a);
    foot(&p);
    return send_html(&p, 200);
}

int sb_api_help_bot_answer(sb_req *r)
{
    int rc = sb_api_kb_rate_limit(r, "bot");
    if (rc != SB_OK)
        return rc;
    char token[80], val[8];
    if (!r->raw || !form_value(r->raw, "t", token, sizeof token) || !form_value(r->raw, "helpful", val, sizeof val) ||
        (strcmp(val, "yes") != 0 && strcmp(val, "no") != 0))
        return sb_req_fail(r, SB_E_VALIDATION, "send t=TOKEN and helpful=yes or helpful=no");
    sb_kb_op *op = sb_kb_op_new(SB_KB_BOT_FEEDBACK);
    if (!op)
        return sb_req_fail(r, SB_E_INTERNAL, "out of memory");
    op->id = r->ids[0];
    op->token = strdup(token);
    op->helpful = strcmp(val, "yes") == 0;
    return sb_req_submit(r, sb_svc_kb_write, op, sb_kb_op_free, op->errmsg);
}

int sb_api_help_bot_finish(sb_req *r)
{
    sb_kb_op *op = r->op;
    char loc[200];
    snprintf(loc, sizeof loc, "/help/bot/%lld?t=%s", (long long)op->id, op->token);
    return redirect(r, loc);
}

/* ---- files, style sheet, sitemap ---- */

static const char *safe_type(const char *t)
{
    static const char *const ok[] = {"image/png", "image/jpeg", "image/gif", "image/webp", "application/pdf",
                                     "text/plain", NULL};
    for (const char *const *p = ok; *p; p++)
        if (t && strcasecmp(t, *p) == 0)
            return *p;
    return "application/octet-stream";
}

int sb_api_help_file(sb_req *r)
{
    const char *sha = r->path + strlen("/help/files/");
    bool agent;
    int rc = sb_api_kb_optional_auth(r, &agent);
    if (rc != SB_OK)
        return rc;
    /* Customers get files of published public articles only; agents (the editor's preview)
     * any article's. */
    json_t *f = !sb_blob_valid_name(sha)  ? NULL
                : agent                  ? sb_store_kb_any_file(sb_req_db(r), sha)
                                         : sb_store_kb_public_file(sb_req_db(r), sha);
    if (!f)
        return sb_req_fail(r, SB_E_NOT_FOUND, "no such file");
    char *data = NULL;
    size_t len = 0;
    if (sb_blob_get(sb_store_data_dir(r->app->store), sha, (size_t)64 << 20, &data, &len) < 0) {
        json_decref(f);
        return sb_req_fail(r, SB_E_NOT_FOUND, "the file is not in the store");
    }
    struct MHD_Response *resp = MHD_create_response_from_buffer(len, data, MHD_RESPMEM_MUST_FREE);
    if (!resp) {
        free(data);
        json_decref(f);
        return sb_req_fail(r, SB_E_INTERNAL, "out of memory");
    }
    const char *ct = safe_type(json_string_value(json_object_get(f, "content_type")));
    char disp[400], clean[256];
    size_t j = 0;
    for (const char *p = json_string_value(json_object_get(f, "filename")); p && *p && j < sizeof clean - 1; p++)
        clean[j++] = (*p == '"' || *p == '\\' || (unsigned char)*p < 0x20) ? '_' : *p;
    clean[j] = '\0';
    snprintf(disp, sizeof disp, "%s; filename=\"%s\"", strncmp(ct, "image/", 6) == 0 ? "inline" : "attachment", clean);
    MHD_add_response_header(resp, "Content-Type", ct);
    MHD_add_response_header(resp, "Content-Disposition", disp);
    MHD_add_response_header(resp, "Content-Security-Policy", "default-src 'none'; sandbox");
    json_decref(f);
    r->resp_bytes = len;
    return sb_req_queue_stream(r, resp);
}

static const char help_css[] =
    "body{font:16px/1.5 system-ui,sans-serif;margin:0;color:#1d2330;background:#fafbfc}"
    "header.top{display:flex;flex-wrap:wrap;gap:1em;align-items:center;padding:.8em 1.5em;background:#20324d}"
    "header.top a{color:#fff;text-decoration:none}.brand{font-weight:600;font-size:1.2em}"
    ".locales a{margin-right:.4em;opacity:.7}.locales a.current{opacity:1;text-decoration:underline}"
    "form.search{margin-left:auto}form.search input{padding:.4em;min-width:16em}"
    "main{max-width:48em;margin:1.5em auto;padding:0 1.5em}"
    "footer{max-width:48em;margin:2em auto;padding:1em 1.5em;border-top:1px solid #ddd;color:#555}"
    ".count{color:#777;font-size:.85em}.notice{background:#fff6d6;padding:.5em}"
    ".body img{max-width:100%}.body pre{overflow:auto;background:#f0f2f5;padding:.6em}"
    ".body table{border-collapse:collapse}.body td,.body th{border:1px solid #ccc;padding:.3em}"
    ".vote{margin-top:2em;padding-top:1em;border-top:1px solid #ddd}.thanks{color:#1a7f37}"
    "button{padding:.4em 1em;cursor:pointer}\n";

int sb_api_help_css(sb_req *r)
{
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(sizeof help_css - 1, (void *)help_css, MHD_RESPMEM_PERSISTENT);
    if (!resp)
        return sb_req_fail(r, SB_E_INTERNAL, "out of memory");
    MHD_add_response_header(resp, "Content-Type", "text/css; charset=utf-8");
    r->resp_bytes = sizeof help_css - 1;
    return sb_req_queue_stream(r, resp);
}

int sb_api_help_sitemap(sb_req *r)
{
    sb_kb_settings s;
    sb_kb_settings_load(sb_req_db(r), &s);
    json_t *items = sb_store_kb_sitemap(sb_req_db(r));
    sb_buf b;
    sb_buf_init(&b, 16u << 20);
    sb_buf_puts(&b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                    "<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n");
    size_t i;
    json_t *it;
    json_array_foreach(items, i, it)
    {
        const char *loc = json_string_value(json_object_get(it, "locale"));
        if (!sb_kb_locale_enabled(&s, loc))
            continue;
        sb_buf_puts(&b, "<url><loc>");
        esc(&b, s.base_url);
        sb_buf_puts(&b, "/help/");
        url_esc(&b, loc);
        sb_buf_printf(&b, "/articles/%lld</loc><lastmod>", (long long)json_integer_value(json_object_get(it, "id")));
        esc(&b, json_string_value(json_object_get(it, "updated_at")));
        sb_buf_puts(&b, "</lastmod></url>\n");
    }
    sb_buf_puts(&b, "</urlset>\n");
    json_decref(items);
    if (b.failed) {
        sb_buf_release(&b);
        return sb_req_fail(r, SB_E_INTERNAL, "the sitemap is too large");
    }
    size_t len;
    char *text = sb_buf_detach(&b, &len);
    struct MHD_Response *resp = MHD_create_response_from_buffer(len, text, MHD_RESPMEM_MUST_FREE);
    if (!resp) {
        free(text);
        return sb_req_fail(r, SB_E_INTERNAL, "out of memory");
    }
    MHD_add_response_header(resp, "Content-Type", "application/xml; charset=utf-8");
    r->resp_bytes = len;
    return sb_req_queue_stream(r, resp);
}
