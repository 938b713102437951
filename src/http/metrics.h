/* Prometheus metrics: requests by route and status, latency histograms, SSE streams, and
 * the writer's batch sizes. Counters are lock-free atomics. */
#ifndef SB_HTTP_METRICS_H
#define SB_HTTP_METRICS_H

#include "http/http.h"
#include "util/buf.h"

sb_metrics *sb_metrics_new(size_t routes);
void sb_metrics_free(sb_metrics *m);
/* route_index -1 counts as "unmatched". */
void sb_metrics_observe(sb_metrics *m, int route_index, unsigned status, double seconds);
void sb_metrics_render(sb_app *app, sb_buf *out);

#endif
