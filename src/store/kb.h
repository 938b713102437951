/* store/: the knowledge base (categories, articles, translations, versions, files, search),
 * help-center votes and views, answer-bot attempts, and macros. Reads return JSON shaped as
 * the API shows it (caller owns it). `agent` selects the agent view: internal articles and
 * drafts; the public view never contains them. */
#ifndef SB_STORE_KB_H
#define SB_STORE_KB_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "store/store.h"

/* ---- categories and sections (a section is a category with a parent) ---- */
sb_err sb_store_kb_category_insert(sb_db *w, int64_t parent_id, const char *name, const char *description,
                                   int64_t position, const char *names_json, int64_t now, int64_t *id_out);
/* NULL / negative values keep the current one. */
sb_err sb_store_kb_category_update(sb_db *w, int64_t id, const char *name, const char *description,
                                   int64_t position, const char *names_json, int64_t now);
sb_err sb_store_kb_category_delete(sb_db *w, int64_t id);
json_t *sb_store_kb_category_get(sb_db *db, int64_t id);
/* Every category, sections after their parent; article_count counts what the view shows
 * (public: published public articles in `locale` or the fallback). */
json_t *sb_store_kb_category_list(sb_db *db, bool agent, const char *locale, const char *fallback);
/* A top-level category by name (case-insensitive), 0 if none. */
int64_t sb_store_kb_category_find(sb_db *db, const char *name);

/* ---- articles ---- */
sb_err sb_store_kb_article_insert(sb_db *w, int64_t category_id, const char *visibility, const char *tags_json,
                                  int64_t author_id, int64_t now, int64_t *id_out);
/* category_id < 0 and NULL strings keep the current value; category_id 0 clears it. */
sb_err sb_store_kb_article_update(sb_db *w, int64_t id, int64_t category_id, const char *visibility,
                                  const char *tags_json, int64_t now);
sb_err sb_store_kb_article_delete(sb_db *w, int64_t id);
bool sb_store_kb_article_exists(sb_db *db, int64_t id);

typedef struct {
    int64_t article_id;
    const char *locale, *title, *body_markdown, *body_html, *status;
    const char *terms_title, *terms_body; /* stemmed text for the index */
    int64_t author_id;
} sb_kb_translation_in;
/* Creates or replaces the translation (version + 1) and records the version. */
sb_err sb_store_kb_translation_save(sb_db *w, const sb_kb_translation_in *t, int64_t now, int64_t *version_out);
sb_err sb_store_kb_translation_delete(sb_db *w, int64_t article_id, const char *locale);
/* The translation's current fields {title, body_markdown, status, version} or NULL. */
json_t *sb_store_kb_translation_get(sb_db *db, int64_t article_id, const char *locale);

/* The article in `locale`, else `fallback`, else (agents) any translation; NULL when the
 * view may not see it. Includes translations, category, tags, files. */
json_t *sb_store_kb_article_get(sb_db *db, int64_t id, const char *locale, const char *fallback, bool agent);

typedef struct {
    const char *locale;     /* NULL: any */
    const char *status;     /* NULL: any (agents); public view: published only */
    const char *visibility; /* NULL: any (agents) */
    int64_t category_id;    /* 0: any; matches the category or its sections */
    const char *tag;
    int64_t after_id;
    int limit;
} sb_kb_filter;
/* One item per article (its translation in locale/fallback); next page after the last id. */
json_t *sb_store_kb_article_list(sb_db *db, const sb_kb_filter *f, const char *fallback, bool agent);

json_t *sb_store_kb_versions(sb_db *db, int64_t article_id, const char *locale);
json_t *sb_store_kb_version_get(sb_db *db, int64_t article_id, int64_t version_id);

/* Files: replaces the article's list ([{sha256, filename, content_type, size}]). */
sb_err sb_store_kb_files_set(sb_db *w, int64_t article_id, json_t *files);
/* A file's metadata when some published public article has it (help-center downloads). */
json_t *sb_store_kb_public_file(sb_db *db, const char *sha256);
/* A file's metadata when any article has it (agents). */
json_t *sb_store_kb_any_file(sb_db *db, const char *sha256);

/* ---- search ---- */
typedef struct {
    int64_t article_id, translation_id;
    char *title, *locale;
    char *title_terms, *body_terms; /* the stemmed text (with_terms only), for the bot */
    double bm25;                  /* higher is better */
} sb_kb_hit;
void sb_kb_hits_free(sb_kb_hit *hits, size_t n);
/* fts_query in the engine's syntax; public view: published public translations only. */
sb_err sb_store_kb_search(sb_db *db, const char *fts_query, const char *locale, bool agent, int limit,
                          bool with_terms, sb_kb_hit **out, size_t *n);
/* Documents containing the term (0 when unknown); total indexed translations. */
long sb_store_kb_term_docs(sb_db *db, const char *term);
long sb_store_kb_doc_count(sb_db *db);
/* Calls fn for each indexed term in [from, to) (byte order), with its document count. */
sb_err sb_store_kb_terms_between(sb_db *db, const char *from, const char *to,
                                 void (*fn)(void *ctx, const char *term, long docs), void *ctx);

/* ---- help center ---- */
/* Records a vote (one per visitor per article; a new vote replaces the old) and updates the
 * article's counts. */
sb_err sb_store_kb_vote(sb_db *w, int64_t article_id, const char *visitor, bool helpful, int64_t now);
sb_err sb_store_kb_view(sb_db *w, int64_t article_id, const char *locale, const char *visitor, const char *source,
                        int64_t now);
sb_err sb_store_kb_search_log(sb_db *w, const char *query, const char *locale, int results, const char *source,
                              int64_t now);
sb_err sb_store_kb_visitor_link(sb_db *w, const char *visitor, int64_t conversation_id, int64_t now);
/* Related: other published public articles of the same category, then sharing a tag. */
json_t *sb_store_kb_related(sb_db *db, int64_t article_id, const char *locale, const char *fallback, int limit);
/* Sitemap: [{id, locale, updated_at}] of every published public translation. */
json_t *sb_store_kb_sitemap(sb_db *db);

/* ---- answer bot ---- */
sb_err sb_store_bot_attempt_insert(sb_db *w, int64_t conversation_id, const char *locale, const char *question,
                                   bool confident, double confidence, const char *articles_json,
                                   const char *token_hash, int64_t now, int64_t *id_out);
sb_err sb_store_bot_attempt_set_message(sb_db *w, int64_t id, int64_t message_id);
json_t *sb_store_bot_attempt_get(sb_db *db, int64_t id); /* with token_hash */
sb_err sb_store_bot_attempt_decide(sb_db *w, int64_t id, const char *outcome, int64_t now);
bool sb_store_bot_offered(sb_db *db, int64_t conversation_id);
/* Whether an agent has written to the customer (a non-internal agent message). */
bool sb_store_conv_agent_replied(sb_db *db, int64_t conversation_id);
/* The subject and the latest customer messages of a conversation (for suggestions). */
char *sb_store_conv_question_text(sb_db *db, int64_t conversation_id);

/* ---- macros ---- */
sb_err sb_store_macro_insert(sb_db *w, const char *name, const char *body, const char *actions_json,
                             int64_t owner_id, int64_t now, int64_t *id_out);
sb_err sb_store_macro_update(sb_db *w, int64_t id, const char *name, const char *body, const char *actions_json,
                             int set_owner, int64_t owner_id, int64_t now);
sb_err sb_store_macro_delete(sb_db *w, int64_t id);
sb_err sb_store_macro_used(sb_db *w, int64_t id, int64_t now);
json_t *sb_store_macro_get(sb_db *db, int64_t id);
/* Shared macros and the agent's own, most used first. */
json_t *sb_store_macro_list(sb_db *db, int64_t agent_id);

/* ---- reports ---- */
json_t *sb_store_kb_deflection(sb_db *db, int64_t from, int64_t to, int limit);

#endif
