#include "core/bot.h"

#include <math.h>

double sb_bot_idf(long df, long n)
{
    if (n < 1)
        n = 1;
    if (df < 0)
        df = 0;
    if (df > n)
        df = n;
    /* BM25's idf, floored so very common words still count a little. */
    double v = log(((double)n - (double)df + 0.5) / ((double)df + 0.5) + 1.0);
    return v < 0.05 ? 0.05 : v;
}

double sb_bot_confidence(const sb_bot_query *q, const sb_bot_candidate *c, size_t n)
{
    if (!q || !c || n == 0 || q->nterms == 0 || c[0].bm25 <= 0)
        return 0.0;
    double total = 0, hit = 0;
    size_t nt = q->nterms > SB_BOT_MAX_TERMS ? SB_BOT_MAX_TERMS : q->nterms;
    for (size_t i = 0; i < nt; i++) {
        total += q->idf[i];
        if (c[0].matched_mask & (1u << i))
            hit += q->idf[i];
    }
    if (total <= 0)
        return 0.0;
    double coverage = hit / total;
    /* How much better the top article is than the second: 1 when alone or far ahead. */
    double margin = 1.0;
    if (n > 1 && c[1].bm25 > 0)
        margin = (c[0].bm25 - c[1].bm25) / c[0].bm25;
    if (margin < 0)
        margin = 0;
    /* A question of one content word says little, however well it matches. */
    double brevity = nt >= 2 ? 1.0 : 0.8;
    double conf = coverage * sqrt(margin) * brevity;
    return conf > 1.0 ? 1.0 : conf;
}

double sb_bot_display_score(const sb_bot_candidate *c, size_t n, size_t i, double confidence)
{
    if (!c || i >= n || c[0].bm25 <= 0)
        return 0.0;
    if (i == 0)
        return confidence;
    double rel = c[i].bm25 / c[0].bm25;
    if (rel < 0)
        rel = 0;
    return rel * confidence;
}

sb_bot_verdict sb_bot_may_answer(const sb_bot_gate *g)
{
    if (!g->enabled)
        return SB_BOT_DISABLED;
    if (!g->channel_allowed)
        return SB_BOT_CHANNEL;
    if (g->urgent)
        return SB_BOT_URGENT;
    if (g->agent_replied)
        return SB_BOT_AGENT_INVOLVED;
    if (g->already_offered)
        return SB_BOT_ALREADY_OFFERED;
    return SB_BOT_MAY_ANSWER;
}

const char *sb_bot_verdict_name(sb_bot_verdict v)
{
    switch (v) {
    case SB_BOT_MAY_ANSWER: return "may_answer";
    case SB_BOT_DISABLED: return "disabled";
    case SB_BOT_CHANNEL: return "channel_not_enabled";
    case SB_BOT_URGENT: return "urgent";
    case SB_BOT_AGENT_INVOLVED: return "agent_involved";
    case SB_BOT_ALREADY_OFFERED: return "already_offered";
    }
    return "unknown";
}
