/* Every file of the real-world email corpora in ../shared/data (SOURCES.md) through
 * sb_mime_parse: no crash, clean UTF-8 everywhere, and either a parsed message with a
 * sender or a warning for agents. Skips when the data folder is absent.
 *   SB_SHARED_DATA  data folder (ctest sets it; default SB_SOURCE_DIR/../shared/data)
 *   SB_MIME_CORPUS_VERBOSE=1  one line per file
 * Files listed in EMAIL-INDEX.tsv are known to be mail and must parse; the other files
 * (expected outputs, licences, TNEF streams...) only have to be handled without harm. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <dirent.h>
#include <glib.h>
#include <sys/stat.h>

#include "channels/email/mime.h"

#define MAX_DIR_DEPTH 16

static char *data_dir(void)
{
    const char *env = getenv("SB_SHARED_DATA");
    if (env && *env)
        return g_strdup(env);
    return g_strdup(SB_SOURCE_DIR "/../shared/data");
}

static void collect(const char *dir, int depth, GPtrArray *out)
{
    if (depth > MAX_DIR_DEPTH)
        return;
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char *path = g_build_filename(dir, e->d_name, NULL);
        struct stat st;
        if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode))
            collect(path, depth + 1, out);
        else if (S_ISREG(st.st_mode))
            g_ptr_array_add(out, g_strdup(path));
        g_free(path);
    }
    closedir(d);
}

static int cmp_str(gconstpointer a, gconstpointer b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Valid UTF-8 (a C string cannot hide a NUL: strlen is the length callers use). */
static void check_str(const char *path, const char *what, const char *s, bool required)
{
    if (!s) {
        if (required)
            fail_msg("%s: %s is NULL", path, what);
        return;
    }
    if (!g_utf8_validate(s, -1, NULL))
        fail_msg("%s: %s is not valid UTF-8", path, what);
}

static void check_addr(const char *path, const char *what, const sb_mime_addr *a, bool required)
{
    check_str(path, what, a->name, required);
    check_str(path, what, a->addr, required);
}

static void check_message(const char *path, const sb_mime_message *m)
{
    check_str(path, "warning", m->warning, !m->parsed);
    check_str(path, "subject", m->subject, m->parsed);
    check_str(path, "text", m->text, m->parsed);
    check_str(path, "html", m->html, false);
    check_str(path, "message_id", m->message_id, false);
    check_str(path, "in_reply_to", m->in_reply_to, false);
    for (size_t i = 0; i < m->nreferences; i++)
        check_str(path, "reference", m->references[i], true);
    check_addr(path, "from", &m->from, m->parsed);
    check_addr(path, "reply_to", &m->reply_to, false);
    for (size_t i = 0; i < m->nto; i++)
        check_addr(path, "to", &m->to[i], true);
    for (size_t i = 0; i < m->ncc; i++)
        check_addr(path, "cc", &m->cc[i], true);
    for (size_t i = 0; i < m->nparts; i++) {
        const sb_mime_part *p = &m->parts[i];
        check_str(path, "filename", p->filename, true);
        check_str(path, "content_type", p->content_type, true);
        check_str(path, "content_id", p->content_id, false);
        if (p->truncated != (p->data == NULL))
            fail_msg("%s: part %zu: data must be NULL exactly when truncated", path, i);
        if (!*p->filename || strchr(p->filename, '/'))
            fail_msg("%s: part %zu: unsafe file name", path, i);
    }
    check_str(path, "bounced_message_id", m->bounced_message_id, false);
    check_str(path, "bounced_recipient", m->bounced_recipient, false);
    check_str(path, "bounce_status", m->bounce_status, false);
    if (m->parsed && !*m->from.addr && !m->warning)
        fail_msg("%s: parsed without a sender and without a warning", path);
    if (!m->parsed && !m->warning)
        fail_msg("%s: not parsed and no warning", path);
}

/* Relative paths of EMAIL-INDEX.tsv (the files SOURCES.md calls RFC 5322 / mbox), or NULL. */
static GHashTable *load_index(const char *root)
{
    char *path = g_build_filename(root, "EMAIL-INDEX.tsv", NULL);
    gchar *buf = NULL;
    bool ok = g_file_get_contents(path, &buf, NULL, NULL);
    g_free(path);
    if (!ok)
        return NULL;
    GHashTable *set = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    char **lines = g_strsplit(buf, "\n", -1);
    for (size_t i = 1; lines[i]; i++) { /* line 0 names the columns */
        char *tab = strchr(lines[i], '\t');
        if (tab && tab > lines[i])
            g_hash_table_add(set, g_strndup(lines[i], (gsize)(tab - lines[i])));
    }
    g_strfreev(lines);
    g_free(buf);
    return set;
}

static void test_corpus(void **state)
{
    (void)state;
    char *root = data_dir();
    DIR *d = opendir(root);
    if (!d) {
        print_message("mime corpus: %s not found, skipped\n", root);
        g_free(root);
        skip();
        return;
    }
    GPtrArray *files = g_ptr_array_new_with_free_func(g_free);
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strncmp(e->d_name, "email-", 6) != 0)
            continue;
        char *sub = g_build_filename(root, e->d_name, NULL);
        collect(sub, 0, files);
        g_free(sub);
    }
    closedir(d);
    g_ptr_array_sort(files, cmp_str);
    if (files->len == 0) {
        print_message("mime corpus: no email-* files under %s, skipped\n", root);
        g_ptr_array_unref(files);
        g_free(root);
        skip();
        return;
    }

    GHashTable *index = load_index(root);
    size_t nindexed = 0;
    bool verbose = getenv("SB_MIME_CORPUS_VERBOSE") != NULL;
    sb_mime_limits lim;
    sb_mime_limits_default(&lim);
    size_t nparsed = 0, nwarn = 0, nbounce = 0, nparts = 0;
    gint64 t0 = g_get_monotonic_time();
    for (guint i = 0; i < files->len; i++) {
        const char *path = g_ptr_array_index(files, i);
        gchar *buf = NULL;
        gsize len = 0;
        if (!g_file_get_contents(path, &buf, &len, NULL))
            fail_msg("%s: cannot read", path);
        sb_mime_message m;
        int rc = sb_mime_parse(buf, len, &lim, &m);
        if (rc != 0)
            fail_msg("%s: sb_mime_parse returned %d", path, rc);
        check_message(path, &m);
        const char *rel = path + strlen(root) + 1;
        if (index && g_hash_table_contains(index, rel)) {
            /* every file the index lists is mail: it must come out as a message */
            if (!m.parsed)
                fail_msg("%s: listed in EMAIL-INDEX.tsv but not parsed (%s)", path,
                         m.warning ? m.warning : "");
            nindexed++;
        }
        nparsed += m.parsed;
        nwarn += m.warning != NULL;
        nbounce += m.is_bounce;
        nparts += m.nparts;
        if (verbose)
            print_message("%s\tparsed=%d bounce=%d parts=%zu from=<%s> warning=%s\n",
                          path + strlen(root) + 1, m.parsed, m.is_bounce, m.nparts,
                          m.from.addr ? m.from.addr : "", m.warning ? m.warning : "-");
        sb_mime_release(&m);
        g_free(buf);
    }
    double secs = (double)(g_get_monotonic_time() - t0) / 1e6;
    print_message("mime corpus: %u files, %zu parsed, %zu with warnings, %zu bounces, "
                  "%zu parts, %zu of %u indexed messages parsed, %.1f s\n",
                  files->len, nparsed, nwarn, nbounce, nparts, nindexed,
                  index ? g_hash_table_size(index) : 0, secs);
    if (index)
        g_hash_table_unref(index);
    g_ptr_array_unref(files);
    g_free(root);
}

int main(void)
{
    sb_mime_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_corpus),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
