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
    double bm25;                  /* retrieval relevance, higher is better (negated FTS5 bm25) */
    unsigned matched_mask;        /* bit i: query term i occurs in the article */
    double tf[SB_BOT_MAX_TERMS];  /* occurrences of query term i (title occurrences weighted) */
    double len;                   /* terms in the article (same weighting) */
    double score;                 /* out: log-likelihood of the question under the article */
    size_t rank_in;               /* out: position in the retrieval order */
} sb_bot_candidate;

typedef struct {
    size_t nterms;                    /* distinct query terms (at most SB_BOT_MAX_TERMS) */
    double idf[SB_BOT_MAX_TERMS];     /* weight of each term; unknown words weigh most */
    double mu;                        /* Dirichlet smoothing; 0: SB_BOT_MU */
    double sharpness;                 /* posterior temperature per term; 0: SB_BOT_SHARPNESS */
    double coverage_power;            /* exponent of the coverage factor; 0: 1 */
} sb_bot_query;

/* Inverse document frequency of a term found in df of n documents (df 0: a word the help
 * center does not know, which weighs as much as the rarest possible word). */
double sb_bot_idf(long df, long n);

/* Re-ranks the retrieved candidates by query likelihood (each article a unigram language
 * model with Dirichlet smoothing against the candidates' pooled model), sorts them best
 * first, and returns the confidence in [0, 1] that the first answers the question: its
 * posterior among the candidates times the IDF-weighted share of the question's terms it
 * contains (questions about things the help center never mentions score low). */
double sb_bot_rank(const sb_bot_query *q, sb_bot_candidate *cands, size_t n);

/* Score shown for candidate i after sb_bot_rank: its posterior share times the top's
 * coverage factor; the first one's is the confidence. In [0, 1]. */
double sb_bot_display_score(const sb_bot_candidate *cands, size_t n, size_t i, double confidence);
#define SB_BOT_TITLE_WEIGHT 60.0 /* a title occurrence counts as this many body occurrences */
#define SB_BOT_MU 300.0          /* Dirichlet smoothing */
#define SB_BOT_SHARPNESS 3.0     /* posterior sharpness per question term */

/* The default threshold (the bot.threshold setting overrides it), tuned by bench/bot_eval.py. */
#define SB_BOT_DEFAULT_THRESHOLD 0.69

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
