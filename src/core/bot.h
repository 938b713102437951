/* The answer bot's scoring: given the retrieval results for a question (the store ranks
 * articles with bm25 over stemmed terms), decide how confident the bot is that the top
 * article answers it. Pure code, unit-tested; the rule was tuned on a split of the
 * bitext customer-support set and checked on a held-out split (docs/PERFORMANCE.md). */
#ifndef SB_CORE_BOT_H
#define SB_CORE_BOT_H

#include <stdbool.h>
#include <stddef.h>

#define SB_BOT_MAX_TERMS 32 /* query terms considered */

typedef struct {
    double bm25;            /* relevance, higher is better (the negated FTS5 bm25) */
    unsigned matched_mask;  /* bit i: query term i occurs in the article */
} sb_bot_candidate;

typedef struct {
    size_t nterms;                    /* distinct query terms (at most SB_BOT_MAX_TERMS) */
    double idf[SB_BOT_MAX_TERMS];     /* weight of each term; unknown words weigh most */
} sb_bot_query;

/* Inverse document frequency of a term found in df of n documents (df 0: a word the help
 * center does not know, which weighs as much as the rarest possible word). */
double sb_bot_idf(long df, long n);

/* Confidence in [0, 1] that cands[0] answers the question: the IDF-weighted share of the
 * question's terms the top article contains, times how clearly it beats the runner-up.
 * cands are in rank order; 0 when there is none. */
double sb_bot_confidence(const sb_bot_query *q, const sb_bot_candidate *cands, size_t n);

/* Scores shown to callers for each candidate: its bm25 relative to the best, times the top's
 * confidence for the first; in [0, 1]. */
double sb_bot_display_score(const sb_bot_candidate *cands, size_t n, size_t i, double confidence);

/* The default threshold (overridable by the bot.threshold setting). */
#define SB_BOT_DEFAULT_THRESHOLD 0.5

/* Whether the bot may answer a new customer question on its own. */
typedef struct {
    bool enabled;          /* bot.enabled setting */
    bool channel_allowed;  /* the conversation's channel is in bot.channels */
    bool urgent;           /* conversation priority is urgent */
    bool agent_replied;    /* an agent already wrote to the customer */
    bool already_offered;  /* the bot already answered in this conversation */
} sb_bot_gate;
typedef enum {
    SB_BOT_MAY_ANSWER = 0,
    SB_BOT_DISABLED,
    SB_BOT_CHANNEL,
    SB_BOT_URGENT,
    SB_BOT_AGENT_INVOLVED,
    SB_BOT_ALREADY_OFFERED,
} sb_bot_verdict;
sb_bot_verdict sb_bot_may_answer(const sb_bot_gate *g);
const char *sb_bot_verdict_name(sb_bot_verdict v);

#endif
