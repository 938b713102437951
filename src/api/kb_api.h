/* Handlers of the knowledge base, help center, answer bot, macros and deflection report
 * (api/kb.c, api/help.c). Kept out of api.h so the feature stays in its own files. */
#ifndef SB_API_KB_API_H
#define SB_API_KB_API_H

#include "api/api.h"

int sb_api_kb_finish(sb_req *r);

int sb_api_articles_list(sb_req *r);
int sb_api_article_create(sb_req *r);
int sb_api_article_get(sb_req *r);
int sb_api_article_update(sb_req *r);
int sb_api_article_delete(sb_req *r);
int sb_api_article_versions(sb_req *r);
int sb_api_article_restore(sb_req *r);
int sb_api_article_translation_delete(sb_req *r);
int sb_api_articles_search(sb_req *r);
int sb_api_help_article(sb_req *r);
int sb_api_kb_categories_list(sb_req *r);
int sb_api_kb_category_create(sb_req *r);
int sb_api_kb_category_get(sb_req *r);
int sb_api_kb_category_update(sb_req *r);
int sb_api_kb_category_delete(sb_req *r);
int sb_api_kb_settings_get(sb_req *r);
int sb_api_kb_settings_put(sb_req *r);

int sb_api_bot_answer(sb_req *r);
int sb_api_bot_feedback(sb_req *r);
int sb_api_conv_bot_offer(sb_req *r);
int sb_api_conv_suggested_articles(sb_req *r);
int sb_api_conv_visitor(sb_req *r);

int sb_api_macros_list(sb_req *r);
int sb_api_macro_create(sb_req *r);
int sb_api_macro_get(sb_req *r);
int sb_api_macro_update(sb_req *r);
int sb_api_macro_delete(sb_req *r);
int sb_api_macro_apply(sb_req *r);

int sb_api_report_deflection(sb_req *r);

/* Help center (server-rendered HTML). */
int sb_api_help_home(sb_req *r);        /* /help and /help/<locale> */
int sb_api_help_category(sb_req *r);    /* /help/<locale>/categories/{id} */
int sb_api_help_article_page(sb_req *r);/* /help/<locale>/articles/{id} */
int sb_api_help_search(sb_req *r);      /* /help/<locale>/search?q= */
int sb_api_help_vote(sb_req *r);        /* POST /help/<locale>/articles/{id}/vote */
int sb_api_help_vote_finish(sb_req *r);
int sb_api_help_file(sb_req *r);        /* /help/files/<sha256> */
int sb_api_help_css(sb_req *r);
int sb_api_help_sitemap(sb_req *r);
int sb_api_help_bot_page(sb_req *r);    /* GET /help/bot/{id}?t= */
int sb_api_help_bot_answer(sb_req *r);  /* POST /help/bot/{id} */
int sb_api_help_bot_finish(sb_req *r);

/* Shared by kb.c and help.c. */
/* Authenticates an optional bearer token or session on a public route: *agent is true for a
 * valid agent credential; an invalid one is a 401. */
int sb_api_kb_optional_auth(sb_req *r, bool *agent);
/* "ip:1.2.3.4" of the client (behind the trusted proxy: its X-Forwarded-For). */
void sb_api_kb_client(sb_req *r, char *out, size_t n);
/* 0 when allowed, else fails r with 429 and returns the error. kind: "bot", "search". */
int sb_api_kb_rate_limit(sb_req *r, const char *kind);

#endif
