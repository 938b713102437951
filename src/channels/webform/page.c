#include "channels/webform/page.h"

#include <stdbool.h>
#include <string.h>

#include "core/webform.h"
#include "util/buf.h"
#include "util/html.h"

#define PAGE_MAX ((size_t)1 << 20)

const char sb_webform_css[] =
    ":root{color-scheme:light dark;--fg:#1c1e21;--bg:#f6f7f9;--card:#fff;--muted:#5f6670;--line:#c9ced6;"
    "--accent:#1f5fbf;--err:#b3261e}\n"
    "@media (prefers-color-scheme:dark){:root{--fg:#e8eaed;--bg:#16181c;--card:#202329;--muted:#a5acb6;"
    "--line:#3c424b;--accent:#8ab4f8;--err:#f28b82}}\n"
    "*{box-sizing:border-box}\n"
    "body{margin:0;font:16px/1.5 system-ui,-apple-system,\"Segoe UI\",Roboto,sans-serif;color:var(--fg);"
    "background:var(--bg)}\n"
    "main{max-width:40rem;margin:2rem auto;padding:1.5rem;background:var(--card);border-radius:8px;"
    "box-shadow:0 1px 3px rgba(0,0,0,.12)}\n"
    "@media (max-width:42rem){main{margin:0;border-radius:0;box-shadow:none}}\n"
    "h1{font-size:1.6rem;margin:0 0 .5rem}\n"
    ".intro{color:var(--muted)}\n"
    ".field{margin:1.1rem 0}\n"
    "label{display:block;font-weight:600;margin-bottom:.25rem}\n"
    ".req{color:var(--err)}\n"
    ".help{margin:.1rem 0 .35rem;color:var(--muted);font-size:.9rem}\n"
    "input[type=text],input[type=email],input[type=url],input[type=number],select,textarea{width:100%;"
    "padding:.55rem .65rem;font:inherit;color:inherit;background:var(--card);border:1px solid var(--line);"
    "border-radius:6px}\n"
    "textarea{min-height:10rem;resize:vertical}\n"
    "input:focus,select:focus,textarea:focus,button:focus{outline:3px solid var(--accent);outline-offset:1px}\n"
    ".check{display:flex;gap:.5rem;align-items:flex-start}\n"
    ".check label{font-weight:400;margin:0}\n"
    ".check input{margin-top:.3rem;width:1.1rem;height:1.1rem}\n"
    ".invalid input,.invalid select,.invalid textarea{border-color:var(--err);border-width:2px}\n"
    ".error{color:var(--err);font-weight:600;margin:.1rem 0 .35rem}\n"
    ".summary,.notice{border:2px solid var(--err);border-radius:6px;padding:.75rem 1rem;margin:1rem 0}\n"
    ".summary h2{font-size:1.1rem;margin:0 0 .4rem}\n"
    ".summary a{color:var(--err)}\n"
    "button{font:inherit;font-weight:600;padding:.65rem 1.4rem;border:0;border-radius:6px;color:#fff;"
    "background:#1f5fbf;cursor:pointer}\n"
    "button:hover{background:#174a96}\n"
    ".hp{position:absolute;left:-10000px;top:auto;width:1px;height:1px;overflow:hidden}\n"
    ".reference{font-size:1.2rem}\n";

static void head(sb_buf *b, const json_t *config, const char *title)
{
    sb_buf_puts(b, "<!DOCTYPE html>\n<html lang=\"");
    sb_html_escape(b, json_string_value(json_object_get(config, "lang")));
    sb_buf_puts(b, "\">\n<head>\n<meta charset=\"utf-8\">\n"
                   "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>");
    sb_html_escape(b, title);
    sb_buf_puts(b, "</title>\n<link rel=\"stylesheet\" href=\"/contact.css\">\n</head>\n<body>\n<main>\n");
}

static char *finish(sb_buf *b, size_t *len)
{
    sb_buf_puts(b, "</main>\n</body>\n</html>\n");
    if (b->failed) {
        sb_buf_release(b);
        return NULL;
    }
    return sb_buf_detach(b, len);
}

/* Paragraphs at blank lines, <br> at single line breaks. */
static void paragraphs(sb_buf *b, const char *text, const char *cls)
{
    const char *p = text;
    while (*p) {
        while (*p == '\n' || *p == '\r')
            p++;
        if (!*p)
            break;
        const char *end = strstr(p, "\n\n");
        if (!end)
            end = p + strlen(p);
        sb_buf_printf(b, "<p class=\"%s\">", cls);
        for (const char *q = p; q < end;) {
            const char *nl = memchr(q, '\n', (size_t)(end - q));
            const char *stop = nl ? nl : end;
            sb_html_escape_n(b, q, (size_t)(stop - q));
            if (!nl)
                break;
            sb_buf_puts(b, "<br>");
            q = nl + 1;
        }
        sb_buf_puts(b, "</p>\n");
        p = end;
    }
}

/* Attribute value: ` name="escaped"`. */
static void attr(sb_buf *b, const char *name, const char *value)
{
    sb_buf_printf(b, " %s=\"", name);
    sb_html_escape(b, value);
    sb_buf_puts(b, "\"");
}

typedef struct {
    const char *name; /* the form's field name */
    const char *id;   /* element id and data-testid */
    const char *type;
    const char *label, *help, *placeholder, *autocomplete;
    bool required;
    size_t max_length;
    const json_t *options;
} field_view;

static const char *value_of(const json_t *values, const char *name)
{
    return json_string_value(json_object_get(values, name));
}

static void describedby(sb_buf *b, const field_view *f, bool help, bool error)
{
    if (!help && !error)
        return;
    sb_buf_puts(b, " aria-describedby=\"");
    if (help)
        sb_buf_printf(b, "%s-help", f->id);
    if (error)
        sb_buf_printf(b, "%s%s-error", help ? " " : "", f->id);
    sb_buf_puts(b, "\"");
}

static void render_field(sb_buf *b, const json_t *config, const field_view *f, const json_t *values,
                         const json_t *errors)
{
    const char *err = json_string_value(json_object_get(errors, f->name));
    bool help = f->help && *f->help;
    bool check = strcmp(f->type, "checkbox") == 0;
    sb_buf_printf(b, "<div class=\"field%s%s\">\n", check ? " check" : "", err ? " invalid" : "");
    /* The label comes first, except for a checkbox, whose box precedes its label. */
    if (!check) {
        sb_buf_printf(b, "<label for=\"%s\">", f->id);
        sb_html_escape(b, f->label);
        if (f->required) {
            sb_buf_puts(b, " <span class=\"req\" aria-hidden=\"true\">*</span>");
        }
        sb_buf_puts(b, "</label>\n");
        if (help) {
            sb_buf_printf(b, "<p class=\"help\" id=\"%s-help\">", f->id);
            sb_html_escape(b, f->help);
            sb_buf_puts(b, "</p>\n");
        }
        if (err) {
            sb_buf_printf(b, "<p class=\"error\" id=\"%s-error\">", f->id);
            sb_html_escape(b, err);
            sb_buf_puts(b, "</p>\n");
        }
    }
    const char *val = value_of(values, f->name);
    if (strcmp(f->type, "textarea") == 0) {
        sb_buf_printf(b, "<textarea id=\"%s\" name=\"%s\" data-testid=\"%s\" rows=\"8\" maxlength=\"%zu\"", f->id,
                      f->name, f->id, f->max_length);
    } else if (strcmp(f->type, "select") == 0) {
        sb_buf_printf(b, "<select id=\"%s\" name=\"%s\" data-testid=\"%s\"", f->id, f->name, f->id);
    } else {
        const char *itype = check ? "checkbox" : strcmp(f->type, "textarea") == 0 ? "text" : f->type;
        sb_buf_printf(b, "<input id=\"%s\" name=\"%s\" data-testid=\"%s\" type=\"%s\"", f->id, f->name, f->id, itype);
        if (check) {
            sb_buf_puts(b, " value=\"on\"");
            json_t *v = json_object_get(values, f->name);
            if (json_is_true(v) || (val && (!strcmp(val, "on") || !strcmp(val, "1") || !strcmp(val, "true") ||
                                            !strcmp(val, "yes"))))
                sb_buf_puts(b, " checked");
        } else {
            if (val)
                attr(b, "value", val);
            if (strcmp(f->type, "number") == 0)
                sb_buf_puts(b, " step=\"any\" inputmode=\"decimal\"");
            else
                sb_buf_printf(b, " maxlength=\"%zu\"", f->max_length);
        }
    }
    if (f->placeholder && *f->placeholder && !check && strcmp(f->type, "select") != 0)
        attr(b, "placeholder", f->placeholder);
    if (f->autocomplete)
        sb_buf_printf(b, " autocomplete=\"%s\"", f->autocomplete);
    if (f->required)
        sb_buf_puts(b, " required aria-required=\"true\"");
    if (err)
        sb_buf_puts(b, " aria-invalid=\"true\"");
    describedby(b, f, help, err != NULL);
    if (strcmp(f->type, "textarea") == 0) {
        sb_buf_puts(b, ">");
        /* A newline right after <textarea> is dropped by parsers: keep a leading one. */
        if (val && val[0] == '\n')
            sb_buf_puts(b, "\n");
        sb_html_escape(b, val);
        sb_buf_puts(b, "</textarea>\n");
    } else if (strcmp(f->type, "select") == 0) {
        sb_buf_puts(b, ">\n<option value=\"\">");
        sb_html_escape(b, sb_webform_string(config, "choose"));
        sb_buf_puts(b, "</option>\n");
        size_t i;
        json_t *o;
        json_array_foreach(f->options, i, o)
        {
            const char *opt = json_string_value(o);
            sb_buf_puts(b, "<option");
            attr(b, "value", opt);
            if (val && strcmp(val, opt) == 0)
                sb_buf_puts(b, " selected");
            sb_buf_puts(b, ">");
            sb_html_escape(b, opt);
            sb_buf_puts(b, "</option>\n");
        }
        sb_buf_puts(b, "</select>\n");
    } else {
        sb_buf_puts(b, ">\n");
    }
    if (check) {
        sb_buf_printf(b, "<div>\n<label for=\"%s\">", f->id);
        sb_html_escape(b, f->label);
        if (f->required)
            sb_buf_puts(b, " <span class=\"req\" aria-hidden=\"true\">*</span>");
        sb_buf_puts(b, "</label>\n");
        if (help) {
            sb_buf_printf(b, "<p class=\"help\" id=\"%s-help\">", f->id);
            sb_html_escape(b, f->help);
            sb_buf_puts(b, "</p>\n");
        }
        if (err) {
            sb_buf_printf(b, "<p class=\"error\" id=\"%s-error\">", f->id);
            sb_html_escape(b, err);
            sb_buf_puts(b, "</p>\n");
        }
        sb_buf_puts(b, "</div>\n");
    }
    sb_buf_puts(b, "</div>\n");
}

/* The fixed fields, then the configured ones, in page order; ids are "contact-<x>". */
static size_t field_views(const json_t *config, field_view *out, char ids[][48], size_t max)
{
    size_t n = 0;
    out[n++] = (field_view){"name", "contact-name", "text", sb_webform_string(config, "name_label"), NULL, NULL,
                            "name", false, SB_WEBFORM_NAME_MAX, NULL};
    out[n++] = (field_view){"email", "contact-email", "email", sb_webform_string(config, "email_label"), NULL, NULL,
                            "email", true, SB_WEBFORM_EMAIL_MAX, NULL};
    out[n++] = (field_view){"subject", "contact-subject", "text", sb_webform_string(config, "subject_label"), NULL,
                            NULL, "off", true, SB_WEBFORM_SUBJECT_MAX, NULL};
    size_t i;
    json_t *f;
    json_array_foreach(json_object_get(config, "fields"), i, f)
    {
        if (n >= max)
            break;
        const char *name = json_string_value(json_object_get(f, "name"));
        snprintf(ids[n], 48, "contact-field-%s", name);
        out[n] = (field_view){name,
                              ids[n],
                              json_string_value(json_object_get(f, "type")),
                              json_string_value(json_object_get(f, "label")),
                              json_string_value(json_object_get(f, "help")),
                              json_string_value(json_object_get(f, "placeholder")),
                              NULL,
                              json_is_true(json_object_get(f, "required")),
                              (size_t)json_integer_value(json_object_get(f, "max_length")),
                              json_object_get(f, "options")};
        n++;
    }
    return n;
}

char *sb_webform_page_form(const json_t *config, const json_t *values, const json_t *errors, const char *notice,
                           size_t *len)
{
    sb_buf b;
    sb_buf_init(&b, PAGE_MAX);
    const char *title = json_string_value(json_object_get(config, "title"));
    head(&b, config, title);
    sb_buf_puts(&b, "<h1>");
    sb_html_escape(&b, title);
    sb_buf_puts(&b, "</h1>\n");
    paragraphs(&b, json_string_value(json_object_get(config, "intro")), "intro");
    field_view views[3 + SB_WEBFORM_MAX_FIELDS];
    char ids[3 + SB_WEBFORM_MAX_FIELDS][48];
    size_t n = field_views(config, views, ids, sizeof views / sizeof views[0]);
    if (notice) {
        sb_buf_puts(&b, "<div class=\"notice\" role=\"alert\" data-testid=\"contact-notice\">");
        sb_html_escape(&b, notice);
        sb_buf_puts(&b, "</div>\n");
    }
    if (errors && json_object_size(errors)) {
        /* role=alert: screen readers announce the summary when the page with errors loads. */
        sb_buf_puts(&b, "<div class=\"summary\" role=\"alert\" aria-labelledby=\"contact-errors-title\""
                        " data-testid=\"contact-errors\">\n<h2 id=\"contact-errors-title\">");
        sb_html_escape(&b, sb_webform_string(config, "error_summary"));
        sb_buf_puts(&b, "</h2>\n<ul>\n");
        for (size_t i = 0; i < n; i++) {
            const char *err = json_string_value(json_object_get(errors, views[i].name));
            if (!err)
                continue;
            sb_buf_printf(&b, "<li><a href=\"#%s\">", views[i].id);
            sb_html_escape(&b, err);
            sb_buf_puts(&b, "</a></li>\n");
        }
        sb_buf_puts(&b, "</ul>\n</div>\n");
    }
    sb_buf_puts(&b, "<form method=\"post\" action=\"/contact\" accept-charset=\"utf-8\" data-testid=\"contact-form\">\n");
    /* Explains the asterisk; the inputs themselves carry required/aria-required. */
    sb_buf_puts(&b, "<p class=\"help\"><span class=\"req\" aria-hidden=\"true\">*</span> ");
    sb_html_escape(&b, sb_webform_string(config, "required"));
    sb_buf_puts(&b, "</p>\n");
    for (size_t i = 0; i < n; i++)
        render_field(&b, config, &views[i], values, errors);
    /* The honeypot: out of sight and out of the tab order; people leave it empty. */
    sb_buf_puts(&b, "<div class=\"hp\" aria-hidden=\"true\">\n<label for=\"contact-website\">Website</label>\n"
                    "<input id=\"contact-website\" name=\"" SB_WEBFORM_HONEYPOT "\" type=\"text\" tabindex=\"-1\""
                    " autocomplete=\"off\" value=\"\">\n</div>\n");
    sb_buf_puts(&b, "<button type=\"submit\" data-testid=\"contact-submit\">");
    sb_html_escape(&b, sb_webform_string(config, "submit"));
    sb_buf_puts(&b, "</button>\n</form>\n");
    return finish(&b, len);
}

char *sb_webform_page_thanks(const json_t *config, int64_t conversation_id, size_t *len)
{
    sb_buf b;
    sb_buf_init(&b, PAGE_MAX);
    const char *title = sb_webform_string(config, "thanks_title");
    head(&b, config, title);
    sb_buf_puts(&b, "<h1 data-testid=\"contact-thanks\">");
    sb_html_escape(&b, title);
    sb_buf_puts(&b, "</h1>\n");
    paragraphs(&b, sb_webform_string(config, "thanks_text"), "intro");
    if (conversation_id > 0) {
        sb_buf_puts(&b, "<p class=\"reference\">");
        sb_html_escape(&b, sb_webform_string(config, "reference"));
        sb_buf_printf(&b, ": <strong data-testid=\"contact-reference\">#%lld</strong></p>\n",
                      (long long)conversation_id);
    }
    return finish(&b, len);
}
