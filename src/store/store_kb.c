/* The knowledge base, help-center activity, answer-bot attempts and macros.
 * Full-text search uses SQLite FTS5 (kb_fts): a PostgreSQL driver will need its own
 * statements for the three queries marked FTS below. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/internal.h"
#include "store/kb.h"

/* ---- categories ---- */

#define CATEGORY_COLUMNS                                                                           \
    "c.id, c.parent_id, c.name, c.description, c.names_json AS names__json, c.position,"            \
    " c.created_at, c.updated_at"

sb_err sb_store_kb_category_insert(sb_db *w, int64_t parent_id, const char *name, const char *description,
                                   int64_t position, const char *names_json, int64_t now, int64_t *id_out)
{
    sb_stmt *s = sb_db_prepare(w, "INSERT INTO kb_categories(parent_id, name, description, position, names_json,"
                                  " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id");
    if (!s)
        return SB_E_INTERNAL;
    sb_db_bind_id(s, 1, parent_id);
    sb_db_bind_text(s, 2, name);
    sb_db_bind_text(s, 3, description ? description : "");
    sb_db_bind_int(s, 4, position > 0 ? position : 0);
    sb_db_bind_text(s, 5, names_json ? names_json : "{}");
    sb_db_bind_int(s, 6, now);
    sb_db_bind_int(s, 7, now);
    return step_returning_id(s, id_out);
}

sb_err sb_store_kb_category_update(sb_db *w, int64_t id, const char *name, const char *description,
                                   int64_t position, const char *names_json, int64_t now)
{
    sb_stmt *s = sb_db_prepare(w, "UPDATE kb_categories SET name = COALESCE(?2, name),"
                                  " description = COALESCE(?3, description),"
                                  " position = CASE WHEN ?4 >= 0 THEN ?4 ELSE position END,"
                                  " names_json = COALESCE(?5, names_json), updated_at = ?6 WHERE id = ?1");
    if (!s)
        return SB_E_INTERNAL;
    sb_db_bind_int(s, 1, id);
    sb_db_bind_opt_text(s, 2, name);
    sb_db_bind_opt_text(s, 3, description);
    sb_db_bind_int(s, 4, position);
    sb_db_bind_opt_text(s, 5, names_json);
    sb_db_bind_int(s, 6, now);
    return step_done(s);
}

sb_err sb_store_kb_category_delete(sb_db *w, int64_t id)
{
    sb_stmt *s = sb_db_prepare(w, "DELETE FROM kb_categories WHERE id = ?");
    if (!s)
        return SB_E_INTERNAL;
    sb_db_bind_int(s, 1, id);
    return step_done(s);
}

json_t *sb_store_kb_category_get(sb_db *db, int64_t id)
{
    sb_stmt *s = sb_db_prepare(db, "SELECT " CATEGORY_COLUMNS " FROM kb_categories c WHERE c.id = ?");
    if (!s)
        return NULL;
    sb_db_bind_int(s, 1, id);
    return one_row(s);
}

/* Articles the view shows: public view = public with a published translation in the locale
 * or the fallback. ?1 agent, ?2 locale, ?3 fallback. */
#define VISIBLE_ARTICLE(a)                                                                          \
    "(?1 OR (" a ".visibility = 'public' AND EXISTS (SELECT 1 FROM kb_translations vt"             \
    "  WHERE vt.article_id = " a ".id AND vt.status = 'published' AND vt.locale IN (?2, ?3))))"

json_t *sb_store_kb_category_list(sb_db *db, bool agent, const char *locale, const char *fallback)
{
    sb_stmt *s = sb_db_prepare(
        db, "SELECT " CATEGORY_COLUMNS ","
            " (SELECT count(*) FROM kb_articles a WHERE (a.category_id = c.id OR a.category_id IN"
            "   (SELECT id FROM kb_categories s WHERE s.parent_id = c.id)) AND " VISIBLE_ARTICLE("a") ") AS article_count"
            " FROM kb_categories c"
            " ORDER BY COALESCE((SELECT p.position FROM kb_categories p WHERE p.id = c.parent_id), c.position),"
            " COALESCE(c.parent_id, c.id), c.parent_id IS NOT NULL, c.position, c.id");
    if (!s)
        return NULL;
    sb_db_bind_int(s, 1, agent);
    sb_db_bind_text(s, 2, locale ? locale : "");
    sb_db_bind_text(s, 3, fallback ? fallback : "");
    return sb_store_rows_json(s);
}

int64_t sb_store_kb_category_find(sb_db *db, const char *name)
{
    sb_stmt *s = sb_db_prepare(db, "SELECT id FROM kb_categories WHERE parent_id IS NULL AND name = ? COLLATE NOCASE");
    if (!s)
        return 0;
    sb_db_bind_text(s, 1, name);
    int64_t id = sb_db_step(s) == SB_DB_ROW ? sb_db_col_int(s, 0) : 0;
    sb_db_reset(s);
    return id;
}

/* ---- articles ---- */

sb_err sb_store_kb_article_insert(sb_db *w, int64_t category_id, const char *visibility, const char *tags_json,
                                  int64_t author_id, int64_t now, int64_t *id_out)
{
    sb_stmt *s = sb_db_prepare(w, "INSERT INTO kb_articles(category_id, visibility, tags_json, author_id, created_at,"
                                  " updated_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING id");
    if (!s)
        return SB_E_INTERNAL;
    sb_db_bind_id(s, 1, category_id);
    sb_db_bind_text(s, 2, visibility);
    sb_db_bind_text(s, 3, tags_json ? tags_json : "[]");
    sb_db_bind_id(s, 4, author_id);
    sb_db_bind_int(s, 5, now);
    sb_db_bind_int(s, 6, now);
    return step_returning_id(s, id_out);
}

sb_err sb_store_kb_article_update(sb_db *w, int64_t id, int64_t category_id, const char *visibility,
                                  const char *tags_json, int64_t now)
{
    sb_stmt *s = sb_db_prepare(w, "UPDATE kb_articles SET"
                                  " category_id = CASE WHEN ?2 < 0 THEN category_id WHEN ?2 = 0 THEN NULL ELSE ?2 END,"
                                  " visibility = COALESCE(?3, visibility), tags_json = COALESCE(?4, tags_json),"
                                  " updated_at = ?5 WHERE id = ?1");
    if (!s)
        return SB_E_INTERNAL;
    sb_db_bind_int(s, 1, id);
    sb_db_bind_int(s, 2, category_id);
    sb_db_bind_opt_text(s, 3, visibility);
    sb_db_bind_opt_text(s, 4, tags_json);
    sb_db_bind_int(s, 5, now);
    sb_err err = step_done(s);
    if (err != SB_OK || !visibility)
        return err;
    sb_stmt *f = sb_db_prepare(w, "UPDATE kb_fts SET facets = (SELECT 'zzloc' || replace(lower(t.locale), '-', '')"
                                  " || ' zzvis' || ?2 FROM kb_translations t WHERE t.id = kb_fts.rowid)"
                                  " WHERE rowid IN (SELECT id FROM kb_translations WHERE article_id = ?1)");
    if (!f)
        return SB_E_INTERNAL;
    sb_db_bind_int(f, 1, id);
    sb_db_bind_text(f, 2, visibility);
    return step_done(f);
}

sb_err sb_store_kb_article_delete(sb_db *w, int64_t id)
{
    sb_stmt *f = sb_db_prepare(w, "DELETE FROM kb_fts WHERE rowid IN (SELECT id FROM kb_translations WHERE article_id = ?)");
    sb_stmt *s = sb_db_prepare(w, "DELETE FROM kb_articles WHERE id = ?");
    if (!f || !s)
        return SB_E_INTERNAL;
    sb_db_bind_int(f, 1, id);
    sb_err err = step_done(f);
    if (err != SB_OK)
        return err;
    sb_db_bind_int(s, 1, id);
    return step_done(s);
}

bool sb_store_kb_article_exists(sb_db *db, int64_t id)
{
    return exists(db, "SELECT 1 FROM kb_articles WHERE id = ?", id);
}

/* The index tokens that restrict a search to one locale (and visibility): words no text
 * contains. Kept equal to the SQL expression in sb_store_kb_article_update. */
static void locale_token(const char *locale, char out[40])
{
    size_t j = (size_t)snprintf(out, 40, "zzloc");
    for (const char *p = locale; *p && j < 38; p++)
        if ((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9'))
            out[j++] = *p;
        else if (*p >= 'A' && *p <= 'Z')
            out[j++] = (char)(*p + 32);
    out[j] = '\0';
}

sb_err sb_store_kb_translation_save(sb_db *w, const sb_kb_translation_in *t, int64_t now, int64_t *version_out)
{
    sb_stmt *s = sb_db_prepare(
        w, "INSERT INTO kb_translations(article_id, locale, title, body_markdown, body_html, status, version,"
           " author_id, created_at, updated_at, published_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, 1, ?7, ?8, ?8,"
           " CASE WHEN ?6 = 'published' THEN ?8 END)"
           " ON CONFLICT (article_id, locale) DO UPDATE SET title = excluded.title,"
           " body_markdown = excluded.body_markdown, body_html = excluded.body_html, status = excluded.status,"
           " version = version + 1, author_id = excluded.author_id, updated_at = excluded.updated_at,"
           " published_at = CASE WHEN excluded.status = 'published' AND status <> 'published' THEN excluded.updated_at"
           "   WHEN excluded.status = 'published' THEN published_at END"
           " RETURNING id, version");
    if (!s)
        return SB_E_INTERNAL;
    sb_db_bind_int(s, 1, t->article_id);
    sb_db_bind_text(s, 2, t->locale);
    sb_db_bind_text(s, 3, t->title);
    sb_db_bind_text(s, 4, t->body_markdown);
    sb_db_bind_text(s, 5, t->body_html);
    sb_db_bind_text(s, 6, t->status);
    sb_db_bind_id(s, 7, t->author_id);
    sb_db_bind_int(s, 8, now);
    int rc = sb_db_step(s);
    int64_t tid = rc == SB_DB_ROW ? sb_db_col_int(s, 0) : 0, version = rc == SB_DB_ROW ? sb_db_col_int(s, 1) : 0;
    sb_db_reset(s);
    if (rc != SB_DB_ROW)
        return rc == SB_DB_CONSTRAINT ? SB_E_CONFLICT : SB_E_INTERNAL;
    if (version_out)
        *version_out = version;
    sb_stmt *v = sb_db_prepare(w, "INSERT INTO kb_versions(article_id, locale, version, title, body_markdown, status,"
                                  " author_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
    if (!v)
        return SB_E_INTERNAL;
    sb_db_bind_int(v, 1, t->article_id);
    sb_db_bind_text(v, 2, t->locale);
    sb_db_bind_int(v, 3, version);
    sb_db_bind_text(v, 4, t->title);
    sb_db_bind_text(v, 5, t->body_markdown);
    sb_db_bind_text(v, 6, t->status);
    sb_db_bind_id(v, 7, t->author_id);
    sb_db_bind_int(v, 8, now);
    sb_err err = step_done(v);
    if (err != SB_OK)
        return err;
    /* FTS: the stemmed text of published translations only. */
    sb_stmt *d = sb_db_prepare(w, "DELETE FROM kb_fts WHERE rowid = ?");
    sb_stmt *i = sb_db_prepare(w, "INSERT INTO kb_fts(rowid, title, body, facets) VALUES (?1, ?2, ?3,"
                                  " ?4 || ' zzvis' || (SELECT visibility FROM kb_articles WHERE id = ?5))");
    if (!d || !i)
        return SB_E_INTERNAL;
    sb_db_bind_int(d, 1, tid);
    if ((err = step_done(d)) != SB_OK || strcmp(t->status, "published") != 0)
        return err;
    char tok[40];
    locale_token(t->locale, tok);
    sb_db_bind_int(i, 1, tid);
    sb_db_bind_text(i, 2, t->terms_title ? t->terms_title : "");
    sb_db_bind_text(i, 3, t->terms_body ? t->terms_body : "");
    sb_db_bind_text(i, 4, tok);
    sb_db_bind_int(i, 5, t->article_id);
    return step_done(i);
}

sb_err sb_store_kb_translation_delete(sb_db *w, int64_t article_id, const char *locale)
{
    sb_stmt *f = sb_db_prepare(w, "DELETE FROM kb_fts WHERE rowid IN"
                                  " (SELECT id FROM kb_translations WHERE article_id = ? AND locale = ?)");
    sb_stmt *s = sb_db_prepare(w, "DELETE FROM kb_translations WHERE article_id = ? AND locale = ?");
    if (!f || !s)
        return SB_E_INTERNAL;
    sb_db_bind_int(f, 1, article_id);
    sb_db_bind_text(f, 2, locale);
    sb_err err = step_done(f);
    if (err != SB_OK)
        return err;
    sb_db_bind_int(s, 1, article_id);
    sb_db_bind_text(s, 2, locale);
    err = step_done(s);
    return err == SB_OK && sb_db_changes(w) == 0 ? SB_E_NOT_FOUND : err;
}

json_t *sb_store_kb_translation_get(sb_db *db, int64_t article_id, const char *locale)
{
    sb_stmt *s = sb_db_prepare(db, "SELECT title, body_markdown, status, version FROM kb_translations"
                                   " WHERE article_id = ? AND locale = ?");
    if (!s)
        return NULL;
    sb_db_bind_int(s, 1, article_id);
    sb_db_bind_text(s, 2, locale);
    return one_row(s);
}

/* Picks the translation shown: ?1 agent, ?2 locale, ?3 fallback; public: published only, in
 * one of the two locales. Used as a correlated subquery on `a`. */
#define CHOSEN_TRANSLATION                                                                          \
    "(SELECT ct.id FROM kb_translations ct WHERE ct.article_id = a.id"                              \
    "  AND (?1 OR (ct.status = 'published' AND ct.locale IN (?2, ?3)))"                              \
    "  ORDER BY ct.locale = ?2 DESC, ct.locale = ?3 DESC, ct.status = 'published' DESC, ct.id LIMIT 1)"

#define ARTICLE_COLUMNS                                                                            \
    "a.id, t.locale, t.title, t.status, t.version, a.visibility, a.category_id,"                    \
    " (SELECT name FROM kb_categories WHERE id = a.category_id) AS category,"                       \
    " a.tags_json AS tags__json, a.helpful_yes, a.helpful_no, a.views,"                             \
    " a.created_at, t.updated_at, t.published_at"

json_t *sb_store_kb_article_get(sb_db *db, int64_t id, const char *locale, const char *fallback, bool agent)
{
    sb_stmt *s = sb_db_prepare(db, "SELECT " ARTICLE_COLUMNS ", t.body_markdown, t.body_html, a.author_id"
                                   " FROM kb_articles a JOIN kb_translations t ON t.id = " CHOSEN_TRANSLATION
                                   " WHERE a.id = ?4 AND (?1 OR a.visibility = 'public')");
    if (!s)
        return NULL;
    sb_db_bind_int(s, 1, agent);
    sb_db_bind_text(s, 2, locale ? locale : "");
    sb_db_bind_text(s, 3, fallback ? fallback : "");
    sb_db_bind_int(s, 4, id);
    json_t *o = one_row(s);
    if (!o)
        return NULL;
    if (!agent)
        json_object_del(o, "author_id");
    sb_stmt *tr = sb_db_prepare(db, "SELECT locale, title, status, version, updated_at FROM kb_translations"
                                    " WHERE article_id = ?1 AND (?2 OR status = 'published') ORDER BY locale");
    sb_stmt *fs = sb_db_prepare(db, "SELECT sha256, filename, content_type, size FROM kb_article_files"
                                    " WHERE article_id = ? ORDER BY filename, sha256");
    if (tr) {
        sb_db_bind_int(tr, 1, id);
        sb_db_bind_int(tr, 2, agent);
        json_object_set_new(o, "translations", sb_store_rows_json(tr));
    }
    if (fs) {
        sb_db_bind_int(fs, 1, id);
        json_object_set_new(o, "files", sb_store_rows_json(fs));
    }
    return o;
}

json_t *sb_store_kb_article_list(sb_db *db, const sb_kb_filter *f, const char *fallback, bool agent)
{
    sb_stmt *s = sb_db_prepare(
        db, "SELECT " ARTICLE_COLUMNS " FROM kb_articles a JOIN kb_translations t ON t.id = " CHOSEN_TRANSLATION
            " WHERE (?1 OR a.visibility = 'public') AND a.id > ?4"
            " AND (?5 IS NULL OR t.status = ?5) AND (?6 IS NULL OR a.visibility = ?6)"
            " AND (?7 = 0 OR a.category_id = ?7 OR a.category_id IN (SELECT id FROM kb_categories WHERE parent_id = ?7))"
            " AND (?8 IS NULL OR EXISTS (SELECT 1 FROM json_each(a.tags_json) j WHERE j.value = ?8))"
            " AND (?9 = 0 OR t.locale IN (?2, ?3))"
            " ORDER BY a.id LIMIT ?10");
    if (!s)
        return NULL;
    sb_db_bind_int(s, 1, agent);
    sb_db_bind_text(s, 2, f->locale ? f->locale : (fallback ? fallback : ""));
    sb_db_bind_text(s, 3, fallback ? fallback : "");
    sb_db_bind_int(s, 4, f->after_id);
    sb_db_bind_opt_text(s, 5, f->status);
    sb_db_bind_opt_text(s, 6, f->visibility);
    sb_db_bind_int(s, 7, f->category_id);
    sb_db_bind_opt_text(s, 8, f->tag);
    sb_db_bind_int(s, 9, f->locale != NULL);
    sb_db_bind_int(s, 10, f->limit);
    return sb_store_rows_json(s);
}

json_t *sb_store_kb_versions(sb_db *db, int64_t article_id, const char *locale)
{
    sb_stmt *s = sb_db_prepare(db, "SELECT id, locale, version, title, status, author_id, created_at FROM kb_versions"
                                   " WHERE article_id = ?1 AND (?2 IS NULL OR locale = ?2) ORDER BY locale, version DESC");
    if (!s)
        return NULL;
    sb_db_bind_int(s, 1, article_id);
    sb_db_bind_opt_text(s, 2, locale);
    return sb_store_rows_json(s);
}

json_t *sb_store_kb_version_get(sb_db *db, int64_t article_id, int64_t version_id)
{
    sb_stmt *s = sb_db_prepare(db, "SELECT id, locale, version, title, body_markdown, status, author_id, created_at"
                                   " FROM kb_versions WHERE article_id = ? AND id = ?");
    if (!s)
        return NULL;
    sb_db_bind_int(s, 1, article_id);
    sb_db_bind_int(s, 2, version_id);
    return one_row(s);
}

sb_err sb_store_kb_files_set(sb_db *w, int64_t article_id, json_t *files)
{
    sb_stmt *d = sb_db_prepare(w, "DELETE FROM kb_article_files WHERE article_id = ?");
    sb_stmt *i = sb_db_prepare(w, "INSERT OR REPLACE INTO kb_article_files(article_id, sha256, filename, content_type,"
                                  " size) VALUES (?, ?, ?, ?, ?)");
    if (!d || !i)
        return SB_E_INTERNAL;
    sb_db_bind_int(d, 1, article_id);
    sb_err err = step_done(d);
    size_t k;
    json_t *f;
    json_array_foreach(files, k, f)
    {
        if (err != SB_OK)
            break;
        sb_db_bind_int(i, 1, article_id);
        sb_db_bind_text(i, 2, json_string_value(json_object_get(f, "sha256")));
        sb_db_bind_text(i, 3, json_string_value(json_object_get(f, "filename")));
        sb_db_bind_text(i, 4, json_string_value(json_object_get(f, "content_type")));
        sb_db_bind_int(i, 5, json_integer_value(json_object_get(f, "size")));
        err = step_done(i);
    }
    return err;
}

json_t *sb_store_kb_public_file(sb_db *db, const char *sha256)
{
    sb_stmt *s = sb_db_prepare(db, "SELECT f.sha256, f.filename, f.content_type, f.size FROM kb_article_files f"
                                   " JOIN kb_articles a ON a.id = f.article_id"
                                   " WHERE f.sha256 = ? AND a.visibility = 'public' AND EXISTS (SELECT 1 FROM"
                                   " kb_translations t WHERE t.article_id = a.id AND t.status = 'published') LIMIT 1");
    if (!s)
        return NULL;
    sb_db_bind_text(s, 1, sha256);
    return one_row(s);
}

json_t *sb_store_kb_any_file(sb_db *db, const char *sha256)
{
    sb_stmt *s = sb_db_prepare(db, "SELECT sha256, filename, content_type, size FROM kb_article_files"
                                   " WHERE sha256 = ? LIMIT 1");
    if (!s)
        return NULL;
    sb_db_bind_text(s, 1, sha256);
    return one_row(s);
}

/* ---- search (FTS) ---- */

void sb_kb_hits_free(sb_kb_hit *hits, size_t n)
{
    for (size_t i = 0; hits && i < n; i++) {
        free(hits[i].title);
        free(hits[i].locale);
        free(hits[i].title_terms);
        free(hits[i].body_terms);
    }
    free(hits);
}

static char *dup_col(sb_stmt *s, int c)
{
    const char *t = sb_db_col_text(s, c);
    return strdup(t ? t : "");
}

sb_err sb_store_kb_search(sb_db *db, const char *fts_query, const char *locale, bool agent, int limit,
                          bool with_terms, sb_kb_hit **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    /* FTS: the engine filters by the facet tokens and keeps the best `limit` by rank. */
    sb_stmt *s = sb_db_prepare(
        db, "SELECT t.article_id, t.id, t.title, t.locale, -f.rank, f.title, f.body"
            " FROM (SELECT rowid, rank, CASE WHEN ?3 THEN title END AS title, CASE WHEN ?3 THEN body END AS body"
            "   FROM kb_fts WHERE kb_fts MATCH ?1 ORDER BY rank LIMIT ?2) f"
            " JOIN kb_translations t ON t.id = f.rowid WHERE t.status = 'published' ORDER BY f.rank");
    if (!s)
        return SB_E_INTERNAL;
    char tok[40], *q = NULL;
    locale_token(locale, tok);
    size_t qlen = strlen(fts_query) + 96;
    q = malloc(qlen);
    if (!q)
        return SB_E_INTERNAL;
    snprintf(q, qlen, "facets:%s%s AND (%s)", tok, agent ? "" : " AND facets:zzvispublic", fts_query);
    sb_db_bind_text(s, 1, q);
    sb_db_bind_int(s, 2, limit);
    sb_db_bind_int(s, 3, with_terms);
    sb_kb_hit *hits = calloc((size_t)(limit > 0 ? limit : 1), sizeof *hits);
    size_t k = 0;
    int rc;
    while (hits && (rc = sb_db_step(s)) == SB_DB_ROW && k < (size_t)limit) {
        hits[k].article_id = sb_db_col_int(s, 0);
        hits[k].translation_id = sb_db_col_int(s, 1);
        hits[k].title = dup_col(s, 2);
        hits[k].locale = dup_col(s, 3);
        const char *score = sb_db_col_text(s, 4);
        hits[k].bm25 = score ? strtod(score, NULL) : 0;
        hits[k].title_terms = with_terms ? dup_col(s, 5) : NULL;
        hits[k].body_terms = with_terms ? dup_col(s, 6) : NULL;
        k++;
    }
    sb_db_reset(s);
    free(q);
    if (!hits)
        return SB_E_INTERNAL;
    *out = hits;
    *n = k;
    return SB_OK;
}

long sb_store_kb_term_docs(sb_db *db, const char *term)
{
    sb_stmt *s = sb_db_prepare(db, "SELECT doc FROM kb_vocab WHERE term = ?");
    if (!s)
        return 0;
    sb_db_bind_text(s, 1, term);
    long d = sb_db_step(s) == SB_DB_ROW ? (long)sb_db_col_int(s, 0) : 0;
    sb_db_reset(s);
    return d;
}

long sb_store_kb_doc_count(sb_db *db)
{
    sb_stmt *s = sb_db_prepare(db, "SELECT count(*) FROM kb_translations");
    if (!s)
        return 0;
    long d = sb_db_step(s) == SB_DB_ROW ? (long)sb_db_col_int(s, 0) : 0;
    sb_db_reset(s);
    return d;
}

sb_err sb_store_kb_terms_between(sb_db *db, const char *from, const char *to,
                                 void (*fn)(void *ctx, const char *term, long docs), void *ctx)
{
    sb_stmt *s = sb_db_prepare(db, "SELECT term, doc FROM kb_vocab WHERE term >= ? AND term < ? LIMIT 20000");
    if (!s)
        return SB_E_INTERNAL;
    sb_db_bind_text(s, 1, from);
    sb_db_bind_text(s, 2, to);
    while (sb_db_step(s) == SB_DB_ROW)
        fn(ctx, sb_db_col_text(s, 0), (long)sb_db_col_int(s, 1));
    sb_db_reset(s);
    return SB_OK;
}

/* ---- help center ---- */

sb_err sb_store_kb_vote(sb_db *w, int64_t article_id, const char *visitor, bool helpful, int64_t now)
{
    sb_stmt *v = sb_db_prepare(w, "INSERT INTO kb_votes(article_id, visitor, helpful, created_at) VALUES (?, ?, ?, ?)"
                                  " ON CONFLICT (article_id, visitor) DO UPDATE SET helpful = excluded.helpful,"
                                  " created_at = excluded.created_at");
    sb_stmt *c = sb_db_prepare(w, "UPDATE kb_articles SET"
                                  " helpful_yes = (SELECT count(*) FROM kb_votes WHERE article_id = ?1 AND helpful),"
                                  " helpful_no = (SELECT count(*) FROM kb_votes WHERE article_id = ?1 AND NOT helpful)"
                                  " WHERE id = ?1");
    if (!v || !c)
        return SB_E_INTERNAL;
    sb_db_bind_int(v, 1, article_id);
    sb_db_bind_text(v, 2, visitor);
    sb_db_bind_int(v, 3, helpful);
    sb_db_bind_int(v, 4, now);
    sb_err err = step_done(v);
    if (err != SB_OK)
        return err;
    sb_db_bind_int(c, 1, article_id);
    return step_done(c);
}

sb_err sb_store_kb_view(sb_db *w, int64_t article_id, const char *locale, const char *visitor, const char *source,
                        int64_t now)
{
    sb_stmt *v = sb_db_prepare(w, "INSERT INTO kb_views(article_id, locale, visitor, source, created_at)"
                                  " VALUES (?, ?, ?, ?, ?)");
    sb_stmt *c = sb_db_prepare(w, "UPDATE kb_articles SET views = views + 1 WHERE id = ?");
    if (!v || !c)
        return SB_E_INTERNAL;
    sb_db_bind_int(v, 1, article_id);
    sb_db_bind_text(v, 2, locale);
    sb_db_bind_opt_text(v, 3, visitor);
    sb_db_bind_text(v, 4, source);
    sb_db_bind_int(v, 5, now);
    sb_err err = step_done(v);
    if (err != SB_OK)
        return err;
    sb_db_bind_int(c, 1, article_id);
    return step_done(c);
}

sb_err sb_store_kb_search_log(sb_db *w, const char *query, const char *locale, int results, const char *source,
                              int64_t now)
{
    sb_stmt *s = sb_db_prepare(w, "INSERT INTO kb_searches(query, locale, results, source, created_at)"
                                  " VALUES (?, ?, ?, ?, ?)");
    if (!s)
        return SB_E_INTERNAL;
    sb_db_bind_text(s, 1, query);
    sb_db_bind_text(s, 2, locale);
    sb_db_bind_int(s, 3, results);
    sb_db_bind_text(s, 4, source);
    sb_db_bind_int(s, 5, now);
    return step_done(s);
}

sb_err sb_store_kb_visitor_link(sb_db *w, const char *visitor, int64_t conversation_id, int64_t now)
{
    sb_stmt *s = sb_db_prepare(w, "INSERT OR IGNORE INTO kb_visitor_conversations(conversation_id, visitor, created_at)"
                                  " VALUES (?, ?, ?)");
    if (!s)
        return SB_E_INTERNAL;
    sb_db_bind_int(s, 1, conversation_id);
    sb_db_bind_text(s, 2, visitor);
    sb_db_bind_int(s, 3, now);
    return step_done(s);
}

json_t *sb_store_kb_related(sb_db *db, int64_t article_id, const char *locale, const char *fallback, int limit)
{
    sb_stmt *s = sb_db_prepare(
        db, "SELECT a.id, t.title, t.locale FROM kb_articles a JOIN kb_translations t ON t.id = " CHOSEN_TRANSLATION
            " JOIN kb_articles me ON me.id = ?4"
            " WHERE a.id <> me.id AND a.visibility = 'public' AND NOT ?1"
            " AND (a.category_id = me.category_id OR EXISTS (SELECT 1 FROM json_each(a.tags_json) x"
            "   JOIN json_each(me.tags_json) y ON x.value = y.value))"
            " ORDER BY a.category_id IS me.category_id DESC, a.views DESC, a.id LIMIT ?5");
    if (!s)
        return NULL;
    sb_db_bind_int(s, 1, 0);
    sb_db_bind_text(s, 2, locale ? locale : "");
    sb_db_bind_text(s, 3, fallback ? fallback : "");
    sb_db_bind_int(s, 4, article_id);
    sb_db_bind_int(s, 5, limit);
    return sb_store_rows_json(s);
}

json_t *sb_store_kb_sitemap(sb_db *db)
{
    sb_stmt *s = sb_db_prepare(db, "SELECT t.article_id AS id, t.locale, t.updated_at FROM kb_translations t"
                                   " JOIN kb_articles a ON a.id = t.article_id"
                                   " WHERE t.status = 'published' AND a.visibility = 'public'"
                                   " ORDER BY t.article_id, t.locale LIMIT 50000");
    return s ? sb_store_rows_json(s) : NULL;
}

/* ---- answer bot ---- */

sb_err sb_store_bot_attempt_insert(sb_db *w, int64_t conversation_id, const char *locale, const char *question,
                                   bool confident, double confidence, const char *articles_json,
                                   const char *token_hash, int64_t now, int64_t *id_out)
{
    sb_stmt *s = sb_db_prepare(w, "INSERT INTO bot_attempts(conversation_id, locale, question, confident, confidence,"
                                  " articles_json, token_hash, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id");
    if (!s)
        return SB_E_INTERNAL;
    char conf[32];
    snprintf(conf, sizeof conf, "%.6f", confidence);
    sb_db_bind_id(s, 1, conversation_id);
    sb_db_bind_text(s, 2, locale);
    sb_db_bind_text(s, 3, question);
    sb_db_bind_int(s, 4, confident);
    sb_db_bind_text(s, 5, conf);
    sb_db_bind_text(s, 6, articles_json ? articles_json : "[]");
    sb_db_bind_opt_text(s, 7, token_hash);
    sb_db_bind_int(s, 8, now);
    return step_returning_id(s, id_out);
}

sb_err sb_store_bot_attempt_set_message(sb_db *w, int64_t id, int64_t message_id)
{
    sb_stmt *s = sb_db_prepare(w, "UPDATE bot_attempts SET message_id = ? WHERE id = ?");
    if (!s)
        return SB_E_INTERNAL;
    sb_db_bind_int(s, 1, message_id);
    sb_db_bind_int(s, 2, id);
    return step_done(s);
}

json_t *sb_store_bot_attempt_get(sb_db *db, int64_t id)
{
    sb_stmt *s = sb_db_prepare(db, "SELECT id, conversation_id, message_id, locale, question, confident AS confident__bool,"
                                   " confidence, articles_json AS articles__json, outcome, token_hash, created_at,"
                                   " decided_at FROM bot_attempts WHERE id = ?");
    if (!s)
        return NULL;
    sb_db_bind_int(s, 1, id);
    return one_row(s);
}

sb_err sb_store_bot_attempt_decide(sb_db *w, int64_t id, const char *outcome, int64_t now)
{
    sb_stmt *s = sb_db_prepare(w, "UPDATE bot_attempts SET outcome = ?, decided_at = ? WHERE id = ? AND outcome IS NULL");
    if (!s)
        return SB_E_INTERNAL;
    sb_db_bind_text(s, 1, outcome);
    sb_db_bind_int(s, 2, now);
    sb_db_bind_int(s, 3, id);
    sb_err err = step_done(s);
    return err == SB_OK && sb_db_changes(w) == 0 ? SB_E_CONFLICT : err;
}

bool sb_store_bot_offered(sb_db *db, int64_t conversation_id)
{
    return exists(db, "SELECT 1 FROM bot_attempts WHERE conversation_id = ? AND message_id IS NOT NULL", conversation_id);
}

bool sb_store_conv_agent_replied(sb_db *db, int64_t conversation_id)
{
    return exists(db, "SELECT 1 FROM messages WHERE conversation_id = ? AND author_type = 'agent'"
                      " AND direction = 'out' AND kind = 'message' AND NOT internal", conversation_id);
}

char *sb_store_conv_question_text(sb_db *db, int64_t conversation_id)
{
    sb_stmt *s = sb_db_prepare(db, "SELECT c.subject || char(10) || COALESCE((SELECT group_concat(body_text, char(10))"
                                   " FROM (SELECT body_text FROM messages WHERE conversation_id = c.id AND direction = 'in'"
                                   " ORDER BY id DESC LIMIT 3)), '') FROM conversations c WHERE c.id = ?");
    if (!s)
        return NULL;
    sb_db_bind_int(s, 1, conversation_id);
    char *text = NULL;
    if (sb_db_step(s) == SB_DB_ROW) {
        const char *t = sb_db_col_text(s, 0);
        text = strdup(t ? t : "");
    }
    sb_db_reset(s);
    return text;
}

/* ---- macros ---- */

#define MACRO_COLUMNS                                                                              \
    "m.id, m.name, m.body, m.actions_json AS actions__json, m.owner_id,"                           \
    " CASE WHEN m.owner_id IS NULL THEN 'shared' ELSE 'personal' END AS scope, m.usage_count,"     \
    " m.last_used_at, m.created_at, m.updated_at"

sb_err sb_store_macro_insert(sb_db *w, const char *name, const char *body, const char *actions_json,
                             int64_t owner_id, int64_t now, int64_t *id_out)
{
    sb_stmt *s = sb_db_prepare(w, "INSERT INTO macros(name, body, actions_json, owner_id, created_at, updated_at)"
                                  " VALUES (?, ?, ?, ?, ?, ?) RETURNING id");
    if (!s)
        return SB_E_INTERNAL;
    sb_db_bind_text(s, 1, name);
    sb_db_bind_text(s, 2, body ? body : "");
    sb_db_bind_text(s, 3, actions_json ? actions_json : "{}");
    sb_db_bind_id(s, 4, owner_id);
    sb_db_bind_int(s, 5, now);
    sb_db_bind_int(s, 6, now);
    return step_returning_id(s, id_out);
}

sb_err sb_store_macro_update(sb_db *w, int64_t id, const char *name, const char *body, const char *actions_json,
                             int set_owner, int64_t owner_id, int64_t now)
{
    sb_stmt *s = sb_db_prepare(w, "UPDATE macros SET name = COALESCE(?2, name), body = COALESCE(?3, body),"
                                  " actions_json = COALESCE(?4, actions_json),"
                                  " owner_id = CASE WHEN ?5 THEN ?6 ELSE owner_id END, updated_at = ?7 WHERE id = ?1");
    if (!s)
        return SB_E_INTERNAL;
    sb_db_bind_int(s, 1, id);
    sb_db_bind_opt_text(s, 2, name);
    sb_db_bind_opt_text(s, 3, body);
    sb_db_bind_opt_text(s, 4, actions_json);
    sb_db_bind_int(s, 5, set_owner);
    sb_db_bind_id(s, 6, owner_id);
    sb_db_bind_int(s, 7, now);
    return step_done(s);
}

sb_err sb_store_macro_delete(sb_db *w, int64_t id)
{
    sb_stmt *s = sb_db_prepare(w, "DELETE FROM macros WHERE id = ?");
    if (!s)
        return SB_E_INTERNAL;
    sb_db_bind_int(s, 1, id);
    return step_done(s);
}

sb_err sb_store_macro_used(sb_db *w, int64_t id, int64_t now)
{
    sb_stmt *s = sb_db_prepare(w, "UPDATE macros SET usage_count = usage_count + 1, last_used_at = ? WHERE id = ?");
    if (!s)
        return SB_E_INTERNAL;
    sb_db_bind_int(s, 1, now);
    sb_db_bind_int(s, 2, id);
    return step_done(s);
}

json_t *sb_store_macro_get(sb_db *db, int64_t id)
{
    sb_stmt *s = sb_db_prepare(db, "SELECT " MACRO_COLUMNS " FROM macros m WHERE m.id = ?");
    if (!s)
        return NULL;
    sb_db_bind_int(s, 1, id);
    return one_row(s);
}

json_t *sb_store_macro_list(sb_db *db, int64_t agent_id)
{
    sb_stmt *s = sb_db_prepare(db, "SELECT " MACRO_COLUMNS " FROM macros m WHERE m.owner_id IS NULL OR m.owner_id = ?"
                                   " ORDER BY m.usage_count DESC, m.name COLLATE NOCASE, m.id LIMIT 1000");
    if (!s)
        return NULL;
    sb_db_bind_int(s, 1, agent_id);
    return sb_store_rows_json(s);
}

/* ---- reports ---- */

static json_t *rows(sb_db *db, const char *sql, int64_t from, int64_t to, int limit)
{
    sb_stmt *s = sb_db_prepare(db, sql);
    if (!s)
        return json_array();
    sb_db_bind_int(s, 1, from);
    sb_db_bind_int(s, 2, to);
    sb_db_bind_int(s, 3, limit);
    return sb_store_rows_json(s);
}

json_t *sb_store_kb_deflection(sb_db *db, int64_t from, int64_t to, int limit)
{
    json_t *bot = rows(db, "SELECT count(*) AS questions, coalesce(sum(confident), 0) AS confident,"
                           " coalesce(sum(message_id IS NOT NULL), 0) AS offered,"
                           " coalesce(sum(outcome = 'accepted'), 0) AS accepted,"
                           " coalesce(sum(outcome = 'rejected'), 0) AS rejected,"
                           " coalesce(sum(message_id IS NOT NULL AND outcome IS NULL), 0) AS no_feedback"
                           " FROM bot_attempts WHERE created_at >= ?1 AND created_at < ?2 AND ?3 > 0", from, to, 1);
    json_t *views = rows(db, "SELECT count(*) AS total, coalesce(sum(source = 'help'), 0) AS help,"
                             " coalesce(sum(source = 'api'), 0) AS api, coalesce(sum(source = 'bot'), 0) AS bot"
                             " FROM kb_views WHERE created_at >= ?1 AND created_at < ?2 AND ?3 > 0", from, to, 1);
    json_t *top = rows(db, "SELECT v.article_id, (SELECT title FROM kb_translations t WHERE t.article_id = v.article_id"
                           " ORDER BY t.id LIMIT 1) AS title, count(*) AS views FROM kb_views v"
                           " WHERE v.created_at >= ?1 AND v.created_at < ?2 GROUP BY v.article_id"
                           " ORDER BY views DESC, v.article_id LIMIT ?3", from, to, limit);
    json_t *before = rows(db, "SELECT count(*) AS conversations, coalesce(sum(EXISTS (SELECT 1 FROM kb_views v"
                              " WHERE v.visitor = vc.visitor AND v.created_at <= c.created_at)), 0) AS after_viewing"
                              " FROM kb_visitor_conversations vc JOIN conversations c ON c.id = vc.conversation_id"
                              " WHERE c.created_at >= ?1 AND c.created_at < ?2 AND ?3 > 0", from, to, 1);
    json_t *before_top = rows(db, "SELECT v.article_id, (SELECT title FROM kb_translations t WHERE t.article_id ="
                                  " v.article_id ORDER BY t.id LIMIT 1) AS title,"
                                  " count(DISTINCT vc.conversation_id) AS conversations"
                                  " FROM kb_visitor_conversations vc JOIN conversations c ON c.id = vc.conversation_id"
                                  " JOIN kb_views v ON v.visitor = vc.visitor AND v.created_at <= c.created_at"
                                  " WHERE c.created_at >= ?1 AND c.created_at < ?2 GROUP BY v.article_id"
                                  " ORDER BY conversations DESC, v.article_id LIMIT ?3", from, to, limit);
    json_t *gaps = rows(db, "SELECT lower(query) AS query, locale, count(*) AS searches FROM kb_searches"
                            " WHERE created_at >= ?1 AND created_at < ?2 AND results = 0"
                            " GROUP BY lower(query), locale ORDER BY searches DESC, query LIMIT ?3", from, to, limit);
    json_t *o = json_pack("{s:o, s:o, s:o, s:o, s:o}", "bot", json_incref(json_array_get(bot, 0)), "article_views",
                          json_incref(json_array_get(views, 0)), "viewed_before_conversation",
                          json_incref(json_array_get(before, 0)), "content_gaps", gaps, "top_articles", top);
    json_t *vb = json_object_get(o, "viewed_before_conversation");
    if (vb)
        json_object_set_new(vb, "top_articles", before_top);
    else
        json_decref(before_top);
    json_decref(bot);
    json_decref(views);
    json_decref(before);
    return o;
}
