/* service/: the knowledge base, help center, answer bot and macros.
 *
 * Roles (checked here, on top of the route table): agents write drafts; supervisors and
 * admins publish, delete, restore versions, and manage categories and shared macros; admins
 * change help-center settings. The public view (customers, the help center, anonymous API
 * calls) only ever sees published translations of public articles. */
#ifndef SB_SERVICE_KB_H
#define SB_SERVICE_KB_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "service/service.h"
#include "store/kb.h"

#define SB_KB_TITLE_MAX 300
#define SB_KB_BODY_MAX (256 * 1024)
#define SB_KB_TAGS_MAX 20
#define SB_KB_FILES_MAX 50
#define SB_KB_QUERY_MAX 500
#define SB_KB_LOCALES_MAX 20
#define SB_BOT_CANDIDATES 30

/* Help-center and bot settings (defaults when unset): locales ["en"], default "en", bot on
 * for channels widget, web and email, threshold SB_BOT_DEFAULT_THRESHOLD. */
typedef struct {
    char locales[SB_KB_LOCALES_MAX][16];
    int nlocales;
    char default_locale[16];
    bool bot_enabled;
    char bot_channels[256]; /* ",widget,web," */
    double bot_threshold;
    char base_url[256];     /* absolute links in bot messages ("" = relative) */
} sb_kb_settings;
void sb_kb_settings_load(sb_db *db, sb_kb_settings *s);
json_t *sb_kb_settings_json(const sb_kb_settings *s);
bool sb_kb_locale_enabled(const sb_kb_settings *s, const char *locale);

/* ---- reads (any connection) ---- */
/* Search results [{id, title, locale, score}] for q in locale (NULL: default); *n results. */
json_t *sb_svc_kb_search(sb_db *db, const char *q, const char *locale, bool agent, int limit, int *n);
/* The bot's answer for a question: {confident, confidence, locale, articles:[{id, title, score}]}. */
json_t *sb_svc_bot_answer(sb_db *db, const char *question, const char *locale, bool agent);
/* Markdown to safe HTML (cmark-gfm, raw HTML dropped). Caller frees. */
char *sb_svc_kb_render(const char *markdown);

/* ---- writes: one op type, one tx function; out is the API's answer ---- */
typedef enum {
    SB_KB_ARTICLE_CREATE,
    SB_KB_ARTICLE_UPDATE,
    SB_KB_ARTICLE_DELETE,
    SB_KB_TRANSLATION_DELETE,
    SB_KB_VERSION_RESTORE,
    SB_KB_CATEGORY_CREATE,
    SB_KB_CATEGORY_UPDATE,
    SB_KB_CATEGORY_DELETE,
    SB_KB_SETTINGS_PUT,
    SB_KB_VOTE,          /* id, visitor, helpful */
    SB_KB_VIEW,          /* id, locale, visitor, source */
    SB_KB_SEARCH_LOG,    /* query, locale, results, source */
    SB_KB_BOT_LOG,       /* a /bot/answer call: question, locale, in = the answer */
    SB_KB_MACRO_CREATE,
    SB_KB_MACRO_UPDATE,
    SB_KB_MACRO_DELETE,
    SB_KB_MACRO_APPLY,   /* id = conversation, id2 = macro, preview */
    SB_KB_BOT_OFFER,     /* id = conversation, question/locale optional */
    SB_KB_BOT_FEEDBACK,  /* id = attempt, token, helpful */
    SB_KB_VISITOR_LINK,  /* id = conversation, visitor */
} sb_kb_kind;

typedef struct {
    sb_kb_kind kind;
    sb_actor actor;
    int role;              /* sb_role of the agent (-1 for customers/anonymous) */
    int64_t id, id2;
    json_t *in;            /* owned (decref'd by sb_kb_op_free) */
    char *question, *locale, *visitor, *source, *token; /* owned */
    bool helpful, preview;
    int results;
    /* out */
    json_t *out;           /* owned */
    unsigned status;       /* 200/201/204 */
    char errmsg[SB_ERRMSG];
} sb_kb_op;
sb_kb_op *sb_kb_op_new(sb_kb_kind kind);
void sb_kb_op_free(void *op);
sb_err sb_svc_kb_write(sb_db *w, void *op);
/* Fire-and-forget writes (views, search logs): submitted without waiting; freed after. */
void sb_svc_kb_submit_async(sb_store *st, sb_kb_op *op);

/* For channels (widget, web form, email): offer the bot's answer to a new customer
 * question on a conversation, inside the caller's writer transaction. Posts the answer as an
 * outbound message with the Yes/No links and sets the conversation pending when confident;
 * does nothing when the gate says no (settings, channel, urgent, agent involved) or the bot
 * is not confident. *attempt_id is 0 when nothing was posted; token (65 bytes) receives the
 * secret for the customer's Yes/No. */
sb_err sb_svc_bot_offer(sb_db *w, int64_t conversation_id, const char *question, const char *locale,
                        int64_t *attempt_id, char token[65], char *errmsg);

/* Queues the "bot.offer" job for a new conversation (once per conversation), inside the
 * channel's transaction: the offer runs right after the commit, in its own. The gate applies
 * then (channel in bot_channels, not urgent, no agent reply yet). */
sb_err sb_svc_bot_queue(sb_db *w, int64_t conversation_id);

#endif
