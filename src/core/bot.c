#include "core/bot.h"

#include <math.h>
#include <stdlib.h>

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

static double coverage_of(const sb_bot_query *q, unsigned mask, size_t nt)
{
    double total = 0, hit = 0;
    for (size_t i = 0; i < nt; i++) {
        total += q->idf[i];
        if (mask & (1u << i))
            hit += q->idf[i];
    }
    return total > 0 ? hit / total : 0.0;
}

static int by_score(const void *a, const void *b)
{
    const sb_bot_candidate *x = a, *y = b;
    if (x->score != y->score)
        return x->score > y->score ? -1 : 1;
    return x->rank_in < y->rank_in ? -1 : (x->rank_in > y->rank_in);
}

double sb_bot_rank(const sb_bot_query *q, sb_bot_candidate *c, size_t n)
{
    if (!q || !c || n == 0 || q->nterms == 0)
        return 0.0;
    size_t nt = q->nterms > SB_BOT_MAX_TERMS ? SB_BOT_MAX_TERMS : q->nterms;
    double mu = q->mu > 0 ? q->mu : SB_BOT_MU, sharp = q->sharpness > 0 ? q->sharpness : SB_BOT_SHARPNESS;
    double cpow = q->coverage_power > 0 ? q->coverage_power : 1.0;
    double pool_tf[SB_BOT_MAX_TERMS] = {0}, pool_len = 0;
    for (size_t k = 0; k < n; k++) {
        for (size_t i = 0; i < nt; i++)
            pool_tf[i] += c[k].tf[i];
        pool_len += c[k].len;
    }
    for (size_t k = 0; k < n; k++) {
        double s = 0;
        for (size_t i = 0; i < nt; i++) {
            /* Background: the candidates' pooled model, floored so unseen terms stay finite. */
            double pc = (pool_tf[i] + 0.5) / (pool_len + 1.0);
            s += log((c[k].tf[i] + mu * pc) / (c[k].len + mu));
        }
        c[k].score = s;
        c[k].rank_in = k;
    }
    qsort(c, n, sizeof *c, by_score);
    /* Posterior of the first among the candidates (uniform prior), per-term scaled so long
     * questions are not over-confident. */
    double z = 0;
    for (size_t k = 0; k < n; k++)
        z += exp((c[k].score - c[0].score) / (double)nt * sharp);
    double posterior = 1.0 / z;
    double coverage = coverage_of(q, c[0].matched_mask, nt);
    double brevity = nt >= 2 ? 1.0 : 0.8;
    double conf = posterior * pow(coverage, cpow) * brevity;
    return conf > 1.0 ? 1.0 : conf;
}

double sb_bot_display_score(const sb_bot_candidate *c, size_t n, size_t i, double confidence)
{
    if (!c || i >= n)
        return 0.0;
    if (i == 0)
        return confidence;
    double rel = exp(c[i].score - c[0].score);
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
