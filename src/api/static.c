/* The browser front end's static files (web/): loaded into memory once, served with an ETag
 * and, for pages, a strict Content-Security-Policy. Only files found under web/ at start-up
 * exist: a request names a file, never a path on disk. */
#define _XOPEN_SOURCE 700
#include <ftw.h>
#include <microhttpd.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"

#define STATIC_MAX_FILES 256
#define STATIC_MAX_BYTES (8u << 20)

/* No inline script or style anywhere; the only origin is our own. */
#define PAGE_CSP                                                                                   \
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:;"         \
    " connect-src 'self'; font-src 'self'; form-action 'self'; frame-src 'self';"                  \
    " frame-ancestors 'none'; base-uri 'none'"

typedef struct {
    char name[128]; /* relative to web/: "app/index.html" */
    char *data;
    size_t len;
    char etag[24];
} static_file;

static static_file files[STATIC_MAX_FILES];
static size_t nfiles, total_bytes;
static const char *root;
static size_t root_len;
static pthread_once_t load_once = PTHREAD_ONCE_INIT;

static int add_file(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    (void)ftw;
    if (type != FTW_F || nfiles == STATIC_MAX_FILES || strlen(path) <= root_len + 1)
        return 0;
    const char *rel = path + root_len + 1;
    if (strlen(rel) >= sizeof files[0].name || total_bytes + (size_t)st->st_size > STATIC_MAX_BYTES)
        return 0;
    FILE *f = fopen(path, "rb");
    if (!f)
        return 0;
    static_file *sf = &files[nfiles];
    sf->data = malloc((size_t)st->st_size + 1);
    sf->len = sf->data ? fread(sf->data, 1, (size_t)st->st_size, f) : 0;
    fclose(f);
    if (!sf->data)
        return 0;
    snprintf(sf->name, sizeof sf->name, "%s", rel);
    unsigned char h[32];
    crypto_hash_sha256(h, (const unsigned char *)sf->data, sf->len);
    sf->etag[0] = '"';
    sodium_bin2hex(sf->etag + 1, 17, h, 8);
    strcat(sf->etag, "\"");
    total_bytes += sf->len;
    nfiles++;
    return 0;
}

static void load_files(void)
{
    const char *candidates[] = {getenv("SWITCHBOARD_WEB"), SB_SOURCE_DIR "/web", "web", "/usr/share/switchboard/web"};
    for (size_t i = 0; i < sizeof candidates / sizeof candidates[0]; i++) {
        if (!candidates[i])
            continue;
        struct stat st;
        if (stat(candidates[i], &st) != 0 || !S_ISDIR(st.st_mode))
            continue;
        root = candidates[i];
        root_len = strlen(root);
        nftw(root, add_file, 16, FTW_PHYS);
        return;
    }
}

static const static_file *find_file(const char *name)
{
    pthread_once(&load_once, load_files);
    for (size_t i = 0; i < nfiles; i++)
        if (strcmp(files[i].name, name) == 0)
            return &files[i];
    return NULL;
}

static const char *content_type(const char *name)
{
    const char *dot = strrchr(name, '.');
    static const char *const types[][2] = {
        {".html", "text/html; charset=utf-8"}, {".js", "text/javascript; charset=utf-8"},
        {".css", "text/css; charset=utf-8"},   {".svg", "image/svg+xml"},
        {".png", "image/png"},                 {".json", "application/json; charset=utf-8"},
        {".ico", "image/x-icon"},              {".woff2", "font/woff2"},
    };
    for (size_t i = 0; dot && i < sizeof types / sizeof types[0]; i++)
        if (strcmp(dot, types[i][0]) == 0)
            return types[i][1];
    return "application/octet-stream";
}

static int serve(sb_req *r, const char *name)
{
    const static_file *sf = find_file(name);
    if (!sf)
        return sb_req_fail(r, SB_E_NOT_FOUND, "no such file");
    const char *inm = sb_req_header(r, "If-None-Match");
    bool fresh = inm && strcmp(inm, sf->etag) == 0;
    struct MHD_Response *resp = fresh ? MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT)
                                      : MHD_create_response_from_buffer(sf->len, sf->data, MHD_RESPMEM_PERSISTENT);
    if (!resp)
        return sb_req_fail(r, SB_E_INTERNAL, "out of memory");
    const char *type = content_type(name);
    MHD_add_response_header(resp, "Content-Type", type);
    MHD_add_response_header(resp, "ETag", sf->etag);
    MHD_add_response_header(resp, "Cache-Control", "no-cache"); /* revalidate: cheap with the ETag */
    if (strncmp(type, "text/html", 9) == 0) {
        MHD_add_response_header(resp, "Content-Security-Policy", PAGE_CSP);
        MHD_add_response_header(resp, "Referrer-Policy", "same-origin");
    }
    if (strcmp(name, "widget/widget.js") == 0 || strcmp(name, "widget/widget.css") == 0)
        MHD_add_response_header(resp, "Access-Control-Allow-Origin", "*"); /* embedded on other sites */
    r->resp_bytes = fresh ? 0 : sf->len;
    return sb_req_queue_response(r, fresh ? 304 : 200, resp);
}

int sb_api_static_index(sb_req *r)
{
    return serve(r, "app/index.html");
}

int sb_api_static_asset(sb_req *r)
{
    const char *slash = strrchr(r->path, '/');
    char name[160];
    if (!slash || slash[1] == '.' || snprintf(name, sizeof name, "app/%s", slash + 1) >= (int)sizeof name)
        return sb_req_fail(r, SB_E_NOT_FOUND, "no such file");
    return serve(r, name);
}

/* Browsers ask every page's site for it, pages without a <link rel=icon> too. */
int sb_api_static_favicon(sb_req *r)
{
    return serve(r, "app/favicon.svg");
}

int sb_api_static_widget_js(sb_req *r)
{
    return serve(r, "widget/widget.js");
}

int sb_api_static_widget_css(sb_req *r)
{
    return serve(r, "widget/widget.css");
}

int sb_api_static_widget_demo(sb_req *r)
{
    return serve(r, "widget/demo.html");
}

int sb_api_static_widget_demo_css(sb_req *r)
{
    return serve(r, "widget/demo.css");
}
